"""Finding schemas: bundled ones, drop-in folders, and loading one by name.

Every ``*.yml``/``*.yaml`` file under the search folders is a schema file (except test files named
``*_tests.yml`` or ``*.tests.yml``), known by its ``schema:`` name, not its file name. Folders are
searched in order: ``--schemas`` folders, then those in ``$NORMALIZE_SCHEMAS`` (a path list), then the
bundled ``schemas/``. Two files defining one name is an error naming both.

Loading a file: bounded YAML (``yamlio``) → ``schema.json`` (``jsonschema``) → ``build_schema``; every
error is a ``SchemaError`` at ``FILE:LINE:COL`` with the path of the offending key.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .errors import NormalizeError, SchemaError
from .spec import Schema, build_schema
from .yamlio import Document, read_yaml

ENV_VAR = "NORMALIZE_SCHEMAS"
SCHEMA_SUFFIXES = (".yml", ".yaml")
TEST_SUFFIXES = ("_tests.yml", "_tests.yaml", ".tests.yml", ".tests.yaml")


_PACKAGE = Path(__file__).resolve().parent


def bundled_dir() -> Path:
    """The folder of schemas shipped with normalize.

    An installed wheel carries them as ``engine/schemas``; a checkout (and an editable install)
    has them at the top of the repository, beside ``engine/``.
    """
    installed = _PACKAGE / "schemas"
    return installed if installed.is_dir() else _PACKAGE.parent / "schemas"


def search_path(folders: Sequence[str | os.PathLike[str]] = (), *, bundled: bool = True) -> list[Path]:
    """The folders to search, in order: given ones, ``$NORMALIZE_SCHEMAS``, then the bundled one."""
    paths = [Path(f) for f in folders]
    paths += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    if bundled:
        paths.append(bundled_dir())
    return paths


class Registry:
    """Schema names → files, over a search path; loads and validates a schema on request.

    A file that cannot be read as a schema does not stop other schemas from loading: it is kept in
    ``problems`` and reported when the name asked for is not found (and by ``normalize schemas``).
    A name defined by two files is an error when that name is asked for.
    """

    def __init__(self, folders: Iterable[Path]) -> None:
        self.files: dict[str, list[Path]] = {}
        self.problems: list[SchemaError] = []
        for folder in folders:
            if not folder.is_dir():
                raise NormalizeError(f"schema folder {folder} does not exist or is not a folder")
            for file in schema_files(folder):
                try:
                    name = _schema_name(file)
                except SchemaError as exc:
                    self.problems.append(exc)
                    continue
                self.files.setdefault(name, []).append(file)

    def names(self) -> list[str]:
        return sorted(self.files)

    def file(self, name: str) -> Path:
        """The one file that defines ``name``."""
        files = self.files.get(name)
        if not files:
            message = (
                f"unknown schema {name!r}{_did_you_mean(closest(name, self.names()))} ({self.known(name)})"
            )
            if self.problems:
                message += (
                    f"; {len(self.problems)} schema file(s) could not be read, the first: {self.problems[0]}"
                )
            raise NormalizeError(message)
        if len(files) > 1:
            raise SchemaError(
                f"schema {name!r} is defined twice: in {files[0]} and in {files[1]}", file=str(files[1])
            )
        return files[0]

    def load(self, name: str) -> Schema:
        """The validated schema called ``name``."""
        return load_schema_file(self.file(name))

    def load_all(self, patterns: Sequence[str]) -> list[Schema]:
        """The schemas ``patterns`` name, in order; a glob stands for the names it matches, sorted
        (spec l.6), and a name given twice counts once."""
        names: list[str] = []
        for pattern in patterns:
            matched = self.matching(pattern) if any(c in pattern for c in "*?[") else [pattern]
            names += [name for name in matched if name not in names]
        return [self.load(name) for name in names]

    def matching(self, pattern: str) -> list[str]:
        """The names a glob (``fnmatch``: ``*``, ``?``, ``[...]``) matches, sorted; none is an error
        that suggests a near pattern when there is one."""
        names = self.names()
        matched = fnmatch.filter(names, pattern)  # sorted, as names are
        if not matched:
            hint = _did_you_mean(_closest_glob(pattern, names))
            raise NormalizeError(f"no schema matches {pattern!r}{hint} ({self.known(pattern)})")
        return matched

    def known(self, near: str = "") -> str:
        """The known names for an error message: all when they are few, else the nearest to ``near``."""
        names = self.names()
        if not names:
            return "known: none"
        if len(names) <= KNOWN_SHOWN:
            return f"known: {', '.join(names)}"
        key = near.lower()
        nearest = sorted(names, key=lambda n: -difflib.SequenceMatcher(None, key, n.lower()).ratio())
        shown = ", ".join(sorted(nearest[:KNOWN_SHOWN]))
        return f"{len(names)} known, the nearest: {shown}; `normalize schemas` lists them all"


KNOWN_SHOWN = 10
"""Unknown-name errors list every known name up to this many, else this many of the nearest."""


def closest(name: str, names: Sequence[str]) -> str | None:
    """The known name ``name`` was probably meant to be: the same but for case, else the nearest
    by ``difflib`` (ignoring case), if any is near enough."""
    by_lower: dict[str, str] = {}
    for n in names:
        by_lower.setdefault(n.lower(), n)
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.75)
    if found:
        return by_lower[found[0]]
    # One dotted part of a single name: 'Runtime' for 'Heroku.Runtime'.
    parts = [n for n in names if name.lower() in n.lower().split(".")]
    return parts[0] if len(parts) == 1 else None


def _closest_glob(pattern: str, names: Sequence[str]) -> str | None:
    """A glob near ``pattern`` that matches something: ``pattern`` spelt as the names it matches
    ignoring case (``syslog.*`` → ``Syslog.*``), else with its dotted parts before the first
    wildcard replaced by the nearest known ones (``Sylog.*`` → ``Syslog.*``)."""
    wild = min((i for i, c in enumerate(pattern) if c in "*?["), default=len(pattern))
    head = pattern[: pattern.rfind(".", 0, wild) + 1]  # the whole dotted parts before a wildcard
    ignoring_case = [n for n in names if fnmatch.fnmatchcase(n.lower(), pattern.lower())]
    if ignoring_case:
        # The pattern with the spelling of a name it matches, up to its first wildcard.
        suggestion = ignoring_case[0][:wild] + pattern[wild:]
        if fnmatch.filter(names, suggestion):
            return suggestion
        return ignoring_case[0] if len(ignoring_case) == 1 else None
    if not head:
        return None
    depth = head.count(".")
    heads = sorted({".".join(n.split(".")[:depth]) + "." for n in names if n.count(".") >= depth})
    near = closest(head, heads)
    if near is None:
        return None
    suggestion = near + pattern[len(head) :]
    return suggestion if fnmatch.filter(names, suggestion) else None


def _did_you_mean(name: str | None) -> str:
    return f": did you mean {name!r}?" if name else ""


def schema_files(folder: Path) -> Iterator[Path]:
    """The schema files under ``folder``, recursively, in sorted order; test case files left out."""
    for path in sorted(folder.rglob("*")):
        if path.suffix in SCHEMA_SUFFIXES and not path.name.endswith(TEST_SUFFIXES) and path.is_file():
            yield path


def _schema_name(file: Path) -> str:
    doc = read_yaml(file)
    name = doc.data.get("schema") if isinstance(doc.data, dict) else None
    if not isinstance(name, str):
        line, col = doc.mark(("schema",))
        raise SchemaError("a schema file needs a 'schema:' name", file=str(file), line=line, col=col)
    return name


# --- one file ---------------------------------------------------------------------------------


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema that schema files must satisfy (shipped as ``engine/schema.json``)."""
    return json.loads((resources.files("engine") / "schema.json").read_text(encoding="utf-8"))


@cache
def validator() -> jsonschema.protocols.Validator:
    """The JSON Schema validator of schema files, built once."""
    schema = json_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def load_schema_file(path: str | os.PathLike[str]) -> Schema:
    """Read, validate and build one schema file."""
    doc = read_yaml(path)
    return load_schema_document(doc)


def load_schema_document(doc: Document) -> Schema:
    """Validate a read YAML document against ``schema.json`` and build its ``Schema``."""
    error = _first_error(doc.data)
    if error is not None:
        raise error.located(file=doc.name, **_position(doc, error))
    try:
        return build_schema(doc.data, file=doc.name)
    except SchemaError as exc:
        raise exc.located(file=doc.name, **_position(doc, exc)) from None


def _position(doc: Document, error: SchemaError) -> dict[str, int]:
    line, col = doc.mark(error.path, key=error.at_key)
    return {"line": line, "col": col}


def _first_error(data: Any) -> SchemaError | None:
    """The most useful ``schema.json`` violation, in the user's words, or ``None``."""
    errors = list(validator().iter_errors(data))
    if not errors:
        return None
    best = jsonschema.exceptions.best_match(errors)
    message, at_key = reword(best)
    return SchemaError(message, path=tuple(best.absolute_path), at_key=at_key)


def reword(error: jsonschema.ValidationError) -> tuple[str, bool]:
    """Reword a ``jsonschema`` error; say whether it is about a key (the path is reported apart)."""
    return _wording(error), error.validator in ("additionalProperties", "unevaluatedProperties")


def _wording(error: jsonschema.ValidationError) -> str:
    kind = error.validator
    value = error.instance
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(set(value) - set(error.schema.get("properties", {})) - ref_properties(error.schema))
        if extra:
            error.path.append(extra[0])  # point at the key itself
            return f"unknown key {extra[0]!r}"
    if kind == "required":
        missing = error.message.split("'")[1]
        return f"missing required key {missing!r}"
    if kind == "enum":
        if error.path and error.path[-1] == "type":
            return f"unknown type {value!r}; expected one of {', '.join(error.validator_value)}"
        return f"{value!r} is not one of {', '.join(map(repr, error.validator_value))}"
    if kind == "type":
        return f"expected {_article(error.validator_value)}, got {_json_type(value)} {value!r}"
    if kind == "pattern" and error.path and error.path[-1] == "schema":
        return f"schema name {value!r} must be dotted parts that each start with an uppercase letter"
    return error.message


def ref_properties(schema: dict[str, Any]) -> set[str]:
    """Property names that a field's ``$ref`` to ``value`` brings in."""
    if schema.get("$ref") == "#/$defs/value":
        return set(json_schema()["$defs"]["value"]["properties"])
    return set()


def _article(kind: str | list[str]) -> str:
    kinds = [kind] if isinstance(kind, str) else kind
    words = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "boolean": "true or false",
        "number": "a number",
        "null": "null",
    }
    return " or ".join(words.get(k, k) for k in kinds)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__
