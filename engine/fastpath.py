"""The fast path: a fastmatch schema reduced to a plan that the C accelerator runs on whole blocks.

The generated Python line function (``compiler.py``) is the reference: it knows the whole schema
language and every reject. For the common shape of log line, its cost is nearly all CPython's own
(a frame, a dict and a dozen string objects per line, then ``orjson``), so it cannot go much below
~5 µs a line. ``engine._fastpath`` (C, built when the package is installed) runs a *plan* instead:
it finds the delimiters of each line in the block, converts the values it knows (strings, integers,
RFC 3339 times), and writes the event's JSON straight into one output buffer, at well under 1 µs a
line. Everything it is not certain about goes back to the reference path, line by line:

- lines that may be blank, start with ``skipPrefix``, are not valid UTF-8 or are over-long;
- a quoted placeholder with a backslash ahead (Go escapes), a line no pattern matches;
- an integer that is not plain digits in range, an RFC 3339 time outside the strict form;
- other types and ``validate`` rules go through Python converters whose JSON is remembered per
  value (``float``, ``boolean``, strftime and unix times), and a value they refuse is deferred too.

So each line ends exactly as the reference path would end it; ``tests/test_fastpath.py`` holds the
two to the same bytes. A schema the plan cannot express (``expandFields``, transformations, masks,
non-fastmatch parsers) simply has no plan and runs on the reference path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

import orjson

from . import indicators, rules
from .compiler import text_converter
from .errors import BadValue
from .parsers.fastmatch import split_pattern
from .sinks import encode_event
from .spec import Field, Schema, Value

try:
    from . import _fastpath
except ImportError:  # built without a C compiler: everything runs on the reference path
    _fastpath = None  # type: ignore[assignment]

AVAILABLE: Final = _fastpath is not None
"""Whether the C accelerator was built and imported."""

Plan = Any  # engine._fastpath.Plan: run(block, parse_time, max_line_bytes, fallback) -> (bytes, int)

_SCALARS: Final = frozenset({"string", "json", "int", "smallint", "bigint", "float", "boolean", "timestamp"})
_INT_MAX: Final = {"smallint": (1 << 15) - 1, "int": (1 << 31) - 1, "bigint": (1 << 63) - 1}
_RFC3339_ONLY: Final = ((), ("",), ("rfc3339",))
_MEMORY: Final = 4096
"""How many values a converter's JSON memory holds before it is emptied."""


def compile_plan(schema: Schema, *, source_id: str = "", source_label: str = "") -> Plan | None:
    """The accelerator's plan for ``schema``, or ``None`` when it has none (see the module doc)."""
    if _fastpath is None or not _expressible(schema):
        return None
    options = schema.parser.options
    patterns = [split_pattern(source) for source in schema.parser.config["match"]]
    scanned: list[Value] = []  # the values with indicators, in the order of their slots
    fields = tuple(_field(f, patterns, scanned) for f in schema.fields)
    scanners = tuple(indicators.compile_scanner(v.indicators) for v in scanned)
    standard = b',"p_log_type":' + orjson.dumps(schema.name) + b',"p_row_id":"'
    source = b""
    if source_id:
        source += b',"p_source_id":' + orjson.dumps(source_id)
    if source_label:
        source += b',"p_source_label":' + orjson.dumps(source_label)
    return _fastpath.Plan(
        patterns=tuple(
            (
                prefix.encode(),
                tuple(p.delimiter.encode() for p in placeholders),
                tuple(bool(p.quote) for p in placeholders),
            )
            for prefix, placeholders in patterns
        ),
        fields=fields,
        empty_values=tuple(v.encode() for v in options.empty_values),
        trim_space=options.trim_space,
        skip_prefix=options.skip_prefix.encode(),
        indicate=_indicate(scanners) if scanners else None,
        log_type=standard,
        row_prefix=os.urandom(8).hex().encode(),
        source=source,
    )


def _expressible(schema: Schema) -> bool:
    """Whether a plan can say everything this schema does."""
    return (
        schema.parser.kind == "fastmatch"
        and not schema.parser.options.expand_fields
        and all(
            f.join is None
            and f.split is None
            and f.mask is None
            and len(f.paths) == 1
            and f.value.type in _SCALARS
            and (not f.value.indicators or f.value.type == "string")
            for f in schema.fields
        )
    )


def _field(f: Field, patterns: list[tuple[str, tuple[Any, ...]]], scanned: list[Value]) -> tuple:
    """One field of the plan: ``(key, kind, captures, max, event_time, required, keeps_empty,
    indicator, call)``, where ``captures`` gives, per pattern, the placeholder the field reads (the
    last of that name, as the compiler binds duplicates) or -1.
    """
    value = f.value
    name = ".".join(f.paths[0])
    captures = tuple(
        max((i for i, p in enumerate(placeholders) if p.name == name), default=-1)
        for _, placeholders in patterns
    )
    keeps_empty = value.type in ("string", "json")
    check = rules.compile_validate(value.validate) if value.type == "string" else None
    kind, call, most = _fastpath.K_CALL, None, 0
    if keeps_empty and check is None:
        kind = _fastpath.K_STRING
    elif value.type in _INT_MAX:
        kind, most = _fastpath.K_INT, _INT_MAX[value.type]
    elif value.type == "timestamp" and value.time_formats in _RFC3339_ONLY:
        kind = _fastpath.K_RFC3339
    else:
        call = _json_of(text_converter(value), check)
    indicator = -1
    if value.indicators:
        indicator = len(scanned)
        scanned.append(value)
    key = b"," + orjson.dumps(f.name) + b":"
    return (key, kind, captures, most, value.is_event_time, value.required, keeps_empty, indicator, call)


def _json_of(
    convert: Callable[[str], object] | None, check: Callable[[object], None] | None
) -> Callable[[bytes], bytes | None]:
    """Captured bytes → the JSON of the converted value, or ``None`` when the reference path must
    take the line (the value is refused: it writes the reject). Answers are remembered per value.
    """
    memory: dict[bytes, bytes | None] = {}

    def json_of(raw: bytes) -> bytes | None:
        if raw in memory:
            return memory[raw]
        try:
            value = raw.decode("utf-8")
            if convert is not None:
                value = convert(value)
            if check is not None:
                check(value)
        except BadValue:
            answer = None
        else:
            answer = encode_event(value)
        if len(memory) >= _MEMORY:
            memory.clear()
        memory[raw] = answer
        return answer

    return json_of


def _indicate(scanners: tuple[indicators.Scanner, ...]) -> Callable[[tuple[bytes | None, ...]], bytes]:
    """The indicator values of a line (``None`` where absent) → its ``,"p_any_...":[...]`` members,
    as the reference path merges and sorts them; answers are remembered per tuple of values.
    """
    memory: dict[tuple[bytes | None, ...], bytes] = {}

    def indicate(found: tuple[bytes | None, ...]) -> bytes:
        answer = memory.get(found)
        if answer is None:
            acc: dict[str, set[str]] = {}
            for scan, raw in zip(scanners, found, strict=True):
                if raw is not None:
                    scan(raw.decode("utf-8"), acc)
            lists = indicators.finish(acc)
            answer = b"," + orjson.dumps(lists)[1:-1] if lists else b""
            if len(memory) >= _MEMORY:
                memory.clear()
            memory[found] = answer
        return answer

    return indicate


__all__ = ["AVAILABLE", "Plan", "compile_plan"]
