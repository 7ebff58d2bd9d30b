"""The Heroku drain samples of tests/data/heroku-drain-bodies.txt that are one frame on one line,
through the bundled Heroku.Runtime.

The CLI is line-oriented: it sees one frame per line, octet count included, and applies the schema as
Panther does (spec section k). The sample file's own "expect" notes describe a drain endpoint that
also checks framing and the syslog header; where the schema alone gives another answer, the row
says so. Framing (multi-frame bodies, inner LFs, wrong counts) is tests/test_framing.py's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import Normalizer, Registry, search_path

SAMPLES = Path(__file__).resolve().parent / "data" / "heroku-drain-bodies.txt"


def _cases() -> dict[str, tuple[int, bytes]]:
    """Case id → (msgs=N of its header, body bytes); bodies run to the next comment line."""
    cases: dict[str, tuple[int, bytes]] = {}
    current = None
    for raw in SAMPLES.read_bytes().splitlines(keepends=True):
        if raw.startswith(b"#"):
            m = re.match(rb"# \[(\w+)\].*msgs=(\d+)", raw)
            if m:
                current = m.group(1).decode()
                cases[current] = (int(m.group(2)), b"")
            continue
        if current is not None:
            msgs, body = cases[current]
            cases[current] = (msgs, body + raw)
    return cases


CASES = _cases()
E = "event"
R = "reject"

# id → (E, fields the event must have (others unchecked), fields it must not have)
#    | (R, reason, field)
EXPECTED = {
    "R01": (
        E,
        {
            "message_len": 271,
            "priority": 158,
            "version": "1",
            "app_name": "heroku",
            "process_id": "router",
            "timestamp": "2024-03-15 10:00:01.123456000",
            "p_event_time": "2024-03-15 10:00:01.123456000",
            "p_any_domain_names": ("host",),
        },
        ["message_id"],
    ),
    "R02": (E, {"timestamp": "2024-03-15 10:00:02.000731000"}, ["message_id"]),
    "R03": (E, {"priority": 158}, []),
    "R04": (E, {"process_id": "router"}, []),
    "R05": (E, {"process_id": "router"}, []),
    "R06": (E, {"process_id": "router"}, []),
    "A01": (
        E,
        {
            "priority": 190,
            "process_id": "web.1",
            "message": "[4b0c1d2e-7f3a-4e5b-9c8d-1a2b3c4d5e6f] Completed 200 OK in 18ms (Views: 9.1ms | "
            "ActiveRecord: 3.2ms | Allocations: 5512)",
        },
        [],
    ),
    "A02": (
        E,
        {
            "process_id": "worker.2",
            "message": '{"level":"info","msg":"Commande reçue","order_id":48213,'
            '"customer":"Zoë Ümlaut","queue":"default"}',
        },
        [],
    ),
    "A03": (E, {"process_id": "release.4211"}, []),
    "A04": (E, {"process_id": "run.7213"}, []),
    "A05": (
        E,
        {
            "message": '10.1.22.7 - - [15/Mar/2024:10:00:09 +0000] "GET /health HTTP/1.1" 200 2 "-" '
            '"kube-probe/1.29"'
        },
        ["message_id"],
    ),
    "D01": (E, {"priority": 45, "app_name": "heroku", "message": "State changed from starting to up"}, []),
    "D02": (E, {"message": "Starting process with command `bundle exec puma -C config/puma.rb`"}, []),
    "API02": (E, {"priority": 134, "process_id": "api"}, []),
    "API03": (
        E,
        {"message": "Set SENTRY_DSN, STRIPE_WEBHOOK_SECRET config vars by user jane@example.com"},
        [],
    ),
    "M01": (E, {"timestamp": "2024-03-15 10:02:18.000000000", "process_id": "heroku-postgres"}, []),
    "U01": (E, {"message": "ユーザー登録完了 👩\u200d💻 café – naïve ☃ 🇯🇵"}, []),
    "E01": (E, {}, ["message"]),  # '-' is an emptyValue in Panther's schema: absent, not the text '-'
    "E02": (E, {"message": ""}, []),  # spec l.3: Panther's trim would make this a no-match (H9)
    "E03": (E, {"message": "nightly backup finished"}, ["process_id", "message_id"]),
    "E04": (E, {"timestamp": "2024-03-15 10:06:04.654321000"}, []),
    "E05": (E, {"timestamp": "2024-03-15 10:06:05.250000000"}, []),
    "E06": (E, {"timestamp": "2024-03-15 10:06:06.123456789"}, []),  # RFC 3339 allows 9 digits (C2, H2)
    "E07": (E, {"message": "no timestamp here"}, ["timestamp"]),  # '-' is empty: p_event_time = parse time
    "E09": (E, {"message": "done"}, []),  # CRLF: the CR before the LF is removed
    "E10": (E, {"message": '[meta sequenceId="518"][origin ip="192.0.2.9"] this is the message'}, []),
    "E11": (
        E,
        {
            "host_name": "d.8f7a4b11-c323-4764-a74f-89bf4c1100ab",
            "message": '- Started GET "/blog.rss" for 192.0.2.13',
        },
        ["message_id"],
    ),
    # Framing is the drain's concern: the schema does not check the count against the length.
    "X01": (E, {"message_len": 60}, []),
    "X02": (E, {"message_len": 300}, []),
    "X03": (R, "bad_value", "priority"),
    "X04": (E, {"priority": 192}, []),  # the schema types priority as int, no syslog range
    "X05": (E, {"version": "2"}, []),
    "X06": (R, "bad_value", "message_len"),
    "X07": (E, {"message_len": 83}, []),  # Go's ParseInt accepts leading zeros (T1)
    "X08": (R, "bad_value", "message_len"),  # the first ' <' follows '84 ': '84 ' is not an int
    "X09": (R, "bad_value", "timestamp"),
    "X10": (R, "no_match", None),
    "X11": (E, {"message_len": 82}, []),
}


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer(Registry(search_path()).load("Heroku.Runtime"))


def test_every_single_line_case_is_covered() -> None:
    """Each one-frame, one-line body of the file has a row (E08 spans two lines: not line-oriented)."""
    single = {cid for cid, (msgs, body) in CASES.items() if msgs == 1 and body.count(b"\n") == 1}
    assert single == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_sample(case: str, normalizer: Normalizer) -> None:
    line = CASES[case][1].rstrip(b"\n")
    batch = normalizer.normalize([line.decode("utf-8").removesuffix("\r")], source="samples", first_line=7)
    assert batch.lines == 1
    kind, *rest = EXPECTED[case]
    if kind == E:
        present, absent = rest
        assert batch.rejects == []
        (event,) = batch.events
        assert {k: event.get(k) for k in present} == present
        for key in absent:
            assert key not in event
        assert event["p_log_type"] == "Heroku.Runtime"
    else:
        reason, field = rest
        assert batch.events == []
        (reject,) = batch.rejects
        assert (reject.reason, reject.field, reject.line, reject.source) == (reason, field, 7, "samples")
        assert reject.raw == line.decode("utf-8")
