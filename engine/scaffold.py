"""``normalize new-schema NAME``: a schema file and its test cases to start from.

The skeleton is a working example, not a form to fill: it passes ``normalize lint`` and its test
cases pass ``normalize test`` as written, so a user changes a schema that works into the one they
need, one step at a time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import NormalizeError

NAME_RULE = re.compile(r"[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*")

MODELINE = "# yaml-language-server: $schema={}\n"
"""The comment that gives editors (the YAML language server) the JSON Schema of a schema file."""

SCHEMA = """\
schema: {name}
description: What these logs are, and where they come from.
referenceURL: https://example.com/docs/log-format
parser:
  fastmatch:
    emptyValues: ['-']
    match:
      - '%{{time}} %{{level}} %{{client}} %{{message}}'
fields:
  - name: time
    type: timestamp
    description: When the event happened.
    timeFormats: [rfc3339]
    isEventTime: true
  - name: level
    type: string
    description: How severe the event is.
    validate: {{allow: [DEBUG, INFO, WARN, ERROR]}}
  - name: client
    type: string
    description: The address of the client.
    indicators: [ip]
  - name: message
    type: string
    description: What happened.
"""

TESTS = """\
# Test cases for {file}: run them with {command}.
- name: an event with every field
  input: '2024-03-15T10:00:01+01:00 INFO 10.0.0.1 user logged in'
  result:
    time: '2024-03-15 09:00:01.000000000'
    level: INFO
    client: 10.0.0.1
    message: user logged in
    p_event_time: '2024-03-15T09:00:01Z'
    p_any_ip_addresses: [10.0.0.1]
- name: an empty client
  input: '2024-03-15T10:00:02Z WARN - disk almost full'
  result:
    time: '2024-03-15 10:00:02.000000000'
    level: WARN
    message: disk almost full
- name: an unknown level is rejected
  input: '2024-03-15T10:00:03Z TRACE 10.0.0.1 noisy'
  reject: {{reason: validation_failed, field: level, rule: allow}}
"""


@dataclass(frozen=True)
class NewSchema:
    """What ``new_schema`` wrote. Unpacks as ``schema_file, tests_file``."""

    schema_file: Path
    tests_file: Path
    folder: Path  # the folder given
    json_schema: str | None  # the $schema path written, relative to the schema file; None: none written

    def __iter__(self) -> Iterator[Path]:
        return iter((self.schema_file, self.tests_file))

    def message(self) -> str:
        """What to tell the user: what was written, how to test it, and how to get editor completion
        when no JSON Schema was in reach."""
        lines = [
            f"wrote {self.schema_file} and {self.tests_file}; try: normalize test {self.schema_file.parent}"
        ]
        if self.json_schema is None:
            copy = self.folder / "schema.json"
            link = os.path.relpath(copy, self.schema_file.parent)
            lines.append(
                f"for completion in editors: normalize json-schema > {copy}, then put "
                f"'{MODELINE.format(link).strip()}' at the top of {self.schema_file.name} "
                "(new-schema writes that line itself once the copy is there)"
            )
        return "\n".join(lines)


def new_schema(name: str, folder: Path, json_schema: Path) -> NewSchema:
    """Write ``<folder>/<Name/As/Path>.yml`` and its ``.tests.yml``; refuse to overwrite anything.

    ``json_schema`` is the JSON Schema of schema files that normalize ships (``engine/schema.json``);
    the schema file starts with a ``yaml-language-server`` line pointing to a JSON Schema only when
    ``json_schema_link`` finds one that the path will reach on another machine too.
    """
    schema_file, tests_file = new_files(name, folder)
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    link = json_schema_link(schema_file, folder, json_schema)
    head = MODELINE.format(link) if link is not None else ""
    schema_file.write_text(head + SCHEMA.format(name=name), encoding="utf-8")
    tests = TESTS.format(file=schema_file.name, command=_test_command(schema_file.parent))
    tests_file.write_text(tests, encoding="utf-8")
    return NewSchema(schema_file, tests_file, folder, link)


def new_files(name: str, folder: Path) -> tuple[Path, Path]:
    """Where a new schema ``name`` and its test cases go: ``<folder>/<Name/As/Path>.yml`` and its
    ``.tests.yml``. A name that breaks ``NAME_RULE``, or a file that is there already, is a
    ``NormalizeError``: nothing is ever overwritten."""
    if not NAME_RULE.fullmatch(name):
        raise NormalizeError(
            f"schema name {name!r} must be dotted parts that each start with an uppercase letter"
        )
    schema_file = folder.joinpath(*name.split(".")).with_suffix(".yml")
    tests_file = schema_file.with_suffix(".tests.yml")
    for path in (schema_file, tests_file):
        if path.exists():
            raise NormalizeError(f"{path} exists already: not overwritten")
    return schema_file, tests_file


def json_schema_link(schema_file: Path, folder: Path, json_schema: Path) -> str | None:
    """The path from ``schema_file`` to a JSON Schema of schema files that is right on any machine
    with the same repository, or ``None``.

    A schema file is shared (committed, reviewed, copied), so an absolute path, or a relative one
    that climbs out of the repository into this machine's install, would be wrong everywhere else
    and would show the author's folders. Two JSON Schemas qualify, by a path relative to the file:
    a copy named ``schema.json`` (``normalize json-schema > schema.json``) in the file's folder or
    one above it, up to the top of its repository (or to ``folder`` outside one); else the
    ``json_schema`` normalize ships, when the file is in that same repository (a checkout of
    normalize, not an install in it).
    """
    here = schema_file.parent.resolve()
    top = repository_top(here)
    stop = top or folder.resolve()
    for place in (here, *here.parents):
        copy = place / "schema.json"
        if copy.is_file() and _same_json_schema(copy, json_schema):
            return Path(os.path.relpath(copy, here)).as_posix()
        if place == stop:
            break
    shipped = json_schema.resolve()
    if top is not None and shipped.is_relative_to(top) and "site-packages" not in shipped.parts:
        return Path(os.path.relpath(shipped, here)).as_posix()
    return None


def repository_top(path: Path) -> Path | None:
    """The top of the version-controlled tree that holds ``path`` (a ``.git`` folder or worktree
    file), or ``None``."""
    for place in (path, *path.parents):
        if (place / ".git").exists():
            return place
    return None


def _same_json_schema(copy: Path, shipped: Path) -> bool:
    """Whether ``copy`` is a JSON Schema of normalize's schema files (any version of it)."""
    try:
        data = json.loads(copy.read_text(encoding="utf-8"))
        ours = json.loads(shipped.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("$id") == ours.get("$id")


def _test_command(folder: Path) -> str:
    """How to run the test cases, for the test file's comment: the folder as given when relative,
    else relative to the top of its repository; never an absolute path (the file is shared)."""
    shown = folder.as_posix() if not folder.is_absolute() else None
    if shown is None and (top := repository_top(folder.resolve())) is not None:
        shown = Path(os.path.relpath(folder.resolve(), top)).as_posix()
    # A name that is not printable UTF-8 (a newline ends the comment; a byte that is not UTF-8
    # cannot be written) is not shown.
    if shown is not None and shown.isprintable():
        return f"`normalize test {shown}`"
    return "`normalize test` on this folder"
