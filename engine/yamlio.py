"""Bounded, safe reading of schema YAML that remembers where every node came from.

Schema files are untrusted input (reliability.md 3.1). ``read_yaml`` and ``parse_yaml`` turn one into
plain data (dict, list, str, int, float, bool, None) inside a ``Document`` that maps any JSON path back
to the 1-based line and column it came from, so later stages can say ``FILE:LINE:COL``.

Each step answers a failure measured in reliability.md 3.1:

1. The size is checked before anything is read or parsed: a 6.9 MB schema takes 30 s to load.
2. The bytes must be UTF-8; the offset of a bad byte becomes a line and column.
3. A pre-pass over ``yaml.parse`` events counts depth, nodes and aliases and stops at the first limit
   exceeded, before anything is built: the C loader segfaults on 30,000 nested ``[``, and a 342-byte
   alias bomb expands to 387 M leaves. Only the pure-Python ``SafeLoader`` machinery is used.
4. ``yaml.compose`` builds nodes, never objects (a ``!!python/...`` tag is refused, not constructed), and
   we build the data from the nodes ourselves: that keeps the marks, and refuses duplicate keys (PyYAML
   silently keeps the last one) and keys that are not strings.

Scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules: ``on``, ``yes`` and ``NO`` stay
strings, ``0777`` is 777, ``1:20`` and ``2024-01-02`` are strings; only ``true``/``false`` (three
spellings each) are booleans and only ``null``/``~``/empty are null. A schema value such as ``on`` must
reach the validator as the author wrote it, so that a type check reports the wrong type at its position
instead of silently receiving ``True``. Quoted and block scalars are always strings, and ``<<`` is an
ordinary key (YAML 1.1 merge keys do not exist in 1.2).

Positions: lines are broken at ``\\n``, ``\\r\\n`` and ``\\r`` only (YAML 1.2's line breaks, and what
editors, ``grep -n`` and ``sed`` count); columns count characters from 1; a leading BOM is not counted.
PyYAML follows YAML 1.1 and also breaks lines at U+0085, U+2028 and U+2029, so in a file holding one of
them it may see structure, or an error, on a line an editor does not show. We report where the node or
error sits as an editor shows it, computed from PyYAML's character offset, never PyYAML's own line.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from engine.errors import SchemaError

Data: TypeAlias = dict[str, "Data"] | list["Data"] | str | int | float | bool | None


@dataclass(frozen=True)
class Limits:
    """Bounds on one schema file; each is enforced before the work it guards.

    ``max_aliases`` is 0 by default: anchors and aliases are refused outright. ``max_nodes`` counts
    every scalar, sequence, mapping and alias, keys included, and aliased nodes once per use.
    ``max_depth`` is capped at 200 so that composing and building, which recurse once or twice per
    level, stay far from Python's recursion limit.
    """

    max_bytes: int = 1 << 20
    max_depth: int = 64
    max_aliases: int = 0
    max_nodes: int = 100_000

    def __post_init__(self) -> None:
        sane = self.max_bytes >= 0 and self.max_aliases >= 0 and self.max_nodes >= 1
        if not (sane and 1 <= self.max_depth <= 200):
            raise ValueError(f"invalid YAML limits: {self}")


DEFAULT_LIMITS: Final = Limits()

_LINE_BREAK: Final = re.compile(r"\r\n?|\n")


class _Positions:
    """Turns character offsets into 1-based (line, col), counting only YAML 1.2 line breaks."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None  # built on first use: most files never need it

    def at(self, index: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self._text))]
        line = bisect_right(self._starts, index)
        return line, index - self._starts[line - 1] + 1


class Document:
    """A parsed schema file: its plain ``data``, its ``name``, and where each node came from."""

    __slots__ = ("_positions", "_root", "data", "name")

    def __init__(self, data: Data, name: str, root: Node | None, positions: _Positions) -> None:
        self.data = data
        self.name = name
        self._root = root
        self._positions = positions

    def mark(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """The 1-based (line, col) of the node at ``path``, or of its key when ``key`` is set.

        ``key`` only applies when the last step is a mapping key that exists. A path that goes deeper
        than the document gives the mark of the deepest node on it that exists.
        """
        if self._root is None:
            return 1, 1
        node, key_node = self._root, None
        for step in path:
            found = _child(node, step)
            if found is None:
                return self._at(node)
            key_node, node = found
        return self._at(key_node if key and key_node is not None else node)

    def _at(self, node: Node) -> tuple[int, int]:
        return self._positions.at(node.start_mark.index)


def _child(node: Node, step: str | int) -> tuple[Node | None, Node] | None:
    """(key node or None, value node) one step down from ``node``, or None if there is none."""
    if isinstance(node, MappingNode) and isinstance(step, str):
        for key_node, value_node in node.value:
            if key_node.value == step:
                return key_node, value_node
    elif isinstance(node, SequenceNode) and type(step) is int and 0 <= step < len(node.value):
        return None, node.value[step]
    return None


def read_yaml(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read and parse one schema file; errors name the file as ``path`` is spelled."""
    name = os.fsdecode(path)
    return parse_yaml(_read_bounded(path, name, limits.max_bytes), name, limits)


def _read_bounded(path: str | os.PathLike[str], name: str, max_bytes: int) -> bytes:
    """The file's bytes, refusing by ``os.stat`` size before reading a single byte."""
    try:
        size = os.stat(path).st_size
    except OSError as e:
        raise SchemaError(f"cannot read schema file: {e.strerror}", file=name) from None
    if size > max_bytes:
        raise _too_big(size, max_bytes, name)
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise SchemaError(f"cannot read schema file: {e.strerror}", file=name) from None
    if len(data) > max_bytes:  # it grew after the stat, or is not a regular file (a pipe)
        raise SchemaError(f"schema file is more than the {max_bytes} bytes allowed", file=name)
    return data


def _too_big(size: int, max_bytes: int, name: str) -> SchemaError:
    return SchemaError(f"schema file is {size} bytes, more than the {max_bytes} allowed", file=name)


def parse_yaml(text: bytes | str, name: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse one schema file's contents; ``name`` is the file that errors print."""
    # A str is measured as the UTF-8 file it stands for; lone surrogates pass here, YAML refuses them.
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise _too_big(size, limits.max_bytes, name)
    if isinstance(text, bytes):
        text = _decode(text, name)
    text = text.removeprefix("\ufeff")
    positions = _Positions(text)
    try:
        _precheck(text, limits, positions)
        root = yaml.compose(text, Loader=_Loader)
        data = None if root is None else _Builder(limits.max_nodes, positions).value(root)
    except _OffsetError as e:
        raise _located(e.message, e.index, name, positions) from None
    except ReaderError as e:  # a character YAML does not allow (NUL, most C0 controls, U+FFFE)
        raise _located(
            f"character U+{e.character:04X} is not allowed in YAML", e.position, name, positions
        ) from None
    except yaml.MarkedYAMLError as e:
        raise _located(_syntax_message(e, positions), e.problem_mark.index, name, positions) from None
    return Document(data, name, root, positions)


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 text, or a SchemaError at the line and column of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start].decode("utf-8").removeprefix("\ufeff")
        line, col = _Positions(before).at(len(before))
        raise SchemaError(
            f"invalid UTF-8 (byte 0x{raw[e.start]:02x})", file=name, line=line, col=col
        ) from None


def _located(message: str, index: int, name: str, positions: _Positions) -> SchemaError:
    line, col = positions.at(index)
    return SchemaError(message, file=name, line=line, col=col)


def _syntax_message(error: yaml.MarkedYAMLError, positions: _Positions) -> str:
    """PyYAML's problem, with its context ("while parsing a flow sequence") placed by our lines."""
    message = f"invalid YAML: {error.problem}"
    if error.context and error.context_mark:
        line, col = positions.at(error.context_mark.index)
        message += f" ({error.context} at line {line}, column {col})"
    return message


class _OffsetError(Exception):
    """A problem found at a character offset; ``parse_yaml`` turns it into a located SchemaError."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


_PLAIN: Final = object()  # the "tag" of an untagged plain scalar, resolved by YAML 1.2 core rules


class _Loader(yaml.SafeLoader):
    """The pure-Python safe loader (never the C one, which segfaults on deep nesting), with plain
    scalars left untagged so that we resolve them by YAML 1.2 core rules instead of 1.1."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> object:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


def _precheck(text: str, limits: Limits, positions: _Positions) -> None:
    """Walk the event stream and stop at the first limit exceeded, before any node is built."""
    depth = nodes = aliases = documents = 0
    anchors: dict[str, int] = {}
    for event in yaml.parse(text, Loader=_Loader):
        index = event.start_mark.index
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _OffsetError("a schema file holds one YAML document, and this starts a second", index)
        elif isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > limits.max_nodes:
                raise _OffsetError(
                    f"schema file has more than the {limits.max_nodes} YAML nodes allowed", index
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limits.max_depth:
                    raise _OffsetError(
                        f"YAML nesting is deeper than the {limits.max_depth} levels allowed", index
                    )
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                _check_alias(event.anchor, aliases, anchors, limits.max_aliases, index)
            elif event.anchor is not None:
                _check_anchor(event.anchor, anchors, limits.max_aliases, index, positions)
                anchors[event.anchor] = index


def _check_alias(anchor: str, count: int, anchors: dict[str, int], max_aliases: int, index: int) -> None:
    if max_aliases == 0:
        raise _OffsetError("YAML aliases are not allowed in schema files", index)
    if count > max_aliases:
        raise _OffsetError(f"schema file has more than the {max_aliases} YAML aliases allowed", index)
    if anchor not in anchors:
        raise _OffsetError(f"YAML alias '*{anchor}' refers to no anchor before it", index)


def _check_anchor(
    anchor: str, anchors: dict[str, int], max_aliases: int, index: int, positions: _Positions
) -> None:
    if max_aliases == 0:
        raise _OffsetError("YAML anchors are not allowed in schema files", index)
    if anchor in anchors:  # YAML 1.2 allows a redefinition, PyYAML's composer does not; say it clearly
        first = positions.at(anchors[anchor])[0]
        raise _OffsetError(f"duplicate YAML anchor '&{anchor}' (first at line {first})", index)


class _Builder:
    """Builds plain data from composed nodes, refusing what plain schema data cannot hold.

    It counts nodes again because an alias is built once per use: the pre-pass bounds the file,
    this bounds what the aliases expand to.
    """

    def __init__(self, max_nodes: int, positions: _Positions) -> None:
        self._max_nodes = max_nodes
        self._left = max_nodes
        self._positions = positions

    def value(self, node: Node) -> Data:
        self._left -= 1
        if self._left < 0:
            message = f"schema file has more than the {self._max_nodes} YAML nodes allowed"
            raise _OffsetError(message, node.start_mark.index)
        if isinstance(node, ScalarNode):
            return _scalar(node)
        _check_collection_tag(node)
        if isinstance(node, SequenceNode):
            return [self.value(item) for item in node.value]
        return self._mapping(node)

    def _mapping(self, node: MappingNode) -> dict[str, Data]:
        data: dict[str, Data] = {}
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key in first:
                line = self._positions.at(first[key].start_mark.index)[0]
                raise _OffsetError(f"duplicate key '{key}' (first at line {line})", key_node.start_mark.index)
            first[key] = key_node
            data[key] = self.value(value_node)
        return data

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            kind = _KIND[type(node)]
            raise _OffsetError(f"mapping key must be a string, not a {kind}", node.start_mark.index)
        key = self.value(node)
        if not isinstance(key, str):
            message = f"mapping key must be a string, not {_TYPE_NAME[type(key)]} ({node.value or 'empty'})"
            raise _OffsetError(message, node.start_mark.index)
        return key


_NO: Final = object()  # "this text is not of that type", where None would mean null

_INT_DEC: Final = re.compile(r"[-+]?[0-9]+")
_INT_OCT: Final = re.compile(r"0o[0-7]+")
_INT_HEX: Final = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT: Final = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NULLS: Final = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS: Final = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS: Final = {
    **{f"{sign}.{inf}": float(f"{sign}inf") for sign in ("", "+", "-") for inf in ("inf", "Inf", "INF")},
    **{f".{nan}": float("nan") for nan in ("nan", "NaN", "NAN")},
}


def _core_null(text: str) -> object:
    return None if text in _NULLS else _NO


def _core_bool(text: str) -> object:
    return _BOOLS.get(text, _NO)


def _core_int(text: str) -> object:
    # int() raises ValueError past sys.get_int_max_str_digits() decimal digits; _scalar reports it.
    if _INT_DEC.fullmatch(text):
        return int(text)
    if _INT_OCT.fullmatch(text):
        return int(text[2:], 8)
    if _INT_HEX.fullmatch(text):
        return int(text[2:], 16)
    return _NO


def _core_float(text: str) -> object:
    if _FLOAT.fullmatch(text):
        return float(text)
    return _SPECIAL_FLOATS.get(text, _NO)


def _core_plain(text: str) -> object:
    """An untagged plain scalar by the YAML 1.2 core schema: the first type that matches, else str."""
    for resolve in (_core_null, _core_bool, _core_int, _core_float):
        value = resolve(text)
        if value is not _NO:
            return value
    return text


_STD: Final = "tag:yaml.org,2002:"
_MAP_TAG: Final = _STD + "map"
_SEQ_TAG: Final = _STD + "seq"
_SCALAR_TAGS: Final[dict[object, Callable[[str], object]]] = {
    _PLAIN: _core_plain,
    _STD + "str": str,
    _STD + "null": _core_null,
    _STD + "bool": _core_bool,
    _STD + "int": _core_int,
    _STD + "float": _core_float,
}
_KIND: Final = {ScalarNode: "scalar", SequenceNode: "sequence", MappingNode: "mapping"}
_TYPE_NAME: Final = {int: "an int", float: "a float", bool: "a bool", type(None): "null"}


def _scalar(node: ScalarNode) -> Data:
    resolve = _SCALAR_TAGS.get(node.tag)
    if resolve is None:
        raise _bad_tag(node)
    try:
        value = resolve(node.value)
    except ValueError:  # only int() past the interpreter's digit limit gets here
        raise _OffsetError(
            f"integer of {len(node.value)} digits is too long", node.start_mark.index
        ) from None
    if value is _NO:
        raise _OffsetError(f"'{node.value}' is not a valid {_show(node.tag)}", node.start_mark.index)
    if type(value) is str and not value.isascii() and (lone := _SURROGATE.search(value)):
        # Only an escape ("\ud800") makes one: the file is UTF-8. No line can hold it, and a name
        # that holds one cannot be written as UTF-8.
        message = (
            f"\\u{ord(lone.group()):04x} in a string is a lone surrogate, not a character "
            "(past U+FFFF, write \\U0001f600)"
        )
        raise _OffsetError(message, node.start_mark.index)
    return value  # type: ignore[return-value]  # one of Data's scalar types, by the resolvers above


def _check_collection_tag(node: Node) -> None:
    if node.tag != (_SEQ_TAG if isinstance(node, SequenceNode) else _MAP_TAG):
        raise _bad_tag(node)


def _bad_tag(node: Node) -> _OffsetError:
    shown = _show(node.tag)
    if node.tag in _SCALAR_TAGS or node.tag in (_MAP_TAG, _SEQ_TAG):
        return _OffsetError(
            f"YAML tag '{shown}' cannot be used on a {_KIND[type(node)]}", node.start_mark.index
        )
    return _OffsetError(f"YAML tag '{shown}' is not allowed in schema files", node.start_mark.index)


def _show(tag: str) -> str:
    """A tag as it is usually written: ``!!int``, not ``tag:yaml.org,2002:int``."""
    return "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag
