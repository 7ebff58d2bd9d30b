"""What a batch of lines becomes: events, rejects and counted skips, as objects or as NDJSON.

These are the values the engine hands to its shells (the CLI, the drain, the columnar writers):
``Batch`` holds events as dicts and rejects as ``Reject`` objects; ``Encoded`` holds both already
written as NDJSON bytes, which is what crosses threads and processes and goes to sinks, so that
a block of a million bad lines costs bytes, not objects.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from .values import encode_event

# Skip kinds, counted per batch and in the summary.
BLANK: Final = "blank"
SKIP_PREFIX: Final = "skip_prefix"
SKIP_LINES: Final = "skip_lines"
HEADER: Final = "header"

DEFAULT_MAX_LINE_BYTES: Final = 1 << 20
"""Longer lines are rejected as ``line_too_long`` without being held whole (``--max-line-bytes``)."""

RAW_PREVIEW_BYTES: Final = 4096
"""How much of an over-long line a reject keeps (with the full line's size and SHA-256)."""


@dataclass(frozen=True, slots=True)
class Oversized:
    """A line longer than the reader's limit: never held whole, kept as size, hash and head."""

    size: int
    sha256: str
    head: bytes


Line = str | bytes | Oversized
"""One input line: text, undecoded bytes, or a stand-in for a line too long to hold."""


def oversized(data: bytes) -> Oversized:
    """The ``Oversized`` that stands for the over-long line ``data``."""
    return Oversized(len(data), hashlib.sha256(data).hexdigest(), data[:RAW_PREVIEW_BYTES])


@dataclass(frozen=True, slots=True)
class Reject:
    """A line that gave no event, with everything needed to find it, understand it and replay it.

    ``raw`` is the line as text; a line that is not valid UTF-8 is kept byte for byte as ``bytes``
    (written as ``raw_b64``). ``field``, ``value`` and ``expected`` are set for ``bad_value``.
    """

    reason: str
    message: str
    raw: str | bytes
    source: str
    line: int
    schema: str
    field: str | None = None
    value: str | None = None
    expected: str | None = None
    rule: str | None = None
    refusals: tuple[Reject, ...] = ()  # with several schemas: why each one refused the line

    def to_dict(self) -> dict[str, Any]:
        """The reject as a JSON-ready mapping, in a fixed key order; absent details are omitted.

        A ``source`` that is not valid UTF-8 (a file name, decoded by Python with surrogate escapes)
        is written as ``source_b64``, its exact bytes, as ``raw_b64`` keeps an undecodable line.
        """
        out: dict[str, Any] = {"reason": self.reason, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = self.value
        if self.expected is not None:
            out["expected"] = self.expected
        if self.rule is not None:
            out["rule"] = self.rule
        if self.refusals:
            out["refusals"] = [
                {k: v for k, v in r.to_dict().items() if k not in ("source", "line", "raw", "raw_b64")}
                for r in self.refusals
            ]
        out["schema"] = self.schema
        if self.source.isascii() or is_utf8(self.source):
            out["source"] = self.source
        else:
            out["source_b64"] = base64.b64encode(self.source.encode("utf-8", "surrogateescape")).decode()
        out["line"] = self.line
        if isinstance(self.raw, bytes):
            out["raw_b64"] = base64.b64encode(self.raw).decode("ascii")
        else:
            out["raw"] = self.raw
        return out


def raw_field(line: bytes) -> dict[str, str]:
    """A line as a record holds it: ``raw``, its text, or ``raw_b64``, its exact bytes, when it is
    not UTF-8 (as ``Reject.to_dict`` writes an undecodable line)."""
    try:
        return {"raw": line.decode("utf-8")}
    except UnicodeDecodeError:
        return {"raw_b64": base64.b64encode(line).decode("ascii")}


def is_utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8: not so for bytes Python decoded with surrogate escapes
    (file names, arguments)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def encode_rejects(rejects: list[Reject]) -> bytes:
    """Rejects as NDJSON bytes, one record a line (empty when there are none)."""
    if not rejects:
        return b""
    return b"\n".join([encode_event(r.to_dict()) for r in rejects]) + b"\n"


@dataclass(slots=True)
class Batch:
    """What one call to ``Normalizer.normalize`` produced."""

    events: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    log_types: Counter[str] = field(default_factory=Counter)  # events per p_log_type
    untried: Counter[str] = field(default_factory=Counter)  # lines a schema did not try, by schema

    def ndjson(self) -> bytes:
        """The events as NDJSON bytes, one event a line (empty when there are none)."""
        if not self.events:
            return b""
        return b"\n".join(map(encode_event, self.events)) + b"\n"

    def encoded(self) -> Encoded:
        """This batch with its events and rejects written as NDJSON: what sinks and workers pass on."""
        return Encoded(
            self.ndjson(),
            len(self.events),
            encode_rejects(self.rejects),
            Counter(r.reason for r in self.rejects),
            self.skipped,
            self.lines,
            self.log_types,
            self.untried,
        )


@dataclass(frozen=True, slots=True)
class Encoded:
    """A batch as NDJSON bytes: small to send between threads and processes, ready to write.

    ``lines == events + rejected + sum(skipped.values())``. ``untried`` counts, per schema, the
    lines rejected without being tried because the schema's regex had used up its time budget.
    """

    ndjson: bytes
    events: int
    rejects: bytes
    reasons: Counter[str]  # rejects per reason
    skipped: Counter[str]
    lines: int
    log_types: Counter[str]
    untried: Counter[str] = field(default_factory=Counter)
    prepared: Any = field(default=None, compare=False)
    """What the run's events sink made of this batch in the worker thread that normalized it (its
    ``convert``: a Parquet lake's Arrow form), or ``None``."""

    @property
    def rejected(self) -> int:
        """How many rejects ``rejects`` holds."""
        return sum(self.reasons.values())

    def __add__(self, other: Encoded) -> Encoded:
        """Two consecutive parts of one block as one."""
        return Encoded(
            self.ndjson + other.ndjson,
            self.events + other.events,
            self.rejects + other.rejects,
            self.reasons + other.reasons,
            self.skipped + other.skipped,
            self.lines + other.lines,
            self.log_types + other.log_types,
            self.untried + other.untried,
        )

    def reject_records(self) -> list[dict[str, Any]]:
        """The rejects decoded again, for tests and tools that look at them one by one."""
        return [orjson.loads(line) for line in self.rejects.splitlines()]
