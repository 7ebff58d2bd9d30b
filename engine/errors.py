"""Errors a user can cause, and the reasons a line can be rejected.

Two families, kept apart on purpose:

* ``NormalizeError`` and its subclasses are problems with the *run* (a bad schema file, an unknown
  schema name, a bad option). The CLI catches them in one place, prints one line, exits 2.
* ``BadValue`` is raised on the per-line path by a converter that cannot turn a captured text into
  its field's type. It never escapes a batch: the normalizer turns it into a ``Reject``.

Reject reason codes are part of the public interface (README, "Reject reasons"): never rename one.
"""

from __future__ import annotations

from typing import Final


class NormalizeError(Exception):
    """A problem a user caused and can fix; shown as one line, never as a traceback."""


class SchemaError(NormalizeError):
    """A schema file that cannot be used, located as precisely as we know.

    ``str()`` gives ``FILE:LINE:COL: message (at path)``, the form editors and CI annotations read.
    ``line`` and ``col`` are 1-based; either may be ``None`` when the location is unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        path: tuple[str | int, ...] = (),
        at_key: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.path = path  # where in the document: ("fields", 3, "type")
        self.at_key = at_key  # the location is the mapping key at ``path``, not its value

    def located(self, *, file: str, line: int | None, col: int | None) -> SchemaError:
        """A copy of this error placed at ``file:line:col`` (used once a spec path is resolved)."""
        return SchemaError(self.message, file=file, line=line, col=col, path=self.path, at_key=self.at_key)

    def __str__(self) -> str:
        where = self.file or "<schema>"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        text = f"{where}: {self.message}"
        if self.path:
            text += f" (at {format_path(self.path)})"
        return text


def format_path(path: tuple[str | int, ...]) -> str:
    """``("fields", 3, "type")`` → ``fields[3].type``, the way users read it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class BadValue(ValueError):
    """A captured value that does not convert to its field's type or format.

    ``expected`` names what was wanted in the user's terms (``"int"``, ``"timestamp (rfc3339)"``);
    ``detail`` says what is wrong with the value when that is more than "not an X"
    (``"out of range"``). The field and the value are attached by the caller that knows them.
    """

    def __init__(self, expected: str, detail: str | None = None) -> None:
        super().__init__(expected if detail is None else f"{expected}: {detail}")
        self.expected = expected
        self.detail = detail


class RegexTimeout(Exception):
    """A user regex that ran out of its time budget on one line (catastrophic backtracking), or,
    with ``untried``, a line not tried because the schema's regex had used up its budget for the run."""

    def __init__(self, seconds: float, *, untried: str = "") -> None:
        message = f"not tried: {untried}" if untried else f"the regex search took longer than {seconds:g} s"
        super().__init__(message)
        self.seconds = seconds
        self.untried = bool(untried)


class InvalidJSON(Exception):
    """A line that a JSON schema cannot read: not JSON, or not a JSON object."""


# Reject reason codes (stable, snake_case).
NO_MATCH: Final = "no_match"
BAD_VALUE: Final = "bad_value"
INVALID_UTF8: Final = "invalid_utf8"
LINE_TOO_LONG: Final = "line_too_long"
REGEX_TIMEOUT: Final = "regex_timeout"
INVALID_JSON: Final = "invalid_json"
VALIDATION_FAILED: Final = "validation_failed"
BAD_FRAMING: Final = "bad_framing"

LINE_REASONS: Final = (
    NO_MATCH,
    BAD_VALUE,
    VALIDATION_FAILED,
    INVALID_JSON,
    INVALID_UTF8,
    LINE_TOO_LONG,
    REGEX_TIMEOUT,
)
"""The reasons one input line (or frame) can be rejected for: what a schema test can expect."""

REASONS: Final = (*LINE_REASONS, BAD_FRAMING)
"""Every reason: a line's, and ``bad_framing``, the broken rest of an octet-counted input."""
