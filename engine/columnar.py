"""Events and rejects as Arrow record batches, with a schema fixed by the log schema's fields.

Every compiled log schema has one Arrow schema, derived from its fields and never inferred from the
data: int→int32, smallint→int16, bigint→int64, float→float64, boolean→bool, timestamp→timestamp[ns,
UTC], string→utf8, json→utf8 holding the value's JSON text, object→struct, array→list, then the
``p_`` fields (times as timestamp[ns, UTC]) and the ``p_any_*`` lists its indicators can feed, as
list<utf8>. Every column is nullable: a value the schema does not require may be absent, and Arrow
readers do not need more.

``Columnar.convert`` turns an ``Encoded`` batch (the NDJSON the engine writes) into one record
batch of events per log type and one of rejects. The C accelerator reads that NDJSON straight into
Arrow buffers (``_fastpath.arrow_columns``: no Python object per value); ``python_columns`` is its
twin, which runs where the extension is not built and which the tests hold it to.

Arrow's timestamp[ns] holds the years 1677 to 2262; the engine writes times from year 0000 to 9999.
An event with a time outside that range cannot be a row: it becomes a ``bad_value`` reject, whose
``raw`` is the event itself (the input line is no longer known here) and whose ``line`` is 0.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
import pyarrow as pa

from .batch import Encoded
from .errors import BAD_VALUE
from .indicators import FIELD_OF
from .spec import Schema, Value

TIMESTAMP: Final = pa.timestamp("ns", tz="UTC")
NS_MIN: Final = -(1 << 63)
NS_MAX: Final = (1 << 63) - 1
TIME_RANGE: Final = "a time from 1677-09-21 00:12:43.145224192 to 2262-04-11 23:47:16.854775807 UTC"
"""What Arrow's timestamp[ns] holds, in the words of a reject."""

_SCALARS: Final[dict[str, pa.DataType]] = {
    "string": pa.string(),
    "int": pa.int32(),
    "smallint": pa.int16(),
    "bigint": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": TIMESTAMP,
    "json": pa.string(),
}


def arrow_type(value: Value) -> pa.DataType:
    """The Arrow type of a schema value."""
    if value.type == "object":
        return pa.struct([pa.field(f.name, arrow_type(f.value)) for f in value.fields])
    if value.type == "array":
        assert value.element is not None
        return pa.list_(arrow_type(value.element))
    return _SCALARS[value.type]


def _indicators(value: Value) -> Iterable[str]:
    yield from value.indicators
    for field in value.fields:
        yield from _indicators(field.value)
    if value.element is not None:
        yield from _indicators(value.element)


def events_schema(schema: Schema) -> pa.Schema:
    """The Arrow schema of a log schema's events, columns in the order events write their keys."""
    p_any = sorted({key for f in schema.fields for name in _indicators(f.value) for key in FIELD_OF[name]})
    return pa.schema(
        [
            *(pa.field(f.name, arrow_type(f.value)) for f in schema.fields),
            pa.field("p_log_type", pa.string()),
            pa.field("p_row_id", pa.string()),
            pa.field("p_event_time", TIMESTAMP),
            pa.field("p_parse_time", TIMESTAMP),
            pa.field("p_source_id", pa.string()),
            pa.field("p_source_label", pa.string()),
            *(pa.field(key, pa.list_(pa.string())) for key in p_any),
        ],
        metadata={"p_log_type": schema.name},
    )


_REFUSAL: Final = pa.struct(
    [
        pa.field("reason", pa.string()),
        pa.field("message", pa.string()),
        pa.field("field", pa.string()),
        pa.field("value", pa.string()),
        pa.field("expected", pa.string()),
        pa.field("rule", pa.string()),
        pa.field("schema", pa.string()),
    ]
)

REJECTS_SCHEMA: Final = pa.schema(
    [
        pa.field("reason", pa.string()),
        pa.field("message", pa.string()),
        pa.field("field", pa.string()),
        pa.field("value", pa.string()),
        pa.field("expected", pa.string()),
        pa.field("rule", pa.string()),
        pa.field("refusals", pa.list_(_REFUSAL)),
        pa.field("schema", pa.string()),
        pa.field("source", pa.string()),
        pa.field("source_b64", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("raw", pa.string()),
        pa.field("raw_b64", pa.string()),
    ]
)
"""The columns of a reject record (``batch.Reject.to_dict``): a line that is not UTF-8 has ``raw_b64``
instead of ``raw``, as in NDJSON."""


class Unrepresentable(ValueError):
    """Events whose times Arrow cannot hold (``rows``: their indices among the lines given)."""

    def __init__(self, rows: list[int]) -> None:
        super().__init__(f"{len(rows)} events have a time outside {TIME_RANGE}")
        self.rows = rows


# --- NDJSON → Arrow, in Python (the accelerator's twin) ------------------------------------------

Converter = Callable[[Any], Any]


def _converter(kind: pa.DataType) -> Converter | None:
    """What a decoded JSON value becomes in a column of ``kind`` (``None``: itself)."""
    if kind == TIMESTAMP:
        return _ns
    if pa.types.is_struct(kind):
        children = [(kind.field(i).name, _converter(kind.field(i).type)) for i in range(kind.num_fields)]
        if all(c is None for _, c in children):
            return None
        return lambda value: {
            name: (value[name] if convert is None or value.get(name) is None else convert(value[name]))
            for name, convert in children
            if name in value
        }
    if pa.types.is_list(kind):
        element = _converter(kind.value_type)
        if element is None:
            return None
        return lambda value: [None if item is None else element(item) for item in value]
    if kind == pa.string():
        return None
    return None


_DAYS_BEFORE_MONTH: Final = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    before = year - 1
    days = before * 365 + before // 4 - before // 100 + before // 400 - 719162
    return days + _DAYS_BEFORE_MONTH[month] + (1 if leap and month > 2 else 0) + day - 1


def _ns(text: str) -> int:
    """``YYYY-MM-DD HH:MM:SS.fffffffff`` (UTC, as the engine writes times) → epoch nanoseconds."""
    days = _days_from_civil(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    seconds = days * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
    ns = seconds * 1_000_000_000 + (int(text[20:29]) if len(text) > 19 else 0)
    if not NS_MIN <= ns <= NS_MAX:
        raise OverflowError(text)
    return ns


def python_columns(
    lines: Sequence[bytes], schema: pa.Schema, json_columns: Sequence[str] = ()
) -> pa.RecordBatch:
    """NDJSON records (one a line, no newline) → a record batch of ``schema``, in Python.

    ``json_columns`` are the top-level utf8 columns that hold a JSON value's text; in nested
    objects, a ``json`` value is found by its column type being utf8 while the value is not a string.
    Raises ``Unrepresentable`` with every row whose times Arrow cannot hold.
    """
    converters = [(f.name, _converter(f.type), f.type == pa.string()) for f in schema]
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    bad: list[int] = []
    for row, line in enumerate(lines):
        record = orjson.loads(line)
        try:
            values = [_cell(record.get(name), convert, text) for name, convert, text in converters]
        except OverflowError:
            bad.append(row)
            continue
        for (name, _, _), value in zip(converters, values, strict=True):
            columns[name].append(value)
        unknown = record.keys() - columns.keys()
        if unknown:
            raise ValueError(f"an event has keys its schema does not: {sorted(unknown)}")
    if bad:
        raise Unrepresentable(bad)
    del json_columns
    return pa.RecordBatch.from_pydict(columns, schema=schema)


def _cell(value: Any, convert: Converter | None, text: bool) -> Any:
    if value is None:
        return None
    if text and not isinstance(value, str):
        return orjson.dumps(value).decode()  # a json field: its value's JSON text
    return value if convert is None else convert(value)


# --- batches -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Converted:
    """One ``Encoded`` batch as Arrow: events by log type, rejects, and the batch as it now counts
    (events Arrow cannot hold moved to its rejects)."""

    events: dict[str, pa.RecordBatch]
    rejects: pa.RecordBatch
    encoded: Encoded


class Columnar:
    """The Arrow form of the events of ``schemas`` (a normalizer's, in its order) and of rejects."""

    def __init__(self, schemas: Sequence[Schema], *, source: str = "-") -> None:
        self.schemas = {s.name: events_schema(s) for s in schemas}
        self.source = source

    def events(self, ndjson: bytes) -> tuple[dict[str, pa.RecordBatch], list[bytes]]:
        """Event records → a batch per log type (in order of first appearance), and the records
        whose times Arrow cannot hold."""
        lines = ndjson.splitlines()
        if len(self.schemas) == 1:
            groups = {next(iter(self.schemas)): lines}
        else:
            groups = {}
            for line in lines:
                groups.setdefault(_log_type(line), []).append(line)
        batches: dict[str, pa.RecordBatch] = {}
        left_out: list[bytes] = []
        for name, group in groups.items():
            if not group:
                continue
            schema = self.schemas[name]
            try:
                batches[name] = python_columns(group, schema)
            except Unrepresentable as exc:
                rows = set(exc.rows)
                left_out += [group[i] for i in exc.rows]
                kept = [line for i, line in enumerate(group) if i not in rows]
                if kept:
                    batches[name] = python_columns(kept, schema)
        return batches, left_out

    def rejects(self, ndjson: bytes) -> pa.RecordBatch:
        """Reject records → a batch of ``REJECTS_SCHEMA``."""
        return python_columns(ndjson.splitlines(), REJECTS_SCHEMA)

    def convert(self, encoded: Encoded) -> Converted:
        """An encoded batch as Arrow record batches."""
        events, left_out = self.events(encoded.ndjson)
        if not left_out:
            return Converted(events, self.rejects(encoded.rejects), encoded)
        extra = b"".join(orjson.dumps(self._unrepresentable(line)) + b"\n" for line in left_out)
        log_types = encoded.log_types - Counter(_log_type(line) for line in left_out)
        moved = Encoded(
            encoded.ndjson,  # the NDJSON is not what is written here: the batches are
            encoded.events - len(left_out),
            encoded.rejects + extra,
            encoded.reasons + Counter({BAD_VALUE: len(left_out)}),
            encoded.skipped,
            encoded.lines,
            log_types,
            encoded.untried,
        )
        return Converted(events, self.rejects(moved.rejects), moved)

    def _unrepresentable(self, line: bytes) -> dict[str, Any]:
        event = orjson.loads(line)
        name = event["p_log_type"]
        field, value = _first_out_of_range(event, self.schemas[name])
        record: dict[str, Any] = {
            "reason": BAD_VALUE,
            "message": f"field {field!r}: {value!r} is outside what Arrow's timestamp[ns] holds",
            "field": field,
            "value": value,
            "expected": TIME_RANGE,
            "schema": name,
            "source": self.source,
            "line": 0,
        }
        try:
            record["raw"] = line.decode()
        except UnicodeDecodeError:  # pragma: no cover - the engine writes UTF-8
            record["raw_b64"] = base64.b64encode(line).decode()
        return record


def _first_out_of_range(event: dict[str, Any], schema: pa.Schema) -> tuple[str, str]:
    """The path and text of the first time of ``event`` that Arrow cannot hold."""
    found: list[tuple[str, str]] = []

    def walk(value: Any, kind: pa.DataType, path: str) -> None:
        if value is None or found:
            return
        if kind == TIMESTAMP:
            try:
                _ns(value)
            except OverflowError:
                found.append((path, value))
        elif pa.types.is_struct(kind):
            for i in range(kind.num_fields):
                child = kind.field(i)
                walk(value.get(child.name), child.type, f"{path}.{child.name}")
        elif pa.types.is_list(kind):
            for index, item in enumerate(value):
                walk(item, kind.value_type, f"{path}[{index}]")

    for f in schema:
        walk(event.get(f.name), f.type, f.name)
    return found[0] if found else ("", "")


_LOG_TYPE: Final = b'"p_log_type":"'


def _log_type(line: bytes) -> str:
    """The ``p_log_type`` of an event line: the last such key, as ``lake.partition_of_event`` reads it."""
    at = line.rindex(_LOG_TYPE) + len(_LOG_TYPE)
    return line[at : line.index(b'"', at)].decode()


__all__ = [
    "REJECTS_SCHEMA",
    "TIMESTAMP",
    "Columnar",
    "Converted",
    "Unrepresentable",
    "arrow_type",
    "events_schema",
    "python_columns",
]
