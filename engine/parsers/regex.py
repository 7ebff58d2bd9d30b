"""The regex parser: the schema's ``match`` entries joined into one pattern, run with a time limit.

As in Panther (spec f.1) the entries are concatenated with nothing between them, grok references are
expanded (``grok.py``), the pattern is searched for anywhere in the line (unanchored, leftmost), and
every named group gives a value (``""`` when it took no part in the match). Unlike Panther's RE2,
the engine is the ``regex`` module with ASCII classes (so ``\\d`` is ``[0-9]`` as in RE2), and since
schema patterns come from users and lines from anyone, each search has a wall-clock budget: a line
that exhausts it raises ``RegexTimeout`` and becomes a ``regex_timeout`` reject (spec l.14).

Differences from RE2 worth knowing: lookaround and backreferences work here; two groups with one
name share one value (the one that took part), where Panther would emit both and keep the last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import regex

from ..errors import RegexTimeout, SchemaError
from . import TextParser
from .grok import expand
from .regexcheck import MAX_COMPILED_SIZE, compiled_size

DEFAULT_TIMEOUT = 0.1
"""Seconds one search of one line may take (``--regex-timeout``)."""

MAX_PATTERN_LENGTH = 64 << 10
"""Expanded patterns longer than this are refused: compiling them can take seconds (reliability 3.1)."""


def compile_regex(config: Mapping[str, Any]) -> regex.Pattern[str]:
    """The compiled pattern of a ``regex`` parser block; ``SchemaError`` names what is wrong."""
    source = expand("".join(config["match"]), config.get("patternDefinitions", {}))
    if len(source) > MAX_PATTERN_LENGTH:
        raise SchemaError(f"the expanded pattern is {len(source)} characters, more than {MAX_PATTERN_LENGTH}")
    size = compiled_size(source)  # before compiling: nested repeats multiply the compile's cost
    if size > MAX_COMPILED_SIZE:
        raise SchemaError(
            f"the pattern would compile to about {size:,} steps, more than the {MAX_COMPILED_SIZE:,} allowed "
            "(a repeat inside a repeat multiplies them)"
        )
    try:
        return regex.compile(source, regex.ASCII)
    except regex.error as exc:
        raise SchemaError(f"invalid regular expression: {exc}") from None
    except RecursionError:
        raise SchemaError("invalid regular expression: nested too deeply") from None


def compile(config: Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT) -> TextParser:
    """The regex parser of a schema: one branch whose values are the named groups, in group order."""
    pattern = compile_regex(config)
    names = [""] * pattern.groups
    for name, index in pattern.groupindex.items():
        names[index - 1] = name
    return TextParser(((_matcher(pattern, timeout), tuple(names)),), _explainer(config, pattern, timeout))


def _matcher(pattern: regex.Pattern[str], timeout: float) -> Callable[[str], tuple[str, ...] | None]:
    search = pattern.search

    def match(line: str) -> tuple[str, ...] | None:
        try:
            found = search(line, timeout=timeout)
        except TimeoutError:
            raise RegexTimeout(timeout) from None
        return None if found is None else found.groups("")

    return match


def _explainer(
    config: Mapping[str, Any], pattern: regex.Pattern[str], timeout: float
) -> Callable[[str], str]:
    """Why a line does not match: the first ``match`` entry at which the joined pattern stops matching."""
    entries = list(config["match"])
    definitions = config.get("patternDefinitions", {})

    def why_not(line: str) -> str:
        for count in range(len(entries) - 1, 0, -1):
            try:
                prefix = regex.compile(expand("".join(entries[:count]), definitions), regex.ASCII)
                found = prefix.search(line, timeout=timeout)
            except (regex.error, RecursionError, TimeoutError):
                continue  # a prefix may not be a whole regex (an open group): try a shorter one
            if found is not None:
                return f"match[0..{count - 1}] match up to column {found.end() + 1}, match[{count}] does not"
        return (
            "the pattern does not match (not even match[0])"
            if len(entries) > 1
            else "the pattern does not match"
        )

    return why_not
