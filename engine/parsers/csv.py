"""The csv parser: each line is one record, read by Go ``encoding/csv``'s rules with lazy quotes.

Panther reads each line with a Go ``csv.Reader`` that has ``LazyQuotes`` set (spec f.2). Python's
``csv`` module differs from it in details, so the rules are written out here, for one line:

* a field that does not start with ``"`` runs to the next delimiter, quotes and all (``a"b``);
* a field that starts with ``"`` is quoted: ``""`` inside is one quote, ``"`` followed by the
  delimiter or the end of the line closes it, and any other ``"`` is kept as a literal quote (lazy
  quotes), the field going on to the next closing quote (``"q,uo""te"`` → ``q,uo"te``);
* nothing is trimmed (``TrimLeadingSpace`` is false), and an empty line is no record.

Two deliberate differences from Panther, both so that a malformed row never loses or shifts values
silently: a record must have exactly as many fields as there are names (spec l.13; Panther pads or
drops), and a quoted field still open at the end of the line is refused (Go's lazy reader would take
the rest of the line, delimiters included, as that field's text).

A line without ``"`` is by far the common case: it is one ``str.split``. The quote scanner runs only
for lines that contain a quote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import NormalizeError, SchemaError
from .text import TextParser

DEFAULT_DELIMITER = ","

# Runes Go's csv.Reader refuses as a delimiter (errInvalidDelim); schema.json allows none of them.
_INVALID_DELIMITERS = frozenset('"\r\n')

# Where the next field starts, when a quoted field ends the line (see ``_quoted``).
_END = -1  # closed by the end of the line: the record is complete
_OPEN = -2  # the line ended inside the quoted field


def compile(config: Mapping[str, Any], columns: Sequence[str] | None = None) -> TextParser:
    """The csv parser of a schema: one branch whose names are the column names.

    ``columns`` are names read from a file's header line (``hasHeader: true``); without them the
    schema's ``columns`` are used. An empty name fills no field: the column is skipped (spec f.2).
    """
    names = column_names(config, columns)
    delimiter = delimiter_of(config)
    return TextParser(((_matcher(delimiter, len(names)), names),), _explainer(delimiter, len(names)))


def read_header(line: str, config: Mapping[str, Any]) -> tuple[str, ...]:
    """The column names in a header line, read by the same rules as a record, nothing stripped.

    Raises ``NormalizeError`` when the line is empty or a quoted name is not closed.
    """
    if not line:
        raise NormalizeError("the CSV header line is empty")
    fields, closed = _scan(line, delimiter_of(config))
    if not closed:
        raise NormalizeError(f"the CSV header line: column {len(fields)}: a quoted field is not closed")
    return tuple(fields)


def _scan(line: str, delimiter: str) -> tuple[list[str], bool]:
    """Split ``line`` into fields by Go's lazy-quote rules (see the module docstring).

    Returns the fields and whether every quoted field was closed. When one was not, it is the last
    field and holds the rest of the line, as Go's lazy reader would give it.
    """
    fields: list[str] = []
    append = fields.append
    last = len(line) - 1
    pos = 0
    while True:
        if line.startswith('"', pos):
            # The usual quoted field, `"text"` then a delimiter or the end, needs no unescaping.
            close = line.find('"', pos + 1)
            if close > 0 and line.startswith(delimiter, close + 1):
                append(line[pos + 1 : close])
                pos = close + 2
                continue
            if close == last:
                append(line[pos + 1 : close])
                return fields, True
            text, pos = _quoted(line, pos + 1, delimiter)
            append(text)
            if pos < 0:
                return fields, pos == _END
        else:
            stop = line.find(delimiter, pos)
            if stop < 0:
                append(line[pos:])
                return fields, True
            append(line[pos:stop])
            pos = stop + 1


def _quoted(line: str, pos: int, delimiter: str) -> tuple[str, int]:
    """The text of the quoted field whose content starts at ``pos``, and where the next field starts.

    The position is ``_END`` or ``_OPEN`` when the line ends with this field.
    """
    end = len(line)
    parts: list[str] = []
    while True:
        quote = line.find('"', pos)
        if quote < 0:
            parts.append(line[pos:])
            return "".join(parts), _OPEN
        after = quote + 1
        if after == end:
            parts.append(line[pos:quote])
            return "".join(parts), _END
        if line[after] == delimiter:
            parts.append(line[pos:quote])
            return "".join(parts), after + 1
        # `""` is one quote; a lone `"` is kept as it is and the field goes on (lazy quotes).
        parts.append(line[pos:after])
        pos = after + 1 if line[after] == '"' else after


def column_names(config: Mapping[str, Any], columns: Sequence[str] | None) -> tuple[str, ...]:
    if columns:
        return tuple(columns)
    if config.get("columns"):
        return tuple(config["columns"])
    if config.get("hasHeader"):
        # The names come from each file's header line, which the caller reads with read_header.
        raise ValueError("a csv parser with 'hasHeader: true' is compiled with the header's columns")
    raise SchemaError("a csv parser needs 'columns' or 'hasHeader: true'")


def delimiter_of(config: Mapping[str, Any]) -> str:
    """The delimiter: the first character of ``delimiter``, as Panther takes its first rune (spec f.2)."""
    delimiter = config.get("delimiter") or DEFAULT_DELIMITER
    if delimiter[0] in _INVALID_DELIMITERS:
        raise SchemaError(f"invalid csv delimiter {delimiter[0]!r}")
    return delimiter[0]


def _matcher(delimiter: str, count: int) -> Callable[[str], tuple[str, ...] | None]:
    """The branch's match function: the fields of a line with exactly ``count`` of them, or ``None``."""

    def match(line: str) -> tuple[str, ...] | None:
        if '"' in line:
            fields, closed = _scan(line, delimiter)
            if not closed:
                return None
        else:
            fields = line.split(delimiter)
        # An empty line splits into one empty field, but it is no record (Go skips it).
        if len(fields) == count and line:
            return tuple(fields)
        return None

    return match


def _explainer(delimiter: str, count: int) -> Callable[[str], str]:
    """Why a line is not a record of ``count`` fields, in a user's words."""

    def why_not(line: str) -> str:
        if not line:
            return "the line is empty"
        fields, closed = _scan(line, delimiter)
        if not closed:
            return f"column {len(fields)}: a quoted field is not closed"
        if len(fields) != count:
            return wrong_count(len(fields), count)
        return "matched"

    return why_not


def wrong_count(columns: int | str, count: int) -> str:
    """Why a row is no record: it has ``columns`` columns where the schema has ``count``."""
    return f"the row has {columns} {'column' if columns == 1 else 'columns'}, the schema expects {count}"
