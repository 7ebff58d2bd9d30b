"""Compiling generated Python source, the way ``dataclasses`` and ``attrs`` do.

The source is registered with ``linecache`` under a made-up file name (``<fastmatch '...'>``,
``<normalize Heroku.Runtime>``), so tracebacks, ``inspect.getsource`` and debuggers show the
generated lines instead of nothing.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any


def compile_function(source: str, name: str, namespace: dict[str, Any], filename: str) -> Callable[..., Any]:
    """Execute ``source`` (which defines function ``name``) in ``namespace`` and return the function."""
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope = dict(namespace)
    exec(code, scope)
    return scope[name]
