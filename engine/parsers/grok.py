"""Grok references in regex patterns: ``%{NAME}`` and ``%{NAME:field}``, expanded once at compile time.

``%{NAME}`` becomes a non-capturing group of NAME's pattern, ``%{NAME:field}`` a named group
``(?P<field>...)`` (spec f.1). Names come from the schema's ``patternDefinitions`` first, then from the
built-in library below; definitions may use each other, and a cycle is an error. The built-ins are
written for the ``regex`` module with RE2's meaning in mind (no lookaround, ASCII classes), after the
usual grok library that Panther's (logrusorgru/grokky) also follows; ``HEXDIGIT``-style classes
include uppercase ``A-F`` (Panther's ``[0-9a-fAF]`` is its bug j.8).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from ..errors import SchemaError

_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H16 = r"[0-9A-Fa-f]{1,4}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}})"
# RFC 4291 text forms, longest alternatives first so that leftmost-first matching takes whole addresses.
_IPV6 = "|".join(
    [
        rf"(?:{_H16}:){{6}}{_LS32}",
        rf"::(?:{_H16}:){{5}}{_LS32}",
        rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
        rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
    ]
)

BUILTIN: Final[Mapping[str, str]] = {
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"%{USERNAME}",
    "INT": r"[+-]?[0-9]+",
    "BASE10NUM": r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)",
    "NUMBER": r"%{BASE10NUM}",
    "BASE16NUM": r"[+-]?(?:0[xX])?[0-9A-Fa-f]+",
    "POSINT": r"\b[1-9][0-9]*\b",
    "NONNEGINT": r"\b[0-9]+\b",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "QUOTEDSTRING": r"\"(?:\\.|[^\\\"])*\"|'(?:\\.|[^\\'])*'|`(?:\\.|[^\\`])*`",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "CISCOMAC": r"(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}",
    "WINDOWSMAC": r"(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}",
    "COMMONMAC": r"(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}",
    "MAC": r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}",
    "IPV6": _IPV6,
    "IPV4": rf"{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}",
    "IP": r"%{IPV6}|%{IPV4}",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?",
    "IPORHOST": r"%{IP}|%{HOSTNAME}",
    "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    "UNIXPATH": r"(?:/[\w%!$@:.,~-]*)+",
    "WINPATH": r"(?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+",
    "PATH": r"%{UNIXPATH}|%{WINPATH}",
    "TTY": r"/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+",
    "URIPROTO": r"[A-Za-z]+(?:\+[A-Za-z+]+)?",
    "URIHOST": r"%{IPORHOST}(?::%{POSINT})?",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%_\-]*)+",
    "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*",
    "URIPATHPARAM": r"%{URIPATH}(?:%{URIPARAM})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    "MONTH": r"\b(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]un(?:e)?"
    r"|[Jj]ul(?:y)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b",
    "MONTHNUM": r"0?[1-9]|1[0-2]",
    "MONTHNUM2": r"0[1-9]|1[0-2]",
    "MONTHDAY": r"0[1-9]|[12][0-9]|3[01]|[1-9]",
    "DAY": r"Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?",
    "YEAR": r"[0-9]{4}|[0-9]{2}",
    "HOUR": r"2[0123]|[01]?[0-9]",
    "MINUTE": r"[0-5][0-9]",
    "SECOND": r"(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?",
    "TIME": r"%{HOUR}:%{MINUTE}(?::%{SECOND})?",
    "KITCHEN": r"%{HOUR}:%{MINUTE}",
    "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
    "ISO8601_TIMEZONE": r"Z|[+-]%{HOUR}(?::?%{MINUTE})",
    "ISO8601_SECOND": r"%{SECOND}|60",
    "TIMESTAMP_ISO8601": (
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"
    ),
    "DATE": r"%{DATE_US}|%{DATE_EU}",
    "DATETIME": r"%{DATE}[- ]%{TIME}",
    "TZ": r"[PMCE][SD]T|UTC|GMT",
    "TZOFFSET": r"[+-][0-9]{2}:?[0-9]{2}",
    "TIMESTAMP_RFC822": r"%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
    "TIMESTAMP_RFC2822": r"%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
    "TIMESTAMP_OTHER": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
    "TIMESTAMP_EVENTLOG": r"[0-9]{4}[0-9]{2}[0-9]{2}[0-9]{2}[0-9]{2}[0-9]{2}",
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
    "NS": r"%{NOTSPACE}",
    "QS": r"%{QUOTEDSTRING}",
    "HOST": r"%{HOSTNAME}",
    "PID": r"%{POSINT}",
}

_REFERENCE = re.compile(r"%\{(\w+)(?::([^}]*))?\}")
_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def expand(pattern: str, definitions: Mapping[str, str]) -> str:
    """``pattern`` with every grok reference replaced by plain regex syntax.

    Raises ``SchemaError`` for an unknown name, a badly formed name, or a cycle of definitions.
    """
    table = {**BUILTIN, **definitions}
    for name in definitions:
        if not _NAME.fullmatch(name):
            raise SchemaError(f"pattern name {name!r} must be uppercase letters, digits and '_'")
    expanded: dict[str, str] = {}
    return _expand(pattern, table, expanded, ())


def _expand(pattern: str, table: Mapping[str, str], done: dict[str, str], stack: tuple[str, ...]) -> str:
    def replace(m: re.Match[str]) -> str:
        name, field = m.group(1), m.group(2)
        if name not in table:
            raise SchemaError(f"unknown grok pattern %{{{name}}}")
        if name in stack:
            cycle = " -> ".join((*stack[stack.index(name) :], name))
            raise SchemaError(f"recursive grok pattern: {cycle}")
        if name not in done:
            done[name] = _expand(table[name], table, done, (*stack, name))
        body = done[name]
        return f"(?P<{field}>{body})" if field else f"(?:{body})"

    return _REFERENCE.sub(replace, pattern)
