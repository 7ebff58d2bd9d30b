"""Tests for engine.values: spec b.2 vectors T1–T25, spec l.8, and the sharp edges of reliability 3.3."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import BadValue
from engine.values import (
    TEXT_CONVERTERS,
    GoFloat,
    boolean_from_json,
    encode_default,
    encode_event,
    float_from_json,
    format_float,
    int_from_json,
    parse_bigint,
    parse_boolean,
    parse_float,
    parse_int,
    parse_smallint,
    string_from_json,
)

INT32 = (-(2**31), 2**31 - 1)
INT16 = (-(2**15), 2**15 - 1)
INT64 = (-(2**63), 2**63 - 1)
NOT_FINITE = "NaN and infinities are not allowed"
RANGE = "out of range"


class Bad(NamedTuple):
    """An expected BadValue: its ``expected`` and ``detail``."""

    expected: str
    detail: str | None = None


def check(convert: Callable[..., object], args: tuple[object, ...], want: object) -> None:
    """Assert that ``convert(*args)`` gives ``want`` (value and type), or the BadValue ``want`` names."""
    if isinstance(want, Bad):
        with pytest.raises(BadValue) as info:
            convert(*args)
        message = want.expected if want.detail is None else f"{want.expected}: {want.detail}"
        assert (info.value.expected, info.value.detail, str(info.value)) == (*want, message)
    else:
        got = convert(*args)
        assert (got, type(got)) == (want, type(want))


# ---------------------------------------------------------------------------------------------------
# Integers from text
# ---------------------------------------------------------------------------------------------------

INT_CASES = [
    ("T1-leading-zeros", parse_int, "007", 7),
    ("T1-minus-zero", parse_int, "-0", 0),
    ("T1-plus", parse_int, "+5", 5),
    ("T2-leading-space", parse_int, " 12", Bad("int")),
    ("T2-trailing-space", parse_int, "12 ", Bad("int")),
    ("T3-fraction", parse_int, "1.0", Bad("int")),
    ("T3-fraction-5", parse_int, "5.0", Bad("int")),
    ("T3-exponent", parse_int, "1e3", Bad("int")),
    ("T3-hex", parse_int, "0x1f", Bad("int")),
    ("T3-underscore", parse_int, "1_000", Bad("int")),
    ("T4-max", parse_int, "2147483647", 2147483647),
    ("T4-max+1", parse_int, "2147483648", Bad("int", RANGE)),
    ("T4-min", parse_int, "-2147483648", -2147483648),
    ("T4-min-1", parse_int, "-2147483649", Bad("int", RANGE)),
    ("T5-max", parse_smallint, "32767", 32767),
    ("T5-max+1", parse_smallint, "32768", Bad("smallint", RANGE)),
    ("T5-min", parse_smallint, "-32768", -32768),
    ("T5-min-1", parse_smallint, "-32769", Bad("smallint", RANGE)),
    ("T6-max", parse_bigint, "9223372036854775807", 9223372036854775807),
    ("T6-max+1", parse_bigint, "9223372036854775808", Bad("bigint", RANGE)),
    ("T6-min", parse_bigint, "-9223372036854775808", -9223372036854775808),
    ("T6-min-1", parse_bigint, "-9223372036854775809", Bad("bigint", RANGE)),
    # "" is an absent field (T7); the caller decides that, so the converter itself refuses it.
    ("T7-empty-is-the-callers", parse_int, "", Bad("int")),
    ("3.3-space-newline", parse_int, " 42\n", Bad("int")),
    ("3.3-arabic-indic", parse_int, "٣٤", Bad("int")),
    ("3.3-full-width", parse_int, "４２", Bad("int")),
    ("3.3-underscore", parse_int, "1_000", Bad("int")),
    ("3.3-5000-digits", parse_int, "9" * 5000, Bad("int", RANGE)),
    ("3.3-5000-digits-bigint", parse_bigint, "1" + "0" * 4999, Bad("bigint", RANGE)),
    ("leading-zeros-5000", parse_int, "0" * 5000 + "42", 42),
    ("leading-zeros-signed", parse_smallint, "-0000032768", -32768),
    ("sign-only-minus", parse_int, "-", Bad("int")),
    ("sign-only-plus", parse_int, "+", Bad("int")),
    ("two-signs", parse_int, "+-1", Bad("int")),
    ("superscript-digit", parse_int, "²", Bad("int")),
    ("long-then-junk", parse_bigint, "99999999999999999999x", Bad("bigint")),
]


@pytest.mark.parametrize(
    ("convert", "text", "want"), [c[1:] for c in INT_CASES], ids=[c[0] for c in INT_CASES]
)
def test_int_from_text(convert: Callable[[str], int], text: str, want: object) -> None:
    check(convert, (text,), want)


# ---------------------------------------------------------------------------------------------------
# Floats from text
# ---------------------------------------------------------------------------------------------------

FLOAT_CASES = [
    ("T9-decimal", "1.5", 1.5),
    ("T9-exponent", "1e3", 1000.0),
    ("T9-upper-exponent", "1E2", 100.0),
    ("T9-leading-dot", ".5", 0.5),
    ("T9-trailing-dot", "5.", 5.0),
    ("T9-plus-dot", "+.5", 0.5),
    ("T9-negative", "-5", -5.0),
    ("T10-hex", "0x1p-2", 0.25),
    ("T10-hex-needs-p", "0x10", Bad("float")),
    ("T11-underscore-fraction", "1_000.5", 1000.5),
    ("T11-underscore", "1_000", 1000.0),
    ("T12-inf", "inf", Bad("float", NOT_FINITE)),
    ("T12-minus-infinity", "-Infinity", Bad("float", NOT_FINITE)),
    ("T12-nan", "NaN", Bad("float", NOT_FINITE)),
    ("T13-overflow", "1e400", Bad("float", RANGE)),
    ("T13-underflow", "1e-400", 0.0),
    ("T13-leading-space", " 1.5", Bad("float")),
    ("3.3-1e999", "1e999", Bad("float", RANGE)),
    ("3.3-underscore-between-digits", "1_0.5", 10.5),
    ("3.3-surrounding-spaces", " 1.5 ", Bad("float")),
    ("3.3-trailing-newline", "1.5\n", Bad("float")),
    ("3.3-arabic-indic", "٣.٤", Bad("float")),
    ("3.3-full-width", "４２", Bad("float")),
    ("l.8-plus-inf", "+INF", Bad("float", NOT_FINITE)),
    ("l.8-infinity", "infinity", Bad("float", NOT_FINITE)),
    ("l.8-signed-nan", "-nan", Bad("float", NOT_FINITE)),
    ("inf-prefix-only", "infin", Bad("float")),
    ("spaced-nan", " nan", Bad("float")),
    ("negative-overflow", "-1e400", Bad("float", RANGE)),
    ("negative-underflow", "-1e-400", -0.0),
    ("max-float", "1.7976931348623157e308", 1.7976931348623157e308),
    ("underscore-leading", "_1", Bad("float")),
    ("underscore-trailing", "1_", Bad("float")),
    ("underscore-double", "1__0", Bad("float")),
    ("underscore-before-dot", "1_.5", Bad("float")),
    ("underscore-after-dot", "1._5", Bad("float")),
    ("underscore-after-e", "1e_1", Bad("float")),
    ("underscore-in-exponent", "1e1_0", 1e10),
    ("dot-only", ".", Bad("float")),
    ("exponent-only", "e5", Bad("float")),
    ("exponent-without-digits", "1e", Bad("float")),
    ("empty", "", Bad("float")),
    ("hex-fraction", "0x1.8p1", 3.0),
    ("hex-leading-dot", "0x.8p1", 1.0),
    ("hex-trailing-dot", "0X1.P0", 1.0),
    ("hex-underscore-after-prefix", "0x_1p0", 1.0),
    ("hex-underscore-before-p", "0x1_p0", Bad("float")),
    ("hex-exponent-is-decimal", "0x1p1_0", 1024.0),
    ("hex-no-digits", "0xp1", Bad("float")),
    ("hex-overflow", "0x1p1024", Bad("float", RANGE)),
    ("hex-huge-exponent", "0x1p99999999999999999999", Bad("float", RANGE)),
    ("hex-underflow", "0x1p-99999999999999999999", 0.0),
    ("hex-denormal", "0x1p-1074", 5e-324),
    ("octal-prefix", "0o17", Bad("float")),
    ("5000-digit-mantissa", "1" * 5000, Bad("float", RANGE)),
    ("5000-digit-fraction", "0." + "1" * 5000, 0.1111111111111111),
    ("comma-decimal", "1,5", Bad("float")),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in FLOAT_CASES], ids=[c[0] for c in FLOAT_CASES])
def test_float_from_text(text: str, want: object) -> None:
    check(parse_float, (text,), GoFloat(want) if isinstance(want, float) else want)


def test_float_keeps_the_sign_of_zero() -> None:
    assert math.copysign(1.0, parse_float("-1e-400")) == -1.0


# ---------------------------------------------------------------------------------------------------
# Float output (T14) and the orjson hook
# ---------------------------------------------------------------------------------------------------

FORMAT_CASES = [
    ("T14-thousand", 1000.0, "1000"),
    ("T14-million", 1000000.0, "1000000"),
    ("T14-tenth", 0.1, "0.1"),
    ("T14-shortest-digits", 123456789.123456789, "123456789.12345679"),
    ("T14-small-exponent", 1e-7, "1e-07"),
    ("T14-large-exponent", 1e21, "1e+21"),
    ("zero", 0.0, "0"),
    ("negative-zero", -0.0, "-0"),
    ("fixed-below-repr-cutoff", 1.5e-6, "0.0000015"),
    ("fixed-negative-small", -1.5e-5, "-0.000015"),
    ("fixed-large", 1e20, "100000000000000000000"),
    ("fixed-large-digits", 1.2345e17, "123450000000000000"),
    ("threshold-low", 1e-6, "0.000001"),
    ("just-below-threshold-low", 9.999999999999997e-7, "9.999999999999997e-07"),
    ("just-below-threshold-high", 9.999999999999999e20, "999999999999999900000"),
    ("negative-integral", -2.0, "-2"),
    ("three-digit-exponent", 1.5e300, "1.5e+300"),
    ("smallest-denormal", 5e-324, "5e-324"),
    ("negative-exponent-form", -1e-7, "-1e-07"),
]


@pytest.mark.parametrize(("x", "want"), [c[1:] for c in FORMAT_CASES], ids=[c[0] for c in FORMAT_CASES])
def test_format_float(x: float, want: str) -> None:
    assert format_float(x) == want
    assert format_float(GoFloat(x)) == want


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_format_float_refuses_non_finite(x: float) -> None:
    with pytest.raises(ValueError, match="has no JSON form"):
        format_float(x)


def test_orjson_writes_go_floats_t14() -> None:
    event = {case_id: GoFloat(x) for case_id, x, _ in FORMAT_CASES if case_id.startswith("T14")}
    assert orjson.dumps(event, default=encode_default) == (
        b'{"T14-thousand":1000,"T14-million":1000000,"T14-tenth":0.1,'
        b'"T14-shortest-digits":123456789.12345679,"T14-small-exponent":1e-07,"T14-large-exponent":1e+21}'
    )


@pytest.mark.parametrize("obj", [object(), 1.5 + 0j, b"x"], ids=["object", "complex", "bytes"])
def test_encode_default_refuses_other_types(obj: object) -> None:
    with pytest.raises(TypeError, match="Type is not JSON serializable"):
        encode_default(obj)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(obj, default=encode_default)


def test_plain_floats_are_not_routed_through_the_hook() -> None:
    assert orjson.dumps([1000.0, GoFloat(1000.0)], default=encode_default) == b"[1000.0,1000]"


LEAVES = {"f": GoFloat(1000.0), "big": 1 << 70, "s": "a\ud800b"}  # what orjson alone refuses
LEAVES_JSON = '{"f":1000,"big":1180591620717411303424,"s":"a\ufffdb"}'


@pytest.mark.parametrize("depth", [0, 1, 127, 128, 129, 253, 254, 255, 256, 300, 1000, 5000])
@pytest.mark.parametrize("kind", ["list", "dict", "tuple"])
def test_encode_event_writes_any_depth(kind: str, depth: int) -> None:
    """A JSON value read may be nested far deeper than orjson writes (254 levels) or Python recurses
    (1,000 frames): it is still written, as Panther writes it, with the values orjson refuses alone."""
    value: object = dict(LEAVES)
    for _ in range(depth):
        value = {"k": value} if kind == "dict" else [value] if kind == "list" else (value,)
    opening, closing = ('{"k":', "}") if kind == "dict" else ("[", "]")
    expected = '{"v":' + opening * depth + LEAVES_JSON + closing * depth + "}"
    assert encode_event({"v": value}) == expected.encode()


def test_encode_event_still_raises_for_what_cannot_be_written() -> None:
    with pytest.raises(TypeError):
        encode_event({"v": [[{"x": object()}]] * 2, "big": 1 << 70})


# ---------------------------------------------------------------------------------------------------
# Booleans from text
# ---------------------------------------------------------------------------------------------------

BOOLEAN_CASES = [
    *((f"T15-{s}", s, True) for s in ("1", "t", "T", "TRUE", "true", "True")),
    *((f"T16-{s}", s, False) for s in ("0", "f", "F", "FALSE", "false", "False")),
    *((f"T17-{s.strip()}", s, Bad("boolean")) for s in ("tRuE", "yes", "no", "on", " true")),
    ("two", "2", Bad("boolean")),
    ("empty", "", Bad("boolean")),
    ("trailing-newline", "true\n", Bad("boolean")),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in BOOLEAN_CASES], ids=[c[0] for c in BOOLEAN_CASES])
def test_boolean_from_text(text: str, want: object) -> None:
    check(parse_boolean, (text,), want)


def test_text_converters_by_type_name() -> None:
    by_name = {
        "int": parse_int,
        "smallint": parse_smallint,
        "bigint": parse_bigint,
        "float": parse_float,
        "boolean": parse_boolean,
    }
    assert by_name == TEXT_CONVERTERS
    assert [f.__name__ for f in (parse_int, parse_smallint, parse_bigint)] == [
        "parse_int",
        "parse_smallint",
        "parse_bigint",
    ]


# ---------------------------------------------------------------------------------------------------
# Native JSON values, decoded by orjson as the JSON parser will
# ---------------------------------------------------------------------------------------------------

NATIVE_INT_CASES = [
    ("T8-integer", "12", 32, 12),
    ("T8-integral-float", "12.0", 32, Bad("int")),
    ("T8-fraction", "12.5", 32, Bad("int")),
    ("T8-exponent", "1e3", 32, Bad("int")),
    ("T8-true", "true", 32, Bad("int")),
    ("string", '"12"', 32, Bad("int")),
    ("int-max", "2147483647", 32, 2147483647),
    ("int-max+1", "2147483648", 32, Bad("int", RANGE)),
    ("smallint-min", "-32768", 16, -32768),
    ("smallint-min-1", "-32769", 16, Bad("smallint", RANGE)),
    ("bigint-max", "9223372036854775807", 64, 9223372036854775807),
    ("bigint-max+1-unsigned", "9223372036854775808", 64, Bad("bigint", RANGE)),
    # Beyond 64 bits orjson gives a float, so this reads as "not an integer" (documented).
    ("beyond-64-bits", "18446744073709551616", 64, Bad("bigint")),
    ("object", "{}", 64, Bad("bigint")),
]


@pytest.mark.parametrize(
    ("json_text", "bits", "want"), [c[1:] for c in NATIVE_INT_CASES], ids=[c[0] for c in NATIVE_INT_CASES]
)
def test_int_from_json(json_text: str, bits: int, want: object) -> None:
    check(int_from_json, (orjson.loads(json_text), bits), want)


NATIVE_FLOAT_CASES = [
    ("integer", "12", 12.0),
    ("fraction", "12.5", 12.5),
    ("exponent", "1e3", 1000.0),
    ("negative", "-0.25", -0.25),
    ("underflow", "1e-400", 0.0),
    ("true", "true", Bad("float")),
    ("string", '"1.5"', Bad("float")),
    ("array", "[1]", Bad("float")),
]


@pytest.mark.parametrize(
    ("json_text", "want"), [c[1:] for c in NATIVE_FLOAT_CASES], ids=[c[0] for c in NATIVE_FLOAT_CASES]
)
def test_float_from_json(json_text: str, want: object) -> None:
    check(float_from_json, (orjson.loads(json_text),), GoFloat(want) if isinstance(want, float) else want)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (math.inf, Bad("float", NOT_FINITE)),
        (math.nan, Bad("float", NOT_FINITE)),
        (10**400, Bad("float", RANGE)),
    ],
    ids=["l.8-inf", "l.8-nan", "int-beyond-float"],
)
def test_float_from_json_values_other_decoders_may_give(value: object, want: Bad) -> None:
    check(float_from_json, (value,), want)


NATIVE_BOOLEAN_CASES = [
    ("T18-zero", "0", False),
    ("T18-one", "1", True),
    ("T18-two", "2", Bad("boolean")),
    ("true", "true", True),
    ("false", "false", False),
    ("minus-one", "-1", Bad("boolean")),
    ("one-point-zero", "1.0", Bad("boolean")),
    ("string-true", '"true"', Bad("boolean")),
]


@pytest.mark.parametrize(
    ("json_text", "want"), [c[1:] for c in NATIVE_BOOLEAN_CASES], ids=[c[0] for c in NATIVE_BOOLEAN_CASES]
)
def test_boolean_from_json(json_text: str, want: object) -> None:
    check(boolean_from_json, (orjson.loads(json_text),), want)


NATIVE_STRING_CASES = [
    # T19: Panther keeps the literal ("12.50", "1e3"); orjson has lost it, so we write the float's
    # shortest form. These rows pin that documented difference.
    ("T19-decimal-literal-lost", "12.50", "12.5"),
    ("T19-exponent-literal-lost", "1e3", "1000"),
    ("T19-true", "true", "true"),
    ("T19-false", "false", "false"),
    ("T19-integer", "-42", "-42"),
    ("T19-big-integer", "18446744073709551615", "18446744073709551615"),
    ("T20-object", "{}", Bad("string")),
    ("T20-array", "[]", Bad("string")),
    ("T21-empty-kept", '""', ""),
    ("T24-array-element", '"a"', "a"),
    ("string", '"12.50"', "12.50"),
]


@pytest.mark.parametrize(
    ("json_text", "want"), [c[1:] for c in NATIVE_STRING_CASES], ids=[c[0] for c in NATIVE_STRING_CASES]
)
def test_string_from_json(json_text: str, want: object) -> None:
    check(string_from_json, (orjson.loads(json_text),), want)


def test_string_from_json_non_finite_float() -> None:
    check(string_from_json, (math.inf,), Bad("string", NOT_FINITE))


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------


@given(st.integers(*INT64))
def test_bigint_round_trips(n: int) -> None:
    assert parse_bigint(str(n)) == n
    assert parse_bigint(f"+{n:020d}" if n >= 0 else f"-{-n:020d}") == n


@pytest.mark.parametrize(
    ("convert", "bounds"),
    [(parse_int, INT32), (parse_smallint, INT16), (parse_bigint, INT64)],
    ids=["int", "smallint", "bigint"],
)
@given(text=st.text())
def test_int_parsers_give_an_int_in_range_or_bad_value(
    convert: Callable[[str], int], bounds: tuple[int, int], text: str
) -> None:
    try:
        value = convert(text)
    except BadValue:
        return
    assert type(value) is int
    assert bounds[0] <= value <= bounds[1]


@given(st.text(alphabet="0123456789+-_ ٣", max_size=24))
def test_int_parsers_accept_exactly_go_syntax(text: str) -> None:
    body = text[1:] if text[:1] in ("+", "-") else text
    go_ok = body != "" and all("0" <= c <= "9" for c in body) and INT32[0] <= int(text) <= INT32[1]
    try:
        parse_int(text)
    except BadValue:
        assert not go_ok
    else:
        assert go_ok


def _fixed_or_exponent(x: float) -> str:
    """An independent statement of jsoniter's float form, built on Decimal."""
    if x == 0 or 1e-6 <= abs(x) < 1e21:
        return format(Decimal(repr(x)).normalize(), "f")
    return repr(x)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_float_round_trips(x: float) -> None:
    text = format_float(x)
    assert float(text) == x
    assert math.copysign(1.0, float(text)) == math.copysign(1.0, x)
    assert float(orjson.loads(text)) == x  # valid JSON (integral text decodes as an int)
    assert text == _fixed_or_exponent(x)
    assert parse_float(text) == x


# Go's strconv.ParseFloat syntax, ported line by line from atof.go (readFloat, underscoreOK) as an
# oracle independent of the regular expressions in engine.values.
def _go_underscore_ok(s: str) -> bool:
    saw, i = "^", 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexadecimal = False
    if len(s) >= 2 and s[0] == "0" and s[1] in "bBoOxX":
        i, saw, hexadecimal = 2, "0", s[1] in "xX"
    for c in s[i:]:
        if "0" <= c <= "9" or (hexadecimal and c in "abcdefABCDEF"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
    return saw != "_"


def _go_float_syntax_ok(s: str) -> bool:
    i, n = 0, len(s)
    if i < n and s[i] in "+-":
        i += 1
    hexadecimal = i + 2 < n and s[i] == "0" and s[i + 1] in "xX"
    if hexadecimal:
        i += 2
    saw_dot = saw_digits = False
    while i < n:
        c = s[i]
        if c == ".":
            if saw_dot:
                break
            saw_dot = True
        elif "0" <= c <= "9" or (hexadecimal and c in "abcdefABCDEF"):
            saw_digits = True
        elif c != "_":
            break
        i += 1
    if not saw_digits:
        return False
    if i < n and s[i] in ("pP" if hexadecimal else "eE"):
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        if i >= n or not "0" <= s[i] <= "9":
            return False
        while i < n and ("0" <= s[i] <= "9" or s[i] == "_"):
            i += 1
    elif hexadecimal:
        return False
    return i == n and _go_underscore_ok(s)


@given(st.text(alphabet="0123456789_.eEpPxXaAfF+- ٣", max_size=16))
def test_parse_float_accepts_exactly_go_syntax(text: str) -> None:
    try:
        value = parse_float(text)
    except BadValue as error:
        assert error.detail == (RANGE if _go_float_syntax_ok(text) else None)
    else:
        assert _go_float_syntax_ok(text)
        assert type(value) is GoFloat
        assert math.isfinite(value)


@given(st.text())
def test_parse_float_gives_a_finite_go_float_or_bad_value(text: str) -> None:
    try:
        value = parse_float(text)
    except BadValue:
        return
    assert type(value) is GoFloat
    assert math.isfinite(value)
