"""What the playground runs: a schema text on a sample text, as ``lint``, the CLI and ``explain`` would.

The page sends the editor's schema and sample on every pause in typing and gets back the lint
findings at their line and column and, when the schema has no error, the outcome of every sample
line (event, reject or skip) with the ``explain`` of the line under the cursor. Lines go through the
engine one at a time, continuing one input (``skipLines`` and a CSV header apply as for a file), so
that each outcome is known by its line number; a line longer than the CLI's ``--max-line-bytes``
default is a ``line_too_long`` reject, as there.

A schema text is linted and compiled once (the last few are kept), so a cursor move or an edit of
the sample costs only the run. A run is bounded in lines and in time, and says what it left out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Final

import orjson

from ..batch import DEFAULT_MAX_LINE_BYTES, Batch, Line, Oversized, encode_rejects, oversized
from ..errors import NormalizeError, SchemaError
from ..explain import Explainer, render
from ..infer import draft_files, sample_cases, sample_lines
from ..infer import explain as draft_reasons
from ..infer.write import tests_text
from ..lint import ERROR, Finding, lint_text
from ..normalizer import Normalizer
from ..registry import load_schema_document
from ..spec import Schema
from ..yamlio import parse_yaml

MAX_SAMPLE_LINES: Final = 2_000
"""Sample lines run; the rest are left out, and the answer says how many and why."""
MAX_INFER_LINES: Final = 1_000
"""Sample lines Infer drafts from (a few hundred varied lines are plenty)."""
RUN_SECONDS: Final = 3.0
"""A run stops taking lines after this long (a regex that times out on every line, say)."""
SCHEMA_FILE: Final = "schema.yml"
"""The name findings give the editor's schema (the page has no file)."""
SOURCE: Final = "sample"


@dataclass(frozen=True, slots=True)
class Sample:
    """The sample pane's lines, as the reader would hand them over (a line over the limit is an
    ``Oversized``), bounded to ``limit``; ``left_out`` counts the rest."""

    lines: list[Line]
    left_out: int

    @classmethod
    def of(cls, text: str, limit: int = MAX_SAMPLE_LINES) -> Sample:
        lines = sample_lines(text)
        kept = [_bounded(line) for line in lines[:limit]]
        return cls(kept, max(0, len(lines) - limit))


def _bounded(line: str) -> Line:
    data = line.encode("utf-8", "surrogatepass")
    return oversized(data) if len(data) > DEFAULT_MAX_LINE_BYTES else line


@dataclass(frozen=True)
class Loaded:
    """A schema text linted, and built and compiled when lint found no error in it."""

    findings: tuple[Finding, ...]
    schema: Schema | None

    @cached_property
    def normalizer(self) -> Normalizer:
        assert self.schema is not None
        return Normalizer(self.schema)

    @cached_property
    def explainer(self) -> Explainer | str:
        """The explainer of the schema, or why ``explain`` cannot take it (a CSV header's names)."""
        try:
            return Explainer(self.normalizer)  # it builds its own one-schema normalizers from it
        except NormalizeError as exc:
            return str(exc)


@lru_cache(maxsize=4)
def load(schema_text: str) -> Loaded:
    """The editor's schema, linted, then built when lint finds no error in it (kept for the next call)."""
    findings = lint_text(schema_text, SCHEMA_FILE)
    if any(f.severity == ERROR for f in findings):
        return Loaded(tuple(findings), None)
    try:
        return Loaded(tuple(findings), load_schema_document(parse_yaml(schema_text, SCHEMA_FILE)))
    except SchemaError as exc:  # lint passed but the loader did not: show it where it is
        found = Finding(SCHEMA_FILE, exc.line, exc.col, ERROR, "schema-semantic", exc.message)
        return Loaded((*findings, found), None)


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


def lines_through(
    normalizer: Normalizer, lines: Sequence[Line], deadline: float = float("inf")
) -> Iterator[tuple[int, Batch]]:
    """Each line through ``normalizer`` as one input, with its 1-based number, until ``deadline``
    (``time.monotonic``)."""
    for number, line in enumerate(lines, 1):
        if time.monotonic() > deadline:
            return
        yield number, normalizer.normalize([line], source=SOURCE, first_line=number)


def outcome(number: int, batch: Batch) -> dict[str, Any]:
    """One line's result: its event, its reject, or why it was skipped."""
    if batch.events:
        return {"line": number, "event": orjson.loads(batch.ndjson())}
    if batch.rejects:
        return {"line": number, "reject": orjson.loads(encode_rejects(batch.rejects))}
    return {"line": number, "skipped": ", ".join(sorted(batch.skipped)) or "skipped"}


def run(schema_text: str, sample_text: str, cursor_line: int | None = None) -> dict[str, Any]:
    """Lint the schema, then run the sample's lines through it; ``explain`` its 1-based
    ``cursor_line``."""
    loaded = load(schema_text)
    answer: dict[str, Any] = {"diagnostics": [diagnostic(f) for f in loaded.findings], "schema": None}
    if loaded.schema is None:
        return answer
    sample = Sample.of(sample_text)
    deadline = time.monotonic() + RUN_SECONDS
    results = [outcome(n, batch) for n, batch in lines_through(loaded.normalizer, sample.lines, deadline)]
    stopped = len(sample.lines) - len(results)
    answer.update(
        schema=loaded.schema.name,
        results=results,
        counts={
            "lines": len(results),
            "events": sum("event" in r for r in results),
            "rejects": sum("reject" in r for r in results),
            "skipped": sum("skipped" in r for r in results),
            "left_out": sample.left_out + stopped,
        },
        left_out=_left_out(sample.left_out, stopped),
        explain=_explained(loaded, sample, cursor_line),
    )
    return answer


def _left_out(over: int, stopped: int) -> str:
    if stopped:
        return f"{stopped + over:,} lines not run: the run stopped after {RUN_SECONDS:g} s"
    if over:
        return f"{over:,} lines not run: the first {MAX_SAMPLE_LINES:,} are"
    return ""


def _explained(loaded: Loaded, sample: Sample, cursor_line: int | None) -> str | None:
    if cursor_line is None or not 0 < cursor_line <= len(sample.lines):
        return None
    explainer, line = loaded.explainer, sample.lines[cursor_line - 1]
    if isinstance(explainer, str):
        return explainer
    if isinstance(line, Oversized):
        return f"line {cursor_line}: line_too_long: {line.size:,} bytes, more than {DEFAULT_MAX_LINE_BYTES:,}"
    return render(explainer.explain(line), cursor_line)


def infer(sample_text: str, name: str) -> dict[str, Any]:
    """``normalize infer`` on the sample pane: the schema text, why each choice, the lines left out."""
    lines = sample_lines(sample_text)[:MAX_INFER_LINES]
    drafted = draft_files({SOURCE: lines}, name)
    draft = drafted.draft
    return {
        "schema": drafted.schema_text(name),
        "explanation": draft_reasons(draft),
        "outliers": [{"line": o.line, "why": o.why, "text": o.text} for o in draft.outliers],
        "lines": drafted.lines,
        "events": len(drafted.events),
    }


def tests(schema_text: str, sample_text: str, schema_file: str) -> str:
    """A test cases file for the editor's schema: a few sample lines of distinct shapes and the
    events the engine gives them now, as ``normalize infer`` writes them."""
    loaded = load(schema_text)
    if loaded.schema is None:
        first = next(f for f in loaded.findings if f.severity == ERROR)
        raise NormalizeError(f"the schema has errors; fix them first: {first.text()}")
    sample = Sample.of(sample_text)
    events = [
        (SOURCE, n, event)
        for n, batch in lines_through(loaded.normalizer, sample.lines)
        for event in batch.events
    ]
    if not events:
        raise NormalizeError("no sample line becomes an event: a test case needs one")
    texts = [line if isinstance(line, str) else "" for line in sample.lines]  # an Oversized gives no event
    cases = sample_cases(events, {SOURCE: texts}, loaded.schema)
    return tests_text(cases, schema_file, f"`normalize test` on the folder of {schema_file}")
