"""Static checks of user regexes, before they are compiled or run.

Two hazards of the ``regex`` module (reliability.md 3.1, 3.2): compiling a pattern whose repeats nest
multiplies its size (``(?:a{1000}){1000}`` took 0.8 s, 100 nested ``+`` exhausted memory), so the
loader refuses such patterns by an estimate made first (``compiled_size``); and nested quantifiers are
the usual shape of catastrophic backtracking, which ``normalize lint`` warns about (the per-line time
budget stays the guarantee). Both work on the stdlib parser's tree (``re._parser``): the ``regex``
module exposes no parser, so a pattern only it can read is not analysed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any, Final, TypeAlias

Node: TypeAlias = tuple[Any, Any]  # (opcode, argument), as re._parser gives them

_OTHER: Final = "\u0100"  # stands for every non-ASCII character the pattern does not name
_ASCII: Final = frozenset(map(chr, range(128)))
_CATEGORIES: Final = {  # ASCII meanings: the regex parser runs with regex.ASCII
    sre.CATEGORY_DIGIT: frozenset("0123456789"),
    sre.CATEGORY_SPACE: frozenset(" \t\n\r\f\v"),
    sre.CATEGORY_WORD: frozenset("0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    sre.CATEGORY_LINEBREAK: frozenset("\n"),
}
_NOT_CATEGORIES: Final = {
    sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
    sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
    sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
    sre.CATEGORY_NOT_LINEBREAK: sre.CATEGORY_LINEBREAK,
}
_REPEATS: Final = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_NAMED_GROUP: Final = re.compile(r"(?<!\\)\(\?<(?![=!])")  # (?<name>...), which re spells (?P<name>...)


def parse_regex(pattern: str) -> sre_parse.SubPattern | None:
    """The stdlib parser's tree, or None. The parser runs out of stack (RecursionError) at a shallower
    nesting than the walks below reach (about 500 groups, measured), so they need no guard of their own."""
    try:
        with warnings.catch_warnings():  # "possible nested set" and the like: not ours to show
            warnings.simplefilter("ignore")
            return sre_parse.parse(_NAMED_GROUP.sub("(?P<", pattern), re.ASCII)
    except (re.error, RecursionError, OverflowError):
        return None


MAX_COMPILED_SIZE: Final = 100_000
"""Patterns whose repeats expand beyond this many steps are not compiled.

The regex module writes ``x+`` as ``xx*`` and ``x{3,}`` as ``xxxx*``, so nested repeats multiply:
``(?:a{1000}){1000}`` took 0.8 s to compile, 16 nested ``+`` 0.4 s, 100 of them exhausted memory.
Measured at 1 to 3 µs per step for such shapes; a pattern within the 64K-character cap of
``parsers/regex.py`` and without nesting stays below the bound.
"""


def compiled_size(pattern: str) -> int:
    """About how many steps ``pattern`` compiles to; 0 when the stdlib parser cannot read it."""
    tree = parse_regex(pattern)
    return 0 if tree is None else _size(list(tree))


def _size(items: Iterable[Node]) -> int:
    total = 0
    for op, av in items:
        if op in (*_REPEATS, sre.POSSESSIVE_REPEAT):
            low, high, body = av
            total += max(1, low + (high != low)) * _size(body)
        elif op is sre.SUBPATTERN:
            total += _size(av[3])
        elif op is sre.BRANCH:
            total += sum(_size(branch) for branch in av[1])
        elif op is sre.ATOMIC_GROUP:
            total += _size(av)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            total += _size(av[1])
        elif op is sre.GROUPREF_EXISTS:
            total += _size(av[1]) + (_size(av[2]) if av[2] is not None else 0)
        else:
            total += 1
    return total


class Backtracking:
    """Finds the shape of catastrophic backtracking: inside a repeated group, a repeat whose end is
    ambiguous, because what can start another of its iterations can also come right after it.

    ``(\\w+\\s?)+``: after ``\\w+`` may come another word character, either of the same ``\\w+`` or of
    the group's next iteration, so a run of n letters splits 2^(n-1) ways, each tried when the rest of
    the line fails. ``(?:[^,]*,)+`` is safe: ``[^,]*`` ends at the first comma, always. Character sets
    are computed over ASCII, the pattern's own characters and one stand-in for all other characters.
    A possessive repeat or an atomic group is never backtracked into, so its end is never ambiguous.
    """

    def __init__(self, tree: sre_parse.SubPattern) -> None:
        self.tree = tree
        self.universe = _ASCII | {_OTHER} | set(_characters(list(tree)))

    def nested_loops(self) -> Iterator[Node]:
        """The inner repeats that make the pattern backtrack catastrophically, in pattern order."""
        return self._loops(list(self.tree), frozenset(), in_loop=False)

    def _loops(self, items: list[Node], follow: frozenset[str], *, in_loop: bool) -> Iterator[Node]:
        """Walk a sequence; ``follow`` is what may come after it, up to the next iteration of the
        nearest enclosing repeat (what follows that repeat does not multiply the ways)."""
        after = follow
        follows = []
        for op, av in reversed(items):
            follows.append(after)
            first, nullable = self._first(op, av)
            after = first | after if nullable else first
        for (op, av), follow_item in zip(items, reversed(follows), strict=True):
            yield from self._loops_in(op, av, follow_item, in_loop=in_loop)

    def _loops_in(self, op: Any, av: Any, follow: frozenset[str], *, in_loop: bool) -> Iterator[Node]:
        if op in _REPEATS and av[1] >= 2:
            body = list(av[2])
            first, nullable = self._first_of(body)
            if in_loop and (nullable or first & follow):
                yield op, av
            else:
                yield from self._loops(body, first, in_loop=True)
        elif op in _REPEATS:  # ? and {0,1}: a group, not a loop
            yield from self._loops(list(av[2]), follow, in_loop=in_loop)
        elif op is sre.POSSESSIVE_REPEAT:
            yield from self._loops(list(av[2]), frozenset(), in_loop=False)
        elif op is sre.ATOMIC_GROUP:
            yield from self._loops(list(av), frozenset(), in_loop=False)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):  # a lookaround is matched apart, and atomically
            yield from self._loops(list(av[1]), frozenset(), in_loop=False)
        elif op is sre.SUBPATTERN:
            yield from self._loops(list(av[3]), follow, in_loop=in_loop)
        elif op is sre.BRANCH:
            for branch in av[1]:
                yield from self._loops(list(branch), follow, in_loop=in_loop)
        elif op is sre.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    yield from self._loops(list(branch), follow, in_loop=in_loop)

    def _first_of(self, items: Iterable[Node]) -> tuple[frozenset[str], bool]:
        """The characters a sequence can start with, and whether it can match the empty string."""
        chars: frozenset[str] = frozenset()
        for op, av in items:
            first, nullable = self._first(op, av)
            chars |= first
            if not nullable:
                return chars, False
        return chars, True

    def _first(self, op: Any, av: Any) -> tuple[frozenset[str], bool]:
        if op is sre.LITERAL:
            return frozenset(chr(av)), False
        if op is sre.NOT_LITERAL:
            return self.universe - {chr(av)}, False
        if op is sre.ANY:
            return self.universe - {"\n"}, False
        if op is sre.IN:
            return self._class(av), False
        if op in (*_REPEATS, sre.POSSESSIVE_REPEAT):
            first, nullable = self._first_of(av[2])
            return first, nullable or av[0] == 0
        if op is sre.SUBPATTERN:
            return self._first_of(av[3])
        if op is sre.ATOMIC_GROUP:
            return self._first_of(av)
        if op is sre.BRANCH:
            firsts = [self._first_of(branch) for branch in av[1]]
            return frozenset().union(*(f for f, _ in firsts)), any(n for _, n in firsts)
        if op is sre.GROUPREF_EXISTS:
            yes = self._first_of(av[1])
            no = self._first_of(av[2]) if av[2] is not None else (frozenset(), True)
            return yes[0] | no[0], yes[1] or no[1]
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            return frozenset(), True
        return self.universe, True  # a back reference: anything, possibly nothing

    def _class(self, items: list[Node]) -> frozenset[str]:
        chars: set[str] = set()
        negate = False
        for op, av in items:
            if op is sre.NEGATE:
                negate = True
            elif op is sre.LITERAL:
                chars.add(chr(av))
            elif op is sre.RANGE:
                chars.update(c for c in self.universe if _in_range(c, *av))
            elif op is sre.CATEGORY and av in _CATEGORIES:
                chars |= _CATEGORIES[av]
            elif op is sre.CATEGORY:
                chars |= self.universe - _CATEGORIES[_NOT_CATEGORIES[av]]
        return self.universe - chars if negate else frozenset(chars)


def _in_range(char: str, low: int, high: int) -> bool:
    return high >= 0x80 if char == _OTHER else low <= ord(char) <= high


def _characters(items: Iterable[Node]) -> Iterator[str]:
    """Every character the pattern names, so that the sets tell them apart from the rest."""
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL):
            yield chr(av)
        elif op is sre.RANGE:
            yield from (chr(av[0]), chr(av[1]))
        elif op is sre.IN:
            yield from _characters(av)
        elif isinstance(av, tuple | list):
            for part in av:
                if isinstance(part, sre_parse.SubPattern):
                    yield from _characters(list(part))
                elif isinstance(part, list):  # a branch's alternatives
                    for branch in part:
                        yield from _characters(list(branch))
        elif isinstance(av, sre_parse.SubPattern):
            yield from _characters(list(av))


def nesting_message(op: Any, av: Any) -> str:
    shown = _excerpt(_show_item(op, av))
    fixes = (
        f"make it possessive ({shown}+) or atomic ((?>...))"
        if op is sre.MAX_REPEAT
        else "make it atomic ((?>...))"
    )
    return (
        f"nested quantifier {shown}: it repeats inside a repeated group and can also match what comes "
        f"after it, so a line that almost matches can take exponential time; {fixes}, or end it at a "
        f"character it cannot match"
    )


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Rendering a parsed node back as regex text, for messages: equivalent to what was written, not always
# the same text (the parser drops redundant groups and factors out common prefixes).
_SPECIAL: Final = frozenset(".^$*+?{}[]\\|()")
_AT_TEXT: Final = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",
    sre.AT_END_STRING: r"\Z",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}
_CATEGORY_TEXT: Final = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _show(items: Iterable[Node]) -> str:
    return "".join(_show_item(op, av) for op, av in items)


def _show_item(op: Any, av: Any) -> str:
    if op is sre.LITERAL:
        return _show_char(chr(av), _SPECIAL)
    if op is sre.NOT_LITERAL:
        return f"[^{_show_char(chr(av), _CLASS_SPECIAL)}]"
    if op is sre.ANY:
        return "."
    if op is sre.IN:
        return _show_class(av)
    if op is sre.AT:
        return _AT_TEXT.get(av, "")
    if op in (*_REPEATS, sre.POSSESSIVE_REPEAT):
        low, high, body = av
        items = list(body)
        inner = _show(items)
        if len(items) != 1 or items[0][0] in (*_REPEATS, sre.POSSESSIVE_REPEAT):
            inner = f"(?:{inner})"
        suffix = {sre.MAX_REPEAT: "", sre.MIN_REPEAT: "?", sre.POSSESSIVE_REPEAT: "+"}[op]
        return inner + _quantifier(low, high) + suffix
    if op is sre.SUBPATTERN:
        return f"({'' if av[0] is not None else '?:'}{_show(av[3])})"
    if op is sre.ATOMIC_GROUP:
        return f"(?>{_show(av)})"
    if op is sre.BRANCH:
        return "|".join(_show(branch) for branch in av[1])
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        behind = "<" if av[0] < 0 else ""
        return f"(?{behind}{'=' if op is sre.ASSERT else '!'}{_show(av[1])})"
    return "…"


_CLASS_SPECIAL: Final = frozenset("]\\^-[")


def _show_char(char: str, special: frozenset[str]) -> str:
    if char in special:
        return "\\" + char
    if char.isprintable():
        return char
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _show_class(items: list[Node]) -> str:
    if len(items) == 1 and items[0][0] is sre.CATEGORY:
        return _CATEGORY_TEXT.get(items[0][1], "…")
    parts = []
    for op, av in items:
        if op is sre.NEGATE:
            parts.append("^")
        elif op is sre.LITERAL:
            parts.append(_show_char(chr(av), _CLASS_SPECIAL))
        elif op is sre.RANGE:
            parts.append(f"{_show_char(chr(av[0]), _CLASS_SPECIAL)}-{_show_char(chr(av[1]), _CLASS_SPECIAL)}")
        elif op is sre.CATEGORY:
            parts.append(_CATEGORY_TEXT.get(av, "…"))
    return f"[{''.join(parts)}]"


def _quantifier(low: int, high: int) -> str:
    unbounded = high is sre.MAXREPEAT
    if (low, unbounded) == (0, True):
        return "*"
    if (low, unbounded) == (1, True):
        return "+"
    if unbounded:
        return f"{{{low},}}"
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
