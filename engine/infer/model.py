"""What inference produces before it is written: a draft of each field and of the parser.

A draft keeps, beside each choice, the reasons for it (``why``): they become the YAML comments of
the schema file and the ``--explain`` report, so that a reader can check every guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldDraft:
    """One field (or an array's element): its type, the type's keys, and why each was chosen."""

    name: str
    type: str
    why: list[str] = field(default_factory=list)
    required: bool = False
    time_formats: tuple[str, ...] = ()
    is_event_time: bool = False
    indicators: tuple[str, ...] = ()
    fields: list[FieldDraft] = field(default_factory=list)  # object
    element: FieldDraft | None = None  # array
    rename: str | None = None  # the input key, when it cannot be the field's name

    def walk(self, path: str = "") -> list[tuple[str, FieldDraft]]:
        """This field and every field under it, depth first, each with its dotted path."""
        here = f"{path}.{self.name}" if path else self.name
        found = [(here, self)]
        for child in self.fields:
            found += child.walk(here)
        if self.element is not None:
            found += self.element.walk(here + "[]")
        return found


@dataclass(frozen=True)
class Outlier:
    """A sample line the drafted schema does not take, and why."""

    source: str
    line: int
    text: str
    why: str


@dataclass
class Draft:
    """A drafted schema: the parser block (None for JSON lines), the fields, and notes for the reader."""

    kind: str  # "JSON lines", "CSV", "text"
    parser: dict[str, Any] | None
    fields: list[FieldDraft]
    notes: list[str] = field(default_factory=list)
    parser_why: list[str] = field(default_factory=list)
    outliers: list[Outlier] = field(default_factory=list)

    def walk(self) -> list[tuple[str, FieldDraft]]:
        """Every field, depth first, with its dotted path."""
        return [item for f in self.fields for item in f.walk()]
