"""What the text parsers share after matching: Go's whitespace, and ``expandFields`` templates.

The options themselves (trimSpace, emptyValues, expandFields) are applied by generated code in the
schema compiler, in Panther's order (spec a.4); this module holds the pieces it needs.
"""

from __future__ import annotations

import re

from ..errors import SchemaError

# Go's unicode.IsSpace set, what strings.TrimSpace strips (spec a.4 step 4). Python's str.strip()
# would also strip U+001C-U+001F, which Go keeps.
GO_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

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
