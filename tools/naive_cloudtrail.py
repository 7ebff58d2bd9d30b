#!/usr/bin/env python3
"""The naive reference normalizer for AWS.CloudTrail, in the spirit of ``naive_heroku.py``.

``orjson.loads`` of each line, a check of the required fields (present, strings, userIdentity an
object), the schema's top-level fields kept (nested objects as they come), eventTime to UTC with
``datetime.fromisoformat``, the p_any_ indicators the schema names (IPs or domain names from
sourceIPAddress and the TLS host header, account ids, ARNs, the user name), ``uuid4`` and
``orjson.dumps``. Bad lines (not JSON, a required field missing or of the wrong type, a timestamp that is
not RFC 3339) are counted, not written.
"""

from __future__ import annotations

import ipaddress
import sys
import uuid
from datetime import UTC, datetime

import orjson

FIELDS = frozenset(
    [
        "addendum",
        "additionalEventData",
        "apiVersion",
        "awsRegion",
        "edgeDeviceDetails",
        "errorCode",
        "errorMessage",
        "eventCategory",
        "eventID",
        "eventName",
        "eventSource",
        "eventTime",
        "eventType",
        "eventVersion",
        "managementEvent",
        "readOnly",
        "recipientAccountId",
        "requestID",
        "requestParameters",
        "resources",
        "responseElements",
        "serviceEventDetails",
        "sessionCredentialFromConsole",
        "sharedEventID",
        "sourceIPAddress",
        "tlsDetails",
        "userAgent",
        "userIdentity",
        "vpcEndpointAccountId",
        "vpcEndpointId",
    ]
)
REQUIRED_STRINGS = [
    "awsRegion",
    "eventID",
    "eventName",
    "eventSource",
    "eventTime",
    "eventType",
    "eventVersion",
    "sourceIPAddress",
]
UTC_FORMAT = "%Y-%m-%d %H:%M:%S.%f000"


def event(raw: bytes, parse_time: str) -> dict[str, object] | None:
    """The event of one line, ``None`` for a bad line."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("userIdentity"), dict):
        return None
    if not all(isinstance(record.get(name), str) for name in REQUIRED_STRINGS):
        return None
    try:
        stamp = datetime.fromisoformat(record["eventTime"])
    except ValueError:
        return None
    if stamp.tzinfo is None or "T" not in record["eventTime"]:
        return None
    when = stamp.astimezone(UTC).strftime(UTC_FORMAT)
    found = {name: value for name, value in record.items() if name in FIELDS}
    found["eventTime"] = when

    ips, domains, accounts, arns, users = set(), set(), set(), set(), set()
    source = record["sourceIPAddress"]
    try:
        ips.add(str(ipaddress.ip_address(source)))
    except ValueError:
        domains.add(source)
    host = (record.get("tlsDetails") or {}).get("clientProvidedHostHeader")
    if host:
        domains.add(host)
    identity = record["userIdentity"]
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    for owner in (identity, issuer, *(record.get("resources") or ())):
        if owner.get("accountId"):
            accounts.add(owner["accountId"])
        arn = owner.get("arn") or owner.get("ARN")
        if arn:
            arns.add(arn)
    for name in ("recipientAccountId", "vpcEndpointAccountId"):
        if record.get(name):
            accounts.add(record[name])
    if identity.get("userName"):
        users.add(identity["userName"])

    found["p_log_type"] = "AWS.CloudTrail"
    found["p_row_id"] = uuid.uuid4().hex
    found["p_event_time"] = when
    found["p_parse_time"] = parse_time
    for name, values in (
        ("p_any_aws_account_ids", accounts),
        ("p_any_aws_arns", arns),
        ("p_any_domain_names", domains),
        ("p_any_ip_addresses", ips),
        ("p_any_usernames", users),
    ):
        if values:
            found[name] = sorted(values)
    return found


def main() -> int:
    bad = 0
    out = sys.stdout.buffer
    parse_time = datetime.now(UTC).strftime(UTC_FORMAT)
    for raw in sys.stdin.buffer:
        found = event(raw, parse_time)
        if found is None:
            bad += 1
            continue
        out.write(orjson.dumps(found) + b"\n")
    print(f"naive: {bad} bad lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
