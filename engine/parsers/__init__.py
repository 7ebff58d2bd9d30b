"""Parsers turn one line into name/value text pairs; each module exposes ``compile(config)``.

A text parser is a list of *branches* tried in order (fastmatch's ``match`` list); each branch is a
generated function ``line -> tuple of values | None`` plus the names of those values, fixed at
compile time, so the schema compiler can bind values to fields by position with no per-line lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Branch = tuple[Callable[[str], tuple[str, ...] | None], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class TextParser:
    """A compiled text parser: branches tried in order, and a slow explanation for failures."""

    branches: tuple[Branch, ...]
    why_not: Callable[[str], str]
    inline: Callable[[Sequence[str]], tuple[list[str], dict[str, Any]]] | None = None
    """For a single branch: its matching code, as lines to put into the line function (values into
    the given local names, ``return None`` on failure) and the globals they use; saves a call and a
    tuple per line."""


def compile_text_parser(
    kind: str, config: Mapping[str, Any], *, regex_timeout: float, columns: Sequence[str] | None = None
) -> TextParser:
    """Compile the parser named ``kind`` (as in the schema's ``parser:`` block).

    ``regex_timeout`` is the time budget of one regex search, in seconds (the regex parser's guard
    against catastrophic backtracking); ``columns`` are the names a CSV file's header line gave.
    """
    from . import csv, fastmatch, regex

    if kind == "regex":
        return regex.compile(config, regex_timeout)
    if kind == "csv":
        return csv.compile(config, columns)
    return fastmatch.compile(config)
