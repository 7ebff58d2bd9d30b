"""The bundled schemas on their sample logs: every line's exact event or exact reject.

Each schema has a small sample log beside it (``sample.log``, or ``<Name>.sample.log`` where one folder
holds two schemas). The rows below give, for every sample line in order, the event it must become (all
fields in output order, ``p_event_time`` and the ``p_any_*`` lists included; ``p_row_id`` and
``p_parse_time`` vary per run and are left out) or the reject it must give. ``PARSE_TIME`` stands for
"equal to this event's ``p_parse_time``" (no event-time field present, spec c.5).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Normalizer, Registry, search_path

from .conftest import normalizers_for, read_sample
from .samples import PARSE_TIME, Rejected, Skipped, check_sample_line

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


Row = tuple[int, str, dict[str, Any] | Rejected]

APACHE: list[Row] = [
    (
        1,
        "apache-doc-example",
        {
            "remote_host_ip_address": "127.0.0.1",
            "request_user": "frank",
            "request_time": "2000-10-10 20:55:36.000000000",
            "request_method": "GET",
            "request_uri": "/apache_pb.gif",
            "request_protocol": "HTTP/1.0",
            "response_status": 200,
            "response_size": 2326,
            "referer": "http://www.example.com/start.html",
            "user_agent": "Mozilla/4.08 [en] (Win98; I ;Nav)",
            "p_event_time": "2000-10-10 20:55:36.000000000",
            "p_any_domain_names": ("www.example.com",),
            "p_any_ip_addresses": ("127.0.0.1",),
            "p_any_usernames": ("frank",),
        },
    ),
    (
        2,
        "anonymous-user",
        {
            "remote_host_ip_address": "203.0.113.42",
            "request_time": "2024-03-15 10:00:01.000000000",
            "request_method": "GET",
            "request_uri": "/index.html",
            "request_protocol": "HTTP/1.1",
            "response_status": 200,
            "response_size": 5124,
            "referer": "https://www.google.com/",
            "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/122.0.0.0 Safari/537.36",
            "p_event_time": "2024-03-15 10:00:01.000000000",
            "p_any_domain_names": ("www.google.com",),
            "p_any_ip_addresses": ("203.0.113.42",),
        },
    ),
    (
        3,
        "no-referer-offset-+0100",
        {
            "remote_host_ip_address": "198.51.100.7",
            "request_time": "2024-03-15 10:00:02.000000000",
            "request_method": "POST",
            "request_uri": "/wp-login.php",
            "request_protocol": "HTTP/1.1",
            "response_status": 404,
            "response_size": 196,
            "user_agent": "python-requests/2.31.0",
            "p_event_time": "2024-03-15 10:00:02.000000000",
            "p_any_ip_addresses": ("198.51.100.7",),
        },
    ),
    (
        4,
        "ipv6-no-body",
        {
            "remote_host_ip_address": "2001:db8::7",
            "request_user": "alice",
            "request_time": "2024-03-15 10:00:03.000000000",
            "request_method": "GET",
            "request_uri": "/private/report.pdf?id=42&fmt=a4",
            "request_protocol": "HTTP/2.0",
            "response_status": 304,
            "referer": "https://intranet.example.com/reports",
            "user_agent": "curl/8.5.0",
            "p_event_time": "2024-03-15 10:00:03.000000000",
            "p_any_domain_names": ("intranet.example.com",),
            "p_any_ip_addresses": ("2001:db8::7",),
            "p_any_usernames": ("alice",),
        },
    ),
    (
        5,
        "408-no-request-line",
        {
            "remote_host_ip_address": "192.0.2.10",
            "request_time": "2024-03-15 10:00:04.000000000",
            "response_status": 408,
            "p_event_time": "2024-03-15 10:00:04.000000000",
            "p_any_ip_addresses": ("192.0.2.10",),
        },
    ),
    (
        6,
        "tls-bytes-request-line-unescaped",
        {
            "remote_host_ip_address": "192.0.2.11",
            "request_time": "2024-03-15 10:00:05.000000000",
            "request_line": "\x16\x03\x01\x02\x00\x01",
            "response_status": 400,
            "response_size": 226,
            "p_event_time": "2024-03-15 10:00:05.000000000",
            "p_any_ip_addresses": ("192.0.2.11",),
        },
    ),
    (
        7,
        "escaped-quotes-in-user-agent",
        {
            "remote_host_ip_address": "198.51.100.23",
            "request_time": "2024-03-15 10:00:06.000000000",
            "request_method": "GET",
            "request_uri": "/search?q=%22x%22",
            "request_protocol": "HTTP/1.1",
            "response_status": 200,
            "response_size": 812,
            "user_agent": 'Scanner "probe" 1.0',
            "p_event_time": "2024-03-15 10:00:06.000000000",
            "p_any_ip_addresses": ("198.51.100.23",),
        },
    ),
    (
        8,
        "status-not-a-number",
        Rejected("bad_value", "response_status", "field 'response_status': '2OO' is not a valid smallint"),
    ),
    (
        9,
        "zone-name-not-offset",
        Rejected(
            "bad_value",
            "request_time",
            "field 'request_time': '15/Mar/2024:10:00:08 UTC' is not a valid timestamp "
            "(%d/%b/%Y:%H:%M:%S %z) (expected %z (a zone offset +hhmm or -hhmm), found 'UTC')",
        ),
    ),
    (
        10,
        "truncated",
        Rejected(
            "no_match",
            None,
            "no match: match[0]: delimiter ' ' after %{response_status} not found from column 62; "
            "match[1]: delimiter ' ' after %{response_status} not found from column 62",
        ),
    ),
]

NGINX: list[Row] = [
    (
        1,
        "panther-test-line",
        {
            "remoteAddr": "180.76.15.143",
            "time": "2019-02-06 00:00:38.000000000",
            "request": "GET / HTTP/1.1",
            "status": 301,
            "bodyBytesSent": 193,
            "httpReferer": "https://domain1.com/?p=1",
            "httpUserAgent": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.htm)",
            "p_event_time": "2019-02-06 00:00:38.000000000",
            "p_any_domain_names": ("domain1.com",),
            "p_any_ip_addresses": ("180.76.15.143",),
        },
    ),
    (
        2,
        "no-referer",
        {
            "remoteAddr": "10.0.0.7",
            "time": "2024-03-15 10:00:01.000000000",
            "request": "GET /healthz HTTP/1.1",
            "status": 200,
            "bodyBytesSent": 2,
            "httpUserAgent": "kube-probe/1.29",
            "p_event_time": "2024-03-15 10:00:01.000000000",
            "p_any_ip_addresses": ("10.0.0.7",),
        },
    ),
    (
        3,
        "basic-auth-user-offset-+0200",
        {
            "remoteAddr": "203.0.113.5",
            "remoteUser": "admin",
            "time": "2024-03-15 10:00:02.000000000",
            "request": "POST /api/v1/orders?dry_run=1 HTTP/2.0",
            "status": 201,
            "bodyBytesSent": 48,
            "httpReferer": "https://shop.example.com/cart",
            "httpUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.3 Safari/605.1.15",
            "p_event_time": "2024-03-15 10:00:02.000000000",
            "p_any_domain_names": ("shop.example.com",),
            "p_any_ip_addresses": ("203.0.113.5",),
            "p_any_usernames": ("admin",),
        },
    ),
    (
        4,
        "ipv6-client",
        {
            "remoteAddr": "2001:db8:85a3::8a2e:370:7334",
            "time": "2024-03-15 10:00:03.000000000",
            "request": "GET /static/app.js HTTP/1.1",
            "status": 304,
            "bodyBytesSent": 0,
            "httpReferer": "https://shop.example.com/",
            "httpUserAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
            "p_event_time": "2024-03-15 10:00:03.000000000",
            "p_any_domain_names": ("shop.example.com",),
            "p_any_ip_addresses": ("2001:db8:85a3::8a2e:370:7334",),
        },
    ),
    (
        5,
        "no-request-line",
        {
            "remoteAddr": "198.51.100.9",
            "time": "2024-03-15 10:00:04.000000000",
            "status": 400,
            "bodyBytesSent": 0,
            "p_event_time": "2024-03-15 10:00:04.000000000",
            "p_any_ip_addresses": ("198.51.100.9",),
        },
    ),
    (
        6,
        "x22-escapes-decoded",
        {
            "remoteAddr": "198.51.100.10",
            "time": "2024-03-15 10:00:05.000000000",
            "request": 'GET /?q="%3Cscript%3E" HTTP/1.1',
            "status": 200,
            "bodyBytesSent": 615,
            "httpUserAgent": "sqlmap/1.8#stable (https://sqlmap.org)",
            "p_event_time": "2024-03-15 10:00:05.000000000",
            "p_any_ip_addresses": ("198.51.100.10",),
        },
    ),
    (
        7,
        "main-format-extra-field-ignored",
        {
            "remoteAddr": "192.0.2.20",
            "time": "2024-03-15 10:00:06.000000000",
            "request": "GET /index.html HTTP/1.1",
            "status": 200,
            "bodyBytesSent": 615,
            "httpUserAgent": "curl/8.5.0",
            "p_event_time": "2024-03-15 10:00:06.000000000",
            "p_any_ip_addresses": ("192.0.2.20",),
        },
    ),
    (
        8,
        "size-not-a-number",
        Rejected("bad_value", "bodyBytesSent", "field 'bodyBytesSent': '-12x' is not a valid bigint"),
    ),
    (
        9,
        "iso8601-time",
        Rejected(
            "bad_value",
            "time",
            "field 'time': '2024-03-15T10:00:08+00:00' is not a valid timestamp (%d/%b/%Y:%H:%M:%S %z) "
            "(expected '/', found '24-03-15T10:00:08+00:00')",
        ),
    ),
    (
        10,
        "missing-dash",
        Rejected("no_match", None, "no match: delimiter ' - ' after %{remoteAddr} not found from column 1"),
    ),
]

RFC5424: list[Row] = [
    (
        1,
        "rfc-example-1-bom-dropped",
        {
            "priority": 34,
            "version": 1,
            "timestamp": "2003-10-11 22:14:15.003000000",
            "hostname": "mymachine.example.com",
            "app_name": "su",
            "msg_id": "ID47",
            "message": "'su root' failed for lonvick on /dev/pts/8",
            "p_event_time": "2003-10-11 22:14:15.003000000",
            "p_any_domain_names": ("mymachine.example.com",),
        },
    ),
    (
        2,
        "rfc-example-2-offset-microseconds",
        {
            "priority": 165,
            "version": 1,
            "timestamp": "2003-08-24 12:14:15.000003000",
            "hostname": "192.0.2.1",
            "app_name": "myproc",
            "proc_id": "8710",
            "message": "%% It's time to make the do-nuts.",
            "p_event_time": "2003-08-24 12:14:15.000003000",
            "p_any_ip_addresses": ("192.0.2.1",),
        },
    ),
    (
        3,
        "rfc-example-3-structured-data",
        {
            "priority": 165,
            "version": 1,
            "timestamp": "2003-10-11 22:14:15.003000000",
            "hostname": "mymachine.example.com",
            "app_name": "evntslog",
            "msg_id": "ID47",
            "structured_data": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
            "message": "An application event log entry...",
            "p_event_time": "2003-10-11 22:14:15.003000000",
            "p_any_domain_names": ("mymachine.example.com",),
        },
    ),
    (
        4,
        "rfc-example-4-no-message",
        {
            "priority": 165,
            "version": 1,
            "timestamp": "2003-10-11 22:14:15.003000000",
            "hostname": "mymachine.example.com",
            "app_name": "evntslog",
            "msg_id": "ID47",
            "structured_data": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
            '[examplePriority@32473 class="high"]',
            "p_event_time": "2003-10-11 22:14:15.003000000",
            "p_any_domain_names": ("mymachine.example.com",),
        },
    ),
    (
        5,
        "sd-escapes-kept-raw",
        {
            "priority": 86,
            "version": 1,
            "timestamp": "2024-03-15 09:00:01.123456000",
            "hostname": "bastion-01",
            "app_name": "sshd",
            "proc_id": "2718",
            "structured_data": r'[meta sequenceId="7" note="path \"C:\\tmp\" \]done"]',
            "message": "Accepted publickey for deploy from 198.51.100.4 port 52113 ssh2",
            "p_event_time": "2024-03-15 09:00:01.123456000",
            "p_any_domain_names": ("bastion-01",),
        },
    ),
    (6, "all-nil", {"priority": 14, "version": 1, "p_event_time": PARSE_TIME}),
    (
        7,
        "empty-message",
        {
            "priority": 13,
            "version": 1,
            "timestamp": "2024-03-15 10:00:03.000000000",
            "hostname": "web-02",
            "app_name": "nginx",
            "p_event_time": "2024-03-15 10:00:03.000000000",
            "p_any_domain_names": ("web-02",),
        },
    ),
    (
        8,
        "priority-not-digits",
        Rejected("no_match", None, "no match: the pattern does not match (not even match[0])"),
    ),
    (
        9,
        "space-in-timestamp",
        Rejected(
            "bad_value",
            "timestamp",
            "field 'timestamp': '2024-03-15' is not a valid timestamp (rfc3339) "
            "(not YYYY-MM-DDTHH:MM:SS[.fraction] followed by Z or +hh:mm or -hh:mm)",
        ),
    ),
    (
        10,
        "rfc3164-line",
        Rejected("no_match", None, "no match: the pattern does not match (not even match[0])"),
    ),
]

RFC3164: list[Row] = [
    (
        1,
        "rfc-example-tag-no-pid",
        {
            "priority": 34,
            "timestamp": "1900-10-11 22:14:15.000000000",
            "hostname": "mymachine",
            "app_name": "su",
            "message": "'su root' failed for lonvick on /dev/pts/8",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("mymachine",),
        },
    ),
    (
        2,
        "rfc-example-no-tag-padded-day",
        {
            "priority": 13,
            "timestamp": "1900-02-05 17:32:18.000000000",
            "hostname": "10.0.0.99",
            "message": "Use the BFG!",
            "p_event_time": PARSE_TIME,
            "p_any_ip_addresses": ("10.0.0.99",),
        },
    ),
    (
        3,
        "tag-and-pid",
        {
            "priority": 38,
            "timestamp": "1900-03-15 10:00:01.000000000",
            "hostname": "bastion-01",
            "app_name": "sshd",
            "proc_id": "2718",
            "message": "Accepted publickey for deploy from 198.51.100.4 port 52113 ssh2",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("bastion-01",),
        },
    ),
    (
        4,
        "slash-in-tag",
        {
            "priority": 22,
            "timestamp": "1900-03-15 10:00:02.000000000",
            "hostname": "mail-01",
            "app_name": "postfix/smtpd",
            "proc_id": "10234",
            "message": "connect from unknown[203.0.113.50]",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("mail-01",),
        },
    ),
    (
        5,
        "padded-day-colons-in-message",
        {
            "priority": 86,
            "timestamp": "1900-03-07 03:04:05.000000000",
            "hostname": "web-02",
            "app_name": "CRON",
            "proc_id": "4411",
            "message": "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("web-02",),
        },
    ),
    (
        6,
        "kernel",
        {
            "priority": 4,
            "timestamp": "1900-03-15 10:00:03.000000000",
            "hostname": "web-02",
            "app_name": "kernel",
            "message": "[86400.123456] Out of memory: Killed process 4242 (java)",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("web-02",),
        },
    ),
    (
        7,
        "empty-message",
        {
            "priority": 30,
            "timestamp": "1900-03-15 10:00:04.000000000",
            "hostname": "web-02",
            "app_name": "systemd",
            "p_event_time": PARSE_TIME,
            "p_any_domain_names": ("web-02",),
        },
    ),
    (
        8,
        "year-in-timestamp",
        Rejected("no_match", None, "no match: match[0..0] match up to column 5, match[1] does not"),
    ),
    (
        9,
        "fractional-seconds",
        Rejected(
            "bad_value",
            "timestamp",
            "field 'timestamp': 'Mar 15 10:00:06.123' is not a valid timestamp (%b %e %H:%M:%S) "
            "(unconverted text '.123')",
        ),
    ),
    (
        10,
        "four-letter-month",
        Rejected("no_match", None, "no match: match[0..0] match up to column 5, match[1] does not"),
    ),
    (
        11,
        "no-priority",
        Rejected("no_match", None, "no match: the pattern does not match (not even match[0])"),
    ),
]

ROUTER_MESSAGE = (
    'at=info method=GET path="/api/v1/orders?page=2" host=shop.example.com '
    'request_id=4b0c1d2e-7f3a-4e5b-9c8d-1a2b3c4d5e6f fwd="203.0.113.10" dyno=web.1 connect=1ms service=22ms '
    "status=200 bytes=1543 protocol=https"
)

HEROKU_CLI: list[Row] = [
    (
        1,
        "router",
        {
            "timestamp": "2024-03-15 10:00:01.123456000",
            "app_name": "heroku",
            "process_id": "router",
            "message": ROUTER_MESSAGE,
            "p_event_time": "2024-03-15 10:00:01.123456000",
        },
    ),
    (
        2,
        "app",
        {
            "timestamp": "2024-03-15 10:00:01.456789000",
            "app_name": "app",
            "process_id": "web.1",
            "message": 'Started GET "/api/v1/orders?page=2" for 203.0.113.10 at 2024-03-15 10:00:01 +0000',
            "p_event_time": "2024-03-15 10:00:01.456789000",
        },
    ),
    (
        3,
        "dyno-manager",
        {
            "timestamp": "2024-03-15 10:00:02.000000000",
            "app_name": "heroku",
            "process_id": "web.2",
            "message": "State changed from starting to up",
            "p_event_time": "2024-03-15 10:00:02.000000000",
        },
    ),
    (
        4,
        "api-with-offset",
        {
            "timestamp": "2024-03-15 10:00:03.250000000",
            "app_name": "app",
            "process_id": "api",
            "message": "Release v142 created by user alice@example.com",
            "p_event_time": "2024-03-15 10:00:03.250000000",
        },
    ),
    (5, "blank", Skipped("blank")),
    (
        6,
        "addon-whole-seconds",
        {
            "timestamp": "2024-03-15 10:00:04.000000000",
            "app_name": "app",
            "process_id": "heroku-postgres",
            "message": "source=DATABASE addon=postgresql-curved-12345 sample#current_transaction=1873 "
            "sample#db_size=9580463bytes",
            "p_event_time": "2024-03-15 10:00:04.000000000",
        },
    ),
    (
        7,
        "colon-in-message",
        {
            "timestamp": "2024-03-15 10:00:05.000000000",
            "app_name": "app",
            "process_id": "worker.1",
            "message": "[1] WARN  job=OrderJob retry in 30s: Net::ReadTimeout",
            "p_event_time": "2024-03-15 10:00:05.000000000",
        },
    ),
    (
        8,
        "syslog-time",
        Rejected(
            "bad_value",
            "timestamp",
            "field 'timestamp': 'Mar' is not a valid timestamp (rfc3339) (not YYYY-MM-DDTHH:MM:SS[.fraction] "
            "followed by Z or +hh:mm or -hh:mm)",
        ),
    ),
    (
        9,
        "no-dyno",
        Rejected("no_match", None, "no match: delimiter '[' after %{app_name} not found from column 34"),
    ),
]

# schema name → (sample log, one row per line)
SAMPLES: dict[str, tuple[Path, list[Row]]] = {
    "Apache.AccessCombined": (SCHEMAS / "Apache" / "sample.log", APACHE),
    "Nginx.Access": (SCHEMAS / "Nginx" / "sample.log", NGINX),
    "Syslog.RFC5424": (SCHEMAS / "Syslog" / "RFC5424.sample.log", RFC5424),
    "Syslog.RFC3164": (SCHEMAS / "Syslog" / "RFC3164.sample.log", RFC3164),
    "Heroku.CLI": (SCHEMAS / "Heroku" / "CLI.sample.log", HEROKU_CLI),
}
CASES = [
    pytest.param(schema, number, expected, id=f"{schema}-L{number}-{label}")
    for schema, (_, rows) in SAMPLES.items()
    for number, label, expected in rows
]


def sample_lines(schema: str) -> list[str]:
    return read_sample(SAMPLES[schema][0])


@pytest.fixture(scope="module")
def normalizers() -> dict[str, Normalizer]:
    return normalizers_for(SAMPLES)


def test_bundled_schema_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NORMALIZE_SCHEMAS", raising=False)
    assert Registry(search_path()).names() == sorted(
        ["AWS.CloudTrail", "AWS.VPCFlow", "Heroku.Router", "Heroku.Runtime", *SAMPLES]
    )


@pytest.mark.parametrize("schema", sorted(SAMPLES))
def test_every_sample_line_has_a_row(schema: str) -> None:
    """Rows cover the sample line for line; each sample has 6 to 12 lines, at least one rejected."""
    rows = SAMPLES[schema][1]
    assert [number for number, _, _ in rows] == list(range(1, len(sample_lines(schema)) + 1))
    assert 6 <= len(rows) <= 12
    assert any(isinstance(expected, Rejected) for _, _, expected in rows)


@pytest.mark.parametrize(("schema", "number", "expected"), CASES)
def test_sample_line(
    schema: str, number: int, expected: dict[str, Any] | Rejected, normalizers: dict[str, Normalizer]
) -> None:
    check_sample_line(normalizers[schema], schema, sample_lines(schema), number, expected)
