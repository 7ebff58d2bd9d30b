"""Go's whitespace, and the blank line every path skips.

Panther trims with Go's ``strings.TrimSpace`` (``unicode.IsSpace``), and skips a line that holds
nothing else. Python's ``str.strip()`` would also strip U+001C-U+001F, which Go keeps: so every trim
and every blank test in the engine goes through this module. The C accelerator never decides that a
line is blank: a line whose first byte may begin Go whitespace (its ``may_be_blank``) goes back to
the reference path, which asks ``is_blank``.
"""

from __future__ import annotations

from typing import Final

GO_WHITESPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""Go's ``unicode.IsSpace`` set: what ``strings.TrimSpace`` strips (spec a.4 step 4)."""


def is_blank(line: str) -> bool:
    """Whether ``line`` is empty or only Go whitespace: skipped and counted as ``blank``, never parsed."""
    return not line or (line[0] in GO_WHITESPACE and not line.strip(GO_WHITESPACE))
