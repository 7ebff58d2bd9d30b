"""Schema test cases (``engine/schematest.py``): the ``NAME.tests.yml`` format, its diffs and its errors.

The cases beside every bundled schema must pass; a wrong expectation must fail with a diff line that
names the field (spec h.3, l.16).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from engine import Encoded, Normalizer, plan
from engine.errors import NormalizeError, SchemaError
from engine.registry import Registry, bundled_dir
from engine.schematest import CaseResult, find_test_files, render, run_paths, run_test_file

ACCESS = """\
schema: Test.Access
parser:
  fastmatch:
    emptyValues: ['-']
    match:
      - '%{time} %{user} %{status} %{client} %{ratio}'
fields:
  - {name: time, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
  - {name: user, type: string}
  - {name: status, type: int}
  - {name: client, type: string, indicators: [ip]}
  - {name: ratio, type: float}
"""

LINE = "2024-03-15T10:00:00Z bob 404 10.0.0.1 0.5"
"""One line of Test.Access: every field present."""

EVENT = """\
    time: '2024-03-15 10:00:00.000000000'
    user: bob
    status: 404
    client: 10.0.0.1
    ratio: 0.5
"""
"""The expected event of ``LINE``, indented as a case's ``result``."""

Run = Callable[..., list[CaseResult]]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``Access.yml`` (the schema) and ``Access.tests.yml`` (the cases); return the test file."""

    def write_files(cases: str, schema: str = ACCESS) -> Path:
        (tmp_path / "Access.yml").write_text(schema, encoding="utf-8")
        test_file = tmp_path / "Access.tests.yml"
        test_file.write_text(textwrap.dedent(cases), encoding="utf-8")
        return test_file

    return write_files


@pytest.fixture
def run(write: Callable[[str, str], Path]) -> Run:
    """Run cases (YAML text) against a schema (YAML text, Test.Access by default)."""

    def run_cases(cases: str, schema: str = ACCESS) -> list[CaseResult]:
        test_file = write(cases, schema)
        return run_test_file(test_file, test_file.with_name("Access.yml"))

    return run_cases


def diffs(results: list[CaseResult]) -> list[list[str]]:
    return [r.diff for r in results]


# --- passing and failing cases ---------------------------------------------------------------------


def test_a_passing_case(run: Run, tmp_path: Path) -> None:
    p_fields = "    p_log_type: Test.Access\n    p_event_time: '2024-03-15T10:00:00Z'\n"
    p_fields += "    p_any_ip_addresses: [10.0.0.1]\n"
    results = run(f"- name: every field\n  input: '{LINE}'\n  result:\n{EVENT}{p_fields}")
    assert results == [CaseResult(str(tmp_path / "Access.tests.yml"), "every field", 1, True, [])]


FIELD_DIFFS = [
    (
        "wrong-value",
        EVENT.replace("404", "200"),
        LINE,
        ["field 'status': expected 200, got 404"],
    ),
    (
        "missing-field",
        EVENT,
        LINE.replace("bob", "-"),
        ["field 'user': expected \"bob\", got absent"],
    ),
    (
        "extra-field",
        EVENT.replace("    user: bob\n", ""),
        LINE,
        ["field 'user': expected absent, got \"bob\""],
    ),
    (
        "null-is-absent",
        EVENT.replace("user: bob", "user: null"),
        LINE,
        ["field 'user': expected absent, got \"bob\""],
    ),
    (
        "string-is-not-int",
        EVENT.replace("404", "'404'"),
        LINE,
        ["field 'status': expected \"404\", got 404"],
    ),
    (
        "float-by-value",
        EVENT.replace("ratio: 0.5", "ratio: 2"),
        LINE.replace("0.5", "2.0"),
        [],
    ),
    (
        "float-differs",
        EVENT,
        LINE.replace("0.5", "0.25"),
        ["field 'ratio': expected 0.5, got 0.25"],
    ),
    (
        "instant-with-offset-equal",
        EVENT.replace("'2024-03-15 10:00:00.000000000'", "'2024-03-15T12:00:00+02:00'")
        + "    p_event_time: '2024-03-15T05:00:00-05:00'\n",
        LINE,
        [],
    ),
    (
        "instant-short-fraction-equal",
        EVENT.replace("10:00:00.000000000", "10:00:00.5"),
        LINE.replace("10:00:00Z", "10:00:00.500Z"),
        [],
    ),
    (
        "instant-differs",
        EVENT.replace("'2024-03-15 10:00:00.000000000'", "'2024-03-15T12:00:00+01:00'"),
        LINE,
        [
            "field 'time': expected \"2024-03-15T12:00:00+01:00\" (2024-03-15 11:00:00.000000000), "
            'got "2024-03-15 10:00:00.000000000"'
        ],
    ),
    (
        "p-any-differs",
        EVENT + "    p_any_ip_addresses: [10.0.0.2]\n",
        LINE,
        ['field \'p_any_ip_addresses\': expected ["10.0.0.2"], got ["10.0.0.1"]'],
    ),
    (
        "p-any-absent",
        EVENT + "    p_any_domain_names: [example.com]\n",
        LINE,
        ["field 'p_any_domain_names': expected [\"example.com\"], got absent"],
    ),
    (
        "p-log-type-differs",
        EVENT + "    p_log_type: Test.Other\n",
        LINE,
        ['field \'p_log_type\': expected "Test.Other", got "Test.Access"'],
    ),
    (
        "two-fields-differ",
        EVENT.replace("404", "200").replace("bob", "ann"),
        LINE,
        ['field \'user\': expected "ann", got "bob"', "field 'status': expected 200, got 404"],
    ),
]


@pytest.mark.parametrize(
    ("expected", "line", "diff"), [r[1:] for r in FIELD_DIFFS], ids=[r[0] for r in FIELD_DIFFS]
)
def test_field_diffs(run: Run, expected: str, line: str, diff: list[str]) -> None:
    results = run(f"- name: case\n  input: '{line}'\n  result:\n{expected}")
    assert diffs(results) == [diff]
    assert results[0].passed == (not diff)


CASE_DIFFS = [
    (
        "results-one-missing",
        f"""\
        input: '{LINE}'
        results:
          - {{status: 404, user: bob, time: '2024-03-15T10:00:00Z', client: 10.0.0.1, ratio: 0.5}}
          - {{status: 404}}
        """,
        ["event 2: expected, got none"],
    ),
    (
        "result-one-too-many",
        f"""\
        input: |
          {LINE}
          2024-03-15T10:00:01Z - 200 - -
        result: {{status: 404, user: bob, time: '2024-03-15T10:00:00Z', client: 10.0.0.1, ratio: 0.5}}
        """,
        [
            'event 2: expected none, got {"time": "2024-03-15 10:00:01.000000000", "status": 200, '
            '"p_log_type": "Test.Access", "p_event_time": "2024-03-15 10:00:01.000000000"}'
        ],
    ),
    (
        "results-field-of-second",
        """\
        input: |
          2024-03-15T10:00:00Z - 200 - -
          2024-03-15T10:00:01Z - 201 - -
        results:
          - {status: 200, time: '2024-03-15T10:00:00Z'}
          - {status: 202, time: '2024-03-15T10:00:01Z'}
        """,
        ["event 2: field 'status': expected 202, got 201"],
    ),
    (
        "reject-wrong-reason",
        """\
        input: 'nothing'
        reject: {reason: bad_value}
        """,
        [
            "reject: expected reason bad_value, got no_match",
            "reject: got message \"no match: delimiter ' ' after %{time} not found from column 1\"",
        ],
    ),
    (
        "reject-wrong-field-rule-message",
        """\
        input: '2024-03-15T10:00:00Z bob 4o4 - -'
        reject: {reason: bad_value, field: user, rule: allow, message: 'status is bad'}
        """,
        [
            "reject: expected field 'user', got 'status'",
            "reject: expected rule allow, got none",
            "reject: expected message \"status is bad\", got \"field 'status': '4o4' is not a valid int\"",
        ],
    ),
    (
        "reject-got-event",
        """\
        input: '2024-03-15T10:00:00Z - 200 - -'
        reject: {reason: bad_value}
        """,
        [
            'event 1: expected none, got {"time": "2024-03-15 10:00:00.000000000", "status": 200, '
            '"p_log_type": "Test.Access", "p_event_time": "2024-03-15 10:00:00.000000000"}',
            "reject: expected reason bad_value, got none",
        ],
    ),
    (
        "result-got-reject",
        """\
        input: '2024-03-15T10:00:00Z - 4o4 - -'
        result: {status: 404}
        """,
        [
            "event: expected, got none",
            "reject 1: expected none, got bad_value at input line 1: "
            "field 'status': '4o4' is not a valid int",
        ],
    ),
    (
        "rejects-second-missing",
        """\
        input: |
          x
          2024-03-15T10:00:00Z - 200 - -
        rejects: [{reason: no_match}, {reason: bad_value}]
        """,
        [
            'event 1: expected none, got {"time": "2024-03-15 10:00:00.000000000", "status": 200, '
            '"p_log_type": "Test.Access", "p_event_time": "2024-03-15 10:00:00.000000000"}',
            "reject 2: expected reason bad_value, got none",
        ],
    ),
    (
        "skipped-count",
        """\
        input: "\\n  \\n"
        skipped: 1
        """,
        ["skipped: expected 1, got 2"],
    ),
    (
        "final-newline-is-no-line",
        """\
        input: "\\t\\n"
        skipped: 1
        """,
        [],
    ),
]


@pytest.mark.parametrize(("case", "diff"), [r[1:] for r in CASE_DIFFS], ids=[r[0] for r in CASE_DIFFS])
def test_case_diffs(run: Run, case: str, diff: list[str]) -> None:
    body = textwrap.indent(textwrap.dedent(case), "  ")
    assert diffs(run(f"- name: case\n{body}")) == [diff]


JSON_SCHEMA = """\
schema: Test.Json
fields:
  - {name: when, type: timestamp, timeFormats: [rfc3339]}
  - name: user
    type: object
    fields:
      - {name: name, type: string}
      - {name: admin, type: boolean}
  - name: hits
    type: array
    element:
      type: object
      fields: [{name: at, type: timestamp, timeFormats: [rfc3339]}, {name: n, type: int}]
  - {name: extra, type: json}
"""

JSON_LINE = (
    '{"when": "2024-03-15T10:00:00Z", "user": {"name": "ann", "admin": true},'
    ' "hits": [{"at": "2024-03-15T10:00:01Z", "n": 1}], "extra": {"a": [1, 2.5, null]}}'
)

JSON_DIFFS = [
    (
        "all-equal",
        """\
        user: {name: ann, admin: true}
        hits: [{at: '2024-03-15T11:00:01+01:00', n: 1}]
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15 10:00:00.000000000'
        """,
        [],
    ),
    (
        "nested-member-differs",
        """\
        user: {name: bob, admin: true}
        hits: [{at: '2024-03-15T10:00:01Z', n: 1}]
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15T10:00:00Z'
        """,
        ['field \'user.name\': expected "bob", got "ann"'],
    ),
    (
        "nested-member-extra",
        """\
        user: {name: ann}
        hits: [{at: '2024-03-15T10:00:01Z', n: 1}]
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15T10:00:00Z'
        """,
        ["field 'user.admin': expected absent, got true"],
    ),
    (
        "boolean-is-not-number",
        """\
        user: {name: ann, admin: 1}
        hits: [{at: '2024-03-15T10:00:01Z', n: 1}]
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15T10:00:00Z'
        """,
        ["field 'user.admin': expected 1, got true"],
    ),
    (
        "array-element-instant",
        """\
        user: {name: ann, admin: true}
        hits: [{at: '2024-03-15T10:00:02Z', n: 1}]
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15T10:00:00Z'
        """,
        [
            "field 'hits[0].at': expected \"2024-03-15T10:00:02Z\" (2024-03-15 10:00:02.000000000), "
            'got "2024-03-15 10:00:01.000000000"'
        ],
    ),
    (
        "array-length",
        """\
        user: {name: ann, admin: true}
        hits: []
        extra: {a: [1, 2.5, null]}
        when: '2024-03-15T10:00:00Z'
        """,
        ['field \'hits\': expected [], got [{"at": "2024-03-15 10:00:01.000000000", "n": 1}]'],
    ),
    (
        "json-value",
        """\
        user: {name: ann, admin: true}
        hits: [{at: '2024-03-15T10:00:01Z', n: 1}]
        extra: {a: [1, 2.5]}
        when: '2024-03-15T10:00:00Z'
        """,
        ['field \'extra\': expected {"a": [1, 2.5]}, got {"a": [1, 2.5, null]}'],
    ),
]


@pytest.mark.parametrize(("expected", "diff"), [r[1:] for r in JSON_DIFFS], ids=[r[0] for r in JSON_DIFFS])
def test_nested_diffs(run: Run, expected: str, diff: list[str]) -> None:
    body = textwrap.indent(textwrap.dedent(expected), "    ")
    cases = f"- name: case\n  input: '{JSON_LINE}'\n  result:\n{body}"
    assert diffs(run(cases, JSON_SCHEMA)) == [diff]


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ('"a\\ud800b"', '"a\\ud800b"'),  # a lone surrogate: printing the diff raised
        ("[" * 990 + "1" + "]" * 990, "[" * 990 + "1" + "]" * 990),  # past Python's stack: RecursionError
    ],
    ids=["lone surrogate", "990 levels"],
)
def test_a_diff_shows_any_value_a_run_takes(run: Run, extra: str, shown: str) -> None:
    """A case that fails on a json value a run takes: its diff is one printable line."""
    line = JSON_LINE.replace('{"a": [1, 2.5, null]}', extra)
    cases = f"- name: case\n  input: '{line}'\n  result:\n    when: '2024-03-15T10:00:00Z'\n"
    (diff,) = diffs(run(cases, JSON_SCHEMA))
    assert f"field 'extra': expected absent, got {shown}" in diff
    rendered = render(run(cases, JSON_SCHEMA))
    rendered.encode()  # printable: no lone surrogate left in the text


CSV_HEADER = """\
schema: Test.Csv
parser:
  csv: {delimiter: ',', hasHeader: true}
fields:
  - {name: a, type: string}
  - {name: b, type: int}
"""


def test_each_case_is_its_own_input_file(run: Run) -> None:
    """A CSV header (names from it, no columns) is read again at the start of each case (spec l.10)."""
    results = run(
        """\
        - name: one order
          input: "a,b\\nx,1"
          result: {a: x, b: 1}
        - name: the other order
          input: "b,a\\n2,y"
          result: {a: y, b: 2}
        - name: only a header
          input: a,b
          skipped: 1
        """,
        CSV_HEADER,
    )
    assert [(r.name, r.line, r.passed) for r in results] == [
        ("one order", 1, True),
        ("the other order", 4, True),
        ("only a header", 7, True),
    ]


# --- rendering -------------------------------------------------------------------------------------


def test_render() -> None:
    results = [
        CaseResult("a.tests.yml", "fine", 1, True),
        CaseResult("a.tests.yml", "wrong status", 5, False, ["field 'status': expected 200, got 404"]),
        CaseResult(
            "b.tests.yml", "short", 9, False, ["event 2: expected, got none", "skipped: expected 1, got 0"]
        ),
    ]
    assert render(results) == (
        "a.tests.yml:5: FAIL wrong status\n"
        "  field 'status': expected 200, got 404\n"
        "b.tests.yml:9: FAIL short\n"
        "  event 2: expected, got none\n"
        "  skipped: expected 1, got 0\n"
        "1 passed, 2 failed"
    )


def test_render_all_passed() -> None:
    assert render([CaseResult("a.tests.yml", "fine", 1, True)]) == "1 passed, 0 failed"


# --- errors in test files ----------------------------------------------------------------------------

FILE_ERRORS = [
    (
        "unknown-key",
        f"- name: a\n  input: '{LINE}'\n  resultz: {{status: 404}}\n",
        "3:3: unknown key 'resultz' (a case has name, input, result, results, reject, rejects, skipped)",
    ),
    (
        "result-and-reject",
        f"- name: a\n  input: '{LINE}'\n  result: {{status: 404}}\n  reject: {{reason: no_match}}\n",
        "4:3: 'result' and 'reject' cannot both be given: a case has one expectation",
    ),
    (
        "no-expectation",
        f"- name: a\n  input: '{LINE}'\n",
        "1:3: case 'a' needs one of result, results, reject, rejects, skipped",
    ),
    (
        "p-row-id",
        f"- name: a\n  input: '{LINE}'\n  result:\n    status: 404\n    p_row_id: abc\n",
        "5:5: 'p_row_id' differs on every run and is never compared: remove it",
    ),
    (
        "p-parse-time",
        f"- name: a\n  input: '{LINE}'\n  result: {{p_parse_time: '2024-03-15T10:00:00Z'}}\n",
        "3:12: 'p_parse_time' differs on every run and is never compared: remove it",
    ),
    (
        "unknown-p-field",
        f"- name: a\n  input: '{LINE}'\n  result: {{p_source_id: x}}\n",
        "3:12: unknown field 'p_source_id' (tests compare p_log_type, p_event_time and the p_any_* lists)",
    ),
    (
        "unknown-field",
        f"- name: a\n  input: '{LINE}'\n  result:\n    stauts: 404\n",
        "4:5: unknown field 'stauts': Test.Access has no such field",
    ),
    (
        "bad-timestamp",
        f"- name: a\n  input: '{LINE}'\n  result:\n    time: 15/Mar/2024\n",
        "4:11: '15/Mar/2024' is not a timestamp: write RFC 3339 (2000-10-10T13:55:36-07:00) or the output "
        "form (2000-10-10 20:55:36.000000000)",
    ),
    (
        "timestamp-not-string",
        f"- name: a\n  input: '{LINE}'\n  result:\n    p_event_time: 1710496800\n",
        "4:19: 1710496800 is not a timestamp: write RFC 3339 (2000-10-10T13:55:36-07:00) or the output "
        "form (2000-10-10 20:55:36.000000000)",
    ),
    (
        "missing-name",
        f"- input: '{LINE}'\n  skipped: 1\n",
        "1:3: a test case needs a 'name'",
    ),
    (
        "missing-input",
        "- name: a\n  skipped: 1\n",
        "1:3: case 'a' needs an 'input'",
    ),
    (
        "input-not-string",
        "- name: a\n  input: 404\n  skipped: 1\n",
        "2:10: 'input' is the log text: a string (quote it)",
    ),
    (
        "duplicate-name",
        "- name: a\n  input: x\n  skipped: 1\n- name: a\n  input: y\n  skipped: 1\n",
        "4:9: duplicate case name 'a' (first at line 1)",
    ),
    (
        "unknown-reason",
        "- name: a\n  input: x\n  reject: {reason: nomatch}\n",
        "3:20: unknown reason 'nomatch' (one of no_match, bad_value, validation_failed, invalid_json, "
        "invalid_utf8, line_too_long, regex_timeout)",
    ),
    (
        "reject-without-reason",
        "- name: a\n  input: x\n  reject: {field: status}\n",
        "3:11: an expected reject needs its 'reason'",
    ),
    (
        "reject-unknown-key",
        "- name: a\n  input: x\n  reject: {reason: no_match, line: 1}\n",
        "3:30: unknown key 'line' (a reject has reason, field, rule, message)",
    ),
    (
        "results-not-list",
        "- name: a\n  input: x\n  results: {status: 404}\n",
        "3:12: a non-empty list is expected here: the events expected, in order",
    ),
    (
        "skipped-zero",
        "- name: a\n  input: x\n  skipped: 0\n",
        "3:12: 'skipped' is the number of input lines skipped (1 or more)",
    ),
    (
        "not-a-list",
        "name: a\ninput: x\nskipped: 1\n",
        "1:1: a test file is a list of test cases, each with a name, an input and a result",
    ),
    (
        "bad-yaml",
        "- name: a\n  input: [x\n",
        "3:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 2, column 10)",
    ),
]


@pytest.mark.parametrize(("cases", "message"), [r[1:] for r in FILE_ERRORS], ids=[r[0] for r in FILE_ERRORS])
def test_test_file_errors(run: Run, tmp_path: Path, cases: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        run(cases)
    assert str(caught.value) == f"{tmp_path / 'Access.tests.yml'}:{message}"


# --- finding test files --------------------------------------------------------------------------------


def test_find_test_files(tmp_path: Path) -> None:
    for name in ("b/Two.yaml", "b/Two.tests.yaml", "a/One.yml", "a/One.tests.yml", "a/Other.yml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    one = (tmp_path / "a/One.tests.yml", tmp_path / "a/One.yml")
    two = (tmp_path / "b/Two.tests.yaml", tmp_path / "b/Two.yaml")
    assert find_test_files([tmp_path]) == [one, two]
    # A schema file stands for its test file; each test file is found once.
    assert find_test_files([tmp_path / "b/Two.yaml", tmp_path]) == [two, one]


@pytest.mark.parametrize(
    ("files", "given", "message"),
    [
        (
            ["X.tests.yml"],
            "X.tests.yml",
            "{d}/X.tests.yml: no schema file X.yml or X.yaml beside this test file",
        ),
        (["X.tests.yml"], ".", "{d}/X.tests.yml: no schema file X.yml or X.yaml beside this test file"),
        (
            ["X.yml", "X.yaml", "X.tests.yml"],
            ".",
            "{d}/X.tests.yml: both X.yml and X.yaml are beside this test file: keep one",
        ),
        (["X.yml"], "X.yml", "{d}/X.yml: no test file X.tests.yml beside it"),
        (["X.log"], "X.log", "{d}/X.log: not a schema file (.yml, .yaml) or a test file (.tests.yml)"),
        ([], "nothing", "{d}/nothing: no such file or folder"),
    ],
    ids=["orphan-file", "orphan-in-folder", "two-schema-files", "no-test-file", "not-yaml", "missing"],
)
def test_find_test_files_errors(tmp_path: Path, files: list[str], given: str, message: str) -> None:
    for name in files:
        (tmp_path / name).write_text("", encoding="utf-8")
    with pytest.raises(NormalizeError) as caught:
        find_test_files([tmp_path / given])
    assert str(caught.value) == message.format(d=tmp_path)


# --- the bundled schemas ---------------------------------------------------------------------------------


def test_every_bundled_schema_has_test_cases() -> None:
    schema_files = sorted(f for files in Registry([bundled_dir()]).files.values() for f in files)
    assert len(schema_files) >= 7
    pairs = find_test_files([bundled_dir()])
    assert sorted(schema for _, schema in pairs) == schema_files
    assert all(test.name == f"{schema.stem}.tests.yml" for test, schema in pairs)


def test_bundled_cases_pass() -> None:
    results = run_paths([bundled_dir()])
    assert render(results) == f"{len(results)} passed, 0 failed"
    per_file = Counter(Path(result.file).name for result in results)
    assert min(per_file.values()) >= 3, per_file


def test_a_wrong_bundled_expectation_fails(tmp_path: Path) -> None:
    """The Heroku cases with one value changed: the run fails, and the diff names the field."""
    folder = bundled_dir() / "Heroku"
    (tmp_path / "Runtime.yml").write_text(
        (folder / "Runtime.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    cases = (folder / "Runtime.tests.yml").read_text(encoding="utf-8")
    assert cases.count("message_len: 279") == 1
    wrong = cases.replace("message_len: 279", "message_len: 280")
    (tmp_path / "Runtime.tests.yml").write_text(wrong, encoding="utf-8")
    results = run_paths([tmp_path])
    assert render(results).splitlines()[-3:] == [
        f"{tmp_path / 'Runtime.tests.yml'}:3: FAIL a router line",
        "  field 'message_len': expected 280, got 279",
        f"{len(results) - 1} passed, 1 failed",
    ]


@pytest.mark.skipif(not plan.AVAILABLE, reason="the C accelerator is not built")
def test_an_accelerator_that_disagrees_fails_the_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """normalize test also runs each case through the C accelerator: a difference is reported."""
    right = Normalizer.encode_block

    def wrong(self: Normalizer, block: bytes, **options: object) -> Encoded:
        encoded = right(self, block, **options)  # type: ignore[arg-type]
        return replace(encoded, ndjson=encoded.ndjson.replace(b'"version":"1"', b'"version":"2"'))

    monkeypatch.setattr(Normalizer, "encode_block", wrong)
    heroku = bundled_dir() / "Heroku"
    results = run_test_file(heroku / "Runtime.tests.yml", heroku / "Runtime.yml")
    failed = [r for r in results if not r.passed]
    message = "the C accelerator and the reference path wrote different events: an engine bug"
    assert failed and all(r.diff == [r.diff[0]] and r.diff[0].startswith(message) for r in failed)
    assert any(r.passed for r in results)  # the reject-only cases have no event to differ
