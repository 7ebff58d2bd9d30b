"""``normalize new-schema NAME``: a schema file and its test cases to start from.

The skeleton is a working example, not a form to fill: it passes ``normalize lint`` and its test
cases pass ``normalize test`` as written, so a user changes a schema that works into the one they
need, one step at a time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import NormalizeError

NAME_RULE = re.compile(r"[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*")

SCHEMA = """\
# yaml-language-server: $schema={json_schema}
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
# Test cases for {file}: run them with `normalize test {folder}`.
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


def new_schema(name: str, folder: Path, json_schema: Path) -> tuple[Path, Path]:
    """Write ``<folder>/<Name/As/Path>.yml`` and its ``.tests.yml``; refuse to overwrite anything."""
    if not NAME_RULE.fullmatch(name):
        raise NormalizeError(
            f"schema name {name!r} must be dotted parts that each start with an uppercase letter"
        )
    schema_file = folder.joinpath(*name.split(".")).with_suffix(".yml")
    tests_file = schema_file.with_suffix(".tests.yml")
    for path in (schema_file, tests_file):
        if path.exists():
            raise NormalizeError(f"{path} exists already: not overwritten")
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    # Editors resolve the $schema path from the file: relative inside one project, else absolute.
    relative = os.path.relpath(json_schema.resolve(), schema_file.parent.resolve())
    location = str(json_schema.resolve()) if relative.startswith("../../../") else relative
    schema_file.write_text(SCHEMA.format(name=name, json_schema=location), encoding="utf-8")
    tests_file.write_text(TESTS.format(file=schema_file.name, folder=schema_file.parent), encoding="utf-8")
    return schema_file, tests_file
