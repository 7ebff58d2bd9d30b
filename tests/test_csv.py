"""The csv parser: Go ``encoding/csv`` lazy-quote rules on one line (spec f.2), exact column counts (l.13)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import NormalizeError, SchemaError
from engine.parsers.csv import compile, read_header

NO_MATCH = None

VPC_COLUMNS = [
    "version",
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
]
VPC_LINE = "2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.7 443 49152 6 10 8400 1620000000 1620000060 ACCEPT OK"
VPC_VALUES = (
    "2",
    "123456789012",
    "eni-0a1b2c3d",
    "10.0.1.5",
    "10.0.2.7",
    "443",
    "49152",
    "6",
    "10",
    "8400",
    "1620000000",
    "1620000060",
    "ACCEPT",
    "OK",
)


def config(count: int, delimiter: str | None = None) -> dict[str, Any]:
    """A csv parser block with ``count`` columns named c1, c2, ..."""
    block: dict[str, Any] = {"columns": [f"c{i + 1}" for i in range(count)]}
    if delimiter is not None:
        block["delimiter"] = delimiter
    return block


def match(block: Mapping[str, Any], line: str) -> tuple[str, ...] | None:
    return compile(block).branches[0][0](line)


# (id, delimiter or None for the default, column count, line, expected values or NO_MATCH)
RECORDS = [
    ("f.2-lazy-quotes", None, 1, '"q,uo""te"', ('q,uo"te',)),
    ("plain", None, 3, "a,b,c", ("a", "b", "c")),
    ("quoted-delimiter-inside", None, 3, 'a,"b,c",d', ("a", "b,c", "d")),
    ("quoted-last-field", None, 2, 'a,"b,c"', ("a", "b,c")),
    ("quoted-every-field", None, 3, '"a","b","c"', ("a", "b", "c")),
    ("escaped-quote", None, 2, '"say ""hi""",x', ('say "hi"', "x")),
    ("escaped-quote-at-start", None, 2, '"""a""",b', ('"a"', "b")),
    ("only-escaped-quote", None, 1, '""""', ('"',)),
    ("empty-fields", None, 4, "a,,,d", ("a", "", "", "d")),
    ("empty-quoted-field", None, 3, 'a,"",c', ("a", "", "c")),
    ("all-empty", None, 3, ",,", ("", "", "")),
    ("trailing-delimiter-extra-column", None, 3, "a,b,", ("a", "b", "")),
    ("trailing-delimiter-after-quoted", None, 2, '"a",', ("a", "")),
    ("leading-delimiter", None, 2, ",b", ("", "b")),
    ("spaces-kept", None, 2, " a , b ", (" a ", " b ")),
    ("bare-quote-in-unquoted-field", None, 2, 'ab"c,d', ('ab"c', "d")),
    ("quote-at-end-of-unquoted-field", None, 2, 'ab",d', ('ab"', "d")),
    ("quote-after-space-is-not-quoting", None, 2, ' "a,b"', (' "a', 'b"')),
    ("lazy-quote-then-text-then-close", None, 2, '"a"b",c', ('a"b', "c")),
    ("lazy-lone-quote-inside", None, 2, '"x " y",z', ('x " y', "z")),
    ("odd-quote-run", None, 1, '"a"""b"', ('a""b',)),
    ("unicode", None, 3, 'café,日本語,"naïve, 🙂"', ("café", "日本語", "naïve, 🙂")),
    ("single-column", None, 1, "abc", ("abc",)),
    ("tab", "\t", 3, "a\tb c\t", ("a", "b c", "")),
    ("tab-quoted", "\t", 2, '"a\tb"\t"c"', ("a\tb", "c")),
    ("tab-comma-is-text", "\t", 2, "a,b\tc", ("a,b", "c")),
    ("space-vpc-flow-log", " ", 14, VPC_LINE, VPC_VALUES),
    ("space-double-space-is-empty-field", " ", 3, "a  b", ("a", "", "b")),
    ("space-quoted", " ", 2, '"a b" c', ("a b", "c")),
    ("semicolon", ";", 3, 'a;"b;c";d', ("a", "b;c", "d")),
    ("pipe", "|", 3, "a|b,c|", ("a", "b,c", "")),
    ("fewer-columns", None, 4, "a,b,c", NO_MATCH),
    ("more-columns", None, 2, "a,b,c", NO_MATCH),
    ("trailing-delimiter-one-too-many", None, 2, "a,b,", NO_MATCH),
    ("unclosed-quote", None, 2, 'a,"b,c', NO_MATCH),
    ("unclosed-quote-count-would-fit", None, 2, 'a,"b', NO_MATCH),
    ("quoted-then-text-never-closed", None, 2, '"a"b,c', NO_MATCH),
    ("escaped-quote-then-end", None, 1, '"a""', NO_MATCH),
    ("lone-quote", None, 1, '"', NO_MATCH),
    ("empty-line", None, 2, "", NO_MATCH),
    ("empty-line-one-column", None, 1, "", NO_MATCH),
]


@pytest.mark.parametrize(
    ("delimiter", "count", "line", "expected"),
    [row[1:] for row in RECORDS],
    ids=[row[0] for row in RECORDS],
)
def test_record(delimiter: str | None, count: int, line: str, expected: tuple[str, ...] | None) -> None:
    assert match(config(count, delimiter), line) == expected


# (id, delimiter or None, column count, line, why_not message)
REASONS = [
    ("fewer-columns", None, 4, "a,b,c", "the row has 3 columns, the schema expects 4"),
    ("more-columns", None, 2, "a,b,c", "the row has 3 columns, the schema expects 2"),
    ("one-column", None, 2, "abc", "the row has 1 column, the schema expects 2"),
    ("trailing-delimiter", None, 2, "a,b,", "the row has 3 columns, the schema expects 2"),
    ("quoted-delimiter-counts-once", None, 3, '"a,b",c', "the row has 2 columns, the schema expects 3"),
    ("space-vpc-short", " ", 15, VPC_LINE, "the row has 14 columns, the schema expects 15"),
    ("unclosed-quote", None, 2, 'a,"b,c', "column 2: a quoted field is not closed"),
    ("unclosed-first-column", None, 3, '"a,b,c', "column 1: a quoted field is not closed"),
    ("quoted-then-text-never-closed", None, 2, '"a"b,c', "column 1: a quoted field is not closed"),
    ("empty-line", None, 2, "", "the line is empty"),
    ("matched", None, 2, "a,b", "matched"),
]


@pytest.mark.parametrize(
    ("delimiter", "count", "line", "reason"),
    [row[1:] for row in REASONS],
    ids=[row[0] for row in REASONS],
)
def test_why_not(delimiter: str | None, count: int, line: str, reason: str) -> None:
    parser = compile(config(count, delimiter))
    assert parser.why_not(line) == reason


# (id, config, columns argument, expected names)
NAMES = [
    ("from-config", {"columns": ["a", "b"]}, None, ("a", "b")),
    ("from-header", {"hasHeader": True}, ["x", "y", "z"], ("x", "y", "z")),
    ("header-names-win", {"columns": ["a", "b"], "hasHeader": True}, ["x", "y"], ("x", "y")),
    ("empty-name-kept-in-place", {"columns": ["a", "", "c"]}, None, ("a", "", "c")),
]


@pytest.mark.parametrize(
    ("block", "columns", "names"), [row[1:] for row in NAMES], ids=[row[0] for row in NAMES]
)
def test_names(block: dict[str, Any], columns: list[str] | None, names: tuple[str, ...]) -> None:
    parser = compile(block, columns)
    assert len(parser.branches) == 1
    assert parser.branches[0][1] == names


def test_values_line_up_with_names_from_header() -> None:
    header = read_header("when,who,what", {})
    match_fn, names = compile({"hasHeader": True}, header).branches[0]
    assert dict(zip(names, match_fn('2024-01-01,alice,"GET /x, y"') or (), strict=True)) == {
        "when": "2024-01-01",
        "who": "alice",
        "what": "GET /x, y",
    }


# (id, config, message)
BUILD_ERRORS = [
    ("no-columns", {}, "a csv parser needs 'columns' or 'hasHeader: true'"),
    ("no-columns-empty-list", {"columns": []}, "a csv parser needs 'columns' or 'hasHeader: true'"),
    ("quote-delimiter", {"columns": ["a"], "delimiter": '"'}, "invalid csv delimiter '\"'"),
]


@pytest.mark.parametrize(
    ("block", "message"), [row[1:] for row in BUILD_ERRORS], ids=[row[0] for row in BUILD_ERRORS]
)
def test_build_error(block: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError) as info:
        compile(block)
    assert info.value.message == message


def test_has_header_needs_the_header_columns() -> None:
    with pytest.raises(ValueError, match="compiled with the header's columns"):
        compile({"hasHeader": True})


# (id, config, header line, expected names)
HEADERS = [
    ("plain", {}, "a,b,c", ("a", "b", "c")),
    ("quoted-with-delimiter", {}, '"x,y",z', ("x,y", "z")),
    ("escaped-quote", {}, '"say ""hi""",b', ('say "hi"', "b")),
    ("nothing-stripped", {}, " a , b ", (" a ", " b ")),
    ("empty-names", {}, "a,,c,", ("a", "", "c", "")),
    ("tab", {"delimiter": "\t"}, "src\tdst port", ("src", "dst port")),
    ("space", {"delimiter": " "}, "version account_id", ("version", "account_id")),
    ("unicode", {}, "größe,名前", ("größe", "名前")),
]


@pytest.mark.parametrize(
    ("block", "line", "names"), [row[1:] for row in HEADERS], ids=[row[0] for row in HEADERS]
)
def test_read_header(block: dict[str, Any], line: str, names: tuple[str, ...]) -> None:
    assert read_header(line, block) == names


HEADER_ERRORS = [
    ("unclosed-quote", 'a,"b', "the CSV header line: column 2: a quoted field is not closed"),
    ("empty", "", "the CSV header line is empty"),
]


@pytest.mark.parametrize(
    ("line", "message"), [row[1:] for row in HEADER_ERRORS], ids=[row[0] for row in HEADER_ERRORS]
)
def test_read_header_error(line: str, message: str) -> None:
    with pytest.raises(NormalizeError) as info:
        read_header(line, {})
    assert str(info.value) == message


# --- properties ---------------------------------------------------------------------------------

DELIMITERS = [",", "\t", " ", ";", "|"]
# Field text: any character but line breaks (input is already split into lines); quotes and
# delimiters are frequent so that quoting is exercised.
TEXT = st.text(st.one_of(st.sampled_from('",\t ;|a'), st.characters(exclude_characters="\r\n")))


def write_field(text: str, delimiter: str) -> str:
    """A field written the usual CSV way: quoted, with quotes doubled, when it needs quoting."""
    if delimiter in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


@given(st.sampled_from(DELIMITERS), st.lists(TEXT, min_size=1, max_size=6))
def test_written_records_read_back(delimiter: str, fields: list[str]) -> None:
    line = delimiter.join(write_field(text, delimiter) for text in fields)
    expected = tuple(fields) if line else NO_MATCH  # a single empty field writes an empty line
    assert match(config(len(fields), delimiter), line) == expected


@given(st.sampled_from(DELIMITERS), st.text(st.characters(exclude_characters='"\r\n'), min_size=1))
def test_lines_without_quotes_are_split(delimiter: str, line: str) -> None:
    fields = line.split(delimiter)
    assert match(config(len(fields), delimiter), line) == tuple(fields)
