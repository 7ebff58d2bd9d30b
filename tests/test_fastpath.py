"""The C accelerator against the reference path: same events, same rejects, same counts.

Each case is a line, the schema it goes through, and whether the accelerator should write its event
itself (``native``), write its reject itself (``rejected``: no pattern matches it, or a value the
reference path refuses, in the reference path's words) or hand the line to the reference path
(``deferred``). Both halves are checked:
the output of ``encode_block`` with and without the accelerator is compared, and the lines the plan
deferred are compared with the table, so a plan that quietly deferred everything would fail here.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Normalizer, Registry, plan, search_path
from engine.normalizer import Encoded
from engine.registry import load_schema_file

needs_accelerator = pytest.mark.skipif(not plan.AVAILABLE, reason="the C accelerator is not built")

HEROKU = "Heroku.Runtime"

# Every kind of value the plan converts itself or through a remembered Python converter, two
# indicator fields merged, a quoted placeholder, trimSpace and two emptyValues.
ACCESS = """
    schema: Custom.Fast.Access
    parser:
      fastmatch:
        trimSpace: true
        emptyValues: ['-', 'n/a']
        match:
          - '%{client} %{user} [%{time}] "%{request}" %{status} %{size} %{ratio} %{cached} %{seen}|%{tail}'
    fields:
      - {name: client, type: string, indicators: [ip]}
      - {name: user, type: string, indicators: [username, email]}
      - {name: time, type: timestamp, timeFormat: '%d/%b/%Y:%H:%M:%S %z', isEventTime: true}
      - {name: request, type: string}
      - {name: status, type: smallint}
      - {name: size, type: bigint}
      - {name: ratio, type: float}
      - {name: cached, type: boolean}
      - {name: seen, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: tail, type: json}
"""

# Several patterns (tried in order), a name twice in one pattern (the last capture wins), a
# skipPrefix, a required field, a validate rule, an int and a field only one pattern fills.
MULTI = """
    schema: Custom.Fast.Multi
    parser:
      fastmatch:
        skipPrefix: '#'
        match:
          - 'A %{id} %{id} %{level}: %{msg}'
          - 'B %{id}/%{extra} %{level}: %{msg}'
    fields:
      - {name: id, type: int, required: true}
      - {name: level, type: string, validate: {allow: [info, warn, error]}}
      - {name: extra, type: string}
      - {name: msg, type: string}
"""

# CSV columns (one skipped by an empty name), epoch times, a rule, an indicator.
FLOW = """
    schema: Custom.Fast.Flow
    parser:
      csv:
        delimiter: ' '
        columns: [version, account, '', start, end, action, note]
        emptyValues: ['-']
    fields:
      - {name: version, type: int}
      - {name: account, type: string, indicators: [aws_account_id]}
      - {name: start, type: timestamp, timeFormats: [unix], isEventTime: true}
      - {name: end, type: timestamp, timeFormats: [unix_ms]}
      - {name: action, type: string, validate: {allow: [ACCEPT, REJECT]}}
      - {name: note, type: string}
"""

SAFE = "83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up"

CASES: list[tuple[str, str | bytes, str]] = [
    # Heroku: the usual lines, then what every value and every line shape can be.
    (HEROKU, SAFE, "native"),
    (
        HEROKU,
        '307 <158>1 2024-03-15T00:00:00.004154+00:00 host heroku router - at=info path="/a\\b"',
        "native",
    ),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03.123456789123Z h a w.1 - nine digits kept, the rest cut", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03,5-02:30 h a w.1 - comma fraction, negative offset", "native"),
    (HEROKU, "1 <1>1 2024-12-31T23:30:00-01:00 h a w.1 - offset crosses the year", "native"),
    (HEROKU, "1 <1>1 2024-02-29T00:00:00Z h a w.1 - leap day", "native"),
    (HEROKU, "1 <1>1 0000-01-01T00:00:00Z h a w.1 - year zero", "native"),
    (HEROKU, "1 <1>1 9999-12-31T23:59:59.999999999Z h a w.1 - the last instant", "native"),
    (HEROKU, "1 <1>1 0000-01-01T00:00:00+00:01 h a w.1 - before year zero", "rejected"),
    (HEROKU, "1 <1>1 9999-12-31T23:59:59-00:01 h a w.1 - after 9999", "rejected"),
    (HEROKU, "1 <1>1 2023-02-29T00:00:00Z h a w.1 - no such day", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T24:00:00Z h a w.1 - hour 24", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:60Z h a w.1 - leap second", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03+24:00 h a w.1 - offset hour", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15t10:07:03Z h a w.1 - lower-case t", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03.Z h a w.1 - empty fraction", "rejected"),
    (HEROKU, '1 <1>1 2012-11-30T06:45:29.1"Z h a w.1 - a quote in the fraction', "rejected"),
    (HEROKU, "1 <1>1 2012-11-30T06:45:29.-5Z h a w.1 - a sign in the fraction", "rejected"),
    (HEROKU, "1 <1>1 2012-11-30T06:45:29.1/2Z h a w.1 - the byte below '0'", "rejected"),
    (HEROKU, "1 <1>1 2012-11-30T06:45:29.1:2Z h a w.1 - the byte above '9'", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03 h a w.1 - no zone", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03+0100 h a w.1 - zone without colon", "rejected"),
    (HEROKU, "1 <1>1 - h a w.1 - no time: p_event_time is the parse time", "native"),
    (HEROKU, "007 <000>1 2024-03-15T10:07:03Z h a w.1 - leading zeros", "native"),
    (HEROKU, "2147483647 <1>1 2024-03-15T10:07:03Z h a w.1 - the largest int", "native"),
    (HEROKU, "2147483648 <1>1 2024-03-15T10:07:03Z h a w.1 - past the largest int", "rejected"),
    (HEROKU, "-5 <1>1 2024-03-15T10:07:03Z h a w.1 - a sign", "deferred"),
    (HEROKU, "+5 <1>1 2024-03-15T10:07:03Z h a w.1 - a plus sign", "deferred"),
    (HEROKU, "１ <1>1 2024-03-15T10:07:03Z h a w.1 - a full-width digit", "rejected"),
    (HEROKU, "1 <>1 2024-03-15T10:07:03Z h a w.1 - an empty int is null", "native"),
    (HEROKU, "- <1>1 2024-03-15T10:07:03Z - - - - every emptyValue", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 10.1.2.3 a w.1 - an IP host", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 255.255.255.255 a w.1 - the largest IPv4", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 010.1.2.3 a w.1 - a leading zero: a domain", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 256.1.2.3 a w.1 - past 255: a domain", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 1.2.3.4.5 a w.1 - five parts: a domain", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z \t10.1.2.3\v a w.1 - spaces trimmed", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z 2001:db8::1 a w.1 - an IPv6 host", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z xn--bcher-kva.example a w.1 - IDNA", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - ", "native"),
    (HEROKU, '1 <1>1 2024-03-15T10:07:03Z h a w.1 - \x00\x01\x1f\x7f\t"\\ controls and escapes', "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - 👩‍💻 résumé \u2028 \ufeff non-ASCII", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - inner \r carriage return", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - a CRLF line\r", "native"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - two CRs\r\r", "native"),
    # No match: the plan writes the reject itself, in the parser's words (the column in characters).
    (HEROKU, "no pattern here", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a", "rejected"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z héé ü", "rejected"),
    (HEROKU, '1 <1>1 2024-03-15T10:07:03Z "h\t\\ a', "rejected"),
    (HEROKU, "", "deferred"),
    (HEROKU, "   ", "deferred"),
    (HEROKU, "\t1 <1>1 2024-03-15T10:07:03Z h a w.1 - starts with a tab", "rejected"),
    (HEROKU, "\u00a0", "deferred"),
    (HEROKU, "\u2028\u3000\t\u0085", "deferred"),  # blank: Go's spaces only, the reference skips it
    (HEROKU, "\u3000 1 <1>1 2024-03-15T10:07:03Z h a w.1 - starts with a wide space", "rejected"),
    (HEROKU, b"1 <1>1 2024-03-15T10:07:03Z h a w.1 - bad \xff byte", "deferred"),
    (HEROKU, b"1 <1>1 2024-03-15T10:07:03Z h a w.1 - surrogate \xed\xa0\x80", "deferred"),
    (HEROKU, b"1 <1>1 2024-03-15T10:07:03Z h a w.1 - overlong \xc0\xaf", "deferred"),
    (HEROKU, b"1 <1>1 2024-03-15T10:07:03Z h a w.1 - cut \xe2\x82", "deferred"),
    (HEROKU, "1 <1>1 2024-03-15T10:07:03Z h a w.1 - " + "x" * 300, "deferred"),  # over max_line_bytes
    # Every type, trimSpace with Go's spaces, remembered converters, merged indicators.
    (
        "access",
        '10.0.0.7 bob@example.com [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 2326 0.25 true '
        '2000-10-10T20:55:37Z|{"k": 1}',
        "native",
    ),
    (
        "access",
        '10.0.0.8\u3000 n/a [10/Oct/2000:13:55:36 -0700] " GET /b\u00a0" 404 - 1e3 F -|\u2003x\u2009',
        "native",
    ),
    ("access", '\u3000 ::1 - [-] "-" - - - - -|', "native"),  # starts with spaces, not blank: trimmed
    ("access", '::1 - [-] "-" - - - - -|', "native"),
    ("access", '1.2.3 - [-] "-" - - - - -|', "native"),
    ("access", '1.2.3.04 - [-] "-" - - - - -|', "native"),
    ("access", '1.2.3.4\t - [-] "-" - - - - -|', "native"),
    ("access", '1234.1.1.1 - [-] "-" - - - - -|', "native"),
    ("access", 'not-an-ip x@example.com [-] "-" - - - - -|', "native"),
    ("access", '1.2.3.4 x [10/Oct/2000:13:55:36 -0700] "GET /\\"q\\"" 200 1 1 1 -|', "deferred"),
    ("access", '1.2.3.4 x [10/Oct/2000:13:55:36 -0700] "GET /" 200 1 1 maybe -|', "rejected"),
    ("access", '1.2.3.4 x [10/Oct/2000:13:55:36 -0700] "GET /" 200 1 NaN 1 -|', "rejected"),
    ("access", '1.2.3.4 x [10/Oct/2000:13:55:36 -0700] "GET /" 40000 1 1 1 -|', "rejected"),
    ("access", '1.2.3.4 x [10/Xyz/2000:13:55:36 -0700] "GET /" 200 1 1 1 -|', "rejected"),
    ("access", '1.2.3.4 x [10/Oct/2000:13:55:36 -0700] "GET /" 200 1 1 1 2000-10-10|', "rejected"),
    # CSV rows and epoch times.
    ("flow", "2 123456789012 skipped 1418530010 1418530070123 ACCEPT ok", "native"),
    ("flow", "2 - - - - - -", "native"),
    ("flow", "2 123456789012 x 0 0 REJECT the-epoch", "native"),
    ("flow", "2 123456789012 x 99999999999 99999999999999 REJECT year-5138", "native"),
    ("flow", "2 123456789012 x 000001418530010 1 ACCEPT zeros-past-11-digits", "deferred"),
    ("flow", "2 123456789012 x 253402300799 1 ACCEPT year-9999-in-12-digits", "deferred"),
    ("flow", "2 123456789012 x  1418530070123 ACCEPT empty-start-is-null", "native"),
    ("flow", "2  x 1418530010  ACCEPT empty-account-and-end", "native"),
    ("flow", "2 123456789012 x 1418530010.5 1 ACCEPT a-fraction", "deferred"),
    ("flow", "2 123456789012 x -5 1 ACCEPT a-sign", "deferred"),
    ("flow", "2 123456789012 x 1e9 1 ACCEPT an-exponent", "deferred"),
    ("flow", '2 123456789012 x 1 1 ACCEPT "quoted note"', "deferred"),
    ("flow", "2 123456789012 x 1 1 ACCEPT two words", "deferred"),
    ("flow", "2 123456789012 x 1 1 ACCEPT", "rejected"),
    ("flow", "2", "rejected"),
    ("flow", "2 123456789012 x 1 1 DROP not-allowed", "rejected"),
    ("flow", "2\t123456789012 x 1 1 ACCEPT six-columns", "rejected"),
    # Several patterns, a duplicate name, skipPrefix, required, validate.
    ("multi", "A 1 2 info: first pattern, the second id wins", "native"),
    ("multi", "B 3/x warn: second pattern", "native"),
    ("multi", "A 1 2 debug: not an allowed level", "rejected"),
    ("multi", "B /x warn: the required id is missing", "deferred"),
    ("multi", "# a comment", "deferred"),
    ("multi", "C neither pattern", "rejected"),
    ("multi", "A 1 2", "rejected"),
    ("multi", "B 3/x", "rejected"),
    # A regex schema: how far its entries match, or none of them.
    ("syslog", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed", "native"),
    ("syslog", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [x", "rejected"),
    ("syslog", "<34>1 2003-10-11T22:14:15.003Z  ", "rejected"),
    ("syslog", "<3é4>1 x", "rejected"),
    ("syslog", "<34>1 2003-10-11T22:14:15.003Z ü é su - ID47 [ü", "rejected"),
]

MAX_LINE_BYTES = 300


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not plan.AVAILABLE:
        pytest.skip("the C accelerator is not built")
    folder = tmp_path_factory.mktemp("schemas")
    found = {
        HEROKU: Registry(search_path()).load(HEROKU),
        "syslog": Registry(search_path()).load("Syslog.RFC5424"),
    }
    for key, text in (("access", ACCESS), ("multi", MULTI), ("flow", FLOW)):
        path = folder / f"{key}.yml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        found[key] = load_schema_file(path)
    return found


def comparable(encoded: Encoded) -> tuple[object, ...]:
    """What must match between the two paths: events without their volatile fields (a parse time
    standing in for the event time is named as such), rejects, counts."""
    events = []
    for line in encoded.ndjson.splitlines():
        event = orjson.loads(line)
        del event["p_row_id"]
        if event["p_event_time"] == event.pop("p_parse_time"):
            event["p_event_time"] = "<parse time>"
        events.append(event)
    return (
        events,
        encoded.reject_records(),
        dict(encoded.skipped),
        encoded.lines,
        encoded.events,
        dict(encoded.log_types),
        dict(encoded.reasons),
    )


def both(
    schema: object, block: bytes, max_line_bytes: int = MAX_LINE_BYTES, **options: object
) -> tuple[Encoded, Encoded]:
    fast = Normalizer(schema, fast_path=True, **options)  # type: ignore[arg-type]
    reference = Normalizer(schema, fast_path=False, **options)  # type: ignore[arg-type]
    assert fast.plan is not None and reference.plan is None
    return tuple(  # type: ignore[return-value]
        n.encode_block(block, source="test", first_line=1, max_line_bytes=max_line_bytes)
        for n in (fast, reference)
    )


def deferred_lines(schema: object, block: bytes) -> list[int]:
    """The indices of the lines the plan hands back, for a block (no_match rejects it writes itself,
    as ``encode_block`` has it do, are not handed back)."""
    normalizer = Normalizer(schema)  # type: ignore[arg-type]
    made = normalizer.plan
    deferred: list[int] = []
    head, tail = normalizer._no_match_frame("test")
    made.run(
        block, b"2026-01-01 00:00:00.000000000", MAX_LINE_BYTES, lambda raw, i: deferred.append(i), head, tail
    )
    return deferred


def as_bytes(line: str | bytes) -> bytes:
    return line if isinstance(line, bytes) else line.encode("utf-8")


@pytest.mark.parametrize(("schema", "line", "expected"), CASES)
def test_line(schemas: dict[str, object], schema: str, line: str | bytes, expected: str) -> None:
    if schema == "syslog" and plan._fastpath.PCRE2_VERSION is None:
        pytest.skip("PCRE2 is not available")
    raw = as_bytes(line)
    fast, reference = both(schemas[schema], raw)
    assert comparable(fast) == comparable(reference)
    assert deferred_lines(schemas[schema], raw) == ([0] if expected == "deferred" else [])
    if expected == "rejected":  # written by the plan itself: the same record as the reference's
        assert sum(fast.reasons.values()) == 1 and fast.events == 0, fast.rejects


@pytest.mark.parametrize("schema", [HEROKU, "access", "multi", "flow", "syslog"])
def test_block_keeps_order_and_counts(schemas: dict[str, object], schema: str) -> None:
    """All the lines of a schema in one block, each twice: events interleave with the deferred
    lines' events in input order, and lines = events + rejects + skipped."""
    lines = [as_bytes(line) for s, line, _ in CASES if s == schema] * 2
    block = b"\n".join(lines)
    fast, reference = both(schemas[schema], block)
    assert comparable(fast) == comparable(reference)
    assert fast.lines == len(lines) == fast.events + fast.rejected + sum(fast.skipped.values())
    expected = [i for i, (s, _, kind) in enumerate(c for c in CASES if c[0] == schema) if kind == "deferred"]
    half = len(lines) // 2
    assert deferred_lines(schemas[schema], block) == expected + [i + half for i in expected]


def test_many_distinct_values(schemas: dict[str, object]) -> None:
    """More distinct values than the accelerator remembers (it forgets and asks again), some too
    long to remember at all: the same events."""
    lines = [
        f'1.2.{i % 256}.{i // 256} user{i}@example.com [10/Oct/2000:13:55:{i % 60:02d} -0700] "GET /{i}" '
        f"200 {i} {i}.5 {'TF'[i % 2]} 2000-10-10T20:55:37Z|{'x' * (300 if i % 7 == 0 else 1)}{i}"
        for i in range(10_000)
    ]
    long_user = "u" * 400 + "@example.com"
    lines += [f'1.2.3.4 {long_user} [10/Oct/2000:13:55:36 -0700] "GET /" 200 1 {"9" * 300} T -|'] * 3
    fast, reference = both(schemas["access"], "\n".join(lines).encode(), max_line_bytes=1 << 20)
    assert comparable(fast) == comparable(reference)
    assert fast.events == len(lines)


ROW = "2 123456789012 x 1418530010 1418530070123 ACCEPT ok"


@pytest.mark.parametrize(
    ("options", "block"),
    [
        ("hasHeader: true", f"version account x start end action note\n{ROW}\n{ROW}"),
        ("hasHeader: true", f"\n  \nversion account x start end action note\n{ROW}"),
        ("hasHeader: true", "version account x start end action note\n"),
        ("hasHeader: true", "version account x start end action note"),
        ("hasHeader: true", f"bad \xff header\nversion account x start end action note\n{ROW}"),
        ("skipLines: 2", f"one\n\ntwo\n{ROW}\n{ROW}"),
        ("skipLines: 2, hasHeader: true", f"one\ntwo\nheader\n{ROW}"),
        ("skipLines: 3", f"one\ntwo\n{ROW}"),
    ],
)
def test_first_lines_of_a_file(tmp_path: Path, options: str, block: str) -> None:
    """skipLines and a CSV header take the first lines of a file's first block on the reference
    path; the rest of the block goes to the plan, and all of it ends as with no plan at all."""
    path = tmp_path / "flow.yml"
    options = options.replace(", ", "\n    ")
    path.write_text(textwrap.dedent(FLOW).replace("emptyValues: ['-']", f"emptyValues: ['-']\n    {options}"))
    schema = load_schema_file(path)
    raw = block.encode("latin-1") if "\xff" in block else block.encode()
    fast, reference = both(schema, raw)
    assert comparable(fast) == comparable(reference)
    assert fast.lines == block.count("\n") + 1


ODD_NAMES = ["a{pp_name", "}", "{0}", "{}", "a'b", 'a"b', "a\\b", "ü{"]


@pytest.mark.parametrize("kind", ["json", "regex"])
def test_field_names_with_braces_and_quotes(tmp_path: Path, kind: str) -> None:
    """A field name is a key of the generated code's templates: a brace in it (a{pp_name) raised
    ValueError from str.format while the schema compiled, a traceback. Names with braces and quotes
    are plain keys on both paths."""
    if kind == "json":
        parser = ""  # no parser: JSON lines
        fields = "\n".join(f"  - {{name: {orjson.dumps(n).decode()}, type: string}}" for n in ODD_NAMES)
        nested = "\n  - name: 'o{'\n    type: object\n    fields: [{name: '{x}', type: int}]"
        line = orjson.dumps({**{n: f"v{i}" for i, n in enumerate(ODD_NAMES)}, "o{": {"{x}": 7}})
    else:  # a regex group cannot be named so: a field that only an unused group could fill
        parser = "parser:\n  regex:\n    match: ['^(?P<word>\\w+)$']"
        fields = "  - {name: word, type: string}\n" + "\n".join(
            f"  - {{name: {orjson.dumps(n).decode()}, type: string}}" for n in ODD_NAMES
        )
        nested, line = "", b"hello"
    path = tmp_path / "odd.yml"
    path.write_text(
        f"schema: Custom.Odd\n{parser}\nfields:\n{fields}{nested}\n".replace("\n\n", "\n"), encoding="utf-8"
    )
    schema = load_schema_file(path)
    fast, reference = both(schema, line)
    assert comparable(fast) == comparable(reference)
    (event,) = comparable(reference)[0]
    if kind == "json":
        assert {n: event[n] for n in ODD_NAMES} == {n: f"v{i}" for i, n in enumerate(ODD_NAMES)}
        assert event["o{"] == {"{x}": 7}
    else:
        assert event["word"] == "hello"


def test_source_fields_and_row_ids(schemas: dict[str, object]) -> None:
    block = as_bytes(SAFE + "\n" + SAFE)
    fast, reference = both(schemas[HEROKU], block, source_id="src-1", source_label='a "label"')
    assert comparable(fast) == comparable(reference)
    first, second = (orjson.loads(line) for line in fast.ndjson.splitlines())
    assert first["p_source_id"] == "src-1" and first["p_source_label"] == 'a "label"'
    assert len(first["p_row_id"]) == 28 and first["p_row_id"] != second["p_row_id"]
    assert int(second["p_row_id"], 16) == int(first["p_row_id"], 16) + 1


@pytest.mark.parametrize(
    "name",
    [
        "Heroku.Runtime",
        "Apache.AccessCombined",
        "Nginx.Access",
        "AWS.VPCFlow",
        "Syslog.RFC5424",
        "Syslog.RFC3164",
    ],
)
def test_bundled_samples(schemas: dict[str, object], name: str) -> None:
    """The bundled schemas with a plan: their samples, edge lines and rejects included, through both
    paths. VPC Flow's sample starts with a header line, which the reference path skips in the block
    of line 1; the rest is given as the block after it."""
    schema = Registry(search_path()).load(name)
    here = Path(schema.file)
    sample = here.with_suffix(".sample.log")  # two schemas in one folder: each names its own sample
    if not sample.exists():
        sample = here.parent / "sample.log"
    block = sample.read_bytes().removesuffix(b"\n")
    first_line = 1
    if schema.parser.config.get("hasHeader"):
        block, first_line = block.split(b"\n", 1)[1], 2
    outputs = []
    for fast_path in (True, False):
        normalizer = Normalizer(schema, fast_path=fast_path)
        assert (normalizer.plan is not None) is fast_path
        outputs.append(normalizer.encode_block(block, source="sample", first_line=first_line))
    fast, reference = outputs
    assert comparable(fast) == comparable(reference)
    assert fast.events > 0 and len(deferred_lines(schema, block)) < fast.lines


@needs_accelerator
@pytest.mark.parametrize(
    ("parser", "expected"),
    [
        ("fastmatch: {match: ['%{a} %{b}']}", True),
        ("fastmatch: {match: ['%{a} %{b}'], expandFields: {c: '%{a}'}}", False),
        (
            "regex: {match: ['(?P<a>\\S+) (?P<b>\\S+)']}",
            plan.AVAILABLE and plan._fastpath.PCRE2_VERSION is not None,
        ),
        ("regex: {match: ['(?P<a>\\S+) (?=(?P<b>\\S+))']}", False),  # lookahead: not rewritten for PCRE2
        ("regex: {match: ['(?i)(?P<a>\\S+) (?P<b>\\S+)']}", False),  # case folding beyond ASCII differs
        ("csv: {delimiter: ',', columns: [a, b]}", True),
        ("csv: {delimiter: ',', hasHeader: true}", False),
    ],
)
def test_which_schemas_have_a_plan(tmp_path: Path, parser: str, expected: bool) -> None:
    path = tmp_path / "s.yml"
    fields = "[{name: a, type: string}, {name: b, type: string}]"
    path.write_text(f"schema: T.T\nparser:\n  {parser}\nfields: {fields}\n", encoding="utf-8")
    assert (Normalizer(load_schema_file(path)).plan is not None) is expected


@needs_accelerator
def test_a_plan_per_header(tmp_path: Path) -> None:
    """A CSV schema whose columns each file's header names has no plan of its own, but one for the
    names of a header (as ``compile_schema`` compiles one line function per header)."""
    path = tmp_path / "s.yml"
    text = "schema: T.T\nparser:\n  csv: {hasHeader: true}\nfields: [{name: a, type: string}]\n"
    path.write_text(text, encoding="utf-8")
    schema = load_schema_file(path)
    assert plan.compile_plan(schema) is None
    assert plan.compile_plan(schema, columns=("b", "a")) is not None


MIXED_REJECTS = [
    "garbage line",
    "83 <x40>1 2012-11-30T06:45:29+00:00 host app web.3 - a bad int for Heroku, no match for syslog",
    "83 <40>1 2012-13-30T06:45:29+00:00 host app web.3 - a bad month",
    "<34>1 2003-10-11T22:14:15.003Z host su - ID47 [x",
    "\t<34>é 2003 ü",
    '"quoted \\" and \u2028 in the message; ',
]


@needs_accelerator
def test_several_schemas_write_the_rejects_of_lines_none_takes(schemas: dict[str, object]) -> None:
    """A line every schema's plan refuses (no match, or a value the reference refuses too) gets the
    classifier's reject, naming each schema's refusal, written by C: the same record as the
    reference path's, in line order with events and the reference path's own rejects."""
    if plan._fastpath.PCRE2_VERSION is None:
        pytest.skip("PCRE2 is not available")
    feed = [schemas[HEROKU], schemas["syslog"], schemas["access"]]
    lines = [*MIXED_REJECTS, SAFE, "-5 <1>1 2024-03-15T10:07:03Z h a w.1 - a sign: deferred", *MIXED_REJECTS]
    block = "\n".join(lines).encode()
    fast, reference = (
        Normalizer(feed, fast_path=f).encode_block(block, source="mixed", max_line_bytes=MAX_LINE_BYTES)  # type: ignore[arg-type]
        for f in (True, False)
    )
    assert comparable(fast) == comparable(reference)
    assert fast.events == 2 and fast.reasons == {"no_match": 2 * len(MIXED_REJECTS)}
    normalizer = Normalizer(feed)  # type: ignore[arg-type]
    deferred: list[int] = []
    plan.classify(
        normalizer.plans,
        block,
        b"2026-01-01 00:00:00.000000000",
        MAX_LINE_BYTES,
        lambda raw, i: deferred.append(i),
        rejects=normalizer._classified_frame("mixed"),
    )
    assert deferred == [len(MIXED_REJECTS) + 1]  # only the line a plan cannot settle itself
    written, _ = normalizer.plans[0].take_rejects()
    assert len(written.splitlines()) == 2 * len(MIXED_REJECTS)


@needs_accelerator
def test_a_regex_pcre2_gives_up_on_leaves_the_lines_to_the_reference(tmp_path: Path) -> None:
    """A hostile pattern: PCRE2 gives up on a line at its match limit (a few ms) and defers it; the
    reference's time budget then rejects it (regex_timeout). After 10 give-ups the plan stops
    searching and defers every line, so the reference's budget alone bounds the run."""
    path = tmp_path / "s.yml"
    path.write_text(
        "schema: T.Hostile\nparser:\n  regex: {match: ['^(?P<a>(?:a|aa)+)$']}\n"
        "fields: [{name: a, type: string}]\n",
        encoding="utf-8",
    )
    schema = load_schema_file(path)
    if Normalizer(schema).plan is None:
        pytest.skip("PCRE2 is not available")
    hostile = b"a" * 28 + b"!"
    block = b"\n".join([b"aaaa", *[hostile] * 12, b"aa"])
    fast, reference = both(schema, block, regex_timeout=0.005)
    assert comparable(fast) == comparable(reference)
    # the reference's budget is spent too: the last line is rejected untried on both paths
    assert fast.events == 1 and dict(fast.reasons) == {"regex_timeout": 13}
    assert deferred_lines(schema, block) == list(range(1, 14))  # after 10 give-ups: "aa" too


@needs_accelerator
def test_masked_and_transformed_fields_have_no_plan(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text(
        "schema: T.T\nparser:\n  fastmatch: {match: ['%{a} %{b}']}\n"
        "fields:\n  - {name: a, type: string, mask: {type: redact}}\n  - {name: b, type: string}\n",
        encoding="utf-8",
    )
    assert Normalizer(load_schema_file(path)).plan is None


# Fragments that make lines hard for the plan: delimiters, quotes, escapes, controls, spaces,
# non-ASCII, numbers at the edges of their ranges, times near the edges of their forms.
_PIECES = st.sampled_from(
    [
        " ",
        "<",
        ">",
        "-",
        '"',
        "\\",
        "\t",
        "\r",
        "\x00",
        "\x1f",
        "\u00a0",
        "\u3000",
        "é",
        "👩‍💻",
        "0",
        "7",
        "32767",
        "32768",
        "2147483647",
        "2147483648",
        "+",
        "n/a",
        "[",
        "]",
        "|",
        "/",
        "2024-03-15T10:07:03",
        ".5",
        ",123456789123",
        "Z",
        "+01:00",
        "-23:59",
        "10/Oct/2000:13:55:36 -0700",
        "true",
        "1e3",
        "0.25",
        "host",
        "10.0.0.7",
        "bob@example.com",
    ]
)
_LINES = st.lists(_PIECES, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.one_of(_LINES, st.just(SAFE)), min_size=1, max_size=8))
def test_random_lines_heroku(schemas: dict[str, object], lines: list[str]) -> None:
    fast, reference = both(schemas[HEROKU], "\n".join(lines).encode())
    assert comparable(fast) == comparable(reference)


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(_LINES, min_size=9, max_size=9))
def test_random_fields_heroku(schemas: dict[str, object], fields: list[str]) -> None:
    """Lines of the Heroku shape whose every value is random: most reach the plan's conversions."""
    a, b, c, time, host, app, proc, mid, msg = fields
    line = f"{a} <{b}>{c} {time} {host} {app} {proc} {mid} {msg}"
    fast, reference = both(schemas[HEROKU], line.encode())
    assert comparable(fast) == comparable(reference)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_LINES, min_size=10, max_size=10),
    separators=st.lists(st.sampled_from([" ", " [", '] "', '" ', "|", "  "]), min_size=9, max_size=9),
)
def test_random_lines_access(schemas: dict[str, object], parts: list[str], separators: list[str]) -> None:
    line = parts[0] + "".join(s + p for s, p in zip(separators, parts[1:], strict=True))
    fast, reference = both(schemas["access"], line.encode())
    assert comparable(fast) == comparable(reference)


_BYTES = st.lists(
    st.one_of(
        st.binary(max_size=12),
        st.sampled_from([b"\n", b"\r\n", b" <", b">1 ", b" - ", b"\xff", b"\xe2\x80", b'"', b"\\"]),
        _PIECES.map(str.encode),
        st.just(SAFE.encode()),
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(block=_BYTES, schema=st.sampled_from([HEROKU, "access", "multi", "flow"]))
def test_random_bytes(schemas: dict[str, object], block: bytes, schema: str) -> None:
    """Untrusted input: any bytes, several lines to a block, end as the reference path ends them."""
    fast, reference = both(schemas[schema], block)
    assert comparable(fast) == comparable(reference)


def test_without_the_accelerator_the_reference_path_does_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without a C compiler: no plan, and encode_block still gives every line its end."""
    monkeypatch.setattr(plan, "_fastpath", None)
    normalizer = Normalizer(Registry(search_path()).load(HEROKU))
    assert normalizer.plan is None
    encoded = normalizer.encode_block(f"{SAFE}\n\nno pattern".encode(), source="test")
    counts = (encoded.lines, encoded.events, encoded.rejected, dict(encoded.skipped))
    assert counts == (3, 1, 1, {"blank": 1})
    assert orjson.loads(encoded.ndjson)["message"] == "State changed from starting to up"


def test_accelerator_is_built() -> None:
    """CI builds the accelerator: a missing C compiler must not pass unnoticed there."""
    if os.environ.get("NORMALIZE_ALLOW_PURE_PYTHON"):
        pytest.skip("NORMALIZE_ALLOW_PURE_PYTHON is set")
    assert plan.AVAILABLE, "engine._fastpath was not built (is a C compiler installed?)"
