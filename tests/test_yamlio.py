"""Tests for engine.yamlio: bounded, safe schema YAML with line:col marks (reliability.md 3.1, 4.B)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from engine import yamlio
from engine.errors import SchemaError
from engine.yamlio import Limits, parse_yaml, read_yaml

SCHEMA = """\
schema: Acme.Audit
description: Audit log
parser:
  fastmatch:
    match:
      - '%{timestamp} %{user}'
fields:
  - name: timestamp
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
  - name: user
    type: string
    indicators: [username, email]
"""


def test_schema_document_data() -> None:
    doc = parse_yaml(SCHEMA, "acme.yml")
    assert doc.name == "acme.yml"
    assert doc.data == {
        "schema": "Acme.Audit",
        "description": "Audit log",
        "parser": {"fastmatch": {"match": ["%{timestamp} %{user}"]}},
        "fields": [
            {"name": "timestamp", "type": "timestamp", "timeFormat": "rfc3339", "isEventTime": True},
            {"name": "user", "type": "string", "indicators": ["username", "email"]},
        ],
    }


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        (("fields", 1, "type"), False, (13, 11)),
        (("fields", 1, "type"), True, (13, 5)),
        (("fields", 0, "isEventTime"), False, (11, 18)),
        (("fields", 1, "indicators", 1), False, (14, 28)),
        (("parser", "fastmatch", "match", 0), False, (6, 9)),
        (("fields",), False, (8, 3)),
        (("fields",), True, (7, 1)),
        (("fields", 0), False, (8, 5)),
        (("fields", 1), True, (12, 5)),
        ((), False, (1, 1)),
        (("fields", 0, "nme"), True, (8, 5)),
        (("fields", 1, "type", "x"), False, (13, 11)),
        (("fields", 9), False, (8, 3)),
        (("fields", -1), False, (8, 3)),
        (("fields", "0"), False, (8, 3)),
        (("fields", 1, 0), False, (12, 5)),
    ],
    ids=[
        "nested-value",
        "nested-key",
        "bool-value",
        "flow-item",
        "quoted-item",
        "sequence",
        "sequence-key",
        "item-mapping",
        "key-on-index-gives-item",
        "root",
        "unknown-key-gives-mapping",
        "too-deep-gives-scalar",
        "index-out-of-range",
        "negative-index",
        "str-step-on-sequence",
        "int-step-on-mapping",
    ],
)
def test_schema_document_marks(path: tuple[str | int, ...], key: bool, expected: tuple[int, int]) -> None:
    assert parse_yaml(SCHEMA, "acme.yml").mark(path, key=key) == expected


@pytest.mark.parametrize(
    ("text", "path", "key", "expected"),
    [
        ("\ufeffa: 1\r\nb:\r\n  c: 2\n", ("b", "c"), True, (3, 3)),
        ("\ufeffa: 1\r\nb:\r  c: 2\n", ("b", "c"), True, (3, 3)),
        ("\ufeffa: 1\n", ("a",), False, (1, 4)),
        (b"\xef\xbb\xbfa: 1\r\nb:\r\n  c: 2\n", ("b", "c"), False, (3, 6)),
        ("a: \u00e9t\u00e9\nb: x\n", ("b",), False, (2, 4)),
        ("{a: '\t', b: 1}\n", ("b",), False, (1, 13)),
    ],
    ids=["crlf", "lone-cr", "bom-not-counted", "bytes-bom-crlf", "columns-count-characters", "tab-is-one"],
)
def test_line_breaks_and_columns(
    text: str | bytes, path: tuple[str, ...], key: bool, expected: tuple[int, int]
) -> None:
    assert parse_yaml(text, "s.yml").mark(path, key=key) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", (1, 1)), ("# only a comment\n", (1, 1)), ("---\n...\n", (2, 1))],
    ids=["empty", "comment", "markers-around-an-empty-node"],
)
def test_empty_document(text: str, expected: tuple[int, int]) -> None:
    doc = parse_yaml(text, "s.yml")
    assert doc.data is None
    assert doc.mark(("fields", 0)) == expected


def _alias_bomb() -> str:
    """The 342-byte "billion laughs": 9 anchors, each a list of 9 aliases of the one before."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_342_bytes() -> None:
    assert len(_alias_bomb().encode()) == 342


def _error(text: str | bytes, limits: Limits) -> str:
    with pytest.raises(SchemaError) as caught:
        parse_yaml(text, "s.yml", limits)
    return str(caught.value)


ERRORS = [
    # (id, text, limits, "s.yml:LINE:COL: message")
    (
        "duplicate-key",
        "name: A\nid: 1\nname: B\n",
        Limits(),
        "s.yml:3:1: duplicate key 'name' (first at line 1)",
    ),
    (
        "duplicate-key-nested",
        "fields:\n  - name: a\n    type: string\n    name: b\n",
        Limits(),
        "s.yml:4:5: duplicate key 'name' (first at line 2)",
    ),
    (
        "duplicate-key-quoted",
        "name: a\n'name': b\n",
        Limits(),
        "s.yml:2:1: duplicate key 'name' (first at line 1)",
    ),
    (
        "syntax-mapping-value",
        "a: b: c\n",
        Limits(),
        "s.yml:1:5: invalid YAML: mapping values are not allowed here",
    ),
    (
        "syntax-unclosed-flow",
        "a: 1\nb: [1, 2\n",
        Limits(),
        "s.yml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence at line 2, column 4)",
    ),
    (
        "syntax-tab-indent",
        "a:\n\tb: 1\n",
        Limits(),
        "s.yml:2:1: invalid YAML: found character '\\t' that cannot start any token",
    ),
    (
        "two-documents",
        "a: 1\n---\nb: 2\n",
        Limits(),
        "s.yml:2:1: a schema file holds one YAML document, and this starts a second",
    ),
    (
        "tag-python",
        "a: 1\nb: !!python/object/apply:os.system ['echo pwned']\n",
        Limits(),
        "s.yml:2:4: YAML tag '!!python/object/apply:os.system' is not allowed in schema files",
    ),
    ("tag-local", "a: !env HOME\n", Limits(), "s.yml:1:4: YAML tag '!env' is not allowed in schema files"),
    (
        "tag-yaml11-timestamp",
        "a: !!timestamp 2024-01-02\n",
        Limits(),
        "s.yml:1:4: YAML tag '!!timestamp' is not allowed in schema files",
    ),
    (
        "tag-yaml11-set",
        "a: !!set {x: null}\n",
        Limits(),
        "s.yml:1:4: YAML tag '!!set' is not allowed in schema files",
    ),
    (
        "tag-on-wrong-kind",
        "a: !!str {b: 1}\n",
        Limits(),
        "s.yml:1:4: YAML tag '!!str' cannot be used on a mapping",
    ),
    ("tag-map-on-scalar", "a: !!map x\n", Limits(), "s.yml:1:4: YAML tag '!!map' cannot be used on a scalar"),
    ("tag-int-bad-value", "a: !!int 1:20\n", Limits(), "s.yml:1:4: '1:20' is not a valid !!int"),
    ("tag-bool-yaml11-value", "a: !!bool yes\n", Limits(), "s.yml:1:4: 'yes' is not a valid !!bool"),
    (
        "lone-surrogate-escape",
        'fields:\n  - name: "a\\ud800"\n',
        Limits(),
        "s.yml:2:11: \\ud800 in a string is a lone surrogate, not a character "
        "(past U+FFFF, write \\U0001f600)",
    ),
    (
        "lone-low-surrogate-key",
        '"\\udfff": 1\n',
        Limits(),
        "s.yml:1:1: \\udfff in a string is a lone surrogate, not a character "
        "(past U+FFFF, write \\U0001f600)",
    ),
    (
        "anchor-refused",
        "a: &x 1\nb: *x\n",
        Limits(),
        "s.yml:1:4: YAML anchors are not allowed in schema files",
    ),
    ("alias-refused", "a: 1\nb: *x\n", Limits(), "s.yml:2:4: YAML aliases are not allowed in schema files"),
    (
        "aliases-over-limit",
        "a: &x 1\nb: *x\nc: *x\n",
        Limits(max_aliases=1),
        "s.yml:3:4: schema file has more than the 1 YAML aliases allowed",
    ),
    (
        "alias-without-anchor",
        "a: 1\nb: *x\n",
        Limits(max_aliases=1),
        "s.yml:2:4: YAML alias '*x' refers to no anchor before it",
    ),
    (
        "anchor-twice",
        "a: &x 1\nb: &x 2\n",
        Limits(max_aliases=1),
        "s.yml:2:4: duplicate YAML anchor '&x' (first at line 1)",
    ),
    (
        "alias-expansion-over-node-limit",
        "a: &x [1, 2, 3]\nb: *x\nc: *x\n",
        Limits(max_aliases=2, max_nodes=12),
        "s.yml:1:4: schema file has more than the 12 YAML nodes allowed",
    ),
    ("invalid-utf8", b"a: 1\nb: caf\xc3\xa9 \xff\n", Limits(), "s.yml:2:9: invalid UTF-8 (byte 0xff)"),
    ("invalid-utf8-first-line-bom", b"\xef\xbb\xbfa: \xc3", Limits(), "s.yml:1:4: invalid UTF-8 (byte 0xc3)"),
    ("invalid-utf8-crlf", b"a: 1\r\n\r\nb: \x80\r\n", Limits(), "s.yml:3:4: invalid UTF-8 (byte 0x80)"),
    ("utf16-not-accepted", "a: 1\n".encode("utf-16"), Limits(), "s.yml:1:1: invalid UTF-8 (byte 0xff)"),
    ("nul", "a: 1\nb: x\x00y\n", Limits(), "s.yml:2:5: character U+0000 is not allowed in YAML"),
    ("control-char", "a: \x1b[31m\n", Limits(), "s.yml:1:4: character U+001B is not allowed in YAML"),
    (
        "too-deep-flow",
        "a: [[[[1]]]]\n",
        Limits(max_depth=3),
        "s.yml:1:6: YAML nesting is deeper than the 3 levels allowed",
    ),
    (
        "too-deep-block",
        "a:\n  b:\n    c:\n      d: 1\n",
        Limits(max_depth=3),
        "s.yml:4:7: YAML nesting is deeper than the 3 levels allowed",
    ),
    (
        "too-many-nodes",
        "a: [1, 2, 3]\n",
        Limits(max_nodes=5),
        "s.yml:1:11: schema file has more than the 5 YAML nodes allowed",
    ),
    ("key-int", "1: a\n", Limits(), "s.yml:1:1: mapping key must be a string, not an int (1)"),
    ("key-float", "a: 1\n1.5: b\n", Limits(), "s.yml:2:1: mapping key must be a string, not a float (1.5)"),
    ("key-bool", "true: a\n", Limits(), "s.yml:1:1: mapping key must be a string, not a bool (true)"),
    ("key-null", "~: a\n", Limits(), "s.yml:1:1: mapping key must be a string, not null (~)"),
    ("key-empty", "? \n: a\n", Limits(), "s.yml:1:2: mapping key must be a string, not null (empty)"),
    ("key-sequence", "[a, b]: c\n", Limits(), "s.yml:1:1: mapping key must be a string, not a sequence"),
    ("key-mapping", "? {a: 1}\n: c\n", Limits(), "s.yml:1:3: mapping key must be a string, not a mapping"),
    ("int-too-long", "a: " + "9" * 5000 + "\n", Limits(), "s.yml:1:4: integer of 5000 digits is too long"),
    (
        "size-bytes",
        b"a: 12345\n",
        Limits(max_bytes=8),
        "s.yml: schema file is 9 bytes, more than the 8 allowed",
    ),
    (
        "size-str-counts-utf8-bytes",
        "a: \u00e9\u00e9",
        Limits(max_bytes=6),
        "s.yml: schema file is 7 bytes, more than the 6 allowed",
    ),
    (
        "bomb-default-limits",
        _alias_bomb(),
        Limits(),
        "s.yml:1:4: YAML anchors are not allowed in schema files",
    ),
    (
        "bomb-72-aliases-over-71",
        _alias_bomb(),
        Limits(max_aliases=71),
        "s.yml:9:32: schema file has more than the 71 YAML aliases allowed",
    ),
    (
        "bomb-expansion-over-node-limit",
        _alias_bomb(),
        Limits(max_aliases=100),
        "s.yml:1:38: schema file has more than the 100000 YAML nodes allowed",
    ),
]


@pytest.mark.parametrize(
    ("text", "limits", "expected"), [row[1:] for row in ERRORS], ids=[row[0] for row in ERRORS]
)
def test_errors(text: str | bytes, limits: Limits, expected: str) -> None:
    assert _error(text, limits) == expected


def test_error_fields_are_one_based_and_unpathed() -> None:
    with pytest.raises(SchemaError) as caught:
        parse_yaml("a: 1\na: 2\n", "s.yml")
    error = caught.value
    assert (error.message, error.file, error.line, error.col, error.path) == (
        "duplicate key 'a' (first at line 1)",
        "s.yml",
        2,
        1,
        (),
    )


@pytest.mark.parametrize(
    ("text", "limits", "expected"),
    [
        ("a: [[[1]]]\n", Limits(max_depth=4), {"a": [[[1]]]}),
        ("a: [1, 2]\n", Limits(max_nodes=5), {"a": [1, 2]}),  # the root mapping counts
        ("a: &x [1]\nb: *x\n", Limits(max_aliases=1), {"a": [1], "b": [1]}),
        (
            "base: &b {type: string}\nx: *b\n<<: *b\n",
            Limits(max_aliases=2),
            {
                "base": {"type": "string"},
                "x": {"type": "string"},
                "<<": {"type": "string"},
            },
        ),
    ],
    ids=["depth-at-limit", "nodes-at-limit", "alias-within-limit", "merge-key-is-plain-key"],
)
def test_within_limits(text: str, limits: Limits, expected: object) -> None:
    assert parse_yaml(text, "s.yml", limits).data == expected


def test_aliases_build_separate_copies_marked_at_the_anchor() -> None:
    doc = parse_yaml("base: &b {type: string}\nx: *b\ny: *b\n", "s.yml", Limits(max_aliases=2))
    assert doc.data["x"] is not doc.data["y"]  # type: ignore[index]
    assert doc.mark(("y", "type")) == (1, 17)
    assert doc.mark(("y", "type"), key=True) == (1, 11)


# YAML 1.1 (PyYAML's default) vs the YAML 1.2 core schema we resolve with (reliability.md 3.1).
SCALARS = [
    ("on", "on"),
    ("off", "off"),
    ("yes", "yes"),
    ("NO", "NO"),
    ("y", "y"),
    ("0777", 777),
    ("012", 12),
    ("1:20", "1:20"),
    ("2024-01-02", "2024-01-02"),
    ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
    ("1_000", "1_000"),
    ("0b101", "0b101"),
    ("0o17", 15),
    ("0x1F", 31),
    ("0X1F", "0X1F"),
    ("+12", 12),
    ("-7", -7),
    ("1e3", 1000.0),
    ("1.5", 1.5),
    (".5", 0.5),
    ("1.", 1.0),
    ("-.inf", float("-inf")),
    (".Inf", float("inf")),
    (".NaN", float("nan")),
    (".infinity", ".infinity"),
    ("true", True),
    ("True", True),
    ("FALSE", False),
    ("tRUE", "tRUE"),
    ("null", None),
    ("NULL", None),
    ("~", None),
    ("", None),
    ("nULL", "nULL"),
    ("'on'", "on"),
    ('"0777"', "0777"),
    ("'true'", "true"),
    ("''", ""),
    ("|\n  123", "123\n"),
    ("=", "="),
    ("<<", "<<"),
    ("!!str 0777", "0777"),
    ("!!str", ""),
    ("!!float 1", 1.0),
    ('!!int "0x10"', 16),
    ("!!bool 'true'", True),
    ('!!null ""', None),
    ("'\u0661\u0662'", "\u0661\u0662"),
    ("\u0661\u0662", "\u0661\u0662"),
]


@pytest.mark.parametrize(("text", "expected"), SCALARS, ids=[repr(row[0]) for row in SCALARS])
def test_yaml12_core_scalars(text: str, expected: object) -> None:
    value = parse_yaml(f"v: {text}\n", "s.yml").data["v"]  # type: ignore[index]
    # Type and repr: True == 1, 1.0 == 1 and nan != nan would let a wrong answer pass with ==.
    assert (type(value), repr(value)) == (type(expected), repr(expected))


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\u0085"], ids=["U+2028", "U+2029", "U+0085"])
def test_unicode_line_breaks_report_the_line_an_editor_shows(brk: str) -> None:
    # PyYAML (YAML 1.1) breaks lines at these; editors and YAML 1.2 do not. The file below is one line
    # in an editor, PyYAML reads two keys from it, and we place "b" where the editor shows it.
    text = f"a: x{brk}b: y\n"
    doc = parse_yaml(text, "s.yml")
    assert doc.data == {"a": "x", "b": "y"}
    assert yaml.compose(text, Loader=yaml.SafeLoader).value[1][0].start_mark.line + 1 == 2  # PyYAML's line
    assert doc.mark(("b",), key=True) == (1, 6)
    # PyYAML would place this error on line 3; an editor shows one line and the empty one after it.
    assert _error(f"a: x{brk}y\n", Limits()) == (
        "s.yml:2:1: invalid YAML: could not find expected ':'"
        " (while scanning a simple key at line 1, column 6)"
    )


def test_read_yaml(tmp_path: Path) -> None:
    path = tmp_path / "acme.yml"
    path.write_text(SCHEMA, encoding="utf-8")
    doc = read_yaml(path)
    assert doc.name == str(path)
    assert doc.data["schema"] == "Acme.Audit"  # type: ignore[index]
    assert doc.mark(("fields", 1, "type")) == (13, 11)


def test_read_yaml_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_bytes(b"a: 1\na: 2\n")
    with pytest.raises(SchemaError) as caught:
        read_yaml(str(path))
    assert str(caught.value) == f"{path}:2:1: duplicate key 'a' (first at line 1)"


def test_read_yaml_refuses_50mb_by_size_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.yml"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(yamlio, "open", no_open, raising=False)  # shadows the builtin inside yamlio only
    with pytest.raises(SchemaError) as caught:
        read_yaml(path)
    error = caught.value
    assert str(error) == f"{path}: schema file is 52428800 bytes, more than the 1048576 allowed"
    assert (error.line, error.col) == (None, None)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_read_yaml_bounds_files_whose_stat_size_lies() -> None:
    # /dev/zero stats as 0 bytes and never ends: the read itself must stop.
    with pytest.raises(SchemaError) as caught:
        read_yaml("/dev/zero", Limits(max_bytes=16))
    assert str(caught.value) == "/dev/zero: schema file is more than the 16 bytes allowed"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("missing.yml", "No such file or directory"), (".", "Is a directory")],
    ids=["missing", "directory"],
)
def test_read_yaml_os_errors(tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    with pytest.raises(SchemaError) as caught:
        read_yaml(path)
    assert str(caught.value) == f"{path}: cannot read schema file: {expected}"


DEEP_CHILD = textwrap.dedent(
    """
    import sys
    from engine.errors import SchemaError
    from engine.yamlio import read_yaml
    try:
        read_yaml(sys.argv[1])
    except SchemaError as e:
        print(e)
    """
)


@pytest.mark.parametrize("levels", [30_000, 1_000_000], ids=["30k", "1M"])
def test_deep_nesting_refused_without_crashing(tmp_path: Path, levels: int) -> None:
    # The C loader segfaults on 30,000 nested "[" (reliability.md 3.1): run in a child so that a crash
    # shows as a negative return code instead of killing the test run.
    path = tmp_path / "deep.yml"
    path.write_text("[" * levels)
    package_root = Path(yamlio.__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-c", DEEP_CHILD, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(package_root)},
        check=False,
    )
    assert result.returncode >= 0, f"child died by signal {-result.returncode}"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{path}:1:65: YAML nesting is deeper than the 64 levels allowed\n"


@pytest.mark.parametrize(
    "kwargs",
    [{"max_depth": 0}, {"max_depth": 201}, {"max_aliases": -1}, {"max_nodes": 0}, {"max_bytes": -1}],
    ids=["depth-0", "depth-over-recursion-cap", "negative-aliases", "no-nodes", "negative-bytes"],
)
def test_limits_reject_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="invalid YAML limits"):
        Limits(**kwargs)
