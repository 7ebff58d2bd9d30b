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

from .batch import Batch, Encoded, Oversized, Reject
from .errors import BadValue, NormalizeError, SchemaError
from .normalizer import Normalizer
from .registry import Registry, load_schema_file, search_path
from .spec import Schema

__all__ = [
    "BadValue",
    "Batch",
    "Encoded",
    "NormalizeError",
    "Normalizer",
    "Oversized",
    "Registry",
    "Reject",
    "Schema",
    "SchemaError",
    "load_schema_file",
    "search_path",
]
