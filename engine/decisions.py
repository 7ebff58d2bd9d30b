"""What a value becomes, decided once per field: the data both executors are built from.

The schema compiler writes Python from these decisions, and the accelerator's plan (``plan.py``)
hands them to C: which rule reads the text (kept as it is, an integer within its type's limits,
RFC 3339, an epoch count, or a Python converter), whether ``""`` is kept or is null, the ``validate``
check, and the indicators. Deciding in one place keeps the two executors from drifting: a rule the C
side runs itself (``kind``) is named here with its limits, and the values those limits come from are
the reference converters' own (``values.INT_BITS``, ``timestamps.EPOCH_UNIT_NS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from . import rules, timestamps, values
from .parsers import jsonlines
from .spec import Value

TEXT: Final = "text"
"""The text is the value (``string`` and ``json`` without ``validate``)."""
INTEGER: Final = "integer"
"""Go's ``ParseInt`` within ``-int_max - 1 … int_max``."""
RFC3339: Final = "rfc3339"
"""A timestamp in RFC 3339 alone."""
EPOCH: Final = "epoch"
"""A timestamp in one epoch format: a count of ``unit_ns`` nanoseconds (``unix`` also takes a
fraction, which the accelerator leaves to the Python converter)."""
CONVERTED: Final = "converted"
"""Anything else: ``convert`` (and ``check``) in Python."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What one scalar value of a schema becomes."""

    kind: str
    """``TEXT``, ``INTEGER``, ``RFC3339``, ``EPOCH`` or ``CONVERTED``: the rule that reads the text."""
    keeps_empty: bool
    """Whether ``""`` is kept (``string``, ``json``) rather than made null (spec b.2)."""
    convert: Callable[[Any], Any] | None
    """Input → value, raising ``BadValue``; ``None`` keeps the input as it is."""
    check: Callable[[Any], None] | None
    """The ``validate`` rules of a string, raising ``RuleFailed``; ``None`` without rules."""
    int_max: int = 0
    """For ``INTEGER``: the type's largest value."""
    safe_digits: int = 0
    """For ``INTEGER``: how many ASCII digits always fit, so that ``int()`` alone is exact."""
    unit_ns: int = 0
    """For ``EPOCH``: nanoseconds per unit."""

    def apply(self, value: Any) -> Any:
        """``value`` converted and checked as the reference path does it: what it writes, or
        ``BadValue`` (a ``RuleFailed`` for a ``validate`` rule) where it refuses the value."""
        if self.convert is not None:
            value = self.convert(value)
        if self.check is not None:
            self.check(value)
        return value


def decide(value: Value, *, json: bool = False) -> Decision:
    """The decision for a scalar ``value`` read from text, or from a decoded JSON line (``json``)."""
    kind_of = value.type
    keeps_empty = keeps_empty_text(value, json=json)
    check = rules.compile_validate(value.validate) if kind_of == "string" else None
    convert = jsonlines.converter(kind_of, value.time_formats) if json else text_converter(value)
    if kind_of in values.INT_BITS:
        return Decision(
            INTEGER,
            keeps_empty,
            convert,
            check,
            int_max=values.int_max(kind_of),
            safe_digits=values.SAFE_DIGITS[kind_of],
        )
    if kind_of == "timestamp" and value.time_formats in timestamps.RFC3339_ONLY:
        return Decision(RFC3339, keeps_empty, convert, check)
    if kind_of == "timestamp" and len(value.time_formats) == 1:
        unit = timestamps.EPOCH_UNIT_NS.get(value.time_formats[0])
        if unit is not None:
            return Decision(EPOCH, keeps_empty, convert, check, unit_ns=unit)
    if convert is None and check is None:
        return Decision(TEXT, keeps_empty, None, None)
    return Decision(CONVERTED, keeps_empty, convert, check)


def keeps_empty_text(value: Value, *, json: bool = False) -> bool:
    """Whether ``""`` stays ``""`` for ``value`` rather than becoming null: for ``string`` and
    ``json``, and for an ``object`` or ``array`` decoded from JSON (spec b.2)."""
    return value.type in ("string", "json") or (json and value.type in ("object", "array"))


def text_converter(value: Value) -> Callable[[str], Any] | None:
    """The text → value function for a scalar, or ``None`` when the text is kept as it is."""
    if value.type in ("string", "json"):  # json from a text parser is a JSON string (spec b.2, T23)
        return None
    if value.type == "timestamp":
        return timestamps.compile_time_text(value.time_formats)
    return values.TEXT_CONVERTERS[value.type]


__all__ = [
    "CONVERTED",
    "EPOCH",
    "INTEGER",
    "RFC3339",
    "TEXT",
    "Decision",
    "decide",
    "keeps_empty_text",
    "text_converter",
]
