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

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
import pyarrow as pa

from .batch import Encoded, raw_field
from .errors import BAD_VALUE
from .indicators import FIELD_OF
from .spec import Schema, Value
from .values import encode_event

try:
    from . import _fastpath
except ImportError:  # built without a C compiler: the Python twin does the work
    _fastpath = None  # type: ignore[assignment]

TIMESTAMP: Final = pa.timestamp("ns", tz="UTC")
NS_MIN: Final = -(1 << 63)
NS_MAX: Final = (1 << 63) - 1
TIME_RANGE: Final = "a time from 1677-09-21 00:12:43.145224192 to 2262-04-11 23:47:16.854775807 UTC"
"""What Arrow's timestamp[ns] holds, in the words of a reject."""

JSON: Final = {b"logical": b"json"}
"""The metadata of a json field's utf8 column, which holds its value's JSON text."""

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


def arrow_field(name: str, value: Value) -> pa.Field:
    """The Arrow field of a schema value (a json value's field carries ``JSON``)."""
    return pa.field(name, arrow_type(value), metadata=JSON if value.type == "json" else None)


def arrow_type(value: Value) -> pa.DataType:
    """The Arrow type of a schema value."""
    if value.type == "object":
        return pa.struct([arrow_field(f.name, f.value) for f in value.fields])
    if value.type == "array":
        assert value.element is not None
        return pa.list_(arrow_field("item", value.element))
    return _SCALARS[value.type]


def is_json(field: pa.Field) -> bool:
    """Whether a utf8 field holds JSON text (a ``json`` value)."""
    return field.metadata == JSON


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
            *(arrow_field(f.name, f.value) for f in schema.fields),
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


_WHY: Final = [
    pa.field(name, pa.string()) for name in ("reason", "message", "field", "value", "expected", "rule")
]
"""Why a line was refused: the first columns of a reject, and of each of its refusals."""
_REFUSAL: Final = pa.struct([*_WHY, pa.field("schema", pa.string())])

REJECTS_SCHEMA: Final = pa.schema(
    [
        *_WHY,
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


def _converter(field: pa.Field) -> Converter | None:
    """What a decoded JSON value (not null) becomes in the column of ``field`` (``None``: itself)."""
    kind = field.type
    if is_json(field):
        return lambda value: encode_event(value).decode()  # any depth the reader takes
    if kind == TIMESTAMP:
        return _ns
    if pa.types.is_struct(kind):
        children = [(child.name, _converter(child)) for child in kind]
        names = {name for name, _ in children}

        def convert_object(value: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(value, dict) or value.keys() - names:
                raise ValueError(f"{value!r} does not fit {kind}")
            return {
                name: value[name] if convert is None or value[name] is None else convert(value[name])
                for name, convert in children
                if name in value
            }

        return convert_object
    if pa.types.is_list(kind):
        element = _converter(kind.value_field)

        def convert_list(value: list[Any]) -> list[Any]:
            if not isinstance(value, list):
                raise ValueError(f"{value!r} does not fit {kind}")
            return [None if item is None or element is None else element(item) for item in value]

        return convert_list
    return _checker(kind)


_INT_BOUNDS: Final = {pa.int16(): 1 << 15, pa.int32(): 1 << 31, pa.int64(): 1 << 63}


def _checker(kind: pa.DataType) -> Converter:
    """A scalar column's check: a value of another JSON type, or out of range, is a ``ValueError``."""
    bound = _INT_BOUNDS.get(kind)

    def check(value: Any) -> Any:
        if bound is not None:
            ok = type(value) is int and -bound <= value < bound
        elif kind == pa.float64():
            ok = type(value) in (int, float)
            value = float(value) if ok else value
        else:
            ok = type(value) is (bool if kind == pa.bool_() else str)
        if not ok:
            raise ValueError(f"{value!r} does not fit {kind}")
        return value

    return check


_DAYS_BEFORE_MONTH: Final = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    before = year - 1
    days = before * 365 + before // 4 - before // 100 + before // 400 - 719162
    return days + _DAYS_BEFORE_MONTH[month] + (1 if leap and month > 2 else 0) + day - 1


_TIME: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) \d\d:\d\d:\d\d(\.\d{1,9})?", re.ASCII)


def _ns(text: str) -> int:
    """``YYYY-MM-DD HH:MM:SS.fffffffff`` (UTC, as the engine writes times) → epoch nanoseconds;
    ``OverflowError`` past what int64 holds."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not a time as the engine writes them")
    days = _days_from_civil(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    seconds = days * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
    ns = seconds * 1_000_000_000 + (int(text[20:].ljust(9, "0")) if len(text) > 19 else 0)
    if not NS_MIN <= ns <= NS_MAX:
        raise OverflowError(text)
    return ns


def python_columns(lines: Sequence[bytes], schema: pa.Schema) -> pa.RecordBatch:
    """NDJSON records (one a line, no newline) → a record batch of ``schema``, in Python: the twin
    of ``_fastpath.arrow_columns``. Raises ``Unrepresentable`` with every record whose times Arrow
    cannot hold, and ``ValueError`` for a record with a key its schema lacks."""
    converters = [(f.name, _converter(f)) for f in schema]
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    bad: list[int] = []
    for row, line in enumerate(lines):
        record = orjson.loads(line)
        unknown = record.keys() - columns.keys()
        if unknown:
            raise ValueError(f"record {row} does not fit its Arrow schema: keys {sorted(unknown)}")
        try:
            values = [
                None if (value := record.get(name)) is None else value if convert is None else convert(value)
                for name, convert in converters
            ]
        except OverflowError:
            bad.append(row)
            continue
        for (name, _), value in zip(converters, values, strict=True):
            columns[name].append(value)
    if bad:
        raise Unrepresentable(bad)
    return pa.RecordBatch.from_pydict(columns, schema=schema)


# --- NDJSON → Arrow, in C ------------------------------------------------------------------------

Spec = tuple[bytes, str, tuple["Spec", ...]]


def _spec(field: pa.Field) -> Spec:
    """A column as ``_fastpath.arrow_columns`` reads it: its key as JSON writes it, kind, children."""
    key = orjson.dumps(field.name)[1:-1]
    kind = field.type
    if is_json(field):
        return (key, "json", ())
    if pa.types.is_struct(kind):
        return (key, "struct", tuple(_spec(child) for child in kind))
    if pa.types.is_list(kind):
        return (key, "list", (_spec(kind.value_field),))
    return (key, _KINDS[kind], ())


_KINDS: Final[dict[pa.DataType, str]] = {
    pa.string(): "utf8",
    pa.int32(): "int32",
    pa.int16(): "int16",
    pa.int64(): "int64",
    pa.float64(): "float64",
    pa.bool_(): "bool",
    TIMESTAMP: "timestamp",
}

Result = tuple[int, int, bytes | None, bytes | None, bytes | None, list["Result"]]


def _array(kind: pa.DataType, result: Result) -> pa.Array:
    """The Arrow array of one column's buffers, as ``_fastpath.arrow_columns`` returns them."""
    length, nulls, validity, offsets, data, children = result
    buffers = [None if validity is None else pa.py_buffer(validity)]
    nested = None
    if pa.types.is_struct(kind):
        nested = [_array(child.type, c) for child, c in zip(kind, children, strict=True)]
    elif pa.types.is_list(kind):
        buffers.append(pa.py_buffer(offsets))
        nested = [_array(kind.value_type, children[0])]
    elif offsets is not None:
        buffers += [pa.py_buffer(offsets), pa.py_buffer(data)]
    else:
        buffers.append(pa.py_buffer(data))
    return pa.Array.from_buffers(kind, length, buffers, null_count=nulls, children=nested)


def _batch(schema: pa.Schema, rows: int, columns: list[Result]) -> pa.RecordBatch:
    arrays = [_array(f.type, c) for f, c in zip(schema, columns, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema) if arrays else pa.RecordBatch.from_pylist([])


Tables = tuple[tuple[bytes, tuple[Spec, ...]], ...]


def c_tables(schemas: Sequence[pa.Schema], log_types: Sequence[str]) -> Tables:
    """The column trees ``_fastpath.arrow_columns`` reads into, per log type: built once, not per batch."""
    return tuple(
        (name.encode(), tuple(_spec(f) for f in schema))
        for name, schema in zip(log_types, schemas, strict=True)
    )


def c_columns(
    ndjson: bytes, schemas: Sequence[pa.Schema], log_types: Sequence[str], *, tables: Tables | None = None
) -> list[pa.RecordBatch]:
    """NDJSON records → a record batch per schema (each record to the schema of its ``p_log_type``
    when there are several), in C; ``tables`` is ``c_tables`` of the same, when the caller keeps it.
    Raises ``Unrepresentable`` as ``python_columns`` does."""
    assert _fastpath is not None
    if tables is None:
        tables = c_tables(schemas, log_types)
    results, out_of_range = _fastpath.arrow_columns(ndjson, tables)
    if out_of_range:
        raise Unrepresentable(out_of_range)
    return [_batch(schema, rows, root[5]) for schema, (rows, root) in zip(schemas, results, strict=True)]


_REJECTS_TABLES: Final = c_tables([REJECTS_SCHEMA], [""])


# --- batches -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Converted:
    """One ``Encoded`` batch as Arrow: events by log type, rejects, and the batch as it now counts
    (events Arrow cannot hold moved to its rejects)."""

    events: dict[str, pa.RecordBatch]
    rejects: pa.RecordBatch
    encoded: Encoded


class Columnar:
    """The Arrow form of the events of ``schemas`` (a normalizer's, in its order) and of rejects.

    ``accelerated=False`` keeps the conversion in Python (``python_columns``), for comparison.
    """

    def __init__(self, schemas: Sequence[Schema], *, source: str = "-", accelerated: bool = True) -> None:
        self.schemas = {s.name: events_schema(s) for s in schemas}
        self.source = source
        self.accelerated = accelerated and _fastpath is not None
        self._tables = c_tables(list(self.schemas.values()), list(self.schemas)) if self.accelerated else ()

    def events(self, ndjson: bytes) -> tuple[dict[str, pa.RecordBatch], list[bytes]]:
        """Event records → a batch per log type that has events (in the schemas' order), and the
        records whose times Arrow cannot hold, left out of the batches."""
        left_out: list[bytes] = []
        try:
            batches = self._columns(ndjson)
        except Unrepresentable as exc:
            lines = ndjson.splitlines()
            rows = set(exc.rows)
            left_out = [lines[i] for i in exc.rows]
            kept = [line for i, line in enumerate(lines) if i not in rows]
            batches = self._columns(b"".join(line + b"\n" for line in kept))
        return {name: batch for name, batch in batches.items() if batch.num_rows}, left_out

    def _columns(self, ndjson: bytes) -> dict[str, pa.RecordBatch]:
        names = list(self.schemas)
        if self.accelerated:
            batches = c_columns(ndjson, list(self.schemas.values()), names, tables=self._tables)
            return dict(zip(names, batches, strict=True))
        lines = ndjson.splitlines()
        if len(names) == 1:
            return {names[0]: python_columns(lines, self.schemas[names[0]])}
        groups: dict[str, list[bytes]] = {name: [] for name in names}
        rows: dict[str, list[int]] = {name: [] for name in names}
        for index, line in enumerate(lines):
            name = _log_type(line)
            groups[name].append(line)
            rows[name].append(index)
        batches = {}
        for name in names:
            try:
                batches[name] = python_columns(groups[name], self.schemas[name])
            except Unrepresentable as exc:  # as indices into all the lines, as C gives them
                raise Unrepresentable(sorted(rows[name][i] for i in exc.rows)) from None
        return batches

    def rejects(self, ndjson: bytes) -> pa.RecordBatch:
        """Reject records → a batch of ``REJECTS_SCHEMA``."""
        if self.accelerated:
            return c_columns(ndjson, [REJECTS_SCHEMA], [""], tables=_REJECTS_TABLES)[0]
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
            **raw_field(line),  # the engine writes UTF-8: raw
        }
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
