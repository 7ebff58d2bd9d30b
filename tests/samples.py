"""What the bundled-schema tests share: expected outcomes of a sample line, and the check of one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from engine import Normalizer, search_path

PARSE_TIME = "<p_parse_time>"
"""In an expected event: the value equals the event's own p_parse_time (no event time was found)."""


def cloudtrail_with(value: str) -> bytes:
    """The bundled AWS.CloudTrail sample's first record with ``value`` (JSON text, of any depth) in
    its requestParameters."""
    sample = Path(search_path()[-1]) / "AWS" / "CloudTrail.sample.log"
    record = json.loads(sample.read_text(encoding="utf-8").splitlines()[0])
    record["requestParameters"] = {"x": "VALUE"}
    return json.dumps(record).replace('"VALUE"', value).encode()


class Rejected(NamedTuple):
    reason: str
    field: str | None
    message: str


class Skipped(NamedTuple):
    kind: str


Expected = dict[str, Any] | Rejected | Skipped


def check_sample_line(
    normalizer: Normalizer, schema: str, lines: list[str], number: int, expected: Expected
) -> None:
    """Line ``number`` of a sample gives exactly ``expected``: its fields in order, its reject or skip."""
    line = lines[number - 1]
    batch = normalizer.normalize([line], source="sample.log", first_line=number)
    assert batch.lines == 1
    if isinstance(expected, Skipped):
        assert (batch.events, batch.rejects, dict(batch.skipped)) == ([], [], {expected.kind: 1})
        return
    if isinstance(expected, Rejected):
        assert batch.events == []
        (reject,) = batch.rejects
        assert (reject.reason, reject.field, reject.message) == expected
        assert (reject.schema, reject.source, reject.line, reject.raw) == (schema, "sample.log", number, line)
        return
    assert batch.rejects == []
    (event,) = batch.events
    assert event["p_log_type"] == schema
    if expected.get("p_event_time") == PARSE_TIME:
        expected = {**expected, "p_event_time": event["p_parse_time"]}
    compared = [(k, v) for k, v in event.items() if k not in ("p_log_type", "p_row_id", "p_parse_time")]
    assert compared == list(expected.items())  # values and output order
