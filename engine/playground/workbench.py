"""What the playground runs: a schema text on a sample text, as ``lint``, the CLI and ``explain`` would.

Each call is whole and stateless: the page sends the editor's schema and sample, and gets back the
lint findings at their line and column, and (when the schema has no error) the outcome of every
sample line, event, reject or skip, with the ``explain`` of the line under the cursor. Lines go
through the engine one at a time, continuing one input (``skipLines`` and a CSV header apply as
for a file), so that each outcome is known by its line number. The sample is bounded: the page
runs on every pause in typing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from ..batch import Batch, encode_rejects
from ..errors import NormalizeError, SchemaError
from ..explain import Explainer, render
from ..infer import draft_files, sample_cases, sample_lines
from ..infer import explain as reasons
from ..infer.write import tests_text
from ..lint import ERROR, Finding, lint_text
from ..normalizer import Normalizer
from ..registry import load_schema_document
from ..spec import Schema
from ..yamlio import parse_yaml

MAX_SAMPLE_LINES: Final = 2_000
"""Sample lines run (and inferred from); the rest are left out, and the answer says how many."""
SCHEMA_FILE: Final = "schema.yml"
"""The name findings give the editor's schema (the page has no file)."""
SOURCE: Final = "sample"


@dataclass(frozen=True, slots=True)
class Sample:
    """The sample pane's lines, bounded to ``MAX_SAMPLE_LINES``; ``left_out`` counts the rest."""

    lines: list[str]
    left_out: int

    @classmethod
    def of(cls, text: str) -> Sample:
        lines = sample_lines(text)
        return cls(lines[:MAX_SAMPLE_LINES], max(0, len(lines) - MAX_SAMPLE_LINES))


def diagnostic(finding: Finding) -> dict[str, Any]:
    """A lint finding for the editor: 1-based line and column (``None`` when unknown)."""
    return {
        "line": finding.line,
        "col": finding.col,
        "severity": finding.severity,
        "rule": finding.rule,
        "message": finding.message,
        "text": finding.text(),
    }


def load(schema_text: str) -> tuple[Schema | None, list[Finding]]:
    """The editor's schema, built when lint finds no error in it, and every finding."""
    findings = lint_text(schema_text, SCHEMA_FILE)
    if any(f.severity == ERROR for f in findings):
        return None, findings
    try:
        return load_schema_document(parse_yaml(schema_text, SCHEMA_FILE)), findings
    except SchemaError as exc:  # lint passed but the loader did not: show it where it is
        found = Finding(SCHEMA_FILE, exc.line, exc.col, ERROR, "schema-semantic", exc.message)
        return None, [*findings, found]


def outcome(number: int, batch: Batch) -> dict[str, Any]:
    """One line's result: its event, its reject, or why it was skipped."""
    if batch.events:
        return {"line": number, "event": orjson.loads(batch.ndjson())}
    if batch.rejects:
        return {"line": number, "reject": orjson.loads(encode_rejects(batch.rejects))}
    return {"line": number, "skipped": ", ".join(sorted(batch.skipped)) or "skipped"}


def run(schema_text: str, sample_text: str, cursor_line: int | None = None) -> dict[str, Any]:
    """Lint the schema, then run every sample line through it; ``explain`` the 1-based
    ``cursor_line`` of the sample."""
    schema, findings = load(schema_text)
    answer: dict[str, Any] = {"diagnostics": [diagnostic(f) for f in findings], "schema": None}
    if schema is None:
        return answer
    sample = Sample.of(sample_text)
    normalizer = Normalizer(schema)
    results = [
        outcome(n, normalizer.normalize([line], source=SOURCE, first_line=n))
        for n, line in enumerate(sample.lines, 1)
    ]
    answer.update(
        schema=schema.name,
        results=results,
        counts={
            "lines": len(results),
            "events": sum("event" in r for r in results),
            "rejects": sum("reject" in r for r in results),
            "skipped": sum("skipped" in r for r in results),
            "left_out": sample.left_out,
        },
        explain=None,
    )
    if cursor_line is not None and 0 < cursor_line <= len(sample.lines):
        line = sample.lines[cursor_line - 1]
        try:
            answer["explain"] = render(Explainer(Normalizer(schema)).explain(line), cursor_line)
        except NormalizeError as exc:  # a schema explain cannot take (a CSV header's names)
            answer["explain"] = str(exc)
    return answer


def infer(sample_text: str, name: str) -> dict[str, Any]:
    """``normalize infer`` on the sample pane: the schema text, why each choice, the lines left out."""
    sample = Sample.of(sample_text)
    drafted = draft_files({SOURCE: sample.lines}, name)
    draft = drafted.draft
    return {
        "schema": drafted.schema_text(name),
        "explanation": reasons(draft),
        "outliers": [{"line": o.line, "why": o.why, "text": o.text} for o in draft.outliers],
        "lines": drafted.lines,
        "events": len(drafted.events),
    }


def tests(schema_text: str, sample_text: str, schema_file: str) -> str:
    """A test cases file for the editor's schema: a few sample lines of distinct shapes and the
    events the engine gives them now, as ``normalize infer`` writes them."""
    schema, findings = load(schema_text)
    if schema is None:
        first = next(f for f in findings if f.severity == ERROR)
        raise NormalizeError(f"the schema has errors; fix them first: {first.text()}")
    lines = Sample.of(sample_text).lines
    normalizer = Normalizer(schema)
    events = []
    for n, line in enumerate(lines, 1):
        batch = normalizer.normalize([line], source=SOURCE, first_line=n)
        events += [(SOURCE, n, event) for event in batch.events]
    if not events:
        raise NormalizeError("no sample line becomes an event: a test case needs one")
    cases = sample_cases(events, {SOURCE: lines}, schema)
    return tests_text(cases, schema_file, f"`normalize test` on the folder of {schema_file}")
