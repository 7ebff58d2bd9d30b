"""``normalize lint``: every problem of every schema file in one pass, each at ``FILE:LINE:COL``.

Loading a schema (``registry.py``) stops at its first error; lint goes on. It is a list of small rule
functions, each taking a read ``Document`` and yielding ``Finding`` values, the way python-jsonschema's
keyword functions yield errors (style 3.1): adding a check is adding a function to ``_CHECKS``.

What one file goes through (reliability.md 3.1, test plan 4.B):

1. Bounded YAML reading (``yamlio``). A file that cannot be read gives one finding and nothing else: a
   syntax error, a duplicate key, or a bound such as the 1 MiB size or the ban on anchors and aliases
   (refused before anything is built, so a 50 MB file or an alias bomb costs next to nothing).
2. Every ``schema.json`` violation, not only the one the loader shows; each unknown key on its own.
3. Checks that need no full build and tolerate a document that failed step 2: fastmatch patterns,
   grok references, regexes (compiling, ReDoS), ``expandFields`` templates, time formats,
   indicators, ``isEventTime``, captures that fill no field and fields that no capture fills.
4. When the file passes ``schema.json``: ``build_schema`` for the first rule only it checks (a duplicate
   field name, a key of another type, ...), unless a check of step 3 already said the same.

Across files: two files with one schema name. Rendering the findings (text, JSON, GitHub annotations,
SARIF 2.1.0) is separate code that decides nothing.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias
from urllib.parse import quote

import jsonschema
import regex

from .batch import is_utf8
from .errors import SchemaError, format_path
from .parsers.fastmatch import PatternError, split_pattern
from .parsers.grok import expand
from .parsers.regex import compile_regex
from .parsers.regexcheck import MAX_COMPILED_SIZE, compiled_size, redos
from .parsers.text import parse_template
from .registry import json_schema, ref_properties, reword, schema_files, validator
from .spec import build_schema
from .timestamps import TimeFormatError, compile_time_formats
from .yamlio import Document, parse_yaml, read_yaml

__all__ = ["FORMATS", "RULES", "Finding", "exit_code", "lint_paths", "render"]

Where: TypeAlias = tuple[str | int, ...]  # a path in the document: ("fields", 3, "type")

ERROR: Final = "error"
WARNING: Final = "warning"
_RANK: Final = {WARNING: 1, ERROR: 2}

RULES: Final[dict[str, str]] = {
    "file-unreadable": "The path cannot be read as a file (missing, a folder, no permission).",
    "yaml-syntax": "Not valid YAML or UTF-8, a tag, a second document, or a mapping key that is no string.",
    "yaml-limit": "Beyond the reader's bounds: file size, nesting depth, node count, anchors and aliases.",
    "duplicate-key": "A key given twice in one mapping (YAML readers silently keep the last).",
    "unknown-key": "A key the schema language does not have (often a typo, which Panther would drop).",
    "schema-json": "A value that breaks engine/schema.json: a wrong type, a missing key, an unknown name.",
    "schema-name": "A schema name that is not dotted parts each starting with an uppercase letter.",
    "duplicate-schema-name": "Two schema files define one schema name.",
    "schema-semantic": "A rule of the schema language that JSON Schema cannot express (first one only).",
    "invalid-pattern": "A fastmatch pattern, grok reference or expandFields template that cannot be used.",
    "adjacent-captures": "Two fastmatch placeholders with no literal text between them.",
    "regex-invalid": "A regex parser pattern that does not compile, or would take too long to.",
    "regex-redos": "A regex that can match some text in exponentially or polynomially many ways, so "
    "that a line that almost matches backtracks for long (an error when a short line already "
    "exhausts the engine's budget).",
    "unused-capture": "A placeholder, named group or column whose value fills no field.",
    "unfilled-field": "A field that no placeholder, named group, column or expandFields entry fills.",
    "time-format": "A time format that can never parse a value (unknown strftime directive, ...).",
    "indicator-type": "Indicators on a value that is not a string.",
    "multiple-event-time": "isEventTime on more than one field: the first present one wins.",
}

_WARNINGS: Final = frozenset({"regex-redos", "unused-capture", "unfilled-field", "multiple-event-time"})
# Rules that restate what a more specific rule says about the same place (see ``_without_repeats``).
_GENERIC: Final = frozenset({"schema-json", "schema-semantic"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one schema file: where, how bad, which rule, and what is wrong."""

    file: str
    line: int | None
    col: int | None
    severity: str  # "error" or "warning"
    rule: str  # a key of RULES
    message: str

    def text(self) -> str:
        """``FILE:LINE:COL: severity: message [rule]``, the form editors and CI logs link to."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.severity}: {self.message} [{self.rule}]"


def lint_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Finding]:
    """Every problem of every schema file under ``paths``, sorted by file, line and column.

    A folder is searched as a schema folder is (``*.yml``/``*.yaml``, not ``*_tests.yml``); a file is
    linted whatever its name. Never raises for a bad or missing file: that is a finding too.
    """
    findings: list[Finding] = []
    first_by_name: dict[str, str] = {}  # schema name → FILE:LINE of the first file that defines it
    for file in _files(paths):
        findings += _lint_file(file, first_by_name)
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.col or 0))


def lint_text(text: str, name: str) -> list[Finding]:
    """Every problem of one schema given as text (an editor's buffer), ``name`` standing for its file."""
    try:
        doc = parse_yaml(text, name)
    except SchemaError as exc:
        return [_unreadable(exc)]
    return sorted(_lint_document(doc, {}), key=lambda f: (f.line or 0, f.col or 0))


def exit_code(findings: Iterable[Finding], fail_on: str = ERROR) -> int:
    """1 when any finding is at or above ``fail_on`` ("error" or "warning"), else 0."""
    if fail_on not in _RANK:
        raise ValueError(f"fail_on must be 'error' or 'warning', not {fail_on!r}")
    return int(any(_RANK[f.severity] >= _RANK[fail_on] for f in findings))


def _files(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files to lint, each once, spelled as the user spelled them."""
    seen: set[str] = set()
    files: list[str] = []
    for path in paths:
        found = [str(f) for f in schema_files(Path(path))] if os.path.isdir(path) else [os.fsdecode(path)]
        for file in found:
            key = os.path.realpath(file)  # a file given and also found in a given folder is one file
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files


def _lint_file(file: str, first_by_name: dict[str, str]) -> list[Finding]:
    try:
        doc = read_yaml(file)
    except SchemaError as exc:
        return [_unreadable(exc)]
    return _lint_document(doc, first_by_name)


def _lint_document(doc: Document, first_by_name: dict[str, str]) -> list[Finding]:
    findings = [finding for check in _CHECKS for finding in check(doc)]
    if validator().is_valid(doc.data):  # build_schema relies on a document schema.json accepts
        findings += _semantic(doc, findings)
    findings += _duplicate_name(doc, first_by_name)
    return _without_repeats(findings)


def _at(
    doc: Document,
    rule: str,
    message: str,
    path: Where = (),
    *,
    key: bool = False,
    severity: str | None = None,
) -> Finding:
    """A finding of ``rule`` at ``path`` in ``doc`` (at its key with ``key``), naming the path; its
    severity is the rule's unless ``severity`` says otherwise."""
    line, col = doc.mark(path, key=key)
    if path:
        message += f" (at {format_path(path)})"
    severity = severity or (WARNING if rule in _WARNINGS else ERROR)
    return Finding(doc.name, line, col, severity, rule, message)


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    """Drop a generic error where a specific one stands at the same place: they say the same thing.

    A fastmatch entry without a placeholder breaks schema.json's pattern and also fails to compile;
    the second says it in the user's terms.
    """
    taken = {(f.line, f.col) for f in findings if f.rule not in _GENERIC and f.severity == ERROR}
    return [f for f in findings if f.rule not in _GENERIC or (f.line, f.col) not in taken]


# --- step 1: reading ------------------------------------------------------------------------------

# yamlio reports every problem as a SchemaError; its message says which kind it is.
_READ_RULES: Final = (
    ("cannot read schema file", "file-unreadable"),
    ("duplicate key ", "duplicate-key"),
    ("schema file is ", "yaml-limit"),
    ("schema file has more than", "yaml-limit"),
    ("YAML nesting is deeper", "yaml-limit"),
    ("YAML aliases are not allowed", "yaml-limit"),
    ("YAML anchors are not allowed", "yaml-limit"),
)


def _unreadable(exc: SchemaError) -> Finding:
    rule = next((rule for prefix, rule in _READ_RULES if exc.message.startswith(prefix)), "yaml-syntax")
    return Finding(exc.file or "", exc.line, exc.col, ERROR, rule, exc.message)


# --- step 2: schema.json --------------------------------------------------------------------------


def _json_schema(doc: Document) -> Iterator[Finding]:
    """Every schema.json violation, worded as the loader words its first one."""
    for error in validator().iter_errors(doc.data):
        path = tuple(error.absolute_path)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            for key in _unknown_keys(error):
                yield _at(doc, "unknown-key", f"unknown key {key!r}", (*path, key), key=True)
        elif path == ("schema",) and error.validator in ("pattern", "maxLength"):
            yield _at(doc, "schema-name", _name_message(error), path)
        else:
            message, at_key = reword(error)
            yield _at(doc, "schema-json", message, path, key=at_key)


def _unknown_keys(error: jsonschema.ValidationError) -> list[str]:
    known = set(error.schema.get("properties", {})) | ref_properties(error.schema)
    return sorted(set(error.instance) - known)


def _name_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "maxLength":
        return (
            f"schema name is {len(error.instance)} characters, more than the {error.validator_value} allowed"
        )
    return reword(error)[0]


# --- step 3: checks on the plain document ---------------------------------------------------------
# Each tolerates any shape of data: a value of the wrong type is schema.json's to report, not theirs.


def _values(data: Any) -> Iterator[tuple[Where, dict[str, Any]]]:
    """Every field and array element, depth first in schema order, with its path."""
    if isinstance(data, dict):
        yield from _fields_in(data.get("fields"), ("fields",))


def _fields_in(items: Any, path: Where) -> Iterator[tuple[Where, dict[str, Any]]]:
    for i, item in _items(items, dict):
        yield from _value_tree(item, (*path, i))


def _value_tree(item: dict[str, Any], path: Where) -> Iterator[tuple[Where, dict[str, Any]]]:
    yield path, item
    yield from _fields_in(item.get("fields"), (*path, "fields"))
    if isinstance(item.get("element"), dict):
        yield from _value_tree(item["element"], (*path, "element"))


def _items(value: Any, kind: type) -> list[tuple[int, Any]]:
    """(index, item) for the items of a list that are of ``kind``; nothing when it is not a list."""
    return (
        [(i, item) for i, item in enumerate(value) if isinstance(item, kind)]
        if isinstance(value, list)
        else []
    )


def _parser_config(doc: Document, kind: str) -> dict[str, Any]:
    """The settings of the ``kind`` parser, or ``{}`` when the schema has no such parser."""
    parser = doc.data.get("parser") if isinstance(doc.data, dict) else None
    config = parser.get(kind) if isinstance(parser, dict) else None
    return config if isinstance(config, dict) else {}


def _text_parser(doc: Document) -> tuple[str, dict[str, Any]] | None:
    """The one text parser of the schema and its settings; None for JSON lines or a broken block."""
    for kind in ("fastmatch", "regex", "csv"):
        config = _parser_config(doc, kind)
        if config:
            return kind, config
    return None


def _fastmatch_patterns(doc: Document) -> Iterator[Finding]:
    """Each fastmatch pattern splits into placeholders with literal text between them (spec a.1)."""
    for i, pattern in _items(_parser_config(doc, "fastmatch").get("match"), str):
        try:
            split_pattern(pattern)
        except PatternError as exc:
            rule = "adjacent-captures" if " are adjacent" in str(exc) else "invalid-pattern"
            yield _at(doc, rule, str(exc), ("parser", "fastmatch", "match", i))


def _templates(doc: Document) -> Iterator[Finding]:
    """Each ``expandFields`` template closes its ``%{`` (Panther panics on one that does not, spec j.11)."""
    found = _text_parser(doc)
    templates = found[1].get("expandFields") if found else None
    for name, template in templates.items() if isinstance(templates, dict) else ():
        if isinstance(template, str):
            try:
                parse_template(template)
            except SchemaError as exc:
                yield _at(doc, "invalid-pattern", exc.message, ("parser", found[0], "expandFields", name))


def _grok_references(doc: Document) -> Iterator[Finding]:
    """Every grok reference names a known pattern, and no definition refers to itself (spec f.1).

    Each definition and each ``match`` entry is expanded alone so that each problem is placed where it
    is written; one that shows through several entries is reported once, where it is first seen.
    """
    config = _parser_config(doc, "regex")
    definitions = _definitions(config)
    if definitions is None:
        return
    sources = [(("parser", "regex", "patternDefinitions", k), text) for k, text in definitions.items()]
    sources += [(("parser", "regex", "match", i), text) for i, text in _items(config.get("match"), str)]
    reported: set[str] = set()
    for path, text in sources:
        try:
            expand(text, definitions)
        except SchemaError as exc:
            if exc.message not in reported:
                reported.add(exc.message)
                yield _at(doc, "invalid-pattern", exc.message, path)


def _definitions(config: Mapping[str, Any]) -> dict[str, str] | None:
    """``patternDefinitions`` when they are well-formed (schema.json reports them otherwise)."""
    definitions = config.get("patternDefinitions", {})
    if not isinstance(definitions, dict) or not all(isinstance(v, str) for v in definitions.values()):
        return None
    try:
        expand("", definitions)  # checks the names, and only them
    except SchemaError:
        return None
    return definitions


def _assembled(doc: Document) -> tuple[dict[str, Any], str] | None:
    """The regex parser's settings and its whole pattern, when it can be assembled: entries are
    strings and every grok reference expands (before that, ``_json_schema`` and ``_grok_references``
    report what is wrong)."""
    config = _parser_config(doc, "regex")
    match = config.get("match")
    definitions = _definitions(config)
    if definitions is None or not _all_strings(match):
        return None
    try:
        return config, expand("".join(match), definitions)
    except SchemaError:
        return None


def _compiled(doc: Document) -> tuple[dict[str, Any], regex.Pattern[str]] | None:
    """The regex parser's settings and compiled pattern; None when ``_regex_compiles`` has a finding."""
    assembled = _assembled(doc)
    if assembled is None or compiled_size(assembled[1]) > MAX_COMPILED_SIZE:
        return None
    try:
        return assembled[0], compile_regex(assembled[0])
    except SchemaError:
        return None


def _all_strings(value: Any) -> bool:
    """A non-empty list of strings."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _regex_compiles(doc: Document) -> Iterator[Finding]:
    """The joined ``match`` entries compile (the loader's own check, at the same place), and are
    refused before compiling when that would cost seconds or all memory (reliability.md 3.1)."""
    assembled = _assembled(doc)
    if assembled is None:
        return
    config, pattern = assembled
    size = compiled_size(pattern)
    if size > MAX_COMPILED_SIZE:
        about = f"about {size:,}" if size < 10**9 else "more than 1,000,000,000"
        message = (
            f"the pattern is too costly to compile: its repeats expand to {about} steps, more than "
            f"the {MAX_COMPILED_SIZE:,} allowed (a repeat inside a repeat multiplies them)"
        )
        yield _at(doc, "regex-invalid", message, ("parser", "regex", "match"))
        return
    try:
        compile_regex(config)
    except SchemaError as exc:
        yield _at(doc, "regex-invalid", exc.message, ("parser", "regex", "match"))


def _redos(doc: Document) -> Iterator[Finding]:
    """Ambiguity that makes the regex backtrack for long on a line that almost matches (ReDoS).

    The analysis is ``regexcheck.redos``'s: an exponential or polynomial ambiguity of the pattern's
    automaton, and a line that shows it. Exponential is an error when that line, at most 64 characters,
    makes the ``regex`` module exhaust 50 ms (a fraction of the default per-line budget: such lines
    are cheap to send, and each costs the whole budget); every other verdict is a warning, since the
    per-line timeout still bounds the cost (reliability.md 3.2). Each entry is analysed in place when
    each one is a whole regex, so that the finding points at it; otherwise the joined pattern is.
    """
    compiled = _compiled(doc)
    if compiled is None:
        return
    config, pattern = compiled
    entries = [expand(entry, config.get("patternDefinitions", {})) for entry in config["match"]]
    found = redos(entries, pattern)
    if found is None:
        return
    path: Where = ("parser", "regex", "match")
    if found.entry is not None:
        path = (*path, found.entry)
    yield _at(doc, "regex-redos", found.message(), path, severity=ERROR if found.exponential else WARNING)


def _time_formats(doc: Document) -> Iterator[Finding]:
    """Every time format can parse something (spec l.9: checked when the schema is built)."""
    for path, item in _values(doc.data):
        formats = [((*path, "timeFormats", i), fmt) for i, fmt in _items(item.get("timeFormats"), str)]
        if isinstance(item.get("timeFormat"), str):
            formats.append(((*path, "timeFormat"), item["timeFormat"]))
        for where, fmt in formats:
            try:
                compile_time_formats((fmt,))
            except TimeFormatError as exc:
                yield _at(doc, "time-format", str(exc), where)


def _indicators(doc: Document) -> Iterator[Finding]:
    """Indicators only on strings (spec d): Panther drops them silently elsewhere (spec j.12)."""
    for path, item in _values(doc.data):
        kind = item.get("type")
        if "indicators" in item and kind in _types() and kind != "string":
            message = f"'indicators' applies to string values, not to {kind!r}"
            if kind == "array":
                message += ": put them on its element (element: {type: string, indicators: [...]})"
            yield _at(doc, "indicator-type", message, (*path, "indicators"))


def _types() -> list[str]:
    return json_schema()["$defs"]["value"]["properties"]["type"]["enum"]


def _event_times(doc: Document) -> Iterator[Finding]:
    """One ``isEventTime``: with several, the first present one in schema order wins (spec c.5)."""
    marked = [
        path
        for path, item in _values(doc.data)
        if item.get("isEventTime") is True and "element" not in path  # array items never set it (c.5)
    ]
    for path in marked[1:]:
        line = doc.mark(marked[0])[0]
        message = (
            f"isEventTime is set on more than one field: p_event_time comes from the first present one "
            f"in schema order, {format_path(marked[0])} (line {line})"
        )
        yield _at(doc, "multiple-event-time", message, (*path, "isEventTime"), key=True)


# --- captures and fields --------------------------------------------------------------------------

_CAPTURE_WORDS: Final = {  # kind → (what a capture is called, how to silence one on purpose)
    "fastmatch": ("placeholder", "or write %{} to skip the text"),
    "regex": ("named group", "or leave the group unnamed"),
    "csv": ("column", "or name the column '' to skip it"),
}


def _captures(doc: Document) -> tuple[str, dict[str, Where]] | None:
    """The text parser's kind and the names it captures, each with where it is first written;
    None when they cannot be known (JSON lines, a header-named CSV, a pattern that does not compile)."""
    found = _text_parser(doc)
    if found is None:
        return None
    kind, config = found
    if kind == "fastmatch":
        return _fastmatch_captures(config)
    if kind == "regex":
        compiled = _compiled(doc)
        return None if compiled is None else ("regex", _groups(*compiled))
    columns = config.get("columns")
    if not _all_strings(columns):
        return None
    names: dict[str, Where] = {}
    for i, name in enumerate(columns):
        if name:  # an empty name skips its column
            names.setdefault(name, ("parser", "csv", "columns", i))
    return kind, names


def _fastmatch_captures(config: Mapping[str, Any]) -> tuple[str, dict[str, Where]] | None:
    patterns = config.get("match")
    if not _all_strings(patterns):
        return None
    names: dict[str, Where] = {}
    for i, pattern in enumerate(patterns):
        try:
            placeholders = split_pattern(pattern)[1]
        except PatternError:
            return None
        for placeholder in placeholders:
            if placeholder.name:  # %{} captures nothing on purpose
                names.setdefault(placeholder.name, ("parser", "fastmatch", "match", i))
    return "fastmatch", names


def _groups(config: Mapping[str, Any], pattern: regex.Pattern[str]) -> dict[str, Where]:
    """The named groups of the compiled pattern, each with where it is written."""
    return {name: _group_path(name, config) for name in pattern.groupindex}


def _group_path(name: str, config: Mapping[str, Any]) -> Where:
    """The entry or definition where the named group ``name`` is written (grok ``%{X:name}`` too)."""
    needles = (f"(?P<{name}>", f"(?<{name}>", f":{name}}}")
    for i, text in enumerate(config["match"]):
        if any(needle in text for needle in needles):
            return ("parser", "regex", "match", i)
    for key, text in config.get("patternDefinitions", {}).items():
        if any(needle in text for needle in needles):
            return ("parser", "regex", "patternDefinitions", key)
    return ("parser", "regex", "match")


def _sources(item: Mapping[str, Any]) -> list[str]:
    """The capture names a top-level field reads: its name, or what its transformation names."""
    sources = [
        spec[key]
        for transform, key in (("rename", "from"), ("copy", "from"), ("split", "from"))
        if isinstance(spec := item.get(transform), dict) and isinstance(spec.get(key), str)
    ]
    if isinstance(item.get("concat"), dict):
        sources += [path for _, path in _items(item["concat"].get("paths"), str)]
    if not sources and isinstance(item.get("name"), str):
        sources.append(item["name"])
    return sources


def _expansions(doc: Document) -> tuple[set[str], set[str]]:
    """The names ``expandFields`` writes, and the names its templates read."""
    found = _text_parser(doc)
    templates = found[1].get("expandFields") if found else None
    if not isinstance(templates, dict):
        return set(), set()
    read: set[str] = set()
    for template in templates.values():
        try:
            read.update(parse_template(template)[1] if isinstance(template, str) else ())
        except SchemaError:
            continue  # an unclosed %{ is _templates' finding
    return set(templates), read


def _top_fields(doc: Document) -> list[tuple[int, dict[str, Any]]]:
    return _items(doc.data.get("fields"), dict) if isinstance(doc.data, dict) else []


def _unused_captures(doc: Document) -> Iterator[Finding]:
    """A capture whose value no field reads (spec a.3: Panther drops it silently)."""
    found = _captures(doc)
    if found is None:
        return
    kind, captures = found
    used = {source for _, item in _top_fields(doc) for source in _sources(item)} | _expansions(doc)[1]
    what, silence = _CAPTURE_WORDS[kind]
    for name, path in captures.items():
        if name not in used:
            yield _at(
                doc,
                "unused-capture",
                f"{what} {name!r} fills no field: name a field after it, {silence}",
                path,
            )


def _unfilled_fields(doc: Document) -> Iterator[Finding]:
    """A top-level field that nothing the parser captures or expands can fill: always absent."""
    found = _captures(doc)
    if found is None:
        return
    kind, captures = found
    filled = set(captures) | _expansions(doc)[0]
    what = _CAPTURE_WORDS[kind][0]
    for i, item in _top_fields(doc):
        sources = _sources(item)
        if sources and not filled.intersection(sources):
            names = " or ".join(map(repr, sources))
            yield _at(
                doc,
                "unfilled-field",
                f"no {what} is named {names}, so this field is never filled",
                ("fields", i, "name"),
            )


_CHECKS: Final[tuple[Callable[[Document], Iterator[Finding]], ...]] = (
    _json_schema,
    _fastmatch_patterns,
    _templates,
    _grok_references,
    _regex_compiles,
    _redos,
    _time_formats,
    _indicators,
    _event_times,
    _unused_captures,
    _unfilled_fields,
)


# --- step 4 and across files ----------------------------------------------------------------------


def _semantic(doc: Document, found: Sequence[Finding]) -> Iterator[Finding]:
    """The first error only ``build_schema`` checks, unless a check above already reported it."""
    assembled = _assembled(doc)
    if assembled is not None and compiled_size(assembled[1]) > MAX_COMPILED_SIZE:
        return  # building compiles the regex: _regex_compiles refused it for good reason
    try:
        build_schema(doc.data, file=doc.name)
    except SchemaError as exc:
        finding = _at(doc, "schema-semantic", exc.message, exc.path, key=exc.at_key)
        said = f"{exc.message} (at "
        if not any(
            (f.line, f.col) == (finding.line, finding.col)
            or f.message == exc.message
            or f.message.startswith(said)
            for f in found
        ):
            yield finding


def _duplicate_name(doc: Document, first_by_name: dict[str, str]) -> Iterator[Finding]:
    """A schema name already defined by a file linted before this one (the registry refuses both)."""
    name = doc.data.get("schema") if isinstance(doc.data, dict) else None
    if not isinstance(name, str):
        return
    first = first_by_name.get(name)
    if first is None:
        first_by_name[name] = f"{doc.name}:{doc.mark(('schema',))[0]}"
    else:
        yield _at(doc, "duplicate-schema-name", f"schema {name!r} is also defined in {first}", ("schema",))


# --- rendering ------------------------------------------------------------------------------------

FORMATS: Final = ("text", "json", "github", "sarif")
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"


def render(findings: Sequence[Finding], fmt: str) -> str:
    """The findings as ``fmt`` (one of ``FORMATS``), ending with a newline."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return renderer(findings)


def _text(findings: Sequence[Finding]) -> str:
    """One line per finding, then what they add up to."""
    return "".join(f.text() + "\n" for f in findings) + _summary(findings) + "\n"


def _summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no problems found"
    errors = sum(f.severity == ERROR for f in findings)
    files = len({f.file for f in findings})
    return (
        f"{_count(errors, 'error')}, {_count(len(findings) - errors, 'warning')} in {_count(files, 'file')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _json(findings: Sequence[Finding]) -> str:
    return json.dumps([_json_finding(f) for f in findings], indent=2, ensure_ascii=False) + "\n"


def _json_finding(f: Finding) -> dict[str, Any]:
    """A finding as JSON holds it: valid UTF-8 whatever the file's name. A name that is not UTF-8
    is shown with ``\\xff`` escapes, and its bytes kept in ``file_b64`` (as a reject's
    ``source_b64``), so that a tool can open the file."""
    out = {key: _readable(value) if isinstance(value, str) else value for key, value in asdict(f).items()}
    if not is_utf8(f.file):  # a name with surrogate escapes: its bytes are not UTF-8
        out["file_b64"] = base64.b64encode(os.fsencode(f.file)).decode("ascii")
    return out


def _readable(text: str) -> str:
    """``text`` with the bytes that are not UTF-8 (surrogate escapes of a name) as ``\\xff``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _github(findings: Sequence[Finding]) -> str:
    """Workflow annotations, then the full text report: GitHub shows only the first few annotations."""
    return "".join(_annotation(f) + "\n" for f in findings) + _text(findings)


def _annotation(f: Finding) -> str:
    """``::error file=F,line=L,col=C,title=RULE::message``, escaped as workflow commands require."""
    properties = [f"file={_escape_property(f.file)}"]
    if f.line is not None:
        properties.append(f"line={f.line}")
    if f.col is not None:
        properties.append(f"col={f.col}")
    properties.append(f"title={_escape_property(f.rule)}")
    return f"::{f.severity} {','.join(properties)}::{_escape_data(f.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _sarif(findings: Sequence[Finding]) -> str:
    """A SARIF 2.1.0 log with one run, for code-scanning uploads."""
    index = {rule: i for i, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule,
            "shortDescription": {"text": description},
            "defaultConfiguration": {"level": WARNING if rule in _WARNINGS else ERROR},
        }
        for rule, description in RULES.items()
    ]
    run = {
        "tool": {"driver": {"name": "normalize", "rules": rules}},
        "columnKind": "unicodeCodePoints",  # our columns count characters, not UTF-16 code units
        "results": [_sarif_result(f, index[f.rule]) for f in findings],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _sarif_result(f: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.file)}}
    if f.line is not None:
        location["region"] = {"startLine": f.line, **({"startColumn": f.col} if f.col is not None else {})}
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": f.severity,
        "message": {"text": _readable(f.message)},
        "locations": [{"physicalLocation": location}],
    }


def _uri(file: str) -> str:
    """A relative path stays relative (code scanning resolves it against the checkout)."""
    path = Path(file)
    return path.as_uri() if path.is_absolute() else quote(os.fsencode(path.as_posix()))


_RENDERERS: Final[dict[str, Callable[[Sequence[Finding]], str]]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "sarif": _sarif,
}
