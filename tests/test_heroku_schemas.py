"""Heroku beyond the raw line: Heroku.Router before Heroku.Runtime types a drain's router lines and
keeps every other line, on the CLI and in ``normalize serve``; ``split`` without an index, which
gives the router's X-Forwarded-For chain as an array of IP indicators."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from engine import Normalizer, Registry, search_path
from engine.errors import SchemaError
from engine.registry import load_schema_file
from engine.transforms import split
from tests.test_framing import BODIES
from tests.test_serve import LOGPLEX, NORMALIZE, free_port, launch

ROOT = Path(__file__).resolve().parent.parent
HEROKU = ROOT / "schemas" / "Heroku"
REGISTRY = Registry(search_path([]))


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("203.0.113.10", ["203.0.113.10"]),
        ("198.51.100.23, 172.70.4.12", ["198.51.100.23", "172.70.4.12"]),
        ("52.90.232.237,70.132.60.79", ["52.90.232.237", "70.132.60.79"]),
        (" a ,\tb\t,, ,c", ["a", "b", "c"]),
        (", ,", None),
        ("", None),
        (None, None),
        (5, None),
    ],
)
def test_split_without_an_index_gives_every_part_trimmed(value: object, parts: list[str] | None) -> None:
    assert split(value, ",", None) == parts


def test_split_without_an_index_needs_an_array_field(schema_file: Callable[[str, str], Path]) -> None:
    path = schema_file(
        "schema: Custom.Bad\nparser:\n  fastmatch:\n    match: ['%{a}']\nfields:\n"
        "  - name: a\n    type: string\n    split: {from: a, separator: ','}\n",
        "Bad.yml",
    )
    with pytest.raises(SchemaError) as raised:
        load_schema_file(path)
    assert str(raised.value) == (
        f"{path}:8:5: split without an index makes an array of its parts: the field must be an array of "
        "strings, numbers, booleans or timestamps (or give an index) (at fields[0].split)"
    )


def router_and_runtime(fast_path: bool) -> Normalizer:
    schemas = [REGISTRY.load("Heroku.Router"), REGISTRY.load("Heroku.Runtime")]
    return Normalizer(schemas, fast_path=fast_path)


@pytest.mark.parametrize("fast_path", [True, False], ids=["accelerated", "reference"])
def test_router_before_runtime_types_router_lines_and_keeps_the_others(fast_path: bool) -> None:
    block = (HEROKU / "Router.sample.log").read_bytes() + (HEROKU / "sample.log").read_bytes()
    block = block.removesuffix(b"\n")
    encoded = router_and_runtime(fast_path).encode_block(block, source="drain.log")
    events = [orjson.loads(line) for line in encoded.ndjson.splitlines()]
    # Router.sample.log: 8 router lines, one with a status that is no number (Heroku.Runtime takes it
    # as a plain line) and an app line; sample.log: 13 router lines and 11 others, of which one is
    # blank and two no schema takes.
    assert Counter(e["p_log_type"] for e in events) == {"Heroku.Router": 8 + 13, "Heroku.Runtime": 2 + 8}
    assert (encoded.rejected, dict(encoded.skipped)) == (2, {"blank": 1})
    routed = [e for e in events if e["p_log_type"] == "Heroku.Router"]
    assert all(e["process_id"] == "router" and "status" in e for e in routed)
    assert routed[1]["fwd"] == ["198.51.100.23", "172.70.4.12"]
    assert routed[1]["p_any_ip_addresses"] == ["172.70.4.12", "198.51.100.23"]
    others = [e for e in events if e["p_log_type"] == "Heroku.Runtime"]
    assert others[0]["message"].startswith('at=info method=GET path="/"')  # the 2OO status line
    assert all(e["process_id"] != "router" for e in others[1:])


def stable(ndjson: bytes) -> list[dict[str, object]]:
    """Events without what differs per run: p_row_id, p_parse_time, and p_event_time where it is
    the parse time (no time in the line)."""
    found = []
    for line in ndjson.splitlines():
        event = orjson.loads(line)
        if event["p_event_time"] == event["p_parse_time"]:
            del event["p_event_time"]
        found.append({k: v for k, v in event.items() if k not in ("p_row_id", "p_parse_time")})
    return found


def test_the_accelerator_writes_what_the_reference_writes_for_router_lines() -> None:
    block = (HEROKU / "Router.sample.log").read_bytes() + (HEROKU / "sample.log").read_bytes()
    fast, reference = (router_and_runtime(f).encode_block(block, source="d") for f in (True, False))
    assert router_and_runtime(True).plans[0] is not None  # Heroku.Router runs in C
    assert stable(fast.ndjson) == stable(reference.ndjson)
    assert fast.rejects == reference.rejects


def test_the_cli_classifies_a_drain_body_with_router_and_runtime(tmp_path: Path) -> None:
    body = tmp_path / "body.bin"
    body.write_bytes(BODIES["M02"])
    run = subprocess.run(
        [NORMALIZE, "-s", "Heroku.Router", "-s", "Heroku.Runtime", "--framing", "octet-counted", str(body)],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    events = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert [e["p_log_type"] for e in events] == ["Heroku.Runtime", "Heroku.Router"]
    assert events[1]["fwd"] == ["52.90.232.237", "70.132.60.79"]


def test_a_drain_route_with_router_and_runtime(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "lake"
    args = [NORMALIZE, "serve", "-s", "Heroku.Router", "-s", "Heroku.Runtime", "--port", str(port)]
    args += ["--out", str(out), "--secret-env", "DRAIN_TOKEN"]
    server = launch(args, f"http://127.0.0.1:{port}", out, {**os.environ, "DRAIN_TOKEN": "t0ken"})
    try:
        headers = {**LOGPLEX, "logplex-drain-token": "t0ken"}
        for case in ("D01", "M02"):
            assert httpx.post(server.url + "/", content=BODIES[case], headers=headers).status_code == 204
    finally:
        server.stop()
    log_types = Counter(e["p_log_type"] for e in server.records("events"))
    assert log_types == {"Heroku.Router": 1, "Heroku.Runtime": 2}
