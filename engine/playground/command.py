"""``normalize playground``: the flags, what the page opens with, and uvicorn around ``PlaygroundApp``.

The same server stack as ``normalize serve`` (uvicorn on httptools and uvloop), on loopback by
default. The page opens with a schema (a file, a registered name, or ``new-schema``'s working
skeleton) and a sample (a file, the sample bundled beside the schema, or the skeleton's own test
inputs), so that it shows events from the first second.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from .. import options
from ..errors import NormalizeError
from ..options import Bound
from ..registry import Registry, search_path
from ..scaffold import SCHEMA, TESTS
from .app import LOOPBACK, PlaygroundApp, Start

PROG = "normalize playground"
DEFAULT_PORT = 8765
SKELETON_NAME = "Custom.Playground.App"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="A local web page to write a schema against a sample: lint errors at their line, "
        "events and rejects as you type, explain for the line under the cursor, and Infer.",
    )
    p.add_argument(
        "schema", nargs="?", metavar="SCHEMA", help="a schema file or name to open (default: a skeleton)"
    )
    p.add_argument("--sample", metavar="FILE", help="sample lines to open (default: the schema's own)")
    p.add_argument("--schemas", action="append", default=[], metavar="DIR", help="a folder of schema files")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)"
    )
    return p


def start_from(schema: str | None, sample: str | None, folders: Sequence[str]) -> Start:
    """The page's first schema and sample, from the command line."""
    if schema is None:
        text = SCHEMA.format(name=SKELETON_NAME)
        inputs = [case["input"] for case in yaml.safe_load(TESTS.format(file="", command=""))]
        start = Start(text, "\n".join(inputs) + "\n", SKELETON_NAME)
        file = None
    else:
        file = Path(schema) if Path(schema).is_file() else Registry(search_path(folders)).file(schema)
        text = _read(file)
        start = Start(text, "", _name_in(text) or SKELETON_NAME)
    if sample is not None:
        return Start(start.schema, _read(Path(sample)), start.name)
    if file is not None:
        beside = [file.with_suffix(".sample.log"), file.with_name("sample.log")]
        found = next((path for path in beside if path.is_file()), None)
        return Start(start.schema, _read(found) if found else "", start.name)
    return start


def _name_in(text: str) -> str:
    """The ``schema:`` name of a schema text, or "" when it has none that reads."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    name = data.get("schema") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NormalizeError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def listening(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: any free port), or a one-line error; bound
    before the address is printed, so that the address printed is one that answers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise NormalizeError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    sock.listen(128)  # connections wait in the backlog until the server accepts them
    return sock


def main(argv: Sequence[str]) -> int:
    """Serve the page until SIGINT or SIGTERM; the exit code."""
    import uvicorn  # noqa: PLC0415 (the server's stack loads only for this command)

    args = parser().parse_args(argv)
    options.check(args, (Bound("port", 0, 65535),))
    shown = f"[{args.host}]" if ":" in args.host else args.host
    app = PlaygroundApp(start_from(args.schema, args.sample, args.schemas), {*LOOPBACK, shown})
    sock = listening(args.host, args.port)
    config = uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning")
    if shown not in LOOPBACK:
        print(f"{PROG}: warning: {args.host} is not loopback, and the page has no login", file=sys.stderr)
    print(f"{PROG}: open http://{shown}:{sock.getsockname()[1]}/ (Ctrl-C to stop)", file=sys.stderr)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


__all__ = ["main", "parser", "start_from"]
