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
    """Execute ``source`` (which defines function ``name``) in ``namespace`` and return the function.

    Two different sources never share a file name (two normalizers of one schema with different
    ``p_source_id``s, say): the second gets ``<normalize Heroku.Runtime #2>``, as attrs numbers its own.
    """
    filename = _unique(filename, source)
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope = dict(namespace)
    exec(code, scope)
    return scope[name]


def _unique(filename: str, source: str) -> str:
    """``filename``, or a numbered variant, whose ``linecache`` entry is free or holds ``source``."""
    candidate, number = filename, 1
    while (entry := linecache.cache.get(candidate)) is not None and "".join(entry[2]) != source:
        number += 1
        candidate = f"{filename[:-1]} #{number}>" if filename.endswith(">") else f"{filename} #{number}"
    return candidate
