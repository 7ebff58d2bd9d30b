"""fastmatch: Panther's delimiter patterns (``%{name} <%{other}>...``), compiled once, matched fast.

A pattern is a prefix followed by placeholders, each ended by the literal text up to the next
placeholder (its delimiter). Matching finds the *first* occurrence of each delimiter, never
backtracks, lets the last placeholder take the rest of the line when it has no delimiter, and ignores
whatever follows the last delimiter (spec a.1, a.2). A placeholder wrapped in the same quote on both
sides is *quoted*: when a backslash lies anywhere ahead in the line, its value is read with Go
string-literal escapes up to an unescaped quote instead of by plain search (spec a.2, F13-F22).

``compile_pattern`` returns a ``Pattern`` whose ``match`` is Python source generated for that one
pattern (string ``find``/``split`` calls in a straight line, no loop over placeholders), the way
``dataclasses`` writes ``__init__``. ``Pattern.why_not`` is a slow interpreter of the same rules used
only to explain a line that did not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..codegen import compile_function
from .text import TextParser

# Panther finds placeholders with `%{\s*(?P<tag>[^}]*)\s*}`: only leading blanks are dropped, since
# the greedy name keeps trailing ones (spec a.1, F1). Python's `\s` differs from Go's RE2 `\s`
# (ASCII only), hence the explicit class.
_PLACEHOLDER = re.compile(r"%\{[\t\n\f\r ]*([^}]*)\}")


class PatternError(ValueError):
    """A fastmatch pattern that cannot be compiled (Panther says `invalid pattern`)."""


class QuotedSyntaxError(ValueError):
    """A quoted value with an escape Go's `strconv.UnquoteChar` refuses (`invalid syntax`)."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``%{name}`` with the literal text that ends it and its quote character, if quoted."""

    name: str  # "" for the unnamed `%{}`, which consumes text and emits nothing
    delimiter: str  # "" only for the last placeholder: it takes the rest of the line
    quote: str  # '"', "'" or "" (decided at compile time, spec a.1)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled fastmatch pattern.

    ``match(line)`` returns the values of all placeholders in order (unnamed ones included, so
    positions are fixed at compile time) or ``None``. Quoted values containing an invalid escape make
    the pattern fail, as in Panther.
    """

    source: str
    prefix: str
    placeholders: tuple[Placeholder, ...]
    match: Callable[[str], tuple[str, ...] | None]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.placeholders)

    def why_not(self, line: str) -> str | None:
        """Why ``line`` does not match, in a user's words; ``None`` when it does match."""
        return _interpret(self, line)[1]


def split_pattern(source: str) -> tuple[str, tuple[Placeholder, ...]]:
    """Split a pattern into its prefix and placeholders; raise ``PatternError`` if it is invalid."""
    found = list(_PLACEHOLDER.finditer(source))
    if not found:
        raise PatternError(f"invalid pattern {source!r}: it has no %{{field}} placeholder")
    _check_closed(source, found)
    prefix = source[: found[0].start()]
    placeholders = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(source)
        delimiter = source[m.end() : end]
        if not delimiter and i + 1 < len(found):
            raise PatternError(
                f"invalid pattern {source!r}: placeholders %{{{m.group(1)}}} and "
                f"%{{{found[i + 1].group(1)}}} are adjacent; put literal text between them"
            )
        before = prefix if i == 0 else placeholders[-1].delimiter
        quote = ""
        if before and delimiter and before[-1] in "\"'" and delimiter[0] == before[-1]:
            quote = before[-1]
        placeholders.append(Placeholder(m.group(1), delimiter, quote))
    return prefix, tuple(placeholders)


def _check_closed(source: str, found: list[re.Match[str]]) -> None:
    """Refuse a ``%{`` that no ``}`` closes (``'%{a} %{b'``).

    Panther finds placeholders with a regex, so an unclosed ``%{b`` is no placeholder at all: it joins
    the literal text before it (here the delimiter of ``%{a}`` becomes `` %{b``), the pattern compiles,
    and then only lines that contain ``%{b`` literally match, which is never what was meant. A ``%{``
    inside a closed placeholder (``%{a%{b}``, one placeholder named ``a%{b``) is Panther's and stays.
    """
    start = 0
    for m in [*found, None]:
        end = len(source) if m is None else m.start()
        at = source.find("%{", start, end)
        if at >= 0:
            raise PatternError(
                f"invalid pattern {source!r}: '%{{' at character {at + 1} is never closed by '}}', so "
                f"it would be literal text that every line must contain; close the placeholder, or "
                f"drop the '%{{'"
            )
        if m is not None:
            start = m.end()


def compile_pattern(source: str) -> Pattern:
    """Compile one fastmatch pattern into a ``Pattern`` with a generated ``match`` function."""
    prefix, placeholders = split_pattern(source)
    match = _generate(source, prefix, placeholders)
    return Pattern(source, prefix, placeholders, match)


# --- code generation ----------------------------------------------------------------------------


def _generate(source: str, prefix: str, placeholders: tuple[Placeholder, ...]) -> Callable:
    """Write the straight-line matcher for one pattern.

    Unquoted runs of placeholders that share one delimiter become a single ``str.split`` with a
    ``maxsplit`` (first occurrences, exactly like successive ``find`` calls); other placeholders
    become ``find`` calls; quoted ones check for a backslash ahead and take the escape scan only then.
    """
    names = [f"v{i}" for i in range(len(placeholders))]
    lines = [
        "def match(line):",
        *match_lines(prefix, placeholders, names),
        f"    return ({', '.join(names)},)",
    ]
    return compile_function("\n".join(lines), "match", dict(NAMESPACE), f"<fastmatch {source!r}>")


NAMESPACE: Final = {"_unquote": None, "QuotedSyntaxError": None}  # filled below, once defined
"""The globals the matching lines refer to, for code that inlines them."""


def match_lines(prefix: str, placeholders: tuple[Placeholder, ...], targets: Sequence[str]) -> list[str]:
    """The body of a matcher (indented one level): each value into ``targets[i]``, ``return None`` on
    failure. The schema compiler inlines these lines into a line function when a schema has one
    pattern; ``_generate`` wraps them into a standalone ``match``.
    """
    lines: list[str] = []
    emit = lines.append
    if prefix:
        emit(f"    if not line.startswith({prefix!r}):")
        emit("        return None")
    emit(f"    pos = {len(prefix)}")
    names = list(targets)
    i, n = 0, len(placeholders)
    while i < n:
        ph = placeholders[i]
        if ph.quote:
            _emit_quoted(emit, names[i], ph)
            i += 1
        elif not ph.delimiter:  # the last placeholder takes the rest of the line
            emit(f"    {names[i]} = line[pos:]")
            i += 1
        else:
            j = i  # the run of unquoted placeholders i..j that end in the same delimiter
            while (
                j + 1 < n and not placeholders[j + 1].quote and placeholders[j + 1].delimiter == ph.delimiter
            ):
                j += 1
            takes_rest = j + 1 == n - 1 and not placeholders[n - 1].delimiter
            if j > i or takes_rest:
                _emit_split(
                    emit, names[i : j + 2] if takes_rest else names[i : j + 1], ph.delimiter, takes_rest
                )
                i = n if takes_rest else j + 1
            else:
                _emit_find(emit, names[i], ph.delimiter)
                i += 1
    return lines


def _emit_find(emit: Callable[[str], None], name: str, delimiter: str) -> None:
    emit(f"    end = line.find({delimiter!r}, pos)")
    emit("    if end < 0:")
    emit("        return None")
    emit(f"    {name} = line[pos:end]")
    emit(f"    pos = end + {len(delimiter)}")


def _emit_split(emit: Callable[[str], None], targets: list[str], delimiter: str, takes_rest: bool) -> None:
    """Placeholders sharing one delimiter: one ``split`` finds all their first occurrences at once.

    With ``takes_rest`` the last target is the final, delimiter-less placeholder: it gets the part
    after the last delimiter. Otherwise that part is the rest of the line still to be matched.
    """
    count = len(targets) - 1 if takes_rest else len(targets)
    emit(f"    parts = line[pos:].split({delimiter!r}, {count})")
    emit(f"    if len(parts) != {count + 1}:")
    emit("        return None")
    if takes_rest:
        emit(f"    {', '.join(targets)}, = parts")
    else:
        emit(f"    {', '.join(targets)}, rest = parts")
        emit("    pos = len(line) - len(rest)")


def _emit_quoted(emit: Callable[[str], None], name: str, ph: Placeholder) -> None:
    """A quoted placeholder: plain search unless a backslash lies ahead (spec a.2, F14/F15)."""
    emit("    if line.find('\\\\', pos) < 0:")
    emit(f"        end = line.find({ph.delimiter!r}, pos)")
    emit("        if end < 0:")
    emit("            return None")
    emit(f"        {name} = line[pos:end]")
    emit(f"        pos = end + {len(ph.delimiter)}")
    emit("    else:")
    emit("        try:")
    emit(f"            {name}, pos = _unquote(line, pos, {ph.quote!r})")
    emit("        except QuotedSyntaxError:")
    emit("            return None")
    emit(f"        if not line.startswith({ph.delimiter!r}, pos):")
    emit("            return None")
    emit(f"        pos += {len(ph.delimiter)}")


# --- quoted values ------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX = frozenset("0123456789abcdefABCDEF")
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}


def _unquote(line: str, pos: int, quote: str) -> tuple[str, int]:
    """Decode Go string-literal escapes from ``pos`` up to an unescaped ``quote``.

    Returns the decoded text and the position *of* the closing quote (the delimiter starts there).
    Raises ``QuotedSyntaxError`` on an escape Go's ``strconv.UnquoteChar`` refuses, or when the
    line ends before the closing quote.
    """
    out: list[str] = []
    i = pos
    end = len(line)
    while True:
        stop = line.find("\\", i)
        close = line.find(quote, i)
        if close < 0:
            raise QuotedSyntaxError("no closing quote")
        if stop < 0 or close < stop:
            out.append(line[i:close])
            return "".join(out), close
        out.append(line[i:stop])
        if stop + 1 >= end:
            raise QuotedSyntaxError("backslash at the end of the line")
        c = line[stop + 1]
        i = stop + 2
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
        elif c == quote:
            out.append(c)
        elif c in _HEX_WIDTH:
            digits = line[i : i + _HEX_WIDTH[c]]
            if len(digits) != _HEX_WIDTH[c] or not _HEX.issuperset(digits):
                raise QuotedSyntaxError(f"invalid \\{c} escape")
            code = int(digits, 16)
            if c != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
                raise QuotedSyntaxError(f"invalid \\{c} escape")
            out.append(chr(code))
            i += len(digits)
        elif "0" <= c <= "7":
            digits = line[stop + 1 : stop + 4]
            if len(digits) != 3 or any(not "0" <= d <= "7" for d in digits) or int(digits, 8) > 0o377:
                raise QuotedSyntaxError("invalid octal escape")
            out.append(chr(int(digits, 8)))
            i = stop + 4
        else:
            raise QuotedSyntaxError(f"invalid escape \\{c}")


NAMESPACE.update(_unquote=_unquote, QuotedSyntaxError=QuotedSyntaxError)


# --- the slow interpreter, for explanations -----------------------------------------------------


def no_prefix(prefix: str) -> str:
    """Why a line does not match: it does not start with the pattern's ``prefix``."""
    return f"the line does not start with {prefix!r}"


def no_delimiter(placeholder: Placeholder) -> str:
    """Why a line does not match: ``placeholder``'s delimiter is missing (the column follows)."""
    return f"delimiter {placeholder.delimiter!r} after %{{{placeholder.name}}} not found from column "


def _interpret(pattern: Pattern, line: str) -> tuple[tuple[str, ...] | None, str | None]:
    """Match ``line`` step by step; return the values, or ``None`` and the reason it failed.

    The accelerator words the same reasons (``no_prefix``, ``no_delimiter``) for the lines it
    rejects itself."""
    if not line.startswith(pattern.prefix):
        return None, no_prefix(pattern.prefix)
    pos = len(pattern.prefix)
    values: list[str] = []
    for ph in pattern.placeholders:
        label = f"%{{{ph.name}}}"
        if not ph.delimiter:
            values.append(line[pos:])
            continue
        if ph.quote and line.find("\\", pos) >= 0:
            try:
                value, end = _unquote(line, pos, ph.quote)
            except QuotedSyntaxError as exc:
                return None, f"quoted value of {label} at column {pos + 1}: {exc}"
            if not line.startswith(ph.delimiter, end):
                return (
                    None,
                    f"{ph.delimiter!r} expected after the quoted value of {label}, at column {end + 1}",
                )
            values.append(value)
            pos = end + len(ph.delimiter)
            continue
        end = line.find(ph.delimiter, pos)
        if end < 0:
            return None, f"{no_delimiter(ph)}{pos + 1}"
        values.append(line[pos:end])
        pos = end + len(ph.delimiter)
    return tuple(values), None


# --- the parser -----------------------------------------------------------------------------------


def compile(config: Mapping[str, Any]) -> TextParser:
    """The fastmatch parser of a schema: its ``match`` patterns, tried in order (spec a.3)."""
    patterns = tuple(compile_pattern(source) for source in config["match"])

    def why_not(line: str) -> str:
        reasons = [p.why_not(line) or "matched" for p in patterns]
        if len(reasons) == 1:
            return reasons[0]
        return "; ".join(f"match[{i}]: {reason}" for i, reason in enumerate(reasons))

    inline = None
    if len(patterns) == 1:
        (only,) = patterns

        def inline(targets: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
            return match_lines(only.prefix, only.placeholders, targets), dict(NAMESPACE)

    return TextParser(tuple((p.match, p.names) for p in patterns), why_not, inline)
