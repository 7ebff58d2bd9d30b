"""Parsers turn one line into name/value text pairs; each module exposes ``compile(config)``.

A text parser is a list of *branches* tried in order (fastmatch's ``match`` list); each branch is a
generated function ``line -> tuple of values | None`` plus the names of those values, fixed at
compile time, so the schema compiler can bind values to fields by position with no per-line lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import csv, fastmatch, regex
from .text import Branch, TextParser

__all__ = ["Branch", "TextParser", "compile_text_parser"]


def compile_text_parser(
    kind: str, config: Mapping[str, Any], *, regex_timeout: float, columns: Sequence[str] | None = None
) -> TextParser:
    """Compile the parser named ``kind`` (as in the schema's ``parser:`` block).

    ``regex_timeout`` is the time budget of one regex search, in seconds (the regex parser's guard
    against catastrophic backtracking); ``columns`` are the names a CSV file's header line gave.
    """
    if kind == "regex":
        return regex.compile(config, regex_timeout)
    if kind == "csv":
        return csv.compile(config, columns)
    return fastmatch.compile(config)
