"""Writers for events and rejects: NDJSON bytes, one record a line, encoded with ``orjson``.

Floats and raw JSON values are encoded through ``values.encode_default`` so they are written the way
Panther writes them (``1000`` for 1000.0, ``1e-07``), which ``orjson`` alone would not do.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, BinaryIO

import orjson

from .values import encode_default

encode_event = partial(orjson.dumps, default=encode_default)
"""One event (a dict) → its JSON bytes, without a newline."""


class NDJSONSink:
    """Writes records as NDJSON to a binary stream, a batch at a time (one ``write`` per batch)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0

    def write_bytes(self, data: bytes, records: int) -> None:
        """Write records already encoded as NDJSON (``Batch.ndjson()``)."""
        if data:
            self.stream.write(data)
            self.count += records

    def write_dicts(self, records: Iterable[dict[str, Any]]) -> None:
        """Encode and write records given as mappings (rejects, which are few)."""
        encoded = [encode_event(r) for r in records]
        if encoded:
            self.stream.write(b"\n".join(encoded) + b"\n")
            self.count += len(encoded)

    def flush(self) -> None:
        self.stream.flush()
