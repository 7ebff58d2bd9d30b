"""A validated schema, as frozen dataclasses: what the compiler builds from.

``build_schema`` turns a schema document that already passed ``schema.json`` into these types and
checks what JSON Schema cannot say (a key that belongs to another type, a fastmatch pattern that does
not compile, a time format with an unknown directive). It raises ``SchemaError`` carrying the path in
the document (``fields[3].timeFormats[0]``); the loader turns that path into a line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import SchemaError
from .parsers.fastmatch import PatternError, compile_pattern
from .parsers.regex import compile_regex
from .parsers.text import parse_template
from .timestamps import TimeFormatError, compile_time_formats

Path = tuple[str | int, ...]

REDACTED = "****"
"""What ``mask: {type: redact}`` writes when it has no ``to``."""

# Keys that only make sense on some types (Panther drops them silently elsewhere, spec j.12).
_KEYS_FOR_TYPE: dict[str, frozenset[str]] = {
    "timeFormat": frozenset({"timestamp"}),
    "timeFormats": frozenset({"timestamp"}),
    "isEventTime": frozenset({"timestamp"}),
    "fields": frozenset({"object"}),
    "element": frozenset({"array"}),
    "indicators": frozenset({"string"}),
    "validate": frozenset({"string"}),
}


@dataclass(frozen=True, slots=True)
class Value:
    """A typed value: a field without its name, or an array's element."""

    type: str
    required: bool = False
    description: str = ""
    indicators: tuple[str, ...] = ()
    time_formats: tuple[str, ...] = ()
    is_event_time: bool = False
    fields: tuple[Field, ...] = ()  # object
    element: Value | None = None  # array
    validate: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Field:
    """A named field of a schema or of an object, and where its value comes from.

    ``paths`` are the input keys it reads (its own name, unless a transformation says otherwise;
    dotted paths reach into JSON objects); ``join`` is concat's separator, ``split`` is split's
    ``(separator, index)``; ``mask`` is the text written instead of a present value, applied before
    conversion, rules and indicators, so that no rule or ``p_any_*`` list sees the original.
    """

    name: str
    value: Value
    paths: tuple[tuple[str, ...], ...] = ()  # each a key path: ("userIdentity", "arn")
    join: str | None = None
    split: tuple[str, int | None] | None = None
    mask: str | None = None

    def __post_init__(self) -> None:
        if not self.paths:
            object.__setattr__(self, "paths", ((self.name,),))


@dataclass(frozen=True, slots=True)
class TextOptions:
    """Options shared by the text parsers, applied in Panther's order (spec a.4)."""

    skip_lines: int = 0
    skip_prefix: str = ""
    trim_space: bool = False
    empty_values: tuple[str, ...] = ()
    expand_fields: tuple[tuple[str, str], ...] = ()  # (name, template), in the file's order


@dataclass(frozen=True, slots=True)
class Parser:
    """Which parser, its own settings (as written) and the shared text options."""

    kind: str  # "fastmatch", "regex", "csv", or "json" for a schema without a parser block
    config: Mapping[str, Any]
    options: TextOptions


@dataclass(frozen=True, slots=True)
class Schema:
    """One log type, validated."""

    name: str
    fields: tuple[Field, ...]
    parser: Parser
    description: str = ""
    reference_url: str = ""
    file: str = ""


def build_schema(doc: Mapping[str, Any], file: str = "") -> Schema:
    """Build a ``Schema`` from a document that passed ``schema.json``; raise ``SchemaError``."""
    fields = _build_fields(doc["fields"], ("fields",), top_level=True)
    return Schema(
        name=doc["schema"],
        fields=fields,
        parser=_build_parser(doc.get("parser"), fields),
        description=doc.get("description", ""),
        reference_url=doc.get("referenceURL", ""),
        file=file,
    )


def _error(message: str, path: Path, *, at_key: bool = False) -> SchemaError:
    return SchemaError(message, path=path, at_key=at_key)


def _build_fields(
    items: list[Mapping[str, Any]], path: Path, *, top_level: bool = False
) -> tuple[Field, ...]:
    seen: dict[str, int] = {}
    fields = []
    for i, item in enumerate(items):
        name = item["name"]
        if name in seen:
            raise _error(f"duplicate field name {name!r} (also fields[{seen[name]}])", (*path, i, "name"))
        if top_level and name.startswith("p_"):
            raise _error(
                f"field name {name!r} is reserved: p_ names are the standard fields", (*path, i, "name")
            )
        seen[name] = i
        fields.append(_transformed(Field(name, _build_value(item, (*path, i))), item, (*path, i)))
    return tuple(fields)


def _transformed(f: Field, item: Mapping[str, Any], path: Path) -> Field:
    """The field with its transformations: where it reads from (rename, copy, concat, split), then mask.

    Panther chains transformations in a fixed order, each seeing the last one's output; rename,
    copy, concat and split each say where a value comes from, so a field takes at most one of them.
    """
    given = [key for key in SOURCE_TRANSFORMS if key in item]
    if len(given) > 1:
        raise _error(f"give at most one of {', '.join(given)}", (*path, given[1]), at_key=True)
    if "mask" in item and f.value.type != "string":
        raise _error(f"'mask' applies to string values, not to {f.value.type!r}", (*path, "mask"))
    mask = item["mask"].get("to", REDACTED) if "mask" in item else None
    if "rename" in item:  # a key as it is, dots included
        return Field(f.name, f.value, ((item["rename"]["from"],),), mask=mask)
    if "copy" in item:
        return Field(f.name, f.value, (_dotted(item["copy"]["from"]),), mask=mask)
    if "concat" in item:
        paths = tuple(_dotted(p) for p in item["concat"]["paths"])
        return Field(f.name, f.value, paths, join=item["concat"]["separator"], mask=mask)
    if "split" in item:
        spec = item["split"]
        index = spec.get("index")
        element = f.value.element
        parts_fit = f.value.type == "array" and element is not None and element.type in _SPLIT_ELEMENTS
        if index is None and not parts_fit:
            raise _error(
                "split without an index makes an array of its parts: the field must be an array of "
                "strings, numbers, booleans or timestamps (or give an index)",
                (*path, "split"),
                at_key=True,
            )
        return Field(f.name, f.value, (_dotted(spec["from"]),), split=(spec["separator"], index), mask=mask)
    return Field(f.name, f.value, mask=mask)


def _dotted(path: str) -> tuple[str, ...]:
    """``"userIdentity.arn"`` → ``("userIdentity", "arn")``: a path into nested JSON objects."""
    return tuple(path.split("."))


SOURCE_TRANSFORMS = ("rename", "copy", "concat", "split")

_SPLIT_ELEMENTS = frozenset({"string", "int", "smallint", "bigint", "float", "boolean", "timestamp"})
"""What the parts of a split without an index may become (each part is text)."""


def _build_value(item: Mapping[str, Any], path: Path) -> Value:
    kind = item["type"]
    for key, types in _KEYS_FOR_TYPE.items():
        if key in item and kind not in types:
            allowed = " or ".join(sorted(types))
            raise _error(f"{key!r} applies to {allowed} values, not to {kind!r}", (*path, key))
    if "timeFormat" in item and "timeFormats" in item:
        raise _error("give either 'timeFormat' or 'timeFormats', not both", (*path, "timeFormat"))
    time_formats: tuple[str, ...] = ()
    if kind == "timestamp":
        time_formats = _time_formats(item, path)
    if kind == "object" and "fields" not in item:
        raise _error("an object needs 'fields'", (*path, "type"))
    if kind == "array" and "element" not in item:
        raise _error("an array needs 'element'", (*path, "type"))
    indicators = tuple(item.get("indicators", ()))  # names are checked by schema.json
    return Value(
        type=kind,
        required=item.get("required", False),
        description=item.get("description", ""),
        indicators=indicators,
        time_formats=time_formats,
        is_event_time=item.get("isEventTime", False),
        fields=_build_fields(item["fields"], (*path, "fields")) if kind == "object" else (),
        element=_build_value(item["element"], (*path, "element")) if kind == "array" else None,
        validate=dict(item.get("validate", {})),
    )


def _time_formats(item: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """The formats to try, in order: ``timeFormats``, or the older single ``timeFormat`` (spec l.12)."""
    if "timeFormats" in item:
        formats, key = tuple(item["timeFormats"]), "timeFormats"
    elif "timeFormat" in item:
        formats, key = (item["timeFormat"],), "timeFormat"
    else:
        raise _error("a timestamp needs 'timeFormats' (for example [rfc3339])", (*path, "type"))
    for i, fmt in enumerate(formats):
        try:
            compile_time_formats((fmt,))
        except TimeFormatError as exc:
            raise _error(str(exc), (*path, key, i) if key == "timeFormats" else (*path, key)) from None
    return formats


def _build_parser(block: Mapping[str, Any] | None, fields: tuple[Field, ...]) -> Parser:
    if block is None:  # each line is JSON (spec f.3)
        return Parser("json", {}, TextOptions())
    ((kind, config),) = block.items()
    path: Path = ("parser", kind)
    options = TextOptions(
        skip_lines=config.get("skipLines", 0),
        skip_prefix=config.get("skipPrefix", ""),
        trim_space=config.get("trimSpace", False),
        empty_values=tuple(config.get("emptyValues", ())),
        expand_fields=tuple(config.get("expandFields", {}).items()),
    )
    check = _PARSER_CHECKS.get(kind)
    if check is None:
        raise _error(f"the {kind!r} parser is not supported yet", path, at_key=True)
    check(config, path)
    for name, template in options.expand_fields:
        try:
            parse_template(template)
        except SchemaError as exc:
            raise _error(exc.message, (*path, "expandFields", name)) from None
    return Parser(kind, dict(config), options)


def _check_fastmatch(config: Mapping[str, Any], path: Path) -> None:
    for i, pattern in enumerate(config["match"]):
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise _error(str(exc), (*path, "match", i)) from None


def _check_regex(config: Mapping[str, Any], path: Path) -> None:
    try:
        compile_regex(config)
    except SchemaError as exc:
        raise _error(exc.message, (*path, "match")) from None


def _check_csv(config: Mapping[str, Any], path: Path) -> None:
    if not config.get("columns") and not config.get("hasHeader"):
        raise _error("a csv parser needs 'columns' or 'hasHeader: true'", path, at_key=True)


_PARSER_CHECKS: dict[str, Callable[[Mapping[str, Any], Path], None]] = {
    "fastmatch": _check_fastmatch,
    "regex": _check_regex,
    "csv": _check_csv,
}
