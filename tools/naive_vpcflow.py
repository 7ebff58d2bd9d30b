#!/usr/bin/env python3
"""The naive reference normalizer for AWS.VPCFlow, in the spirit of ``naive_heroku.py``.

``str.split`` into the 14 columns of the default format (the header line skipped), ``int()``,
``datetime.fromtimestamp`` for start and end, the schema's allow lists for action and log-status,
``uuid4`` and ``orjson``. A '-' is ``None``. Bad lines are counted, not written.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

import orjson

NAMES = [
    "version",
    "account",
    "interfaceId",
    "srcAddr",
    "dstAddr",
    "srcPort",
    "dstPort",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "status",
]
NUMBERS = ("version", "srcPort", "dstPort", "protocol", "packets", "bytes")
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def event(line: str, parse_time: str) -> dict[str, object] | None:
    """The event of one line, ``None`` for a bad line."""
    columns = line.split(" ")
    if len(columns) != len(NAMES):
        return None
    found: dict[str, object] = {
        name: None if value == "-" else value for name, value in zip(NAMES, columns, strict=True)
    }
    try:
        for name in NUMBERS:
            if found[name] is not None:
                found[name] = int(found[name])  # type: ignore[arg-type]
        start = datetime.fromtimestamp(int(columns[10]), UTC).strftime(UTC_FORMAT)
        end = datetime.fromtimestamp(int(columns[11]), UTC).strftime(UTC_FORMAT)
    except ValueError:
        return None
    if found["action"] not in (None, "ACCEPT", "REJECT") or found["status"] not in (
        "OK",
        "NODATA",
        "SKIPDATA",
    ):
        return None
    found["start"], found["end"] = start, end
    found["p_log_type"] = "AWS.VPCFlow"
    found["p_row_id"] = uuid.uuid4().hex
    found["p_event_time"] = start
    found["p_parse_time"] = parse_time
    found["p_any_aws_account_ids"] = [found["account"]]
    found["p_any_ip_addresses"] = sorted({a for a in (found["srcAddr"], found["dstAddr"]) if a})
    return found


def main() -> int:
    bad = 0
    out = sys.stdout.buffer
    parse_time = datetime.now(UTC).strftime(UTC_FORMAT)
    header = True
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if header:
            header = False
            if line.startswith("version "):
                continue
        found = event(line, parse_time)
        if found is None:
            bad += 1
            continue
        out.write(orjson.dumps(found) + b"\n")
    print(f"naive: {bad} bad lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
