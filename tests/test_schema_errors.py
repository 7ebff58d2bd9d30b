"""Bad schema files: each gives one exact ``FILE:LINE:COL: message (at path)`` error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine import SchemaError
from engine.registry import load_schema_file

HEAD = "schema: Custom.Test\nparser:\n  fastmatch:\n    match: ['%{a} %{b}']\nfields:\n"

# (id, file text, expected "LINE:COL: message (at path)")
CASES = [
    (
        "unknown-type",
        HEAD + "  - name: a\n    type: integr\n",
        "7:11: unknown type 'integr'; expected one of string, int, smallint, bigint, float, boolean, "
        "timestamp, json, object, array (at fields[0].type)",
    ),
    (
        "unknown-field-key",
        HEAD + "  - name: a\n    type: timestamp\n    timeformat: rfc3339\n",
        "8:5: unknown key 'timeformat' (at fields[0].timeformat)",
    ),
    (
        "unknown-top-key",
        "schema: Custom.Test\nfeilds: []\nfields:\n  - {name: a, type: string}\n",
        "2:1: unknown key 'feilds' (at feilds)",
    ),
    (
        "missing-type",
        HEAD + "  - name: a\n  - name: b\n    type: string\n",
        "6:5: missing required key 'type' (at fields[0])",
    ),
    (
        "bad-name",
        "schema: custom.test\nfields:\n  - {name: a, type: string}\n",
        "1:9: schema name 'custom.test' must be dotted parts that each start with an uppercase letter "
        "(at schema)",
    ),
    (
        "adjacent-captures",
        "schema: Custom.Test\nparser:\n  fastmatch:\n    match: ['%{a}%{b}']\n"
        "fields:\n  - {name: a, type: string}\n",
        "4:13: invalid pattern '%{a}%{b}': placeholders %{a} and %{b} are adjacent; put literal text "
        "between them (at parser.fastmatch.match[0])",
    ),
    (
        "unknown-directive",
        HEAD + "  - name: a\n    type: timestamp\n    timeFormats: [rfc3339, '%Y %Q']\n",
        "8:28: unknown strftime directive '%Q' in '%Y %Q' (at fields[0].timeFormats[1])",
    ),
    (
        "timestamp-without-format",
        HEAD + "  - name: a\n    type: timestamp\n",
        "7:11: a timestamp needs 'timeFormats' (for example [rfc3339]) (at fields[0].type)",
    ),
    (
        "key-for-other-type",
        HEAD + "  - name: a\n    type: int\n    isEventTime: true\n",
        "8:18: 'isEventTime' applies to timestamp values, not to 'int' (at fields[0].isEventTime)",
    ),
    (
        "wrong-value-type",
        HEAD + "  - name: a\n    type: string\n    required: on\n",
        "8:15: expected true or false, got str 'on' (at fields[0].required)",
    ),
    (
        "duplicate-field",
        HEAD + "  - {name: a, type: string}\n  - {name: a, type: int}\n",
        "7:12: duplicate field name 'a' (also fields[0]) (at fields[1].name)",
    ),
    (
        "validate-on-array",
        HEAD + "  - name: a\n    type: array\n    element: {type: string}\n    validate: {allow: [x]}\n",
        "9:15: 'validate' applies to string values, not to 'array' (at fields[0].validate)",
    ),
    (
        "mask-on-int",
        HEAD + "  - name: a\n    type: int\n    mask: {type: redact}\n",
        "8:11: 'mask' applies to string values, not to 'int' (at fields[0].mask)",
    ),
    (
        "mask-type",
        HEAD + "  - name: a\n    type: string\n    mask: {type: hash}\n",
        "8:18: unknown type 'hash'; expected one of redact (at fields[0].mask.type)",
    ),
    (
        "two-sources",
        HEAD + "  - name: a\n    type: string\n    rename: {from: b}\n    copy: {from: c}\n",
        "9:5: give at most one of rename, copy (at fields[0].copy)",
    ),
    (
        "reserved-name",
        HEAD + "  - {name: p_log_type, type: string}\n",
        "6:12: field name 'p_log_type' is reserved: p_ names are the standard fields (at fields[0].name)",
    ),
    (
        "unclosed-template",
        "schema: Custom.Test\nparser:\n  fastmatch:\n    match: ['%{a} %{b}']\n    expandFields:\n"
        "      c: '%{a'\nfields:\n  - {name: a, type: string}\n",
        "6:10: unclosed %{ in template '%{a' (at parser.fastmatch.expandFields.c)",
    ),
    (
        "unsupported-parser",
        "schema: Custom.Test\nparser:\n  native:\n    name: X\nfields:\n  - {name: a, type: string}\n",
        "3:3: the 'native' parser is not supported yet (at parser.native)",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schema_error(schema_file: Callable[[str, str], Path], text: str, expected: str) -> None:
    path = schema_file(text)
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert str(info.value) == f"{path}:{expected}"
