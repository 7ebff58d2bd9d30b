"""Writing a draft: the schema file with a comment on each guess, and its test cases.

The schema text is built by hand (``yamltext``) so that each field carries its reasons as comments
above it, in the style of the bundled schemas. Test cases are events the engine itself wrote for
sample lines, so ``normalize test`` passes on the files as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import Draft, FieldDraft
from .yamltext import scalar, value

IGNORED = ("p_row_id", "p_parse_time")


def schema_text(draft: Draft, name: str, origin: str, modeline: str) -> str:
    """The schema file: the modeline, a header comment, the parser block and the fields."""
    lines = [modeline] if modeline else []
    lines.append(f"# Drafted by `normalize infer` from {origin} ({draft.kind}). Each guess says why in the")
    lines.append(
        "# comment above it: check them, rename the fields, then run `normalize test` on this folder."
    )
    lines.extend(f"# Note: {note}" for note in draft.notes)
    lines.append(f"schema: {name}")
    lines.append(f"description: {scalar(f'Drafted by normalize infer from {origin}.')}")
    if draft.parser is not None:
        ((kind, config),) = draft.parser.items()
        lines.append("parser:")
        lines.extend(f"  # {why}" for why in draft.parser_why)
        lines.append(f"  {kind}:")
        for key, item in config.items():
            if key == "match":
                lines.append("    match:")
                lines.extend(f"      - {_single(pattern)}" for pattern in item)
            else:
                lines.append(f"    {key}: {value(item)}")
    lines.append("fields:")
    for field in draft.fields:
        lines.extend(_field(field, "  "))
    return "\n".join(lines) + "\n"


def _single(text: str) -> str:
    """A pattern, always single-quoted (as the bundled schemas write them) when it can be."""
    quoted = scalar(text)
    return quoted if quoted.startswith(("'", '"')) else "'" + text + "'"


def _keys(field: FieldDraft, indent: str) -> list[str]:
    out = [f"{indent}type: {field.type}"]
    if field.required:
        out.append(f"{indent}required: true")
    if field.time_formats:
        out.append(f"{indent}timeFormats: {value(list(field.time_formats))}")
    if field.is_event_time:
        out.append(f"{indent}isEventTime: true")
    if field.indicators:
        out.append(f"{indent}indicators: {value(list(field.indicators))}")
    if field.rename is not None:
        out.append(f"{indent}rename: {{from: {scalar(field.rename)}}}")
    if field.fields:
        out.append(f"{indent}fields:")
        for child in field.fields:
            out.extend(_field(child, indent + "  "))
    if field.element is not None:
        out.extend(f"{indent}# {why}" for why in field.element.why)
        out.append(f"{indent}element:")
        out.extend(_keys(field.element, indent + "  "))
    return out


def _field(field: FieldDraft, indent: str) -> list[str]:
    out = [f"{indent}# {why}" for why in field.why]
    out.append(f"{indent}- name: {scalar(field.name)}")
    out.extend(_keys(field, indent + "  "))
    return out


def tests_text(cases: Sequence[tuple[str, str, dict[str, Any]]], schema_file: str, command: str) -> str:
    """The test file: each case's name, input and the event the engine wrote for it."""
    lines = [
        f"# Test cases for {schema_file}, events the engine wrote for sample lines: run them with {command}."
    ]
    for title, text, event in cases:
        lines.append(f"- name: {scalar(title)}")
        lines.append(f"  input: {scalar(text)}")
        lines.append("  result:")
        for key, item in event.items():
            lines.append(f"    {scalar(key)}: {value(item)}")
    return "\n".join(lines) + "\n"


def expected(event: dict[str, Any]) -> dict[str, Any]:
    """What a test case expects of an event: all of it but what differs on every run (the event
    time too, when it is the parse time)."""
    out = {k: v for k, v in event.items() if k not in IGNORED}
    if event.get("p_event_time") == event.get("p_parse_time"):
        out.pop("p_event_time", None)
    return out
