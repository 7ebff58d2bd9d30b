"""The regex parser: the schema's ``match`` entries joined into one pattern, run with a time limit.

As in Panther (spec f.1) the entries are concatenated with nothing between them, grok references are
expanded (``grok.py``), the pattern is searched for anywhere in the line (unanchored, leftmost), and
every named group gives a value (``""`` when it took no part in the match). Unlike Panther's RE2,
the engine is the ``regex`` module with ASCII classes (so ``\\d`` is ``[0-9]`` as in RE2), and since
schema patterns come from users and lines from anyone, each search has a wall-clock budget: a line
that exhausts it raises ``RegexTimeout`` and becomes a ``regex_timeout`` reject (spec l.14). A
budget per parser bounds the whole run as well (``TimeoutBudget``): a pattern that keeps timing out
stops being tried, and its lines are rejected at once, instead of costing the timeout each.

Differences from RE2 worth knowing: lookaround and backreferences work here; two groups with one
name share one value (the one that took part), where Panther would emit both and keep the last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import regex

from ..errors import RegexTimeout, SchemaError
from .grok import expand
from .regexcheck import MAX_COMPILED_SIZE, compiled_size
from .text import TextParser

DEFAULT_TIMEOUT = 0.1
"""Seconds one search of one line may take (``--regex-timeout``)."""

BUDGET_BURST: Final = 10
"""Timeouts a regex may run into back to back before its lines stop being tried."""

BUDGET_SHARE: Final = 0.01
"""The share of the run's wall time that searches which time out may take after the first burst."""

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
    budget = TimeoutBudget(timeout)
    return TextParser(((_matcher(pattern, budget), tuple(names)),), _explainer(config, pattern, budget))


class TimeoutBudget:
    """The time a parser's regex may still spend in searches that time out: a token bucket.

    It holds ``burst`` timeouts' worth of seconds and refills at ``share`` of the wall time that
    passes. A line is searched only while the bucket holds one whole timeout: so a hostile pattern
    (``(a|aa)+$``) or a hostile feed costs at most ``burst`` timeouts, then about 1% of the run,
    where it would cost the timeout on every line (0.1 s a line: 3 hours for 100,000 lines). The
    lines it does not try become ``regex_timeout`` rejects at once, with a message that says so.
    """

    def __init__(
        self,
        timeout: float,
        *,
        burst: int = BUDGET_BURST,
        share: float = BUDGET_SHARE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.capacity = burst * timeout
        self.share = share
        self.clock = clock
        self.seconds = self.capacity
        self.stamp = clock()
        self.timeouts = 0
        self.exhausted = False
        """Whether the last look found less than one timeout left (then ``available`` looks again)."""

    def spend(self) -> None:
        """A search ran out of time: take its timeout from the bucket."""
        self._refill()
        self.seconds -= self.timeout
        self.timeouts += 1
        self.exhausted = self.seconds < self.timeout

    def available(self) -> bool:
        """Whether a search may run now (one whole timeout left, after refilling)."""
        self._refill()
        self.exhausted = self.seconds < self.timeout
        return not self.exhausted

    def why_untried(self) -> str:
        return (
            f"the regex timed out on {self.timeouts} lines, more than its budget allows "
            f"({BUDGET_BURST} in a row, then {BUDGET_SHARE:.0%} of the run's time)"
        )

    def _refill(self) -> None:
        now = self.clock()
        self.seconds = min(self.capacity, self.seconds + (now - self.stamp) * self.share)
        self.stamp = now


def _matcher(pattern: regex.Pattern[str], budget: TimeoutBudget) -> Callable[[str], tuple[str, ...] | None]:
    search = pattern.search
    timeout = budget.timeout

    def match(line: str) -> tuple[str, ...] | None:
        if budget.exhausted and not budget.available():
            raise RegexTimeout(timeout, untried=budget.why_untried())
        try:
            found = search(line, timeout=timeout)
        except TimeoutError:
            budget.spend()
            raise RegexTimeout(timeout) from None
        return None if found is None else found.groups("")

    return match


def prefix_patterns(config: Mapping[str, Any]) -> list[tuple[int, regex.Pattern[str] | None]]:
    """The patterns ``why_not`` tries, in its order: for each count of ``match`` entries, from all
    but one down to one, the compiled pattern of the first ``count`` entries, or ``None`` when they
    are no whole regex (an open group): those are skipped."""
    entries = list(config["match"])
    definitions = config.get("patternDefinitions", {})
    prefixes: list[tuple[int, regex.Pattern[str] | None]] = []
    for count in range(len(entries) - 1, 0, -1):
        try:
            prefixes.append(
                (count, regex.compile(expand("".join(entries[:count]), definitions), regex.ASCII))
            )
        except (regex.error, RecursionError):
            prefixes.append((count, None))
    return prefixes


def matched_up_to(count: int, column: int | str) -> str:
    """Why a line does not match: the first ``count`` entries match up to ``column``."""
    return f"match[0..{count - 1}] match up to column {column}, match[{count}] does not"


def no_prefix_matches(entries: int) -> str:
    """Why a line does not match when no shorter pattern matches it either."""
    return "the pattern does not match (not even match[0])" if entries > 1 else "the pattern does not match"


def _explainer(
    config: Mapping[str, Any], pattern: regex.Pattern[str], budget: TimeoutBudget
) -> Callable[[str], str]:
    """Why a line does not match: the first ``match`` entry at which the joined pattern stops matching.

    Its searches draw on the parser's time budget too: once that is used up, lines are not explained.
    The accelerator words the same reasons from the same ``prefix_patterns``.
    """
    prefixes = prefix_patterns(config)
    timeout = budget.timeout

    def why_not(line: str) -> str:
        for count, prefix in prefixes:
            if budget.exhausted and not budget.available():
                return "the pattern does not match (not explained: the regex's time budget is used up)"
            if prefix is None:
                continue  # a prefix may not be a whole regex (an open group): try a shorter one
            try:
                found = prefix.search(line, timeout=timeout)
            except TimeoutError:
                budget.spend()
                continue
            if found is not None:
                return matched_up_to(count, found.end() + 1)
        return no_prefix_matches(len(config["match"]))

    return why_not
