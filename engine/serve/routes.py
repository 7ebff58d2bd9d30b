"""What the server serves: routes (a path, its schemas, framing and credentials) and the limits it
holds every request to. Built from command-line flags; secrets come from the environment or from
files, and one given on the command line works but is warned about (``ps`` shows it)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ..errors import NormalizeError
from ..reader import LINES, OCTET_COUNTED
from .auth import Basic, Bearer, SharedSecret, Signature, Verifier

LOGPLEX_TYPES: Final = ("application/logplex-1", "application/x-logplex-1")
LINE_TYPES: Final = ("text/plain", "application/x-ndjson", "application/jsonl", "application/octet-stream")
CONTENT_TYPES: Final = {OCTET_COUNTED: LOGPLEX_TYPES, LINES: LINE_TYPES}
"""The content types a route takes, by its framing (the body as the CLI would read a file)."""


@dataclass(frozen=True)
class Limits:
    """What one request may cost. Logplex sends bodies of about 100 KiB and waits 5 s."""

    max_body_bytes: int = 1 << 20
    """Above this a body is refused with 413 (counted as sent, while it is read)."""
    max_inflated_bytes: int = 8 << 20
    """A gzip or deflate body is refused with 413 once it inflates past this."""
    body_seconds: float = 10.0
    """The whole body must have arrived within this many seconds of the headers."""
    head_seconds: float = 10.0
    """A request head (request line and headers) must arrive within this many seconds of its first
    byte, or of the connection for its first request; the connection is closed otherwise."""
    max_headers: int = 64
    max_header_bytes: int = 16 << 10
    """Requests with more headers, or more header bytes in all, are refused with 431."""
    keep_alive_seconds: float = 300.0
    """Idle keep-alive: longer than Logplex's own idle close (2.5-4.25 min), so batches reuse
    their TLS connection."""
    max_concurrent: int = 256
    """Requests past this many in flight are answered 503 with ``Retry-After`` (Logplex retries)."""
    dedupe_seconds: float = 600.0
    """A ``Logplex-Frame-Id`` seen within this window is acknowledged again and not written twice."""


@dataclass(frozen=True)
class Route:
    """One path that takes POSTed bodies of logs for ``schemas``."""

    path: str
    schemas: tuple[str, ...]
    framing: str = OCTET_COUNTED
    verifiers: tuple[Verifier, ...] = ()
    """A request passes when one of these accepts it; none means the route is open."""
    source_id: str = ""
    source_label: str = ""
    content_types: tuple[str, ...] = field(default=LOGPLEX_TYPES)
    watch: tuple[tuple[str, re.Pattern[bytes]], ...] = ()
    """Named patterns counted in each body (``normalize_watched_total``): a sender's own notices,
    such as Logplex's ``Error L10`` drop reports, seen without a schema knowing them."""


_WATCH_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")


def watches(specs: Mapping[str, str]) -> tuple[tuple[str, re.Pattern[bytes]], ...]:
    """Compiled watch patterns by name (lower-case letters, digits, ``_``); a bad one is an error."""
    found = []
    for name, pattern in specs.items():
        if not _WATCH_NAME.fullmatch(name):
            raise NormalizeError(f"a watch name is lower-case letters, digits and _: {name!r}")
        try:
            found.append((name, re.compile(pattern.encode())))
        except re.error as exc:
            raise NormalizeError(f"watch {name}: {exc}") from None
    return tuple(found)


def secrets_from(
    env: Sequence[str] = (), files: Sequence[str] = (), values: Sequence[str] = ()
) -> tuple[bytes, ...]:
    """Secret values, from environment variables (by name), files (their content, one trailing
    newline removed) and the command line, as bytes. An unset or empty source is an error: a
    route must not end up open by a typo."""
    found: list[bytes] = []
    for name in env:
        value = os.environb.get(name.encode())
        if not value:
            raise NormalizeError(f"the environment variable {name} holds no secret")
        found.append(value)
    for name in files:
        try:
            value = Path(name).read_bytes().removesuffix(b"\n").removesuffix(b"\r")
        except OSError as exc:
            raise NormalizeError(f"{name}: {exc.strerror}") from None
        if not value:
            raise NormalizeError(f"{name} holds no secret")
        found.append(value)
    found += [value.encode() for value in values]
    return tuple(found)


def verifiers(
    *,
    header: str,
    secrets: tuple[bytes, ...] = (),
    basic: tuple[bytes, ...] = (),
    bearer: tuple[bytes, ...] = (),
    hmac_header: str = "",
    hmac_secrets: tuple[bytes, ...] = (),
    hmac_algorithm: str = "sha256",
    hmac_encoding: str = "hex",
    hmac_prefix: str = "",
) -> tuple[Verifier, ...]:
    """The verifiers of a route, from its credentials: each kind given takes part."""
    found: list[Verifier] = []
    if secrets:
        found.append(SharedSecret(header.lower().encode("latin-1"), secrets))
    if basic:
        if any(b":" not in credential for credential in basic):
            raise NormalizeError("a Basic credential is user:password")
        found.append(Basic(basic))
    if bearer:
        found.append(Bearer(bearer))
    if hmac_secrets:
        if not hmac_header:
            raise NormalizeError("an HMAC needs the header that carries it (--hmac-header)")
        try:
            found.append(
                Signature(
                    hmac_header.lower().encode("latin-1"),
                    hmac_secrets,
                    hmac_algorithm,
                    hmac_encoding,
                    hmac_prefix.encode(),
                )
            )
        except ValueError as exc:
            raise NormalizeError(str(exc)) from None
    return tuple(found)


__all__ = ["CONTENT_TYPES", "LOGPLEX_TYPES", "Limits", "Route", "secrets_from", "verifiers"]
