"""Converters for values decoded from JSON lines: a JSON string takes the text rules, a native JSON
value its own (spec b.2: each of Panther's decoders accepts both).

Each converter gets a value that is neither ``None`` nor ``""`` (the compiler has already made those
absent, except for ``string`` and ``json`` fields where ``""`` is kept) and returns the value to
write, or raises ``BadValue``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from .. import values
from ..errors import BadValue, InvalidJSON
from ..timestamps import compile_time_text

Converter = Callable[[Any], Any]


def converter(kind: str, time_formats: tuple[str, ...] = ()) -> Converter | None:
    """The converter for a scalar ``kind``; ``None`` for ``json``, whose value is kept as decoded.

    A ``json`` value is written back by ``orjson`` (compact, key order kept): Panther copies the raw
    bytes, inner whitespace included, which a decoded value no longer has.
    """
    if kind == "json":
        return None
    if kind == "string":
        return values.string_from_json
    if kind == "timestamp":  # time parsers take text, and JSON numbers for the unix formats
        return compile_time_text(time_formats)
    text = values.TEXT_CONVERTERS[kind]
    if kind in values.INT_BITS:
        bits = values.INT_BITS[kind]
        return _either(text, lambda v: values.int_from_json(v, bits))
    if kind == "float":
        return _either(text, values.float_from_json)
    return _either(text, values.boolean_from_json)


def _either(from_text: Callable[[str], Any], from_native: Callable[[Any], Any]) -> Converter:
    def convert(value: Any) -> Any:
        return from_text(value) if type(value) is str else from_native(value)

    return convert


def expect_object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise BadValue("object", f"got {_json_kind(value)}")
    return value


def expect_array(value: Any) -> list[Any]:
    if type(value) is not list:
        raise BadValue("array", f"got {_json_kind(value)}")
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "an array" if isinstance(value, list) else "an object"


_first_value = json.JSONDecoder().raw_decode


def decode_line(line: str) -> dict[str, Any]:
    """A JSON line as the object whose fields the schema reads (spec b.2, f.3).

    ``null`` is an object with no fields; text after the first JSON value is ignored, as Panther's
    decoder does (``orjson`` refuses it, so such lines take the slower standard decoder); any other
    top-level value, and text that is not JSON, raise ``InvalidJSON``.
    """
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        value = _lenient(line)
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise InvalidJSON(f"the line is {_json_kind(value)}, not a JSON object")


def _lenient(line: str) -> Any:
    try:
        return _first_value(line.lstrip(" \t\r\n"))[0]
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"not JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise InvalidJSON("not JSON this parser accepts: nested too deeply") from None
