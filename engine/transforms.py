"""Where a field's value comes from, at run time: nested paths, concat and split (spec b.3).

The schema compiler emits a plain lookup for the common case (a field read from its own key); these
helpers serve the fields whose schema says otherwise. ``None`` means absent throughout.
"""

from __future__ import annotations

from typing import Any

from .values import string_from_json


def dig(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value at ``keys`` inside nested JSON objects, or ``None`` when any step is missing."""
    value: Any = obj
    for key in keys:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def concat(separator: str, *values: Any) -> str | None:
    """The present, non-empty values as text, joined; ``None`` when there are none."""
    parts = [v if type(v) is str else string_from_json(v) for v in values if v is not None and v != ""]
    return separator.join(parts) if parts else None


def split(value: Any, separator: str, index: int | None) -> str | list[str] | None:
    """Part ``index`` (from 0) of a text split by ``separator``; ``None`` when there is no such part.
    Without an index, every part, spaces and tabs around it trimmed and empty ones left out (an array
    field's elements; ``None`` when none is left): ``"a, b,,c"`` → ``["a", "b", "c"]``."""
    if type(value) is not str:
        return None
    if index is None:
        parts = [part.strip(" \t") for part in value.split(separator)]
        return [part for part in parts if part] or None
    parts = value.split(separator, index + 1)
    return parts[index] if index < len(parts) else None
