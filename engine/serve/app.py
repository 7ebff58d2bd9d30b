"""The drain endpoint as an ASGI application: a POSTed body in, its events and rejects durably in
the lake, then the answer.

One request, in order: the route by path (404), POST only (405), header count and size (431), the
content type of the route's framing (415), credentials that need no body (401), the body read within
its size cap (413) and deadline (503), credentials that sign the body (401), a gzip or deflate body
inflated within its cap (413), a ``Logplex-Frame-Id`` already acknowledged (204, nothing written),
then, in a worker thread so that the event loop never waits on it, framing and normalizing (the
engine's ``Normalizer``, accelerator included), and the lake's flusher thread writes the records
with those of every other request in flight and fsyncs them. Only then 204. A commit that fails
(a full disk) is a 503, which Logplex retries; so is a server past its concurrency cap. A body
whose frames were all rejected is still a 204: its rejects are kept, and a 4xx would make Logplex
drop the batch for good.

Answers carry no detail of why credentials were refused: missing, malformed and wrong look alike to
the sender and are counted apart in the metrics. No header value or body is ever logged.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

import orjson

from ..asgi import BodyTooLarge, ClientGone, Receive, Scope, Send, read_body
from ..batch import Batch, Encoded
from ..lake import Lake
from ..normalizer import Normalizer
from ..reader import LINES, read_blocks
from .auth import NEEDS_BODY
from .metrics import Metrics
from .recent import Recent
from .routes import Limits, Route

_PLAIN: Final = [(b"content-type", b"text/plain; charset=utf-8")]


class Refused(Exception):
    """A request answered with ``status`` before anything was written."""

    def __init__(self, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or []


@dataclass
class Served:
    """A route with its normalizer, compiled once; each worker thread takes its own copy."""

    route: Route
    normalizer: Normalizer
    local: threading.local = field(default_factory=threading.local)

    def normalizer_here(self) -> Normalizer:
        normalizer = getattr(self.local, "normalizer", None)
        if normalizer is None:
            normalizer = self.local.normalizer = self.normalizer.for_worker()
        return normalizer


class DrainApp:
    """``routes`` by path, writing to ``lake``; ``workers`` threads normalize and commit."""

    def __init__(
        self,
        routes: list[Served],
        lake: Lake,
        *,
        limits: Limits | None = None,
        workers: int = 4,
        access_log: TextIO | None = None,
    ) -> None:
        self.routes = {served.route.path: served for served in routes}
        self.lake = lake
        self.limits = limits or Limits()
        self.metrics = Metrics()
        self.access_log = access_log
        """Where one JSON line per request goes (route, status, time, sizes, counts; never a
        header value or a body), or nowhere."""
        lake.on_flush = self.metrics.flushed
        self.recent = Recent(self.limits.dedupe_seconds)
        now = time.time()
        for note in lake.read_journal(now - self.limits.dedupe_seconds):  # acknowledged before a restart
            if "frame_id" in note and "route" in note:
                self.recent.add(note["route"], note["frame_id"], age=max(0.0, now - note["at"]))
        self._executor = ThreadPoolExecutor(workers, "normalize-serve")
        self._in_flight = 0
        self._requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        path = scope["path"]
        if scope["method"] == "GET" and path in ("/healthz", "/metrics"):
            if path == "/healthz":
                await _answer(send, 200, "ok\n")
            else:
                body, kind = self.metrics.exposition()
                await _answer(send, 200, body, [(b"content-type", kind.encode())])
            return
        served = self.routes.get(path)
        route = path if served is not None else "unknown"
        done: dict[str, Any] = {}
        try:
            if served is None:
                raise Refused(404, "no route here\n")
            status = await self._post(served, scope, receive, done)
            await _answer(send, status, "")
        except Refused as refused:
            status = refused.status
            await _answer(send, status, refused.text, refused.headers)
        seconds = time.perf_counter() - started
        self.metrics.request(route, status, seconds)
        if self.access_log is not None:
            entry = {"at": time.time(), "route": route, "method": scope["method"], "status": status}
            entry.update(seconds=round(seconds, 6), client=(scope.get("client") or ("", 0))[0], **done)
            self.access_log.write(orjson.dumps(entry).decode() + "\n")

    async def _post(self, served: Served, scope: Scope, receive: Receive, done: dict[str, Any]) -> int:
        """Answer a POST; what it did goes into ``done`` for the access log."""
        route, limits = served.route, self.limits
        if scope["method"] != "POST":
            raise Refused(405, "POST only\n", [(b"allow", b"POST")])
        raw_headers = scope["headers"]
        if len(raw_headers) > limits.max_headers or sum(len(k) + len(v) for k, v in raw_headers) > (
            limits.max_header_bytes
        ):
            raise Refused(431, "too many or too large headers\n")
        headers = dict(raw_headers)  # ASGI names are lower-case; a repeated header: its last value
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        if kind not in route.content_types:
            raise Refused(415, f"this route takes {', '.join(route.content_types)}\n")
        signed = any(isinstance(verifier, NEEDS_BODY) for verifier in route.verifiers)
        if not signed:  # credentials first: an unknown sender's body is not even read
            self._check(served, headers, b"")
        if self._in_flight >= limits.max_concurrent:  # a slot from here to the answer
            self.metrics.overloaded(route.path)
            raise Refused(503, "busy, try again\n", [(b"retry-after", b"1")])
        self._in_flight += 1
        try:
            return await self._take(served, headers, receive, done, signed=signed)
        finally:
            self._in_flight -= 1

    async def _take(
        self,
        served: Served,
        headers: dict[bytes, bytes],
        receive: Receive,
        done: dict[str, Any],
        *,
        signed: bool,
    ) -> int:
        """A request with a slot: its body read, checked, inflated, normalized and stored."""
        route = served.route
        body = await self._body(headers, receive)
        if signed:  # an HMAC of the body as sent, before it is inflated
            self._check(served, headers, body)
        sent = len(body)
        body = self._inflated(headers, body)
        frame_id = headers.get(b"logplex-frame-id", b"").decode("latin-1")[:64]
        done.update(bytes=sent, frame_id=frame_id or None)
        if frame_id and self.recent.seen(route.path, frame_id):
            self.metrics.duplicate(route.path)
            return 204
        self._requests += 1
        loop = asyncio.get_running_loop()
        source = f"{route.path}#{frame_id or self._requests}"
        encoded, watched = await loop.run_in_executor(self._executor, self._normalize, served, body, source)
        declared = headers.get(b"logplex-msg-count", b"").strip().decode("latin-1")[:20] or None
        note: dict[str, Any] = {"route": route.path, "frame_id": frame_id} if frame_id else {}
        if declared is not None and declared != str(encoded.lines):
            # the evidence, beside the records: what the sender said, what the body held
            note.update(route=route.path, source=source, msg_count=declared, records=encoded.lines)
        try:
            await asyncio.wrap_future(self.lake.submit(encoded.ndjson, encoded.rejects, note=note or None))
        except OSError:
            self.metrics.commit_failed(route.path)
            raise Refused(503, "could not store the logs, try again\n", [(b"retry-after", b"5")]) from None
        if frame_id:
            self.recent.add(route.path, frame_id)
        self.metrics.batch(route.path, encoded, sent, declared)
        self.metrics.watch(route.path, watched)
        done.update(records=encoded.lines, events=encoded.events, rejects=encoded.rejected)
        return 204

    def _check(self, served: Served, headers: dict[bytes, bytes], body: bytes) -> None:
        """Raise 401 unless one of the route's verifiers accepts the request (all are asked)."""
        verifiers = served.route.verifiers
        if not verifiers:
            return
        reasons = [verifier.check(headers, body) for verifier in verifiers]
        if None in reasons:
            return
        self.metrics.unauthorized(served.route.path, str(reasons[0]))
        raise Refused(401, "unauthorized\n", [(b"www-authenticate", b'Basic realm="normalize"')])

    async def _body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        """The body, within the size cap (413, counted as it arrives, so a body without
        ``Content-Length`` is held to it too) and the deadline (503: the sender may retry)."""
        cap = self.limits.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            raise Refused(413, f"the body is over {cap} bytes\n")
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                return await read_body(receive, cap)
        except BodyTooLarge:
            raise Refused(413, f"the body is over {cap} bytes\n") from None
        except ClientGone:
            raise Refused(400, "the client went away\n") from None
        except TimeoutError:
            raise Refused(
                503, "the body did not arrive in time\n", [(b"connection", b"close"), (b"retry-after", b"5")]
            ) from None

    def _inflated(self, headers: dict[bytes, bytes], body: bytes) -> bytes:
        """A gzip or deflate body inflated, never past the cap (413): a bomb costs no memory."""
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding in (b"identity", b""):
            return body
        if encoding not in (b"gzip", b"deflate", b"x-gzip"):
            raise Refused(415, "content encodings taken: gzip, deflate\n")
        cap = self.limits.max_inflated_bytes
        window = 16 + zlib.MAX_WBITS if encoding != b"deflate" else zlib.MAX_WBITS
        inflater = zlib.decompressobj(window)
        try:
            out = inflater.decompress(body, cap + 1)
        except zlib.error:
            raise Refused(400, "the body does not inflate\n") from None
        if len(out) > cap or inflater.unconsumed_tail:
            raise Refused(413, f"the body inflates past {cap} bytes\n")
        if not inflater.eof:
            raise Refused(400, "the compressed body is cut short\n")
        return out

    def _normalize(self, served: Served, body: bytes, source: str) -> tuple[Encoded, dict[str, int]]:
        """In a worker thread: the body's records, as NDJSON, and the matches of its watches."""
        watched = {name: len(pattern.findall(body)) for name, pattern in served.route.watch}
        normalizer = served.normalizer_here()
        if served.route.framing == LINES:
            encoded = _lines(normalizer, body, source)
        else:
            encoded = normalizer.encode_body(body, source=source)
        return encoded, watched

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._executor.shutdown(wait=True)
                self.lake.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _lines(normalizer: Normalizer, body: bytes, source: str) -> Encoded:
    """A body of lines, read as the CLI reads a file."""
    result = Batch().encoded()
    for block in read_blocks(io.BytesIO(body), live=False):
        result += normalizer.encode_block(block, source=source, first_line=result.lines + 1)  # type: ignore[arg-type]
    return result


async def _answer(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *(_PLAIN if body else []),
                # no Content-Length on a 204 (RFC 9110, 8.6)
                *([] if status == 204 else [(b"content-length", str(len(body)).encode())]),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["DrainApp", "Refused", "Served"]
