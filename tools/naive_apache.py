#!/usr/bin/env python3
"""The naive reference normalizer for Apache.AccessCombined, in the spirit of ``naive_heroku.py``.

One ``re`` for the combined format, ``int()``, ``datetime.strptime`` with its ``%z`` to UTC,
``urlsplit`` for the referrer's host, ``uuid4`` and ``orjson``. A '-' is ``None``. Bad lines (no
match, a size that is not a number, an unknown month) are counted, not written.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import orjson

LINE = re.compile(r'(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d+) (\d+|-) "([^"]*)" "([^"]*)"')
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def nil(value: str) -> str | None:
    return None if value == "-" else value


def event(line: str, parse_time: str) -> dict[str, object] | None:
    """The event of one line, ``None`` for a bad line."""
    m = LINE.fullmatch(line)
    if m is None:
        return None
    host, ident, user, ts, method, uri, protocol, status, size, referer, agent = m.groups()
    try:
        when = datetime.strptime(ts, "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC).strftime(UTC_FORMAT)
    except ValueError:
        return None
    found: dict[str, object] = {
        "remote_host_ip_address": host,
        "client_identity_rfc_1413": nil(ident),
        "request_user": nil(user),
        "request_time": when,
        "request_method": method,
        "request_uri": uri,
        "request_protocol": protocol,
        "response_status": int(status),
        "response_size": None if size == "-" else int(size),
        "referer": nil(referer),
        "user_agent": nil(agent),
        "p_log_type": "Apache.AccessCombined",
        "p_row_id": uuid.uuid4().hex,
        "p_event_time": when,
        "p_parse_time": parse_time,
        "p_any_ip_addresses": [host],
    }
    if user != "-":
        found["p_any_usernames"] = [user]
    if referer != "-":
        domain = urlsplit(referer).hostname
        if domain:
            found["p_any_domain_names"] = [domain]
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
