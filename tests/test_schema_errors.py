"""Bad schema files: each gives one exact ``FILE:LINE:COL: message (at path)`` error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine import NormalizeError, Registry, SchemaError, search_path
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


# --- unknown schema names: the nearest name suggested --------------------------------------------

BUNDLED = (
    "AWS.CloudTrail, AWS.VPCFlow, Apache.AccessCombined, Heroku.CLI, Heroku.Router, Heroku.Runtime, "
    "Nginx.Access, Syslog.RFC3164, Syslog.RFC5424"
)


def bundled_error(call: Callable[[Registry], object]) -> str:
    with pytest.raises(NormalizeError) as info:
        call(Registry(search_path()))
    return str(info.value)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("Heroku.Runtme", "Heroku.Runtime"),  # a typo
        ("heroku.runtime", "Heroku.Runtime"),  # the case
        ("SYSLOG.rfc5424", "Syslog.RFC5424"),  # the case first, though RFC3164 is as near by difflib
        ("Apache.Access", "Apache.AccessCombined"),
        ("Runtime", "Heroku.Runtime"),  # one dotted part of one name
    ],
)
def test_unknown_name_suggests_the_nearest(name: str, meant: str) -> None:
    assert bundled_error(lambda r: r.load(name)) == (
        f"unknown schema {name!r}: did you mean {meant!r}? (known: {BUNDLED})"
    )


def test_unknown_name_far_from_all_suggests_nothing() -> None:
    assert (
        bundled_error(lambda r: r.file("Nope.Nothing")) == f"unknown schema 'Nope.Nothing' (known: {BUNDLED})"
    )


@pytest.mark.parametrize(
    ("pattern", "meant"),
    [
        ("Sylog.*", "Syslog.*"),
        ("syslog.rfc*", "Syslog.RFC*"),
        ("Syslg.RFC5*", "Syslog.RFC5*"),
        ("aws.*", "AWS.*"),
    ],
)
def test_a_glob_that_matches_nothing_suggests_one_that_does(pattern: str, meant: str) -> None:
    assert bundled_error(lambda r: r.matching(pattern)) == (
        f"no schema matches {pattern!r}: did you mean {meant!r}? (known: {BUNDLED})"
    )
    assert Registry(search_path()).matching(meant)


def test_glob_matches_sorted_and_far_globs_suggest_nothing() -> None:
    assert Registry(search_path()).matching("Syslog.*") == ["Syslog.RFC3164", "Syslog.RFC5424"]
    assert bundled_error(lambda r: r.matching("Nope.*")) == f"no schema matches 'Nope.*' (known: {BUNDLED})"


def test_many_names_list_only_the_nearest(tmp_path: Path) -> None:
    for team in ("Billing", "Search", "Storage"):
        for n in range(6):
            (tmp_path / f"{team}{n}.yml").write_text(f"schema: Custom.{team}.Log{n}\nfields: []\n")
    registry = Registry(search_path([tmp_path], bundled=False))
    with pytest.raises(NormalizeError) as info:
        registry.load("Custom.Storage.Log9")
    assert str(info.value) == (
        "unknown schema 'Custom.Storage.Log9': did you mean 'Custom.Storage.Log5'? (18 known, the nearest: "
        "Custom.Search.Log0, Custom.Search.Log1, Custom.Search.Log2, Custom.Search.Log3, "
        "Custom.Storage.Log0, Custom.Storage.Log1, Custom.Storage.Log2, Custom.Storage.Log3, "
        "Custom.Storage.Log4, Custom.Storage.Log5; `normalize schemas` lists them all)"
    )
