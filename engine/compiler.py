"""Compile a ``Schema`` into one Python function that turns a line into an event.

Like ``dataclasses`` writing ``__init__``, the compiler writes the source of a function specialised
to one schema: the parser's branches bound by position to *slots* (one local variable per name the
schema uses), then trimSpace, emptyValues and expandFields on those slots, then one straight-line
block per field (converter, event-time, indicators), then the ``p_`` fields. Converters, time parsers
and indicator scanners are bound into the function's globals, so the per-line path does no lookups of
the configuration and no loop over fields. ``CompiledSchema.source`` keeps the text for
``--debug-codegen`` and tracebacks (registered with ``linecache``).

The generated function is ``parse(line, parse_time) -> dict | None | SKIP``:
``None`` means no branch matched, ``SKIP`` a line the parser swallows on purpose (``skipPrefix``), and
a ``BadValue`` raised from it carries ``field`` and ``value`` attributes naming what failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any, Final

from . import indicators, timestamps, values
from .codegen import compile_function
from .errors import BadValue
from .parsers import TextParser, compile_text_parser
from .parsers.regex import DEFAULT_TIMEOUT as DEFAULT_REGEX_TIMEOUT
from .parsers.text import GO_WHITESPACE, parse_template
from .spec import Field, Schema, Value

SKIP: Final = object()
"""Returned for a line the parser swallows on purpose (``skipPrefix``): no event, no reject."""

LineFunction = Callable[[str, str], "dict[str, Any] | object | None"]


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """A schema's line function, its parser (for explanations) and the generated source."""

    schema: Schema
    parse: LineFunction
    parser: TextParser
    source: str


def _reject_text(expected: str) -> Callable[[str], Any]:
    """Converter for object/array fields, which text parsers cannot fill (spec b.2: an error)."""

    def convert(text: str) -> Any:
        raise BadValue(expected, "a text parser gives text, not JSON")

    return convert


def _text_converter(value: Value) -> Callable[[str], Any] | None:
    """The text → value function for a field, or ``None`` when the text is kept as it is."""
    if value.type in ("string", "json"):  # json from a text parser is a JSON string (spec b.2, T23)
        return None
    if value.type == "timestamp":
        return timestamps.compile_time_text(value.time_formats)
    if value.type in ("object", "array"):
        return _reject_text(value.type)
    return values.TEXT_CONVERTERS[value.type]


def make_row_ids() -> Iterator[str]:
    """A cheap, endless source of unique, opaque, lowercase hex row ids (Panther's ``p_row_id``).

    64 random bits per normalizer (so processes and runs do not collide) plus a 48-bit counter: 28
    hex characters, the length of Panther's ids (spec e). Built from C-level callables only, so
    ``next()`` on it runs no Python frame.
    """
    return map(os.urandom(8).hex().__add__, map("{:012x}".format, count(1)))


class _Writer:
    """The generated function's source lines and the objects its globals bind."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}

    def emit(self, text: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + text)

    def bind(self, prefix: str, obj: Any) -> str:
        """Put ``obj`` into the function's globals under a fresh name and return that name."""
        name = f"_{prefix}{len(self.namespace)}"
        self.namespace[name] = obj
        return name


def compile_schema(
    schema: Schema,
    *,
    source_id: str = "",
    source_label: str = "",
    row_ids: Iterator[str] | None = None,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
) -> CompiledSchema:
    """Generate and compile the line function of ``schema``.

    ``source_id``/``source_label`` become ``p_source_id``/``p_source_label`` when non-empty;
    ``regex_timeout`` bounds each regex search, in seconds.
    """
    parser = compile_text_parser(schema.parser.kind, schema.parser.config, regex_timeout=regex_timeout)
    options = schema.parser.options
    w = _Writer()
    slots = _slot_names(schema)
    slot = {name: f"s{i}" for i, name in enumerate(slots)}

    w.emit("def parse(line, parse_time):", 0)
    if options.skip_prefix:
        w.emit(f"if line.startswith({options.skip_prefix!r}):")
        w.emit("return SKIP", 2)
    _emit_branches(w, parser, slots, slot)
    _emit_text_options(w, schema, slots, slot)
    _emit_fields(w, schema, slot)
    _emit_standard_fields(w, schema, source_id, source_label, row_ids or make_row_ids())
    w.emit("return event")

    source = "\n".join(w.lines) + "\n"
    w.namespace.update(SKIP=SKIP, BadValue=BadValue)
    parse = compile_function(source, "parse", w.namespace, f"<normalize {schema.name}>")
    return CompiledSchema(schema, parse, parser, source)


def _slot_names(schema: Schema) -> list[str]:
    """Every name the line function holds in a local: fields, then names templates read or write."""
    names = [f.name for f in schema.fields]
    for target, template in schema.parser.options.expand_fields:
        for name in (*parse_template(template)[1], target):
            if name not in names:
                names.append(name)
    return names


def _emit_branches(w: _Writer, parser: TextParser, slots: list[str], slot: dict[str, str]) -> None:
    """Try each branch in order; bind its values to the slots by position (the last duplicate wins)."""
    for i, (match, names) in enumerate(parser.branches):
        indent = 1 + i
        fn = w.bind("match", match)
        w.emit(f"values = {fn}(line)", indent)
        w.emit("if values is not None:", indent)
        targets = ["_"] * len(names)
        for position, name in enumerate(names):
            if name in slot:
                if slot[name] in targets:  # an earlier duplicate: the JSON decoder keeps the last (spec a.3)
                    targets[targets.index(slot[name])] = "_"
                targets[position] = slot[name]
        w.emit(f"{', '.join(targets)}, = values", indent + 1)
        for name in slots:
            if slot[name] not in targets:
                w.emit(f"{slot[name]} = None", indent + 1)
        w.emit("else:", indent)
    w.emit("return None", len(parser.branches) + 1)


def _emit_text_options(w: _Writer, schema: Schema, slots: list[str], slot: dict[str, str]) -> None:
    """trimSpace, then emptyValues, then expandFields, in Panther's order (spec a.4)."""
    options = schema.parser.options
    variables = [slot[name] for name in slots]
    if options.trim_space:
        ws = w.bind("ws", GO_WHITESPACE)
        for var in variables:
            w.emit(f"if {var} is not None:")
            w.emit(f"{var} = {var}.strip({ws})", 2)
    empty_test = _empty_test(w, options.empty_values)
    if empty_test:
        for var in variables:
            w.emit(f"if {empty_test(var)}:")
            w.emit(f"{var} = None", 2)
    # Templates run in the file's order (Panther's is Go map order, i.e. random: spec a.4 step 6).
    for target, template in options.expand_fields:
        literals, names = parse_template(template)
        parts = [repr(literals[0])]
        for name, literal in zip(names, literals[1:], strict=True):
            parts.append(f"({slot[name]} or '')")
            parts.append(repr(literal))
        w.emit(f"expanded = {' + '.join(p for p in parts if p != repr('')) or repr('')}")
        condition = "expanded" if not empty_test else f"expanded and not ({empty_test('expanded')})"
        w.emit(f"if {condition}:")
        w.emit(f"{slot[target]} = expanded", 2)


def _empty_test(w: _Writer, empty_values: tuple[str, ...]) -> Callable[[str], str] | None:
    """Source of the test "this value is one of emptyValues": ``==`` for one, a set for several."""
    if not empty_values:
        return None
    if len(empty_values) == 1:
        literal = repr(empty_values[0])
        return lambda var: f"{var} == {literal}"
    name = w.bind("empty", frozenset(empty_values))
    return lambda var: f"{var} in {name}"


def _emit_fields(w: _Writer, schema: Schema, slot: dict[str, str]) -> None:
    """One block per field, in schema order: convert, remember the event time, scan indicators.

    ``field_index`` is stored before each conversion so a ``BadValue`` can name its field without a
    ``try`` per field; the single handler adds the field and the value on the way out.
    """
    w.emit("event = {}")
    if any(f.value.is_event_time for f in schema.fields):
        w.emit("event_time = None")
    scanned = _indicator_fields(schema)
    if scanned:
        w.emit("found = None" if len(scanned) == 1 else "found = {}")
    w.emit("field_index = 0")
    w.emit("try:")
    event_time_seen = False
    for index, field in enumerate(schema.fields):
        var = slot[field.name]
        value = field.value
        converter = _text_converter(value)
        # "" gives null for every type but string and json (spec b.2).
        w.emit(f"if {var} is not None:" if converter is None else f"if {var}:", 2)
        if converter is None:
            w.emit(f"event[{field.name!r}] = {var}", 3)
        else:
            w.emit(f"field_index = {index}", 3)
            call = f"{w.bind('convert', converter)}({var})"
            if value.type in values.SAFE_DIGITS:  # the common case inline: a few ASCII digits
                digits = values.SAFE_DIGITS[value.type]
                fits = f"len({var}) <= {digits} and {var}.isdigit() and {var}.isascii()"
                call = f"int({var}) if {fits} else {call}"
            w.emit(f"event[{field.name!r}] = converted = {call}", 3)
            if value.type == "timestamp" and value.is_event_time:
                # The first present isEventTime field in schema order wins (spec c.5).
                if event_time_seen:
                    w.emit("if event_time is None:", 3)
                    w.emit("event_time = converted", 4)
                else:
                    w.emit("event_time = converted", 3)
                event_time_seen = True
        if field in scanned and len(scanned) == 1:
            # One indicator field: its finished p_any_* lists are remembered per value.
            w.emit(f"found = {w.bind('lookup', indicators.compile_lookup(value.indicators))}({var})", 3)
        elif field in scanned:
            w.emit(f"{w.bind('scan', indicators.compile_scanner(value.indicators))}({var}, found)", 3)
    w.emit("except BadValue as exc:")
    names = w.bind("names", tuple(f.name for f in schema.fields))
    w.emit(f"exc.field = {names}[field_index]", 2)
    w.emit(f"exc.value = ({', '.join(slot[f.name] for f in schema.fields)},)[field_index]", 2)
    w.emit("raise", 2)


def _emit_standard_fields(
    w: _Writer, schema: Schema, source_id: str, source_label: str, row_ids: Iterator[str]
) -> None:
    """The ``p_`` fields after the schema's own, in the documented order (spec e, l.2)."""
    w.emit(f"event['p_log_type'] = {schema.name!r}")
    w.emit(f"event['p_row_id'] = next({w.bind('row_ids', row_ids)})")
    if any(f.value.is_event_time for f in schema.fields):
        w.emit("event['p_event_time'] = parse_time if event_time is None else event_time")
    else:
        w.emit("event['p_event_time'] = parse_time")
    w.emit("event['p_parse_time'] = parse_time")
    if source_id:
        w.emit(f"event['p_source_id'] = {source_id!r}")
    if source_label:
        w.emit(f"event['p_source_label'] = {source_label!r}")
    scanned = _indicator_fields(schema)
    if len(scanned) == 1:
        w.emit("if found:")
        w.emit("event.update(found)", 2)
    elif scanned:
        w.emit("if found:")
        w.emit(f"event.update({w.bind('finish', indicators.finish)}(found))", 2)


def _indicator_fields(schema: Schema) -> list[Field]:
    """The fields whose values are scanned for indicators (only strings are, spec d)."""
    return [f for f in schema.fields if f.value.indicators and f.value.type == "string"]
