"""engine.spark on a real local Spark: the events and rejects of the CLI, times to the nanosecond,
several schemas on one feed, custom schemas on the executors, partitions and null rows, errors."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import spark_partition_id

from engine.columnar import TIMESTAMP, events_schema
from engine.errors import NormalizeError
from engine.registry import Registry, search_path
from engine.spark import layout, normalize_dataframe
from tests.test_columnar import SAMPLES, _drop_nulls, as_data

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parent.parent
NORMALIZE = str(Path(sys.executable).with_name("normalize"))
VOLATILE = ("p_row_id", "p_parse_time")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def heroku(timestamp: str, message: str = "up") -> str:
    return f"83 <40>1 {timestamp} host app web.3 - {message}"


def cli(inputs: Path, names: list[str], out: Path, *options: str) -> tuple[list[dict], list[dict]]:
    """Events and rejects of ``normalize -s NAME ... inputs -o ... --rejects ...``."""
    events, rejects = out / "events.ndjson", out / "rejects.ndjson"
    schemas = [arg for name in names for arg in ("-s", name)]
    command = [NORMALIZE, *schemas, *options, str(inputs), "-o", str(events), "--rejects", str(rejects)]
    subprocess.run([*command, "--quiet"], check=True, capture_output=True)
    return [orjson.loads(line) for line in events.read_bytes().splitlines()], [
        orjson.loads(line) for line in rejects.read_bytes().splitlines()
    ]


def expected_events(events: list[dict], folders: list[Path]) -> list[dict]:
    """NDJSON events as data (``test_columnar.as_data``: times as epoch ns), grouped by log type."""
    registry = Registry(search_path(folders))
    arrow = {name: events_schema(registry.load(name)) for name in {e["p_log_type"] for e in events}}
    return _by_log_type([_drop_nulls(as_data(e, arrow[e["p_log_type"]])) for e in events])


def spark_events(events: DataFrame, columns: pa.Schema) -> list[dict]:
    """A Spark events DataFrame as the same data: each time read from its ``_ns`` companion (and its
    microseconds checked against it), the companions and nulls left out."""
    kind = pa.struct(list(columns))
    return _by_log_type([_data(row, kind, None) for row in events.toArrow().to_pylist()])


def _data(value: Any, kind: pa.DataType, ns: Any) -> Any:
    if value is None:
        return None
    if kind == TIMESTAMP:
        assert value.tzinfo is not None
        assert (value - EPOCH) // timedelta(microseconds=1) == ns // 1000  # floored, UTC
        return ns
    if pa.types.is_list(kind):
        return [
            _data(item, kind.value_type, n) for item, n in zip(value, ns or [None] * len(value), strict=True)
        ]
    if pa.types.is_struct(kind):
        children = ((f.name, _data(value.get(f.name), f.type, value.get(f"{f.name}_ns"))) for f in kind)
        return {name: data for name, data in children if data is not None}
    return value


def _by_log_type(events: list[dict]) -> list[dict]:
    """Events grouped by log type, in their order within each (a batch holds one log type)."""
    return _stable(sorted(events, key=lambda event: event["p_log_type"]))


def _stable(events: list[dict]) -> list[dict]:
    """Events without what differs from run to run: ``p_row_id``, ``p_parse_time``, and
    ``p_event_time`` where it is the parse time (no event time in the line)."""
    return [
        {
            k: v
            for k, v in event.items()
            if k not in VOLATILE and not (k == "p_event_time" and v == event["p_parse_time"])
        }
        for event in events
    ]


def spark_rejects(rejects: DataFrame) -> list[dict]:
    return [_drop_nulls(row) for row in rejects.toArrow().to_pylist()]


def without_source(rejects: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "source"} for r in rejects]


def assert_as_cli(
    spark: SparkSession, path: Path, names: list[str], tmp_path: Path, folders: list[Path] = ()
) -> tuple[list[dict], list[dict]]:
    """``spark.read.text(path)`` (one partition) through ``normalize_dataframe`` gives the CLI's
    events and rejects; returns them. Events are compared grouped by log type, the order the one
    Arrow batch of so small an input comes out in."""
    options = [arg for folder in folders for arg in ("--schemas", str(folder))]
    cli_events, cli_rejects = cli(path, names, tmp_path, *options)
    df = spark.read.text(str(path))
    assert df.rdd.getNumPartitions() == 1
    events, rejects = normalize_dataframe(df, names, schema_dirs=folders)
    columns = layout(Registry(search_path(folders)).load_all(names)).columns
    got_events, got_rejects = spark_events(events, columns), spark_rejects(rejects)
    assert got_events == expected_events(cli_events, list(folders))
    assert without_source(got_rejects) == without_source(cli_rejects)
    assert {r["source"] for r in got_rejects} <= {"0"}
    return got_events, got_rejects


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_bundled_sample_gives_the_events_and_rejects_of_the_cli(
    spark: SparkSession, name: str, tmp_path: Path
) -> None:
    events, _ = assert_as_cli(spark, ROOT / SAMPLES[name], [name], tmp_path)
    assert events


@pytest.mark.parametrize(
    ("timestamp", "ns", "text"),
    [
        ("2024-03-15T03:00:01.123456789-07:00", 1710496801123456789, "2024-03-15 10:00:01.123456"),
        ("1969-12-31T23:59:59.999999999Z", -1, "1969-12-31 23:59:59.999999"),
        ("1970-01-01T00:00:00.000000999Z", 999, "1970-01-01 00:00:00"),
    ],
)
def test_times_keep_their_nanoseconds_and_are_utc_microseconds_in_spark(
    spark: SparkSession, timestamp: str, ns: int, text: str
) -> None:
    df = spark.createDataFrame([(heroku(timestamp),)], "value string")
    events, rejects = normalize_dataframe(df, "Heroku.Runtime")
    row = events.selectExpr(
        "timestamp_ns",
        "p_event_time_ns",
        "unix_micros(timestamp) AS micros",
        "CAST(timestamp AS STRING) AS text",
    ).collect()
    assert [tuple(r) for r in row] == [(ns, ns, ns // 1000, text)]
    assert rejects.count() == 0


def test_a_session_time_zone_other_than_utc_shows_the_same_instants_in_its_zone(spark: SparkSession) -> None:
    df = spark.createDataFrame([(heroku("2024-03-15T03:00:01.123456789-07:00"),)], "value string")
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        events, _ = normalize_dataframe(df, "Heroku.Runtime")
        row = events.selectExpr("unix_micros(timestamp)", "CAST(timestamp AS STRING)", "timestamp_ns").first()
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert tuple(row) == (1710496801123456, "2024-03-15 03:00:01.123456", 1710496801123456789)


def test_several_schemas_classify_as_the_cli_does_into_one_dataframe(
    spark: SparkSession, tmp_path: Path
) -> None:
    heroku_lines = (ROOT / SAMPLES["Heroku.Runtime"]).read_text().splitlines()
    apache_lines = (ROOT / SAMPLES["Apache.AccessCombined"]).read_text().splitlines()
    mixed = [line for pair in zip(heroku_lines, apache_lines, strict=False) for line in pair]
    mixed += heroku_lines[len(apache_lines) :]
    path = tmp_path / "mixed.log"
    path.write_text("\n".join(mixed) + "\n")
    names = ["Apache.AccessCombined", "Heroku.Runtime"]
    events, rejects = assert_as_cli(spark, path, names, tmp_path)
    types = [e["p_log_type"] for e in events]
    assert (types.count("Apache.AccessCombined"), types.count("Heroku.Runtime")) == (7, 21)
    assert {r["reason"] for r in rejects} == {"no_match"}
    assert all(len(r["refusals"]) == 2 for r in rejects)


def test_a_glob_names_the_schemas_it_matches_as_on_the_cli(spark: SparkSession, tmp_path: Path) -> None:
    lines = [(ROOT / SAMPLES[name]).read_text() for name in ("Syslog.RFC5424", "Syslog.RFC3164")]
    path = tmp_path / "syslog.log"
    path.write_text("".join(lines))
    events, _ = assert_as_cli(spark, path, ["Syslog.*"], tmp_path)
    assert {e["p_log_type"] for e in events} == {"Syslog.RFC3164", "Syslog.RFC5424"}


NESTED = """\
    schema: Custom.Nested
    fields:
      - {name: at, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: times, type: array, element: {type: timestamp, timeFormats: [unix_ns]}}
      - name: inner
        type: object
        fields:
          - {name: when, type: timestamp, timeFormats: [rfc3339]}
          - {name: code, type: int}
      - name: spans
        type: array
        element:
          type: object
          fields:
            - {name: start, type: timestamp, timeFormats: [rfc3339]}
"""


def test_a_custom_schema_travels_to_the_executors_with_companions_in_structs_and_arrays(
    spark: SparkSession, tmp_path: Path
) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "nested.yml").write_text(textwrap.dedent(NESTED))
    lines = [
        '{"at": "2024-03-15T10:00:00.000000001Z", "times": ["1", null, "-1"], '
        '"inner": {"when": "1969-12-31T23:59:59.5Z", "code": 7}, '
        '"spans": [{"start": "2024-03-15T10:00:00.123456789Z"}, {}]}',
        '{"at": "2024-03-15T10:00:00Z", "inner": {"code": "x"}}',
    ]
    path = tmp_path / "nested.log"
    path.write_text("\n".join(lines) + "\n")
    assert_as_cli(spark, path, ["Custom.Nested"], tmp_path, [folder])
    events, rejects = normalize_dataframe(spark.read.text(str(path)), "Custom.Nested", schema_dirs=[folder])
    shutil.rmtree(folder)  # the executors get the schema with the task, not from the folder
    got = events.selectExpr(
        "at_ns", "times_ns", "inner.when_ns", "transform(spans, s -> s.start_ns) AS starts"
    ).collect()
    assert [tuple(r) for r in got] == [
        (1710496800000000001, [1, None, -1], -500000000, [1710496800123456789, None])
    ]
    assert [(r.reason, r.field, r.line, r.source) for r in rejects.collect()] == [
        ("bad_value", "inner.code", 2, "0")
    ]


def test_partitions_and_null_rows_every_row_is_an_event_a_reject_or_a_blank(spark: SparkSession) -> None:
    rows = [
        heroku("2024-03-15T10:00:00Z"),
        None,
        "not a heroku line",
        "",
        heroku("2024-03-15T10:00:01Z"),
        "   ",
        None,
        heroku("2024-03-15T10:00:02Z", "two\nlines"),
        heroku("2024-03-15T10:00:03Z", "carriage return\r"),
        "83 <4x>1 2024-03-15T10:00:04Z host app web.3 - bad",
        heroku("2024-03-15T10:00:05Z"),
        None,
    ]
    rdd = spark.sparkContext.parallelize([(row,) for row in rows], 3)
    df = spark.createDataFrame(rdd, "value string").withColumn("partition", spark_partition_id())
    placed: dict[int, list[str | None]] = {}
    for row in df.collect():
        placed.setdefault(row.partition, []).append(row.value)
    assert len(placed) == 3
    where = {
        (str(partition), line): value
        for partition, values in placed.items()
        for line, value in enumerate(values, 1)
    }
    events, rejects = normalize_dataframe(df, "Heroku.Runtime")
    messages = sorted(r.message for r in events.select("message").collect())
    assert messages == ["carriage return\r", "two\nlines", "up", "up", "up"]
    got = [(r.source, r.line, r.raw, r.reason) for r in rejects.collect()]
    assert sorted(got) == sorted(
        (source, line, value, "bad_value" if "<4x>" in value else "no_match")
        for (source, line), value in where.items()
        if value in ("not a heroku line", "83 <4x>1 2024-03-15T10:00:04Z host app web.3 - bad")
    )
    blanks = sum(1 for row in rows if row is None or not row.strip())
    assert events.count() + rejects.count() + blanks == len(rows) == df.count()


def test_a_binary_column_keeps_bytes_that_are_not_utf8(spark: SparkSession) -> None:
    raw = heroku("2024-03-15T10:00:00Z", "caf\xe9").encode("latin-1")
    df = spark.createDataFrame([(bytearray(raw),), (bytearray(b""),)], "line binary")
    events, rejects = normalize_dataframe(df, "Heroku.Runtime", column="line")
    assert events.count() == 0
    assert [(r.reason, r.raw, r.raw_b64, r.line) for r in rejects.collect()] == [
        ("invalid_utf8", None, base64.b64encode(raw).decode(), 1)
    ]


TIME = "{name: a, type: timestamp, timeFormats: [unix]}"


def custom(name: str, *fields: str) -> str:
    """A fastmatch schema reading fields ``a`` and ``b``, whose fields are the flow mappings given."""
    listed = "".join(f"  - {f}\n" for f in fields)
    return f"schema: {name}\nparser: {{fastmatch: {{match: ['%{{a}} %{{b}}']}}}}\nfields:\n{listed}"


NESTED_TAKEN = (
    "schema: Custom.F\nfields:\n  - name: inner\n    type: object\n"
    f"    fields: [{TIME}, {{name: a_ns, type: bigint}}]\n"
)


@pytest.mark.parametrize(
    ("files", "names", "column", "error", "message"),
    [
        ({}, ["Nope.Nothing"], "value", NormalizeError, "unknown schema 'Nope.Nothing'"),
        (
            {},
            ["Heroku.Runtime"],
            "line",
            ValueError,
            "the DataFrame has no column 'line' (its columns: value)",
        ),
        (
            {
                "a.yml": custom("Custom.A", "{name: a, type: int}", "{name: b, type: string}"),
                "b.yml": custom("Custom.B", "{name: a, type: string}", "{name: b, type: string}"),
            },
            ["Custom.A", "Custom.B"],
            "value",
            ValueError,
            "column 'a' is int32 in Custom.A but string in Custom.B: one events DataFrame cannot hold "
            "both; normalize them separately",
        ),
        (
            {"c.yml": custom("Custom.C", TIME, "{name: a_ns, type: bigint}")},
            ["Custom.C"],
            "value",
            ValueError,
            "schema Custom.C has a field 'a_ns', the name of the nanoseconds column of its timestamp 'a': "
            "rename one of them",
        ),
        (
            {
                "d.yml": custom("Custom.D", TIME, "{name: b, type: string}"),
                "e.yml": custom("Custom.E", "{name: a_ns, type: bigint}", "{name: b, type: string}"),
            },
            ["Custom.D", "Custom.E"],
            "value",
            ValueError,
            "column 'a_ns' is the nanoseconds of a timestamp (int64) in Custom.D but int64 in Custom.E: "
            "one events DataFrame cannot hold both; normalize them separately",
        ),
        (
            {"f.yml": NESTED_TAKEN},
            ["Custom.F"],
            "value",
            ValueError,
            "field 'inner' of schema Custom.F has a field 'a_ns', the name of the nanoseconds column of its "
            "timestamp 'a': rename one of them",
        ),
    ],
    ids=[
        "unknown schema",
        "missing column",
        "union conflict",
        "companion name taken",
        "companion across",
        "companion in a struct",
    ],
)
def test_errors_are_raised_on_the_driver_before_any_job(
    spark: SparkSession,
    tmp_path: Path,
    files: dict[str, str],
    names: list[str],
    column: str,
    error: type[Exception],
    message: str,
) -> None:
    for file, text in files.items():
        (tmp_path / file).write_text(text)
    df = spark.createDataFrame([("x",)], "value string")
    with pytest.raises(error) as raised:
        normalize_dataframe(df, names, column=column, schema_dirs=[tmp_path])
    assert str(raised.value).startswith(message)


def test_a_column_that_does_not_hold_lines_is_an_error(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,)], "value int")
    with pytest.raises(ValueError, match=r"^column 'value' holds integer, not lines \(string or binary\)$"):
        normalize_dataframe(df, "Heroku.Runtime")
