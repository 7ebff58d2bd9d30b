"""Writing YAML by hand: scalars quoted only when they must be, so the files read like the bundled ones.

A generated file is read back by ``engine.yamlio`` (YAML 1.2 core schema): a plain scalar must not
read as another type (``true``, ``12``, ``null``) nor hold YAML syntax; anything else is single-quoted,
or double-quoted with escapes when it holds a character that a single-quoted scalar cannot carry.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

_PLAIN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_./@-]*")
_RESERVED: Final = frozenset(
    {
        "true",
        "false",
        "null",
        "True",
        "False",
        "TRUE",
        "FALSE",
        "Null",
        "NULL",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
    }
)


def scalar(text: str) -> str:
    """A YAML scalar for the string ``text``."""
    if _PLAIN.fullmatch(text) and text not in _RESERVED:
        return text
    if all(c.isprintable() for c in text) and text == text.strip() and text:
        return "'" + text.replace("'", "''") + "'"
    return _double(text)


def _double(text: str) -> str:
    out = []
    for char in json.dumps(text, ensure_ascii=False):
        if char.isprintable() or char == " ":
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def value(data: Any) -> str:
    """Any JSON-like value as one line of YAML flow (mappings and lists in flow style)."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int):
        return str(data)
    if isinstance(data, float):
        if not math.isfinite(data):
            raise ValueError("NaN and infinities have no place in a test file")
        text = repr(float(data))
        return text if any(c in text for c in ".e") else text + ".0"
    if isinstance(data, str):
        return scalar(data)
    if isinstance(data, dict):
        return "{" + ", ".join(f"{scalar(str(k))}: {value(v)}" for k, v in data.items()) + "}"
    if isinstance(data, list | tuple):
        return "[" + ", ".join(value(v) for v in data) + "]"
    raise TypeError(f"{type(data).__name__} cannot be written as YAML")
