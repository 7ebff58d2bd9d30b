"""Typed values from captured text, by Go's ``strconv`` rules, and the JSON form Panther writes them in.

Panther converts a field's text with Go's ``strconv.ParseInt``, ``ParseFloat`` and ``ParseBool``
(spec b.2). Python's built-ins are looser (reliability 3.3): ``int()`` accepts ``" 5"``, ``"1_000"``
and non-ASCII digits, ``float()`` accepts surrounding spaces, ``"nan"`` and ``"inf"``. Each converter
here takes the common case through a C-level fast path and falls back to a strict check only when that
path refuses the text or may have been too lenient, so well-formed values cost one built-in call.

Every converter raises ``BadValue`` whose ``expected`` is the type as the schema writes it. The empty
string is not handled here: for these types ``""`` means an absent field (spec b.2, T7), which the
caller decides before converting.

Floats are returned as ``GoFloat`` so that ``orjson`` writes them the way Panther's jsoniter does
(``1000``, not ``1000.0``) through ``encode_default``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from math import isfinite
from typing import Any, Final

import orjson
from orjson import Fragment

from .errors import BadValue

__all__ = [
    "TEXT_CONVERTERS",
    "GoFloat",
    "boolean_from_json",
    "encode_default",
    "float_from_json",
    "format_float",
    "int_from_json",
    "parse_bigint",
    "parse_boolean",
    "parse_float",
    "parse_int",
    "parse_smallint",
    "string_from_json",
]

OUT_OF_RANGE: Final = "out of range"
NOT_FINITE: Final = "NaN and infinities are not allowed"  # spec l.8

INT_BITS: Final[dict[str, int]] = {"smallint": 16, "int": 32, "bigint": 64}
"""The width of each integer type (Go's ``strconv.ParseInt(s, 10, bits)``)."""


def int_max(kind: str) -> int:
    """The largest value of the integer type ``kind``; the smallest is ``-int_max(kind) - 1``."""
    return (1 << (INT_BITS[kind] - 1)) - 1


SAFE_DIGITS: Final[dict[str, int]] = {"smallint": 4, "int": 9, "bigint": 18}
"""Per integer type, how many ASCII digits always fit (so ``int()`` alone is exact and in range).

The schema compiler inlines that fast path (``len < n+1 and isdigit and isascii → int(s)``) and
calls the full converter for anything else: signs, leading zeros past the length, bad text.
"""

# ---------------------------------------------------------------------------------------------------
# Integers: strconv.ParseInt(s, 10, bits)
# ---------------------------------------------------------------------------------------------------

_BIGINT_DIGITS: Final = 19  # digits of 2**63; a longer digit string without leading zeros overflows
_SIGNS: Final = ("+", "-")


def _parse_int_strict(s: str, lo: int, hi: int, expected: str) -> int:
    """ParseInt for any text: one optional sign, ASCII digits only, leading zeros allowed."""
    digits = s[1:] if s[:1] in _SIGNS else s
    # isascii() too: isdigit() is true for "٣" and "４" (reliability 3.3).
    if not (digits.isascii() and digits.isdigit()):
        raise BadValue(expected)
    # Leading zeros are valid in Go and must not reach int()'s 4300-digit limit.
    digits = digits.lstrip("0") or "0"
    if len(digits) <= _BIGINT_DIGITS:
        value = -int(digits) if s[0] == "-" else int(digits)
        if lo <= value <= hi:
            return value
    raise BadValue(expected, OUT_OF_RANGE)


def _int_parser(expected: str, bits: int) -> Callable[[str], int]:
    """A ParseInt converter for a signed ``bits``-wide integer named ``expected`` in schemas."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    fast_len = len(str(hi))

    def parse(s: str) -> int:
        # Fast path: unsigned ASCII digits short enough for int() to be cheap and exact.
        if len(s) <= fast_len and s.isascii() and s.isdigit():
            value = int(s)
            if value <= hi:
                return value
        return _parse_int_strict(s, lo, hi, expected)

    parse.__name__ = parse.__qualname__ = f"parse_{expected}"
    parse.__doc__ = f"Go ``strconv.ParseInt(s, 10, {bits})``: the ``{expected}`` type ({lo}…{hi})."
    return parse


parse_int: Final = _int_parser("int", INT_BITS["int"])
parse_smallint: Final = _int_parser("smallint", INT_BITS["smallint"])
parse_bigint: Final = _int_parser("bigint", INT_BITS["bigint"])

# ---------------------------------------------------------------------------------------------------
# Floats: strconv.ParseFloat(s, 64), and the jsoniter output form
# ---------------------------------------------------------------------------------------------------


class GoFloat(float):
    """A finite float that ``encode_default`` writes as Panther's jsoniter does (``format_float``)."""

    __slots__ = ()


# Go's float syntax (strconv/atof.go readFloat and underscoreOK), ASCII only. "_" may stand only
# between two digits, or between the hex prefix and a digit; a hex float needs a "p" exponent (T10).
_DEC_DIGITS: Final = "[0-9](?:_?[0-9])*"
_HEX_DIGITS: Final = "[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_GO_DECIMAL: Final = re.compile(
    rf"[+-]?(?:{_DEC_DIGITS}(?:\.(?:{_DEC_DIGITS})?)?|\.{_DEC_DIGITS})(?:[eE][+-]?{_DEC_DIGITS})?"
)
_GO_HEX: Final = re.compile(
    rf"[+-]?0[xX](?:_?{_HEX_DIGITS}(?:\.(?:{_HEX_DIGITS})?)?|\.{_HEX_DIGITS})[pP][+-]?{_DEC_DIGITS}"
)
# Spellings Go's ParseFloat reads as NaN or ±Inf (any case); l.8 rejects them with a reason, for
# either sign.
_NOT_FINITE_WORDS: Final = frozenset({"inf", "infinity", "nan"})


def _parse_float_strict(s: str) -> GoFloat:
    """ParseFloat for text the fast path refused or could not vouch for."""
    if _GO_DECIMAL.fullmatch(s):
        value = float(s.replace("_", ""))  # correctly rounded, like Go
    elif _GO_HEX.fullmatch(s):
        try:
            value = float.fromhex(s.replace("_", ""))  # correctly rounded, like Go
        except OverflowError:
            raise BadValue("float", OUT_OF_RANGE) from None
    elif (s[1:] if s[:1] in _SIGNS else s).lower() in _NOT_FINITE_WORDS:
        raise BadValue("float", NOT_FINITE)
    else:
        raise BadValue("float")
    if not isfinite(value):  # a finite spelling that overflows: Go's ErrRange (T13); underflow gives 0
        raise BadValue("float", OUT_OF_RANGE)
    return GoFloat(value)


def parse_float(s: str) -> GoFloat:
    """Go ``strconv.ParseFloat(s, 64)``, except that NaN and infinities are rejected (spec l.8)."""
    try:
        value = GoFloat(s)
    except ValueError:
        return _parse_float_strict(s)
    # float() accepted it. For finite ASCII text without surrounding whitespace (every ASCII space
    # character float() strips is <= " "), Python's decimal syntax, underscores included, is Go's;
    # anything else ("٣", " 1", "nan", "1e999") goes the strict way.
    if isfinite(value) and s.isascii() and s[0] > " " and s[-1] > " ":
        return value
    return _parse_float_strict(s)


_float_repr: Final = float.__repr__


def _format_float_slow(x: float, text: str) -> str:
    """``format_float`` for values whose ``repr`` is in exponent form, or not finite."""
    if not isfinite(x):
        raise ValueError(f"{text} has no JSON form")
    # jsoniter WriteFloat64 (json-iterator/go stream_float.go, v1.1.10): strconv 'f' format with
    # precision -1 unless abs < 1e-6 || abs >= 1e21, which get 'e' (the cut-offs of encoding/json's
    # floatEncoder, without its "e-07" → "e-7" clean-up: T14 gives "1e-07").
    magnitude = abs(x)
    if magnitude < 1e-6 or magnitude >= 1e21:
        return text  # repr's exponent form is Go's 'e' form: sign and at least two exponent digits
    # repr writes exponents only below 1e-4 and from 1e16 up, so the fixed form is either
    # "0.000…digits" or digits followed by zeros (17 significant digits at most, all before the point).
    mantissa, _, exponent = text.partition("e")
    sign = "-" if mantissa[0] == "-" else ""
    digits = mantissa.lstrip("-").replace(".", "")
    point = int(exponent) + 1  # how many digits stand before the decimal point
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    return f"{sign}{digits}{'0' * (point - len(digits))}"


def format_float(x: float) -> str:
    """``x`` as Panther's jsoniter writes a float64: shortest round-trip digits (spec b.2, T14).

    Fixed notation for 1e-6 <= |x| < 1e21 (integral values without ``.0``, ``-0.0`` as ``-0``),
    exponent form otherwise. Raises ``ValueError`` for NaN and infinities, which JSON cannot carry.
    """
    text = _float_repr(x)  # Python's repr digits are the shortest that round-trip, as Go's are
    if text[-2:] == ".0":
        return text[:-2]
    if "e" in text or "n" in text:  # exponent form, or "inf"/"nan"
        return _format_float_slow(x, text)
    return text


# ---------------------------------------------------------------------------------------------------
# The orjson hook
# ---------------------------------------------------------------------------------------------------


def encode_default(obj: object) -> object:
    """The ``default=`` hook for ``orjson.dumps``: writes ``GoFloat`` values as Panther does.

    orjson does not serialize float subclasses itself, so every ``GoFloat`` comes here.
    """
    if type(obj) is GoFloat:
        return Fragment(format_float(obj))
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


_encode: Final = partial(orjson.dumps, default=encode_default)


def encode_event(obj: object) -> bytes:
    """One event (a dict) → its JSON bytes, without a newline, floats written as Panther writes them.

    What a lenient JSON decode can hold and orjson refuses is written as Panther writes it (see
    ``_written``) instead of ending the run."""
    try:
        return _encode(obj)
    except TypeError:
        return _written(obj)


_END: Final = object()


def _written(obj: object) -> bytes:
    """``obj`` as orjson writes it (compact JSON), with what orjson refuses made writable: an
    integer past 64 bits (the standard decoder reads any) as its digits, which Panther copies from
    the raw JSON; a lone surrogate in a string (from a ``\\ud800`` escape) as U+FFFD, as Go's
    decoder replaces it; and any depth of nesting, where orjson stops at 254 levels while a JSON
    value read may hold 1,024 (the reader's bound) and Panther writes any.

    orjson writes each scalar and key; the brackets, commas and colons are written here, from an
    explicit stack (no recursion: a value nested deeper than Python's recursion limit is written
    too). Anything else orjson refuses still raises ``TypeError``."""
    out = bytearray()
    stack: list[list[Any]] = []  # [items left, a dict?, its first item still to come?]
    value = obj
    while True:
        kind = type(value)
        if kind is dict:
            out += b"{"
            stack.append([iter(value.items()), True, True])  # type: ignore[attr-defined]
        elif kind is list or kind is tuple:
            out += b"["
            stack.append([iter(value), False, True])  # type: ignore[call-overload]
        else:
            out += _scalar(value)
        while stack:
            frame = stack[-1]
            item = next(frame[0], _END)
            if item is _END:
                out += b"}" if frame[1] else b"]"
                stack.pop()
                continue
            if not frame[2]:
                out += b","
            frame[2] = False
            if frame[1]:
                key, value = item
                if type(key) is not str:
                    raise TypeError(f"Dict key must be str, not {type(key).__name__}")
                out += _scalar(key) + b":"
            else:
                value = item
            break
        else:
            return bytes(out)


def _scalar(obj: object) -> bytes:
    if type(obj) is str:
        try:
            return _encode(obj)
        except TypeError:  # a lone surrogate
            return _encode(obj.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    if type(obj) is int and not -(1 << 63) <= obj < 1 << 64:
        return str(obj).encode()
    return _encode(obj)


# ---------------------------------------------------------------------------------------------------
# Booleans: strconv.ParseBool
# ---------------------------------------------------------------------------------------------------

_BOOLEANS: Final = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def parse_boolean(s: str) -> bool:
    """Go ``strconv.ParseBool``: exactly ``1 t T TRUE true True`` or ``0 f F FALSE false False``."""
    try:
        return _BOOLEANS[s]
    except KeyError:
        raise BadValue("boolean") from None


TEXT_CONVERTERS: Final[dict[str, Callable[[str], object]]] = {
    "int": parse_int,
    "smallint": parse_smallint,
    "bigint": parse_bigint,
    "float": parse_float,
    "boolean": parse_boolean,
}

# ---------------------------------------------------------------------------------------------------
# Native JSON values (as decoded by orjson), per Panther's jsoniter decoders (spec b.2)
# ---------------------------------------------------------------------------------------------------

# bits -> (type name, lowest, highest)
_INT_TYPES: Final = {
    bits: (name, -(1 << (bits - 1)), (1 << (bits - 1)) - 1) for name, bits in INT_BITS.items()
}


def int_from_json(v: object, bits: int) -> int:
    """A JSON number for an integer type of ``bits`` bits: integer literals only (T8).

    A JSON null is an absent field and is the caller's to handle. Integers too big for 64 bits reach
    us from orjson as floats and so fail as "not an integer" rather than as out of range.
    """
    expected, lo, hi = _INT_TYPES[bits]
    if type(v) is not int:  # bool is an int subclass: true is not 1 here
        raise BadValue(expected)
    if lo <= v <= hi:
        return v
    raise BadValue(expected, OUT_OF_RANGE)


def float_from_json(v: object) -> GoFloat:
    """A JSON number for a ``float`` field: any number, integer or not, but not a boolean."""
    if type(v) is float:
        if isfinite(v):
            return GoFloat(v)
        raise BadValue("float", NOT_FINITE)  # spec l.8; orjson itself never yields one
    if type(v) is int:
        try:
            return GoFloat(v)
        except OverflowError:
            raise BadValue("float", OUT_OF_RANGE) from None
    raise BadValue("float")


def boolean_from_json(v: object) -> bool:
    """A JSON value for a ``boolean`` field: ``true``/``false``, or the numbers 0 and 1 only (T18)."""
    if type(v) is bool:
        return v
    if type(v) is int and 0 <= v <= 1:  # Panther reads a uint8 and takes 0 or 1; 1.0 is refused
        return v == 1
    raise BadValue("boolean")


def string_from_json(v: object) -> str:
    """A JSON value for a ``string`` field: strings as they are, numbers and booleans as text (T19).

    Panther keeps a number's literal text (``12.50`` → ``"12.50"``, ``1e3`` → ``"1e3"``). orjson
    decodes numbers to ``int``/``float`` and loses that text, so a float here is written as
    ``format_float`` writes it (``"12.5"``, ``"1000"``); integer literals are unaffected. Objects and
    arrays are refused (T20).
    """
    if type(v) is str:
        return v
    if type(v) is bool:
        return "true" if v else "false"
    if type(v) is int:
        return str(v)
    if type(v) is float:
        try:
            return format_float(v)
        except ValueError:
            raise BadValue("string", NOT_FINITE) from None
    raise BadValue("string")
