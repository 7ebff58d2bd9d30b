"""Time formats compiled once: text to epoch nanoseconds, and nanoseconds to the output form.

A schema field's ``timeFormat``/``timeFormats`` are compiled when the schema is built (spec c.1,
l.9, l.12) into one function that then runs on every line. An instant is an ``int`` of nanoseconds
since 1970-01-01 UTC: Go's ``time.Time``, which Panther uses, keeps nanoseconds and year 0, and
Python's ``datetime`` keeps neither, so the calendar arithmetic here is our own and fractions of a
second are handled as digit strings.

Every instant is written in one form, UTC ``YYYY-MM-DD HH:MM:SS.fffffffff`` (spec c.4, l.5). So that
this form always holds, instants outside the years 0000 to 9999 (UTC) are rejected when parsed. A
format without a zone means UTC; the host's time zone is never consulted (spec c.1).

Log lines arrive in time order, so neighbouring lines share their second: the RFC 3339 parsers and
``format_ns`` keep per-second results in small bounded dicts and do only the fraction per line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation
from typing import Final, NamedTuple, TypeVar

from engine.errors import BadValue

__all__ = [
    "TimeFormatError",
    "TimeParser",
    "TimeTextParser",
    "compile_time_format",
    "compile_time_formats",
    "compile_time_text",
    "format_ns",
]

TimeParser = Callable[[str | int | float], int]
"""Text (or a JSON number, for the ``unix`` formats) to epoch nanoseconds; raises ``BadValue``."""

TimeTextParser = Callable[[str | int | float], str]
"""Text (or a JSON number) straight to the output form; raises ``BadValue``."""


class TimeFormatError(ValueError):
    """A time format that cannot be used, found when the schema is compiled (spec l.9)."""


_NS: Final = 1_000_000_000
_SECONDS_PER_DAY: Final = 86_400
_ZEROS: Final = "000000000"
_CACHE_LIMIT: Final = 4096
_NAMED_FORMATS: Final = "rfc3339, unix, unix_ms, unix_us, unix_ns"
_OUT_OF_RANGE: Final = "out of range (years 0000 to 9999 in UTC)"


# --- Calendar ------------------------------------------------------------------------------------


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date, any year (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146_097 + year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) ``days`` after 1970-01-01; the inverse of ``_days_from_civil``."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def _utc_fields(second: int) -> tuple[int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second) of an epoch second, in UTC."""
    days, rest = divmod(second, _SECONDS_PER_DAY)
    return (*_civil_from_days(days), rest // 3600, rest // 60 % 60, rest % 60)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


_MIN_SECOND: Final = _days_from_civil(0, 1, 1) * _SECONDS_PER_DAY  # 0000-01-01 00:00:00 UTC
_END_SECOND: Final = _days_from_civil(10_000, 1, 1) * _SECONDS_PER_DAY  # first second after 9999
_MIN_NS: Final = _MIN_SECOND * _NS
_END_NS: Final = _END_SECOND * _NS


def _checked_second(second: int, expected: str) -> int:
    if _MIN_SECOND <= second < _END_SECOND:
        return second
    raise BadValue(expected, _OUT_OF_RANGE)


def _checked_ns(ns: int, expected: str) -> int:
    if _MIN_NS <= ns < _END_NS:
        return ns
    raise BadValue(expected, _OUT_OF_RANGE)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> _V:
    """Store ``value`` in a per-second cache, emptied when full (a few lines' worth of work)."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _not_a_string(value: object) -> str:
    kind = "a boolean" if isinstance(value, bool) else "a number" if isinstance(value, int | float) else None
    return f"expected a string, got {kind or type(value).__name__}"


def _excerpt(text: str) -> str:
    return repr(text) if len(text) <= 24 else repr(text[:24]) + "..."


# --- Output form ---------------------------------------------------------------------------------

_SECOND_TEXT: dict[int, str] = {}


def _second_text(second: int) -> str:
    """``YYYY-MM-DD HH:MM:SS.`` for a UTC epoch second; the nine fraction digits follow."""
    year, month, day, hour, minute, sec = _utc_fields(second)
    if not 0 <= year <= 9999:
        raise ValueError(f"epoch second {second} is outside the years 0000 to 9999")
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{sec:02d}."


def format_ns(ns: int, *, _texts: dict[int, str] = _SECOND_TEXT) -> str:
    """Epoch nanoseconds as UTC ``YYYY-MM-DD HH:MM:SS.fffffffff``, the one output form (spec l.5)."""
    second, fraction = divmod(ns, _NS)  # floor division: a negative ns still gets a 0..999999999 fraction
    text = _texts.get(second)
    if text is None:
        text = _remember(_texts, second, _second_text(second))
    return text + str(fraction).zfill(9)  # faster than an f-string with :09d


# --- rfc3339 (spec c.2, l.15) --------------------------------------------------------------------
# Go's time.Parse with layout RFC3339: YYYY-MM-DDTHH:MM:SS, an optional fraction of any length after
# "." or "," (current Go; Go 1.15 took only "."), then Z or +hh:mm/-hh:mm. The fraction is cut to 9
# digits, not rounded, as Go does. The cache key is the 19-character head plus the zone, so a second
# seen with two offsets gives two entries; the fraction never changes the second.

_RFC3339: Final = "timestamp (rfc3339)"
_RFC3339_SHAPE: Final = "not YYYY-MM-DDTHH:MM:SS[.fraction] followed by Z or +hh:mm or -hh:mm"
_RFC3339_KEY: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_RFC3339_NS: dict[str, int] = {}
_RFC3339_TEXT: dict[str, str] = {}


def _rfc3339_second(key: str) -> int:
    """Epoch second of a cache key (head and zone), with the range checks of Go's parser (C4)."""
    match = _RFC3339_KEY.fullmatch(key)
    if match is None:
        raise BadValue(_RFC3339, _RFC3339_SHAPE)
    year, month, day, hour, minute, second = map(int, match.group(1, 2, 3, 4, 5, 6))
    sign, offset_hour, offset_minute = match.group(7, 8, 9)
    if not 1 <= month <= 12:
        problem = "month"
    elif not 1 <= day <= _days_in_month(year, month):
        problem = "day"
    elif hour > 23:  # no 24:00
        problem = "hour"
    elif minute > 59:
        problem = "minute"
    elif second > 59:  # no leap second
        problem = "second"
    elif sign and (int(offset_hour) > 23 or int(offset_minute) > 59):
        problem = "zone offset"
    else:
        offset = int(offset_hour) * 3600 + int(offset_minute) * 60 if sign else 0
        seconds = _days_from_civil(year, month, day) * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
        return _checked_second(seconds + offset if sign == "-" else seconds - offset, _RFC3339)
    raise BadValue(_RFC3339, f"{problem} out of range")


def _rfc3339_rejected(value: object) -> BadValue:
    return BadValue(_RFC3339, _RFC3339_SHAPE if type(value) is str else _not_a_string(value))


def _rfc3339_ns(value: str | int | float, _cache: dict[str, int] = _RFC3339_NS) -> int:
    """RFC 3339 text to epoch nanoseconds (spec c.2)."""
    if type(value) is not str or not value:
        raise _rfc3339_rejected(value)
    zone_at = len(value) - (1 if value[-1] == "Z" else 6)
    key = value[:19] + value[zone_at:]
    base = _cache.get(key)
    if base is None:
        base = _remember(_cache, key, _rfc3339_second(key) * _NS)
    if zone_at == 19:
        return base
    fraction = value[20:zone_at]
    if value[19] in ".," and fraction.isascii() and fraction.isdigit():
        return base + int((fraction + _ZEROS)[:9])
    raise _rfc3339_rejected(value)


def _rfc3339_text(value: str | int | float, _cache: dict[str, str] = _RFC3339_TEXT) -> str:
    """RFC 3339 text straight to the output form: ``_rfc3339_ns`` then ``format_ns``, fused for speed."""
    if type(value) is not str or not value:
        raise _rfc3339_rejected(value)
    zone_at = len(value) - (1 if value[-1] == "Z" else 6)
    key = value[:19] + value[zone_at:]
    text = _cache.get(key)
    if text is None:
        text = _remember(_cache, key, _second_text(_rfc3339_second(key)))
    if zone_at == 19:
        return text + _ZEROS
    fraction = value[20:zone_at]
    if value[19] in ".," and fraction.isascii() and fraction.isdigit():
        return text + (fraction + _ZEROS)[:9]
    raise _rfc3339_rejected(value)


# --- unix, unix_ms, unix_us, unix_ns (spec c.2, l.17) --------------------------------------------
# Panther reads `unix` through a float64 and keeps microseconds; we read the decimal text and keep
# every digit down to the nanosecond (l.17). Digits beyond the ninth are cut, not rounded, as Go
# does for RFC 3339 fractions. The integer formats follow Go's ParseInt(s, 10, 64).

_UNIX: Final = "timestamp (unix)"
_DECIMAL_TEXT: Final = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eE][+-]?[0-9]+)?")
_INTEGER_TEXT: Final = re.compile(r"[+-]?[0-9]+")
_TRUNCATE: Final = Context(prec=40, rounding=ROUND_DOWN)
_SECONDS_BOUND: Final = Decimal(10**12)  # beyond every year 0000 to 9999 instant, in seconds
_INT64_MAX: Final = 2**63 - 1


def _exponent_ns(text: str) -> int:
    """Nanoseconds of a decimal with an exponent (``1.5e9``), truncated toward zero; rare path."""
    try:
        seconds = Decimal(text)
    except InvalidOperation:  # an exponent beyond Decimal's ±10**18
        raise BadValue(_UNIX, _OUT_OF_RANGE) from None
    # adjusted() first: arithmetic on a huge exponent (1e1000000) raises decimal.Overflow
    if not seconds.is_finite() or (seconds and seconds.adjusted() >= 12) or abs(seconds) >= _SECONDS_BOUND:
        raise BadValue(_UNIX, _OUT_OF_RANGE)
    return int(seconds.scaleb(9, _TRUNCATE))


def _unix_ns(value: str | int | float) -> int:
    """Epoch seconds, as decimal text or a JSON number, to epoch nanoseconds."""
    if type(value) is int:
        return _checked_ns(value * _NS, _UNIX)
    # repr: the shortest text that reads back as the float; nan and inf then fail like their text
    text = repr(value) if type(value) is float else value
    match = _DECIMAL_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None or not (match[2] or match[3]):  # a boolean, or no digit in "", "+", ".", "e5"
        raise BadValue(_UNIX, "not a decimal number")
    sign, whole, fraction, exponent = match.groups()
    if exponent:
        return _checked_ns(_exponent_ns(match[0]), _UNIX)
    whole = whole.lstrip("0")
    if len(whole) > 12:  # also keeps int() away from its 4300-digit limit
        raise BadValue(_UNIX, _OUT_OF_RANGE)
    ns = int(whole or "0") * _NS + int(((fraction or "") + _ZEROS)[:9])
    return _checked_ns(-ns if sign == "-" else ns, _UNIX)


def _integer_parser(fmt: str, unit_ns: int) -> TimeParser:
    """A parser for ``unix_ms``/``unix_us``/``unix_ns``: an int64 count of ``unit_ns`` nanoseconds."""
    expected = f"timestamp ({fmt})"

    def parse(value: str | int | float) -> int:
        if type(value) is str:
            if _INTEGER_TEXT.fullmatch(value) is None:
                raise BadValue(expected, "not an integer")
            digits = value.lstrip("+-").lstrip("0")
            if len(digits) > 19:  # int64 has at most 19 digits; keeps int() away from its limit
                raise BadValue(expected, "out of range for a 64-bit integer")
            count = -int(digits or "0") if value[0] == "-" else int(digits or "0")
        elif type(value) is int:
            count = value
        else:  # a JSON float (jsoniter's int64 decoding refuses it too) or a boolean
            raise BadValue(expected, "not an integer")
        if not -_INT64_MAX - 1 <= count <= _INT64_MAX:
            raise BadValue(expected, "out of range for a 64-bit integer")
        return _checked_ns(count * unit_ns, expected)

    return parse


EPOCH_UNIT_NS: Final = {"unix": 1_000_000_000, "unix_ms": 1_000_000, "unix_us": 1_000, "unix_ns": 1}
"""Nanoseconds per unit of each epoch format (``unix`` also takes a decimal fraction)."""

RFC3339_ONLY: Final = ((), ("",), ("rfc3339",))
"""The ``timeFormats`` that mean RFC 3339 alone (an empty or missing format means rfc3339, c.1)."""

_NAMED_PARSERS: Final[dict[str, TimeParser]] = {
    "": _rfc3339_ns,
    "rfc3339": _rfc3339_ns,
    "unix": _unix_ns,
    **{fmt: _integer_parser(fmt, unit) for fmt, unit in EPOCH_UNIT_NS.items() if fmt != "unix"},
}


# --- strftime: timefmt-go v0.1.1 Parse (spec c.3) ------------------------------------------------
# A format compiles to one regular expression, a piece per directive or literal character, and a
# plan saying which capture sets which field. Every piece matches in at most one way (possessive
# quantifiers, disjoint names), as timefmt-go's scanner never backtracks; so the pieces can also be
# matched one by one to say where a value that does not fit goes wrong.

# Field slots, and the values timefmt-go starts from: 1900-01-01 00:00:00 UTC.
_F_YEAR, _F_MONTH, _F_DAY, _F_HOUR, _F_MINUTE, _F_SECOND, _F_NSEC, _F_OFFSET, _F_CENTURY, _F_YDAY, _F_PM = (
    range(11)
)
_START: Final = (1900, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0)

_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTH_NUMBERS: Final = {name.lower(): number for number, name in enumerate(_MONTHS, 1)}
_MONTH_ABBREVIATIONS: Final = {name[:3].lower(): number for number, name in enumerate(_MONTHS, 1)}


class _Piece(NamedTuple):
    """One directive or literal character of a format, as a regex piece and what it sets."""

    pattern: str  # holds exactly one capturing group when ``sets`` is not empty
    meaning: str  # what the value should hold here, for error messages
    sets: tuple[tuple[int, Callable[[str], int]], ...] = ()


def _number(most: int, *, space: bool = False) -> str:
    """1 to ``most`` ASCII digits, greedy, never given back; ``space``: one optional space first."""
    return (" ?+" if space else "") + f"([0-9]{{1,{most}}}+)"


def _names(names: Sequence[str], *, capture: bool = True) -> str:
    """Any of ``names``, ASCII case-insensitive (``re.ASCII`` keeps ``K`` from matching the Kelvin sign)."""
    alternatives = "(?i:" + "|".join(names) + ")"
    return f"({alternatives})" if capture else alternatives


def _two_digit_year(text: str) -> int:
    year = int(text)
    return year + (2000 if year < 69 else 1900)


def _twelve_hour(text: str) -> int:
    hour = int(text)
    return 0 if hour == 12 else hour  # %p adds the 12 back for PM


def _is_pm(text: str) -> bool:
    return text.upper() == "PM"


def _microsecond_fraction(text: str) -> int:
    return int(text.ljust(6, "0")) * 1000  # "5" is .500000


def _hhmm_offset(text: str) -> int:
    # Exactly sign + hhmm (C18), not range-checked. timefmt-go reads hh and mm with Atoi, which would
    # also take a sign there ("+-100"); we take digits only.
    seconds = int(text[1:3]) * 3600 + int(text[3:5]) * 60
    return -seconds if text[0] == "-" else seconds


def _zero_offset(text: str) -> int:
    # Go's time.Parse("MST", ...) gives UTC and GMT offset 0 and any other abbreviation offset 0 under
    # its name (C19); it would use the host's offset for the host's own abbreviation, which we never do.
    return 0


def _epoch_field(index: int) -> Callable[[str], int]:
    """A setter taking one field of the UTC date and clock of ``%s`` epoch seconds."""
    return lambda text: _utc_fields(int(text))[index]


_MONTH_ABBREVIATION: Final = _Piece(
    _names([name[:3] for name in _MONTHS]),
    "a month abbreviation",
    ((_F_MONTH, lambda text: _MONTH_ABBREVIATIONS[text.lower()]),),
)
_TWELVE_HOUR: Final = ((_F_HOUR, _twelve_hour),)
_WHITESPACE: Final = _Piece(r"[ \t\n\x0b\x0c\r]++", "whitespace")
_WEEK: Final = _Piece("[0-9]{1,2}+", "a week number")
_AM_PM: Final = _Piece(_names(["AM", "PM"]), "AM or PM", ((_F_PM, _is_pm),))
# %Z: a run of uppercase letters that Go's time.Parse("MST", ...) accepts: UTC, GMT, 3 letters,
# 4 ending in T (or WITA), 5 ending in T; the whole run must be used.
_ZONE_NAME: Final = r"((?!(?:UTC|GMT)[A-Z])(?:[A-Z]{4}T|[A-Z]{3}T|WITA|[A-Z]{3})(?![A-Z]))"

_DIRECTIVES: Final[dict[str, _Piece]] = {
    "Y": _Piece(_number(4), "a year", ((_F_YEAR, int),)),
    "C": _Piece(_number(2), "a century", ((_F_CENTURY, int),)),
    "y": _Piece(_number(2), "a 2-digit year", ((_F_YEAR, _two_digit_year),)),
    "G": _Piece(_number(4), "an ISO year", ((_F_YEAR, int),)),
    "g": _Piece(_number(2), "a 2-digit ISO year", ((_F_YEAR, lambda text: int(text) + 2000),)),
    "m": _Piece(_number(2), "a month number", ((_F_MONTH, int),)),
    "B": _Piece(_names(_MONTHS), "a month name", ((_F_MONTH, lambda text: _MONTH_NUMBERS[text.lower()]),)),
    "b": _MONTH_ABBREVIATION,
    "h": _MONTH_ABBREVIATION,
    "A": _Piece(_names(_WEEKDAYS, capture=False), "a weekday name"),
    "a": _Piece(_names([name[:3] for name in _WEEKDAYS], capture=False), "a weekday abbreviation"),
    "w": _Piece("[0-6]", "a weekday number 0 to 6"),
    "u": _Piece("[1-7]", "a weekday number 1 to 7"),
    "U": _WEEK,
    "V": _WEEK,
    "W": _WEEK,
    "d": _Piece(_number(2), "a day of the month", ((_F_DAY, int),)),
    "e": _Piece(_number(2, space=True), "a day of the month", ((_F_DAY, int),)),
    "j": _Piece(_number(3), "a day of the year", ((_F_YDAY, int),)),
    "H": _Piece(_number(2), "an hour", ((_F_HOUR, int),)),
    "k": _Piece(_number(2, space=True), "an hour", ((_F_HOUR, int),)),
    "I": _Piece(_number(2), "an hour 1 to 12", _TWELVE_HOUR),
    "l": _Piece(_number(2, space=True), "an hour 1 to 12", _TWELVE_HOUR),
    "p": _AM_PM,
    "P": _AM_PM,
    "M": _Piece(_number(2), "a minute", ((_F_MINUTE, int),)),
    "S": _Piece(_number(2), "a second", ((_F_SECOND, int),)),
    "s": _Piece(
        _number(10),
        "epoch seconds",
        tuple(
            (slot, _epoch_field(index))
            for index, slot in enumerate((_F_YEAR, _F_MONTH, _F_DAY, _F_HOUR, _F_MINUTE, _F_SECOND))
        ),
    ),
    # 1 to 6 digits in timefmt-go v0.1.1, so a 7th is left over (C20), although l.17 keeps digits elsewhere.
    "f": _Piece(_number(6), "a fraction of a second (1 to 6 digits)", ((_F_NSEC, _microsecond_fraction),)),
    "Z": _Piece(_ZONE_NAME, "a zone abbreviation such as UTC", ((_F_OFFSET, _zero_offset),)),
    "z": _Piece("([+-][0-9]{4})", "a zone offset +hhmm or -hhmm", ((_F_OFFSET, _hhmm_offset),)),
    "t": _WHITESPACE,
    "n": _WHITESPACE,
}

_COMPOSITES: Final = {
    "c": "%a %b %e %H:%M:%S %Y",
    "+": "%a %b %e %H:%M:%S %Z %Y",
    "F": "%Y-%m-%d",
    "D": "%m/%d/%y",
    "x": "%m/%d/%y",
    "v": "%e-%b-%Y",
    "T": "%H:%M:%S",
    "X": "%H:%M:%S",
    "r": "%I:%M:%S %p",
    "R": "%H:%M",
}


def _literal(char: str) -> _Piece:
    return _Piece(re.escape(char), repr(char))


def _pieces(fmt: str, inside: str = "") -> list[_Piece]:
    """The format as pieces, composites expanded; unknown directives are errors now, not per line (j.6)."""
    pieces: list[_Piece] = []
    at = 0
    while at < len(fmt):
        char = fmt[at]
        at += 1
        if char != "%":
            pieces.append(_literal(char))
            continue
        if at == len(fmt):
            raise TimeFormatError(f"stray '%' at the end of {fmt!r}")
        letter = fmt[at]
        at += 1
        if letter == "%":
            pieces.append(_literal("%"))
        elif letter in _COMPOSITES:
            pieces.extend(_pieces(_COMPOSITES[letter], inside=f" in %{letter}"))
        elif letter in _DIRECTIVES:
            piece = _DIRECTIVES[letter]
            pieces.append(piece._replace(meaning=f"%{letter} ({piece.meaning}){inside}"))
        else:
            raise TimeFormatError(f"unknown strftime directive '%{letter}' in {fmt!r}")
    return pieces


def _check_strftime(fmt: str) -> None:
    """Refuse formats that Panther would take as literal text matching only themselves (j.5, l.9)."""
    if fmt == "cloudflare":
        raise TimeFormatError(
            f"'cloudflare' is not a time format (Panther would match only that word): use one of "
            f"{_NAMED_FORMATS} or a strftime format such as '%Y-%m-%dT%H:%M:%SZ'"
        )
    if fmt.startswith("layout="):
        raise TimeFormatError(
            f"{fmt!r} is not a time format (Go layouts are not supported): write it as a strftime "
            f"format, e.g. '%Y-%m-%d %H:%M:%S' for layout=2006-01-02 15:04:05"
        )
    if "%" not in fmt:
        if fmt.lower() in _NAMED_PARSERS:
            hint = f"time format names are lowercase: use {fmt.lower()!r}"
        else:
            hint = f"use one of {_NAMED_FORMATS} or a strftime format such as '%Y-%m-%d %H:%M:%S'"
        raise TimeFormatError(f"{fmt!r} has no strftime directive and would match only itself: {hint}")


def _mismatch(steps: Sequence[tuple[re.Pattern[str], str]], value: str) -> str:
    """Why ``value`` does not fit: the first piece that fails, or the text left over (rare path)."""
    at = 0
    for step, meaning in steps:
        match = step.match(value, at)
        if match is None:
            found = _excerpt(value[at:]) if at < len(value) else "the end of the text"
            return f"expected {meaning}, found {found}"
        at = match.end()
    return f"unconverted text {_excerpt(value[at:])}"


@functools.lru_cache(maxsize=4096)  # lines in time order share their month
def _month_start(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of ``month``, which may be 0 or above 12 (Go's time.Date)."""
    year += (month - 1) // 12  # month 13 is January of the next year, month 0 December of the last
    return _days_from_civil(year, (month - 1) % 12 + 1, 1)


def _date_ns(fields: list[int], expected: str) -> int:
    """The instant Go's ``time.Date`` gives for parsed fields: overflow rolls over (C14, C15), no error."""
    year, month, day, hour, minute, second, nsec, offset, century, yday, pm = fields
    if pm:
        hour += 12
    if century > 0:
        year = century * 100 + year % 100
    if yday > 0:  # Jan 1 + (yday - 1) days; month and day are ignored
        month, day = 1, yday
    days = _month_start(year, month) + day - 1
    seconds = days * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset
    return _checked_second(seconds, expected) * _NS + nsec


def _compile_strftime(fmt: str) -> TimeParser:
    """A parser for one strftime format, with timefmt-go v0.1.1's semantics (spec c.3)."""
    _check_strftime(fmt)
    pieces = _pieces(fmt)
    expected = f"timestamp ({fmt})"
    writers: dict[int, tuple[int, Callable[[str], int]]] = {}
    captures = [piece for piece in pieces if piece.sets]
    for group, piece in enumerate(captures):
        for slot, convert in piece.sets:
            writers[slot] = (group, convert)  # a later directive overrides an earlier one, as in timefmt-go
    plan = tuple((slot, group, convert) for slot, (group, convert) in sorted(writers.items()))
    pattern = re.compile("".join(piece.pattern for piece in pieces), re.ASCII)
    assert pattern.groups == len(captures), "a _DIRECTIVES pattern has a stray capturing group"
    fullmatch = pattern.fullmatch
    steps = tuple((re.compile(piece.pattern, re.ASCII), piece.meaning) for piece in pieces)

    def parse(value: str | int | float) -> int:
        if type(value) is not str:
            raise BadValue(expected, _not_a_string(value))
        match = fullmatch(value)
        if match is None:
            raise BadValue(expected, _mismatch(steps, value))
        groups = match.groups()
        fields = list(_START)
        for slot, group, convert in plan:
            fields[slot] = convert(groups[group])
        return _date_ns(fields, expected)

    return parse


# --- Public entry points -------------------------------------------------------------------------


def compile_time_format(fmt: str) -> TimeParser:
    """A parser from text (or, for the unix formats, a JSON number) to epoch nanoseconds.

    ``fmt`` is ``rfc3339``, ``unix``, ``unix_ms``, ``unix_us``, ``unix_ns`` or a strftime format.
    Raises ``TimeFormatError`` for a format that can never parse anything (spec l.9). The parser
    raises ``BadValue`` for a value that does not parse. ``""`` and null mean an absent field
    (C10): the caller handles them; the parser rejects ``""``.
    """
    named = _NAMED_PARSERS.get(fmt)
    return named if named is not None else _compile_strftime(fmt)


def compile_time_formats(fmts: Sequence[str]) -> TimeParser:
    """A parser trying ``fmts`` in order, the first that parses winning (spec l.12)."""
    if len(fmts) <= 1:
        return compile_time_format(fmts[0] if fmts else "")
    first, *others = (compile_time_format(fmt) for fmt in fmts)
    expected = "timestamp (" + " | ".join(fmt or "rfc3339" for fmt in fmts) + ")"

    def parse(value: str | int | float) -> int:
        try:
            return first(value)
        except BadValue as error:
            first_error = error  # the one reported if all fail
        for parser in others:
            try:
                return parser(value)
            except BadValue:
                continue
        raise BadValue(expected, first_error.detail)

    return parse


def compile_time_text(fmts: Sequence[str]) -> TimeTextParser:
    """A function from text straight to the output form: what a compiled schema calls per line."""
    if tuple(fmts) in RFC3339_ONLY:
        return _rfc3339_text
    parse = compile_time_formats(fmts)
    if any(fmt not in EPOCH_UNIT_NS for fmt in fmts):
        return _remembering(parse)

    def parse_text(
        value: str | int | float, _parse: TimeParser = parse, _format: Callable[[int], str] = format_ns
    ) -> str:
        return _format(_parse(value))

    return parse_text


def _remembering(parse: TimeParser) -> TimeTextParser:
    """Text → output form for strftime formats, remembering recent answers.

    Access logs write whole seconds, so one text repeats for every line of its second, and a
    strftime parse costs microseconds. Parsing is a pure function of the text, so the answer of a
    text seen before is reused; the memory is emptied when it holds 4096 texts.
    """
    memory: dict[str, str] = {}

    def parse_text(value: str | int | float) -> str:
        if type(value) is not str:  # JSON numbers (1 == 1.0 == True as keys): not remembered
            return format_ns(parse(value))
        text = memory.get(value)
        if text is None:
            text = format_ns(parse(value))
            if len(memory) >= _TEXT_MEMORY:
                memory.clear()
            memory[value] = text
        return text

    return parse_text


_TEXT_MEMORY: Final = 4096
