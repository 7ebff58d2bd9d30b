"""normalize: Panther-style YAML log schemas compiled into fast normalizers.

This module is the public contract that the CLI, the HTTP drain, a distributed engine and users' own
code rely on; everything else may change::

    from engine import Registry, Normalizer, search_path

    schema = Registry(search_path()).load("Heroku.Runtime")
    normalizer = Normalizer(schema)          # compiled once
    batch = normalizer.normalize(lines, source="drain.log")
    batch.events, batch.rejects, batch.skipped, batch.ndjson()

    encoded = normalizer.encode_block(block, source="drain.log")   # raw lines straight to NDJSON
    encoded.ndjson, encoded.events, encoded.rejects, encoded.lines
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch import Batch, Encoded, Oversized, Reject
    from .errors import BadValue, NormalizeError, SchemaError
    from .normalizer import Normalizer
    from .pipeline import Run
    from .registry import Registry, load_schema_file, search_path
    from .spec import Schema

# The names are imported when first used (PEP 562), so that ``import engine`` is cheap: the console
# script imports the package before it can guard its start-up against an interrupt (engine/__main__.py).
_HOMES = {
    "Batch": "batch",
    "Encoded": "batch",
    "Oversized": "batch",
    "Reject": "batch",
    "BadValue": "errors",
    "NormalizeError": "errors",
    "SchemaError": "errors",
    "Normalizer": "normalizer",
    "Run": "pipeline",
    "Registry": "registry",
    "load_schema_file": "registry",
    "search_path": "registry",
    "Schema": "spec",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "BadValue",
    "Batch",
    "Encoded",
    "NormalizeError",
    "Normalizer",
    "Oversized",
    "Registry",
    "Reject",
    "Run",
    "Schema",
    "SchemaError",
    "load_schema_file",
    "search_path",
]
