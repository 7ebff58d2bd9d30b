"""Completions for the playground's YAML editor: what may be typed at the cursor of a schema file.

The answer comes from the published JSON Schema (``engine/schema.json``), never from knowledge of log
schemas written here: a key, a value or a type added there is proposed here.

The text is being typed, so it is mostly not valid YAML and is never parsed as a whole. Each line is
read on its own (its comment left out, its indentation, its ``- `` item markers, a ``key:``), and a
stack of the open keys and list items, closed by indentation the way a YAML reader nests block
collections, gives the path of the cursor, such as ``("fields", 0, "fields", 2)``. A line deeper than a
key or an item that holds a value on its own line continues that value (a block scalar, a folded plain
scalar, a flow list over several lines) and is passed over. The word under the cursor says what is
wanted:

- a key position (the start of a line's content, or after ``- ``): the properties of the sub-schema at
  that path, minus the keys that the same mapping already has above or below the cursor;
- after ``key: `` or in ``key: [a, b, ``: the ``enum`` members, ``const`` and ``true``/``false`` of the
  key's schema (of its items' in the flow list); after ``- ``, the values of the item schema too;
- anywhere else (a comment, a quoted string, a flow mapping, a block scalar, ``key:`` with no space
  yet): nothing.

On the JSON Schema side: local ``$ref`` (any JSON pointer into the document, such as
``#/$defs/textOptions/skipLines``), ``allOf``/``anyOf``/``oneOf`` and ``if``'s ``then``/``else`` taken as
a union of alternatives; ``properties``, then ``patternProperties``, then an ``additionalProperties`` (or
``unevaluatedProperties``) schema for the value of a key, the last two proposing no key since their
names are free; ``prefixItems``/``items`` for list items. Every look-up is bounded, so a recursive
schema (a field's ``fields``, an array's ``element``) costs one step per level of the text.

Order: properties in schema order, a node's own before those its ``$ref`` and combinators bring (so a
field offers ``name`` before ``type``); values in ``enum`` order, then ``const``, then ``true``, ``false``.

What a completion inserts (``Completion.text``):

- a key: ``key: `` when its value is a scalar, ``key:`` when it is a mapping or a list (the user goes on
  with Enter), only ``key`` when the word under the cursor is already followed by its ``:``;
- a value: the YAML scalar, plain when it reads back as the same value (``timestamp``, ``true``, ``0``),
  else double-quoted (``","``, ``"\\t"``).

It replaces the word under the cursor, ``Completions.start`` to ``end`` on ``line``: the run of word
characters (letters, digits, ``_ . $ / -``) around the cursor, so that ``pars|er`` is replaced whole;
the part typed before the cursor keeps the items that start with it (case-sensitive). Lines are split
at ``\\n``, ``\\r\\n`` and ``\\r``, as CodeMirror does; ``line`` and columns are 0-based and count Python
``str`` characters (code points: a character beyond the BMP counts one, not two UTF-16 units). A line
or column out of range is clamped to the text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final
from urllib.parse import unquote

from ..registry import json_schema

__all__ = ["Completion", "Completions", "complete"]


@dataclass(frozen=True, slots=True)
class Completion:
    """One proposal: ``text`` is inserted, ``label`` is what the list shows, ``detail`` explains it."""

    text: str  # "fields:", "name: ", "name" (its ':' already written), "timestamp", "\",\""
    label: str  # the key or the value as written in YAML
    detail: str  # the JSON Schema description on one line, else its type ("array of string"), else ""


@dataclass(frozen=True, slots=True)
class Completions:
    """The proposals at a cursor and the range of ``line`` that the chosen one replaces."""

    items: list[Completion]
    line: int
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the playground's HTTP answer."""
        return {
            "items": [{"text": c.text, "label": c.label, "detail": c.detail} for c in self.items],
            "line": self.line,
            "start": self.start,
            "end": self.end,
        }


def complete(text: str, line: int, col: int, schema: Mapping[str, Any] | None = None) -> Completions:
    """What may be typed at ``line``/``col`` (0-based) of the YAML ``text``, by ``schema``.

    ``schema`` is a JSON Schema, by default the one schema files must satisfy (``engine/schema.json``).
    Any text and position give an answer, empty when nothing fits.
    """
    lines = _LINE_BREAK.split(text)
    line = min(max(line, 0), len(lines) - 1)
    current = lines[line]
    col = min(max(col, 0), len(current))
    start = col
    while start > 0 and _is_word(current[start - 1]):
        start -= 1
    end = col
    while end < len(current) and _is_word(current[end]):
        end += 1
    root = json_schema() if schema is None else schema
    items = _items(lines, line, col, start, end, schema=_Schema(root))
    return Completions(items, line, start, end)


# --- reading lines ---------------------------------------------------------------------------------

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_WORD_PUNCTUATION: Final = frozenset("_.$/-")
_QUOTED_KEY: Final = re.compile(r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)')[ \t]*:(?=[ \t]|$)""")
_KEY_END: Final = re.compile(r":(?=[ \t]|$)")
_NOT_PLAIN_START: Final = frozenset("[]{},#&*!|>%@`:")
# What may follow the word under the cursor: at a key, nothing or its ':'; at a value, nothing, or
# the rest of a flow list.
_KEY_REST: Final = re.compile(r"[ \t]*(?::(?:[ \t].*)?)?")
_VALUE_REST: Final = re.compile(r"[ \t]*")
_FLOW_REST: Final = re.compile(r"[ \t]*[,\]].*")
_FLOW_HEAD: Final = re.compile(r"[ \t]*\[((?:[^\[\]{}]*,)?)[ \t]*")


def _is_word(c: str) -> bool:
    return c.isalnum() or c in _WORD_PUNCTUATION


def _strip_comment(s: str) -> tuple[str, int]:
    """``s`` without its comment, and the column where the comment starts (``len(s)`` if none).

    A ``#`` starts a comment at the start or after a blank, outside a quoted scalar; a quote opens
    one only where a scalar starts (``it's`` is plain text).
    """
    if "#" not in s:
        return s, len(s)
    quote = ""
    previous = ""  # the last non-blank character outside quotes
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                if quote == "'" and s[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote, previous = "", c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i], i
        elif c in "'\"" and previous in ("", "-", ":", "[", "{", ",", "?"):
            quote = c
        elif c not in " \t":
            previous = c
        i += 1
    return s, n


def _markers(s: str, pos: int) -> tuple[list[int], int]:
    """The columns of the ``- `` item markers at ``pos``, and where the content after them starts."""
    found: list[int] = []
    n = len(s)
    while pos < n and s[pos] == "-" and (pos + 1 == n or s[pos + 1] in " \t"):
        found.append(pos)
        pos += 1
        while pos < n and s[pos] in " \t":
            pos += 1
    return found, pos


def _key_at(s: str, pos: int) -> tuple[str | None, int]:
    """The mapping key written at ``pos`` (plain or quoted, followed by ``:`` and a blank or the end
    of the line) and where its value starts; ``None`` when ``pos`` starts no key."""
    c = s[pos : pos + 1]
    if not c:
        return None, pos
    if c in "\"'":
        m = _QUOTED_KEY.match(s, pos)
        if m is None:
            return None, pos
        return (m[1] if m[1] is not None else m[2].replace("''", "'")), m.end()
    if c in _NOT_PLAIN_START or c.isspace():
        return None, pos
    m = _KEY_END.search(s, pos)
    if m is None:
        return None, pos
    return s[pos : m.start()].rstrip(" \t"), m.end()


@dataclass(frozen=True, slots=True)
class _Line:
    """What a line opens: items at ``markers``, then at ``col`` a key or (``key`` None) a scalar."""

    indent: int
    markers: tuple[int, ...]
    col: int | None
    key: str | None
    inline: bool  # a value follows on the line: ``key: value``, ``- value``


@lru_cache(maxsize=4096)
def _parse(s: str) -> _Line | None:
    """One line of block YAML, ``None`` for a blank line, a comment or a document marker.

    Cached: the editor asks again at each keystroke, about the same lines but one.
    """
    s = _strip_comment(s)[0].rstrip(" \t")
    content = s.lstrip(" ")
    indent = len(s) - len(content)
    if not content:
        return None
    if indent == 0 and (content[0] == "%" or (content[:3] in ("---", "...") and content[3:4] in " \t")):
        return None
    found, pos = _markers(s, indent)
    markers = tuple(found)
    if pos == len(s):
        return _Line(indent, markers, None, None, False)
    key, after = _key_at(s, pos)
    if key is None:
        return _Line(indent, markers, pos, None, True)
    return _Line(indent, markers, pos, key, bool(s[after:].strip(" \t")))


_ROOT: Final = "root"
_KEY: Final = "key"
_ITEM: Final = "item"
_TEXT: Final = "text"


@dataclass(slots=True, eq=False)
class _Frame:
    """An open key or list item (or the document, or a stray scalar) at a column."""

    col: int
    kind: str
    seg: str | int = ""  # the key, or the item's index in its list
    scalar: bool = False  # holds a value on its own line: deeper lines continue it
    keys: list[str] = field(default_factory=list)  # the keys of the mapping it holds
    items: int = 0  # how many items its list has had


class _Tree:
    """The open keys and items after the lines fed so far: a YAML reader's block nesting."""

    def __init__(self) -> None:
        self.stack = [_Frame(-1, _ROOT)]

    def continues(self, indent: int) -> bool:
        """Whether a line at ``indent`` continues the value of the innermost key or item."""
        top = self.stack[-1]
        return top.scalar and indent > top.col

    def feed(self, line: _Line) -> None:
        if self.continues(line.indent):
            return
        for col in line.markers:
            self.item(col)
        if line.col is None:
            return
        if line.key is not None:
            self.key(line.col, line.key, scalar=line.inline)
        elif line.markers:
            self.stack[-1].scalar = True
        else:
            self.close(line.col)
            self.stack.append(_Frame(line.col, _TEXT, scalar=True))

    def item(self, col: int) -> None:
        """A ``-`` at ``col``: the next item of the list held by the key at ``col`` or above."""
        stack = self.stack
        while stack[-1].col > col or (stack[-1].col == col and stack[-1].kind == _ITEM):
            stack.pop()
        parent = stack[-1]
        stack.append(_Frame(col, _ITEM, parent.items))
        parent.items += 1

    def key(self, col: int, name: str, *, scalar: bool, record: bool = True) -> None:
        """``name:`` at ``col``; ``record`` False leaves it out of its mapping's keys (the cursor's)."""
        self.close(col)
        if record:
            self.stack[-1].keys.append(name)
        self.stack.append(_Frame(col, _KEY, name, scalar=scalar))

    def close(self, col: int) -> _Frame:
        """Close what is open at ``col`` or deeper; the frame left holds what starts at ``col``."""
        stack = self.stack
        while stack[-1].col >= col:
            stack.pop()
        return stack[-1]

    def path(self, frame: _Frame) -> tuple[str | int, ...] | None:
        """The YAML path of an open ``frame``; ``None`` if a stray scalar is on the way."""
        segments: list[str | int] = []
        for f in self.stack[1:]:
            if f.kind == _TEXT:
                return None
            segments.append(f.seg)
            if f is frame:
                break
        return tuple(segments)


# --- what fits at the cursor -------------------------------------------------------------------


def _items(
    lines: list[str], line: int, col: int, start: int, end: int, *, schema: _Schema
) -> list[Completion]:
    """The proposals for the cursor at ``col`` of ``lines[line]``, in the word ``start``-``end``."""
    current = lines[line]
    stripped, comment = _strip_comment(current)
    if col > comment:
        return []
    head, prefix, rest = stripped[:start], current[start:col], stripped[end:]
    indent = len(head) - len(head.lstrip(" "))
    markers, pos = _markers(head, indent)
    tree = _Tree()
    for above in lines[:line]:
        parsed = _parse(above)
        if parsed is not None:
            tree.feed(parsed)
    if tree.continues(indent):
        return []
    for marker in markers:
        tree.item(marker)

    if pos == len(head):  # a key position, or an item's value after '- '
        if not _KEY_REST.fullmatch(rest):
            return []
        parent = tree.close(start)
        path = tree.path(parent)
        if path is None:
            return []
        has_colon = rest.lstrip(" \t").startswith(":")
        tree.key(start, current[start:end], scalar=bool(rest.lstrip(" \t")[1:].strip()), record=False)
        present = _keys_present(tree, parent, lines[line + 1 :])
        nodes = schema.at(path)
        found = [
            Completion(_key_text(name, subs, schema, has_colon), name, schema.summary(subs))
            for name, subs in schema.properties(nodes).items()
            if name.startswith(prefix) and name not in present
        ]
        if markers:
            found += _values(schema, nodes, prefix)
        return found

    key, after = _key_at(head, pos)
    if key is None:
        return []
    parent = tree.close(pos)
    path = tree.path(parent)
    if path is None:
        return []
    between = head[after:]
    if _VALUE_REST.fullmatch(between) and between:
        if not _VALUE_REST.fullmatch(rest):
            return []
        return _values(schema, schema.at((*path, key)), prefix)
    flow = _FLOW_HEAD.fullmatch(between)
    if flow is None or not (_VALUE_REST.fullmatch(rest) or _FLOW_REST.fullmatch(rest)):
        return []
    index = flow[1].count(",")
    return _values(schema, schema.at((*path, key, index)), prefix)


def _keys_present(tree: _Tree, parent: _Frame, below: Iterable[str]) -> set[str]:
    """The keys of ``parent``'s mapping: those above the cursor and those below, up to its end."""
    depth = tree.stack.index(parent)
    for text in below:
        parsed = _parse(text)
        if parsed is None:
            continue
        tree.feed(parsed)
        if len(tree.stack) <= depth or tree.stack[depth] is not parent:
            break
    return set(parent.keys)


def _key_text(name: str, subs: list[Any], schema: _Schema, has_colon: bool) -> str:
    written = _scalar(name)
    if has_colon:
        return written
    return f"{written}:" if schema.is_container(subs) else f"{written}: "


def _values(schema: _Schema, nodes: list[Any], prefix: str) -> list[Completion]:
    detail = schema.description(nodes)
    return [Completion(text, text, detail) for text in schema.values(nodes) if text.startswith(prefix)]


_PLAIN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[./-][A-Za-z0-9_]+)*")
# Plain words that YAML 1.1 (PyYAML, which reads schema files) reads as booleans or null.
_NOT_STRINGS: Final = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _scalar(value: Any) -> str:
    """``value`` as YAML that reads back as it: plain when it can be, else JSON (a YAML subset)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _NOT_STRINGS:
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):  # not JSON data: a schema given as any Mapping
        return json.dumps(str(value), ensure_ascii=False)


# --- the JSON Schema side ------------------------------------------------------------------------

_MAX_ALTERNATIVES: Final = 256
_MAX_DEPTH: Final = 32
_COMBINATORS: Final = ("allOf", "anyOf", "oneOf", "then", "else")


@lru_cache(maxsize=256)
def _pattern(source: str) -> re.Pattern[str] | None:
    try:
        return re.compile(source)
    except (re.error, RecursionError, OverflowError):
        return None


class _Schema:
    """Look-ups in a JSON Schema document, each node taken with the alternatives it stands for."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def alternatives(self, nodes: Iterable[Any]) -> list[Mapping[str, Any]]:
        """The schemas ``nodes`` stand for, each once, in order: a node, then what its ``$ref``,
        ``allOf``/``anyOf``/``oneOf`` and ``then``/``else`` bring; ``true`` is ``{}``."""
        found: list[Mapping[str, Any]] = []
        seen: set[int] = set()

        def visit(node: Any, depth: int) -> None:
            if node is True:
                node = {}
            if not isinstance(node, Mapping) or id(node) in seen or depth > _MAX_DEPTH:
                return
            if len(found) >= _MAX_ALTERNATIVES:
                return
            seen.add(id(node))
            found.append(node)
            ref = node.get("$ref")
            if isinstance(ref, str):
                visit(self.pointer(ref), depth + 1)
            for word in _COMBINATORS:
                more = node.get(word)
                for sub in more if isinstance(more, list) else [more]:
                    visit(sub, depth + 1)

        for node in nodes:
            visit(node, 0)
        return found

    def pointer(self, ref: str) -> Any:
        """The node a local ``$ref`` names (``#`` or ``#/a/b``); ``None`` for any other reference."""
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            return None
        node: Any = self.root
        for part in ref[2:].split("/"):
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping):
                node = node.get(key)
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def at(self, path: Iterable[str | int]) -> list[Any]:
        """The schema nodes for the value at ``path``; empty when the schema has no place for it."""
        nodes: list[Any] = [self.root]
        for segment in path:
            nodes = self.child(nodes, segment)
            if not nodes:
                break
        return nodes

    def child(self, nodes: list[Any], segment: str | int) -> list[Any]:
        """The nodes for a key's value (a ``str`` segment) or a list item (an ``int``)."""
        found: list[Any] = []
        for alt in self.alternatives(nodes):
            if isinstance(segment, str):
                found += self._property(alt, segment)
            else:
                found += self._item(alt, segment)
        return found

    @staticmethod
    def _property(alt: Mapping[str, Any], name: str) -> list[Any]:
        properties = alt.get("properties")
        if isinstance(properties, Mapping) and name in properties:
            return [properties[name]]
        matched: list[Any] = []
        patterns = alt.get("patternProperties")
        if isinstance(patterns, Mapping):
            for source, sub in patterns.items():
                compiled = _pattern(source) if isinstance(source, str) else None
                if compiled is not None and compiled.search(name):
                    matched.append(sub)
        if matched:
            return matched
        for word in ("additionalProperties", "unevaluatedProperties"):
            extra = alt.get(word)
            if isinstance(extra, Mapping):
                return [extra]
        return []

    @staticmethod
    def _item(alt: Mapping[str, Any], index: int) -> list[Any]:
        prefix = alt.get("prefixItems")
        if isinstance(prefix, list) and index < len(prefix):
            return [prefix[index]]
        items = alt.get("items")
        if isinstance(items, list):  # before 2020-12: a tuple, then additionalItems
            return [items[index]] if index < len(items) else [alt.get("additionalItems")]
        return [items] if items is not None else []

    def properties(self, nodes: list[Any]) -> dict[str, list[Any]]:
        """The property names the ``nodes`` allow, in schema order, each with its schemas."""
        found: dict[str, list[Any]] = {}
        for alt in self.alternatives(nodes):
            properties = alt.get("properties")
            if not isinstance(properties, Mapping):
                continue
            for name, sub in properties.items():
                if isinstance(name, str) and sub is not False:
                    found.setdefault(name, []).append(sub)
        return found

    def values(self, nodes: list[Any]) -> list[str]:
        """The values the ``nodes`` name, as YAML: ``enum`` members, ``const``, booleans."""
        found: dict[str, None] = {}
        for alt in self.alternatives(nodes):
            members = alt.get("enum")
            for member in members if isinstance(members, list) else []:
                found.setdefault(_scalar(member))
            if "const" in alt:
                found.setdefault(_scalar(alt["const"]))
            if "boolean" in _types(alt):
                found.setdefault("true")
                found.setdefault("false")
        return list(found)

    def is_container(self, nodes: list[Any]) -> bool:
        """Whether a key's value is a mapping or a list (its completion then ends at the ``:``)."""
        alts = self.alternatives(nodes)
        declared = [t for alt in alts for t in _types(alt)]
        if declared:
            return all(t in ("object", "array") for t in declared)
        return any("properties" in alt or "items" in alt for alt in alts)

    def description(self, nodes: list[Any]) -> str:
        """The first ``description`` the ``nodes`` have, on one line; ``""`` if none."""
        for alt in self.alternatives(nodes):
            text = alt.get("description")
            if isinstance(text, str) and text.strip():
                return " ".join(text.split())
        return ""

    def summary(self, nodes: list[Any]) -> str:
        """A key's detail: its description, else its type (``array of string``), else ``""``."""
        return self.description(nodes) or self.kind(nodes, 0)

    def kind(self, nodes: list[Any], depth: int) -> str:
        """The type the ``nodes`` declare in words: ``string``, ``array of enum``, ``const 0``."""
        alts = self.alternatives(nodes)
        kinds: list[str] = []
        for alt in alts:
            for name in _types(alt):
                word = name
                if name == "array" and depth < 2:
                    items = self.kind([alt["items"]], depth + 1) if "items" in alt else ""
                    word = f"array of {items}" if items else "array"
                if word not in kinds:
                    kinds.append(word)
        if kinds:
            return " | ".join(kinds)
        if any("enum" in alt for alt in alts):
            return "enum"
        const = next((alt["const"] for alt in alts if "const" in alt), _NONE)
        if const is not _NONE:
            return f"const {_scalar(const)}"
        if any("properties" in alt for alt in alts):
            return "object"
        return ""


_NONE: Final = object()


def _types(alt: Mapping[str, Any]) -> list[str]:
    declared = alt.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    return []
