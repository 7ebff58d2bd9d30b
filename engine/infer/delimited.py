"""CSV and TSV: the delimiter, whether the first line is a header, and each column's type.

Each candidate delimiter splits every line by the engine's own CSV rules (Go's lazy quotes,
``engine.parsers.csv``); one that gives the same column count (two or more) on nine lines in ten
wins, tab first, then comma, semicolon, pipe, and space (space only under a header line: without
one, space-separated text is better mined as text; without a header, a comma, semicolon or pipe
needs three columns, as two are as likely text with one such character in it). A first line of
distinct names whose columns hold other types below (or that ``csv.Sniffer`` calls a header) is
the header; its names become the columns (``hasHeader: true`` skips it in each file).
"""

from __future__ import annotations

import csv as pycsv
import re
from collections import Counter
from collections.abc import Sequence
from typing import Final

from ..errors import NormalizeError
from ..parsers.csv import read_header
from .model import Draft, FieldDraft, Outlier
from .names import Names, sanitized
from .values import count, guess_text

DELIMITERS: Final = ("\t", ",", ";", "|", " ")
_SHOWN: Final = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}
_NAME_LIKE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_ .:/()-]*")
EMPTY = "-"
Sample = tuple[str, int, str]


def _cells(line: str, delimiter: str) -> list[str] | None:
    try:
        return list(read_header(line, {"delimiter": delimiter}))
    except NormalizeError:
        return None


def _columns(texts: Sequence[str], delimiter: str) -> tuple[int, int]:
    """The most common column count under ``delimiter`` and how many lines have it."""
    counts = Counter(len(c) if (c := _cells(t, delimiter)) is not None else 0 for t in texts)
    width, lines = max(counts.items(), key=lambda item: (item[1], item[0]))
    return width, lines


def _has_header(rows: list[list[str]]) -> bool:
    first, rest = rows[0], rows[1:]
    if not rest or len(set(first)) != len(first) or not all(_NAME_LIKE.fullmatch(c) for c in first):
        return False
    for i, name in enumerate(first):
        values = [r[i] for r in rest if r[i] and r[i] != EMPTY]
        if values and guess_text(name, values).type != "string":
            return True
    return False


def _sniffed_header(texts: Sequence[str], delimiter: str) -> bool:
    try:
        return pycsv.Sniffer().has_header("\n".join(texts[:50]))
    except pycsv.Error:
        return False


def detect(sample: Sequence[Sample]) -> tuple[str, int, bool] | None:
    """``(delimiter, columns, has_header)`` when the sample reads as CSV, else None."""
    texts = [text for _, _, text in sample]
    if len(texts) < 2:
        return None
    starts = _first_lines(sample)
    body = [t for i, t in enumerate(texts) if i not in starts]  # a header is only ever a file's first line
    for delimiter in DELIMITERS:
        width, lines = _columns(texts, delimiter)
        if width < 2 or lines * 10 < len(texts) * 9:
            continue
        rows = [c for t in body if (c := _cells(t, delimiter)) is not None and len(c) == width]
        first = _cells(texts[0], delimiter) or []
        header = _has_header([first, *rows])
        if not header and delimiter != " " and all(_NAME_LIKE.fullmatch(c) for c in first):
            header = _sniffed_header(texts, delimiter)
        if not header and (delimiter == " " or (delimiter != "\t" and width < 3)):
            continue  # two columns on a comma is as likely a comma inside text (a time's fraction)
        return delimiter, width, header
    return None


def _first_lines(sample: Sequence[Sample]) -> set[int]:
    """The index of each file's first line in the sample."""
    seen: set[str] = set()
    firsts = set()
    for i, (source, _, _) in enumerate(sample):
        if source not in seen:
            seen.add(source)
            firsts.add(i)
    return firsts


def draft_csv(sample: Sequence[Sample], delimiter: str, width: int, header: bool) -> Draft:
    """The draft of a CSV schema: columns named by the header (or by position), each typed."""
    why = [f"csv: every line splits into {width} columns on a {_SHOWN[delimiter]} ({_SHOWN[delimiter]!r})"]
    first_of_file = _first_lines(sample)
    names = Names()
    if header:
        head = _cells(sample[0][2], delimiter) or []
        columns = [names.take(sanitized(h, f"column_{i + 1}")) for i, h in enumerate(head)]
        why.append(f"hasHeader: the first line of each file names the columns ({', '.join(head[:6])}...)")
    else:
        columns = [names.take(f"column_{i + 1}") for i in range(width)]
        why.append("no header line: columns are named by position (column_1, ...)")
    rows: list[list[str]] = []
    outliers: list[Outlier] = []
    for i, (source, number, text) in enumerate(sample):
        if header and i in first_of_file:
            continue
        cells = _cells(text, delimiter)
        if cells is None or len(cells) != width:
            got = "an unclosed quote" if cells is None else f"{len(cells)} columns"
            outliers.append(Outlier(source, number, text, f"{got}, not {width}"))
            continue
        rows.append(cells)
    empty = any(EMPTY in row for row in rows)
    config: dict[str, object] = {"delimiter": delimiter}
    if header:
        config["hasHeader"] = True
    config["columns"] = columns
    if empty:
        config["emptyValues"] = [EMPTY]
        why.append("emptyValues ['-']: '-' stands for a missing value in these rows")
    fields = []
    for i, name in enumerate(columns):
        values = [r[i] for r in rows if r[i] and not (empty and r[i] == EMPTY)]
        guess = guess_text(name, values)
        draft = FieldDraft(name, guess.type, [f"{guess.type}: {guess.why[0]}", *guess.why[1:]])
        draft.time_formats, draft.indicators = guess.time_formats, guess.indicators
        if header and head[i] != name:
            draft.why.insert(0, f"the column {head[i]!r}")
        present = sum(1 for r in rows if not (empty and r[i] == EMPTY) and (r[i] or guess.type == "string"))
        if rows and present == len(rows):
            draft.required = True
            draft.why.append(f"required: a value on all {count(len(rows), 'row')}")
        fields.append(draft)
    return Draft("CSV", {"csv": config}, fields, parser_why=why, outliers=outliers)
