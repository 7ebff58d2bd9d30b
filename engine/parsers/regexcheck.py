"""Static checks of user regexes, before they are compiled or run.

Two hazards of the ``regex`` module (reliability.md 3.1, 3.2): compiling a pattern whose repeats nest
multiplies its size (``(?:a{1000}){1000}`` took 0.8 s, 100 nested ``+`` exhausted memory), so the
loader refuses such patterns by an estimate made first (``compiled_size``); and a pattern that can
match one text in many ways backtracks for long on a line that almost matches (ReDoS), which
``normalize lint`` reports (``redos``: an ambiguity analysis of the pattern's automaton, checked on
the real engine; the per-line time budget stays the guarantee). Both work on the stdlib parser's tree
(``re._parser``): the ``regex`` module exposes no parser, so a pattern only it can read is not
analysed.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any, Final, TypeAlias

# The stdlib's regex parser is private (re._parser since 3.11; sre_parse, its deprecated alias, is
# the same module): tests/test_regexcheck.py checks the tree shapes read here on the running Python.

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
    """The character sets of a pattern's atoms, and the nested-quantifier heuristic that ``redos``
    falls back to when a pattern is too large for the ambiguity analysis.

    The heuristic finds the usual shape of catastrophic backtracking: inside a repeated group, a
    repeat whose end is ambiguous, because what can start another of its iterations can also come
    right after it. ``(\\w+\\s?)+``: after ``\\w+`` may come another word character, of the same
    ``\\w+`` or of the group's next iteration (stdlib ``re`` tries 2^(n-1) splits of n letters; the
    ``regex`` module's guards do not, which is why it is only the fallback). ``(?:[^,]*,)+`` is safe:
    ``[^,]*`` ends at the first comma, always. Character sets are computed over ASCII, the pattern's
    own characters and one stand-in for all other characters. A possessive repeat or an atomic group
    is never backtracked into, so its end is never ambiguous.
    """

    def __init__(self, tree: sre_parse.SubPattern, universe: Iterable[str] | None = None) -> None:
        self.tree = tree
        self.universe = frozenset(universe) if universe is not None else _universe([tree])

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


def _universe(trees: Iterable[sre_parse.SubPattern]) -> frozenset[str]:
    """ASCII, every character the patterns name, and one stand-in for all other characters."""
    return frozenset(_ASCII | {_OTHER} | {c for tree in trees for c in _characters(list(tree))})


def _union(parts: list[Fragment]) -> Fragment:
    return Fragment(
        frozenset().union(*(f.first for f in parts)),
        frozenset().union(*(f.last for f in parts)),
        any(f.nullable for f in parts),
    )


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
    items = list(items)
    return "".join(
        f"(?:{_show_item(op, av)})" if op is sre.BRANCH and len(items) > 1 else _show_item(op, av)
        for op, av in items
    )


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
        if len(items) != 1 or items[0][0] in (*_REPEATS, sre.POSSESSIVE_REPEAT, sre.BRANCH):
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


# --- ambiguity analysis ----------------------------------------------------------------------------
#
# A backtracking matcher that fails on a line tries every way the pattern can match each prefix of it.
# Those ways are the paths of a nondeterministic automaton built from the pattern, so the cost of a
# failing line follows the automaton's ambiguity (Weideman, van der Merwe, Berglund, Watson, "Analyzing
# matching time behavior of backtracking regular expression matchers by using ambiguity of NFA", 2016):
#
# * EDA, exponential: a state q with two different paths q → q that read one word w. Each copy of w in
#   the line doubles the ways, so w^n costs ~2^n. Found in the product N×N as a cycle through (q, q)
#   and some (p, p') with p ≠ p'.
# * IDA, polynomial: states p ≠ q, each with a loop on a word w, and a path p → q reading w: w^n is
#   split between the two loops in n ways. Found in N×N×N as a path (p, p, q) → (p, q, q). A chain of
#   d loops each linked so to the next gives ~n^d.
#
# The automaton is the Glushkov (position) automaton: one state per character-class atom of the
# pattern, ε-free, with sets of transitions. Counted repeats are written out, and so is the first
# pass of an unbounded one (x+ as x x*, x*? as (x x*?)?, as the regex module compiles them), so that
# (a+)+ has its two ways of reading "aa" (one pass of the outer loop or two). Alternatives that are
# both empty, what the parsers leave of (a|a) (a(?:|), the regex module's own parser does the same),
# count as two ways at each pass of the loop around them. Atomic groups and possessive repeats: two
# paths may not be in two different places of one (entered at one position, it matches one way).
# Lookarounds are taken as always passing (their bodies are not analysed) and a back reference as
# any text: more paths than the engine has, never fewer, outside lookarounds.
#
# The regex module is not a plain backtracker: it remembers where a greedy repeat has already failed
# (its repeat guards), which keeps (a+)+$ from exploding (reliability.md 3.2; it is still about
# n^3 with the search, over 2 s at 1,024 characters), while (a|aa)+$ and lazy repeats do explode;
# and it refuses at once a line without the text a pattern requires. So the verdict is the engine's,
# on a line built from what the analysis found (``redos``: prefix, pumped word, failing suffix):
# * an EDA is exponential when that line, at most 64 characters, exhausts 50 ms, and more than 40
#   times the line with half the pumps (so a loaded machine does not make a polynomial one exponential);
# * otherwise an IDA (its degree) or an EDA the guards tame is reported when the line pumped to 4,096
#   characters exhausts 50 ms: the guards and the engine's required-text check leave some alone
#   (``^(\s*\S+\s*)*:$``, ``.*.*.*=``), and those get no finding.


class TooLarge(Exception):
    """The pattern has more positions, or its products more states, than the analysis bounds."""


MAX_POSITIONS: Final = 2_000
"""Character positions of the expanded pattern (counted repeats are written out) analysed at most."""

MAX_OPTIONAL_COPIES: Final = 8
"""``x{m,n}`` is written out as m copies then n - m optional ones up to this many; beyond, as a loop."""

MAX_PRODUCT: Final = 300_000
"""Steps of the product searches (pairs and triples of states examined) for one pattern, at most
(about 0.3 s here). Past it, or past MAX_POSITIONS, ``redos`` falls back to the old heuristic."""


ATTACK_LENGTH: Final = 64
"""Characters of the attack line measured on the real engine when the analysis finds an EDA."""

ATTACK_BUDGET: Final = 0.05
"""Seconds the real engine may take on that line before the ambiguity is called exponential."""

POLYNOMIAL_LENGTH: Final = 4096
"""Characters of the line on which the real engine must exceed ATTACK_BUDGET for a polynomial finding."""

# The order in which characters are picked to show a word: readable ones first.
_PREFERRED: Final = (
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ,.;:-_=/!\"#$%&'()*+<>?@[\\]^`{|}~\t"
)
_FAILING: Final = "!#~\n\x00 a0A"  # tried in order as the character that makes the line fail


class Position:
    """One atom of the pattern: a character class, the loops around it, its atomic group."""

    __slots__ = ("atomic", "loops", "mask")

    def __init__(self, mask: int, loops: tuple[int, ...], atomic: int | None) -> None:
        self.mask = mask  # the characters it reads, as bits over Analysis.alphabet
        self.loops = loops  # ids of the enclosing unbounded repeats, outermost first
        self.atomic = atomic  # id of the outermost enclosing atomic group or possessive repeat


class Fragment:
    """Glushkov's first/last/nullable of a subexpression."""

    __slots__ = ("first", "last", "nullable")

    def __init__(self, first: frozenset[int], last: frozenset[int], nullable: bool) -> None:
        self.first = first
        self.last = last
        self.nullable = nullable


_EMPTY: Final = Fragment(frozenset(), frozenset(), True)


class Ambiguity:
    """What the analysis found: the kind, the words of the attack, and the loops that cause it."""

    __slots__ = ("degree", "kind", "loops", "prefix", "pump", "state")

    def __init__(
        self, kind: str, prefix: str, pump: str, loops: list[Node], *, degree: int = 0, state: int = 0
    ) -> None:
        self.state = state  # the state where the ambiguity is, to tell which part of the pattern
        self.kind = kind  # "exponential" or "polynomial"
        self.prefix = prefix  # reaches the ambiguous loop from the start
        self.pump = pump  # read in several ways by the loop(s)
        self.loops = loops  # the repeats to show
        self.degree = degree  # for polynomial: n^degree; 0 when unknown


class Analysis:
    """The Glushkov automaton of a parsed pattern, and its ambiguity."""

    def __init__(self, trees: Sequence[sre_parse.SubPattern]) -> None:
        """``trees``: the pattern's parts in order (the schema's ``match`` entries), read as one."""
        universe = _universe(trees)
        rank = {c: i for i, c in enumerate(_PREFERRED)}
        self.alphabet = sorted(universe, key=lambda c: (rank.get(c, len(rank)), c))
        self.bit = {c: 1 << i for i, c in enumerate(self.alphabet)}
        self.full = (1 << len(self.alphabet)) - 1
        self.sets = Backtracking(trees[0], universe)  # character classes as sets over the universe
        self.positions: list[Position] = [Position(0, (), None)]  # 0 is the start state
        self.entry: list[int] = [0]  # the part each position comes from
        self.follow: list[set[int]] = [set()]
        self.loop_nodes: list[Node] = []
        self.next_atomic = 0
        self.work = 0
        # Alternatives that both match the empty string: what the parser leaves of (a|a) once it has
        # moved the common prefix out, (a(?:|)), as the regex module also does. Invisible to an
        # ε-free automaton, they double the ways at each pass: (loop id, the positions before them).
        self.empty_twice: list[tuple[int, frozenset[int]]] = []
        self._empty_ways: list[bool] = []
        self._masks: dict[Any, int] = {}
        whole = _EMPTY
        for i, tree in enumerate(trees):
            self.part = i
            whole = self._concat(whole, self._sequence(list(tree), (), None))
        self.follow[0] |= whole.first
        self.final = set(whole.last) | ({0} if whole.nullable else set())

    # -- construction --

    def _position(self, mask: int, loops: tuple[int, ...], atomic: int | None) -> Fragment:
        if len(self.positions) > MAX_POSITIONS:
            raise TooLarge(f"more than {MAX_POSITIONS:,} character positions")
        self.positions.append(Position(mask, loops, atomic))
        self.entry.append(self.part)
        self.follow.append(set())
        p = frozenset({len(self.positions) - 1})
        return Fragment(p, p, False)

    def _link(self, last: Iterable[int], first: frozenset[int]) -> None:
        for p in last:
            self.follow[p] |= first

    def _concat(self, a: Fragment, b: Fragment) -> Fragment:
        self._link(a.last, b.first)
        return Fragment(
            a.first | b.first if a.nullable else a.first,
            a.last | b.last if b.nullable else b.last,
            a.nullable and b.nullable,
        )

    def _sequence(self, items: list[Node], loops: tuple[int, ...], atomic: int | None) -> Fragment:
        result = _EMPTY
        for op, av in items:
            item = self._item(op, av, loops, atomic)
            if op is sre.BRANCH and loops and sum(self._empty_ways) >= 2:
                self.empty_twice.append((loops[-1], result.last or item.first))
            result = self._concat(result, item)
        return result

    def _item(self, op: Any, av: Any, loops: tuple[int, ...], atomic: int | None) -> Fragment:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            key = (op, tuple(av) if isinstance(av, list) else av)
            if key not in self._masks:
                mask = 0
                for c in self.sets._first(op, av)[0]:
                    mask |= self.bit[c]
                self._masks[key] = mask
            return self._position(self._masks[key], loops, atomic)
        if op is sre.SUBPATTERN:
            return self._sequence(list(av[3]), loops, atomic)
        if op is sre.BRANCH:
            parts = [self._sequence(list(b), loops, atomic) for b in av[1]]
            self._empty_ways = [f.nullable for f in parts]
            return _union(parts)
        if op is sre.GROUPREF_EXISTS:
            yes = self._sequence(list(av[1]), loops, atomic)
            no = self._sequence(list(av[2]), loops, atomic) if av[2] is not None else _EMPTY
            return _union([yes, no])
        if op is sre.ATOMIC_GROUP:
            return self._sequence(list(av), loops, self._atomic(atomic))
        if op in (*_REPEATS, sre.POSSESSIVE_REPEAT):
            inner = self._atomic(atomic) if op is sre.POSSESSIVE_REPEAT else atomic
            return self._repeat(op, av, loops, inner)
        if op in (sre.GROUPREF,):  # a back reference: any text, conservatively (see ``redos``)
            self.loop_nodes.append((op, av))
            star = self._position(self.full, (*loops, len(self.loop_nodes) - 1), atomic)
            self._link(star.last, star.first)
            return Fragment(star.first, star.last, True)
        return _EMPTY  # anchors, \\b, lookarounds: zero-width, taken as always passing

    def _atomic(self, atomic: int | None) -> int:
        if atomic is not None:
            return atomic
        self.next_atomic += 1
        return self.next_atomic

    def _repeat(self, op: Any, av: Any, loops: tuple[int, ...], atomic: int | None) -> Fragment:
        """``x{m,n}`` written out as m copies of x then (x(x(x)?)?)? (nested, so that a count of
        copies is read one way), ``x{m,}`` as m copies then a loop."""
        low, high, body = av
        items = list(body)
        result = _EMPTY
        for _ in range(low):
            result = self._concat(result, self._sequence(items, loops, atomic))
        if high is sre.MAXREPEAT or high - low > MAX_OPTIONAL_COPIES:
            # x{m,n} with many optional passes is read as x{m,}: more paths than the engine has,
            # never fewer, and (?:a|aa){1,40}$ explodes as (a|aa)+$ does (the engine check decides).
            # x{m,} as m copies of x then a loop x*, and a lazy x*? as (x x*?)?: the first iteration
            # stands apart from the loop, as the engine runs it (it writes x+ as x x*), so that
            # (a+)+ has its two ways to read "aa" (one pass of the outer loop or two). The regex
            # module's repeat guards keep most such greedy shapes polynomial, which the engine check
            # of ``redos`` tells; they do not cover lazy repeats, and (?:a+?)+? explodes.
            result = _EMPTY
            for _ in range(low):
                result = self._concat(result, self._sequence(items, loops, atomic))
            if op is sre.MIN_REPEAT and low == 0:
                first = self._sequence(items, loops, atomic)
                result = Fragment(first.first, first.last, True)
            self.loop_nodes.append((op, av))
            star = self._sequence(items, (*loops, len(self.loop_nodes) - 1), atomic)
            self._link(star.last, star.first)
            return self._concat(result, Fragment(star.first, star.last, True))
        optional = _EMPTY
        for _ in range(high - low):
            copy = self._sequence(items, loops, atomic)
            optional = self._concat(copy, optional) if optional is not _EMPTY else copy
            optional = Fragment(optional.first, optional.last, True)
        return self._concat(result, optional)

    # -- words --

    def char(self, mask: int) -> str:
        """The preferred character of a non-empty set."""
        return self.alphabet[(mask & -mask).bit_length() - 1]

    def shortest(self, targets: Callable[[int], bool]) -> tuple[str, int] | None:
        """The shortest word from the start to a state that ``targets`` accepts, and that state."""
        previous: dict[int, int] = {0: -1}
        queue = [0]
        for p in queue:
            if targets(p):
                word, q = [], p
                while q:
                    word.append(self.char(self.positions[q].mask))
                    q = previous[q]
                return "".join(reversed(word)), p
            for q in sorted(self.follow[p]):
                if q not in previous:
                    previous[q] = p
                    queue.append(q)
        return None

    def _count(self, n: int = 1) -> None:
        self.work += n
        if self.work > MAX_PRODUCT:
            raise TooLarge(f"more than {MAX_PRODUCT:,} steps in its product automata")

    # -- ambiguity --

    def components(self) -> list[list[int]]:
        """The strongly connected components of the automaton that hold a cycle, sinks first."""
        found = _sccs(range(1, len(self.positions)), lambda p: self.follow[p])
        return [c for c in found if len(c) > 1 or c[0] in self.follow[c[0]]]

    def _compatible(self, q: int, r: int) -> bool:
        """Two paths may be in ``q`` and ``r`` at once: not two places of one atomic group, which
        matches one way once entered (a possessive repeat is one too)."""
        if q == r:
            return True
        a = self.positions[q].atomic
        return a is None or a != self.positions[r].atomic

    def exponential(self, limit: int = 4) -> list[Ambiguity]:
        """EDAs, up to ``limit`` of them, shortest words first: in a cyclic component C, a cycle of
        C×C through (q, q) and some (p, p'), p ≠ p'; or two empty alternatives inside a loop. Several,
        because the regex module's guards tame some of the words that show one and not others."""
        pos = self.positions
        found: list[Ambiguity] = []
        for loop, before in self.empty_twice:
            inside = {p for p in range(1, len(pos)) if loop in pos[p].loops}
            for q in sorted(before & inside):
                cycle = _path(q, q, lambda p, inside=inside: self.follow[p] & inside, self._count)
                reached = self.shortest(lambda p, q=q: p == q)
                if cycle and reached:
                    pump = "".join(self.char(pos[p].mask) for p in cycle)
                    found.append(Ambiguity("exponential", reached[0], pump, [self.loop_nodes[loop]], state=q))
                    break
        for comp in self.components():
            inside = set(comp)

            def succ(pair: tuple[int, int], inside: set[int] = inside) -> Iterator[tuple[int, int]]:
                p, p2 = pair
                ahead, ahead2 = self.follow[p] & inside, self.follow[p2] & inside
                self._count(len(ahead) * len(ahead2))
                for q in ahead:
                    for q2 in ahead2:
                        if pos[q].mask & pos[q2].mask and self._compatible(q, q2):
                            yield q, q2

            nodes = _reachable([(p, p) for p in sorted(comp)], succ, self._count)
            for pairs in _sccs(nodes, succ):
                if any(a != b for a, b in pairs):
                    for home in sorted(pair for pair in pairs if pair[0] == pair[1]):
                        found += self._exponential_witness(home, set(pairs), succ)
                        if len(found) >= limit:
                            break
            if len(found) >= limit:
                break
        return sorted(found, key=lambda a: (len(a.pump), len(a.prefix)))[:limit]

    def _exponential_witness(
        self, home: tuple[int, int], pairs: set[tuple[int, int]], succ: Any
    ) -> list[Ambiguity]:
        """The shortest cycle from (q, q) back to it through a pair of different states."""

        def step(node: tuple[tuple[int, int], bool]) -> Iterator[tuple[tuple[int, int], bool]]:
            pair, apart = node
            for nxt in succ(pair):
                if nxt in pairs:
                    yield nxt, apart or nxt[0] != nxt[1]

        cycle = _path((home, False), (home, True), step, self._count)
        reached = self.shortest(lambda p: p == home[0])
        if cycle is None or reached is None:
            return []
        pos = self.positions
        pump = "".join(self.char(pos[a].mask & pos[b].mask) for (a, b), _ in cycle)
        states = {home[0]} | {p for pair, _ in cycle for p in pair}
        return [Ambiguity("exponential", reached[0], pump, [self._common_loop(states)], state=home[0])]

    def _common_loop(self, states: Iterable[int]) -> Node:
        """The innermost unbounded repeat around all of ``states``."""
        chains = [self.positions[p].loops for p in states]
        common = 0
        while all(len(c) > common and c[common] == chains[0][common] for c in chains):
            common += 1
        return self.loop_nodes[chains[0][max(common, 1) - 1]]

    def polynomial(self) -> Ambiguity | None:
        """IDAs between cyclic components, chained: the longest chain of components C1 → … → Cd, each
        with p in Ci, q in Ci+1 and a word that loops on p, loops on q and leads from p to q."""
        comps = self.components()  # sinks first: a component's successors come before it
        reach = [self._forward(set(comp)) for comp in comps]
        chain: list[tuple[int, tuple[int, int, str] | None, int]] = []  # (degree, link, next)
        for i, comp in enumerate(comps):
            best: tuple[int, tuple[int, int, str] | None, int] = (1, None, -1)
            for j in range(i):
                if chain[j][0] + 1 > best[0] and set(comps[j]) & reach[i]:
                    link = self._link_between(comp, comps[j], reach[i])
                    if link is not None:
                        best = (chain[j][0] + 1, link, j)
            chain.append(best)
        degree, start = max(((d, -i) for i, (d, _, _) in enumerate(chain)), default=(1, 0))
        if degree < 2:
            return None
        i = -start
        _, link, _ = chain[i]
        assert link is not None
        p, _, pump = link
        reached = self.shortest(lambda s: s == p)
        if reached is None:
            return None
        loops, last = [], comps[i][0]
        while i >= 0:
            last = comps[i][0]
            loops.append(self.loop_nodes[self.positions[last].loops[-1]])
            i = chain[i][2]
        if all(av is loops[0][1] for _, av in loops) and len(self.positions[last].loops) > 1:
            # copies of one repeat, (a+)+'s a+ in its first pass and in the next: show the outer one
            loops = [self.loop_nodes[self.positions[last].loops[0]]]
        return Ambiguity("polynomial", reached[0], pump, loops, degree=degree, state=p)

    def _forward(self, sources: set[int], within: set[int] | None = None) -> set[int]:
        seen = set(sources)
        queue = list(sources)
        for p in queue:
            for q in self.follow[p]:
                if q not in seen and (within is None or q in within):
                    seen.add(q)
                    queue.append(q)
        self._count(len(seen))
        return seen

    def _link_between(
        self, first: list[int], second: list[int], ahead: set[int]
    ) -> tuple[int, int, str] | None:
        """p in ``first``, q in ``second`` and a word w with p →w p, p →w q, q →w q: a path in N×N×N
        from (p, p, q) to (p, q, q)."""
        pos = self.positions
        one, two = set(first), set(second)
        common = 0  # each character of w is read by a state of both components
        for x in one:
            for z in two:
                common |= pos[x].mask & pos[z].mask
        between = {y for y in ahead & self._backward(two) if pos[y].mask & common}
        if not between & two or not self._forward(one & between, between) & two:
            return None
        in_one = {x: [(x2, pos[x2].mask) for x2 in self.follow[x] & one] for x in one}
        in_two = {z: [(z2, pos[z2].mask) for z2 in self.follow[z] & two] for z in two}
        ahead_of = {y: [(y2, pos[y2].mask) for y2 in self.follow[y] & between] for y in between}

        def succ(t: tuple[int, int, int]) -> Iterator[tuple[int, int, int]]:
            x, y, z = t
            self._count(len(in_one[x]) * len(ahead_of[y]) * max(1, len(in_two[z])))
            for x2, mx in in_one[x]:
                for y2, my in ahead_of[y]:
                    mxy = mx & my
                    if not mxy or not self._compatible(x2, y2):
                        continue
                    for z2, mz in in_two[z]:
                        if mxy & mz and self._compatible(y2, z2):
                            yield x2, y2, z2

        for p in sorted(one):
            for q in sorted(two):
                path = _path((p, p, q), (p, q, q), succ, self._count)
                if path:
                    word = "".join(self.char(pos[x].mask & pos[y].mask & pos[z].mask) for x, y, z in path)
                    return p, q, word
        return None

    def _backward(self, targets: set[int]) -> set[int]:
        if not hasattr(self, "_preceding"):
            self._preceding: list[set[int]] = [set() for _ in self.positions]
            for p, nexts in enumerate(self.follow):
                for q in nexts:
                    self._preceding[q].add(p)
        seen = set(targets)
        queue = list(targets)
        for p in queue:
            for q in self._preceding[p]:
                if q not in seen:
                    seen.add(q)
                    queue.append(q)
        self._count(len(seen))
        return seen

    def completion(self) -> str:
        """The shortest word the pattern accepts (what a line must hold to pass a required-text check)."""
        found = self.shortest(lambda p: p in self.final)
        return found[0] if found else ""


def _reachable(
    sources: list[Any], succ: Callable[[Any], Iterable[Any]], count: Callable[[int], None]
) -> list[Any]:
    seen = set(sources)
    queue = list(sources)
    for node in queue:
        count(1)
        for nxt in succ(node):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return queue


def _path(
    source: Any, target: Any, succ: Callable[[Any], Iterable[Any]], count: Callable[[int], None] | None = None
) -> list[Any] | None:
    """The states after ``source`` on a shortest non-empty path to ``target`` (breadth first)."""
    previous: dict[Any, Any] = {}
    queue = [source]
    for node in queue:
        if count is not None:
            count(1)
        for nxt in succ(node):
            if nxt not in previous:
                previous[nxt] = node
                if nxt == target:
                    path, step = [nxt], node
                    while step != source:
                        path.append(step)
                        step = previous[step]
                    return list(reversed(path))
                queue.append(nxt)
    return None


def _sccs(nodes: Iterable[Hashable], succ: Callable[[Any], Iterable[Any]]) -> list[list[Any]]:
    """Tarjan's strongly connected components, iteratively; sinks first."""
    index: dict[Any, int] = {}
    low: dict[Any, int] = {}
    on_stack: set[Any] = set()
    stack: list[Any] = []
    found: list[list[Any]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(list(succ(root))))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(list(succ(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    found.append(comp)
    return found


# --- verdicts on the real engine ---------------------------------------------------------------


class Redos:
    """A ``regex-redos`` finding: how bad, where, why, and a line that shows it."""

    __slots__ = ("ambiguity", "anchored", "confirmed", "entry", "line", "note")

    def __init__(
        self, ambiguity: Ambiguity | None, entry: int | None, line: str, confirmed: bool, note: str = ""
    ) -> None:
        self.anchored = False  # the pattern starts with ^ or \A: one start position, not n
        self.ambiguity = ambiguity  # None: the analysis was skipped, ``note`` says why
        self.entry = entry  # the pattern part (``match`` entry) it is in, when known
        self.line = line  # the attack line: prefix, pumped word, failing suffix ("" when skipped)
        self.confirmed = confirmed  # the real engine exceeded ATTACK_BUDGET on ``line``
        self.note = note

    @property
    def degree(self) -> int:
        """n^degree for a polynomial IDA, the search's start positions counted; 0 when unknown."""
        amb = self.ambiguity
        if amb is None or amb.kind != "polynomial":
            return 0
        return amb.degree + (0 if self.anchored else 1)

    @property
    def exponential(self) -> bool:
        """Exponential on the real engine: an EDA that a short line makes exhaust the budget."""
        return self.ambiguity is not None and self.ambiguity.kind == "exponential" and self.confirmed

    def message(self) -> str:
        amb = self.ambiguity
        if amb is None:
            return self.note
        loops = _loops_text(amb.loops)
        line = _show_line(self.line)
        fix = "make a repeat possessive (x++) or atomic ((?>...)), or what they match disjoint"
        if self.exponential:
            return (
                f"regex backtracks exponentially: {loops} can match {_show_line(amb.pump)} in more than one "
                f"way, so a line like {line} takes ~2^n steps: the regex module takes more than "
                f"{ATTACK_BUDGET * 1000:.0f} ms on these {len(self.line)} characters; {fix}"
            )
        if amb.kind == "exponential":
            return (
                f"regex backtracks polynomially: {loops} can match {_show_line(amb.pump)} in more than "
                f"one way; the regex module's repeat guards keep a line like {line} from exploding, but "
                f"with the word repeated to {POLYNOMIAL_LENGTH:,} characters it takes more than "
                f"{ATTACK_BUDGET * 1000:.0f} ms; {fix}"
            )
        if len(amb.loops) == 1:
            loops = f"the passes of {loops}"
        steps = f"~n^{amb.degree} steps"
        if not self.anchored:  # the search starts a match at each of the line's positions
            steps += " from each of the n places the search starts at"
        return (
            f"regex backtracks polynomially (degree {self.degree}): {loops} can each match "
            f"{_show_line(amb.pump)}, so a line like {line} with the word repeated n times takes up to "
            f"{steps} (more than {ATTACK_BUDGET * 1000:.0f} ms at {POLYNOMIAL_LENGTH:,} characters); {fix}"
        )


def redos(entries: Sequence[str], compiled: Any) -> Redos | None:
    """The ReDoS verdict of a regex parser: ``entries`` its expanded ``match`` entries, ``compiled``
    the ``regex`` pattern of all of them. None when the analysis finds no ambiguity a line can use.

    Each entry is parsed alone when it can be (so that the finding names its entry), else the joined
    pattern is. Past the analysis' bounds (``MAX_POSITIONS``, ``MAX_PRODUCT``) it falls back to the
    nested-quantifier heuristic of ``Backtracking``, and says so.
    """
    trees = [parse_regex(entry) for entry in entries]
    parts = [t for t in trees if t is not None]
    if len(parts) != len(entries):
        whole = parse_regex("".join(entries))
        if whole is None:
            return None  # a pattern only the regex module reads: not analysed
        parts = [whole]
    try:
        analysis = Analysis(parts)
        candidates = analysis.exponential()
        polynomial = analysis.polynomial()
    except TooLarge as exc:
        return _heuristic(parts, len(entries) == len(parts), str(exc))
    by_entry = len(parts) == len(entries)
    completion = analysis.completion()
    slower = []
    for amb in candidates:
        line = _attack(compiled, amb, completion, ATTACK_LENGTH)
        if line is not None:  # else no line fails after the ambiguous part: the first way succeeds
            half = _attack(compiled, amb, completion, ATTACK_LENGTH // 2) or line
            if _explodes(compiled, line, half):
                return Redos(amb, analysis.entry[amb.state] if by_entry else None, line, True)
            slower.append(amb)
    # Polynomial: the degree of an IDA, else an EDA the engine's guards tame. Reported only when a
    # long line shows it on the engine: its guards and its required-text check leave some alone.
    for amb in ([polynomial] if polynomial else []) + slower[:2]:  # the engine's time is bounded too
        long_line = _attack(compiled, amb, completion, POLYNOMIAL_LENGTH)
        if long_line is not None and _exhausts(compiled, long_line):
            line = _attack(compiled, amb, completion, ATTACK_LENGTH) or long_line
            found = Redos(amb, analysis.entry[amb.state] if by_entry else None, line, False)
            found.anchored = _anchored(parts[0])
            return found
    return None


def _anchored(tree: sre_parse.SubPattern) -> bool:
    """The pattern can only match at the start of the line (``^`` or ``\\A`` first)."""
    items = list(tree)
    while items and items[0][0] is sre.SUBPATTERN:
        items = list(items[0][1][3])
    return items[:1] in ([(sre.AT, sre.AT_BEGINNING)], [(sre.AT, sre.AT_BEGINNING_STRING)])


def _exhausts(compiled: Any, line: str) -> bool:
    try:
        compiled.search(line, timeout=ATTACK_BUDGET)
    except TimeoutError:
        return True
    return False


def _heuristic(parts: list[sre_parse.SubPattern], by_entry: bool, why: str) -> Redos | None:
    for i, tree in enumerate(parts):
        for op, av in Backtracking(tree).nested_loops():
            note = (
                f"{nesting_message(op, av)} (the pattern is too large for the ambiguity analysis, "
                f"{why}: this is the nested-quantifier heuristic's guess)"
            )
            return Redos(None, i if by_entry else None, "", False, note)
    return None


def _explodes(compiled: Any, line: str, half: str) -> bool:
    """The engine exhausts ATTACK_BUDGET on ``line``, and more than 40 times what it takes on ``half``
    (the line with half the pumps): doubling the pumped part multiplies an exponential cost by far
    more than a polynomial one (a cubic by 8), however fast the machine, so a loaded machine does not
    turn a polynomial pattern into an exponential one."""
    start = time.perf_counter()
    try:
        compiled.search(half, timeout=ATTACK_BUDGET)
    except TimeoutError:
        return True
    spent = time.perf_counter() - start
    if spent >= ATTACK_BUDGET:  # the engine checks its clock now and then, not at every step
        return True
    budget = min(4 * ATTACK_BUDGET, max(ATTACK_BUDGET, 40 * spent))
    try:
        compiled.search(line, timeout=budget)
    except TimeoutError:
        return True
    return False


def _attack(compiled: Any, amb: Ambiguity, completion: str, length: int) -> str | None:
    """``prefix + pump * n + suffix`` of at most ATTACK_LENGTH characters, whose suffix makes the
    match that starts at the line's first character fail (the engine is asked, with a small pump);
    a suffix also holds what the pattern must contain, past the engine's required-text check."""
    for c in _FAILING:
        for suffix in [c + completion, c] if set(completion) - set(amb.pump) else [c]:
            try:
                found = compiled.match(amb.prefix + amb.pump * 2 + suffix, timeout=ATTACK_BUDGET)
            except TimeoutError:
                found = None
            if found is None:
                n = max(1, (length - len(amb.prefix) - len(suffix)) // len(amb.pump))
                bounds = [av[1] for op, av in amb.loops if op in _REPEATS and av[1] is not sre.MAXREPEAT]
                if bounds:  # a counted repeat read as a loop: past its count, the engine stops at once
                    n = max(1, min(n, min(bounds) - 2))
                return amb.prefix + amb.pump * n + suffix
    return None


def _loops_text(loops: list[Node]) -> str:
    shown = [_excerpt(_show_item(op, av)) for op, av in loops]
    if len(shown) > 3:
        return f"{shown[0]}, {shown[1]}, … ({len(shown)} repeats)"
    return " and ".join(shown)


def _show_line(text: str) -> str:
    """A line as a quoted literal: its characters, non-printable ones escaped."""
    out = []
    for c in text:
        if c in "\\'":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c, f"\\x{ord(c):02x}"))
    return "'" + "".join(out) + "'"
