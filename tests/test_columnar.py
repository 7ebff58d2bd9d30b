"""engine.columnar: the Arrow schema of each log schema, and NDJSON events and rejects as Arrow batches
holding the same data (times to the nanosecond)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.columnar import (
    REJECTS_SCHEMA,
    TIMESTAMP,
    Columnar,
    Unrepresentable,
    arrow_field,
    arrow_type,
    c_columns,
    events_schema,
    is_json,
    python_columns,
)
from engine.normalizer import Normalizer
from engine.registry import Registry, search_path
from engine.spec import Field, Value

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "Heroku.Runtime": "schemas/Heroku/sample.log",
    "Heroku.CLI": "schemas/Heroku/CLI.sample.log",
    "Heroku.Router": "schemas/Heroku/Router.sample.log",
    "AWS.CloudTrail": "schemas/AWS/CloudTrail.sample.log",
    "AWS.VPCFlow": "schemas/AWS/VPCFlow.sample.log",
    "Apache.AccessCombined": "schemas/Apache/sample.log",
    "Nginx.Access": "schemas/Nginx/sample.log",
    "Syslog.RFC3164": "schemas/Syslog/RFC3164.sample.log",
    "Syslog.RFC5424": "schemas/Syslog/RFC5424.sample.log",
}
REGISTRY = Registry(search_path([]))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Value("string"), pa.string()),
        (Value("int"), pa.int32()),
        (Value("smallint"), pa.int16()),
        (Value("bigint"), pa.int64()),
        (Value("float"), pa.float64()),
        (Value("boolean"), pa.bool_()),
        (Value("timestamp"), pa.timestamp("ns", tz="UTC")),
        (Value("json"), pa.string()),
        (Value("array", element=Value("int")), pa.list_(pa.int32())),
        (
            Value(
                "object",
                fields=(Field("a", Value("timestamp")), Field("b", Value("array", element=Value("json")))),
            ),
            pa.struct([("a", TIMESTAMP), ("b", pa.list_(pa.string()))]),
        ),
    ],
)
def test_arrow_type(value: Value, expected: pa.DataType) -> None:
    assert arrow_type(value) == expected


def test_events_schema_has_the_p_fields_and_the_p_any_lists_its_indicators_feed() -> None:
    schema = events_schema(REGISTRY.load("Apache.AccessCombined"))
    assert schema.names[-9:] == [
        "p_log_type",
        "p_row_id",
        "p_event_time",
        "p_parse_time",
        "p_source_id",
        "p_source_label",
        "p_any_domain_names",
        "p_any_ip_addresses",
        "p_any_usernames",
    ]
    assert schema.field("p_event_time").type == TIMESTAMP
    assert schema.field("p_any_ip_addresses").type == pa.list_(pa.string())
    assert schema.metadata == {b"p_log_type": b"Apache.AccessCombined"}


def plain(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    """A batch as Python rows: times as epoch nanoseconds, absent values left out."""
    rows = batch.cast(pa.schema([f.with_type(_ints(f.type)) for f in batch.schema])).to_pylist()
    return [_drop_nulls(row) for row in rows]


def _ints(kind: pa.DataType) -> pa.DataType:
    if kind == TIMESTAMP:
        return pa.int64()
    if pa.types.is_struct(kind):
        return pa.struct([kind.field(i).with_type(_ints(kind.field(i).type)) for i in range(kind.num_fields)])
    if pa.types.is_list(kind):
        return pa.list_(_ints(kind.value_type))
    return kind


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def as_data(event: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """An NDJSON event as the same Python rows: times as epoch nanoseconds, json values as text."""
    return {f.name: _value(event[f.name], f.type) for f in schema if f.name in event}


def _value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if kind == TIMESTAMP:
        return pa.array([value]).cast(pa.timestamp("ns")).cast(pa.int64())[0].as_py()  # Arrow parses it
    if pa.types.is_struct(kind):
        return {
            kind.field(i).name: _value(value[kind.field(i).name], kind.field(i).type)
            for i in range(kind.num_fields)
            if kind.field(i).name in value
        }
    if pa.types.is_list(kind):
        return [_value(v, kind.value_type) for v in value]
    if kind == pa.string() and not isinstance(value, str):
        return orjson.dumps(value).decode()
    return value


@pytest.mark.parametrize("accelerated", [True, False], ids=["c", "python"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_bundled_sample_as_arrow_holds_the_events_and_rejects_of_its_ndjson(
    name: str, accelerated: bool
) -> None:
    schema = REGISTRY.load(name)
    encoded = Normalizer(schema).encode_block((ROOT / SAMPLES[name]).read_bytes(), source="sample.log")
    converted = Columnar([schema], accelerated=accelerated).convert(encoded)
    assert converted.encoded is encoded
    assert list(converted.events) == [name]
    arrow = events_schema(schema)
    events = [orjson.loads(line) for line in encoded.ndjson.splitlines()]
    assert plain(converted.events[name]) == [as_data(e, arrow) for e in events]
    assert converted.rejects.schema == REJECTS_SCHEMA
    assert _drop_nulls(converted.rejects.to_pylist()) == encoded.reject_records()


def heroku(timestamp: str) -> bytes:
    return f"83 <40>1 {timestamp} host app web.3 - up\n".encode()


def test_a_time_keeps_its_nanoseconds() -> None:
    schema = REGISTRY.load("Heroku.Runtime")
    encoded = Normalizer(schema).encode_block(heroku("2024-03-15T03:00:01.123456789-07:00"))
    batch = Columnar([schema]).convert(encoded).events["Heroku.Runtime"]
    assert batch.column("timestamp").cast(pa.int64()).to_pylist() == [1710496801123456789]
    assert batch.column("p_event_time").type == TIMESTAMP


@pytest.mark.parametrize("accelerated", [True, False], ids=["c", "python"])
def test_an_event_whose_time_arrow_cannot_hold_becomes_a_bad_value_reject(accelerated: bool) -> None:
    schema = REGISTRY.load("Heroku.Runtime")
    block = heroku("2024-03-15T03:00:01Z") + heroku("2263-01-01T00:00:00Z") + heroku("1024-01-01T00:00:00Z")
    encoded = Normalizer(schema).encode_block(block, source="in.log")
    assert (encoded.events, encoded.rejected) == (3, 0)
    converted = Columnar([schema], source="in.log", accelerated=accelerated).convert(encoded)
    assert converted.events["Heroku.Runtime"].num_rows == 1
    assert (converted.encoded.events, converted.encoded.rejected) == (1, 2)
    assert converted.encoded.reasons == {"bad_value": 2}
    assert converted.encoded.log_types == {"Heroku.Runtime": 1}
    rejects = converted.rejects.to_pylist()
    assert [(r["reason"], r["field"], r["value"], r["line"], r["source"]) for r in rejects] == [
        ("bad_value", "timestamp", "2263-01-01 00:00:00.000000000", 0, "in.log"),
        ("bad_value", "timestamp", "1024-01-01 00:00:00.000000000", 0, "in.log"),
    ]
    assert rejects[0]["message"] == (
        "field 'timestamp': '2263-01-01 00:00:00.000000000' is outside what Arrow's timestamp[ns] holds"
    )
    assert orjson.loads(rejects[0]["raw"])["timestamp"] == "2263-01-01 00:00:00.000000000"


@pytest.mark.parametrize("accelerated", [True, False], ids=["c", "python"])
def test_several_schemas_give_a_batch_per_log_type(accelerated: bool) -> None:
    schemas = [REGISTRY.load("Apache.AccessCombined"), REGISTRY.load("Heroku.Runtime")]
    block = (ROOT / SAMPLES["Heroku.Runtime"]).read_bytes() + (
        ROOT / SAMPLES["Apache.AccessCombined"]
    ).read_bytes()
    encoded = Normalizer(schemas).encode_block(block)
    converted = Columnar(schemas, accelerated=accelerated).convert(encoded)
    counts = {name: batch.num_rows for name, batch in converted.events.items()}
    assert counts == dict(encoded.log_types)
    assert sum(counts.values()) == encoded.events


# --- the C reader against its Python twin ---------------------------------------------------------

SCALAR_TYPES = ("string", "int", "smallint", "bigint", "float", "boolean", "timestamp", "json")
NS_EDGES = [
    "1677-09-21 00:12:43.145224192",  # the first instant timestamp[ns] holds
    "1677-09-21 00:12:43.145224191",
    "1677-09-21 00:12:43.999999999",
    "2262-04-11 23:47:16.854775807",  # the last
    "2262-04-11 23:47:16.854775808",
    "0000-01-01 00:00:00.000000000",
    "9999-12-31 23:59:59.999999999",
    "1970-01-01 00:00:00.000000000",
    "1969-12-31 23:59:59.999999999",
    "2000-02-29 12:00:00.000000001",
    "1900-03-01 00:00:00.500000000",
]
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ['"', "\\", "\\u0000", "]", "}", ",", "\x00\x1f\x7f", "\u2028", "é😀", '{"a":[1,"]"]}', ""]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=8,
)


def values(depth: int = 0) -> st.SearchStrategy[Value]:
    scalars = st.sampled_from(SCALAR_TYPES).map(Value)
    if depth >= 2:
        return scalars
    names = st.lists(TEXTS.filter(bool), min_size=1, max_size=4, unique=True)
    objects = names.flatmap(
        lambda keys: st.tuples(*[values(depth + 1) for _ in keys]).map(
            lambda vs: Value("object", fields=tuple(Field(k, v) for k, v in zip(keys, vs, strict=True)))
        )
    )
    arrays = values(depth + 1).map(lambda v: Value("array", element=v))
    return st.one_of(scalars, scalars, objects, arrays)


def _engine_time(d: datetime) -> str:
    """A datetime as the engine writes times (nanoseconds: three more digits)."""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d:%H:%M:%S}.{d.microsecond:06d}123"


def instance(value: Value) -> st.SearchStrategy[Any]:
    """A value the engine could write for ``value`` (absent members left out, null array items)."""
    kind = value.type
    if kind == "object":
        members = [st.tuples(st.just(f.name), instance(f.value)) for f in value.fields]
        return st.tuples(*[st.one_of(st.none(), m) for m in members]).map(
            lambda pairs: {p[0]: p[1] for p in pairs if p is not None}
        )
    if kind == "array":
        assert value.element is not None
        return st.lists(st.one_of(st.none(), instance(value.element)), max_size=4)
    return {
        "string": TEXTS,
        "int": st.integers(-(2**31), 2**31 - 1),
        "smallint": st.integers(-(2**15), 2**15 - 1),
        "bigint": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(allow_nan=False, allow_infinity=False),
        "boolean": st.booleans(),
        "timestamp": st.sampled_from(NS_EDGES) | st.datetimes().map(_engine_time),
        "json": JSON_VALUES.filter(lambda v: v is not None),
    }[kind]


@st.composite
def tables(draw: st.DrawFn) -> tuple[pa.Schema, list[bytes]]:
    keys = draw(st.lists(TEXTS.filter(bool), min_size=1, max_size=5, unique=True))
    fields = tuple(Field(k, draw(values())) for k in keys)
    schema = pa.schema([arrow_field(f.name, f.value) for f in fields])
    top = Value("object", fields=fields)
    rows = draw(st.lists(instance(top), max_size=6))
    return schema, [orjson.dumps(row) for row in rows]


def twins(lines: list[bytes], schema: pa.Schema) -> tuple[Any, Any]:
    """What the C reader and the Python twin make of the same lines: a batch, or the rows out of range."""
    answers = []
    for read in (
        lambda: c_columns(b"".join(line + b"\n" for line in lines), [schema], ["T"])[0],
        lambda: python_columns(lines, schema),
    ):
        try:
            answers.append(read())
        except Unrepresentable as exc:
            answers.append(exc.rows)
    return answers[0], answers[1]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_the_c_reader_builds_the_batch_its_python_twin_builds(table: tuple[pa.Schema, list[bytes]]) -> None:
    schema, lines = table
    c, python = twins(lines, schema)
    assert same(c, python)


@pytest.mark.parametrize("depth", [1, 254, 255, 600, 1000])
def test_a_json_value_of_any_depth_the_reader_takes(depth: int) -> None:
    """A json column past orjson's 254 levels: the twin wrote it with orjson and crashed (a
    TypeError out of a Parquet run on the reference reader); now both give the value."""
    schema = pa.schema([arrow_field("j", Value("json"))])
    lines = [b'{"j":' + b"[" * depth + b'{"a":1.5}' + b"]" * depth + b"}"]
    c, python = twins(lines, schema)
    assert isinstance(python, pa.RecordBatch) and same(c, python)
    assert python.column("j")[0].as_py() == lines[0][5:-1].decode()


def same(c: Any, python: Any) -> bool:
    """Whether the C reader's answer is the twin's: the same rows out of range, or the same batch,
    json values compared as JSON (C keeps the text as written; the twin writes it as orjson does)."""
    if isinstance(python, list) or not isinstance(c, pa.RecordBatch):
        return c == python
    return c.equals(python) or _parsed(plain(c), c.schema) == _parsed(plain(python), python.schema)


def _parsed(rows: list[dict[str, Any]], schema: pa.Schema) -> list[dict[str, Any]]:
    def walk(value: Any, field: pa.Field) -> Any:
        if value is None:
            return None
        if is_json(field):
            return orjson.loads(value)
        if pa.types.is_struct(field.type):
            return {f.name: walk(value[f.name], f) for f in field.type if f.name in value}
        if pa.types.is_list(field.type):
            return [walk(v, field.type.value_field) for v in value]
        return value

    return [{f.name: walk(row[f.name], f) for f in schema if f.name in row} for row in rows]


def mutations(line: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``line`` with one byte changed, inserted or removed, ``count`` times over."""
    out = []
    alphabet = b'"\\{}[],:0123456789.-enul tf \x00\xff\xc3'
    for _ in range(count):
        at = rng.randrange(len(line) + 1)
        op = rng.randrange(3)
        byte = bytes([rng.choice(alphabet)])
        if op == 0 and at < len(line):
            out.append(line[:at] + byte + line[at + 1 :])
        elif op == 1:
            out.append(line[:at] + byte + line[at:])
        else:
            out.append(line[:at] + line[at + 1 :])
    return out


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_mutated_events_give_the_twins_batch_or_an_error_never_a_crash(name: str) -> None:
    """Byte by byte: where the Python twin builds a batch C builds the same; where the twin cannot
    read a line, C refuses it too or reads it as JSON would (it never crashes either way)."""
    schema = REGISTRY.load(name)
    arrow = events_schema(schema)
    encoded = Normalizer(schema).encode_block((ROOT / SAMPLES[name]).read_bytes())
    rng = random.Random(name)
    agreed = 0
    for line in encoded.ndjson.splitlines():
        for mutated in mutations(line, rng, 300):
            try:
                python = python_columns([mutated], arrow)
            except (
                ValueError,
                TypeError,
                pa.ArrowException,
                orjson.JSONDecodeError,
                KeyError,
                OverflowError,
            ):
                python = None
            try:
                c = c_columns(mutated + b"\n", [arrow], [name])[0]
            except Unrepresentable as exc:
                c = exc.rows
            except ValueError:
                c = None
            if isinstance(python, pa.RecordBatch):
                assert same(c, python), mutated
                agreed += 1
    assert agreed > 100  # the mutations reach valid lines with changed values, not only broken ones
