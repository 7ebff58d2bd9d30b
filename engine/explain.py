"""``normalize explain``: how one line goes through a schema, step by step, and where it fails.

The steps are rebuilt from the same pieces the compiled function uses (the parser's branches, the
text options' reference in ``parsers/text.py``, the field converters and rules), so every field is
shown with its own outcome, not only the first failure; the result at the end is the real one, from
the normalizer itself.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from . import rules, transforms
from .compiler import CompiledSchema
from .decisions import decide, keeps_empty_text
from .errors import BadValue, InvalidJSON, NormalizeError, RegexTimeout
from .normalizer import Normalizer
from .parsers import jsonlines
from .parsers.text import apply_options
from .spec import Field, Schema, Value
from .values import encode_event


@dataclass
class FieldStep:
    """One field: what the parser gave it, and what became of it."""

    name: str
    raw: Any = None  # the captured text (or decoded JSON value); None when absent
    value: Any = None  # the converted value, when it converted
    problem: str | None = None  # why it did not convert or broke a rule
    present: bool = False


@dataclass
class Explanation:
    """One line through one schema."""

    schema: str
    parser: str
    steps: list[str] = field(default_factory=list)  # what the parser did, in words
    fields: list[FieldStep] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)  # {"event": ...} or {"reject": ...}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "parser": self.parser,
            "steps": self.steps,
            "fields": [
                {k: v for k, v in vars(f).items() if k != "present" and (v is not None or k == "name")}
                for f in self.fields
            ],
            "result": self.result,
        }


class Explainer:
    """Explains lines through a normalizer's schemas, each with a one-schema normalizer built once
    (its result is the real one: what that schema alone does with the line)."""

    def __init__(self, normalizer: Normalizer) -> None:
        if normalizer.sequential:
            raise NormalizeError(
                f"{normalizer.schema.name} takes its column names from each file's header line, which "
                "explain does not read: give the schema its csv columns to explain lines"
            )
        compiled_all = normalizer.classifier or ((normalizer.compiled,) if normalizer.compiled else ())
        self._schemas = [
            (compiled, Normalizer(compiled.schema, invalid_utf8=normalizer.invalid_utf8))
            for compiled in compiled_all
        ]

    def explain(self, line: str | bytes) -> list[Explanation]:
        """``line`` through each schema, in order: text, or bytes as read (which, when they are not
        UTF-8, go as a run takes them: an invalid_utf8 reject, or decoded with replacement)."""
        if isinstance(line, bytes):
            with contextlib.suppress(UnicodeDecodeError):
                line = line.decode("utf-8")
        return [_explain(compiled, line, single) for compiled, single in self._schemas]


def explain(normalizer: Normalizer, line: str | bytes) -> list[Explanation]:
    """``line`` through each schema of ``normalizer``, in order (one line: see ``Explainer`` for many)."""
    return Explainer(normalizer).explain(line)


def _explain(compiled: CompiledSchema, line: str | bytes, single: Normalizer) -> Explanation:
    schema = compiled.schema
    out = Explanation(schema.name, schema.parser.kind)
    first_line = 1
    if single.has_prologue and not single.sequential:
        # The line is explained as a record of a file, not as the first lines the schema swallows.
        first_line = 1 + schema.parser.options.skip_lines + bool(schema.parser.config.get("hasHeader"))
        out.steps.append(f"explained as line {first_line} of a file, after {_prologue(schema)}")
    batch = single.normalize([line], source="explain", first_line=first_line)
    if batch.skipped:  # before any parsing, as the normalizer does
        kind = next(iter(batch.skipped))
        out.steps.append(_skip_reason(kind, schema))
        out.result = {"skipped": kind}
        return out
    if isinstance(line, bytes):
        if batch.rejects:
            out.steps.append("the line is not valid UTF-8")
            out.result = {"reject": batch.rejects[0].to_dict()}
            return out
        out.steps.append(
            "the line is not valid UTF-8: read with U+FFFD for each bad byte (--invalid-utf8 replace)"
        )
        line = line.decode("utf-8", "replace")
    raw = _raw_values(compiled, line, out)
    if raw is not None:
        json = schema.parser.kind == "json"
        for f in schema.fields:
            try:
                value = _field_input(f, raw, json=json)
            except BadValue as exc:  # concat of a value that has no text form
                out.fields.append(FieldStep(f.name, problem=f"not a valid {exc.expected}", present=True))
                continue
            out.fields.append(_field_step(f.name, f.value, value, json=json))
    if batch.events:
        out.result = {"event": batch.events[0]}
    else:
        out.result = {"reject": batch.rejects[0].to_dict()}
    return out


def _prologue(schema: Schema) -> str:
    """The first lines of a file that ``schema`` swallows, in words."""
    skip = schema.parser.options.skip_lines
    parts = [f"the {skip} line(s) that skipLines skips"] if skip else []
    if schema.parser.config.get("hasHeader"):
        parts.append("the CSV header")
    return " and ".join(parts)


def _skip_reason(kind: str, schema: Schema) -> str:
    if kind == "skip_prefix":
        return f"the line starts with skipPrefix {schema.parser.options.skip_prefix!r}"
    return "the line is blank" if kind == "blank" else kind


def _raw_values(compiled: CompiledSchema, line: str, out: Explanation) -> dict[str, Any] | None:
    """The name → raw value pairs the parser gives, with the parser's steps noted in ``out``."""
    schema: Schema = compiled.schema
    if compiled.parser is None:  # JSON lines
        try:
            values = jsonlines.decode_line(line)
        except InvalidJSON as exc:
            out.steps.append(f"not read: {exc}")
            return None
        out.steps.append(f"read a JSON object with {len(values)} key(s)")
        return values
    options = schema.parser.options
    for index, (match, names) in enumerate(compiled.parser.branches):
        try:
            found = match(line)
        except RegexTimeout as exc:
            out.steps.append(f"the regex timed out: {exc}")
            return None
        if found is not None:
            which = f"match[{index}]" if len(compiled.parser.branches) > 1 else "the pattern"
            out.steps.append(f"{which} matched")
            return apply_options(zip(names, found, strict=True), options)
    out.steps.append(f"no match: {compiled.parser.why_not(line)}")
    return None


def _field_input(f: Field, raw: dict[str, Any], *, json: bool) -> Any:
    """What the field reads, transformations applied: the same steps as the compiled function."""
    inputs = [transforms.dig(raw, path) if json else raw.get(".".join(path)) for path in f.paths]
    if f.join is not None:
        value = transforms.concat(f.join, *inputs)
    elif f.split is not None:
        value = transforms.split(inputs[0], *f.split)
    else:
        value = inputs[0]
    return f.mask if f.mask is not None and value is not None else value


def _field_step(name: str, value: Value, raw: Any, *, json: bool) -> FieldStep:
    step = FieldStep(name, raw)
    step.present = raw is not None and (keeps_empty_text(value, json=json) or raw != "")
    if not step.present:
        if value.required:
            step.problem = "required, but absent"
        return step
    if value.type in ("object", "array"):
        step.value = raw  # nested values: the result below shows them converted
        return step
    try:
        converted = decide(value, json=json).apply(raw)
    except BadValue as exc:
        if isinstance(exc, rules.RuleFailed):
            step.problem = f"fails its {exc.rule!r} rule: {exc.detail}"
        else:
            step.problem = f"not a valid {exc.expected}" + (f" ({exc.detail})" if exc.detail else "")
        return step
    step.value = converted
    return step


def render(explanations: list[Explanation], line_number: int) -> str:
    """The explanations of one line, for a person."""
    parts = []
    for e in explanations:
        outcome = next(iter(e.result))
        shown = f"skipped ({e.result['skipped']})" if outcome == "skipped" else outcome
        parts.append(f"line {line_number} with {e.schema} ({e.parser}): {shown}")
        parts.extend(f"  {step}" for step in e.steps)
        width = max((len(f.name) for f in e.fields), default=0)
        for f in e.fields:
            shown = "-" if f.raw is None else _short(f.raw)
            if f.problem:
                verdict = f"✗ {f.problem}"
            elif not f.present:
                verdict = "absent"
            else:
                verdict = f"→ {_short(f.value)}"
            parts.append(f"  {f.name:<{width}}  {shown:<30}  {verdict}")
        if outcome == "reject":
            reject = e.result["reject"]
            # The parser's reason is a step already (no_match, invalid_json): not said twice.
            told = any(step.endswith(reject["message"]) for step in e.steps)
            parts.append(f"  result: {reject['reason']}" + ("" if told else f": {reject['message']}"))
    return "\n".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = encode_event(value).decode()  # as a run writes it: any depth, a lone surrogate as U+FFFD
    return text if len(text) <= limit else text[: limit - 1] + "…"
