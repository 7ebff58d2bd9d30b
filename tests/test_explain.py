"""``normalize explain``: a failing line of each parser kind, as text and as JSON."""

from __future__ import annotations

import base64
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Normalizer, Registry, search_path
from engine.explain import explain
from engine.registry import load_schema_file
from engine.values import encode_event

from .samples import cloudtrail_with
from .test_cli import NORMALIZE
from .test_normalizer import OPTIONS


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NORMALIZE, "explain", *args], input=stdin.decode(), capture_output=True, text=True, check=False
    )


def test_fastmatch_text_output() -> None:
    result = run("-s", "Heroku.Runtime", "83 <4x>1 2012-11-30T06:45:29+00:00 host app web.3 - -")
    assert result.returncode == 1  # something was rejected
    assert result.stdout == (
        "line 1 with Heroku.Runtime (fastmatch): reject\n"
        "  the pattern matched\n"
        '  message_len  "83"                            → 83\n'
        '  priority     "4x"                            ✗ not a valid int\n'
        '  version      "1"                             → "1"\n'
        '  timestamp    "2012-11-30T06:45:29+00:00"     → "2012-11-30 06:45:29.000000000"\n'
        '  host_name    "host"                          → "host"\n'
        '  app_name     "app"                           → "app"\n'
        '  process_id   "web.3"                         → "web.3"\n'
        "  message_id   -                               absent\n"
        "  message      -                               absent\n"
        "  result: bad_value: field 'priority': '4x' is not a valid int\n"
    )


def test_stdin_lines_and_an_accepted_line() -> None:
    good = "83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - up"
    result = run("-s", "Heroku.Runtime", "--json", stdin=f"{good}\n".encode())
    assert result.returncode == 0
    (doc,) = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert doc["line"] == 1
    (schema,) = doc["schemas"]
    assert schema["result"]["event"]["message"] == "up"


def explained(schema_file: Callable[..., Path], schema: str, line: str) -> dict:
    (e,) = explain(Normalizer(load_schema_file(schema_file(schema))), line)
    return e.to_dict()


def test_regex_reports_how_far_the_pattern_matched(schema_file: Callable[..., Path]) -> None:
    schema = """
        schema: Custom.Kv
        parser:
          regex:
            match: ['^%{WORD:key}=', '%{INT:number} ', '%{GREEDYDATA:rest}$']
        fields:
          - {name: key, type: string}
          - {name: number, type: int}
          - {name: rest, type: string}
    """
    doc = explained(schema_file, schema, "size=big rest")
    assert doc["steps"] == ["no match: match[0..0] match up to column 6, match[1] does not"]
    assert doc["result"]["reject"]["reason"] == "no_match"


def test_csv_reports_column_counts(schema_file: Callable[..., Path]) -> None:
    schema = """
        schema: Custom.Pair
        parser:
          csv:
            columns: [a, b]
        fields:
          - {name: a, type: string}
          - {name: b, type: boolean}
    """
    assert explained(schema_file, schema, "1,2,3")["steps"] == [
        "no match: the row has 3 columns, the schema expects 2"
    ]
    doc = explained(schema_file, schema, "x,yes")
    assert doc["fields"] == [
        {"name": "a", "raw": "x", "value": "x"},
        {"name": "b", "raw": "yes", "problem": "not a valid boolean"},
    ]


def test_json_fields_each_with_its_outcome(schema_file: Callable[..., Path]) -> None:
    schema = """
        schema: Custom.J
        fields:
          - {name: n, type: int}
          - {name: s, type: string, validate: {allow: [a]}}
          - {name: t, type: timestamp, timeFormats: [rfc3339], required: true}
    """
    doc = explained(schema_file, schema, '{"n": 1.5, "s": "b"}')
    assert doc["steps"] == ["read a JSON object with 2 key(s)"]
    assert doc["fields"] == [
        {"name": "n", "raw": 1.5, "problem": "not a valid int"},
        {"name": "s", "raw": "b", "problem": "fails its 'allow' rule: not one of the allowed values"},
        {"name": "t", "problem": "required, but absent"},
    ]
    assert doc["result"]["reject"]["field"] == "n"  # the normalizer stops at the first failure
    assert explained(schema_file, schema, "nope")["steps"] == [
        "not read: not JSON: Expecting value (column 1)"
    ]


@pytest.fixture(scope="module")
def options_normalizer(tmp_path_factory: pytest.TempPathFactory) -> Normalizer:
    path = tmp_path_factory.mktemp("options") / "options.yml"
    path.write_text(textwrap.dedent(OPTIONS))
    return Normalizer(load_schema_file(path))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]INFO |-N/A xy", max_size=24))
def test_text_options_reference_agrees_with_generated_code(options_normalizer: Normalizer, line: str) -> None:
    """parsers.text.apply_options (what explain shows) and the compiled function give the same fields."""
    (e,) = explain(options_normalizer, line)
    if "event" in e.result:
        shown = {f.name: f.value for f in e.fields if f.present}
        assert shown == {k: v for k, v in e.result["event"].items() if not k.startswith("p_")}


def test_a_line_no_pattern_takes_says_why_once() -> None:
    """The parser's reason is a step; the result line names the reject without repeating it."""
    result = run("-s", "Heroku.Runtime", "garbage")
    assert result.returncode == 1
    assert result.stdout == (
        "line 1 with Heroku.Runtime (fastmatch): reject\n"
        "  no match: delimiter ' <' after %{message_len} not found from column 1\n"
        "  result: no_match\n"
    )
    result = run("-s", "AWS.CloudTrail", "nope")
    assert result.stdout == (
        "line 1 with AWS.CloudTrail (json): reject\n"
        "  not read: not JSON: Expecting value (column 1)\n"
        "  result: invalid_json\n"
    )


def test_json_keeps_the_reject_as_normalize_writes_it() -> None:
    result = run("-s", "Heroku.Runtime", "--json", "garbage")
    (schema,) = orjson.loads(result.stdout)["schemas"]
    assert schema["steps"] == ["no match: delimiter ' <' after %{message_len} not found from column 1"]
    assert schema["result"] == {
        "reject": {
            "reason": "no_match",
            "message": "no match: delimiter ' <' after %{message_len} not found from column 1",
            "schema": "Heroku.Runtime",
            "source": "explain",
            "line": 1,
            "raw": "garbage",
        }
    }


def test_a_skipped_line_says_why_and_is_not_parsed() -> None:
    result = run("-s", "Heroku.Runtime", "--json", "  ")
    (schema,) = orjson.loads(result.stdout)["schemas"]
    assert schema["steps"] == ["the line is blank"]
    assert schema["fields"] == []
    assert schema["result"] == {"skipped": "blank"}
    text = run("-s", "Heroku.Runtime", "  ").stdout
    assert text == "line 1 with Heroku.Runtime (fastmatch): skipped (blank)\n  the line is blank\n"


def test_a_schema_that_skips_a_files_first_lines_explains_the_line_itself() -> None:
    """AWS.VPCFlow skips each file's header line: a line to explain is a record, not that header."""
    record = "2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1710496800 1710496860 ACCEPT"
    record += " OK"
    result = run("-s", "AWS.VPCFlow", "--json", record, "a b c")
    first, second = (orjson.loads(line)["schemas"][0] for line in result.stdout.splitlines())
    assert first["result"]["event"]["interfaceId"] == "eni-0a1b2c3d"
    assert second["steps"] == [
        "explained as line 2 of a file, after the CSV header",
        "no match: the row has 3 columns, the schema expects 14",
    ]
    assert second["result"]["reject"]["reason"] == "no_match"


def test_a_schema_named_by_each_files_header_cannot_be_explained(tmp_path: Path) -> None:
    """Without columns, the names come from a header line that explain never sees: say so (it printed
    an empty line and exited 1)."""
    header = "schema: Custom.H\nparser:\n  csv:\n    hasHeader: true\nfields:\n  - {name: a, type: int}\n"
    (tmp_path / "h.yml").write_text(header)
    result = run("--schemas", str(tmp_path), "-s", "Custom.H", "5")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "normalize: Custom.H takes its column names from each file's header line, which explain does not "
        "read: give the schema its csv columns to explain lines\n",
    )


LINE_NOT_UTF8 = b"83 <4>1 2012-11-30T06:45:29+00:00 host app web.3 - up\xff"


@pytest.mark.parametrize("given", ["argument", "stdin"])
def test_a_line_that_is_not_utf8_is_explained_as_a_run_takes_it(given: str) -> None:
    """As an argument or on stdin, a line that is not UTF-8 is the invalid_utf8 reject a run writes,
    its bytes kept as base64 (it gave a traceback)."""
    args = [NORMALIZE.encode(), b"explain", b"-s", b"Heroku.Runtime", b"--json"]
    if given == "argument":
        result = subprocess.run([*args, LINE_NOT_UTF8], capture_output=True, check=False)
    else:
        result = subprocess.run(args, input=LINE_NOT_UTF8 + b"\r\n", capture_output=True, check=False)
    assert (result.returncode, result.stderr) == (1, b"")
    doc = orjson.loads(result.stdout)
    assert doc["raw_b64"] == base64.b64encode(LINE_NOT_UTF8 + (b"\r" if given == "stdin" else b"")).decode()
    (schema,) = doc["schemas"]
    assert schema["steps"] == ["the line is not valid UTF-8"]
    assert schema["result"] == {
        "reject": {
            "reason": "invalid_utf8",
            "message": "line is not valid UTF-8: byte 0xff at offset 53",
            "schema": "Heroku.Runtime",
            "source": "explain",
            "line": 1,
            "raw_b64": base64.b64encode(LINE_NOT_UTF8).decode(),
        }
    }
    text = subprocess.run([*args[:-1], LINE_NOT_UTF8], capture_output=True, check=False)
    assert (text.returncode, text.stderr) == (1, b"")
    assert text.stdout.decode() == (
        "line 1 with Heroku.Runtime (fastmatch): reject\n"
        "  the line is not valid UTF-8\n"
        "  result: invalid_utf8: line is not valid UTF-8: byte 0xff at offset 53\n"
    )


def test_a_line_that_is_not_utf8_with_replacement() -> None:
    (e,) = explain(
        Normalizer(Registry(search_path()).load("Heroku.Runtime"), invalid_utf8="replace"), LINE_NOT_UTF8
    )
    assert (
        e.steps[0]
        == "the line is not valid UTF-8: read with U+FFFD for each bad byte (--invalid-utf8 replace)"
    )
    assert e.result["event"]["message"] == "up\ufffd"


@pytest.mark.parametrize(
    "line",
    [
        cloudtrail_with("[" * 300 + "1" + "]" * 300),  # past orjson's 254 levels
        cloudtrail_with("[" * 1000 + "1" + "]" * 1000),  # near the reader's bound
        cloudtrail_with('"a\\ud800b"'),  # a lone surrogate: orjson writes no such string
    ],
    ids=["300 levels", "1000 levels", "lone surrogate"],
)
def test_explain_takes_every_value_a_run_takes(tmp_path: Path, line: bytes) -> None:
    """A JSON value deeper than orjson writes, or a string with a lone surrogate: explain shows the
    event a run writes (it gave a TypeError traceback), as text and as JSON."""
    source = tmp_path / "line.json"
    source.write_bytes(line + b"\n")
    ran = subprocess.run([NORMALIZE, "-s", "AWS.CloudTrail", str(source)], capture_output=True, check=True)
    (written,) = ran.stdout.splitlines()
    args = [NORMALIZE, "explain", "-s", "AWS.CloudTrail"]
    as_json = subprocess.run([*args, "--json"], input=line, capture_output=True, check=False)
    assert (as_json.returncode, as_json.stderr) == (0, b"")
    event = orjson.loads(as_json.stdout)["schemas"][0]["result"]["event"]
    event.pop("p_row_id"), event.pop("p_parse_time")
    run_event = orjson.loads(written)
    run_event.pop("p_row_id"), run_event.pop("p_parse_time")
    assert encode_event(event) == encode_event(run_event)  # as bytes: == recurses past Python's limit
    as_text = subprocess.run(args, input=line, capture_output=True, check=False)
    assert (as_text.returncode, as_text.stderr) == (0, b"")
    assert as_text.stdout.startswith(b"line 1 with AWS.CloudTrail (json): event\n")
