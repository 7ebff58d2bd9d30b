"""The batch API on schemas written in the tests (not Heroku): the engine is generic."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Batch, Normalizer, Registry, search_path

from .conftest import stable

# A drop-in schema for a made-up access log: fastmatch with a quoted field, strftime time with an
# offset, several types, several indicators. Nothing in the engine knows it.
ACCESS = """
    schema: Custom.Acme.Access
    description: Acme gateway access log.
    parser:
      fastmatch:
        emptyValues: ['-']
        match:
          - '%{client} %{user} [%{time}] "%{request}" %{status} %{size} %{ratio} %{cached} %{digest}'
    fields:
      - name: client
        type: string
        indicators: [ip]
      - name: user
        type: string
        indicators: [username, email]
      - name: time
        type: timestamp
        timeFormat: '%d/%b/%Y:%H:%M:%S %z'
        isEventTime: true
      - name: request
        type: string
      - name: status
        type: smallint
      - name: size
        type: bigint
      - name: ratio
        type: float
      - name: cached
        type: boolean
      - name: digest
        type: string
        indicators: [md5]
"""

LINE = (
    '10.0.0.7 bob@example.com [10/Oct/2000:13:55:36 -0700] "GET /a \\"b\\" HTTP/1.1" 200 2326 0.25 true '
    "D41D8CD98F00B204E9800998ECF8427E"
)


def test_drop_in_schema_event(normalize: Callable[..., Batch]) -> None:
    batch = normalize(ACCESS, [LINE], source_id="src-1", source_label="gateway")
    assert batch.rejects == []
    (event,) = batch.events
    assert list(event) == [
        "client",
        "user",
        "time",
        "request",
        "status",
        "size",
        "ratio",
        "cached",
        "digest",
        "p_log_type",
        "p_row_id",
        "p_event_time",
        "p_parse_time",
        "p_source_id",
        "p_source_label",
        "p_any_emails",
        "p_any_ip_addresses",
        "p_any_md5_hashes",
        "p_any_usernames",
    ]
    assert stable(event) == {
        "client": "10.0.0.7",
        "user": "bob@example.com",
        "time": "2000-10-10 20:55:36.000000000",
        "request": 'GET /a "b" HTTP/1.1',
        "status": 200,
        "size": 2326,
        "ratio": 0.25,
        "cached": True,
        "digest": "D41D8CD98F00B204E9800998ECF8427E",
        "p_log_type": "Custom.Acme.Access",
        "p_event_time": "2000-10-10 20:55:36.000000000",
        "p_source_id": "src-1",
        "p_source_label": "gateway",
        "p_any_emails": ("bob@example.com",),
        "p_any_ip_addresses": ("10.0.0.7",),
        "p_any_md5_hashes": ("d41d8cd98f00b204e9800998ecf8427e",),
        "p_any_usernames": ("bob@example.com",),
    }
    assert re.fullmatch(r"[0-9a-f]{28}", event["p_row_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}", event["p_parse_time"])


def test_ndjson_bytes(normalize: Callable[..., Batch]) -> None:
    """Floats are written as Panther writes them; one line per event."""
    line = LINE.replace(" 0.25 ", " 1000 ")
    batch = normalize(ACCESS, [line, line])
    data = batch.ndjson()
    assert data.count(b"\n") == 2
    assert b'"ratio":1000,' in data
    first = orjson.loads(data.split(b"\n")[0])
    assert first["ratio"] == 1000


@pytest.mark.parametrize(
    ("change", "field", "value", "expected", "message"),
    [
        (
            (" 200 ", " 99999 "),
            "status",
            "99999",
            "smallint",
            "field 'status': '99999' is not a valid smallint (out of range)",
        ),
        (
            (" 0.25 ", " nan "),
            "ratio",
            "nan",
            "float",
            "field 'ratio': 'nan' is not a valid float (NaN and infinities are not allowed)",
        ),
        ((" true ", " yes "), "cached", "yes", "boolean", "field 'cached': 'yes' is not a valid boolean"),
        (
            ("10/Oct/2000", "10/Foo/2000"),
            "time",
            "10/Foo/2000:13:55:36 -0700",
            "timestamp (%d/%b/%Y:%H:%M:%S %z)",
            None,
        ),
    ],
    ids=["smallint-range", "float-nan", "boolean-spelling", "strftime"],
)
def test_bad_values(
    normalize: Callable[..., Batch],
    change: tuple[str, str],
    field: str,
    value: str,
    expected: str,
    message: str | None,
) -> None:
    line = LINE.replace(*change)
    batch = normalize(ACCESS, ["", line])
    assert (batch.lines, len(batch.events), batch.skipped["blank"]) == (2, 0, 1)
    (reject,) = batch.rejects
    assert (reject.reason, reject.field, reject.value, reject.expected) == (
        "bad_value",
        field,
        value,
        expected,
    )
    assert (reject.line, reject.source, reject.schema, reject.raw) == (2, "test", "Custom.Acme.Access", line)
    if message is not None:
        assert reject.message == message


def test_empty_values_and_empty_text(normalize: Callable[..., Batch]) -> None:
    """'-' is dropped for every type; '' is absent for non-strings and kept for strings (b.2)."""
    line = '- - [10/Oct/2000:13:55:36 -0700] "" - 5  - '
    (event,) = normalize(ACCESS, [line]).events
    assert stable(event) == {
        "request": "",
        "size": 5,
        "digest": "",
        "time": "2000-10-10 20:55:36.000000000",
        "p_log_type": "Custom.Acme.Access",
        "p_event_time": "2000-10-10 20:55:36.000000000",
    }


def test_no_match_reason(normalize: Callable[..., Batch]) -> None:
    (reject,) = normalize(ACCESS, ["10.0.0.7 bob"]).rejects
    assert reject.to_dict() == {
        "reason": "no_match",
        "message": "no match: delimiter ' [' after %{user} not found from column 10",
        "schema": "Custom.Acme.Access",
        "source": "test",
        "line": 1,
        "raw": "10.0.0.7 bob",
    }


EVENT_TIMES = """
    schema: Custom.Times
    parser:
      fastmatch:
        emptyValues: ['-']
        match: ['%{a} %{b} %{c}']
    fields:
      - {name: a, type: timestamp, timeFormats: [unix], isEventTime: true}
      - {name: b, type: timestamp, timeFormats: [unix_ms, rfc3339], isEventTime: true}
      - {name: c, type: string}
"""


@pytest.mark.parametrize(
    ("line", "event_time"),
    [
        ("1577934245 1577934246000 x", "2020-01-02 03:04:05.000000000"),  # the first in schema order
        ("- 1577934246000 x", "2020-01-02 03:04:06.000000000"),  # the first present one
        ("- 2020-01-02T03:04:07.5+01:00 x", "2020-01-02 02:04:07.500000000"),  # second format tried
        ("1700000000.123456789 - x", "2023-11-14 22:13:20.123456789"),  # every digit kept (l.17)
    ],
)
def test_event_time(normalize: Callable[..., Batch], line: str, event_time: str) -> None:
    (event,) = normalize(EVENT_TIMES, [line]).events
    assert event["p_event_time"] == event_time


def test_no_event_time_uses_parse_time(normalize: Callable[..., Batch]) -> None:
    (event,) = normalize(EVENT_TIMES, ["- - x"]).events
    assert event["p_event_time"] == event["p_parse_time"]
    assert "a" not in event and "b" not in event


# Panther's parser-level vectors P1-P6 (spec a.5): several patterns, emptyValues, trimSpace,
# skipPrefix and expandFields together.
OPTIONS = """
    schema: Custom.Options
    parser:
      fastmatch:
        match: ['[%{level}] %{a}|%{b}', '%{a} %{b}']
        emptyValues: ['-', 'N/A']
        trimSpace: true
        skipPrefix: '#'
        expandFields:
          combined: '%{ a }:%{b}'
          lvl: 'L=%{level}'
          missing: '%{nope}'
    fields:
      - {name: level, type: string}
      - {name: a, type: string}
      - {name: b, type: string}
      - {name: combined, type: string}
      - {name: lvl, type: string}
      - {name: missing, type: string}
"""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[INFO]  x | y", {"level": "INFO", "a": "x", "b": "y", "combined": "x:y", "lvl": "L=INFO"}),
        ("p q", {"a": "p", "b": "q", "combined": "p:q", "lvl": "L="}),
        ("# comment", "skipped"),
        ("- N/A", {"combined": ":", "lvl": "L="}),
        ("a  b", {"a": "a", "b": "b", "combined": "a:b", "lvl": "L="}),
        ("single", "no_match"),
    ],
    ids=["P1", "P2", "P3", "P4", "P5", "P6"],
)
def test_parser_vectors(normalize: Callable[..., Batch], line: str, expected: object) -> None:
    batch = normalize(OPTIONS, [line])
    if expected == "skipped":
        assert (batch.events, batch.rejects, dict(batch.skipped)) == ([], [], {"skip_prefix": 1})
    elif expected == "no_match":
        (reject,) = batch.rejects
        assert reject.reason == "no_match"
        assert reject.message == (
            "no match: match[0]: the line does not start with '['; "
            "match[1]: delimiter ' ' after %{a} not found from column 1"
        )
    else:
        (event,) = batch.events
        fields = {k: v for k, v in event.items() if not k.startswith("p_")}
        assert fields == expected


def test_skip_lines_and_duplicate_names(normalize: Callable[..., Batch]) -> None:
    schema = """
        schema: Custom.Skip
        parser:
          fastmatch:
            skipLines: 2
            match: ['%{a} %{a} %{}']
        fields:
          - {name: a, type: int}
    """
    batch = normalize(schema, ["header one", "header two", "1 2 3", "x 4 5"])
    assert dict(batch.skipped) == {"skip_lines": 2}
    assert [e["a"] for e in batch.events] == [2, 4]  # the last duplicate wins (F11)
    assert batch.rejects == []


@pytest.mark.parametrize("blank", ["\u00a0", b"\xc2\xa0", b" \t", "\u3000 "])
def test_blank_among_the_first_lines(normalize: Callable[..., Batch], blank: object) -> None:
    """Go whitespace, given as text or as undecoded bytes, is a blank line wherever it comes: it does
    not count as one of the lines ``skipLines`` swallows (before the fix, bytes used ASCII strip)."""
    schema = """
        schema: Custom.Skip
        parser:
          fastmatch:
            skipLines: 1
            match: ['%{a}']
        fields:
          - {name: a, type: int}
    """
    batch = normalize(schema, [blank, "header", blank, "7"])
    assert dict(batch.skipped) == {"blank": 2, "skip_lines": 1}
    assert [e["a"] for e in batch.events] == [7]


@pytest.fixture(scope="module")
def heroku() -> Normalizer:
    return Normalizer(Registry(search_path()).load("Heroku.Runtime"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.binary(max_size=40)), max_size=30))
def test_conservation(heroku: Normalizer, lines: list[str | bytes]) -> None:
    """For any input, lines == events + rejects + skipped, and every event encodes to JSON."""
    lines = [ln.replace("\n", " ") if isinstance(ln, str) else ln.replace(b"\n", b" ") for ln in lines]
    batch = heroku.normalize(lines)
    assert batch.lines == len(lines)
    assert len(batch.events) + len(batch.rejects) + sum(batch.skipped.values()) == len(lines)
    for line in batch.ndjson().splitlines():
        orjson.loads(line)
    for reject in batch.rejects:
        orjson.dumps(reject.to_dict())


def test_rules_on_text_fields(normalize: Callable[..., Batch]) -> None:
    """required and validate on a text parser's fields; j.13: a required boolean is enforced."""
    schema = """
        schema: Custom.Rules
        parser:
          fastmatch:
            emptyValues: ['-']
            match: ['%{kind} %{ok} %{client}']
        fields:
          - {name: kind, type: string, validate: {deny: [debug]}}
          - {name: ok, type: boolean, required: true}
          - {name: client, type: string, validate: {ip: ipv4}}
    """
    batch = normalize(schema, ["info true 10.0.0.1", "debug true 10.0.0.1", "info - 10.0.0.1", "info 1 ::1"])
    assert [e["kind"] for e in batch.events] == ["info"]
    assert [(r.line, r.reason, r.field, r.rule, r.value) for r in batch.rejects] == [
        (2, "validation_failed", "kind", "deny", "debug"),
        (3, "validation_failed", "ok", "required", None),
        (4, "validation_failed", "client", "ip", "::1"),
    ]
    assert (
        batch.rejects[2].to_dict()["message"]
        == "field 'client' '::1' fails its 'ip' rule: not an IP address (ipv4)"
    )


@pytest.mark.parametrize(
    "parser",
    ["parser:\n          fastmatch:\n            match: ['%{PIN} %{user} %{token}']\n", ""],
    ids=["fastmatch", "json"],
)
def test_rename_and_mask(normalize: Callable[..., Batch], parser: str) -> None:
    """rename reads another input key; mask writes its text before rules and indicators see the value."""
    schema = f"""
        schema: Custom.Secrets
        {parser}
        fields:
          - name: userId
            type: string
            rename: {{from: PIN}}
            mask: {{type: redact, to: '****'}}
            validate: {{allow: ['****']}}
          - {{name: user, type: string, indicators: [username]}}
          - {{name: token, type: string, mask: {{type: redact}}, indicators: [trace_id]}}
    """
    line = "1234 bob s3cr3t" if parser else '{"PIN": "1234", "user": "bob", "token": "s3cr3t"}'
    (event,) = normalize(schema, [line]).events
    fields = {k: v for k, v in event.items() if k in ("userId", "user", "token", "p_any_trace_ids")}
    assert fields == {"userId": "****", "user": "bob", "token": "****", "p_any_trace_ids": ("****",)}
    assert "PIN" not in event


def test_generated_code_of_two_normalizers_does_not_share_a_linecache_entry() -> None:
    """Tracebacks show each normalizer's own generated lines: different sources, different names."""
    schema = Registry(search_path()).load("Heroku.Runtime")
    first = Normalizer(schema, source_id="drain-1").compiled
    second = Normalizer(schema, source_id="drain-2").compiled
    assert first is not None and second is not None
    assert first.parse.__code__.co_filename != second.parse.__code__.co_filename
    assert "drain-1" in inspect.getsource(first.parse)
    assert "drain-2" in inspect.getsource(second.parse)
