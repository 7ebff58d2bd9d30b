"""What the engine's two HTTP shells (``serve``, ``playground``) share about ASGI: its callable
types, and reading a request body held to a size cap as it arrives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyTooLarge(Exception):
    """The body went past its cap: the rest is not read."""


class ClientGone(Exception):
    """The client went away before the whole body arrived."""


async def read_body(receive: Receive, cap: int) -> bytes:
    """The request body, counted as it arrives (so a body without ``Content-Length`` is held to
    ``cap`` too); the caller bounds the time it may take."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)
