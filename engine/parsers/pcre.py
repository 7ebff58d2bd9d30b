"""A schema regex rewritten for PCRE2, for the C accelerator, where the rewrite matches exactly.

The regex parser (``regex.py``) runs the ``regex`` module with ASCII classes: that is the reference.
The accelerator can run a pattern with PCRE2 (JIT-compiled, on whole blocks, without the GIL), a
backtracking engine with the same leftmost-first, greedy-or-lazy semantics and the same capture
rules. The two read pattern *syntax* differently in places (``\\N``, ``[[:alpha:]]``, ``\\Z``,
``(?i)`` on non-ASCII letters, fuzzy ``{e<=1}``), so the pattern is not passed through: it is parsed
by the stdlib's parser (``regexcheck.parse_regex``) and written out again from its tree, every
character as ``\\x{...}``, every class spelled out, every group numbered as in the original. Only
the constructs whose meaning is the same in both engines are written; for any other (lookaround,
backreferences, conditionals, atomic groups, possessive repeats, inline flags, POSIX classes, ...)
``translate`` answers ``None`` and the schema stays on the reference path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as sre
from typing import Any, Final

from .regexcheck import parse_regex

PCRE2_MAX_REPEAT: Final = 65535
"""PCRE2's largest bounded repeat count (``{n,m}``)."""

_UNSURE_SYNTAX: Final = re.compile(r"\[:\^?[A-Za-z]*:\]|\\N|\{[A-Za-z]")
"""Text that the ``regex`` module reads otherwise than the stdlib parser: POSIX classes
(``[[:digit:]]``), named characters (``\\N{...}``, which PCRE2 reads as "not a newline"), fuzzy
constraints (``{e<=1}``). Refused outright, wherever it stands."""

_CATEGORIES: Final = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
"""ASCII classes: the ``regex`` module with ``regex.ASCII`` and PCRE2 without UCP agree on them
(``\\s`` is space, \\t, \\n, \\v, \\f, \\r in both)."""

_ANCHORS: Final = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",  # the end, or before a final \n, in both engines
    sre.AT_END_STRING: r"\z",  # Python's \Z
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}

_ALLOWED_FLAGS: Final = re.ASCII | re.VERBOSE  # verbose only changes how the source reads


class _Untranslatable(Exception):
    """A construct PCRE2 would not run exactly as the ``regex`` module does."""


def translate(source: str) -> str | None:
    """``source`` (a schema's expanded regex) as a PCRE2 pattern with the same matches and groups,
    or ``None`` when that cannot be promised. Run it with ``PCRE2_UTF`` on valid UTF-8."""
    if _UNSURE_SYNTAX.search(source):
        return None
    tree = parse_regex(source)
    if tree is None or tree.state.flags & ~_ALLOWED_FLAGS:
        return None
    try:
        body = _sequence(list(tree))
    except _Untranslatable:
        return None
    # (*LF): only \n is a newline, as for Python ("." and "$" depend on it); \x{...} escapes need UTF.
    return "(*LF)(*UTF)" + body


def _sequence(items: Iterable[tuple[Any, Any]]) -> str:
    return "".join(_item(op, av) for op, av in items)


def _item(op: Any, av: Any) -> str:
    if op is sre.LITERAL:
        return _char(av)
    if op is sre.NOT_LITERAL:
        return f"[^{_char(av)}]"
    if op is sre.ANY:
        return "."
    if op is sre.IN:
        return _class(av)
    if op is sre.AT and av in _ANCHORS:
        return _ANCHORS[av]
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(branch) for branch in av[1]) + ")"
    if op is sre.SUBPATTERN:
        group, add_flags, del_flags, body = av
        if add_flags or del_flags:
            raise _Untranslatable("inline flags")
        return ("(?:" if group is None else "(") + _sequence(body) + ")"
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, high, body = av
        if (high != sre.MAXREPEAT and high > PCRE2_MAX_REPEAT) or low > PCRE2_MAX_REPEAT:
            raise _Untranslatable("a repeat count PCRE2 does not take")
        count = f"{{{low},}}" if high == sre.MAXREPEAT else f"{{{low},{high}}}"
        return "(?:" + _sequence(body) + ")" + count + ("?" if op is sre.MIN_REPEAT else "")
    raise _Untranslatable(str(op))


def _class(items: list[tuple[Any, Any]]) -> str:
    parts = []
    for op, av in items:
        if op is sre.NEGATE:
            parts.append("^")
        elif op is sre.LITERAL:
            parts.append(_char(av))
        elif op is sre.RANGE:
            parts.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is sre.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:
            raise _Untranslatable(str(op))
    if parts in ([], ["^"]):
        raise _Untranslatable("an empty class")
    return "[" + "".join(parts) + "]"


def _char(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:
        raise _Untranslatable("a surrogate, which UTF-8 text never holds")
    return f"\\x{{{code:x}}}"


__all__ = ["translate"]
