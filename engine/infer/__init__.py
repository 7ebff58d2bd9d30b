"""``normalize infer SAMPLE... --name NAME``: a working schema and its test cases drafted from samples.

The sample decides the parser: JSON lines when the lines are JSON objects (``jsonl``), CSV when a
delimiter splits every line alike (``delimited``), else text templates mined into fastmatch patterns
(``text``, ``textdraft``). Each field's type, time format and indicators come from its values
(``values``), the event time from the timestamp fields (``eventtime``). The draft is then run
through the engine on the sample itself: a value the engine refuses downgrades its field (to
string, or json) and a broken ``required`` is dropped, until every line the draft takes becomes an
event. The files are written only then (``write``), with test cases the engine's own events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..batch import Batch, Reject
from ..errors import NormalizeError, SchemaError
from ..normalizer import Normalizer
from ..registry import load_schema_document
from ..scaffold import MODELINE, _test_command, json_schema_link, new_files
from ..spec import Schema
from ..yamlio import parse_yaml
from .delimited import detect, draft_csv
from .eventtime import choose_event_time
from .jsonl import Node, fields_of
from .model import Draft, FieldDraft, Outlier
from .textdraft import draft_text
from .values import count
from .write import expected, schema_text, tests_text

__all__ = ["Drafted", "Inferred", "draft_files", "infer", "sample_cases", "sample_lines"]

MAX_CASES: Final = 4
MAX_ROUNDS: Final = 50
Sample = tuple[str, int, str]
Result = tuple[str, int, "dict[str, Any] | Reject"]
"""A sample line's outcome: its file, its number, and its event or reject."""


@dataclass
class Inferred:
    """What ``infer`` wrote, and what to tell the user."""

    schema_file: Path
    tests_file: Path
    draft: Draft
    lines: int
    events: int
    explanation: list[str] = field(default_factory=list)

    def message(self) -> str:
        return (
            f"wrote {self.schema_file} and {self.tests_file} "
            f"({self.draft.kind}, {count(len(self.draft.fields), 'top-level field')}; "
            f"{self.events:,} of {count(self.lines, 'sample line')} become events); "
            f"try: normalize test {self.schema_file.parent}"
        )

    def outlier_report(self, shown: int = 5) -> list[str]:
        """The lines the schema does not take: their count, then a few of them."""
        outliers = self.draft.outliers
        if not outliers:
            return []
        first = min(shown, len(outliers))
        head = (
            f"{count(len(outliers), 'sample line')} the schema does not take (outliers; the first {first}):"
        )
        return [head] + [f"  {o.source}:{o.line}: {o.why}: {o.text[:120]}" for o in outliers[:shown]]


def read_samples(paths: Sequence[str]) -> dict[str, list[str]]:
    """Each sample file's lines, by path: UTF-8 text, without line ends."""
    files: dict[str, list[str]] = {}
    for path in paths:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise NormalizeError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NormalizeError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        files[path] = sample_lines(text)
    return files


def sample_lines(text: str) -> list[str]:
    """The lines of a sample text, without their ``\\n`` or ``\\r\\n``."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _json_objects(sample: Sequence[Sample]) -> tuple[list[dict], list[Outlier]] | None:
    objects, outliers = [], []
    for source, number, text in sample:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's stack
            data = None
        if isinstance(data, dict):
            objects.append(data)
        else:
            outliers.append(Outlier(source, number, text, "not a JSON object"))
    if len(objects) * 4 < len(sample) * 3:
        return None
    return objects, outliers


def draft_of(sample: Sequence[Sample]) -> Draft:
    """The draft for the sample: JSON lines, CSV or text, whichever the lines are."""
    found = _json_objects(sample)
    if found is not None:
        objects, outliers = found
        root = Node()
        for obj in objects:
            root.add(obj)
        fields = fields_of(root)
        why = [f"JSON lines: {count(len(objects), 'line')} of {len(sample):,} are JSON objects"]
        draft = Draft("JSON lines", None, fields, parser_why=why, outliers=outliers)
        draft.notes.append(why[0])
        if "" in root.children:
            draft.notes.append('the empty key "" is left out: a field needs a name')
    else:
        csv = detect(sample)
        draft = draft_csv(sample, *csv) if csv is not None else draft_text(sample)
    if not draft.fields:
        raise NormalizeError("no field could be drafted from the sample: its lines hold nothing to capture")
    choose_event_time(draft)
    return draft


# --- checking the draft against the engine --------------------------------------------------------


def _schema_of(text: str) -> Schema:
    return load_schema_document(parse_yaml(text, "<draft>"))


def _run(schema: Schema, files: dict[str, list[str]]) -> list[Result]:
    """Every sample line through the schema: (source, line, event or reject)."""
    out: list[Result] = []
    normalizer = Normalizer(schema, fast_path=False)
    for source, lines in files.items():
        batch = normalizer.normalize(lines, source=source, first_line=1)
        out += [(source, r.line, r) for r in batch.rejects]
        numbers = _event_lines(lines, batch, schema)
        out += [(source, n, e) for n, e in zip(numbers, batch.events, strict=True)]
    return out


def _event_lines(lines: list[str], batch: Batch, schema: Schema) -> list[int]:
    """The line numbers of a batch's events: the lines neither rejected nor skipped, in order."""
    rejected = {r.line for r in batch.rejects}
    header = schema.parser.kind == "csv" and schema.parser.config.get("hasHeader")
    numbers = []
    first = True
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if first and header:
            first = False
            continue
        first = False
        if n not in rejected:
            numbers.append(n)
    return numbers


def _by_path(draft: Draft, path: str) -> FieldDraft | None:
    wanted = re.sub(r"\[[0-9]+\]", "", path)
    for where, found in draft.walk():
        if where.replace("[]", "") == wanted and not where.endswith("[]"):
            return found
    return None


def _repair(draft: Draft, rejects: list[Result]) -> bool:
    """Loosen what the engine refused; True when something changed."""
    changed = False
    for source, line, reject in rejects:
        if not isinstance(reject, Reject):
            continue
        reason, name = reject.reason, reject.field
        target = _by_path(draft, name) if name else None
        if reason == "bad_value" and target is not None:
            element = target.element if target.type == "array" and target.element is not None else None
            fix = (
                element if element is not None and element.type not in ("object", "array", "json") else target
            )
            if fix.type in ("object", "array"):
                fix.type, fix.fields, fix.element = "json", [], None
            elif fix.type != "json":
                fix.type = "string" if fix.type != "string" else "json"
            fix.time_formats, fix.is_event_time, fix.indicators = (), False, ()
            fix.why.append(f"loosened to {fix.type}: the engine refused {source}:{line} ({reject.message})")
            changed = True
        elif reason == "validation_failed" and target is not None and target.required:
            target.required = False
            target.why.append(f"not required after all: {source}:{line} lacks it")
            changed = True
    return changed


# --- the command ----------------------------------------------------------------------------------


@dataclass
class Drafted:
    """A draft checked against the engine on its own sample, before anything is written."""

    draft: Draft
    schema: Schema
    files: dict[str, list[str]]
    lines: int  # sample lines, CSV headers aside
    events: list[Result]  # the sample's events, in sample order

    def schema_text(self, name: str, modeline: str = "") -> str:
        """The schema file, every guess with its reason in a comment."""
        return schema_text(self.draft, name, _origin(self.files), modeline)

    def tests_text(self, schema_file: str, command: str) -> str:
        """The test cases file: a few sample lines of distinct shapes and the events they give."""
        return tests_text(sample_cases(self.events, self.files, self.schema), schema_file, command)


def _origin(files: dict[str, list[str]]) -> str:
    """The sample files by name, as the schema's comments cite them."""
    return ", ".join(Path(source).name for source in files)


def draft_files(files: dict[str, list[str]], name: str) -> Drafted:
    """Draft a schema ``name`` from the lines of each sample file, and loosen it until the engine
    takes every line the draft claims; the lines it still refuses become outliers."""
    sample = [
        (path, i, line) for path, lines in files.items() for i, line in enumerate(lines, 1) if line.strip()
    ]
    if not sample:
        raise NormalizeError(
            f"no sample lines in {', '.join(files) or 'the sample'}: give lines of the logs to infer from"
        )
    draft = draft_of(sample)
    origin = _origin(files)
    for _ in range(MAX_ROUNDS):
        try:
            schema = _schema_of(schema_text(draft, name, origin, ""))
        except SchemaError as exc:  # a drafting bug; say it in one line
            raise NormalizeError(f"the drafted schema does not load: {exc}") from None
        results = _run(schema, files)
        rejects = [r for r in results if not isinstance(r[2], dict)]
        if not _repair(draft, rejects):
            break
        for _, f in draft.walk():
            f.is_event_time = False
        choose_event_time(draft)
    order = list(files)
    events = sorted((r for r in results if isinstance(r[2], dict)), key=lambda r: (order.index(r[0]), r[1]))
    known = {(o.source, o.line) for o in draft.outliers}
    for source, line, reject in sorted(rejects, key=lambda r: (order.index(r[0]), r[1])):
        if (source, line) not in known and isinstance(reject, Reject):
            text = files[source][line - 1] if 0 < line <= len(files[source]) else ""
            draft.outliers.append(Outlier(source, line, text, f"{reject.reason}: {reject.message}"))
    headers = len(files) if schema.parser.kind == "csv" and schema.parser.config.get("hasHeader") else 0
    return Drafted(draft, schema, files, len(sample) - headers, events)


def infer(paths: Sequence[str], name: str, folder: Path, json_schema: Path) -> Inferred:
    """Draft, check and write ``<folder>/<Name/As/Path>.yml`` and its ``.tests.yml``."""
    schema_file, tests_file = new_files(name, folder)
    drafted = draft_files(read_samples(paths), name)
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    link = json_schema_link(schema_file, folder, json_schema)
    modeline = MODELINE.format(link).rstrip("\n") if link is not None else ""
    schema_file.write_text(drafted.schema_text(name, modeline), encoding="utf-8")
    command = _test_command(schema_file.parent)
    tests_file.write_text(drafted.tests_text(schema_file.name, command), encoding="utf-8")
    draft = drafted.draft
    return Inferred(schema_file, tests_file, draft, drafted.lines, len(drafted.events), explain(draft))


def sample_cases(
    events: list[Result], files: dict[str, list[str]], schema: Schema
) -> list[tuple[str, str, dict]]:
    """A few events of distinct shapes (the set of fields present), first seen first."""
    header = schema.parser.kind == "csv" and schema.parser.config.get("hasHeader")
    seen: set[frozenset[str]] = set()
    cases = []
    for source, line, event in events:
        assert isinstance(event, dict)
        shape = frozenset(k for k in event if not k.startswith("p_"))
        if shape in seen:
            continue
        seen.add(shape)
        text = files[source][line - 1]
        if header:
            first = next(line for line in files[source] if line.strip())
            text = first + "\n" + text
        cases.append((f"{Path(source).name} line {line}", text, expected(event)))
        if len(cases) == MAX_CASES:
            break
    return cases


def explain(draft: Draft) -> list[str]:
    """Why each choice was made: the parser, then each field's type, format, indicators."""
    lines = []
    for kind, config in (draft.parser or {}).items():
        patterns = enumerate(config.get("match", ()))
        lines += [f"parser: {kind} match[{i}]: {pattern}" for i, pattern in patterns]
        if "columns" in config:
            lines.append(f"parser: {kind} columns: {', '.join(config['columns'])}")
    lines += [f"parser: {why}" for why in draft.parser_why]
    lines += [f"note: {note}" for note in draft.notes]
    for path, f in draft.walk():
        detail = f.type
        if f.time_formats:
            detail += f" {list(f.time_formats)}"
        if f.indicators:
            detail += f" indicators {list(f.indicators)}"
        lines.append(f"{path}: {detail}")
        lines.extend(f"    {why}" for why in f.why)
    return lines
