"""Cutting a text line into tokens: words, quoted strings, bracketed groups and whole times.

A token is what one fastmatch placeholder (with the literal text around it) should capture:
``"GET / HTTP/1.1"`` and ``[10/Oct/2000:13:55:36 -0700]`` hold spaces but are one value, and so is
a syslog time (``Mar  7 03:04:05``), which is found first and kept whole, and so is a syslog tag
with its pid (``sshd[2718]:``), so that it lines up with a tag without one (``kernel:``). Between
tokens is the separator text (spaces, or nothing where a bracket or a time starts inside a word).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

_MONTHS: Final = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
SYSLOG_TIME: Final = rf"(?:{_MONTHS}) [ 0-9][0-9] [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]+)?"
"""A syslog time, ``Mar  7 03:04:05``: no year, the day padded with a space."""
_ZONE: Final = r"(?:Z|[+-][0-9]{2}:?[0-9]{2}| [A-Z]{3})?"
ISO_TIME: Final = (
    rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:[.,][0-9]+)?{_ZONE}"
)
"""A date and a time of day, with a space or a T between (``2024-03-15 10:00:00,123``)."""
TIMES: Final = re.compile(rf"(?<![A-Za-z]){SYSLOG_TIME}(?![0-9])|(?<![0-9]){ISO_TIME}(?![0-9A-Za-z])")
_SPACE: Final = re.compile(r"[ \t]+")

_TAG: Final = re.compile(r"[A-Za-z][\w./-]*\[[0-9]+\]:(?=[ \t]|$)")
QUOTED, BRACKET, TIME, BARE = "quoted", "bracket", "time", "bare"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind and its text (quotes and brackets included)."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Tokens:
    """A line as tokens: ``lead`` (spaces before the first), then each token and the text after it."""

    lead: str
    tokens: tuple[Token, ...]
    seps: tuple[str, ...]  # seps[i] follows tokens[i]; the last one is the line's trailing spaces


def _quoted_end(line: str, pos: int, quote: str) -> int:
    """The index after the quote closing the quoted text that starts at ``pos``, or -1."""
    i = pos + 1
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        i += 1
    return -1


def _bracket_end(line: str, pos: int, last: int) -> int:
    """The index after the ``]`` closing the bracket at ``pos`` (quoted text inside skipped), or -1.

    ``last`` is the index of the line's last ``]``: no scan goes past it, so a line of many ``[``
    and no ``]`` costs one pass, not one per ``[``.
    """
    i = pos + 1
    while i <= last:
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            end = _quoted_end(line, i, '"')
            if end < 0:
                return -1
            i = end
            continue
        if char == "]":
            return i + 1
        i += 1
    return -1


def tokenize(line: str) -> Tokens:
    """Cut ``line`` into tokens and separators; joined back, they give the line."""
    times = {m.start(): m.end() for m in TIMES.finditer(line)}
    last_close = line.rfind("]")
    unclosed = len(line)  # a quote at or after this index has no closing quote

    def quoted_end(at: int) -> int:
        # Whether a later quote closes depends only on the text after ``at`` (a run of backslashes
        # before a quote is read alike from any start before it): once a scan fails, every scan
        # from further on fails too, and is not run again.
        nonlocal unclosed
        if at >= unclosed:
            return -1
        end = _quoted_end(line, at, '"')
        if end < 0:
            unclosed = at
        return end

    lead_match = _SPACE.match(line)
    pos = lead_match.end() if lead_match else 0
    lead = line[:pos]
    tokens: list[Token] = []
    seps: list[str] = []
    while pos < len(line):
        start = pos
        if pos in times:
            kind, pos = TIME, times[pos]
        elif line[pos] == '"' and (end := quoted_end(pos)) > 0:
            kind, pos = QUOTED, end
        elif line[pos] == "[" and (end := _bracket_end(line, pos, last_close)) > 0:
            kind, pos = BRACKET, end
        elif (tag := _TAG.match(line, pos)) is not None and (pos == 0 or line[pos - 1] in " \t"):
            kind, pos = BARE, tag.end()  # a syslog tag with its pid, sshd[2718]: one token
        else:
            kind = BARE
            while pos < len(line) and line[pos] not in " \t" and (pos == start or pos not in times):
                if line[pos] == '"' and (end := quoted_end(pos)) > 0:
                    pos = end
                elif line[pos] == "[" and pos > start and line[pos - 1] not in "=:" and pos + 1 < len(line):
                    break  # `sshd[1]:` stays one word; `<34>[x]` would not
                else:
                    pos += 1
            if pos == start:
                pos += 1
        tokens.append(Token(kind, line[start:pos]))
        space = _SPACE.match(line, pos)
        sep_end = space.end() if space else pos
        seps.append(line[pos:sep_end])
        pos = sep_end
    return Tokens(lead, tuple(tokens), tuple(seps))


_SPLIT_CHARS: Final = frozenset("<>[](){}=\"'")


@functools.lru_cache(maxsize=65536)  # tokens repeat from line to line
def pieces(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A bare token as its punctuation skeleton and the text between: ``<158>1`` →
    ``(("<", ">", ""), ("158", "1"))``, ``path="/x"`` → ``(("", '="', '"'), ("path", "/x"))``.

    Literals always number one more than the values; quoted text inside is one value. A token whose
    skeleton is shared by every line of a column is cut there into literal text and placeholders.
    Key names before ``=`` count as values here: the caller decides what stays literal.
    """
    runs: list[tuple[bool, str]] = []  # (literal?, text)
    i = 0
    while i < len(text):
        char = text[i]
        if char in "\"'" and (end := _quoted_end(text, i, char)) > 0:
            runs += [(True, char), (False, text[i + 1 : end - 1]), (True, char)]
            i = end
        elif char in _SPLIT_CHARS or (char == ":" and i == len(text) - 1):
            runs.append((True, char))
            i += 1
        else:
            runs.append((False, char))
            i += 1
    literals = [""]
    values: list[str] = []
    for literal, part in runs:
        if literal:
            literals[-1] += part
        elif part:
            if len(literals) == len(values) + 1 and values and not literals[-1]:
                values[-1] += part  # the next character of the same value
            else:
                values.append(part)
                literals.append("")
    return tuple(literals), tuple(values)
