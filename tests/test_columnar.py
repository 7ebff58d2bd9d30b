"""engine.columnar: the Arrow schema of each log schema, and NDJSON events and rejects as Arrow batches
holding the same data (times to the nanosecond)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from engine.columnar import REJECTS_SCHEMA, TIMESTAMP, Columnar, arrow_type, events_schema
from engine.normalizer import Normalizer
from engine.registry import Registry, search_path
from engine.spec import Field, Value

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "Heroku.Runtime": "schemas/Heroku/sample.log",
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


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_bundled_sample_as_arrow_holds_the_events_and_rejects_of_its_ndjson(name: str) -> None:
    schema = REGISTRY.load(name)
    encoded = Normalizer(schema).encode_block((ROOT / SAMPLES[name]).read_bytes(), source="sample.log")
    converted = Columnar([schema]).convert(encoded)
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


def test_an_event_whose_time_arrow_cannot_hold_becomes_a_bad_value_reject() -> None:
    schema = REGISTRY.load("Heroku.Runtime")
    block = heroku("2024-03-15T03:00:01Z") + heroku("2263-01-01T00:00:00Z") + heroku("1024-01-01T00:00:00Z")
    encoded = Normalizer(schema).encode_block(block, source="in.log")
    assert (encoded.events, encoded.rejected) == (3, 0)
    converted = Columnar([schema], source="in.log").convert(encoded)
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


def test_several_schemas_give_a_batch_per_log_type() -> None:
    schemas = [REGISTRY.load("Apache.AccessCombined"), REGISTRY.load("Heroku.Runtime")]
    block = (ROOT / SAMPLES["Heroku.Runtime"]).read_bytes() + (
        ROOT / SAMPLES["Apache.AccessCombined"]
    ).read_bytes()
    encoded = Normalizer(schemas).encode_block(block)
    converted = Columnar(schemas).convert(encoded)
    counts = {name: batch.num_rows for name, batch in converted.events.items()}
    assert counts == dict(encoded.log_types)
    assert sum(counts.values()) == encoded.events
