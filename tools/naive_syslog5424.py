#!/usr/bin/env python3
"""The naive reference normalizer for Syslog.RFC5424, in the spirit of ``naive_heroku.py``.

One ``re`` (the header, the structured data as the RFC's grammar has it, the message),
``int()``, ``datetime.fromisoformat`` to UTC, ``uuid4`` and ``orjson``. A '-' is ``None``; a host that
looks like an IPv4 address goes to p_any_ip_addresses, any other to p_any_domain_names. Bad lines
(no match, an impossible timestamp or one without its zone) are counted, not written.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime

import orjson

SD_NAME = r'[^ =\]"]{1,32}'
LINE = re.compile(
    rf"<(\d+)>(\d+) (\S+) (\S+) (\S+) (\S+) (\S+) "
    rf'(-|(?:\[{SD_NAME}(?: {SD_NAME}="(?:\\.|[^"\\])*")*\])+)(?: \ufeff?(.*))?'
)
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def nil(value: str | None) -> str | None:
    return None if value in ("-", "", None) else value


def event(line: str, parse_time: str) -> dict[str, object] | None:
    """The event of one line, ``None`` for a bad line."""
    m = LINE.fullmatch(line)
    if m is None:
        return None
    pri, version, ts, host, app, proc, msgid, sd, message = m.groups()
    when = None
    if ts != "-":
        try:
            stamp = datetime.fromisoformat(ts)
        except ValueError:
            return None
        if stamp.tzinfo is None:
            return None
        when = stamp.astimezone(UTC).strftime(UTC_FORMAT)
    host = nil(host)
    found: dict[str, object] = {
        "priority": int(pri),
        "version": int(version),
        "timestamp": when,
        "hostname": host,
        "app_name": nil(app),
        "proc_id": nil(proc),
        "msg_id": nil(msgid),
        "structured_data": nil(sd),
        "message": nil(message),
        "p_log_type": "Syslog.RFC5424",
        "p_row_id": uuid.uuid4().hex,
        "p_event_time": when or parse_time,
        "p_parse_time": parse_time,
    }
    if host is not None:
        found["p_any_ip_addresses" if IPV4.fullmatch(host) else "p_any_domain_names"] = [host]
    return found


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
