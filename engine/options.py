"""The bounds of the commands' numeric options.

A value out of range is refused in one line (exit 2) before anything starts: unbounded, a huge
number overflowed in C or in a library with a traceback, or meant something else than it says
(``--regex-timeout 1e308`` rejected every line at once). One table per command, checked by
``check``; ``drains.schema.json`` holds the same bounds for a ``normalize serve --config`` file.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import NormalizeError

MAX_BYTES = 1 << 30
"""The most bytes a line, a request body or an inflated body may be given (1 GiB): each is held in
memory whole."""
MAX_SECONDS = 3600.0
"""The longest time budget of one regex search, request head or request body (an hour)."""
MIN_REGEX_SECONDS = 0.001
"""The shortest time budget of one regex search (1 ms): a budget is wall time, so the shorter it
is, the more a line's fate depends on the machine's load; under a microsecond even ordinary lines
timed out on the reference path while the accelerator, bounded by steps and not time, took them."""
MAX_WORKERS = 1024
MAX_CONCURRENT = 1 << 20
"""The most requests the drain may hold in flight."""


@dataclass(frozen=True)
class Bound:
    """An option (its ``argparse`` dest) and the range it may take."""

    dest: str
    low: float
    high: float
    above: bool = False  # ``low`` itself is refused
    seconds: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.dest.replace("_", "-")

    def refusal(self, value: float) -> str | None:
        """Why ``value`` is refused, or ``None``."""
        if (
            (isinstance(value, int) or math.isfinite(value))  # an int past a float's range is no NaN
            and (value > self.low if self.above else value >= self.low)
            and value <= self.high
        ):
            return None
        if self.seconds:
            low = f"above {self.low:g}" if self.above else f"{self.low:g} or more"
            return f"{self.flag} must be a number of seconds {low}, at most {self.high:,g}, not {value}"
        return f"{self.flag} must be from {self.low:,} to {self.high:,}, not {value:,}"


def check(args: argparse.Namespace, bounds: Iterable[Bound]) -> None:
    """Raise ``NormalizeError`` for the first option of ``bounds`` given out of its range."""
    for bound in bounds:
        value = getattr(args, bound.dest)
        if value is not None and (why := bound.refusal(value)) is not None:
            raise NormalizeError(why)
