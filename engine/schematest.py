"""Schema test cases: the ``NAME.tests.yml`` beside a schema file, run and compared field by field.

A schema file ``X.yml`` may have ``X.tests.yml`` beside it: a YAML list of cases, each a mapping with
``name``, ``input`` (one line, or a ``|`` block of several) and exactly one expectation: ``result`` (the
one event, as a YAML mapping), ``results`` (the events, in order), ``reject`` / ``rejects`` (a reason,
and optionally the field, rule and exact message) or ``skipped: N``. This answers the complaints about
Panther's format (spec h.3, l.16): tests live beside the schema, expected events are YAML mappings
instead of whitespace-sensitive JSON strings, and a failure is a diff that names the field.

How events are compared:

* an expected event lists the fields that must be there; every other schema field must be absent,
  while ``p_`` fields are compared only when listed (``p_row_id`` and ``p_parse_time`` differ on every
  run and may not be listed);
* ``p_event_time`` and ``timestamp`` fields compare as instants: RFC 3339 with any offset
  (``2000-10-10T13:55:36-07:00``) equals the output form ``2000-10-10 20:55:36.000000000`` (spec h.3);
* objects compare key by key (no key may be missing or extra), arrays element by element, ``json``
  values as JSON, floats by value, ``p_any_*`` lists as lists; ``null`` means "absent".

Each case is its own input file, numbered from line 1, so a CSV header or ``skipLines`` applies to
each case (spec l.10). Problems in a test file are ``SchemaError``s at ``FILE:LINE:COL``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from .batch import Reject
from .errors import LINE_REASONS, BadValue, NormalizeError, SchemaError, format_path
from .indicators import P_ANY_KEYS
from .normalizer import Normalizer
from .registry import SCHEMA_SUFFIXES, load_schema_file
from .spec import Schema, Value
from .timestamps import compile_time_format, format_ns
from .values import encode_event
from .yamlio import Data, Document, read_yaml

CASES_SUFFIXES: Final = (".tests.yml", ".tests.yaml")
"""How a test file's name ends; the rest of the name is its schema file's stem."""

CASE_KEYS: Final = ("name", "input", "result", "results", "reject", "rejects", "skipped")
EXPECTATIONS: Final = CASE_KEYS[2:]
REJECT_KEYS: Final = ("reason", "field", "rule", "message")
IGNORED: Final = ("p_row_id", "p_parse_time")
"""Standard fields that differ on every run: never compared, and an error in an expectation."""

_PARSE_RFC3339: Final = compile_time_format("rfc3339")
# The output form (spec l.5); a test file may shorten the fraction or leave it out.
_OUTPUT_FORM: Final = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?)"
)
_TIME_HELP: Final = (
    "write RFC 3339 (2000-10-10T13:55:36-07:00) or the output form (2000-10-10 20:55:36.000000000)"
)


@dataclass
class CaseResult:
    """The outcome of one test case; ``diff`` says, line by line, how the output differs."""

    file: str
    name: str
    line: int  # where the case starts in the test file
    passed: bool
    diff: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Instant:
    """An expected timestamp: the instant in epoch nanoseconds, and the text the test file gave."""

    ns: int
    text: str


@dataclass(frozen=True, slots=True)
class _ExpectedReject:
    """A reject a case expects: its reason, and the details given (None: not compared)."""

    reason: str
    field: str | None = None
    rule: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class _Case:
    """One case, checked and ready to run: its input lines and everything its output must be."""

    name: str
    line: int
    lines: list[str]
    events: tuple[dict[str, Any], ...] = ()
    rejects: tuple[_ExpectedReject, ...] = ()
    skipped: int | None = None  # None: skipped lines are not counted (a CSV header, a blank line)
    single: str = ""  # "event" or "reject" when the case gave one, not a list: its label has no number


# --- finding test files ---------------------------------------------------------------------------


def find_test_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, Path]]:
    """``(test file, schema file)`` pairs for ``paths``, each once, in the order found.

    A folder is searched recursively (sorted); a test file is taken as it is; a schema file stands for
    the test file beside it, which must exist.
    """
    found: dict[Path, Path] = {}
    for given in map(Path, paths):
        if given.is_dir():
            test_files = sorted(p for p in given.rglob("*") if _is_test_file(p) and p.is_file())
        elif given.is_file():
            test_files = [given if _is_test_file(given) else _test_file_of(given)]
        else:
            raise NormalizeError(f"{given}: no such file or folder")
        for test_file in test_files:
            if test_file not in found:
                found[test_file] = _schema_file_of(test_file)
    return list(found.items())


def _is_test_file(path: Path) -> bool:
    return path.name.endswith(CASES_SUFFIXES)


def _stem(test_file: Path) -> str:
    return next(test_file.name.removesuffix(s) for s in CASES_SUFFIXES if test_file.name.endswith(s))


def _test_file_of(schema_file: Path) -> Path:
    if schema_file.suffix not in SCHEMA_SUFFIXES:
        raise NormalizeError(f"{schema_file}: not a schema file (.yml, .yaml) or a test file (.tests.yml)")
    for suffix in CASES_SUFFIXES:
        candidate = schema_file.with_name(schema_file.stem + suffix)
        if candidate.is_file():
            return candidate
    raise NormalizeError(f"{schema_file}: no test file {schema_file.stem}{CASES_SUFFIXES[0]} beside it")


def _schema_file_of(test_file: Path) -> Path:
    stem = _stem(test_file)
    candidates = [test_file.with_name(stem + s) for s in SCHEMA_SUFFIXES]
    existing = [p for p in candidates if p.is_file()]
    if len(existing) == 1:
        return existing[0]
    if existing:
        message = f"both {existing[0].name} and {existing[1].name} are beside this test file: keep one"
    else:
        message = f"no schema file {candidates[0].name} or {candidates[1].name} beside this test file"
    raise SchemaError(message, file=str(test_file))


# --- running --------------------------------------------------------------------------------------


def run_paths(paths: Iterable[str | os.PathLike[str]]) -> list[CaseResult]:
    """Run the test files that ``paths`` hold or stand for (see ``find_test_files``)."""
    return [result for pair in find_test_files(paths) for result in run_test_file(*pair)]


def run_test_file(test_file: str | os.PathLike[str], schema_file: str | os.PathLike[str]) -> list[CaseResult]:
    """Run every case of ``test_file`` against the schema in ``schema_file``.

    The whole file is checked before any case runs: a problem in it is a ``SchemaError``.
    """
    schema = load_schema_file(schema_file)
    reader = _CaseReader(read_yaml(test_file), schema)
    cases = reader.cases()
    normalizer = Normalizer(schema)  # compiled once for all cases
    name = os.fsdecode(test_file)
    return [_run_case(case, normalizer, reader.fields, name) for case in cases]


def _run_case(case: _Case, normalizer: Normalizer, fields: Mapping[str, Value], file: str) -> CaseResult:
    # A source of its own and first_line=1: each case is a new input file (spec l.10).
    batch = normalizer.normalize(case.lines, source=f"{file}:{case.line}", first_line=1)
    diff = _event_diffs(case, batch.events, fields) + _reject_diffs(case, batch.rejects)
    diff += _accelerator_diffs(case, normalizer, batch.ndjson(), batch.rejects)
    if case.skipped is not None and (skipped := sum(batch.skipped.values())) != case.skipped:
        diff.append(f"skipped: expected {case.skipped}, got {skipped}")
    return CaseResult(file, case.name, case.line, not diff, diff)


def _accelerator_diffs(
    case: _Case, normalizer: Normalizer, ndjson: bytes, rejects: list[Reject]
) -> list[str]:
    """The case's input through the C accelerator too (what the CLI runs), which must write what
    the reference path wrote: a difference is an engine bug, and shown as one."""
    if normalizer.plan is None:
        return []
    block = "\n".join(case.lines).encode("utf-8")
    encoded = normalizer.encode_block(block, source=f"{case.line}#accelerated", first_line=1)
    problems = []
    if _stable_ndjson(encoded.ndjson) != _stable_ndjson(ndjson):
        problems.append("events")
    expected = [_stable_reject(r.to_dict()) for r in rejects]
    if [_stable_reject(r) for r in encoded.reject_records()] != expected:
        problems.append("rejects")
    if not problems:
        return []
    return [
        f"the C accelerator and the reference path wrote different {' and '.join(problems)}: an engine "
        "bug, please report it (normalize --no-fast-path runs without the accelerator)"
    ]


_PARSE_TIME: Final = re.compile(rb'"p_parse_time":"([^"]*)"')
_ROW_ID: Final = re.compile(rb'"p_row_id":"[0-9a-f]+",')


def _stable_ndjson(ndjson: bytes) -> list[bytes]:
    """Events without what differs on every run: row ids, parse times (and event times that are)."""
    stable = []
    for event in ndjson.splitlines():
        found = _PARSE_TIME.search(event)
        parse_time = found.group(0) if found else b""
        event_time = b'"p_event_time":"' + (found.group(1) if found else b"") + b'"'
        stable.append(_ROW_ID.sub(b"", event.replace(event_time, b"").replace(parse_time, b"")))
    return stable


def _stable_reject(record: dict[str, Any]) -> dict[str, Any]:
    """A reject record without the source, which names the path it was read by."""
    return {key: value for key, value in record.items() if key not in ("source", "source_b64")}


def render(results: Iterable[CaseResult]) -> str:
    """Each failing case (``FILE:LINE: FAIL name`` and its diff, indented), then ``N passed, M failed``.

    The summary is always the last line, alone, as CI reads it; no newline follows it.
    """
    lines: list[str] = []
    passed = failed = 0
    for result in results:
        if result.passed:
            passed += 1
            continue
        failed += 1
        lines.append(f"{result.file}:{result.line}: FAIL {result.name}")
        lines.extend(f"  {d}" for d in result.diff)
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines)


# --- comparing ------------------------------------------------------------------------------------


def _label(kind: str, index: int, case: _Case) -> str:
    """``event 2``, or ``event`` for the one event of a ``result`` case (likewise ``reject``)."""
    return kind if case.single == kind and index == 0 else f"{kind} {index + 1}"


def _event_diffs(case: _Case, events: list[dict[str, Any]], fields: Mapping[str, Value]) -> list[str]:
    out: list[str] = []
    for i in range(max(len(case.events), len(events))):
        label = _label("event", i, case)
        if i >= len(events):
            out.append(f"{label}: expected, got none")
        elif i >= len(case.events):
            shown = {k: v for k, v in events[i].items() if k not in IGNORED}
            out.append(f"{label}: expected none, got {_json(shown)}")
        else:
            prefix = "" if case.single == "event" else f"{label}: "
            out.extend(prefix + d for d in _field_diffs(case.events[i], events[i], fields))
    return out


def _field_diffs(expected: dict[str, Any], actual: dict[str, Any], fields: Mapping[str, Value]) -> list[str]:
    """The listed fields compared, then every schema field present but not listed (``p_`` ones aside)."""
    out: list[str] = []
    for key, want in expected.items():
        _compare(want, actual.get(key), fields.get(key), (key,), out)
    for key, got in actual.items():
        if key not in expected and not key.startswith("p_"):
            _compare(None, got, fields.get(key), (key,), out)
    return out


def _compare(want: Any, got: Any, spec: Value | None, path: tuple[str | int, ...], out: list[str]) -> None:
    """Append a line to ``out`` for each difference between ``want`` and ``got`` (None: absent)."""
    if spec is not None and spec.type == "object" and isinstance(want, dict) and isinstance(got, dict):
        members = {f.name: f.value for f in spec.fields}
        for key in [*want, *(k for k in got if k not in want)]:
            _compare(want.get(key), got.get(key), members.get(key), (*path, key), out)
        return
    if (
        spec is not None
        and spec.type == "array"
        and isinstance(want, list)
        and isinstance(got, list | tuple)
        and len(want) == len(got)
    ):
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            _compare(w, g, spec.element, (*path, i), out)
        return
    if not _same(want, got):
        out.append(f"field {format_path(path)!r}: expected {_show(want)}, got {_show(got)}")


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: numbers by value, but a boolean is never a number (True == 1 in Python)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b  # floats by value: GoFloat(2.0) equals a YAML 2
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, _Instant):
        return isinstance(b, str) and _instant_ns(b) == a.ns
    return type(a) is type(b) and a == b


def _show(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, _Instant):
        utc = format_ns(value.ns)
        return _json(value.text) if value.text == utc else f"{_json(value.text)} ({utc})"
    return _json(value)


def _json(value: Any) -> str:
    """``value`` as JSON text for a message: as written, except that a string with a lone surrogate
    is shown escaped (it cannot be printed) and a value deeper than Python's stack, which a run
    takes to 1,024 levels, as a run writes it."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=_instant_text)
    except RecursionError:
        return encode_event(value).decode()
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return json.dumps(value, default=_instant_text)
    return text


def _instant_text(value: object) -> str:
    """How ``json.dumps`` writes an expected instant inside a list: as the test file gave it."""
    if isinstance(value, _Instant):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON")


def _reject_diffs(case: _Case, rejects: list[Reject]) -> list[str]:
    out: list[str] = []
    for i in range(max(len(case.rejects), len(rejects))):
        label = _label("reject", i, case)
        if i >= len(rejects):
            out.append(f"{label}: expected reason {case.rejects[i].reason}, got none")
        elif i >= len(case.rejects):
            got = rejects[i]
            out.append(f"{label}: expected none, got {got.reason} at input line {got.line}: {got.message}")
        else:
            out.extend(f"{label}: {d}" for d in _reject_diff(case.rejects[i], rejects[i]))
    return out


def _reject_diff(want: _ExpectedReject, got: Reject) -> list[str]:
    out: list[str] = []
    if want.reason != got.reason:
        out.append(f"expected reason {want.reason}, got {got.reason}")
        if want.message is None:  # else the message line below shows it
            out.append(f"got message {_json(got.message)}")
    if want.field is not None and want.field != got.field:
        out.append(f"expected field {want.field!r}, got {'none' if got.field is None else repr(got.field)}")
    if want.rule is not None and want.rule != got.rule:
        out.append(f"expected rule {want.rule}, got {got.rule or 'none'}")
    if want.message is not None and want.message != got.message:
        out.append(f"expected message {_json(want.message)}, got {_json(got.message)}")
    return out


def _instant_ns(text: str) -> int | None:
    """Epoch nanoseconds of RFC 3339 text or of the output form, or None when it is neither."""
    match = _OUTPUT_FORM.fullmatch(text)
    if match is not None:
        text = f"{match[1]}T{match[2]}Z"
    try:
        return _PARSE_RFC3339(text)
    except BadValue:
        return None


# --- reading a test file --------------------------------------------------------------------------

DocPath = tuple[str | int, ...]
"""Where a node is in the test file: ``(2, "result", "status")``."""


class _CaseReader:
    """Checks a test file's cases against its schema and prepares what each expects.

    Every problem is a ``SchemaError`` at the line and column of the offending key or value.
    """

    def __init__(self, doc: Document, schema: Schema) -> None:
        self.doc = doc
        self.schema = schema
        self.fields = {f.name: f.value for f in schema.fields}

    def error(self, message: str, path: DocPath, *, key: bool = False) -> SchemaError:
        # No path in the message: line and column say where, and "[2].result.status" says less.
        line, col = self.doc.mark(path, key=key)
        return SchemaError(message, file=self.doc.name, line=line, col=col)

    def cases(self) -> list[_Case]:
        data = self.doc.data
        if not isinstance(data, list) or not data:
            raise self.error(
                "a test file is a list of test cases, each with a name, an input and a result", ()
            )
        cases: list[_Case] = []
        first: dict[str, int] = {}
        for index, item in enumerate(data):
            case = self.case(item, (index,))
            if case.name in first:
                message = f"duplicate case name {case.name!r} (first at line {first[case.name]})"
                raise self.error(message, (index, "name"))
            first[case.name] = case.line
            cases.append(case)
        return cases

    def case(self, item: Data, path: DocPath) -> _Case:
        if not isinstance(item, dict):
            raise self.error(f"a test case is a mapping with the keys {', '.join(CASE_KEYS)}", path)
        for key in item:
            if key not in CASE_KEYS:
                raise self.error(
                    f"unknown key {key!r} (a case has {', '.join(CASE_KEYS)})", (*path, key), key=True
                )
        name = self.name(item, path)
        given = [key for key in EXPECTATIONS if key in item]
        if not given:
            raise self.error(f"case {name!r} needs one of {', '.join(EXPECTATIONS)}", path)
        if len(given) > 1:
            message = f"{given[0]!r} and {given[1]!r} cannot both be given: a case has one expectation"
            raise self.error(message, (*path, given[1]), key=True)
        single = {"result": "event", "reject": "reject"}.get(given[0], "")
        case = _Case(name, self.doc.mark(path)[0], self.input(item, name, path), single=single)
        return self.expectation(case, given[0], item[given[0]], (*path, given[0]))

    def input(self, item: dict[str, Data], name: str, path: DocPath) -> list[str]:
        """The case's input lines: split on newlines, as input files are (README, Rejects)."""
        if "input" not in item:
            raise self.error(f"case {name!r} needs an 'input'", path)
        text = item["input"]
        if not isinstance(text, str):
            raise self.error("'input' is the log text: a string (quote it)", (*path, "input"))
        # The final newline of a '|' block ends the last line, it does not start another: Panther
        # passes it to the parser, where a fastmatch last field captures it (spec h.3).
        return text.removesuffix("\n").split("\n")

    def name(self, item: dict[str, Data], path: DocPath) -> str:
        if "name" not in item:
            raise self.error("a test case needs a 'name'", path)
        name = item["name"]
        if not isinstance(name, str) or not name:
            raise self.error("'name' must be a non-empty string", (*path, "name"))
        return name

    def expectation(self, case: _Case, key: str, value: Data, path: DocPath) -> _Case:
        match key:
            case "result":
                return replace(case, events=(self.event(value, path),))
            case "results":
                items = self.items(value, path, "the events expected, in order")
                return replace(case, events=tuple(self.event(v, (*path, i)) for i, v in enumerate(items)))
            case "reject":
                return replace(case, rejects=(self.reject(value, path),))
            case "rejects":
                items = self.items(value, path, "the rejects expected, in order")
                return replace(case, rejects=tuple(self.reject(v, (*path, i)) for i, v in enumerate(items)))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.error("'skipped' is the number of input lines skipped (1 or more)", path)
        return replace(case, skipped=value)

    def items(self, value: Data, path: DocPath, what: str) -> list[Data]:
        if not isinstance(value, list) or not value:
            raise self.error(f"a non-empty list is expected here: {what}", path)
        return value

    def reject(self, value: Data, path: DocPath) -> _ExpectedReject:
        if not isinstance(value, dict):
            raise self.error(
                "an expected reject is a mapping: reason, and optionally field, rule, message", path
            )
        texts: dict[str, str] = {}
        for key, item in value.items():
            if key not in REJECT_KEYS:
                message = f"unknown key {key!r} (a reject has {', '.join(REJECT_KEYS)})"
                raise self.error(message, (*path, key), key=True)
            if not isinstance(item, str):
                raise self.error(f"{key!r} must be a string (quote it)", (*path, key))
            texts[key] = item
        reason = texts.get("reason")
        if reason is None:
            raise self.error("an expected reject needs its 'reason'", path)
        if reason not in LINE_REASONS:
            known = ", ".join(LINE_REASONS)
            raise self.error(f"unknown reason {reason!r} (one of {known})", (*path, "reason"))
        return _ExpectedReject(reason, texts.get("field"), texts.get("rule"), texts.get("message"))

    def event(self, value: Data, path: DocPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error("an expected event is a mapping of field names to values", path)
        return {key: self.top_level(key, item, (*path, key)) for key, item in value.items()}

    def top_level(self, key: str, value: Data, path: DocPath) -> Any:
        if key in IGNORED:
            raise self.error(f"{key!r} differs on every run and is never compared: remove it", path, key=True)
        if key == "p_event_time":
            return None if value is None else self.instant(value, path)
        if key == "p_log_type" or key in P_ANY_KEYS:
            return value
        if key.startswith("p_"):
            message = f"unknown field {key!r} (tests compare p_log_type, p_event_time and the p_any_* lists)"
            raise self.error(message, path, key=True)
        spec = self.fields.get(key)
        if spec is None:
            raise self.error(f"unknown field {key!r}: {self.schema.name} has no such field", path, key=True)
        return self.value(value, spec, path)

    def value(self, value: Data, spec: Value, path: DocPath) -> Any:
        """The expected value, with timestamps read as instants and object keys checked."""
        if value is None:
            return None
        if spec.type == "timestamp":
            return self.instant(value, path)
        if spec.type == "object":
            if not isinstance(value, dict):
                raise self.error("an object field's expected value is a mapping (or null: absent)", path)
            members = {f.name: f.value for f in spec.fields}
            out = {}
            for key, item in value.items():
                if key not in members:
                    raise self.error(f"unknown field {key!r} in this object", (*path, key), key=True)
                out[key] = self.value(item, members[key], (*path, key))
            return out
        if spec.type == "array" and spec.element is not None:
            if not isinstance(value, list):
                raise self.error("an array field's expected value is a list (or null: absent)", path)
            return [self.value(item, spec.element, (*path, i)) for i, item in enumerate(value)]
        return value

    def instant(self, value: Data, path: DocPath) -> _Instant:
        if isinstance(value, str):
            ns = _instant_ns(value)
            if ns is not None:
                return _Instant(ns, value)
        raise self.error(f"{value!r} is not a timestamp: {_TIME_HELP}", path)
