"""Tests for engine.timestamps: spec section c (vectors C1-C23), l.5/9/12/15/17, reliability.md 3.3.

Expected instants are written out in the output form, or computed by an independent slow oracle
(``datetime`` and ``fractions``), never by the code under test. Every test runs under two host time
zones that are not UTC, so any use of local time shows up as a wrong hour.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import timestamps
from engine.errors import BadValue
from engine.timestamps import (
    TimeFormatError,
    compile_time_format,
    compile_time_formats,
    compile_time_text,
    format_ns,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
GREGORIAN_CYCLE_NS = 146_097 * 86_400 * 10**9  # 400 years
RFC3339_SHAPE = "not YYYY-MM-DDTHH:MM:SS[.fraction] followed by Z or +hh:mm or -hh:mm"
OUT_OF_RANGE = "out of range (years 0000 to 9999 in UTC)"
PROPERTY = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(
    autouse=True,
    params=["PST8PDT,M3.2.0,M11.1.0", "<+0545>-05:45"],
    ids=["TZ=PST8PDT", "TZ=+0545"],
)
def host_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run each test with a non-UTC host zone: nothing here may depend on it (spec c.1)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    assert time.timezone != 0  # the zone took effect, so a use of local time would show
    yield
    monkeypatch.undo()
    time.tzset()


def lake_ns(text: str) -> int:
    """Oracle: epoch ns of an output-form text, via datetime (year 0 shifted by a 400-year cycle)."""
    year = int(text[:4])
    shift = 400 if year == 0 else 0
    moment = datetime.fromisoformat(f"{year + shift:04d}{text[4:19]}").replace(tzinfo=UTC)
    return (moment - EPOCH) // SECOND * 10**9 + int(text[20:]) - shift // 400 * GREGORIAN_CYCLE_NS


def lake_text(moment: datetime) -> str:
    """Oracle: the output form of an aware datetime up to the fraction (strftime pads years badly)."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."


def rejection(fmts: list[str], value: str | int | float) -> str:
    """The message of the BadValue that both the ns parser and the text parser raise for ``value``."""
    with pytest.raises(BadValue) as from_ns:
        compile_time_formats(fmts)(value)
    with pytest.raises(BadValue) as from_text:
        compile_time_text(fmts)(value)
    assert str(from_ns.value) == str(from_text.value)
    return str(from_ns.value)


def check_parses(fmt: str, value: str | int | float, expected: str) -> None:
    assert compile_time_text([fmt])(value) == expected
    assert compile_time_format(fmt)(value) == lake_ns(expected)


# --- rfc3339 (spec c.2, l.15) --------------------------------------------------------------------

RFC3339_ACCEPTED = [
    ("C1", "2012-11-30T06:45:29+00:00", "2012-11-30 06:45:29.000000000"),
    (
        "C2-H2-fraction-cut-to-9-offset-applied",
        "2012-11-30T06:45:29.123456789123+01:00",
        "2012-11-30 05:45:29.123456789",
    ),
    ("C5-comma-fraction-l15", "2012-11-30T06:45:29,5Z", "2012-11-30 06:45:29.500000000"),
    ("C6-year-0000", "0000-01-01T00:00:00Z", "0000-01-01 00:00:00.000000000"),
    ("heroku-microseconds", "2024-03-15T10:00:01.123456+00:00", "2024-03-15 10:00:01.123456000"),
    ("3.3-10-digit-fraction-keeps-9", "2024-03-15T10:00:01.1234567891Z", "2024-03-15 10:00:01.123456789"),
    ("one-digit-fraction", "2024-03-15T10:00:01.1Z", "2024-03-15 10:00:01.100000000"),
    ("leap-day", "2024-02-29T12:00:00Z", "2024-02-29 12:00:00.000000000"),
    ("leap-day-2000", "2000-02-29T00:00:00Z", "2000-02-29 00:00:00.000000000"),
    ("leap-day-year-0", "0000-02-29T00:00:00Z", "0000-02-29 00:00:00.000000000"),
    ("negative-offset-next-year", "2012-12-31T23:30:00-01:00", "2013-01-01 00:30:00.000000000"),
    ("offset-23:59-day-before", "2012-01-01T00:00:00+23:59", "2011-12-31 00:01:00.000000000"),
    ("half-hour-offset", "2012-11-30T06:45:29.5+05:30", "2012-11-30 01:15:29.500000000"),
    ("before-1970", "1900-01-01T00:00:00-00:01", "1900-01-01 00:01:00.000000000"),
    ("last-instant", "9999-12-31T23:59:59.999999999Z", "9999-12-31 23:59:59.999999999"),
    ("first-instant-via-offset", "0000-01-01T00:59:00+00:59", "0000-01-01 00:00:00.000000000"),
]


@pytest.mark.parametrize(
    ("value", "expected"), [row[1:] for row in RFC3339_ACCEPTED], ids=[row[0] for row in RFC3339_ACCEPTED]
)
def test_rfc3339_accepts(value: str, expected: str) -> None:
    check_parses("rfc3339", value, expected)


def test_rfc3339_year_0_ns_literal() -> None:
    # The oracle shifts year 0 by a cycle; pin the value itself once.
    assert compile_time_format("rfc3339")("0000-01-01T00:00:00Z") == -62_167_219_200 * 10**9


RFC3339_REJECTED = [
    ("C3-lowercase-t-z", "2012-11-30t06:45:29z", RFC3339_SHAPE),
    ("C3-offset-without-colon", "2012-11-30T06:45:29+0000", RFC3339_SHAPE),
    ("C3-space-for-T", "2012-11-30 06:45:29Z", RFC3339_SHAPE),
    ("C3-no-zone", "2012-11-30T06:45:29", RFC3339_SHAPE),
    ("C4-hour-24", "2012-11-30T24:00:00Z", "hour out of range"),
    ("C4-feb-30", "2012-02-30T06:45:29Z", "day out of range"),
    ("C4-second-60", "2012-11-30T06:45:60Z", "second out of range"),
    ("3.3-leap-second", "2016-12-31T23:59:60Z", "second out of range"),
    ("3.3-year-10000", "10000-01-01T00:00:00Z", RFC3339_SHAPE),
    ("3.3-2024-02-30", "2024-02-30T00:00:00Z", "day out of range"),
    ("3.3-offset-24h", "2012-11-30T06:45:29+24:00", "zone offset out of range"),
    ("offset-minute-60", "2012-11-30T06:45:29-05:60", "zone offset out of range"),
    ("feb-29-not-leap", "2023-02-29T00:00:00Z", "day out of range"),
    ("feb-29-1900", "1900-02-29T00:00:00Z", "day out of range"),
    ("month-13", "2012-13-01T00:00:00Z", "month out of range"),
    ("month-00", "2012-00-01T00:00:00Z", "month out of range"),
    ("day-00", "2012-01-00T00:00:00Z", "day out of range"),
    ("day-31-april", "2012-04-31T00:00:00Z", "day out of range"),
    ("minute-60", "2012-11-30T06:60:00Z", "minute out of range"),
    ("one-digit-hour", "2012-11-30T6:45:29Z", RFC3339_SHAPE),
    ("dot-without-digits", "2012-11-30T06:45:29.Z", RFC3339_SHAPE),
    ("fraction-not-digits", "2012-11-30T06:45:29.1x2Z", RFC3339_SHAPE),
    ("fraction-arabic-indic-digit", "2012-11-30T06:45:29.\u0661Z", RFC3339_SHAPE),
    ("head-fullwidth-digit", "\uff12012-11-30T06:45:29Z", RFC3339_SHAPE),
    ("zone-then-Z", "2012-11-30T06:45:29+01:00Z", RFC3339_SHAPE),
    ("trailing-space", "2012-11-30T06:45:29Z ", RFC3339_SHAPE),
    ("before-year-0-in-utc", "0000-01-01T00:00:00+00:01", OUT_OF_RANGE),
    ("after-9999-in-utc", "9999-12-31T23:59:59-00:01", OUT_OF_RANGE),
    ("C10-empty-is-for-the-caller", "", RFC3339_SHAPE),
    ("json-number", 1354257929, "expected a string, got a number"),
    ("json-boolean", True, "expected a string, got a boolean"),
]


@pytest.mark.parametrize(
    ("value", "detail"), [row[1:] for row in RFC3339_REJECTED], ids=[row[0] for row in RFC3339_REJECTED]
)
def test_rfc3339_rejects(value: str | int, detail: str) -> None:
    assert rejection(["rfc3339"], value) == f"timestamp (rfc3339): {detail}"


def test_rfc3339_same_second_other_fractions_and_offsets() -> None:
    # One seconds head seen with different fractions and offsets: each line gets its own instant.
    lines = [
        ("2024-03-15T10:00:01.1+00:00", "2024-03-15 10:00:01.100000000"),
        ("2024-03-15T10:00:01.2+01:00", "2024-03-15 09:00:01.200000000"),
        ("2024-03-15T10:00:01Z", "2024-03-15 10:00:01.000000000"),
        ("2024-03-15T10:00:01.3-02:30", "2024-03-15 12:30:01.300000000"),
        ("2024-03-15T10:00:01,456789+00:00", "2024-03-15 10:00:01.456789000"),
        ("2024-03-15T10:00:01.2+01:00", "2024-03-15 09:00:01.200000000"),
        ("2024-03-15T10:00:01.999999999999Z", "2024-03-15 10:00:01.999999999"),
    ]
    parse, text = compile_time_format("rfc3339"), compile_time_text(["rfc3339"])
    for value, expected in lines * 2:
        assert text(value) == expected
        assert parse(value) == lake_ns(expected)


def test_rfc3339_bad_line_does_not_poison_the_cache() -> None:
    parse = compile_time_text(["rfc3339"])
    with pytest.raises(BadValue):
        parse("2024-03-15T10:00:02.x+00:00")  # good second, bad fraction
    with pytest.raises(BadValue):
        parse("2024-02-30T10:00:02+00:00")
    assert parse("2024-03-15T10:00:02.5+00:00") == "2024-03-15 10:00:02.500000000"


def test_rfc3339_cache_stays_bounded_and_correct() -> None:
    parse, text = compile_time_format("rfc3339"), compile_time_text(["rfc3339"])
    start = datetime(2024, 3, 15, tzinfo=UTC)
    moments = [start + timedelta(seconds=37 * i) for i in range(3 * timestamps._CACHE_LIMIT)]
    for moment in moments + moments[:10]:
        value = moment.strftime("%Y-%m-%dT%H:%M:%S.25+00:00")
        assert text(value) == lake_text(moment) + "250000000"
        assert parse(value) == (moment - EPOCH) // SECOND * 10**9 + 250_000_000
    assert len(timestamps._RFC3339_TEXT) <= timestamps._CACHE_LIMIT
    assert len(timestamps._RFC3339_NS) <= timestamps._CACHE_LIMIT


OFFSET_MINUTES = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)


def rfc3339_zone(minutes: int, z_for_zero: bool) -> str:
    if minutes == 0 and z_for_zero:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@PROPERTY
@given(
    local=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    fraction=st.one_of(st.none(), st.text("0123456789", min_size=1, max_size=14)),
    separator=st.sampled_from(".,"),
    minutes=OFFSET_MINUTES,
    z_for_zero=st.booleans(),
)
def test_rfc3339_agrees_with_datetime(
    local: datetime, fraction: str | None, separator: str, minutes: int, z_for_zero: bool
) -> None:
    moment = local.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    value = f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local:%H:%M:%S}"
    value += (separator + fraction if fraction is not None else "") + rfc3339_zone(minutes, z_for_zero)
    nine = (fraction or "").ljust(9, "0")[:9]
    assert compile_time_format("rfc3339")(value) == (moment - EPOCH) // SECOND * 10**9 + int(nine)
    assert compile_time_text(["rfc3339"])(value) == lake_text(moment) + nine


# --- unix formats (spec c.2, l.17) ---------------------------------------------------------------

UNIX_ACCEPTED = [
    ("C7-integer-text", "unix", "1577934245", "2020-01-02 03:04:05.000000000"),
    ("C7-exponent", "unix", "1.5e9", "2017-07-14 02:40:00.000000000"),
    ("C8-l17-keeps-nanoseconds", "unix", "1577934245.123456789", "2020-01-02 03:04:05.123456789"),
    ("l17-example", "unix", "1700000000.123456789", "2023-11-14 22:13:20.123456789"),
    ("more-than-9-digits-cut", "unix", "1577934245.1234567899", "2020-01-02 03:04:05.123456789"),
    ("negative", "unix", "-1.5", "1969-12-31 23:59:58.500000000"),
    ("negative-1ns", "unix", "-0.000000001", "1969-12-31 23:59:59.999999999"),
    ("negative-1ns-exponent", "unix", "-1e-9", "1969-12-31 23:59:59.999999999"),
    ("below-1ns-cut-to-0", "unix", "2.5e-10", "1970-01-01 00:00:00.000000000"),
    ("negative-below-1ns-cut-toward-0", "unix", "-1.5e-9", "1969-12-31 23:59:59.999999999"),
    ("plus-sign", "unix", "+1", "1970-01-01 00:00:01.000000000"),
    ("trailing-dot", "unix", "1.", "1970-01-01 00:00:01.000000000"),
    ("leading-dot", "unix", ".5", "1970-01-01 00:00:00.500000000"),
    ("upper-E-exponent-with-fraction", "unix", "1577934245123456789E-9", "2020-01-02 03:04:05.123456789"),
    ("leading-zeros", "unix", "0" * 5000 + "1.5", "1970-01-01 00:00:01.500000000"),
    ("year-0000", "unix", "-62167219200", "0000-01-01 00:00:00.000000000"),
    ("last-second", "unix", "253402300799.999999999", "9999-12-31 23:59:59.999999999"),
    ("json-integer", "unix", 1577934245, "2020-01-02 03:04:05.000000000"),
    ("json-float", "unix", 1.5e9, "2017-07-14 02:40:00.000000000"),
    ("json-float-fraction", "unix", 1577934245.25, "2020-01-02 03:04:05.250000000"),
    ("C9-unix_ms", "unix_ms", "1577934245123", "2020-01-02 03:04:05.123000000"),
    ("unix_ms-negative", "unix_ms", "-5", "1969-12-31 23:59:59.995000000"),
    ("unix_ms-plus", "unix_ms", "+5", "1970-01-01 00:00:00.005000000"),
    ("unix_ms-json", "unix_ms", 1577934245123, "2020-01-02 03:04:05.123000000"),
    ("unix_us", "unix_us", "1577934245123456", "2020-01-02 03:04:05.123456000"),
    ("unix_ns", "unix_ns", "1577934245123456789", "2020-01-02 03:04:05.123456789"),
    ("unix_ns-leading-zeros", "unix_ns", "0" * 30 + "1", "1970-01-01 00:00:00.000000001"),
    ("unix_ns-int64-max", "unix_ns", "9223372036854775807", "2262-04-11 23:47:16.854775807"),
    ("unix_ns-int64-min", "unix_ns", "-9223372036854775808", "1677-09-21 00:12:43.145224192"),
]


@pytest.mark.parametrize(
    ("fmt", "value", "expected"), [row[1:] for row in UNIX_ACCEPTED], ids=[row[0] for row in UNIX_ACCEPTED]
)
def test_unix_accepts(fmt: str, value: str | int | float, expected: str) -> None:
    check_parses(fmt, value, expected)


UNIX_REJECTED = [
    ("C9-unix_ms-fraction", "unix_ms", "1577934245123.5", "not an integer"),
    ("C9-unix_ms-space", "unix_ms", " 1", "not an integer"),
    ("unix_ms-underscore", "unix_ms", "1_000", "not an integer"),
    ("unix_ms-arabic-indic", "unix_ms", "\u0663\u0664", "not an integer"),
    ("unix_ms-empty", "unix_ms", "", "not an integer"),
    ("unix_ms-json-float", "unix_ms", 1.0, "not an integer"),
    ("unix_ms-json-boolean", "unix_ms", True, "not an integer"),
    ("unix_ms-year-10000", "unix_ms", "253402300800000", OUT_OF_RANGE),
    ("unix_us-json-too-big", "unix_us", 2**63, "out of range for a 64-bit integer"),
    ("unix_ns-above-int64", "unix_ns", "9223372036854775808", "out of range for a 64-bit integer"),
    ("unix_ns-5000-digits", "unix_ns", "9" * 5000, "out of range for a 64-bit integer"),
    ("l8-nan", "unix", "nan", "not a decimal number"),
    ("l8-inf", "unix", "inf", "not a decimal number"),
    ("l8-Infinity", "unix", "Infinity", "not a decimal number"),
    ("l8-json-nan", "unix", float("nan"), "not a decimal number"),
    ("l8-json-inf", "unix", float("-inf"), "not a decimal number"),
    ("space", "unix", " 1", "not a decimal number"),
    ("underscore", "unix", "1_000", "not a decimal number"),
    ("arabic-indic-digit", "unix", "\u0663", "not a decimal number"),
    ("hex", "unix", "0x10", "not a decimal number"),
    ("empty", "unix", "", "not a decimal number"),
    ("sign-only", "unix", "-", "not a decimal number"),
    ("dot-only", "unix", ".", "not a decimal number"),
    ("exponent-only", "unix", "e5", "not a decimal number"),
    ("json-boolean", "unix", False, "not a decimal number"),
    ("3.3-year-10000", "unix", "253402300800", OUT_OF_RANGE),
    ("3.3-1e20", "unix", "1e20", OUT_OF_RANGE),
    ("before-year-0", "unix", "-62167219200.000000001", OUT_OF_RANGE),
    ("5000-digits", "unix", "1" * 5000, OUT_OF_RANGE),
    ("huge-exponent", "unix", "1e" + "9" * 5000, OUT_OF_RANGE),
    ("json-integer-too-big", "unix", 10**20, OUT_OF_RANGE),
]


@pytest.mark.parametrize(
    ("fmt", "value", "detail"), [row[1:] for row in UNIX_REJECTED], ids=[row[0] for row in UNIX_REJECTED]
)
def test_unix_rejects(fmt: str, value: str | int | float, detail: str) -> None:
    assert rejection([fmt], value) == f"timestamp ({fmt}): {detail}"


@PROPERTY
@given(
    sign=st.sampled_from(["", "+", "-"]),
    whole=st.text("0123456789", max_size=11),
    fraction=st.one_of(st.none(), st.text("0123456789", max_size=15)),
    exponent=st.one_of(st.none(), st.integers(min_value=-25, max_value=12)),
)
def test_unix_agrees_with_exact_fractions(
    sign: str, whole: str, fraction: str | None, exponent: int | None
) -> None:
    if not whole and not fraction:
        whole = "0"
    value = (
        sign
        + whole
        + ("" if fraction is None else "." + fraction)
        + ("" if exponent is None else f"e{exponent}")
    )
    nanoseconds = int(Fraction(value) * 10**9)  # int() truncates toward zero, as the parser must
    if -62_167_219_200 * 10**9 <= nanoseconds < 253_402_300_800 * 10**9:
        assert compile_time_format("unix")(value) == nanoseconds
    else:
        assert rejection(["unix"], value) == f"timestamp (unix): {OUT_OF_RANGE}"


# --- strftime (spec c.3) -------------------------------------------------------------------------

STRFTIME_ACCEPTED = [
    ("C11", "%d/%b/%Y:%H:%M:%S %z", "10/Oct/2000:13:55:36 -0700", "2000-10-10 20:55:36.000000000"),
    (
        "C12-names-any-case",
        "%d/%b/%Y:%H:%M:%S %z",
        "10/oct/2000:13:55:36 -0700",
        "2000-10-10 20:55:36.000000000",
    ),
    ("C13-unpadded-numbers", "%Y-%m-%d %H:%M:%S", "2020-1-2 3:4:5", "2020-01-02 03:04:05.000000000"),
    ("C14-month-13-rolls-over", "%Y-%m-%d", "2020-13-01", "2021-01-01 00:00:00.000000000"),
    ("C14-feb-30-rolls-over", "%Y-%m-%d", "2020-02-30", "2020-03-01 00:00:00.000000000"),
    ("C15-hour-25-rolls-over", "%Y-%m-%d %H:%M:%S", "2020-01-01 25:00:00", "2020-01-02 01:00:00.000000000"),
    ("C16-no-year-is-1900", "%b %d %H:%M:%S", "Jan 2 03:04:05", "1900-01-02 03:04:05.000000000"),
    ("C19-PST-is-offset-0", "%H:%M:%S %Z", "03:04:05 PST", "1900-01-01 03:04:05.000000000"),
    ("C19-GMT", "%H:%M:%S %Z", "03:04:05 GMT", "1900-01-01 03:04:05.000000000"),
    ("C20-f-right-padded", "%H:%M:%S.%f", "03:04:05.5", "1900-01-01 03:04:05.500000000"),
    ("f-six-digits", "%H:%M:%S.%f", "03:04:05.123456", "1900-01-01 03:04:05.123456000"),
    ("month-00-is-december-before", "%Y-%m-%d", "2020-00-10", "2019-12-10 00:00:00.000000000"),
    ("day-00-is-last-day-before", "%Y-%m-%d", "2020-03-00", "2020-02-29 00:00:00.000000000"),
    ("second-60-rolls-over", "%H:%M:%S", "23:59:60", "1900-01-02 00:00:00.000000000"),
    ("z-half-hour", "%H:%M:%S %z", "03:04:05 +0530", "1899-12-31 21:34:05.000000000"),
    ("z-not-range-checked", "%H:%M %z", "00:00 +9999", "1899-12-27 19:21:00.000000000"),
    ("Z-CEST", "%H:%M:%S %Z", "03:04:05 CEST", "1900-01-01 03:04:05.000000000"),
    ("Z-WITA", "%H:%M:%S %Z", "03:04:05 WITA", "1900-01-01 03:04:05.000000000"),
    ("Z-five-letters-ending-T", "%H:%M:%S %Z", "03:04:05 ABCDT", "1900-01-01 03:04:05.000000000"),
    ("Z-after-z-resets-offset", "%H %z %Z", "03 +0100 UTC", "1900-01-01 03:00:00.000000000"),
    ("z-after-Z", "%H %Z %z", "03 UTC +0100", "1900-01-01 02:00:00.000000000"),
    ("B-full-name", "%B %d %Y", "october 3 2020", "2020-10-03 00:00:00.000000000"),
    ("h-is-b", "%h %d", "SEP 3", "1900-09-03 00:00:00.000000000"),
    ("weekday-names-ignored", "%A %a %Y-%m-%d", "Friday mon 2020-01-01", "2020-01-01 00:00:00.000000000"),
    ("weekday-numbers-ignored", "%w %u %Y", "0 7 2020", "2020-01-01 00:00:00.000000000"),
    ("week-numbers-ignored", "%U %V %W %Y", "53 1 99 2020", "2020-01-01 00:00:00.000000000"),
    ("y-below-69-is-20yy", "%y", "68", "2068-01-01 00:00:00.000000000"),
    ("y-69-is-1969", "%y", "69", "1969-01-01 00:00:00.000000000"),
    ("C-with-y", "%C%y", "2104", "2104-01-01 00:00:00.000000000"),
    ("C-alone-keeps-1900s-yy", "%C", "20", "2000-01-01 00:00:00.000000000"),
    ("g-plus-2000", "%g", "21", "2021-01-01 00:00:00.000000000"),
    ("G-year", "%G", "2021", "2021-01-01 00:00:00.000000000"),
    ("j-day-of-year", "%Y %j", "2020 366", "2020-12-31 00:00:00.000000000"),
    ("j-not-range-checked", "%Y %j", "2021 366", "2022-01-01 00:00:00.000000000"),
    ("j-overrides-month-day", "%Y-%m-%d %j", "2020-05-05 032", "2020-02-01 00:00:00.000000000"),
    ("j-000-is-ignored", "%Y-%m-%d %j", "2020-05-05 000", "2020-05-05 00:00:00.000000000"),
    ("I-12-AM-is-0", "%I:%M %p", "12:30 AM", "1900-01-01 00:30:00.000000000"),
    ("I-12-PM-is-12", "%I:%M %p", "12:30 pm", "1900-01-01 12:30:00.000000000"),
    ("I-PM-adds-12", "%I:%M %P", "1:05 Pm", "1900-01-01 13:05:00.000000000"),
    ("H-with-PM-adds-12", "%H %p", "13 PM", "1900-01-02 01:00:00.000000000"),
    ("e-skips-one-space", "%b %e", "Jan  2", "1900-01-02 00:00:00.000000000"),
    ("k-skips-one-space", "%k:%M", " 7:05", "1900-01-01 07:05:00.000000000"),
    ("l-skips-one-space", "%l %p", " 7 PM", "1900-01-01 19:00:00.000000000"),
    ("s-epoch", "%s", "1577934245", "2020-01-02 03:04:05.000000000"),
    ("s-then-f", "%s.%f", "1577934245.25", "2020-01-02 03:04:05.250000000"),
    ("s-wall-clock-in-z-zone", "%s %z", "0 +0100", "1969-12-31 23:00:00.000000000"),
    ("s-then-Y-overrides-year", "%s %Y", "0 2000", "2000-01-01 00:00:00.000000000"),
    ("later-directive-wins", "%Y %Y", "2001 2002", "2002-01-01 00:00:00.000000000"),
    ("t-any-whitespace", "%Y%t%m", "2020 \t\n\x0b\x0c\r03", "2020-03-01 00:00:00.000000000"),
    ("n-is-t", "%Y%n%m", "2020 03", "2020-03-01 00:00:00.000000000"),
    ("percent-literal", "%%%Y", "%2020", "2020-01-01 00:00:00.000000000"),
    ("c-composite", "%c", "Mon Jan  2 15:04:05 2006", "2006-01-02 15:04:05.000000000"),
    ("plus-composite", "%+", "Mon Jan  2 15:04:05 MST 2006", "2006-01-02 15:04:05.000000000"),
    ("F-T-composites", "%F %T", "2006-01-02 15:04:05", "2006-01-02 15:04:05.000000000"),
    ("D-composite", "%D", "01/02/06", "2006-01-02 00:00:00.000000000"),
    ("x-composite", "%x", "01/02/06", "2006-01-02 00:00:00.000000000"),
    ("v-composite", "%v", " 2-Jan-2006", "2006-01-02 00:00:00.000000000"),
    ("X-composite", "%X", "15:04:05", "1900-01-01 15:04:05.000000000"),
    ("r-composite", "%r", "03:04:05 PM", "1900-01-01 15:04:05.000000000"),
    ("R-composite", "%R", "15:04", "1900-01-01 15:04:00.000000000"),
    ("unicode-literal", "%Y年%m月", "2020年3月", "2020-03-01 00:00:00.000000000"),
    ("year-0000", "%Y", "0000", "0000-01-01 00:00:00.000000000"),
    ("year-9999-last-second", "%Y-%m-%d %H:%M:%S", "9999-12-31 23:59:59", "9999-12-31 23:59:59.000000000"),
]


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [row[1:] for row in STRFTIME_ACCEPTED],
    ids=[row[0] for row in STRFTIME_ACCEPTED],
)
def test_strftime_accepts(fmt: str, value: str, expected: str) -> None:
    check_parses(fmt, value, expected)


STRFTIME_REJECTED = [
    ("C17-b-leaves-ober", "%b", "October", "unconverted text 'ober'"),
    (
        "C18-z-with-colon",
        "%H:%M:%S %z",
        "03:04:05 -07:00",
        "expected %z (a zone offset +hhmm or -hhmm), found '-07:00'",
    ),
    ("C18-z-as-Z", "%H:%M:%S %z", "03:04:05 Z", "expected %z (a zone offset +hhmm or -hhmm), found 'Z'"),
    ("C20-f-7th-digit-left-over", "%H:%M:%S.%f", "03:04:05.1234567", "unconverted text '7'"),
    ("C21-trailing-space", "%Y-%m-%d", "2020-01-02 ", "unconverted text ' '"),
    ("input-too-short", "%Y-%m-%d", "2020-01", "expected '-', found the end of the text"),
    ("number-never-gives-back-digits", "%Y0", "2020", "expected '0', found the end of the text"),
    ("t-never-gives-back-space", "%Y%t %m", "2020 03", "expected ' ', found '03'"),
    ("t-needs-whitespace", "%Y%t%m", "202003", "expected %t (whitespace), found '03'"),
    ("no-sign-on-numbers", "%Y", "-2020", "expected %Y (a year), found '-2020'"),
    ("no-leading-space-on-d", "%d", " 2", "expected %d (a day of the month), found ' 2'"),
    ("e-skips-only-one-space", "%e", "  2", "expected %e (a day of the month), found '  2'"),
    ("arabic-indic-digits", "%Y", "\u0662\u0660\u0662\u0660", "expected %Y (a year), found '٢٠٢٠'"),
    ("B-needs-full-name", "%B", "Oct", "expected %B (a month name), found 'Oct'"),
    ("b-ascii-case-only", "%b", "\u017fep", "expected %b (a month abbreviation), found 'ſep'"),
    ("literal-case-sensitive", "%YT", "2020t", "expected 'T', found 't'"),
    ("Z-UTC-then-letter", "%Z", "UTCT", "expected %Z (a zone abbreviation such as UTC), found 'UTCT'"),
    ("Z-GMT-then-letter", "%Z", "GMTX", "expected %Z (a zone abbreviation such as UTC), found 'GMTX'"),
    ("Z-four-letters-no-T", "%Z", "ABCD", "expected %Z (a zone abbreviation such as UTC), found 'ABCD'"),
    ("Z-six-letters", "%Z", "ABCDET", "expected %Z (a zone abbreviation such as UTC), found 'ABCDET'"),
    ("Z-lowercase", "%Z", "pst", "expected %Z (a zone abbreviation such as UTC), found 'pst'"),
    ("Z-two-letters", "%Z", "PT", "expected %Z (a zone abbreviation such as UTC), found 'PT'"),
    ("w-out-of-range", "%w", "7", "expected %w (a weekday number 0 to 6), found '7'"),
    ("u-out-of-range", "%u", "0", "expected %u (a weekday number 1 to 7), found '0'"),
    ("inside-composite", "%T", "15:04:x", "expected %S (a second) in %T, found 'x'"),
    ("year-10000-by-rollover", "%Y-%m", "9999-13", OUT_OF_RANGE),
    ("year-minus-1-by-rollover", "%Y-%m-%d", "0000-01-00", OUT_OF_RANGE),
    ("long-leftover-cut", "%Y", "2020" + "x" * 40, "unconverted text 'xxxxxxxxxxxxxxxxxxxxxxxx'..."),
    ("empty", "%Y", "", "expected %Y (a year), found the end of the text"),
    ("json-number", "%Y", 2020, "expected a string, got a number"),
]


@pytest.mark.parametrize(
    ("fmt", "value", "detail"),
    [row[1:] for row in STRFTIME_REJECTED],
    ids=[row[0] for row in STRFTIME_REJECTED],
)
def test_strftime_rejects(fmt: str, value: str | int, detail: str) -> None:
    assert rejection([fmt], value) == f"timestamp ({fmt}): {detail}"


@PROPERTY
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 25)),
    padded=st.booleans(),
    minutes=st.integers(min_value=-(99 * 60 + 59), max_value=99 * 60 + 59),  # %z is not range-checked
)
def test_strftime_agrees_with_datetime(moment: datetime, padded: bool, minutes: int) -> None:
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    year, month, day, hour, minute, second = (
        f"{n:0{width}d}" if padded else str(n) for n, width in zip(fields, (4, 2, 2, 2, 2, 2), strict=True)
    )
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    micro = str(moment.microsecond)  # unpadded on purpose: %f right-pads, "5" is .5 s
    value = f"{year}-{month}-{day} {hour}:{minute}:{second}.{micro} {zone}"
    wall = (moment.replace(microsecond=0, tzinfo=UTC) - EPOCH) // SECOND
    expected_ns = (wall - minutes * 60) * 10**9 + int(micro.ljust(6, "0")) * 1000
    assert compile_time_format("%Y-%m-%d %H:%M:%S.%f %z")(value) == expected_ns


# --- Format errors at compile time (spec l.9, j.5, j.6) ------------------------------------------

FORMAT_ERRORS = [
    ("C22-unknown-directive", "%Y %Q", "unknown strftime directive '%Q' in '%Y %Q'"),
    ("unknown-L", "%H:%M:%S.%L", "unknown strftime directive '%L' in '%H:%M:%S.%L'"),
    ("unknown-N", "%N", "unknown strftime directive '%N' in '%N'"),
    ("unknown-flag", "%-d", "unknown strftime directive '%-' in '%-d'"),
    ("stray-percent", "%Y%", "stray '%' at the end of '%Y%'"),
    (
        "C23-go-layout",
        "layout=2006-01-02",
        "'layout=2006-01-02' is not a time format (Go layouts are not supported): write it as a strftime "
        "format, e.g. '%Y-%m-%d %H:%M:%S' for layout=2006-01-02 15:04:05",
    ),
    (
        "j5-cloudflare",
        "cloudflare",
        "'cloudflare' is not a time format (Panther would match only that word): use one of rfc3339, unix, "
        "unix_ms, unix_us, unix_ns or a strftime format such as '%Y-%m-%dT%H:%M:%SZ'",
    ),
    (
        "name-in-wrong-case",
        "RFC3339",
        "'RFC3339' has no strftime directive and would match only itself: time format names are lowercase: "
        "use 'rfc3339'",
    ),
    (
        "no-directive",
        "iso8601",
        "'iso8601' has no strftime directive and would match only itself: use one of rfc3339, unix, "
        "unix_ms, unix_us, unix_ns or a strftime format such as '%Y-%m-%d %H:%M:%S'",
    ),
]


@pytest.mark.parametrize(
    ("fmt", "message"), [row[1:] for row in FORMAT_ERRORS], ids=[row[0] for row in FORMAT_ERRORS]
)
def test_bad_formats_fail_at_compile_time(fmt: str, message: str) -> None:
    for compile_ in (compile_time_format, lambda fmt: compile_time_formats(["rfc3339", fmt])):
        with pytest.raises(TimeFormatError) as error:
            compile_(fmt)
        assert str(error.value) == message


# --- Several formats (spec l.12) -----------------------------------------------------------------

FIRST_THAT_PARSES = [
    (
        "rfc3339-after-unix_ms",
        ["unix_ms", "rfc3339"],
        "2012-11-30T06:45:29Z",
        "2012-11-30 06:45:29.000000000",
    ),
    ("unix_ms-first", ["unix_ms", "rfc3339"], "1577934245123", "2020-01-02 03:04:05.123000000"),
    ("out-of-range-tries-next", ["unix", "unix_ms"], "1577934245123", "2020-01-02 03:04:05.123000000"),
    ("first-wins-when-both-parse", ["%Y-%m-%d", "%Y-%d-%m"], "2020-01-02", "2020-01-02 00:00:00.000000000"),
    ("json-number-skips-rfc3339", ["rfc3339", "unix"], 1577934245, "2020-01-02 03:04:05.000000000"),
]


@pytest.mark.parametrize(
    ("fmts", "value", "expected"),
    [row[1:] for row in FIRST_THAT_PARSES],
    ids=[row[0] for row in FIRST_THAT_PARSES],
)
def test_first_format_that_parses_wins(fmts: list[str], value: str | int, expected: str) -> None:
    assert compile_time_text(fmts)(value) == expected
    assert compile_time_formats(fmts)(value) == lake_ns(expected)


def test_all_formats_fail_reports_all_names_and_first_detail() -> None:
    with pytest.raises(BadValue) as error:
        compile_time_formats(["unix_ms", "rfc3339", "%Y"])("x")
    assert (error.value.expected, error.value.detail) == (
        "timestamp (unix_ms | rfc3339 | %Y)",
        "not an integer",
    )
    assert str(error.value) == "timestamp (unix_ms | rfc3339 | %Y): not an integer"


@pytest.mark.parametrize("fmt", ["rfc3339", "unix", "unix_ms"])
def test_one_format_is_its_own_parser(fmt: str) -> None:
    assert compile_time_formats([fmt]) is compile_time_format(fmt)


@pytest.mark.parametrize("fmts", [[], [""]], ids=["no-format", "empty-format"])
def test_missing_format_means_rfc3339(fmts: list[str]) -> None:
    assert compile_time_text(fmts)("2012-11-30T06:45:29Z") == "2012-11-30 06:45:29.000000000"
    assert rejection(fmts, "2012-11-30") == f"timestamp (rfc3339): {RFC3339_SHAPE}"


# --- Output form (spec c.4, l.5) -----------------------------------------------------------------

FORMATTED = [
    ("epoch", 0, "1970-01-01 00:00:00.000000000"),
    ("minus-1ns", -1, "1969-12-31 23:59:59.999999999"),
    ("minus-1s", -(10**9), "1969-12-31 23:59:59.000000000"),
    ("minus-1.5s", -1_500_000_000, "1969-12-31 23:59:58.500000000"),
    ("1900", -2_208_988_800 * 10**9, "1900-01-01 00:00:00.000000000"),
    ("gregorian-reform", -12_219_292_800 * 10**9, "1582-10-15 00:00:00.000000000"),
    ("first-instant", -62_167_219_200 * 10**9, "0000-01-01 00:00:00.000000000"),
    ("year-0-leap-day", -62_162_121_600 * 10**9, "0000-02-29 00:00:00.000000000"),
    ("last-instant", 253_402_300_800 * 10**9 - 1, "9999-12-31 23:59:59.999999999"),
    ("heroku", 1_710_496_801_123_456_000, "2024-03-15 10:00:01.123456000"),
]


@pytest.mark.parametrize(
    ("ns", "expected"), [row[1:] for row in FORMATTED], ids=[row[0] for row in FORMATTED]
)
def test_format_ns(ns: int, expected: str) -> None:
    assert format_ns(ns) == expected
    assert format_ns(ns) == expected  # again, from the per-second cache


@pytest.mark.parametrize(
    "ns", [-62_167_219_200 * 10**9 - 1, 253_402_300_800 * 10**9], ids=["year-minus-1", "year-10000"]
)
def test_format_ns_outside_years_0_to_9999_is_a_bug(ns: int) -> None:
    with pytest.raises(ValueError, match="outside the years 0000 to 9999"):
        format_ns(ns)


@PROPERTY
@given(ns=st.integers(min_value=-62_135_596_800 * 10**9, max_value=253_402_300_800 * 10**9 - 1))
def test_format_ns_agrees_with_datetime(ns: int) -> None:
    seconds, fraction = divmod(ns, 10**9)
    assert format_ns(ns) == lake_text(EPOCH + timedelta(seconds=seconds)) + f"{fraction:09d}"


@pytest.mark.parametrize("value", ["1e1000000", "-1e1000000", "1e999999999999999999", "1e12"])
def test_unix_huge_exponents_are_out_of_range(value: str) -> None:
    """Decimal arithmetic on such exponents overflows: the check must come before it."""
    with pytest.raises(BadValue) as info:
        compile_time_format("unix")(value)
    assert info.value.detail == "out of range (years 0000 to 9999 in UTC)"


def test_strftime_answers_are_remembered_and_stay_right() -> None:
    parse = timestamps.compile_time_text(["%d/%b/%Y:%H:%M:%S %z", "unix"])
    texts = [f"10/Oct/2000:13:55:{s:02d} -0700" for s in range(60)] * 2
    assert [parse(t) for t in texts] == [f"2000-10-10 20:55:{s:02d}.000000000" for s in range(60)] * 2
    assert parse(1) == "1970-01-01 00:00:01.000000000"
    with pytest.raises(BadValue):
        parse(True)  # a JSON boolean is no time, whatever was seen before
    for i in range(5000):  # past the memory's size: emptied, still right
        assert parse(str(i)) == timestamps.format_ns(i * 1_000_000_000)
