#!/usr/bin/env python3
"""The naive reference normalizer for a merged feed of Heroku.Runtime, Apache.AccessCombined and
Syslog.RFC5424 lines: each line tried against the three, in that order, the first that takes it wins.

The Heroku event is ``naive_heroku.py``'s (copied: that script has no function to import); the Apache
and RFC 5424 events are those of ``naive_apache.py`` and ``naive_syslog5424.py``. Bad lines (none of
the three takes them) are counted, not written.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime

import naive_apache  # tools/ is the script's folder, so on sys.path
import naive_syslog5424
import orjson

HEROKU = re.compile(r"(\d+) <(\d+)>(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)")
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def heroku(line: str, parse_time: str) -> dict[str, object] | None:
    m = HEROKU.match(line)
    if m is None:
        return None
    length, pri, version, ts, host, app, proc, msgid, message = m.groups()
    try:
        when = datetime.fromisoformat(ts).astimezone(UTC).strftime(UTC_FORMAT)
    except ValueError:
        return None
    return {
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


KINDS = (heroku, naive_apache.event, naive_syslog5424.event)


def main() -> int:
    bad = 0
    out = sys.stdout.buffer
    parse_time = datetime.now(UTC).strftime(UTC_FORMAT)
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        for kind in KINDS:
            found = kind(line, parse_time)
            if found is not None:
                out.write(orjson.dumps(found) + b"\n")
                break
        else:
            bad += 1
    print(f"naive: {bad} bad lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
