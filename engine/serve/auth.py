"""Who may post to a route: a shared secret in a header, HTTP Basic, a bearer token, or an HMAC of
the body, each with several accepted values so that a secret can be rotated without downtime.

Every comparison is of bytes, in constant time, against *every* accepted value (no early exit), so
neither the timing nor an exception tells a sender how close it came: a value that is not ASCII is
just another wrong value (``hmac.compare_digest`` raises on non-ASCII ``str``, which a naive handler
turns into a 500, which Logplex retries). Missing and wrong credentials look the same to the
sender; why a request was refused is only counted. Secrets are never logged or shown: ``repr`` of a
verifier names its kind and header, never a value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

Headers = Mapping[bytes, bytes]
"""Request headers by lower-case name, values as sent (the last of a repeated header)."""

MISSING: Final = "missing"
WRONG: Final = "wrong"
MALFORMED: Final = "malformed"


def _any_equal(presented: bytes, accepted: Sequence[bytes]) -> bool:
    """Whether ``presented`` equals one of ``accepted``, comparing with every one of them."""
    found = False
    for value in accepted:
        found |= hmac.compare_digest(presented, value)
    return found


@dataclass(frozen=True)
class SharedSecret:
    """The header ``header`` must hold one of ``secrets`` (Logplex's ``Logplex-Drain-Token``, or a
    header of the sender's choosing, as Panther's "Shared Secret" HTTP sources do)."""

    header: bytes
    secrets: tuple[bytes, ...] = field(repr=False)

    def check(self, headers: Headers, body: bytes) -> str | None:
        value = headers.get(self.header)
        if value is None:
            return MISSING
        return None if _any_equal(value, self.secrets) else WRONG


def _credentials(headers: Headers, scheme: bytes) -> bytes | str:
    """What ``Authorization: <scheme> <credentials>`` carries, or why there is nothing to compare
    (``MISSING``, or ``MALFORMED`` for another scheme)."""
    value = headers.get(b"authorization")
    if value is None:
        return MISSING
    given, _, credentials = value.partition(b" ")
    return credentials.strip() if given.lower() == scheme else MALFORMED


@dataclass(frozen=True)
class Basic:
    """HTTP Basic: ``Authorization: Basic base64(user:password)`` with one of ``credentials``
    (``user:password`` bytes), as a Heroku drain URL ``https://user:password@host/path`` sends."""

    credentials: tuple[bytes, ...] = field(repr=False)

    def check(self, headers: Headers, body: bytes) -> str | None:
        encoded = _credentials(headers, b"basic")
        if isinstance(encoded, str):
            return encoded
        try:
            presented = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return MALFORMED
        return None if _any_equal(presented, self.credentials) else WRONG


@dataclass(frozen=True)
class Bearer:
    """``Authorization: Bearer TOKEN`` with one of ``tokens``."""

    tokens: tuple[bytes, ...] = field(repr=False)

    def check(self, headers: Headers, body: bytes) -> str | None:
        token = _credentials(headers, b"bearer")
        if isinstance(token, str):
            return token
        return None if _any_equal(token, self.tokens) else WRONG


DIGESTS: Final = ("sha256", "sha512", "sha1")
ENCODINGS: Final = ("hex", "base64")


@dataclass(frozen=True)
class Signature:
    """An HMAC of the body as sent, keyed with one of ``secrets``, in the header ``header``:
    ``algorithm`` one of ``DIGESTS``, written in ``encoding`` (hex or base64), after ``prefix``
    (``sha256=`` in GitHub's style, or nothing)."""

    header: bytes
    secrets: tuple[bytes, ...] = field(repr=False)
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: bytes = b""

    def __post_init__(self) -> None:
        if self.algorithm not in DIGESTS or self.encoding not in ENCODINGS:
            raise ValueError(f"an HMAC is one of {DIGESTS} in {ENCODINGS}")

    def check(self, headers: Headers, body: bytes) -> str | None:
        value = headers.get(self.header)
        if value is None:
            return MISSING
        if not value.startswith(self.prefix):
            return MALFORMED
        value = value[len(self.prefix) :].strip()
        digests = [
            hmac.new(secret, body, getattr(hashlib, self.algorithm)).digest() for secret in self.secrets
        ]
        expected = [d.hex().encode() if self.encoding == "hex" else base64.b64encode(d) for d in digests]
        if self.encoding == "hex":
            value = value.lower()
        return None if _any_equal(value, expected) else WRONG


Verifier = SharedSecret | Basic | Bearer | Signature
"""What a route checks: ``check(headers, body)`` → ``None`` when the request may pass, else why not
(``MISSING``, ``WRONG``, ``MALFORMED``), for the metrics only."""

NEEDS_BODY: Final = (Signature,)
"""Verifiers that read the body: checked once it is read (before it is inflated)."""


__all__ = [
    "MALFORMED",
    "MISSING",
    "WRONG",
    "Basic",
    "Bearer",
    "Headers",
    "SharedSecret",
    "Signature",
    "Verifier",
]
