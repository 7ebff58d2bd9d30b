"""Playground completions: what ``complete`` proposes at a cursor (``|`` in the YAML of a case), the
range it replaces, and that no text or position makes it raise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.playground.complete import Completion, Completions, complete
from engine.registry import bundled_dir, json_schema, schema_files

TOP = ["schema", "version", "description", "referenceURL", "parser", "fields"]
PARSERS = ["fastmatch", "regex", "csv", "native"]
FASTMATCH = ["match", "emptyValues", "skipLines", "skipPrefix", "trimSpace", "expandFields"]
VALUE = [
    "type", "description", "required", "indicators", "timeFormat", "timeFormats", "isEventTime", "fields",
    "element", "validate",
]  # fmt: skip
FIELD = ["name", "rename", "copy", "concat", "split", "mask", *VALUE]
TYPES = ["string", "int", "smallint", "bigint", "float", "boolean", "timestamp", "json", "object", "array"]
INDICATORS = [
    "ip", "domain", "hostname", "url", "net_addr", "md5", "sha1", "sha256", "trace_id", "username", "email",
    "aws_arn", "aws_account_id", "aws_instance_id", "aws_tag",
]  # fmt: skip


def _at(marked: str) -> tuple[str, int, int]:
    """The text without its ``|`` cursor mark, and the mark's 0-based line and column."""
    before, _, after = marked.partition("|")
    return before + after, before.count("\n"), len(before.split("\n")[-1])


def _complete(marked: str, schema: dict[str, Any] | None = None) -> Completions:
    return complete(*_at(marked), schema=schema)


def _labels(marked: str, schema: dict[str, Any] | None = None) -> list[str]:
    return [item.label for item in _complete(marked, schema).items]


# (case, YAML with the cursor at '|', the labels proposed in order)
TABLE: list[tuple[str, str, list[str]]] = [
    ("empty text", "|", TOP),
    ("top level minus present keys", "schema: A.B\n|\nfields:\n  - name: a\n    type: string", TOP[1:5]),
    (
        "present below count too",
        "|\nversion: 0\nparser:\n  csv: {}",
        ["schema", "description", "referenceURL", "fields"],
    ),
    ("top level prefix", "schema: A\nde|", ["description"]),
    ("prefix is case-sensitive", "De|", []),
    ("parser kinds", "parser:\n  |", PARSERS),
    ("parser kind with prefix", "parser:\n  r|", ["regex"]),
    ("fastmatch keys", "parser:\n  fastmatch:\n    |", FASTMATCH),
    ("fastmatch keys minus present", "parser:\n  fastmatch:\n    match: ['%{a} %{b}']\n    |", FASTMATCH[1:]),
    ("csv keys by $ref to textOptions", "parser:\n  csv:\n    s|", ["skipLines", "skipPrefix"]),
    ("field keys after '- '", "fields:\n  - |", FIELD),
    ("field keys, compact list", "fields:\n- |", FIELD),
    ("field keys on the item's next line", "fields:\n  - name: a\n    |", [k for k in FIELD if k != "name"]),
    (
        "field keys minus those below",
        "fields:\n  - name: a\n    |\n    type: int\n  - name: b\n    description: x",
        [k for k in FIELD if k not in ("name", "type")],
    ),
    ("field keys with prefix", "fields:\n  - name: a\n    t|", ["type", "timeFormat", "timeFormats"]),
    ("field types", "fields:\n  - name: a\n    type: |", TYPES),
    ("field types with prefix", "fields:\n  - name: a\n    type: s|", ["string", "smallint"]),
    ("types on the item's line", "fields:\n  - type: |", TYPES),
    ("indicators, block list", "fields:\n  - name: a\n    indicators:\n      - |", INDICATORS),
    (
        "indicators, block list, prefix",
        "fields:\n  - name: a\n    indicators:\n      - aws_a|",
        ["aws_arn", "aws_account_id"],
    ),
    ("indicators, flow list", "fields:\n  - name: a\n    indicators: [ip, |", INDICATORS),
    ("indicators, flow list start", "fields:\n  - name: a\n    indicators: [|]", INDICATORS),
    ("indicators, flow list middle", "fields:\n  - name: a\n    indicators: [ip, ho|, url]", ["hostname"]),
    ("indicators, quoted flow items", "fields:\n  - name: a\n    indicators: ['ip', \"url\", m|", ["md5"]),
    ("indicators, flow list prefix", "fields:\n  - name: a\n    indicators: [ip, s|]", ["sha1", "sha256"]),
    (
        "object fields two levels deep",
        "fields:\n  - name: a\n    type: object\n    fields:\n      - name: b\n        type: object\n"
        "        fields:\n          - name: c\n            |",
        [k for k in FIELD if k != "name"],
    ),
    ("array element", "fields:\n  - name: a\n    type: array\n    element:\n      |", VALUE),
    ("array element's type", "fields:\n  - name: a\n    element:\n      type: |", TYPES),
    ("element of an element", "fields:\n  - name: a\n    element:\n      element:\n        ty|", ["type"]),
    ("booleans", "fields:\n  - name: a\n    isEventTime: |", ["true", "false"]),
    ("const", "version: |", ["0"]),
    ("enum to quote", "parser:\n  csv:\n    delimiter: |", ['","', '"\\t"', '" "', '";"', '"|"']),
    ("validate keys", "fields:\n  - name: a\n    validate:\n      |", ["allow", "deny", "ip", "cidr"]),
    ("validate ip", "fields:\n  - name: a\n    validate:\n      ip: |", ["ipv4", "ipv6", "any"]),
    ("transformation keys", "fields:\n  - name: a\n    split:\n      |", ["from", "separator", "index"]),
    ("mask type", "fields:\n  - name: a\n    mask:\n      type: |", ["redact"]),
    (
        "comments and blank lines between",
        "# yaml-language-server: $schema=x\nparser:\n\n  # a comment\n  fastmatch:\n\n    # another\n"
        "    match: ['%{a} %{b}']  # trailing\n\n    |",
        FASTMATCH[1:],
    ),
    (
        "a '#' inside quotes is no comment",
        "fields:\n  - name: a\n    description: 'x # y'\n    ty|",
        ["type"],
    ),
    ("a '#' in a quoted flow item", "fields:\n  - name: a\n    indicators: ['a #b', \"c #d\", |", INDICATORS),
    (
        "after a block scalar",
        "description: >-\n  some text: with a colon\n  - and a dash\n|",
        [k for k in TOP if k != "description"],
    ),
    ("inside a block scalar", "parser: |\n  text\n  |", []),
    ("inside a folded scalar", "parser: >-\n  |", []),
    ("continuation of a plain scalar", "parser: text\n  |", []),
    ("continuation of an item's scalar", "fields:\n  - text\n    |", []),
    ("bare '-' line", "fields:\n  -\n    name: a\n    |", [k for k in FIELD if k != "name"]),
    ("nested lists", "fields:\n  - - |", []),
    ("unknown key's mapping", "nope:\n  |", []),
    ("unknown parser's keys", "parser:\n  grok:\n    |", []),
    ("free-named map proposes no key", "parser:\n  fastmatch:\n    expandFields:\n      |", []),
    ("string value has no values", "schema: |", []),
    ("list of strings has no values", "parser:\n  fastmatch:\n    match:\n      - |", []),
    ("in a comment", "# type: |", []),
    ("after a comment mark", "fields:\n  - name: a\n    type: # |", []),
    ("in a quoted value", "fields:\n  - name: a\n    type: 'st|", []),
    ("in a flow mapping", "parser: {fast|", []),
    ("no space after the colon", "fields:\n  - name: a\n    type:|", []),
    ("text after the word", "pars| x", []),
    ("in a key's value that is a list", "fields:\n  |", []),
    ("garbage", "}{][:\n- - : : |", []),
    ("a tab for indentation", "parser:\n\t|", []),
]


@pytest.mark.parametrize(("marked", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_labels_at_the_cursor(marked: str, expected: list[str]) -> None:
    assert _labels(marked) == expected


def test_the_types_proposed_are_schema_json_enum() -> None:
    assert json_schema()["$defs"]["value"]["properties"]["type"]["enum"] == TYPES
    assert json_schema()["$defs"]["indicator"]["enum"] == INDICATORS


# (YAML with the cursor, the text each proposal inserts)
TEXTS = [
    ("|", ["schema: ", "version: ", "description: ", "referenceURL: ", "parser:", "fields:"]),
    (
        "parser:\n  fastmatch:\n    |",
        ["match:", "emptyValues:", "skipLines: ", "skipPrefix: ", "trimSpace: ", "expandFields:"],
    ),
    ("pars|er:\n  csv: {}", ["parser"]),
    ("fields:\n  - na|me: a", ["name"]),
    ("fields:\n  - na| : a", ["name"]),
    ("fields:\n  - name: a\n    type: t|", ["timestamp"]),
]


@pytest.mark.parametrize(("marked", "expected"), TEXTS)
def test_what_a_proposal_inserts(marked: str, expected: list[str]) -> None:
    assert [item.text for item in _complete(marked).items] == expected


def test_details_are_descriptions_else_types() -> None:
    by_label = {item.label: item.detail for item in _complete("fields:\n  - |").items}
    assert by_label["name"] == "string"
    assert by_label["type"] == "enum"
    assert by_label["indicators"] == "array of enum"
    assert by_label["timeFormats"] == "array of string"
    assert by_label["fields"] == "array of object"
    assert by_label["validate"] == "object"
    assert by_label["rename"] == "Read this field from another input key (Panther's rename transformation)."
    # The description of $defs/value, through element's $ref; a multi-line one would be joined.
    assert by_label["element"] == (
        "A value's type and its type's own keys (a field without its name; an array element)."
    )
    top = {item.label: item.detail for item in _complete("|").items}
    assert top["version"] == "Schema format version; only 0 exists."
    assert top["parser"] == "How a line becomes name/value pairs. Without a parser each line is JSON."
    assert _complete("version: |").items == [Completion("0", "0", "Schema format version; only 0 exists.")]
    assert _complete("fields:\n- type: bo|").items == [Completion("boolean", "boolean", "")]


# (YAML with the cursor, line, start, end): the word under the cursor is replaced whole.
RANGES = [
    ("|", 0, 0, 0),
    ("parser:\n  fast|", 1, 2, 6),
    ("parser:\n  fast|match:", 1, 2, 11),
    ("parser:\n  |fastmatch:", 1, 2, 11),
    ("fields:\n  - name: a\n    type: str|ing", 2, 10, 16),
    ("fields:\n  - name: a\n    type: |", 2, 10, 10),
    ("fields:\n  - name: a\n    indicators: [ip, ho|st, url]", 2, 21, 25),
    ("fields:\n  - na|", 1, 4, 6),
    ("x: é|ü", 0, 3, 5),  # str characters
    ("x: 😀 a|", 0, 5, 6),  # code points, not UTF-16 units
]


@pytest.mark.parametrize(("marked", "line", "start", "end"), RANGES)
def test_the_range_replaced(marked: str, line: int, start: int, end: int) -> None:
    got = _complete(marked)
    assert (got.line, got.start, got.end) == (line, start, end)


def test_lines_split_like_codemirror() -> None:
    assert _labels("parser:\r\n  fastmatch:\r\n    t|") == ["trimSpace"]
    assert [i.label for i in complete("parser:\r  c", 1, 3).items] == ["csv"]
    assert [i.label for i in complete("x:\r\n\rparser:\n  c", 3, 3).items] == ["csv"]


def test_positions_out_of_range_are_clamped() -> None:
    assert complete("parser:\n  c", 9, 99).to_dict() == {
        "items": [{"text": "csv:", "label": "csv", "detail": "object"}],
        "line": 1,
        "start": 2,
        "end": 3,
    }
    got = complete("ab", -3, -1)  # at the start of the word 'ab', which all keys may replace
    assert (got.line, got.start, got.end) == (0, 0, 2)
    assert [i.label for i in got.items] == TOP


def test_to_dict_is_json() -> None:
    got = complete("fields:\n  - name: a\n    ty", 2, 6)
    assert json.loads(json.dumps(got.to_dict())) == {
        "items": [{"text": "type: ", "label": "type", "detail": "enum"}],
        "line": 2,
        "start": 4,
        "end": 6,
    }


# --- driven by the schema given: nothing about log schemas is written in the module ---------------

OTHER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["a", "b"]},
        "on": {"type": ["boolean", "null"], "description": "  two\n  lines  "},
        "tree": {"$ref": "#/$defs/node"},
        "pick": {"anyOf": [{"const": 1}, {"enum": ["yes", "x y", None, 2.5]}]},
        "mixed": {"allOf": [{"properties": {"p": {}}}, {"oneOf": [{"properties": {"q": {}}}]}]},
        "cond": {"if": {}, "then": {"properties": {"t": {}}}, "else": {"properties": {"e": {}}}},
        "map": {
            "patternProperties": {"^x": {"properties": {"deep": {}}}, "(": {}},
            "additionalProperties": {"enum": ["free"]},
        },
        "tuple": {"type": "array", "prefixItems": [{"enum": ["first"]}], "items": {"enum": ["rest"]}},
        "gone": False,
        "odd/key": {"$ref": "#/$defs/odd~1name"},
        "loop": {"$ref": "#/properties/loop"},
        "elsewhere": {"$ref": "https://example.com/schema.json"},
    },
    "$defs": {
        "node": {
            "type": "object",
            "properties": {"value": {}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        },
        "odd/name": {"enum": ["slash"]},
    },
}

OTHER_TABLE = [
    ("|", ["kind", "on", "tree", "pick", "mixed", "cond", "map", "tuple", "odd/key", "loop", "elsewhere"]),
    ("kind: |", ["a", "b"]),
    ("on: |", ["true", "false"]),
    ("pick: |", ["1", '"yes"', '"x y"', "null", "2.5"]),
    ("mixed:\n  |", ["p", "q"]),
    ("cond:\n  |", ["t", "e"]),
    ("map:\n  |", []),
    ("map:\n  xa:\n    |", ["deep"]),
    ("map:\n  ya: |", ["free"]),
    ("tuple: [|", ["first"]),
    ("tuple: [first, |", ["rest"]),
    ("tuple:\n  - |", ["first"]),
    ("tuple:\n  - first\n  - |", ["rest"]),
    ("tree:\n  children:\n    - children:\n        - children:\n            - |", ["value", "children"]),
    ("odd/key: |", ["slash"]),
    ("loop: |", []),
    ("loop:\n  |", []),
    ("elsewhere:\n  |", []),
    ('"kind": |', ["a", "b"]),
    ("'kind': |", ["a", "b"]),
]


@pytest.mark.parametrize(("marked", "expected"), OTHER_TABLE)
def test_any_json_schema_drives_it(marked: str, expected: list[str]) -> None:
    assert _labels(marked, OTHER) == expected


def test_key_text_and_detail_from_the_schema_given() -> None:
    items = {item.label: item for item in _complete("|", OTHER).items}
    assert items["on"] == Completion('"on": ', "on", "two lines")  # YAML 1.1 reads a plain on as true
    assert items["tree"] == Completion("tree:", "tree", "object")
    assert items["tuple"] == Completion("tuple:", "tuple", "array of enum")
    assert items["kind"] == Completion("kind: ", "kind", "enum")
    assert items["pick"] == Completion("pick: ", "pick", "enum")


# --- never raises, always a range inside the line --------------------------------------------------


def _check(text: str, line: int, col: int) -> Completions:
    got = complete(text, line, col)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert 0 <= got.line < len(lines)
    assert 0 <= got.start <= got.end <= len(lines[got.line])
    assert got.start <= min(max(col, 0), len(lines[got.line])) <= got.end
    assert all(isinstance(i.text, str) and i.text and isinstance(i.detail, str) for i in got.items)
    json.dumps(got.to_dict())
    return got


_YAMLISH = st.lists(
    st.sampled_from([*" \t\n\r-:#[]{},'\"|>&*!%@`?\\~é😀", "fields", "type", "name", "  - ", "x"])
    | st.characters(),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_YAMLISH, line=st.integers(-2, 12), col=st.integers(-2, 40))
def test_any_text_and_position_never_raise(text: str, line: int, col: int) -> None:
    _check(text, line, col)


_BUNDLED = [p for p in schema_files(bundled_dir())]


@pytest.mark.parametrize("path", _BUNDLED, ids=lambda p: p.name)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_mutated_bundled_schemas_never_raise(path: Path, data: st.DataObject) -> None:
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        at = data.draw(st.integers(0, len(raw)), label="offset")
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="op")
        byte = data.draw(st.integers(0, 255), label="byte")
        if op == "insert":
            raw[at:at] = bytes([byte])
        elif at < len(raw):
            raw[at : at + 1] = b"" if op == "delete" else bytes([byte])
    text = raw.decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for _ in range(3):
        line = data.draw(st.integers(0, len(lines) - 1), label="line")
        for col in range(len(lines[line]) + 1):
            _check(text, line, col)


@pytest.mark.parametrize("path", _BUNDLED, ids=lambda p: p.name)
def test_every_key_of_a_bundled_schema_is_proposed_at_its_place(path: Path) -> None:
    """Each key of a valid file is allowed there: with the cursor at its end, it is proposed (as
    ``key``, its ':' being written), except in the free-named maps, which propose nothing."""
    text = path.read_text(encoding="utf-8")
    checked = 0
    free_at = None  # the indentation of a free-named map's keys while inside one
    for number, raw in enumerate(text.split("\n")):
        content = raw.lstrip(" -")
        indent = len(raw) - len(content)
        if free_at is not None and indent < free_at:
            free_at = None
        key, colon, _ = content.partition(":")
        if not colon or not key.isidentifier() or raw.lstrip().startswith("#"):
            continue
        got = complete(text, number, indent + len(key))
        if free_at is not None:
            assert got.items == [], (path.name, number + 1)
        else:
            assert key in [item.text for item in got.items], (path.name, number + 1)
            checked += 1
        if key in ("patternDefinitions", "expandFields"):
            free_at = indent + 1
    assert checked >= 10


def test_a_300_line_schema_completes_at_its_last_line() -> None:
    """The path at the last line of a long schema reads every line above (its speed is measured
    by hand, not here: timing belongs in tools/)."""
    field = "  - name: f{n}\n    type: string\n    description: the field {n}\n"
    text = "schema: A.B\nparser:\n  csv:\n    hasHeader: true\nfields:\n" + "".join(
        field.format(n=n) for n in range(100)
    )
    got = complete(text + "    ", text.count("\n"), 4)
    assert [i.label for i in got.items][:2] == ["rename", "copy"]
