"""The playground as an ASGI application: the page and its files, and the calls the page makes.

``GET /`` is the page, ``GET /static/...`` its script, styles and vendored editor (read once at
start, served from memory: no path from a request ever reaches the file system), ``GET
/api/start`` the schema and sample it opens with, ``GET /api/json-schema`` the published JSON
Schema. The page's calls are ``POST /api/run``, ``/api/complete``, ``/api/infer`` and
``/api/tests``, each a JSON object in and out; they run in one worker thread, so that the event
loop never waits on the engine and two runs never compete for the CPU.

The server listens on loopback, but any web page the user visits could still send requests to it:
so a request must name this server in its ``Host`` header (a DNS-rebinding page names its own),
and a call must be ``application/json``, which a cross-origin page cannot send without a CORS
preflight that is never granted. Bodies are bounded.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import orjson

from ..asgi import BodyTooLarge, ClientGone, Receive, Scope, Send, read_body
from ..errors import NormalizeError
from ..registry import json_schema
from ..values import encode_event
from . import workbench
from .complete import complete

MAX_BODY_BYTES: Final = 4 * 1024 * 1024
BODY_SECONDS: Final = 30.0
FILE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.ya?ml")
LOOPBACK: Final = ("127.0.0.1", "localhost", "[::1]")
SECURITY_HEADERS: Final = [
    # scripts only from this server; CodeMirror sets element styles from script, and its lint
    # markers are data: images
    (
        b"content-security-policy",
        b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Refused(Exception):
    """A request answered with ``status`` and a one-line ``text``."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True, slots=True)
class Start:
    """What the page opens with: a schema text, a sample text, and the name ``Infer`` gives."""

    schema: str
    sample: str
    name: str


def static_files() -> dict[str, tuple[bytes, bytes]]:
    """Every file under ``static/`` by URL path, with its content type, read once."""
    files: dict[str, tuple[bytes, bytes]] = {}

    def walk(folder: Any, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif not entry.name.startswith("."):
                kind = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind.endswith("javascript"):
                    kind += "; charset=utf-8"
                files[f"{prefix}{entry.name}"] = (entry.read_bytes(), kind.encode())

    walk(resources.files(__package__) / "static", "/static/")
    return files


class PlaygroundApp:
    """The page and its API over ``workbench`` and ``complete``; ``hosts`` are the names the
    ``Host`` header may give (with any port)."""

    def __init__(self, start: Start, hosts: Iterable[str] = LOOPBACK) -> None:
        self.start = start
        self.hosts = frozenset(h.lower() for h in hosts)
        self.files = static_files()
        self.files["/"] = self.files["/static/index.html"]
        self._executor = ThreadPoolExecutor(1, "normalize-playground")
        self._calls: dict[str, Callable[[dict[str, Any]], Any]] = {
            "/api/run": self._run,
            "/api/complete": self._complete,
            "/api/infer": self._infer,
            "/api/tests": self._tests,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()  # startup: everything was built in __init__
            await send({"type": "lifespan.startup.complete"})
            await receive()  # shutdown
            self._executor.shutdown(wait=False, cancel_futures=True)
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        try:
            self._check_host(scope)
            status, body, kind = await self._answer(scope, receive)
        except Refused as refused:
            status, body, kind = refused.status, orjson.dumps({"error": refused.text}), b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _check_host(self, scope: Scope) -> None:
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
        name = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
        if name not in self.hosts:
            raise Refused(421, f"this server answers to {', '.join(sorted(self.hosts))}, not {host!r}")

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, bytes, bytes]:
        path, method = scope["path"], scope["method"]
        if method == "GET":
            if path in self.files:
                body, kind = self.files[path]
                return 200, body, kind
            if path == "/api/start":
                start = self.start
                return _json({"schema": start.schema, "sample": start.sample, "name": start.name})
            if path == "/api/json-schema":
                return 200, orjson.dumps(json_schema()), b"application/schema+json"
            raise Refused(404, f"nothing at {path}")
        call = self._calls.get(path)
        if call is None:
            raise Refused(404, f"nothing at {path}")
        if method != "POST":
            raise Refused(405, f"{path} takes POST")
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
            raise Refused(415, "send application/json")
        request = _object(await _body(receive))
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, call, request)
        except NormalizeError as exc:
            raise Refused(422, str(exc)) from None
        except Exception as exc:  # a bug: the page says so in one line, the terminal has the trace
            traceback.print_exc(file=sys.stderr)
            raise Refused(500, f"internal error ({type(exc).__name__}): {exc}") from None
        if isinstance(result, str):
            return 200, result.encode(), b"text/yaml; charset=utf-8"
        return _json(result)

    def _run(self, request: dict[str, Any]) -> dict[str, Any]:
        cursor = request.get("cursor")
        return workbench.run(
            _text(request, "schema"), _text(request, "sample"), cursor if type(cursor) is int else None
        )

    def _complete(self, request: dict[str, Any]) -> dict[str, Any]:
        line, col = request.get("line"), request.get("col")
        if type(line) is not int or type(col) is not int:  # bool is an int, and no line number
            raise NormalizeError("line and col are whole numbers")
        return complete(_text(request, "schema"), line, col).to_dict()

    def _infer(self, request: dict[str, Any]) -> dict[str, Any]:
        return workbench.infer(_text(request, "sample"), _text(request, "name") or self.start.name)

    def _tests(self, request: dict[str, Any]) -> str:
        file = _text(request, "file")
        if not FILE_NAME.fullmatch(file):
            raise NormalizeError(f"file is a schema file's name, such as App.yml, not {file[:80]!r}")
        return workbench.tests(_text(request, "schema"), _text(request, "sample"), file)


def _json(data: Any) -> tuple[int, bytes, bytes]:
    return 200, encode_event(data), b"application/json"  # an event of any depth, as a run writes it


async def _body(receive: Receive) -> bytes:
    try:
        async with asyncio.timeout(BODY_SECONDS):
            return await read_body(receive, MAX_BODY_BYTES)
    except BodyTooLarge:
        raise Refused(413, f"a request holds at most {MAX_BODY_BYTES:,} bytes") from None
    except (ClientGone, TimeoutError):
        raise Refused(400, "the request ended early") from None


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body is not a JSON object")
    return data


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key, "")
    if not isinstance(value, str):
        raise NormalizeError(f"{key} is text")
    return value
