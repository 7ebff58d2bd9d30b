#!/usr/bin/env python3
"""The naive reference normalizer: what a user writes by hand for Heroku.Runtime.

One ``re``, ``int()``, ``datetime.fromisoformat``, ``uuid4`` and ``orjson``: the baseline that
``tools/bench`` compares ``normalize`` against. It is deliberately simple, not a second engine: no
Go rules for ints, microsecond timestamps only, no rejects file (bad lines are counted).
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime

import orjson

LINE = re.compile(r"(\d+) <(\d+)>(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)")


def main() -> int:
    bad = 0
    out = sys.stdout.buffer
    parse_time = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f000")
    for raw in sys.stdin.buffer:
        m = LINE.match(raw.decode("utf-8", "replace").rstrip("\r\n"))
        if m is None:
            bad += 1
            continue
        length, pri, version, ts, host, app, proc, msgid, message = m.groups()
        when = datetime.fromisoformat(ts).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f000")
        event = {
            "message_len": int(length),
            "priority": int(pri),
            "version": version,
            "timestamp": when,
            "host_name": host,
            "app_name": app,
            "process_id": proc,
            "message_id": None if msgid == "-" else msgid,
            "message": message,
            "p_log_type": "Heroku.Runtime",
            "p_row_id": uuid.uuid4().hex,
            "p_event_time": when,
            "p_parse_time": parse_time,
            "p_any_domain_names": [host],
        }
        out.write(orjson.dumps(event) + b"\n")
    print(f"naive: {bad} lines did not match", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
