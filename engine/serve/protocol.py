"""uvicorn's HTTP/1.1 protocol with the limits it lacks on the request head.

uvicorn (httptools) bounds the idle time between requests and the concurrent connections, but not
the request head: measured here, it kept a client that sends its headers one byte every 2 s open
for as long as it liked, and took 1,000 headers and a 64 KiB header. An ASGI app cannot help: it is
called once the head is complete. So the server runs this subclass, which

- closes a connection whose request head has not arrived within ``head_seconds`` of its first
  byte (or of the connection, for the first request): a slow-headers client holds a connection for
  at most that long;
- answers 431 and closes when a head has more than ``max_headers`` headers or ``max_header_bytes``
  bytes of them, before the app is called.

Idle keep-alive stays uvicorn's (``timeout_keep_alive``), so it can be longer than Logplex's idle
close while a head still has to arrive quickly. It relies on uvicorn's parser callbacks
(``on_message_begin``, ``on_header``, ``on_headers_complete``); ``tests/test_serve.py`` holds it to
each limit, so an uvicorn that changes them fails there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .routes import Limits


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a head over the limits."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a deadline and size limits on each request head."""

    limits = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._header_count = 0
        self._header_bytes = 0
        self._head_too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = self._header_bytes = 0
        if self._head_timer is None:
            self._arm()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value)
        if self._header_count > self.limits.max_headers or self._header_bytes > self.limits.max_header_bytes:
            self._head_too_large = True
            raise _HeadTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a head it cannot parse; 431 when the head broke the limits."""
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        text = b"too many or too large headers\n"
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(text), text)
        )
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.limits.head_seconds, self._head_late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for a server held to ``limits``."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})


__all__ = ["GuardedHttpToolsProtocol", "guarded_protocol"]
