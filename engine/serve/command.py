"""``normalize serve``: the flags, the routes they make, and the HTTP server around ``DrainApp``.

The server is uvicorn on httptools and uvloop. Measured here with 100-frame bodies at 50
connections (wrk, server on one core): uvicorn 10,458 requests/s with a bare ASGI app, granian
14,125, hypercorn 2,305 with Starlette (434 µs of CPU a request, against ~120 µs). Granian bounds
request heads itself, but its idle keep-alive is its header timeout, at most 60 s: shorter than
Logplex's idle close, so every quiet drain would pay a TLS handshake per batch. uvicorn keeps an idle
connection 5 minutes and answers 503 past its connection cap; what it lacks on request heads (a
deadline, header count and size) ``protocol.GuardedHttpToolsProtocol`` adds, and the app bounds the
body (size, deadline, inflated size).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final

from .. import options
from ..errors import NormalizeError
from ..lake import Lake
from ..normalizer import Normalizer
from ..options import MAX_BYTES, MAX_CONCURRENT, MAX_SECONDS, MAX_WORKERS, Bound
from ..reader import FRAMINGS, OCTET_COUNTED
from ..registry import Registry, search_path
from .app import DrainApp, Served
from .auth import DIGESTS, ENCODINGS
from .config import JSON_SCHEMA, load_config
from .protocol import guarded_protocol
from .routes import CONTENT_TYPES, Limits, Route, secrets_from, verifiers, watches

PROG = "normalize serve"
DEFAULT_HEADER = "Logplex-Drain-Token"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Receive logs over HTTP (a Heroku drain: octet-counted frames POSTed by Logplex), "
        "normalize them, and write events and rejects to --out DIR, partitioned by log type and hour. "
        "A request is answered 204 once its records are on disk.",
    )
    p.add_argument(
        "-s", "--schema", action="append", default=[], metavar="NAME", help="schema (repeat: classify)"
    )
    p.add_argument(
        "--config", metavar="FILE", help="routes from a YAML file (see --json-schema) instead of flags"
    )
    p.add_argument("--json-schema", action="store_true", help="print the JSON Schema of --config files")
    p.add_argument("--schemas", action="append", default=[], metavar="DIR", help="a folder of schema files")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="the lake: DIR/events/p_log_type=.../year=.../..., DIR/rejects/schema=.../...",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--path", default="/", help="the route's path (default /)")
    p.add_argument(
        "--framing", choices=FRAMINGS, default=OCTET_COUNTED, help="how a body is cut into records"
    )
    p.add_argument("--source-id", default="")
    p.add_argument("--source-label", default="")
    auth = p.add_argument_group("credentials (a request passes when one of the kinds given accepts it)")
    auth.add_argument(
        "--auth-header", default=DEFAULT_HEADER, help=f"the shared secret's header ({DEFAULT_HEADER})"
    )
    auth.add_argument(
        "--secret-env", action="append", default=[], metavar="VAR", help="a shared secret, from $VAR"
    )
    auth.add_argument(
        "--secret-file", action="append", default=[], metavar="FILE", help="a shared secret, from FILE"
    )
    auth.add_argument("--secret", action="append", default=[], help="a shared secret (warned: ps shows it)")
    auth.add_argument(
        "--basic-env", action="append", default=[], metavar="VAR", help="HTTP Basic user:password"
    )
    auth.add_argument("--basic-file", action="append", default=[], metavar="FILE")
    auth.add_argument("--bearer-env", action="append", default=[], metavar="VAR", help="a bearer token")
    auth.add_argument("--bearer-file", action="append", default=[], metavar="FILE")
    auth.add_argument(
        "--hmac-env", action="append", default=[], metavar="VAR", help="an HMAC key of the body"
    )
    auth.add_argument("--hmac-file", action="append", default=[], metavar="FILE")
    auth.add_argument("--hmac-header", default="", help="the header that carries the HMAC")
    auth.add_argument("--hmac-algorithm", choices=DIGESTS, default="sha256")
    auth.add_argument("--hmac-encoding", choices=ENCODINGS, default="hex")
    auth.add_argument("--hmac-prefix", default="", help="what comes before the digest (e.g. sha256=)")
    auth.add_argument(
        "--no-auth", action="store_true", help="an open route (behind a proxy that authenticates)"
    )
    limits = p.add_argument_group("limits")
    default = Limits()
    limits.add_argument("--max-body-bytes", type=int, default=default.max_body_bytes)
    limits.add_argument("--max-inflated-bytes", type=int, default=default.max_inflated_bytes)
    limits.add_argument("--body-seconds", type=float, default=default.body_seconds)
    limits.add_argument("--head-seconds", type=float, default=default.head_seconds)
    limits.add_argument("--max-concurrent", type=int, default=default.max_concurrent)
    limits.add_argument(
        "--workers", type=int, default=4, help="threads that normalize and commit (default 4)"
    )
    p.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--keyfile", help="the certificate's private key (PEM)")
    p.add_argument("--no-fsync", action="store_true", help="acknowledge before data is fsynced (tests only)")
    p.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="NAME=REGEX",
        help="count a pattern's matches in the bodies (normalize_watched_total), e.g. "
        "logplex_l10='Error L10 \\('",
    )
    p.add_argument("--access-log", action="store_true", help="one JSON line per request on stderr")
    return p


def build(args: argparse.Namespace) -> DrainApp:
    """The app the flags (or ``--config``) describe, schemas compiled and the lake recovered."""
    if args.config:
        config = load_config(args.config)
        routes, limits = config.routes, config.limits
        folders, out = [*config.schema_folders, *args.schemas], args.out or config.out
    else:
        routes, limits = (_route_from_flags(args),), _limits_from_flags(args)
        folders, out = args.schemas, args.out
    if not out:
        raise NormalizeError("where do events go? give --out DIR (or out: in the --config file)")
    registry = Registry(search_path(folders))
    served = []
    for route in routes:
        schemas = registry.load_all(route.schemas)
        normalizer = Normalizer(schemas, source_id=route.source_id, source_label=route.source_label)
        served.append(Served(route, normalizer))
    lake = Lake(out, fsync=not args.no_fsync)
    for path, lost in lake.recover():
        print(f"{PROG}: {path}: cut {lost} bytes of a torn record left by a killed writer", file=sys.stderr)
    return DrainApp(
        served, lake, limits=limits, workers=args.workers, access_log=sys.stderr if args.access_log else None
    )


def _route_from_flags(args: argparse.Namespace) -> Route:
    """The one route of a flags-only start."""
    if not args.schema:
        raise NormalizeError("give --schema NAME (or --config FILE)")
    if args.secret:
        print(f"{PROG}: warning: a secret given with --secret shows in the process list", file=sys.stderr)
    route_verifiers = verifiers(
        header=args.auth_header,
        secrets=secrets_from(args.secret_env, args.secret_file, args.secret),
        basic=secrets_from(args.basic_env, args.basic_file),
        bearer=secrets_from(args.bearer_env, args.bearer_file),
        hmac_header=args.hmac_header,
        hmac_secrets=secrets_from(args.hmac_env, args.hmac_file),
        hmac_algorithm=args.hmac_algorithm,
        hmac_encoding=args.hmac_encoding,
        hmac_prefix=args.hmac_prefix,
    )
    if not route_verifiers and not args.no_auth:
        raise NormalizeError("give credentials (--secret-env VAR, --basic-env VAR, ...) or --no-auth")
    if not args.path.startswith("/") or args.path in ("/healthz", "/metrics"):
        raise NormalizeError(f"a route's path starts with / and is not /healthz or /metrics: {args.path!r}")
    specs = dict(spec.partition("=")[::2] for spec in args.watch)
    return Route(
        args.path,
        tuple(args.schema),
        args.framing,
        route_verifiers,
        args.source_id,
        args.source_label,
        CONTENT_TYPES[args.framing],
        watches(specs),
    )


def _limits_from_flags(args: argparse.Namespace) -> Limits:
    return Limits(
        max_body_bytes=args.max_body_bytes,
        max_inflated_bytes=args.max_inflated_bytes,
        body_seconds=args.body_seconds,
        head_seconds=args.head_seconds,
        max_concurrent=args.max_concurrent,
    )


SERVE_BOUNDS: Final = (
    Bound("port", 0, 65535),
    Bound("max_body_bytes", 1, MAX_BYTES),
    Bound("max_inflated_bytes", 1, MAX_BYTES),
    Bound("body_seconds", 0, MAX_SECONDS, above=True, seconds=True),
    Bound("head_seconds", 0, MAX_SECONDS, above=True, seconds=True),
    Bound("max_concurrent", 1, MAX_CONCURRENT),
    Bound("workers", 1, MAX_WORKERS),
)
"""The flags' bounds; ``drains.schema.json`` holds the same for a --config file's limits."""


def main(argv: Sequence[str]) -> int:
    """Run the server until SIGINT or SIGTERM (in-flight requests finish); the exit code."""
    import uvicorn  # noqa: PLC0415 (the server's stack loads only for this command)

    args = parser().parse_args(argv)
    options.check(args, SERVE_BOUNDS)
    if args.json_schema:
        sys.stdout.write(JSON_SCHEMA.read_text(encoding="utf-8"))
        return 0
    if bool(args.certfile) != bool(args.keyfile):
        raise NormalizeError("HTTPS needs both --certfile and --keyfile")
    app = build(args)
    limits = app.limits
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http=guarded_protocol(limits),
        lifespan="on",
        access_log=False,
        server_header=False,
        timeout_keep_alive=int(limits.keep_alive_seconds),
        timeout_graceful_shutdown=int(limits.body_seconds) + 5,
        limit_concurrency=limits.max_concurrent + 64,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        log_level="warning",
    )
    scheme = "https" if args.certfile else "http"
    print(
        f"{PROG}: listening on {scheme}://{args.host}:{args.port} ({', '.join(app.routes)}), "
        f"writing to {app.lake.root}",
        file=sys.stderr,
    )
    uvicorn.Server(config).run()
    return 0


__all__ = ["build", "main", "parser"]
