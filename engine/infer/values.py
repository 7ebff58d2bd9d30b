"""Typing a column of sample values: which type, time format and indicators fit every value.

Every guess is checked with the engine's own converters (``engine.timestamps``) and scanners
(``engine.indicators``), so that a type chosen here never rejects a value it was chosen from. Each
function returns the reasons with the guess, in words a reader can check (``100% of 9 values are
IPv4 or IPv6 addresses``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ..errors import BadValue
from ..indicators import compile_scanner
from ..timestamps import TimeFormatError, TimeParser, compile_time_format

INT32: Final = (-(2**31), 2**31 - 1)
INT64: Final = (-(2**63), 2**63 - 1)

_INT_TEXT: Final = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEANS: Final = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})

STRFTIME_FORMATS: Final = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S,%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S.%f %Z",
    "%d/%b/%Y:%H:%M:%S %z",
    "%d/%b/%Y:%H:%M:%S",
    "%d/%b/%Y:%H:%M:%S.%f",
    "%a, %d %b %Y %H:%M:%S %z",
    "%a, %d %b %Y %H:%M:%S %Z",
    "%a %b %e %H:%M:%S %Y",
    "%a %b %e %H:%M:%S %Z %Y",
    "%d %b %Y %H:%M:%S",
    "%b %d, %Y, %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%b %e %H:%M:%S",
    "%b %e %H:%M:%S.%f",
    "%Y-%m-%d",
)
"""Time formats tried on text, in order, after rfc3339; the first that reads every value wins."""

NO_YEAR: Final = frozenset(f for f in STRFTIME_FORMATS if "%Y" not in f and "%c" not in f)
"""Formats without a year: they parse to 1900, so such a field is never the event time."""

# Epoch ranges, 2000-01-01 to 2100-01-01, per unit.
_EPOCH_SECONDS: Final = (946_684_800, 4_102_444_800)
EPOCH_UNITS: Final = (("unix", 1), ("unix_ms", 10**3), ("unix_us", 10**6), ("unix_ns", 10**9))
_TIME_WORDS: Final = frozenset(
    [
        "time",
        "timestamp",
        "date",
        "datetime",
        "ts",
        "start",
        "end",
        "created",
        "updated",
        "modified",
        "expires",
        "expiry",
        "expiration",
        "epoch",
        "when",
        "seen",
        "at",
        "begin",
        "finish",
        "stop",
        "received",
        "sent",
        "logged",
    ]
)

_TIME_LIKE: Final = re.compile(r"[0-9][-/:T., ]|[-/:][0-9]")
URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+\S*")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_DOMAIN: Final = re.compile(
    r"(?=.{1,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?"
)
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_INSTANCE: Final = re.compile(r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_IP_SCAN: Final = compile_scanner(["ip"])
_CODE_WORDS: Final = frozenset(("logger", "class", "package", "module", "category"))
"""Words of a name that say its dotted values are code names (Java classes), not domain names."""


@dataclass(frozen=True)
class Guess:
    """A type with its time formats and indicators, and the reasons for each."""

    type: str
    time_formats: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    why: tuple[str, ...] = ()


def words(name: str) -> list[str]:
    """The lowercase words of a field name: ``userName`` → ``[user, name]``, ``src_ip`` → ``[src, ip]``."""
    return [w.lower() for w in _WORD.findall(name)]


def count(n: int, noun: str) -> str:
    """``1 value``, ``2,000 values``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def share(k: int, n: int) -> str:
    """``100% of 9 values``."""
    return f"{round(100 * k / n) if n else 0}% of {count(n, 'value')}"


def example(values: Sequence[object]) -> str:
    """The first value, short, for a reason's text."""
    text = str(values[0])
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --- numbers and times ----------------------------------------------------------------------------


def integer_type(values: Iterable[int]) -> tuple[str, str]:
    """``int`` or ``bigint`` by the observed range (``float`` past 64 bits), and why."""
    numbers = list(values)
    lo, hi = min(numbers), max(numbers)
    if INT32[0] <= lo and hi <= INT32[1]:
        return "int", f"integers from {lo:,} to {hi:,}, within 32 bits"
    if INT64[0] <= lo and hi <= INT64[1]:
        return "bigint", f"integers from {lo:,} to {hi:,}, past 32 bits"
    return "float", f"integers up to {hi:,}, past 64 bits"


def epoch_format(name: str, numbers: Sequence[int | float]) -> tuple[str, str] | None:
    """The ``unix*`` format of epoch numbers, when every value is an instant of 2000-2100 in one
    unit and the name says time or the values lie within a year of each other."""
    if not numbers:
        return None
    integral = all(isinstance(n, int) or float(n).is_integer() for n in numbers)
    for fmt, scale in EPOCH_UNITS:
        lo, hi = _EPOCH_SECONDS[0] * scale, _EPOCH_SECONDS[1] * scale
        if not all(lo <= n < hi for n in numbers):
            continue
        if fmt != "unix" and not all(isinstance(n, int) for n in numbers):
            return None  # unix_ms and finer take integers only
        named = bool(_TIME_WORDS.intersection(words(name)))
        close = len(numbers) > 1 and max(numbers) - min(numbers) <= 366 * 86_400 * scale
        if not (named or close):
            return None
        unit = {"unix": "seconds", "unix_ms": "milliseconds", "unix_us": "microseconds"}.get(
            fmt, "nanoseconds"
        )
        because = "its name says time" if named else "they lie within a year of each other"
        kind = "integers" if integral else "numbers"
        return (
            fmt,
            f"{share(len(numbers), len(numbers))} are {kind} of epoch {unit} in 2000-2100, and {because}",
        )
    return None


@functools.cache
def _parser(fmt: str) -> TimeParser | None:
    try:
        return compile_time_format(fmt)
    except TimeFormatError:
        return None


def _parses(fmt: str, values: Sequence[str]) -> bool:
    parse = _parser(fmt)
    if parse is None:
        return False
    for value in values:
        try:
            parse(value)
        except BadValue:
            return False
    return True


def text_time_formats(values: Sequence[str]) -> tuple[tuple[str, ...], str] | None:
    """The time formats that read every value (one, or two when no single one does), and why.

    Each distinct value is parsed once per format tried; a column whose first values have no
    digit next to a date or clock separator is not tried at all.
    """
    distinct = list(dict.fromkeys(values))
    if not distinct or not all(_TIME_LIKE.search(v) for v in distinct[:50]):
        return None
    for fmt in ("rfc3339", *STRFTIME_FORMATS):
        if _parses(fmt, distinct):
            what = "RFC 3339 times" if fmt == "rfc3339" else f"times in the format {fmt!r}"
            return (fmt,), f"{share(len(values), len(values))} are {what} (e.g. {example(values)})"
    head = distinct[:50]
    candidates = [f for f in ("rfc3339", *STRFTIME_FORMATS) if any(_parses(f, [v]) for v in head)]
    for first in candidates:
        taken = {v for v in distinct if _parses(first, [v])}
        rest = [v for v in distinct if v not in taken]
        if not taken or not rest:
            continue
        for second in candidates:
            if second != first and _parses(second, rest):
                first_count = sum(1 for v in values if v in taken)
                shares = share(first_count, len(values))
                rest_count = len(values) - first_count
                return (first, second), f"{shares} read as {first!r}, the other {rest_count:,} as {second!r}"
    return None


# --- text values ----------------------------------------------------------------------------------


def guess_text(name: str, values: Sequence[str], *, numbers: bool = True) -> Guess:
    """The type of a column of text values (CSV cells, captures), none of them empty.

    ``numbers=False`` (JSON strings) keeps digits as strings: a JSON writer that quotes a number
    means text (account ids, versions, zip codes); only times are read out of JSON strings.
    """
    if not values:
        return Guess("string", why=("no value in the samples: string, the type that takes any text",))
    n = len(values)
    if numbers and all(v in _BOOLEANS for v in values):
        return Guess("boolean", why=(f"{share(n, n)} are true or false",))
    if numbers and all(_INT_TEXT.fullmatch(v) for v in values):
        padded = [v for v in values if len(v.lstrip("+-")) > 1 and v.lstrip("+-")[0] == "0"]
        account = _account_guess(name, values)
        if account is not None:
            return account
        if not padded:
            ints = [int(v) for v in values]
            epoch = epoch_format(name, ints)
            if epoch is not None:
                return Guess("timestamp", (epoch[0],), why=(epoch[1],))
            kind, why = integer_type(ints)
            if kind == "float":
                return _string(name, values, "integers past 64 bits are kept as text: a float loses digits")
            return Guess(kind, why=(f"{share(n, n)} are {why}",))
        else:
            return _string(name, values, f"digits with leading zeros ({example(padded)}) are kept as text")
    if numbers and all(_FLOAT_TEXT.fullmatch(v) for v in values):
        floats = [float(v) for v in values]
        epoch = epoch_format(name, floats)
        if epoch is not None:
            return Guess("timestamp", (epoch[0],), why=(epoch[1],))
        return Guess("float", why=(f"{share(n, n)} are decimal numbers (e.g. {example(values)})",))
    times = text_time_formats(values)
    if times is not None:
        return Guess("timestamp", times[0], why=(times[1],))
    return _string(name, values, None)


def _account_guess(name: str, values: Sequence[str]) -> Guess | None:
    """Twelve digits in a column named for an account: an AWS account id, kept as text."""
    if "account" in words(name) and all(_ACCOUNT.fullmatch(v) for v in values):
        n = len(values)
        return Guess(
            "string",
            indicators=("aws_account_id",),
            why=(
                f"{share(n, n)} are 12 digits in a field named for an account: AWS account ids, kept as text",
            ),
        )
    return None


def _string(name: str, values: Sequence[str], note: str | None) -> Guess:
    indicators, why = indicators_for(name, values)
    n = len(values)
    reasons = [
        note or _mostly(values) or f"text ({share(n, n)}, e.g. {example(values)}) that no other type reads"
    ]
    return Guess("string", indicators=indicators, why=(*reasons, *why))


def _mostly(values: Sequence[str]) -> str | None:
    """Why a column that is mostly numbers is a string after all: the values that are not."""
    n = len(values)
    for what, pattern in (("integers", _INT_TEXT), ("numbers", _FLOAT_TEXT)):
        fit = sum(1 for v in values if pattern.fullmatch(v))
        if n > fit >= n / 2:
            others = [v for v in values if not pattern.fullmatch(v)]
            return f"{share(fit, n)} are {what}, but {example(others)} is not: string takes every value"
    return None


# --- indicators -----------------------------------------------------------------------------------


def is_ip(value: str) -> bool:
    found: dict[str, set[str]] = {}
    _IP_SCAN(value, found)
    return bool(found)


def indicators_for(name: str, values: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The indicators of a string column, by its values (every one must fit) or by its name."""
    if not values:
        return (), ()
    n = len(values)
    every = share(n, n)
    key = words(name)
    spaced = any(" " in v for v in values)
    ips = sum(map(is_ip, values))
    if ips == n:
        return ("ip",), (f"ip: {every} are IP addresses",)
    domains = sum(1 for v in values if _DOMAIN.fullmatch(v))
    code_names = bool(_CODE_WORDS.intersection(key))  # com.acme.OrderService reads as a domain
    if ips + domains == n and not code_names:
        return ("hostname",), (
            f"hostname: {every} are domain names or IP addresses ({domains:,} names, {ips:,} addresses)",
        )
    checks: tuple[tuple[str, bool, str], ...] = (
        ("url", all(URL.fullmatch(v) for v in values), "URLs"),
        ("email", all(_EMAIL.fullmatch(v) for v in values), "email addresses"),
        ("md5", all(len(v) == 32 and _HEX.fullmatch(v) for v in values), "MD5 hashes (32 hex digits)"),
        ("sha1", all(len(v) == 40 and _HEX.fullmatch(v) for v in values), "SHA-1 hashes (40 hex digits)"),
        ("sha256", all(len(v) == 64 and _HEX.fullmatch(v) for v in values), "SHA-256 hashes (64 hex digits)"),
        ("aws_arn", all(v.startswith("arn:") and len(v.split(":", 5)) == 6 for v in values), "AWS ARNs"),
        ("aws_instance_id", all(_INSTANCE.fullmatch(v) for v in values), "EC2 instance ids"),
    )
    for indicator, fits, what in checks:
        if fits:
            return (indicator,), (f"{indicator}: {every} are {what}",)
    if all(_ACCOUNT.fullmatch(v) for v in values):
        return ("aws_account_id",), (f"aws_account_id: {every} are 12-digit AWS account ids",)
    if spaced:
        return (), ()
    by_name = _by_name(key)
    if by_name is not None:
        indicator, what = by_name
        return (indicator,), (f"{indicator}: the name {name!r} says {what}, and no value has a space",)
    return (), ()


def _by_name(key: list[str]) -> tuple[str, str] | None:
    """An indicator that a field's name alone implies (values cannot tell a user name apart)."""
    last = key[-1] if key else ""
    last_two = key[-2:]
    if last in ("user", "username", "login") or last_two == ["user", "name"]:
        return "username", "a user name"
    if "trace" in key or "correlation" in key or last_two in (["request", "id"], ["ray", "id"]):
        return "trace_id", "a trace or request id"
    if last in ("host", "hostname", "domain", "fqdn", "server") or last_two == ["host", "name"]:
        return "hostname", "a host name"
    return None
