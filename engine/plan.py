"""The fast path: a fastmatch, regex, CSV or JSON-lines schema reduced to a plan the C accelerator
runs on whole blocks.

The generated Python line function (``compiler.py``) is the reference: it knows the whole schema
language and every reject. For the common shape of log line, its cost is nearly all CPython's own
(a frame, a dict and a dozen string objects per line, then ``orjson``), so it cannot go much below
~5 µs a line. ``engine._fastpath`` (C, built when the package is installed) runs a *plan* instead:
it finds the delimiters of each line in the block (or runs a regex schema's pattern, rewritten for
PCRE2 by ``parsers/pcre.py`` where PCRE2 finds exactly what the ``regex`` module finds), converts
the values it knows (strings, integers, RFC 3339 and plain-digit epoch times, IPv4 addresses for the
ip and hostname indicators), and writes the event's JSON straight into one output buffer, at well
under 1 µs a line. What other values become (their JSON, their ``p_any_*`` members) it asks the
Python converters and scanners, and remembers per value in C memory, so a value seen before costs
neither a call nor the GIL.
Everything it is not certain about goes back to the reference path, line by line:

- lines that may be blank, start with ``skipPrefix``, are not valid UTF-8 or are over-long;
- a quoted placeholder with a backslash ahead (Go escapes), a line no pattern matches;
- a line on which PCRE2 gives up (its match limit: a few ms), and every line after ten of those,
  so that the reference path's time budget rules a hostile pattern;
- a CSV row with a quote (Go's lazy quotes) or with another number of columns;
- an integer that is not plain digits in range, an RFC 3339 time outside the strict form;
- a value a Python converter refuses (a bad ``float``, ``boolean`` or strftime time, a broken
  ``validate`` rule).

A JSON-lines schema's plan has no patterns: C parses each line with yyjson (vendored in
``engine/vendor/yyjson``) and finds each field by its key, nested objects and array elements
included, as the line function finds them in ``orjson``'s dict (the last of a duplicate key). It
writes strings, integers, times, objects, arrays and ``json`` values (as ``orjson.dumps`` writes
them) itself, IPv4, ``aws_arn`` and ``aws_account_id`` indicators too, and asks Python for other
native numbers and booleans (remembered per value). It defers, besides what is listed above for all
plans: a line that is not exactly one JSON object, one of over 1000 values, a missing required
field, a value of another JSON type than its field takes, a float or a duplicate key inside a
``json`` value, a native number in a string field with indicators.

So each line ends exactly as the reference path would end it; ``tests/test_fastpath.py`` and
``tests/test_fastpath_json.py`` hold the two to the same bytes. A schema the plan cannot express
(``expandFields``, transformations but a renamed key, masks, a regex PCRE2 would not run exactly)
simply has no plan and runs on the reference path. A CSV schema whose columns are named by each
file's header line (``hasHeader: true``, no ``columns``) has a plan per header: the normalizer
builds it from the names when it reads a file's header on the reference path.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Final

import orjson

from . import decisions, indicators, transforms
from .errors import BadValue
from .parsers import csv, fastmatch, pcre, regex
from .parsers.fastmatch import Placeholder, split_pattern
from .spec import Field, Schema, Value
from .values import encode_event

try:
    from . import _fastpath
except ImportError:  # built without a C compiler: everything runs on the reference path
    _fastpath = None  # type: ignore[assignment]

AVAILABLE: Final = _fastpath is not None
"""Whether the C accelerator was built and imported."""

Plan = (
    Any  # engine._fastpath.Plan: run(block, parse_time, max_line_bytes, fallback, ...) -> (bytes, int, int)
)

_SCALARS: Final = frozenset({"string", "json", "int", "smallint", "bigint", "float", "boolean", "timestamp"})
_IP_IN_C: Final = (
    {("ip",): _fastpath.IP_ONLY, ("hostname",): _fastpath.IP_OR_HOST} if _fastpath is not None else {}
)
"""Indicator lists whose IPv4 addresses the accelerator recognises itself (anything else: Python)."""


Refuser = Callable[[str, decisions.Decision], Callable[[bytes], bytes | None]]
"""A field's name and decision → its ``PlanField.refuse``."""


def compile_plan(
    schema: Schema,
    *,
    columns: Sequence[str] | None = None,
    source_id: str = "",
    source_label: str = "",
    refuser: Refuser | None = None,
) -> Plan | None:
    """The accelerator's plan for ``schema``, or ``None`` when it has none (see the module doc).

    ``columns`` are a CSV header's names, as for ``compiler.compile_schema``: a schema with
    ``hasHeader: true`` and no ``columns`` has a plan per header it reads. ``refuser`` gives each
    field the function that words the reference path's reject of a value the plan would not write,
    so that the plan writes those rejects itself.
    """
    if _fastpath is None or not _expressible(schema, columns):
        return None
    options = schema.parser.options
    scanned: list[Value] = []  # the values with indicators, in the order of their slots
    if schema.parser.kind == "json":
        patterns: list[PlanPattern] | None = []
        fields = _json_fields(schema, scanned)
    else:
        patterns = _patterns(schema, columns)
        if patterns is None:
            return None
        names = [captures for _, captures in patterns]
        fields = tuple(_field(f, names, scanned, refuser) for f in schema.fields)
    standard = b',"p_log_type":' + orjson.dumps(schema.name) + b',"p_row_id":"'
    source = b""
    if source_id:
        source += b',"p_source_id":' + orjson.dumps(source_id)
    if source_label:
        source += b',"p_source_label":' + orjson.dumps(source_label)
    made = partial(
        _fastpath.Plan,
        patterns=tuple(pattern for pattern, _ in patterns),
        fields=fields,
        empty_values=tuple(v.encode() for v in options.empty_values),
        trim_space=options.trim_space,
        skip_prefix=options.skip_prefix.encode(),
        log_type=standard,
        row_prefix=os.urandom(8).hex().encode(),
        source=source,
        ip_key=b"," + orjson.dumps(indicators.FIELD_OF["ip"][0]) + b":[",
    )
    if schema.parser.kind == "json":  # its refusals (invalid_json, a value) the reference words
        return made(json=True)
    for why in (_why(schema, columns), None):
        try:
            return made(why=why)
        except ValueError:  # PCRE2 would not compile a rewritten regex: the reference path runs it
            continue
    return None


ClassifiedTexts = tuple[bytes, bytes, bytes, bytes, bytes, tuple[bytes, ...], tuple[bytes, ...]]
"""What ``classify`` writes around each schema's refusal of a line no schema takes: the record up to
the message's words, the message's "no match: ", a no_match refusal's start up to its words, what
comes between the message and the refusals, the tail from the refusals to the line number, and per
schema its name as the message gives it and the end of its refusal record."""


def classify(
    plans: tuple[Plan | None, ...],
    data: bytes,
    parse_time: bytes,
    max_line_bytes: int,
    fallback: Callable[[bytes, int], bytes | None],
    *,
    framed: bool = False,
    rejects: ClassifiedTexts | None = None,
    first_line: int = 1,
) -> tuple[bytes, int, tuple[int, ...], int, int]:
    """Several schemas' plans on one feed (``_fastpath.classify``): each record through the plans in
    order, the first that takes it writing its event; a record a plan defers, or that no plan takes,
    or that reaches a schema without a plan (``None``), goes whole to ``fallback`` (the reference
    classifier, which also words the reject of a record no schema takes). No pattern matching is
    certain in C, so the rule "the first schema in order that takes the line" holds exactly.
    With ``rejects``, a line every plan refuses (no match, a value the reference refuses too) gets
    its reject written by C, collected by ``plans[0].take_rejects()``, numbered from ``first_line``.
    Returns the NDJSON, the events, the events each plan wrote, the bytes and the records used."""
    return _fastpath.classify(
        plans,
        data,
        parse_time,
        max_line_bytes,
        fallback,
        framed=framed,
        rejects=rejects,
        first_line=first_line,
    )


WHY_FASTMATCH, WHY_CSV, WHY_REGEX = 1, 2, 3


def _why(schema: Schema, columns: Sequence[str] | None) -> tuple[tuple[Any, ...], ...] | None:
    """How each pattern words why a line does not match it, in the parsers' own words, so that the
    accelerator writes the no_match rejects itself (``Plan.take_rejects``); ``None`` where it cannot
    (a regex prefix PCRE2 would not run exactly): the reference path words them."""
    config = schema.parser.config
    if schema.parser.kind == "fastmatch":
        return tuple(
            (
                WHY_FASTMATCH,
                fastmatch.no_prefix(prefix).encode(),
                tuple(fastmatch.no_delimiter(p).encode() if p.delimiter else b"" for p in placeholders),
            )
            for prefix, placeholders in (split_pattern(source) for source in config["match"])
        )
    if schema.parser.kind == "csv":
        count = len(csv.column_names(config, columns))
        before, one = csv.wrong_count(1, count).split("1", 1)
        before_many, many = csv.wrong_count(2, count).split("2", 1)
        assert before == before_many, "the count comes first"
        return ((WHY_CSV, before.encode(), one.encode(), many.encode()),)
    prefixes = []
    for count, compiled in regex.prefix_patterns(config):
        translated = None if compiled is None else pcre.translate(compiled.pattern)
        if compiled is not None and translated is None:
            return None
        before, after = regex.matched_up_to(count, "\0").split("\0")
        groups = 0 if compiled is None else compiled.groups
        source = None if translated is None else translated.encode()
        prefixes.append((source, groups, before.encode(), after.encode()))
    return ((WHY_REGEX, regex.no_prefix_matches(len(config["match"])).encode(), tuple(prefixes)),)


PlanPattern = tuple[tuple[Any, ...], tuple[str, ...]]
"""A pattern as the accelerator reads it, and the name of each of its captures."""


def _patterns(schema: Schema, columns: Sequence[str] | None) -> list[PlanPattern] | None:
    """The schema's patterns, or ``None`` when a regex cannot run exactly on PCRE2 (``pcre.py``).

    A fastmatch pattern is its prefix, then per placeholder its delimiter and whether it is quoted;
    a CSV row of n columns is the pattern of n placeholders split by the delimiter, where a row with
    a quote or with more columns is left to the reference path; a regex is its PCRE2 rewrite and
    its number of groups, each group a capture.
    """
    config = schema.parser.config
    if schema.parser.kind == "regex":
        compiled = regex.compile_regex(config)
        source = pcre.translate(compiled.pattern)
        if source is None:
            return None
        names = [""] * compiled.groups
        for name, index in compiled.groupindex.items():
            names[index - 1] = name
        return [((source.encode(), compiled.groups), tuple(names))]
    if schema.parser.kind == "fastmatch":
        patterns = [split_pattern(source) for source in config["match"]]
        delimiter = ""
    else:
        names = csv.column_names(config, columns)
        delimiter = csv.delimiter_of(config)
        ends = [delimiter] * (len(names) - 1) + [""]
        patterns = [("", tuple(Placeholder(c, end, "") for c, end in zip(names, ends, strict=True)))]
    return [
        (
            (
                prefix.encode(),
                tuple(p.delimiter.encode() for p in placeholders),
                tuple(bool(p.quote) for p in placeholders),
                delimiter.encode(),
            ),
            tuple(p.name for p in placeholders),
        )
        for prefix, placeholders in patterns
    ]


def _expressible(schema: Schema, columns: Sequence[str] | None) -> bool:
    """Whether a plan can say everything this schema does (a CSV schema: with these header names)."""
    kind, config = schema.parser.kind, schema.parser.config
    if kind == "json":
        return not schema.parser.options.expand_fields and _json_expressible(schema.fields)
    return (
        (
            kind == "fastmatch"
            or (kind == "csv" and bool(columns or config.get("columns")))
            or (kind == "regex" and _fastpath.PCRE2_VERSION is not None)
        )
        and not schema.parser.options.expand_fields
        and all(
            f.join is None
            and f.mask is None
            and len(f.paths) == 1
            and (
                (f.split is None and f.value.type in _SCALARS)
                or (f.split is not None and f.split[1] is None)  # an array of the parts: converted
            )
            and (not f.value.indicators or f.value.type == "string")
            for f in schema.fields
        )
    )


def _json_expressible(fields: Sequence[Field]) -> bool:
    """Whether a JSON plan can read these fields: each by one key (its name, or the one it is renamed
    or copied from), without concat, split or mask."""
    return all(
        f.join is None
        and f.split is None
        and f.mask is None
        and len(f.paths) == 1
        and len(f.paths[0]) == 1
        and _json_value_expressible(f.value)
        for f in fields
    )


def _json_value_expressible(value: Value) -> bool:
    if value.type == "object":
        return not value.indicators and _json_expressible(value.fields)
    if value.type == "array":
        return not value.indicators and value.element is not None and _json_value_expressible(value.element)
    return value.type in _SCALARS and (not value.indicators or value.type == "string")


@dataclass(frozen=True, slots=True)
class PlanField:
    """One field as the accelerator reads it (by attribute name: ``read_field`` in ``_fastpath.c``).

    ``kind``, ``keeps_empty``, ``int_max`` and ``unit_ns`` are the field's ``decisions.Decision``;
    the rest says where its text is and what to write.
    """

    key: bytes
    """``,"name":``, written before the value."""
    kind: str
    """The decision's kind: ``text``, ``integer``, ``rfc3339`` and ``epoch`` are written in C,
    ``converted`` through ``convert``."""
    captures: tuple[int, ...]
    """Per pattern, the placeholder the field reads (the last of that name, as the compiler binds
    duplicates), or -1."""
    keeps_empty: bool
    required: bool
    event_time: bool
    int_max: int
    unit_ns: int
    convert: Callable[[bytes], bytes | None] | None
    """For ``converted``: captured bytes → the value's JSON, or ``None`` to defer the line."""
    refuse: Callable[[bytes], bytes | None] | None
    """A value the plan would not write → the start of the reference path's reject of the line (its
    record up to the details of the field), or ``None`` where the reference takes the value (the
    line is deferred). The accelerator remembers answers."""
    indicator: int
    """The field's slot among the fields with indicators, or -1."""
    scan: Callable[[bytes], tuple[tuple[bytes, bytes, bytes], ...]] | None
    ip: int
    """``IP_ONLY``, ``IP_OR_HOST``: the accelerator recognises IPv4 addresses itself; else
    ``IP_IN_PYTHON``."""
    # JSON plans only (read by ``read_json_field``):
    shape: str = "scalar"
    """``scalar`` (``kind`` says how a JSON string is read), ``object``, ``array`` or ``json``."""
    name: bytes = b""
    """The key the field is found under in its object."""
    children: tuple[int, ...] = ()
    """An object's fields, an array's element: their indices among the plan's fields (later ones)."""
    native: Callable[[bytes], bytes | None] | None = None
    """A scalar's native JSON number or boolean (a tag, ``T``, ``F``, ``u``, ``s`` or ``d``, and 8
    bytes in machine order) → the JSON of the converted value, or ``None`` to defer the line."""
    aws: str = ""
    """``aws_arn`` or ``aws_account_id``: the field's one indicator, which the accelerator reads
    itself (``aws_member``); ``""``: ``scan`` reads it."""
    aws_keys: tuple[bytes, bytes, bytes] = (b"", b"", b"")
    """``,"p_any_aws_account_ids":[``, then the ARNs' and the instance ids' keys."""


def _field(
    f: Field, patterns: list[tuple[str, ...]], scanned: list[Value], refuser: Refuser | None
) -> PlanField:
    """One field of the plan, from its decision."""
    value = f.value
    name = ".".join(f.paths[0])
    key = b"," + orjson.dumps(f.name) + b":"
    captures = tuple(
        max((i for i, capture in enumerate(names) if capture == name), default=-1) for names in patterns
    )
    if f.split is not None:  # the parts of a split without an index, as an array (converted)
        return _parts_field(f, key, captures, scanned)
    decision = decisions.decide(value)
    indicator, scan, ip = -1, None, _fastpath.IP_IN_PYTHON
    if value.indicators:
        indicator = len(scanned)
        scanned.append(value)
        scan = _members_of(indicators.compile_scanner(value.indicators))
        ip = _IP_IN_C.get(tuple(dict.fromkeys(value.indicators)), _fastpath.IP_IN_PYTHON)
    return PlanField(
        key=key,
        kind=decision.kind,
        captures=captures,
        keeps_empty=decision.keeps_empty,
        required=value.required,
        event_time=value.is_event_time,
        int_max=decision.int_max,
        unit_ns=decision.unit_ns,
        convert=_json_of(decision) if decision.kind == decisions.CONVERTED else None,
        refuse=None if refuser is None else refuser(f.name, decision),
        indicator=indicator,
        scan=scan,
        ip=ip,
    )


def _parts_field(f: Field, key: bytes, captures: tuple[int, ...], scanned: list[Value]) -> PlanField:
    """A field that is every part of a split text (an array): Python converts the text, and scans
    the parts with the element's indicators; the accelerator remembers both per text."""
    element = f.value.element
    assert f.split is not None and element is not None
    separator = f.split[0]
    decision = decisions.decide(element)

    def parts_json(raw: bytes) -> bytes | None:
        parts = transforms.split(raw.decode("utf-8"), separator, None)
        if parts is None:
            return None  # nothing left: the field is absent, which the reference path writes
        try:
            return encode_event([decision.apply(part) for part in parts])
        except BadValue:
            return None

    indicator, scan = -1, None
    if element.indicators:
        indicator = len(scanned)
        scanned.append(element)
        scan_one = indicators.compile_scanner(element.indicators)

        def scan_parts(text: str, found: dict[str, set[str]]) -> None:
            for part in transforms.split(text, separator, None) or ():
                scan_one(part, found)

        scan = _members_of(scan_parts)
    return PlanField(
        key=key,
        kind=decisions.CONVERTED,
        captures=captures,
        keeps_empty=False,
        required=f.value.required,
        event_time=False,
        int_max=0,
        unit_ns=0,
        convert=parts_json,
        refuse=None,
        indicator=indicator,
        scan=scan,
        ip=_fastpath.IP_IN_PYTHON,
    )


def _json_fields(schema: Schema, scanned: list[Value]) -> tuple[PlanField, ...]:
    """A JSON plan's fields, depth first: the event itself (an object) first, then its fields, each
    object's and array's own after it."""
    made: list[PlanField] = []
    root = Value(type="object", fields=schema.fields)
    _json_field(Field(name="", value=root), made, scanned, in_array=False)
    return tuple(made)


def _json_field(f: Field, made: list[PlanField], scanned: list[Value], *, in_array: bool) -> int:
    """Add field ``f`` (and what it holds) to ``made``; its index. An event time in an array is none
    (spec c.5)."""
    value = f.value
    index = len(made)
    if value.type in ("object", "array"):
        made.append(
            PlanField(
                key=b"",
                kind=decisions.TEXT,
                captures=(),
                keeps_empty=True,
                required=value.required,
                event_time=False,
                int_max=0,
                unit_ns=0,
                convert=None,
                refuse=None,
                indicator=-1,
                scan=None,
                ip=0,
            )
        )
        if value.type == "object":
            children = tuple(_json_field(g, made, scanned, in_array=in_array) for g in value.fields)
        else:
            assert value.element is not None
            children = (_json_field(Field(name="", value=value.element), made, scanned, in_array=True),)
        made[index] = replace(
            made[index],
            key=b"," + orjson.dumps(f.name) + b":",
            shape=value.type,
            name=f.paths[0][0].encode("utf-8"),
            children=children,
        )
        return index
    scalar = _field(f, [], scanned, None)  # a refused value: deferred, the reference words the reject
    aws = tuple(dict.fromkeys(value.indicators))
    made.append(
        replace(
            scalar,
            aws=aws[0] if aws in _AWS_IN_C else "",
            aws_keys=_AWS_KEYS,
            event_time=value.is_event_time and not in_array,
            shape="json" if value.type == "json" else "scalar",
            name=f.paths[0][0].encode("utf-8"),
            native=None if value.type == "json" else _native_of(decisions.decide(value, json=True)),
        )
    )
    return index


_NATIVE_TAGS: Final = {b"T": True, b"F": False}
_AWS_IN_C: Final = {("aws_arn",), ("aws_account_id",)}
"""Indicator lists a JSON plan reads itself (the other fields' values go to ``scan``)."""
_AWS_KEYS: Final = tuple(
    b"," + orjson.dumps(key) + b":[" for key in indicators.FIELD_OF["aws_arn"]
)  # account ids, ARNs, instance ids: the order of aws_member's AWS_KEY_*


def _native_of(decision: decisions.Decision) -> Callable[[bytes], bytes | None]:
    """A native JSON value, as the accelerator tags it, → the JSON of what the reference's JSON
    converter makes of the value orjson decodes, or ``None`` to defer the line (a refused value)."""

    def native(tagged: bytes) -> bytes | None:
        tag, raw = tagged[:1], tagged[1:]
        value: object
        if tag in _NATIVE_TAGS:
            value = _NATIVE_TAGS[tag]
        elif tag == b"d":
            value = struct.unpack("=d", raw)[0]
        else:
            value = int.from_bytes(raw, sys.byteorder, signed=tag == b"s")
        try:
            return encode_event(decision.apply(value))
        except Exception:  # whatever the reference makes of the value, it is its to say
            return None

    return native


def _json_of(decision: decisions.Decision) -> Callable[[bytes], bytes | None]:
    """Captured bytes → the JSON of the converted value, or ``None`` when the reference path must
    take the line (the value is refused: it writes the reject). The accelerator remembers answers.
    """

    def json_of(raw: bytes) -> bytes | None:
        try:
            value = decision.apply(raw.decode("utf-8"))
        except BadValue:
            return None
        return encode_event(value)

    return json_of


def _members_of(scan: indicators.Scanner) -> Callable[[bytes], tuple[tuple[bytes, bytes, bytes], ...]]:
    """A field's value → what it adds to the ``p_any_*`` lists, as ``(',"p_any_x":[', value, JSON
    of value)`` members. The accelerator remembers answers per value, merges the members of a line's
    fields, sorts them by key and by value bytes and drops duplicates, as ``indicators.finish`` does.
    """

    def members(raw: bytes) -> tuple[tuple[bytes, bytes, bytes], ...]:
        found: dict[str, set[str]] = {}
        scan(raw.decode("utf-8"), found)
        return tuple(
            (b"," + orjson.dumps(key) + b":[", value.encode("utf-8"), orjson.dumps(value))
            for key, values in found.items()
            for value in values
        )

    return members


__all__ = ["AVAILABLE", "Plan", "PlanField", "classify", "compile_plan"]
