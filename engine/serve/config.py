"""``normalize serve --config drains.yml``: several routes from one file, validated against the
published JSON Schema ``drains.schema.json`` (``normalize serve --json-schema`` prints it) with the
same ``FILE:LINE:COL`` errors as schema files. Secrets are named there (environment variables,
files), never written in it.

```yaml
out: /var/lib/normalize/lake
routes:
  - path: /heroku/shop
    schemas: [Heroku.Runtime]
    source_label: shop
    auth:
      shared_secret: {header: Logplex-Drain-Token, env: [SHOP_TOKEN, SHOP_TOKEN_OLD]}
      basic: {file: [/run/secrets/shop-basic]}
  - path: /ndjson
    schemas: [AWS.CloudTrail]
    framing: lines
    auth: {bearer: {env: [TRAIL_TOKEN]}}
```
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Final

import jsonschema

from ..errors import NormalizeError, SchemaError
from ..registry import reword
from ..yamlio import read_yaml
from .routes import CONTENT_TYPES, Limits, Route, secrets_from, verifiers, watches

JSON_SCHEMA: Final = Path(__file__).with_name("drains.schema.json")
DEFAULT_HEADER: Final = "Logplex-Drain-Token"


@dataclass(frozen=True)
class Config:
    """What a configuration file says: the routes (schemas still by name), limits, lake, folders."""

    routes: tuple[Route, ...]
    limits: Limits
    out: str | None
    schema_folders: tuple[str, ...]


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a configuration file: ``SchemaError`` (located) when it is not valid,
    ``NormalizeError`` when a secret it names is missing."""
    doc = read_yaml(path)
    errors = list(_validator().iter_errors(doc.data))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        message, at_key = reword(best)
        if best.validator == "anyOf":
            message = "say where the secrets are: env: [VARIABLE, ...] or file: [PATH, ...]"
        elif best.validator == "pattern" and best.absolute_path and best.absolute_path[-1] == "path":
            message = f"a path starts with / and holds no spaces: {best.instance!r}"
        line, col = doc.mark(tuple(best.absolute_path), key=at_key)
        raise SchemaError(message, path=tuple(best.absolute_path), at_key=at_key).located(
            file=doc.name, line=line, col=col
        )
    data: dict[str, Any] = doc.data  # type: ignore[assignment]
    for key, value in data.get("limits", {}).items():  # JSON Schema's bounds let NaN (.nan) through
        if isinstance(value, float) and math.isnan(value):
            line, col = doc.mark(("limits", key))
            raise SchemaError("nan is not a number", path=("limits", key)).located(
                file=doc.name, line=line, col=col
            )
    paths = [route["path"] for route in data["routes"]]
    for index, route_path in enumerate(paths):
        if route_path in paths[:index] or route_path in ("/healthz", "/metrics"):
            line, col = doc.mark(("routes", index, "path"))
            raise SchemaError(f"the path {route_path!r} is taken", path=("routes", index, "path")).located(
                file=doc.name, line=line, col=col
            )
    names = {f.name for f in fields(Limits)}
    limits = Limits(**{k: v for k, v in data.get("limits", {}).items() if k in names})
    routes = tuple(_route(route, f"{doc.name}: routes[{i}]") for i, route in enumerate(data["routes"]))
    return Config(routes, limits, data.get("out"), tuple(data.get("schemas", ())))


def _route(route: dict[str, Any], where: str) -> Route:
    auth = route["auth"]
    try:
        found = verifiers(
            header=auth.get("shared_secret", {}).get("header", DEFAULT_HEADER),
            secrets=_secrets(auth.get("shared_secret")),
            basic=_secrets(auth.get("basic")),
            bearer=_secrets(auth.get("bearer")),
            hmac_header=auth.get("hmac", {}).get("header", ""),
            hmac_secrets=_secrets(auth.get("hmac")),
            hmac_algorithm=auth.get("hmac", {}).get("algorithm", "sha256"),
            hmac_encoding=auth.get("hmac", {}).get("encoding", "hex"),
            hmac_prefix=auth.get("hmac", {}).get("prefix", ""),
        )
    except NormalizeError as exc:
        raise NormalizeError(f"{where}: {exc}") from None
    if not found and not auth.get("none"):
        raise NormalizeError(f"{where}: give credentials, or auth: {{none: true}}")
    framing = route.get("framing", "octet-counted")
    try:
        watched = watches(route.get("watch", {}))
    except NormalizeError as exc:
        raise NormalizeError(f"{where}: {exc}") from None
    return Route(
        route["path"],
        tuple(route["schemas"]),
        framing,
        found,
        route.get("source_id", ""),
        route.get("source_label", ""),
        CONTENT_TYPES[framing],
        watched,
    )


def _secrets(where: dict[str, Any] | None) -> tuple[bytes, ...]:
    if not where:
        return ()
    return secrets_from(where.get("env", ()), where.get("file", ()))


__all__ = ["JSON_SCHEMA", "Config", "load_config"]
