"""``normalize lint``: a broken file per rule with its exact findings, bounds, bundled schemas, outputs.

The files are in ``tests/lint_cases/``, each named after the rule it breaks (reliability.md 4.B1).
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import SchemaError
from engine.lint import RULES, Finding, exit_code, lint_paths, render
from engine.registry import SCHEMA_SUFFIXES, TEST_SUFFIXES, bundled_dir, load_schema_file

CASES = Path(__file__).parent / "lint_cases"

# (rule, files linted together, expected findings in the rule's file as "<file>" + this text);
# <dir> stands for the folder of the cases.
TABLE = [
    (
        "file-unreadable",
        ["file-unreadable.yml"],  # no such file: its absence is the case
        [": error: cannot read schema file: No such file or directory [file-unreadable]"],
    ),
    (
        "yaml-syntax",
        ["yaml-syntax.yml"],
        [
            ":4:5: error: invalid YAML: expected ',' or '}', but got '{' (while parsing a flow mapping at "
            "line 3, column 5) [yaml-syntax]"
        ],
    ),
    (
        "yaml-limit",
        ["yaml-limit.yml"],
        [":6:6: error: YAML anchors are not allowed in schema files [yaml-limit]"],
    ),
    (
        "duplicate-key",
        ["duplicate-key.yml"],
        [":5:5: error: duplicate key 'name' (first at line 3) [duplicate-key]"],
    ),
    (
        "unknown-key",
        ["unknown-key.yml"],
        [
            ":6:5: error: unknown key 'isEventtime' (at fields[0].isEventtime) [unknown-key]",
            ":9:5: error: unknown key 'descripton' (at fields[1].descripton) [unknown-key]",
        ],
    ),
    (
        "schema-json",
        ["schema-json.yml"],
        [
            ":4:11: error: unknown type 'integr'; expected one of string, int, smallint, bigint, float, "
            "boolean, timestamp, json, object, array (at fields[0].type) [schema-json]",
            ":7:15: error: expected true or false, got str 'yes' (at fields[1].required) [schema-json]",
            ":8:5: error: missing required key 'name' (at fields[2]) [schema-json]",
        ],
    ),
    (
        "schema-name",
        ["schema-name.yml"],
        [
            ":1:9: error: schema name 'lint.schema-name' must be dotted parts that each start with an "
            "uppercase letter (at schema) [schema-name]"
        ],
    ),
    (
        "duplicate-schema-name",
        ["adjacent-captures.yml", "duplicate-schema-name.yml"],
        [
            ":2:9: error: schema 'Lint.AdjacentCaptures' is also defined in <dir>/adjacent-captures.yml:1 "
            "(at schema) [duplicate-schema-name]"
        ],
    ),
    (
        "schema-semantic",
        ["schema-semantic.yml"],
        [":4:12: error: duplicate field name 'user' (also fields[0]) (at fields[1].name) [schema-semantic]"],
    ),
    (
        "invalid-pattern",
        ["invalid-pattern.yml"],
        [
            ":5:14: error: unknown grok pattern %{LEVELNAME} (at parser.regex.patternDefinitions.LEVEL) "
            "[invalid-pattern]",
            ":9:9: error: unknown grok pattern %{MESAGE} (at parser.regex.match[2]) [invalid-pattern]",
            ":11:16: error: unclosed %{ in template '%{host}: %{level' "
            "(at parser.regex.expandFields.summary) [invalid-pattern]",
        ],
    ),
    (
        "adjacent-captures",
        ["adjacent-captures.yml"],
        [
            ":6:9: error: invalid pattern '%{method}%{path}': placeholders %{method} and %{path} are "
            "adjacent; put literal text between them (at parser.fastmatch.match[1]) [adjacent-captures]"
        ],
    ),
    (
        "regex-invalid",
        ["regex-invalid.yml"],
        [
            ":5:7: error: invalid regular expression: missing ) at position 30 (at parser.regex.match) "
            "[regex-invalid]"
        ],
    ),
    (
        "regex-redos",
        ["regex-redos.yml"],
        [
            r":5:9: error: regex backtracks exponentially: (?:/(?:\w+|\w+/?))* can match 'a/' in more "
            r"than one way, so a line like '/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/! ' "
            r"takes ~2^n steps: the regex module takes more than 50 ms on these 63 characters; make a "
            r"repeat possessive (x++) or atomic ((?>...)), or what they match disjoint "
            "(at parser.regex.match[0]) [regex-redos]"
        ],
    ),
    (
        "unused-capture",
        ["unused-capture.yml"],
        [
            ":5:9: warning: placeholder 'user' fills no field: name a field after it, or write %{} to skip "
            "the text (at parser.fastmatch.match[0]) [unused-capture]"
        ],
    ),
    (
        "unfilled-field",
        ["unfilled-field.yml"],
        [
            ":8:12: warning: no column is named 'usr', so this field is never filled (at fields[2].name) "
            "[unfilled-field]",
            ":9:12: warning: no column is named 'login', so this field is never filled (at fields[3].name) "
            "[unfilled-field]",
        ],
    ),
    (
        "time-format",
        ["time-format.yml"],
        [
            ":3:59: error: unknown strftime directive '%Q' in '%Y-%m-%d %Q' (at fields[0].timeFormats[1]) "
            "[time-format]",
            ":4:46: error: 'cloudflare' is not a time format (Panther would match only that word): use one "
            "of rfc3339, unix, unix_ms, unix_us, unix_ns or a strftime format such as '%Y-%m-%dT%H:%M:%SZ' "
            "(at fields[1].timeFormat) [time-format]",
            ":5:49: error: 'RFC3339' has no strftime directive and would match only itself: time format "
            "names are lowercase: use 'rfc3339' (at fields[2].timeFormats[0]) [time-format]",
        ],
    ),
    (
        "indicator-type",
        ["indicator-type.yml"],
        [
            ":3:41: error: 'indicators' applies to string values, not to 'int' (at fields[0].indicators) "
            "[indicator-type]",
            ":6:17: error: 'indicators' applies to string values, not to 'array': put them on its element "
            "(element: {type: string, indicators: [...]}) (at fields[1].indicators) [indicator-type]",
        ],
    ),
    (
        "multiple-event-time",
        ["multiple-event-time.yml"],
        [
            ":7:60: warning: isEventTime is set on more than one field: p_event_time comes from the first "
            "present one in schema order, fields[0] (line 3) (at fields[1].fields[0].isEventTime) "
            "[multiple-event-time]"
        ],
    ),
]


def _expected(rule: str, lines: list[str]) -> list[str]:
    return [f"{CASES / (rule + '.yml')}{line.replace('<dir>', str(CASES))}" for line in lines]


@pytest.mark.parametrize(("rule", "files", "lines"), TABLE, ids=[row[0] for row in TABLE])
def test_each_rule_has_a_broken_file_with_exact_findings(
    rule: str, files: list[str], lines: list[str]
) -> None:
    findings = lint_paths([CASES / name for name in files])
    assert [f.text() for f in findings if f.file == str(CASES / f"{rule}.yml")] == _expected(rule, lines)
    assert {f.rule for f in findings if f.file == str(CASES / f"{rule}.yml")} == {rule}


def test_the_table_covers_every_rule_and_every_case_file() -> None:
    assert [row[0] for row in TABLE] == list(RULES)
    assert sorted(p.name for p in CASES.iterdir()) == sorted(
        f"{rule}.yml" for rule in RULES if rule != "file-unreadable"
    )


def test_a_folder_is_linted_in_one_pass_sorted_by_file_line_and_column() -> None:
    expected = [
        line for rule, _, lines in TABLE if rule != "file-unreadable" for line in _expected(rule, lines)
    ]
    assert [f.text() for f in lint_paths([CASES])] == sorted(expected, key=_file_line_col)


def _file_line_col(text: str) -> tuple[str, int, int]:
    file, line, col, _ = text.split(":", 3)
    return file, int(line), int(col)


# --- bounds: refused before anything is built (reliability.md 3.1) -------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda path: _sparse(path, 50 << 20),
            ": error: schema file is 52428800 bytes, more than the 1048576 allowed [yaml-limit]",
            id="sparse-50MB",
        ),
        pytest.param(
            lambda path: path.write_text("[" * 30_000),
            ":1:65: error: YAML nesting is deeper than the 64 levels allowed [yaml-limit]",
            id="nesting-30000",
        ),
        pytest.param(
            lambda path: path.write_text("schema: A\nfields: !!python/object/apply:os.system [echo]\n"),
            ":2:9: error: YAML tag '!!python/object/apply:os.system' is not allowed in schema files "
            "[yaml-syntax]",
            id="python-tag",
        ),
        pytest.param(
            lambda path: path.write_bytes(b"schema: A\nfields: [\xff]\n"),
            ":2:10: error: invalid UTF-8 (byte 0xff) [yaml-syntax]",
            id="invalid-utf8",
        ),
        pytest.param(
            lambda path: path.write_text(_regex_schema("(?:a{1000}){1000}")),
            ":4:12: error: the pattern is too costly to compile: its repeats expand to about 1,000,000 "
            "steps, more than the 100,000 allowed (a repeat inside a repeat multiplies them) "
            "(at parser.regex.match) [regex-invalid]",
            id="regex-counted-repeats",
        ),
        pytest.param(
            lambda path: path.write_text(_regex_schema("(?:" * 100 + "a+" + ")+" * 100)),
            ":4:12: error: the pattern is too costly to compile: its repeats expand to more than "
            "1,000,000,000 steps, more than the 100,000 allowed (a repeat inside a repeat multiplies them) "
            "(at parser.regex.match) [regex-invalid]",
            id="regex-100-nested-plus",
        ),
        pytest.param(
            lambda path: path.write_text(_regex_schema("(?:" * 5000 + "a" + ")*" * 5000)),
            ":4:12: error: invalid regular expression: nested too deeply (at parser.regex.match) "
            "[regex-invalid]",
            id="regex-5000-groups",
        ),
    ],
)
def test_hostile_files_give_one_clear_finding(tmp_path: Path, make, expected: str) -> None:
    path = tmp_path / "hostile.yml"
    make(path)
    assert [f.text() for f in lint_paths([path])] == [f"{path}{expected}"]


def _regex_schema(pattern: str) -> str:
    """A regex schema whose one entry is ``pattern`` (written as a JSON string, which YAML reads)."""
    return (
        f"schema: Custom.R\nparser:\n  regex:\n    match: [{json.dumps(pattern)}]\n"
        "fields:\n  - {name: a, type: string}\n"
    )


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.truncate(size)  # a hole: no 50 MB written to disk


# --- the bundled schemas are clean (reliability.md 4.B2) -----------------------------------------

BUNDLED = sorted(
    p for p in bundled_dir().rglob("*") if p.suffix in SCHEMA_SUFFIXES and not p.name.endswith(TEST_SUFFIXES)
)


@pytest.mark.parametrize("path", BUNDLED, ids=[str(p.relative_to(bundled_dir())) for p in BUNDLED])
def test_bundled_schema_has_no_finding(path: Path) -> None:
    assert [f.text() for f in lint_paths([path])] == []


def test_bundled_folder_has_no_finding() -> None:
    assert len(BUNDLED) >= 7
    assert lint_paths([bundled_dir()]) == []


# --- which files, and robustness -------------------------------------------------------------------


def test_folders_skip_test_files_and_a_file_given_twice_is_linted_once(tmp_path: Path) -> None:
    good = "schema: Custom.Good\nfields:\n  - {name: a, type: string}\n"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.yaml").write_text(good)
    (tmp_path / "good_tests.yml").write_text("not: [a schema")
    (tmp_path / "good.tests.yaml").write_text("not: [a schema")
    (tmp_path / "notes.txt").write_text("not: [a schema")
    assert lint_paths([tmp_path, tmp_path / "sub" / "good.yaml"]) == []
    # a file given by name is linted whatever its name
    assert [f.rule for f in lint_paths([tmp_path / "notes.txt"])] == ["yaml-syntax"]


@pytest.mark.parametrize(
    ("pattern", "severity", "start"),
    [
        # the verdicts themselves are tests/test_regexcheck.py's; here, how lint shows them
        (r"(a|aa)+$", "error", "regex backtracks exponentially: (a(?:|a))+ can match "),
        (r"\d+\d+$", "warning", r"regex backtracks polynomially (degree 3): \d+ and \d+ can each match "),
        (r"(a+)+$", "warning", "regex backtracks polynomially (degree 3): the passes of (a+)+ can each"),
        (r"(?:a{1,2})+$", "warning", "regex backtracks polynomially: (?:a{1,2})+ can match 'aa' in more"),
        (r"(?>a+)+$", None, ""),
        (r".*.*.*=", None, ""),  # ambiguous, but the engine finds no '=' before it tries anything
        (r"(a|aa)+", None, ""),  # ambiguous, but no line fails after it: the first way tried succeeds
    ],
)
def test_redos_severity_and_message(tmp_path: Path, pattern: str, severity: str | None, start: str) -> None:
    path = tmp_path / "regex.yml"
    path.write_text(_regex_schema(pattern))
    found = [f for f in lint_paths([path]) if f.rule == "regex-redos"]
    assert [f.severity for f in found] == ([severity] if severity else [])
    assert all(f.message.startswith(start) for f in found)


def test_redos_points_at_the_entry_and_the_joined_pattern_when_entries_are_not_whole(tmp_path: Path) -> None:
    path = tmp_path / "regex.yml"
    entries = ["^(?P<a>\\S+) ", "(?P<b>(?:x|xx)+)$"]  # the second entry holds the loop
    path.write_text(
        f"schema: Custom.R\nparser:\n  regex:\n    match: {json.dumps(entries)}\n"
        "fields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n"
    )
    (found,) = lint_paths([path])
    assert found.message.endswith("(at parser.regex.match[1])")
    assert "a line like 'a xxxxx" in found.message
    split = ["^(?P<a>\\S+) (?P<b>(?:x|x", "x)+)$"]  # an entry that is no regex alone: the whole is analysed
    path.write_text(path.read_text().replace(json.dumps(entries), json.dumps(split)))
    (found,) = lint_paths([path])
    assert found.rule == "regex-redos"
    assert found.message.endswith("(at parser.regex.match)")


def test_redos_analysis_is_bounded(tmp_path: Path) -> None:
    """Thousands of positions: the analysis stops at its bound and falls back to the heuristic."""
    path = tmp_path / "regex.yml"
    path.write_text(_regex_schema("(?:\\w+\\s?)+" + "[a-z]{0,5}" * 500 + "$"))
    start = time.perf_counter()
    (found,) = [f for f in lint_paths([path]) if f.rule == "regex-redos"]
    assert time.perf_counter() - start < 5
    assert found.severity == "warning"
    assert found.message.startswith(r"nested quantifier \w+: it repeats inside a repeated group")
    assert "(the pattern is too large for the ambiguity analysis, more than 2,000 character positions" in (
        found.message
    )


def test_unclosed_placeholder_is_an_error_in_lint(tmp_path: Path) -> None:
    path = tmp_path / "fm.yml"
    path.write_text(
        "schema: Custom.F\nparser:\n  fastmatch:\n    match:\n      - '%{a} <%{b}>'\n      - '%{a} %{b'\n"
        "fields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n"
    )
    assert [f.text() for f in lint_paths([path])] == [
        f"{path}:6:9: error: invalid pattern '%{{a}} %{{b': '%{{' at character 6 is never closed by '}}', so "
        "it would be literal text that every line must contain; close the placeholder, or drop the '%{' "
        "(at parser.fastmatch.match[1]) [invalid-pattern]"
    ]


def test_unclosed_placeholder_is_a_schema_error_at_load(tmp_path: Path) -> None:
    path = tmp_path / "fm.yml"
    path.write_text(
        "schema: Custom.F\nparser:\n  fastmatch:\n    match: ['%{a} %{b']\n"
        "fields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n"
    )
    with pytest.raises(SchemaError) as caught:
        load_schema_file(path)
    assert str(caught.value) == (
        f"{path}:4:13: invalid pattern '%{{a}} %{{b': '%{{' at character 6 is never closed by '}}', so it "
        "would be literal text that every line must contain; close the placeholder, or drop the '%{' "
        "(at parser.fastmatch.match[0])"
    )


def test_a_generic_error_gives_way_to_the_specific_one_at_the_same_place(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text(
        "schema: Custom.S\nparser:\n  fastmatch:\n    match: ['abcd']\nfields:\n  - {name: a, type: string}\n"
    )
    assert [f.text() for f in lint_paths([path])] == [
        f"{path}:4:13: error: invalid pattern 'abcd': it has no %{{field}} placeholder "
        "(at parser.fastmatch.match[0]) [invalid-pattern]"
    ]


_WORDS = st.sampled_from(
    ["schema", "parser", "fields", "fastmatch", "regex", "csv", "native", "match", "columns", "name", "type",
     "patternDefinitions", "expandFields", "element", "timeFormats", "timeFormat", "isEventTime",
     "indicators",
     "rename", "copy", "concat", "split", "from", "paths", "separator", "index", "mask", "validate",
     "string", "int", "array", "object", "timestamp", "rfc3339", "%Q", "%{a} %{b}", "%{a}%{b}", "(?P<a>x+)+",
     "%{IP:a}", "%{NOPE}", "(", "A", "Custom.X", "%{a", ""]
)  # fmt: skip
_DATA = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | _WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORDS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(_WORDS, _DATA, max_size=5))
def test_any_document_gives_findings_never_an_exception(tmp_path: Path, doc: dict) -> None:
    path = tmp_path / "random.yml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    for finding in lint_paths([path]):
        assert finding.rule in RULES
        assert finding.severity in ("error", "warning")


# --- output -----------------------------------------------------------------------------------------

SAMPLE = [
    Finding("schemas/a.yml", 3, 7, "error", "unknown-key", "unknown key 'feilds' (at feilds)"),
    Finding(
        "schemas/a, b.yml", 5, 1, "warning", "unused-capture", "placeholder 'x' fills no field: 100%\nsure"
    ),
    Finding("missing.yml", None, None, "error", "file-unreadable", "cannot read schema file: No such file"),
]


def test_text_lists_each_finding_then_the_counts() -> None:
    assert render(SAMPLE, "text") == textwrap.dedent(
        """\
        schemas/a.yml:3:7: error: unknown key 'feilds' (at feilds) [unknown-key]
        schemas/a, b.yml:5:1: warning: placeholder 'x' fills no field: 100%
        sure [unused-capture]
        missing.yml: error: cannot read schema file: No such file [file-unreadable]
        2 errors, 1 warning in 3 files
        """
    )
    assert render(SAMPLE[:1], "text").splitlines()[-1] == "1 error, 0 warnings in 1 file"
    assert render([], "text") == "no problems found\n"


def test_json_is_a_list_of_findings() -> None:
    assert json.loads(render(SAMPLE[:1], "json")) == [
        {
            "file": "schemas/a.yml",
            "line": 3,
            "col": 7,
            "severity": "error",
            "rule": "unknown-key",
            "message": "unknown key 'feilds' (at feilds)",
        }
    ]


def test_a_file_name_that_is_not_utf8_keeps_json_valid() -> None:
    """A name read from the file system with a byte that is not UTF-8 (a surrogate escape): the JSON
    stays UTF-8, the name shown with ``\\xff`` and kept in ``file_b64``; SARIF percent-encodes it.
    (The byte was written raw, so the JSON was not UTF-8.)"""
    name = os.fsdecode(b"schemas/b\xffad.yml")
    finding = Finding(name, 2, 1, "error", "unknown-key", f"unknown key in {name}")
    out = render([finding], "json").encode("utf-8")  # raises if a surrogate were left in it
    assert json.loads(out) == [
        {
            "file": "schemas/b\\xffad.yml",
            "line": 2,
            "col": 1,
            "severity": "error",
            "rule": "unknown-key",
            "message": "unknown key in schemas/b\\xffad.yml",
            "file_b64": base64.b64encode(b"schemas/b\xffad.yml").decode(),
        }
    ]
    sarif = json.loads(render([finding], "sarif").encode("utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "schemas/b%FFad.yml"


def test_github_annotations_then_the_full_text_report() -> None:
    assert render(SAMPLE, "github").splitlines() == [
        "::error file=schemas/a.yml,line=3,col=7,title=unknown-key::unknown key 'feilds' (at feilds)",
        "::warning file=schemas/a%2C b.yml,line=5,col=1,title=unused-capture::placeholder 'x' fills no "
        "field: 100%25%0Asure",
        "::error file=missing.yml,title=file-unreadable::cannot read schema file: No such file",
        *render(SAMPLE, "text").splitlines(),
    ]


def test_sarif_2_1_0() -> None:
    log = json.loads(render(SAMPLE, "sarif"))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "normalize"
    assert [(r["id"], r["shortDescription"]["text"]) for r in driver["rules"]] == list(RULES.items())
    assert driver["rules"][list(RULES).index("unused-capture")]["defaultConfiguration"] == {
        "level": "warning"
    }
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"][0] == {
        "ruleId": "unknown-key",
        "ruleIndex": list(RULES).index("unknown-key"),
        "level": "error",
        "message": {"text": "unknown key 'feilds' (at feilds)"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "schemas/a.yml"},
                    "region": {"startLine": 3, "startColumn": 7},
                }
            }
        ],
    }
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]] == [
        "schemas/a.yml",
        "schemas/a%2C%20b.yml",
        "missing.yml",
    ]
    assert "region" not in run["results"][2]["locations"][0]["physicalLocation"]
    assert [r["level"] for r in run["results"]] == ["error", "warning", "error"]


def test_sarif_gives_an_absolute_path_as_a_file_uri() -> None:
    finding = Finding("/srv/schemas/a b.yml", 1, 1, "error", "schema-name", "m")
    (result,) = json.loads(render([finding], "sarif"))["runs"][0]["results"]
    assert (
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "file:///srv/schemas/a%20b.yml"
    )


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'; expected one of text, json, github, sarif"):
        render(SAMPLE, "xml")


ERROR = Finding("a.yml", 1, 1, "error", "schema-json", "m")
WARNING = Finding("a.yml", 1, 1, "warning", "unused-capture", "m")


@pytest.mark.parametrize(
    ("findings", "fail_on", "code"),
    [
        ([], "error", 0),
        ([], "warning", 0),
        ([WARNING], "error", 0),
        ([WARNING], "warning", 1),
        ([ERROR], "error", 1),
        ([ERROR, WARNING], "warning", 1),
    ],
    ids=["none-error", "none-warning", "warning-error", "warning-warning", "error-error", "both-warning"],
)
def test_exit_code(findings: list[Finding], fail_on: str, code: int) -> None:
    assert exit_code(findings, fail_on) == code


def test_exit_code_refuses_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="fail_on must be 'error' or 'warning', not 'info'"):
        exit_code([], "info")
