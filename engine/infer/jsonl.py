"""JSON lines: every key of every object, its type merged across lines, nested objects and arrays.

Each line's object is folded into a tree of ``Node`` summaries (how often a key was present, and
the values of each JSON kind it held); the tree then becomes field drafts. Types merge across
lines: int widens to bigint to float, text with numbers becomes string (the string type takes JSON
numbers and booleans as their text), and anything mixed with objects or arrays becomes ``json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from .model import FieldDraft
from .values import count, epoch_format, guess_text, integer_type, share

MAX_OBJECT_FIELDS: Final = 200
"""An object with more distinct keys than this is kept as ``json`` (a map, not a record)."""


VARYING_KEYS: Final = 8
VARYING_SHARE: Final = 0.25
"""An object with at least this many keys, each in less than this share of the objects on average,
is kept as ``json``: its keys depend on the line (request parameters), not a fixed record."""


@dataclass
class Node:
    """What one key (or an array's elements) held across the sample lines."""

    present: int = 0  # non-null occurrences
    nulls: int = 0
    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    bools: int = 0
    strings: list[str] = field(default_factory=list)
    objects: int = 0
    children: dict[str, Node] = field(default_factory=dict)
    arrays: int = 0
    element: Node | None = None

    def add(self, value: Any) -> None:
        """Fold one JSON value in."""
        if value is None:
            self.nulls += 1
            return
        self.present += 1
        if isinstance(value, bool):
            self.bools += 1
        elif isinstance(value, int):
            self.ints.append(value)
        elif isinstance(value, float):
            self.floats.append(value)
        elif isinstance(value, str):
            self.strings.append(value)
        elif isinstance(value, dict):
            self.objects += 1
            for key, item in value.items():
                self.children.setdefault(key, Node()).add(item)
        elif isinstance(value, list):
            self.arrays += 1
            if self.element is None:
                self.element = Node()
            for item in value:
                self.element.add(item)

    def kinds(self) -> list[str]:
        """The JSON kinds seen, in a fixed order."""
        seen = {
            "boolean": self.bools,
            "integer": len(self.ints),
            "number": len(self.floats),
            "string": len(self.strings),
            "object": self.objects,
            "array": self.arrays,
        }
        return [kind for kind, n in seen.items() if n]


def fields_of(root: Node) -> list[FieldDraft]:
    """The drafts of the top-level keys of the sample objects, in the order first seen."""
    return _members(root, top_level=True)


def _members(parent: Node, *, top_level: bool = False) -> list[FieldDraft]:
    drafts = []
    for key, node in parent.children.items():
        if not key:
            continue  # a field needs a name; an empty key cannot be read
        draft = draft_of(key, node)
        if top_level and key.startswith("p_"):
            draft.name, draft.rename = f"field_{key}", key
            draft.why.append(f"named field_{key}: p_ names are the standard fields; read from {key!r}")
        total = parent.objects
        present = node.present if draft.type in ("string", "json") else _converted(node)
        if present == total and total:
            draft.required = True
            draft.why.append(
                f"required: present in all {count(total, 'object' if not top_level else 'line')}"
            )
        drafts.append(draft)
    return drafts


def _converted(node: Node) -> int:
    """Occurrences that stay present once converted: "" is null for every type but string and json."""
    return node.present - sum(1 for s in node.strings if s == "")


def draft_of(name: str, node: Node) -> FieldDraft:
    """The field draft of one key from what it held."""
    kinds = node.kinds()
    n = node.present
    if not kinds:
        return FieldDraft(
            name, "json", [f"json: always null ({count(node.nulls, 'value')}), so any JSON is taken"]
        )
    if kinds == ["boolean"]:
        return FieldDraft(name, "boolean", [f"boolean: {share(n, n)} are JSON booleans"])
    if kinds in (["integer"], ["integer", "number"], ["number"]):
        return _number(name, node)
    if kinds == ["string"]:
        texts = [s for s in node.strings if s]
        guess = guess_text(name, texts, numbers=False)
        draft = FieldDraft(name, guess.type, [f"{guess.type}: {guess.why[0]}", *guess.why[1:]])
        draft.time_formats, draft.indicators = guess.time_formats, guess.indicators
        if len(texts) < len(node.strings):
            draft.why.append(
                f"{count(len(node.strings) - len(texts), 'empty string')} left out of the analysis"
            )
        return draft
    if kinds == ["object"]:
        if not node.children:
            return FieldDraft(name, "json", ["json: always an empty object, whose fields cannot be known"])
        if len(node.children) > MAX_OBJECT_FIELDS:
            return FieldDraft(
                name, "json", [f"json: {len(node.children):,} distinct keys, a map rather than a record"]
            )
        mean = sum(c.present + c.nulls for c in node.children.values()) / len(node.children) / node.objects
        if len(node.children) >= VARYING_KEYS and mean < VARYING_SHARE:
            why = (
                f"json: {len(node.children)} keys, each in {mean:.0%} of the objects on average: keys "
                "that vary from line to line (parameters, a map), kept as JSON"
            )
            return FieldDraft(name, "json", [why])
        return FieldDraft(
            name,
            "object",
            [f"object: {share(n, n)} are JSON objects ({count(len(node.children), 'key')} seen)"],
            fields=_members(node),
        )
    if kinds == ["array"]:
        element = node.element if node.element is not None else Node()
        if not element.kinds():
            inner = FieldDraft("element", "json", ["json: no element seen in the samples"])
        else:
            inner = draft_of(name, element)
        return FieldDraft(name, "array", [f"array: {share(n, n)} are JSON arrays"], element=inner)
    if "object" in kinds or "array" in kinds:
        return FieldDraft(
            name, "json", [f"json: values of several shapes ({', '.join(kinds)}), kept as JSON"]
        )
    return FieldDraft(
        name, "string", [f"string: values of several kinds ({', '.join(kinds)}); string takes them as text"]
    )


def _number(name: str, node: Node) -> FieldDraft:
    numbers: list[int | float] = [*node.ints, *node.floats]
    n = len(numbers)
    epoch = epoch_format(name, numbers)
    if epoch is not None:
        return FieldDraft(name, "timestamp", [f"timestamp: {epoch[1]}"], time_formats=(epoch[0],))
    if node.floats:
        return FieldDraft(
            name, "float", [f"float: {share(n, n)} are JSON numbers, {len(node.floats):,} with a fraction"]
        )
    kind, why = integer_type(node.ints)
    return FieldDraft(name, kind, [f"{kind}: {share(n, n)} are {why}"])
