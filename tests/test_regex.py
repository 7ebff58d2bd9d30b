"""The regex parser: grok references, named groups, Panther's vectors f.1, and the time budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import regex

from engine import Batch, SchemaError
from engine.parsers.grok import BUILTIN, expand
from engine.parsers.regex import TimeoutBudget
from engine.registry import load_schema_file

APACHE_LINE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'

R1 = r"""
    schema: Custom.R1
    parser:
      regex:
        match:
          - '%{DATA:remote_ip} %{DATA:identity} %{DATA:user} \[%{HTTPDATE:timestamp}\] '
          - '"%{DATA:method} %{DATA:request_uri} %{DATA:protocol}" %{DATA:status} %{DATA:bytes_sent}$'
    fields:
      - {name: remote_ip, type: string}
      - {name: identity, type: string}
      - {name: user, type: string}
      - {name: timestamp, type: string}
      - {name: method, type: string}
      - {name: request_uri, type: string}
      - {name: protocol, type: string}
      - {name: status, type: int}
      - {name: bytes_sent, type: bigint}
"""


def test_r1_apache_line(normalize: Callable[..., Batch]) -> None:
    (event,) = normalize(R1, [APACHE_LINE]).events
    assert {k: v for k, v in event.items() if not k.startswith("p_")} == {
        "remote_ip": "127.0.0.1",
        "identity": "-",
        "user": "frank",
        "timestamp": "10/Oct/2000:13:55:36 -0700",
        "method": "GET",
        "request_uri": "/apache_pb.gif",
        "protocol": "HTTP/1.0",
        "status": 200,
        "bytes_sent": 2326,
    }


# R2-R4 (spec f.1): Panther did not record the bodies of API_KEY and MYUSER; these fit the vectors.
R2 = r"""
    schema: Custom.R2
    parser:
      regex:
        patternDefinitions:
          API_KEY: '[0-9a-f]{32}'
          MYUSER: '[a-z]+'
        match:
          - '%{NOTSPACE:ts} '
          - '(\[%{API_KEY:apikey}\]|\[%{MYUSER:username}\]) '
          - '(?P<raw>\d+)?'
          - '%{GREEDYDATA:message}'
    fields:
      - {name: ts, type: string}
      - {name: apikey, type: string}
      - {name: username, type: string}
      - {name: raw, type: string}
      - {name: message, type: string}
"""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("T1 [bob] 42rest", {"ts": "T1", "apikey": "", "username": "bob", "raw": "42", "message": "rest"}),
        (
            "T2 [d41d8cd98f00b204e9800998ecf8427e] text",
            {
                "ts": "T2",
                "apikey": "d41d8cd98f00b204e9800998ecf8427e",
                "username": "",
                "raw": "",
                "message": "text",
            },
        ),
        ("T4 bob", None),
        # unanchored, as RE2's FindStringSubmatch: the match may start anywhere (spec f.1)
        ("garbage prefix T3 [x] m", {"ts": "T3", "apikey": "", "username": "x", "raw": "", "message": "m"}),
    ],
    ids=["R2", "R3", "R4", "unanchored"],
)
def test_r2_to_r4(normalize: Callable[..., Batch], line: str, expected: dict[str, str] | None) -> None:
    batch = normalize(R2, [line])
    if expected is None:
        (reject,) = batch.rejects
        assert (reject.reason, reject.message) == (
            "no_match",
            "no match: match[0..0] match up to column 4, match[1] does not",
        )
    else:
        (event,) = batch.events
        assert {k: v for k, v in event.items() if not k.startswith("p_")} == expected


@pytest.mark.parametrize(
    ("pattern", "line", "whole"),
    [
        ("%{IPV4}", "10.1.2.3", True),
        ("%{IPV4}", "256.1.2.3", False),
        ("%{IPV6}", "2001:db8:85a3::8a2e:370:7334", True),
        ("%{IPV6}", "::ffff:1.2.3.4", True),
        ("%{IPV6}", "FE80::1", True),  # uppercase hex (Panther's HEXDIGIT misses it: j.8)
        ("%{IP}", "::1", True),
        ("%{UUID}", "4B0C1D2E-7F3A-4E5B-9C8D-1A2B3C4D5E6F", True),
        ("%{HTTPDATE}", "10/Oct/2000:13:55:36 -0700", True),
        ("%{TIMESTAMP_ISO8601}", "2024-03-15T10:00:01.123456+00:00", True),
        ("%{SYSLOGTIMESTAMP}", "Mar  5 10:00:01", True),
        ("%{URIPATHPARAM}", "/api/v1/orders?page=2&x=%20", True),
        ("%{URI}", "https://user@example.com:8443/a/b?c=d", True),
        ("%{QUOTEDSTRING}", '"say \\"hi\\""', True),
        ("%{NUMBER}", "-12.5", True),
        ("%{INT}", "٣٤", False),  # ASCII digits only, as RE2
        ("%{WORD}", "héllo", False),  # \w is ASCII, as RE2
        ("%{MAC}", "00:1a:2B:3c:4D:5e", True),
        ("%{HOSTPORT}", "example.com:443", True),
    ],
)
def test_builtins(pattern: str, line: str, whole: bool) -> None:
    compiled = regex.compile(expand(pattern, {}), regex.ASCII)
    assert (compiled.fullmatch(line) is not None) == whole


def test_every_builtin_compiles() -> None:
    for name in BUILTIN:
        regex.compile(expand(f"%{{{name}}}", {}), regex.ASCII)


CATASTROPHIC = r"""
    schema: Custom.Slow
    parser:
      regex:
        match: ['^(?P<word>(a|aa)+)$']
    fields:
      - {name: word, type: string}
"""


def test_catastrophic_backtracking_is_a_reject(normalize: Callable[..., Batch]) -> None:
    """(a|aa)+$ explodes on 'aaa...b' in the regex module: the line times out, the run goes on."""
    attack = "a" * 60 + "b"
    batch = normalize(CATASTROPHIC, ["aaaa", attack, "aa", attack], regex_timeout=0.05)
    assert [e["word"] for e in batch.events] == ["aaaa", "aa"]
    assert [(r.reason, r.line, r.raw) for r in batch.rejects] == [
        ("regex_timeout", 2, attack),
        ("regex_timeout", 4, attack),
    ]
    assert batch.rejects[0].message == "the regex search took longer than 0.05 s"
    assert batch.lines == len(batch.events) + len(batch.rejects) == 4


def test_a_regex_that_keeps_timing_out_stops_being_tried(normalize: Callable[..., Batch]) -> None:
    """After 10 timeouts the bucket is empty: later lines are rejected at once, good ones included
    (the run's time is what is bounded), and counted as untried for the summary."""
    attack = "a" * 60 + "b"
    lines = [attack] * 10 + ["aaaa", attack, "aa"]
    batch = normalize(CATASTROPHIC, lines, regex_timeout=0.01)
    assert batch.events == []
    assert [r.reason for r in batch.rejects] == ["regex_timeout"] * 13
    assert {r.message for r in batch.rejects[:10]} == {"the regex search took longer than 0.01 s"}
    assert {r.message for r in batch.rejects[10:]} == {
        "not tried: the regex timed out on 10 lines, more than its budget allows "
        "(10 in a row, then 1% of the run's time)"
    }
    assert batch.untried == {"Custom.Slow": 3}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_timeout_budget_refills_at_one_percent_of_the_time_that_passes() -> None:
    clock = FakeClock()
    budget = TimeoutBudget(0.1, burst=3, share=0.01, clock=clock)
    for _ in range(3):
        assert budget.available()
        budget.spend()
    assert budget.exhausted and not budget.available()
    clock.now = 9.9  # 0.099 s refilled: still less than one timeout
    assert not budget.available()
    clock.now = 10.0  # 0.1 s: one more search
    assert budget.available()
    budget.spend()
    assert not budget.available()
    clock.now = 1000.0  # never more than the burst
    assert budget.available()
    assert budget.seconds == pytest.approx(0.3)


def test_a_one_megabyte_line(normalize: Callable[..., Batch]) -> None:
    schema = """
        schema: Custom.Big
        parser:
          regex:
            match: ['^%{WORD:first} %{GREEDYDATA:rest}$']
        fields:
          - {name: first, type: string}
          - {name: rest, type: string}
    """
    rest = "x" * (1 << 20)
    (event,) = normalize(schema, [f"hello {rest}"]).events
    assert (event["first"], len(event["rest"])) == ("hello", 1 << 20)


def test_groups_without_fields_and_fields_without_groups(normalize: Callable[..., Batch]) -> None:
    schema = """
        schema: Custom.Groups
        parser:
          regex:
            emptyValues: ['-']
            trimSpace: true
            match: ['(?P<a>\\w+) (?P<unused>\\w+) (?P<b>[^|]*)\\|(?:x)?(?P<c>y)?']
        fields:
          - {name: a, type: string}
          - {name: b, type: string}
          - {name: c, type: string}
          - {name: d, type: string}
    """
    batch = normalize(schema, ["one two  - |", "one two  three |xy"])
    assert [{k: v for k, v in e.items() if not k.startswith("p_")} for e in batch.events] == [
        {"a": "one", "c": ""},  # c took no part: "" (spec f.1); b was " - ", trimmed to an empty value
        {"a": "one", "b": "three", "c": "y"},
    ]


BAD_HEAD = "schema: Custom.Bad\nparser:\n  regex:\n"
BAD_TAIL = "fields:\n  - {name: x, type: string}\n"


@pytest.mark.parametrize(
    ("parser_body", "expected", "line"),
    [
        ("    match: ['%{NOPE:x}']\n", "unknown grok pattern %{NOPE}", 4),
        (
            "    patternDefinitions:\n      FOO: 'a%{BAR}'\n      BAR: 'b%{FOO}'\n    match: ['%{FOO:x}']\n",
            "recursive grok pattern: FOO -> BAR -> FOO",
            7,
        ),
        ("    match: ['(?P<x>a']\n", "invalid regular expression: missing ) at position 7", 4),
        (
            "    match: ['(?P<user-agent>a)']\n",
            "invalid regular expression: bad character in group name at position 14",
            4,
        ),
        (
            "    match: ['(?:a{1000}){1000}']\n",
            "the pattern would compile to about 1,000,000 steps, more than the 100,000 allowed "
            "(a repeat inside a repeat multiplies them)",
            4,
        ),
    ],
    ids=["unknown", "recursive", "unbalanced", "bad-group-name", "compile-bomb"],
)
def test_schema_errors(
    schema_file: Callable[[str, str], Path], parser_body: str, expected: str, line: int
) -> None:
    path = schema_file(BAD_HEAD + parser_body + BAD_TAIL)
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert str(info.value) == f"{path}:{line}:12: {expected} (at parser.regex.match)"
