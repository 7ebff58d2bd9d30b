"""``normalize playground`` without a browser: what the page's calls answer (``workbench``), the
real server's routes and guards over HTTP, and what the page opens with."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import ANY

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch import DEFAULT_MAX_LINE_BYTES
from engine.errors import NormalizeError
from engine.playground import workbench
from engine.playground.app import MAX_BODY_BYTES
from engine.playground.command import SKELETON_NAME, start_from
from engine.scaffold import SCHEMA
from engine.schematest import run_paths
from tests.conftest import stable
from tests.samples import cloudtrail_with

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
REPO = Path(__file__).resolve().parent.parent
SKELETON = SCHEMA.format(name=SKELETON_NAME)
SKELETON_SAMPLE = (
    "2024-03-15T10:00:01+01:00 INFO 10.0.0.1 user logged in\n"
    "2024-03-15T10:00:02Z WARN - disk almost full\n"
    "2024-03-15T10:00:03Z TRACE 10.0.0.1 noisy\n"
)
CSV = textwrap.dedent(
    """\
    schema: Custom.Csv
    parser:
      csv:
        delimiter: ','
        hasHeader: true
    fields:
      - name: user
        type: string
      - name: count
        type: int
    """
)


# --- workbench: the page's calls, as functions ---------------------------------------------------


def test_a_sample_runs_line_by_line_into_events_and_rejects() -> None:
    answer = workbench.run(SKELETON, SKELETON_SAMPLE, cursor_line=3)
    assert answer["diagnostics"] == []
    assert answer["schema"] == SKELETON_NAME
    assert answer["counts"] == {"lines": 3, "events": 2, "rejects": 1, "skipped": 0, "left_out": 0}
    first, second, third = answer["results"]
    assert (first["line"], stable(first["event"])) == (
        1,
        {
            "time": "2024-03-15 09:00:01.000000000",
            "level": "INFO",
            "client": "10.0.0.1",
            "message": "user logged in",
            "p_log_type": SKELETON_NAME,
            "p_event_time": "2024-03-15 09:00:01.000000000",
            "p_any_ip_addresses": ["10.0.0.1"],
        },
    )
    assert second["line"] == 2 and "client" not in second["event"]
    assert third == {
        "line": 3,
        "reject": {
            "reason": "validation_failed",
            "message": "field 'level' 'TRACE' fails its 'allow' rule: not one of the allowed values",
            "raw": "2024-03-15T10:00:03Z TRACE 10.0.0.1 noisy",
            "source": "sample",
            "line": 3,
            "schema": SKELETON_NAME,
            "field": "level",
            "value": "TRACE",
            "rule": "allow",
        },
    }
    assert answer["explain"].splitlines()[0] == f"line 3 with {SKELETON_NAME} (fastmatch): reject"


@pytest.mark.parametrize(
    ("schema", "line", "col", "rule", "message"),
    [
        (
            SKELETON.replace("    type: timestamp\n", "    type: timestamp: x\n"),
            11,
            20,
            "yaml-syntax",
            "invalid YAML: mapping values are not allowed here",
        ),
        (
            SKELETON.replace("type: timestamp", "type: strin"),
            11,
            11,
            "schema-json",
            "unknown type 'strin'; expected one of string, int, smallint, bigint, float, boolean, timestamp, "
            "json, object, array (at fields[0].type)",
        ),
        ("schema: X\nfields: [\n", 3, 1, "yaml-syntax", "invalid YAML: expected the node content, but found"),
    ],
)
def test_a_broken_schema_gives_its_findings_at_their_line_and_no_results(
    schema: str, line: int, col: int, rule: str, message: str
) -> None:
    answer = workbench.run(schema, SKELETON_SAMPLE, cursor_line=1)
    assert answer["schema"] is None and "results" not in answer
    (first, *_) = answer["diagnostics"]
    assert (first["line"], first["col"], first["severity"], first["rule"]) == (line, col, "error", rule)
    assert first["message"].startswith(message)
    assert first["text"].startswith(f"schema.yml:{line}:{col}: error: ")


def test_warnings_are_shown_and_the_sample_still_runs() -> None:
    unused = SKELETON.replace("%{message}'", "%{message} %{extra}'")
    answer = workbench.run(unused, "", None)
    assert [(d["severity"], d["rule"]) for d in answer["diagnostics"]] == [("warning", "unused-capture")]
    assert answer["counts"] == {"lines": 0, "events": 0, "rejects": 0, "skipped": 0, "left_out": 0}
    assert answer["explain"] is None


def test_a_csv_header_is_skipped_as_for_a_file_and_lines_keep_their_numbers() -> None:
    answer = workbench.run(CSV, "user,count\nalice,3\n\nbob,x\n", cursor_line=2)
    outcomes = [(r["line"], next(k for k in r if k != "line")) for r in answer["results"]]
    assert outcomes == [(1, "skipped"), (2, "event"), (3, "skipped"), (4, "reject")]
    assert answer["results"][0]["skipped"] == "header"
    event = answer["results"][1]["event"]
    assert event["p_event_time"] == event["p_parse_time"]  # no event time field: the parse time
    assert stable(event) == {"user": "alice", "count": 3, "p_log_type": "Custom.Csv", "p_event_time": ANY}
    assert answer["results"][3]["reject"]["field"] == "count"
    assert answer["explain"] == (
        "Custom.Csv takes its column names from each file's header line, which explain does not read: "
        "give the schema its csv columns to explain lines"
    )


def test_the_sample_is_bounded() -> None:
    lines = "".join(f"2024-03-15T10:00:01Z INFO - n{i}\n" for i in range(workbench.MAX_SAMPLE_LINES + 5))
    answer = workbench.run(SKELETON, lines, cursor_line=workbench.MAX_SAMPLE_LINES + 1)
    assert answer["counts"]["lines"] == workbench.MAX_SAMPLE_LINES
    assert answer["counts"]["left_out"] == 5
    assert answer["explain"] is None


def test_a_run_is_bounded_in_time_and_says_what_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbench, "RUN_SECONDS", -1.0)  # past its deadline before the first line
    answer = workbench.run(SKELETON + " ", SKELETON_SAMPLE, cursor_line=1)
    assert answer["results"] == []
    assert answer["counts"] == {"lines": 0, "events": 0, "rejects": 0, "skipped": 0, "left_out": 3}
    assert answer["left_out"] == "3 lines not run: the run stopped after -1 s"


def test_a_line_over_the_limit_is_line_too_long_as_on_the_cli() -> None:
    long = "2024-03-15T10:00:01Z INFO - " + "x" * DEFAULT_MAX_LINE_BYTES
    answer = workbench.run(SKELETON, long + "\n", cursor_line=1)
    (result,) = answer["results"]
    assert result["reject"]["reason"] == "line_too_long"
    assert answer["explain"] == (
        f"line 1: line_too_long: {len(long):,} bytes, more than {DEFAULT_MAX_LINE_BYTES:,}"
    )


def test_a_schema_is_linted_and_compiled_once_for_many_runs() -> None:
    text = SKELETON + "# once\n"
    first = workbench.load(text)
    workbench.run(text, SKELETON_SAMPLE, 1)
    workbench.run(text, SKELETON_SAMPLE[:20], 2)
    assert workbench.load(text) is first
    assert first.normalizer is first.normalizer


def test_infer_drafts_a_schema_that_takes_the_whole_sample() -> None:
    sample = (REPO / "schemas/Heroku/Router.sample.log").read_text(encoding="utf-8")
    answer = workbench.infer(sample, "Custom.Router")
    assert answer["schema"].splitlines()[2] == "schema: Custom.Router"
    run = workbench.run(answer["schema"], sample)
    assert run["diagnostics"] == []
    assert run["counts"]["events"] == answer["events"] == answer["lines"] - len(answer["outliers"])
    assert run["counts"]["rejects"] == len(answer["outliers"])
    assert any(line.startswith("parser: ") for line in answer["explanation"])


def test_infer_takes_json_nested_past_pythons_stack_as_text() -> None:
    answer = workbench.infer("[" * 3_000 + "\n", "Custom.Deep")  # json.loads: RecursionError
    assert (answer["lines"], answer["events"]) == (1, 1)


def test_infer_of_an_empty_sample_says_what_is_missing() -> None:
    with pytest.raises(NormalizeError, match=r"^no sample lines in sample: give lines of the logs"):
        workbench.infer("\n\n", "Custom.Empty")


def test_downloaded_tests_pass_against_the_schema(tmp_path: Path) -> None:
    text = workbench.tests(SKELETON, SKELETON_SAMPLE, "App.yml")
    (tmp_path / "App.yml").write_text(SKELETON, encoding="utf-8")
    (tmp_path / "App.tests.yml").write_text(text, encoding="utf-8")
    cases = yaml.safe_load(text)
    assert [case["name"] for case in cases] == ["sample line 1", "sample line 2"]
    results = run_paths([tmp_path])
    assert [(r.name, r.passed) for r in results] == [("sample line 1", True), ("sample line 2", True)]


@pytest.mark.parametrize(
    ("schema", "sample", "message"),
    [
        ("schema: X\n", "a\n", "the schema has errors; fix them first: schema.yml:1:1: error: "),
        (SKELETON, "no\n", "no sample line becomes an event: a test case needs one"),
    ],
)
def test_tests_need_a_working_schema_and_an_event(schema: str, sample: str, message: str) -> None:
    with pytest.raises(NormalizeError) as caught:
        workbench.tests(schema, sample, "App.yml")
    assert str(caught.value).startswith(message)


# --- what the page opens with ----------------------------------------------------------------------


def test_the_page_opens_with_the_skeleton_and_its_test_inputs() -> None:
    start = start_from(None, None, [])
    assert (start.schema, start.sample, start.name) == (SKELETON, SKELETON_SAMPLE, SKELETON_NAME)


def test_a_named_schema_opens_with_the_sample_bundled_beside_it(tmp_path: Path) -> None:
    start = start_from("Heroku.Router", None, [])
    assert start.schema == (REPO / "schemas/Heroku/Router.yml").read_text(encoding="utf-8")
    assert start.sample == (REPO / "schemas/Heroku/Router.sample.log").read_text(encoding="utf-8")
    assert start.name == "Heroku.Router"
    own = tmp_path / "mine.log"
    own.write_text("x\n", encoding="utf-8")
    assert start_from(str(REPO / "schemas/Apache/AccessCombined.yml"), str(own), []).sample == "x\n"
    assert start_from(str(REPO / "schemas/Apache/AccessCombined.yml"), None, []).sample == (
        REPO / "schemas/Apache/sample.log"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('schema: "Custom.Quoted"  # a comment\nfields: []\n', "Custom.Quoted"),
        ("fields: [\n", SKELETON_NAME),  # no name that reads: Infer's default
        ("- a list\n", SKELETON_NAME),
    ],
)
def test_the_name_infer_gives_is_the_schema_files(tmp_path: Path, text: str, name: str) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(text, encoding="utf-8")
    assert start_from(str(path), None, []).name == name


def test_an_unknown_schema_or_sample_is_one_line() -> None:
    with pytest.raises(NormalizeError, match=r"^unknown schema 'Heroku\.Routr'"):
        start_from("Heroku.Routr", None, [])
    with pytest.raises(NormalizeError, match=r"^cannot read nowhere\.log: No such file or directory$"):
        start_from(None, "nowhere.log", [])


# --- the real server ---------------------------------------------------------------------------------


@contextlib.contextmanager
def launch(*args: str) -> Iterator[str]:
    """Run ``normalize playground --port 0 ARGS`` until the block ends; the address it printed."""
    proc = subprocess.Popen(
        [NORMALIZE, "playground", "--port", "0", *args], stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    found = re.fullmatch(
        r"normalize playground: open (http://127\.0\.0\.1:[0-9]+)/ \(Ctrl-C to stop\)\n", first
    )
    if found is None:
        proc.kill()
        raise AssertionError(first + proc.stderr.read())
    base = found[1]
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as the server says: the exit code of an interrupt
        assert proc.wait(timeout=20) == 130
        assert proc.stderr.read() == ""


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with launch() as base:
        yield base


def post(url: str, path: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(url + path, json=body, headers=headers, timeout=60)


def test_the_page_and_its_files_are_served_with_a_strict_policy(url: str) -> None:
    page = httpx.get(url + "/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"].startswith("default-src 'self';")
    assert page.headers["x-content-type-options"] == "nosniff"
    scripts = [part.split('"')[0] for part in page.text.split('<script src="')[1:]]
    assert scripts[0] == "/static/vendor/codemirror/codemirror.js" and scripts[-1] == "/static/playground.js"
    for script in scripts:
        answer = httpx.get(url + script)
        assert (script, answer.status_code) == (script, 200)
        assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    for own in ("/", "/static/playground.js", "/static/playground.css"):  # nothing from elsewhere
        assert re.search(r"https?:|//[a-z]", httpx.get(url + own).text) is None, own
    start = httpx.get(url + "/api/start").json()
    assert (start["schema"], start["sample"], start["name"]) == (SKELETON, SKELETON_SAMPLE, SKELETON_NAME)
    assert httpx.get(url + "/api/json-schema").json()["title"] == "normalize log schema"


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error"),
    [
        ("GET", "/static/../app.py", {}, None, 404, "nothing at /app.py"),
        ("GET", "/static/%2e%2e/app.py", {}, None, 404, "nothing at /static/../app.py"),
        ("GET", "/api/run", {}, None, 404, "nothing at /api/run"),
        ("PUT", "/api/run", {}, b"{}", 405, "/api/run takes POST"),
        ("POST", "/api/run", {"content-type": "text/plain"}, b"{}", 415, "send application/json"),
        ("POST", "/api/run", {"content-type": "application/json"}, b"{", 400, "the body is not JSON"),
        (
            "POST",
            "/api/run",
            {"content-type": "application/json"},
            b"[]",
            400,
            "the body is not a JSON object",
        ),
        ("POST", "/api/run", {"content-type": "application/json"}, b'{"schema": 1}', 422, "schema is text"),
        (
            "POST",
            "/api/complete",
            {"content-type": "application/json"},
            b"{}",
            422,
            "line and col are whole numbers",
        ),
        (
            "POST",
            "/api/run",
            {"content-type": "application/json"},
            b" " * (MAX_BODY_BYTES + 1),
            413,
            f"a request holds at most {MAX_BODY_BYTES:,} bytes",
        ),
        (
            "GET",
            "/",
            {"host": "attacker.example:8765"},
            None,
            421,
            "this server answers to 127.0.0.1, [::1], localhost, not 'attacker.example:8765'",
        ),
    ],
)
def test_requests_out_of_bounds_are_refused_with_a_reason(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes | None, status: int, error: str
) -> None:
    answer = httpx.request(method, url + path, headers=headers, content=body, timeout=60)
    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_the_calls_answer_as_the_workbench_does(url: str) -> None:
    run = post(url, "/api/run", {"schema": SKELETON, "sample": SKELETON_SAMPLE, "cursor": 1}).json()
    assert run["counts"] == {"lines": 3, "events": 2, "rejects": 1, "skipped": 0, "left_out": 0}
    assert run["explain"].startswith(f"line 1 with {SKELETON_NAME} (fastmatch): event\n")
    tests = post(url, "/api/tests", {"schema": SKELETON, "sample": SKELETON_SAMPLE, "file": "App.yml"})
    assert tests.headers["content-type"] == "text/yaml; charset=utf-8"
    assert tests.text == workbench.tests(SKELETON, SKELETON_SAMPLE, "App.yml")
    inferred = post(url, "/api/infer", {"sample": SKELETON_SAMPLE, "name": "Custom.Drafted"}).json()
    assert "schema: Custom.Drafted" in inferred["schema"].splitlines()
    refused = post(url, "/api/infer", {"sample": "", "name": "Custom.Drafted"})
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("no sample lines in sample")
    completed = post(url, "/api/complete", {"schema": "", "line": 0, "col": 0}).json()
    assert {item["label"] for item in completed["items"]} >= {"schema", "fields", "parser"}


def test_a_line_nested_past_orjsons_depth_runs_over_http(url: str) -> None:
    """A JSON line 300 levels deep (a run takes 1,023): its event and its explain come back (the
    answer's orjson.dumps raised at 254 levels, a 500)."""
    schema = (REPO / "schemas" / "AWS" / "CloudTrail.yml").read_text(encoding="utf-8")
    line = cloudtrail_with("[" * 300 + "1" + "]" * 300).decode()
    answer = post(url, "/api/run", {"schema": schema, "sample": line, "cursor": 1})
    assert answer.status_code == 200, answer.text
    assert answer.text.count("[" * 300 + "1" + "]" * 300) == 1  # the event; explain shows it cut short
    run = answer.json()
    assert run["counts"] == {"lines": 1, "events": 1, "rejects": 0, "skipped": 0, "left_out": 0}
    assert run["explain"].startswith("line 1 with AWS.CloudTrail (json): event\n")


def test_the_command_refuses_what_it_cannot_open(url: str) -> None:
    for args, error in [
        (["Custom.Nothing"], "normalize: unknown schema 'Custom.Nothing'"),
        (
            ["--port", url.rsplit(":", 1)[1]],
            f"normalize: cannot listen on 127.0.0.1 port {url.rsplit(':', 1)[1]}: Address already in use\n",
        ),
    ]:
        done = subprocess.run(
            [NORMALIZE, "playground", *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert (done.returncode, done.stderr[: len(error)]) == (2, error)


# --- mutated schemas and samples: every line accounted for, never a traceback ------------------------

BUNDLED = sorted((REPO / "schemas").rglob("*.yml"))
BUNDLED = [p for p in BUNDLED if not p.name.endswith(".tests.yml")]


def _sample_of(schema_file: Path) -> str:
    for beside in (schema_file.with_suffix(".sample.log"), schema_file.with_name("sample.log")):
        if beside.is_file():
            return beside.read_text(encoding="utf-8")
    return ""


def _mutated(data: st.DataObject, text: str, label: str) -> str:
    raw = bytearray(text.encode("utf-8"))
    for _ in range(data.draw(st.integers(0, 3), label=f"{label} mutations")):
        at = data.draw(st.integers(0, len(raw)), label=f"{label} offset")
        byte = data.draw(st.sampled_from(b" \n\t:-#[]{}\"'%x0\xff"), label=f"{label} byte")
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label=f"{label} op")
        if op == "insert":
            raw[at:at] = bytes([byte])
        elif at < len(raw):
            raw[at : at + 1] = b"" if op == "delete" else bytes([byte])
    return raw.decode("utf-8", errors="replace")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_a_mutated_schema_and_sample_give_findings_or_an_outcome_for_every_line(
    path: Path, data: st.DataObject
) -> None:
    schema = _mutated(data, path.read_text(encoding="utf-8"), "schema")
    sample = _mutated(data, _sample_of(path), "sample")
    cursor = data.draw(st.integers(0, 30), label="cursor")
    answer = workbench.run(schema, sample, cursor)
    assert all(d["severity"] in ("error", "warning") for d in answer["diagnostics"])
    if answer["schema"] is None:
        assert any(d["severity"] == "error" for d in answer["diagnostics"])
        return
    counts, results = answer["counts"], answer["results"]
    assert [r["line"] for r in results] == list(range(1, counts["lines"] + 1))
    assert counts["lines"] == counts["events"] + counts["rejects"] + counts["skipped"]
    assert counts["lines"] + counts["left_out"] == len(workbench.sample_lines(sample))
    json.dumps(answer)  # what the page receives is JSON
