"""fastmatch patterns: every test vector of spec section a.5, plus the generated/interpreted agreement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.parsers.fastmatch import PatternError, QuotedSyntaxError, _interpret, _unquote, compile_pattern

NO_MATCH = None

APACHE = (
    '%{remote_ip} %{identity} %{user} [%{timestamp}] "%{method} %{request_uri} %{protocol}" '
    "%{status} %{bytes_sent}"
)
APACHE_LINE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'

# (id, pattern, input, expected pairs in emission order or NO_MATCH)
VECTORS = [
    ("U1", "%{foo} %{bar}", "foo bar", [("foo", "foo"), ("bar", "bar")]),
    ("U2", "LOG: %{foo} %{bar}", "LOG: foo bar", [("foo", "foo"), ("bar", "bar")]),
    ("U3", "%{foo} %{bar}", "foo", NO_MATCH),
    ("U4", "%{foo} %{bar}", "foo ", [("foo", "foo"), ("bar", "")]),
    ("U5", "%{foo} %{bar}", " bar", [("foo", ""), ("bar", "bar")]),
    ("U6", '"%{foo}" %{bar}', r'"\"foo\" bar" baz', [("foo", '"foo" bar'), ("bar", "baz")]),
    ("U7", '%{foo} "%{bar}"', r'foo "\"bar\"baz"', [("foo", "foo"), ("bar", '"bar"baz')]),
    ("U8", "%{foo} %{}", "foo bar", [("foo", "foo")]),
    (
        "U9",
        APACHE,
        APACHE_LINE,
        [
            ("remote_ip", "127.0.0.1"),
            ("identity", "-"),
            ("user", "frank"),
            ("timestamp", "10/Oct/2000:13:55:36 -0700"),
            ("method", "GET"),
            ("request_uri", "/apache_pb.gif"),
            ("protocol", "HTTP/1.0"),
            ("status", "200"),
            ("bytes_sent", "2326"),
        ],
    ),
    ("F1", "%{ foo } %{bar}", "a b", [("foo ", "a"), ("bar", "b")]),
    ("F4", "%{}", "anything", []),
    ("F5", "%{a} %{b} ", "x y z", [("a", "x"), ("b", "y")]),
    ("F6", "%{a} %{b}", "x y z", [("a", "x"), ("b", "y z")]),
    ("F7", "%{a},%{b}", "x,y,z", [("a", "x"), ("b", "y,z")]),
    ("F8", "%{a} - %{b}", "x - y - z", [("a", "x"), ("b", "y - z")]),
    ("F9", "[%{a}]", "[x]trailing", [("a", "x")]),
    ("F10", "[%{a}]", "x]", NO_MATCH),
    ("F11", "%{a} %{a}", "x y", [("a", "x"), ("a", "y")]),
    ("F12", '"%{a}" %{b}', '"x" y', [("a", "x"), ("b", "y")]),
    ("F13", '"%{a}" %{b}', r'"x\"y" z', [("a", 'x"y'), ("b", "z")]),
    ("F14", '"%{a}" %{b}', '"x"y" z', [("a", 'x"y'), ("b", "z")]),
    ("F15", '"%{a}" %{b}', '"x"y" z\\', NO_MATCH),
    ("F16", '"%{a}" %{b}', r'"x\q" z', NO_MATCH),
    ("F17", '"%{a}" %{b}', r'"x\n\t\x41\u00e9\101" z', [("a", "x\n\tAéA"), ("b", "z")]),
    ("F18", '"%{a}" %{b}', r'"x\'" z', NO_MATCH),
    ("F19", "'%{a}' %{b}", r"'x\'y' z", [("a", "x'y"), ("b", "z")]),
    ("F20", "'%{a}' %{b}", r"'x\"y' z", NO_MATCH),
    ("F21", '"%{a}"', r'"abc\"', NO_MATCH),
    # F22: the invalid byte 0xff reaches fastmatch as U+FFFD once the line is decoded with
    # replacement (normalize --invalid-utf8 replace); by default such a line is rejected before.
    ("F22", '"%{a}" %{b}', '"\ufffd\\"" z', [("a", '\ufffd"'), ("b", "z")]),
    ("F23", '%{a} "%{b}" %{c}', '1 "q" 3', [("a", "1"), ("b", "q"), ("c", "3")]),
    ("F24", '"%{a} %{b}"', '"x y"', [("a", "x"), ("b", "y")]),
    ("F25", "%{a}%", "x%", [("a", "x")]),
    ("F26", "%{a%{b} c", "x c", [("a%{b", "x")]),
    ("F27", "%{a}", "", [("a", "")]),
    ("F28", "P %{a}", "P", NO_MATCH),
    ("F29", "%{a} ", "x", NO_MATCH),
    # Beyond the spec's table: the split fast path must behave like successive finds.
    ("run-then-rest", "%{a} %{b} %{c}", "1 2 3 4", [("a", "1"), ("b", "2"), ("c", "3 4")]),
    ("run-too-short", "%{a} %{b} %{c}", "1 2", NO_MATCH),
    ("run-then-find", "%{a} %{b} %{c}|%{d}", "1 2 3|4", [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]),
    ("run-missing-next", "%{a} %{b} %{c}|%{d}", "1 2 3 4", NO_MATCH),
    ("quoted-last-delim", '%{a} "%{b}"', 'x "y z"', [("a", "x"), ("b", "y z")]),
]


def _pairs(pattern: str, line: str) -> list[tuple[str, str]] | None:
    compiled = compile_pattern(pattern)
    values = compiled.match(line)
    if values is None:
        return None
    return [(name, value) for name, value in zip(compiled.names, values, strict=True) if name]


@pytest.mark.parametrize(
    ("pattern", "line", "expected"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS]
)
def test_vectors(pattern: str, line: str, expected: list[tuple[str, str]] | None) -> None:
    assert _pairs(pattern, line) == expected


@pytest.mark.parametrize(
    ("pattern", "line", "expected"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS]
)
def test_interpreter_agrees(pattern: str, line: str, expected: list[tuple[str, str]] | None) -> None:
    """The slow explainer says "no reason" exactly when the generated matcher matches."""
    assert (compile_pattern(pattern).why_not(line) is None) == (expected is not None)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "%{foo}%{bar}",
            "invalid pattern '%{foo}%{bar}': placeholders %{foo} and %{bar} are adjacent; "
            "put literal text between them",
        ),  # F2
        ("no fields", "invalid pattern 'no fields': it has no %{field} placeholder"),  # F3
    ],
    ids=["F2", "F3"],
)
def test_compile_errors(pattern: str, message: str) -> None:
    with pytest.raises(PatternError) as info:
        compile_pattern(pattern)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "quote", "value", "rest"),
    [
        ('foo \\"bar\\"" ', '"', 'foo "bar"', '" '),  # M2
        ("foo \\'bar\\'' ", "'", "foo 'bar'", "' "),  # M3
        ('\\x41\\u00e9\\U0001F600\\101" ', '"', "AéA\U0001f600A"[:2] + "\U0001f600A", '" '),
        ('\\xff"', '"', "\xff", '"'),  # \xff gives U+00FF, not a byte (spec a.2)
    ],
    ids=["M2", "M3", "hex-unicode-octal", "xff"],
)
def test_unquote(text: str, quote: str, value: str, rest: str) -> None:
    decoded, end = _unquote(text, 0, quote)
    assert (decoded, text[end:]) == (value, rest)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('\\q"', "invalid escape \\q"),
        ('\\400"', "invalid octal escape"),
        ('\\x4"', "invalid \\x escape"),
        ('\\ud800"', "invalid \\u escape"),
        ("abc", "no closing quote"),
        ("abc\\", "no closing quote"),
    ],
)
def test_unquote_errors(text: str, message: str) -> None:
    with pytest.raises(QuotedSyntaxError) as info:
        _unquote(text, 0, '"')
    assert str(info.value) == message


def test_single_field_matcher_m1() -> None:
    """M1: an unquoted value ends at its delimiter and leaves nothing."""
    assert compile_pattern("%{a} ").match("foo ") == ("foo",)


@pytest.mark.parametrize(
    ("pattern", "line", "reason"),
    [
        ("[%{a}]", "x]", "the line does not start with '['"),
        ("%{a} <%{b}>%{c}", "12 <34 rest", "delimiter '>' after %{b} not found from column 5"),
        ('"%{a}" %{b}', r'"x\q" z', "quoted value of %{a} at column 2: invalid escape \\q"),
        ('"%{a}" %{b}', '"x"y" z\\', "'\" ' expected after the quoted value of %{a}, at column 3"),
    ],
)
def test_why_not(pattern: str, line: str, reason: str) -> None:
    assert compile_pattern(pattern).why_not(line) == reason


PATTERNS = ["%{a} %{b} %{c}", "<%{a}>%{b} %{c} %{d}|%{e}", '%{a} "%{b}" %{c}', "%{a},%{b},%{c},"]


@given(st.sampled_from(PATTERNS), st.text(alphabet=' ab<>|",\\', max_size=20))
def test_generated_matches_interpreter(pattern: str, line: str) -> None:
    """For any line, the generated matcher and the step-by-step interpreter agree on values."""
    compiled = compile_pattern(pattern)
    assert compiled.match(line) == _interpret(compiled, line)[0]
