#!/usr/bin/env python3
"""The naive reference normalizer for Syslog.RFC3164, in the spirit of ``naive_heroku.py``.

One ``re`` (PRI, the 15-character timestamp, host, optional ``tag[pid]: ``, message), ``int()``,
``datetime.strptime`` (no year in the line: 1900, as the schema reads it), ``uuid4`` and ``orjson``.
The timestamp has no year, so p_event_time is the parse time, as in the schema. Bad lines are counted.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime

import orjson

LINE = re.compile(
    r"<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) (?:([^ \[:]+)(?:\[([^\]]*)\])?: )?(.*)"
)
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def event(line: str, parse_time: str) -> dict[str, object] | None:
    """The event of one line, ``None`` for a bad line."""
    m = LINE.fullmatch(line)
    if m is None:
        return None
    pri, ts, host, app, proc, message = m.groups()
    try:
        when = datetime.strptime(ts, "%b %d %H:%M:%S").strftime(UTC_FORMAT)
    except ValueError:
        return None
    return {
        "priority": int(pri),
        "timestamp": when,
        "hostname": host,
        "app_name": app,
        "proc_id": proc or None,
        "message": message or None,
        "p_log_type": "Syslog.RFC3164",
        "p_row_id": uuid.uuid4().hex,
        "p_event_time": parse_time,
        "p_parse_time": parse_time,
        ("p_any_ip_addresses" if IPV4.fullmatch(host) else "p_any_domain_names"): [host],
    }


def main() -> int:
    bad = 0
    out = sys.stdout.buffer
    parse_time = datetime.now(UTC).strftime(UTC_FORMAT)
    for raw in sys.stdin.buffer:
        found = event(raw.decode("utf-8", "replace").rstrip("\r\n"), parse_time)
        if found is None:
            bad += 1
            continue
        out.write(orjson.dumps(found) + b"\n")
    print(f"naive: {bad} bad lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
