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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Final

from . import indicators, rules, transforms
from .codegen import compile_function
from .decisions import INTEGER, decide, keeps_empty_text
from .errors import BadValue
from .parsers import TextParser, compile_text_parser, jsonlines
from .parsers.regex import DEFAULT_TIMEOUT as DEFAULT_REGEX_TIMEOUT
from .parsers.text import parse_template
from .spec import Field, Schema, Value
from .whitespace import GO_WHITESPACE

SKIP: Final = object()
"""Returned for a line the parser swallows on purpose (``skipPrefix``): no event, no reject."""

LineFunction = Callable[[str, str], "dict[str, Any] | object | None"]

ROW_IDS: Final = "row_ids"
"""The global of a line function that holds its ``p_row_id`` source (see ``CompiledSchema.draw_row_ids``)."""


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """A schema's line function, its text parser (for explanations; none for JSON) and its source."""

    schema: Schema
    parse: LineFunction
    parser: TextParser | None
    source: str

    def draw_row_ids(self, row_ids: Iterator[str]) -> None:
        """Take ``p_row_id``s from ``row_ids`` from now on: a forked worker process, which shares the
        parent's compiled function, must not repeat the parent's ids."""
        self.parse.__globals__[ROW_IDS] = row_ids


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
    columns: Sequence[str] | None = None,
) -> CompiledSchema:
    """Generate and compile the line function of ``schema``.

    ``source_id``/``source_label`` become ``p_source_id``/``p_source_label`` when non-empty;
    ``regex_timeout`` bounds each regex search, in seconds; ``columns`` are a CSV header's names.
    """
    w = _Writer()
    w.emit("def parse(line, parse_time):", 0)
    if schema.parser.kind == "json":
        parser = None
        w.emit(f"obj = {w.bind('decode', jsonlines.decode_line)}(line)")
        _emit_fields(w, schema, None)
    else:
        parser = compile_text_parser(
            schema.parser.kind, schema.parser.config, regex_timeout=regex_timeout, columns=columns
        )
        options = schema.parser.options
        slots = _slot_names(schema)
        slot = {name: f"s{i}" for i, name in enumerate(slots)}
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
    names = list(dict.fromkeys(".".join(path) for f in schema.fields for path in f.paths))
    for target, template in schema.parser.options.expand_fields:
        for name in (*parse_template(template)[1], target):
            if name and name not in names:  # %{} in a template names no value: it expands to ""
                names.append(name)
    return names


def _emit_branches(w: _Writer, parser: TextParser, slots: list[str], slot: dict[str, str]) -> None:
    """Try each branch in order; bind its values to the slots by position (the last duplicate wins).

    A flat ``if``/``elif`` chain, so any number of patterns stays within Python's nesting limits;
    a parser with one branch that offers its code is inlined instead.
    """
    if parser.inline is not None:
        ((_, names),) = parser.branches
        targets = _targets(names, slot)
        lines, namespace = parser.inline(targets)
        w.lines.extend(lines)
        w.namespace.update(namespace)
        for name in slots:
            if slot[name] not in targets:
                w.emit(f"{slot[name]} = None")
        return
    for i, (match, names) in enumerate(parser.branches):
        keyword = "if" if i == 0 else "elif"
        w.emit(f"{keyword} (values := {w.bind('match', match)}(line)) is not None:")
        targets = _targets(names, slot)
        w.emit(f"{', '.join(targets)}, = values", 2)
        for name in slots:
            if slot[name] not in targets:
                w.emit(f"{slot[name]} = None", 2)
    w.emit("else:")
    w.emit("return None", 2)


def _targets(names: tuple[str, ...], slot: dict[str, str]) -> list[str]:
    """The local each value of a branch goes to, by position; ``_`` for values nothing reads."""
    targets = ["_"] * len(names)
    for position, name in enumerate(names):
        if name and name in slot:  # the unnamed %{} emits nothing (spec a.1, U8)
            if slot[name] in targets:  # an earlier duplicate: the JSON decoder keeps the last (spec a.3)
                targets[targets.index(slot[name])] = "_"
            targets[position] = slot[name]
    return targets


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
            if name:
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


@dataclass
class _Fields:
    """What the field emitters share while writing one schema's function."""

    w: _Writer
    json: bool  # values come decoded from JSON (native types) rather than as captured text
    lookup: Value | None  # the one indicator value whose finished lists are remembered, if any
    paths: list[str] = field(default_factory=list)  # field paths, indexed by ``where``
    names: count = field(default_factory=count)  # fresh suffixes for generated local names
    event_time_seen: bool = False

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.names)}"


def _emit_fields(w: _Writer, schema: Schema, slot: dict[str, str] | None) -> None:
    """One block per field, in schema order: presence, conversion, rules, event time, indicators.

    ``slot`` maps field names to the locals holding captured text; ``None`` means a JSON source,
    whose decoded object is the local ``obj``. ``where`` (an index into the field paths) and
    ``current`` are stored before each conversion, so one ``except`` can name the field and the
    value of any ``BadValue`` without a ``try`` per field.
    """
    scanned = [v for v in _values(schema.fields) if v.indicators]
    ctx = _Fields(w, json=slot is None, lookup=_lookup_value(schema))
    w.emit("event = {}")
    if any(v.is_event_time for v in _values(schema.fields)):
        w.emit("event_time = None")
    if scanned:
        w.emit("found = None" if ctx.lookup is not None else "found = {}")
    w.emit("where = 0")
    w.emit("current = None")
    w.emit("try:")
    source = None if slot else "obj"
    _emit_object_fields(ctx, schema.fields, target="event", source=source, slot=slot, prefix="", indent=2)
    w.emit("except BadValue as exc:")
    w.emit(f"exc.field = {w.bind('paths', ctx.paths)}[where]", 2)
    w.emit("exc.value = current", 2)
    w.emit("raise", 2)


def _lookup_value(schema: Schema) -> Value | None:
    """The schema's one indicator value, when it is a top-level string: its finished p_any_* lists
    can then be remembered per value. Anything else (several, nested, in arrays) merges per event.
    """
    scanned = [v for v in _values(schema.fields) if v.indicators]
    if (
        len(scanned) == 1
        and scanned[0].type == "string"
        and any(f.value is scanned[0] for f in schema.fields)
    ):
        return scanned[0]
    return None


def _values(fields: tuple[Field, ...]) -> Iterator[Value]:
    """Every value of a schema, nested ones and array elements included, depth first."""
    for f in fields:
        stack = [f.value]
        while stack:
            value = stack.pop()
            yield value
            stack.extend(g.value for g in reversed(value.fields))
            if value.element is not None:
                stack.append(value.element)


def _emit_object_fields(
    ctx: _Fields,
    fields: tuple[Field, ...],
    *,
    target: str,
    source: str | None,
    slot: dict[str, str] | None,
    prefix: str,
    indent: int,
    event_time: bool = True,
) -> None:
    """The fields of the event (or of a nested object) into the dict ``target``.

    Values come from the JSON object in the local ``source``, or, for a text parser, from ``slot``.
    """
    for f in fields:
        var = _emit_input(ctx, f, source, slot, indent)
        if f.mask is not None:  # masked before anything sees the value
            masked = ctx.fresh("m")
            ctx.w.emit(f"{masked} = None if {var} is None else {f.mask!r}", indent)
            var = masked
        _emit_value(
            ctx,
            f.value,
            var,
            assign=f"{target}[{_literal(f.name)}] = {{}}",
            path=f"{prefix}{f.name}",
            indent=indent,
            absent=f"raise {ctx.w.bind('missing', rules.missing)}()" if f.value.required else None,
            event_time=event_time,
        )


def _literal(name: str) -> str:
    """``name`` as a Python literal inside an ``assign`` template, which ``str.format`` fills: its
    braces doubled (a field named ``a{pp`` broke the template)."""
    return repr(name).replace("{", "{{").replace("}", "}}")


def _emit_input(ctx: _Fields, f: Field, source: str | None, slot: dict[str, str] | None, indent: int) -> str:
    """The local holding a field's input value: its key, or what its transformations make of its paths.

    Text captures are flat, so a dotted path is just a capture's name there; in JSON it digs.
    """
    w = ctx.w
    inputs = []
    for path in f.paths:
        if source is None:
            inputs.append(slot[".".join(path)])  # type: ignore[index]
            continue
        var = ctx.fresh("v")
        if len(path) == 1:
            w.emit(f"{var} = {source}.get({path[0]!r})", indent)
        else:
            w.emit(f"{var} = {w.bind('dig', transforms.dig)}({source}, {path!r})", indent)
        inputs.append(var)
    if f.join is None and f.split is None:
        return inputs[0]
    var = ctx.fresh("t")
    w.emit(f"where = {len(ctx.paths)}", indent)  # the index _emit_value gives this field next
    w.emit("current = None", indent)
    if f.join is not None:
        w.emit(f"{var} = {w.bind('concat', transforms.concat)}({f.join!r}, {', '.join(inputs)})", indent)
    else:
        separator, index = f.split  # type: ignore[misc]
        w.emit(f"{var} = {w.bind('split', transforms.split)}({inputs[0]}, {separator!r}, {index})", indent)
    return var


def _emit_value(
    ctx: _Fields,
    value: Value,
    var: str,
    *,
    assign: str,
    path: str,
    indent: int,
    absent: str | None,
    event_time: bool,
) -> None:
    """Write ``var``, converted, through ``assign`` (a statement with ``{}`` for the value).

    ``absent`` is the statement to run when the value is null or absent (``required`` raises).
    """
    w = ctx.w
    if keeps_empty_text(value, json=ctx.json):
        present = f"{var} is not None"
    else:  # "" gives null for every type but string and json (spec b.2)
        present = f"{var} is not None and {var} != ''" if ctx.json else var
    w.emit(f"if {present}:", indent)
    inner = indent + 1
    where = len(ctx.paths)
    ctx.paths.append(path)
    if value.type in ("object", "array"):
        w.emit(f"where = {where}", inner)
        w.emit(f"current = {var}", inner)
    if value.type == "object":
        _emit_object(ctx, value, var, assign=assign, path=path, indent=inner, event_time=event_time)
    elif value.type == "array":
        _emit_array(ctx, value, var, assign=assign, path=path, indent=inner)
    else:
        converted = _emit_scalar(ctx, value, var, where, inner)
        w.emit(assign.format(converted), inner)
        if value.is_event_time and event_time:  # the first present one in schema order (spec c.5)
            if ctx.event_time_seen:
                w.emit("if event_time is None:", inner)
                w.emit(f"event_time = {converted}", inner + 1)
            else:
                w.emit(f"event_time = {converted}", inner)
            ctx.event_time_seen = True
        if value.indicators and value.type == "string":
            if value is ctx.lookup:  # one indicator field: its finished lists are remembered per value
                lookup = w.bind("lookup", indicators.compile_lookup(value.indicators))
                w.emit(f"found = {lookup}({converted})", inner)
            else:
                scan = w.bind("scan", indicators.compile_scanner(value.indicators))
                w.emit(f"{scan}({converted}, found)", inner)
    if absent is not None:
        w.emit("else:", indent)
        w.emit(f"where = {where}", inner)
        w.emit("current = None", inner)
        w.emit(absent, inner)


def _emit_scalar(ctx: _Fields, value: Value, var: str, where: int, indent: int) -> str:
    """Convert and check a scalar; return the expression holding the result."""
    w = ctx.w
    decision = decide(value, json=ctx.json)
    convert, check = decision.convert, decision.check
    if convert is None and check is None:
        return var
    w.emit(f"where = {where}", indent)
    w.emit(f"current = {var}", indent)
    result = var
    if convert is not None:
        call = f"{w.bind('convert', convert)}({var})"
        if ctx.json and value.type == "string":
            call = f"{var} if type({var}) is str else {call}"
        elif not ctx.json and decision.kind == INTEGER:  # the common case inline: a few digits
            digits = decision.safe_digits
            call = f"int({var}) if len({var}) <= {digits} and {var}.isdigit() and {var}.isascii() else {call}"
        result = ctx.fresh("c")
        w.emit(f"{result} = {call}", indent)
    if check is not None:
        w.emit(f"{w.bind('check', check)}({result})", indent)
    return result


def _emit_object(
    ctx: _Fields, value: Value, var: str, *, assign: str, path: str, indent: int, event_time: bool
) -> None:
    """A nested object, inline: its fields, then the finished dict (an empty object is kept)."""
    w = ctx.w
    source, target = ctx.fresh("o"), ctx.fresh("d")
    w.emit(f"{source} = {w.bind('expect_object', jsonlines.expect_object)}({var})", indent)
    w.emit(f"{target} = {{}}", indent)
    _emit_object_fields(
        ctx,
        value.fields,
        target=target,
        source=source,
        slot=None,
        prefix=f"{path}.",
        indent=indent,
        event_time=event_time,
    )
    w.emit(assign.format(target), indent)


def _emit_array(ctx: _Fields, value: Value, var: str, *, assign: str, path: str, indent: int) -> None:
    """An array: each element converted by ``element``; nulls kept, an empty array omitted (b.2).

    Timestamps inside arrays never set the event time (spec c.5), and use the element's own time
    formats (Panther ignores them: its bug j.4).
    """
    w = ctx.w
    element = value.element
    assert element is not None
    items, item = ctx.fresh("items"), ctx.fresh("x")
    w.emit(f"{items} = []", indent)
    w.emit(f"for {item} in {w.bind('expect_array', jsonlines.expect_array)}({var}):", indent)
    append = f"{items}.append({{}})"
    _emit_value(
        ctx,
        element,
        item,
        assign=append,
        path=f"{path}[]",
        indent=indent + 1,
        absent=append.format("None"),
        event_time=False,
    )
    w.emit(f"if {items}:", indent)
    w.emit(assign.format(items), indent + 1)


def _emit_standard_fields(
    w: _Writer, schema: Schema, source_id: str, source_label: str, row_ids: Iterator[str]
) -> None:
    """The ``p_`` fields after the schema's own, in the documented order (spec e, l.2)."""
    w.emit(f"event['p_log_type'] = {schema.name!r}")
    w.namespace[ROW_IDS] = row_ids
    w.emit(f"event['p_row_id'] = next({ROW_IDS})")
    if any(v.is_event_time for v in _values(schema.fields)):
        w.emit("event['p_event_time'] = parse_time if event_time is None else event_time")
    else:
        w.emit("event['p_event_time'] = parse_time")
    w.emit("event['p_parse_time'] = parse_time")
    if source_id:
        w.emit(f"event['p_source_id'] = {source_id!r}")
    if source_label:
        w.emit(f"event['p_source_label'] = {source_label!r}")
    if _lookup_value(schema) is not None:  # the remembered lists of _emit_value
        w.emit("if found:")
        w.emit("event.update(found)", 2)
    elif any(v.indicators for v in _values(schema.fields)):
        w.emit("if found:")
        w.emit(f"event.update({w.bind('finish', indicators.finish)}(found))", 2)
