"""What the text parsers share: the compiled parser's shape and ``expandFields`` templates.

The options themselves (trimSpace, emptyValues, expandFields) are applied by generated code in the
schema compiler, in Panther's order (spec a.4); this module holds the pieces it needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SchemaError
from ..whitespace import GO_WHITESPACE

if TYPE_CHECKING:
    from ..spec import TextOptions

Branch = tuple[Callable[[str], tuple[str, ...] | None], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class TextParser:
    """A compiled text parser: branches tried in order, and a slow explanation for failures."""

    branches: tuple[Branch, ...]
    why_not: Callable[[str], str]
    inline: Callable[[Sequence[str]], tuple[list[str], dict[str, Any]]] | None = None
    """For a single branch: its matching code, as lines to put into the line function (values into
    the given local names, ``return None`` on failure) and the globals they use; saves a call and a
    tuple per line."""


_TAG = re.compile(r"%\{([^}]*)\}")


def parse_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split an ``expandFields`` template into literal texts and the field names between them.

    ``'%{ a }:%{b}'`` → ``(('', ':', ''), ('a', 'b'))``: literals always has one more item than
    names. Names are trimmed as Panther trims them. An unclosed ``%{`` is a ``SchemaError`` (Panther's
    template library panics on it, spec j.11).
    """
    literals: list[str] = []
    names: list[str] = []
    pos = 0
    for m in _TAG.finditer(template):
        literals.append(template[pos : m.start()])
        names.append(m.group(1).strip(GO_WHITESPACE))
        pos = m.end()
    tail = template[pos:]
    if "%{" in tail:
        raise SchemaError(f"unclosed %{{ in template {template!r}")
    literals.append(tail)
    return tuple(literals), tuple(names)


def apply_options(pairs: Iterable[tuple[str, str]], options: TextOptions) -> dict[str, str]:
    """trimSpace, emptyValues and expandFields on captured pairs, step by step (spec a.4).

    The reference the schema compiler's generated code follows, kept readable for ``explain`` and
    for tests that hold the two against each other. Pairs come in emission order; for a repeated
    name the last one wins, as Panther's JSON decoder keeps the last key (spec a.3).
    """
    values: dict[str, str] = {}
    for name, captured in pairs:
        if not name:  # the unnamed %{} emits nothing
            continue
        value = captured.strip(GO_WHITESPACE) if options.trim_space else captured
        values.pop(name, None)
        if value not in options.empty_values:
            values[name] = value
    for target, template in options.expand_fields:
        literals, names = parse_template(template)
        parts = (values.get(name, "") + literal for name, literal in zip(names, literals[1:], strict=True))
        expanded = literals[0] + "".join(parts)
        if expanded and expanded not in options.empty_values:
            values.pop(target, None)
            values[target] = expanded
    return values
