"""``normalize serve``, the real server on a loopback port, driven by a real HTTP client: the drain
bodies, every kind of credential, the limits, redelivery, and a SIGKILL in the middle of traffic."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import hmac
import os
import random
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import trustme

from tests.test_framing import BODIES, _mutated, expected

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
LOGPLEX = {"content-type": "application/logplex-1"}
TOKEN = "d.8f7a4b11-c323-4764-a74f-89bf4c1100ab"
OTHER_TOKEN = "d.rotated-0000-token"
GUARD = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    out: Path
    args: list[str]
    env: dict[str, str]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=GUARD)

    def records(self, kind: str) -> list[dict]:
        found = []
        for path in sorted((self.out / kind).rglob("*.ndjson")):
            found += [orjson.loads(line) for line in path.read_bytes().splitlines()]
        return found


def start(tmp_path: Path, *extra: str, out: Path | None = None, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    out = out or tmp_path / "lake"
    environment = {**os.environ, "DRAIN_TOKEN": TOKEN, "OTHER_TOKEN": OTHER_TOKEN, **(env or {})}
    args = [NORMALIZE, "serve", "-s", "Heroku.Runtime", "--port", str(port), "--out", str(out), *extra]
    if not any(a.endswith(("-env", "-file", "--no-auth")) for a in extra):
        args += ["--secret-env", "DRAIN_TOKEN", "--secret-env", "OTHER_TOKEN"]
    return launch(args, f"http://127.0.0.1:{port}", out, environment)


def launch(
    command: list[str], url: str, out: Path, env: dict[str, str], verify: ssl.SSLContext | bool = True
) -> Server:
    """Run ``command`` (a ``normalize serve``) and wait until ``url`` answers ``/healthz``."""
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/healthz", timeout=1, verify=verify).status_code == 200:
                return Server(proc, url, out, command, env)
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the server did not start")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = start(tmp_path)
    yield s
    s.stop()


def post(server: Server, body: bytes, **headers: str) -> httpx.Response:
    sent = {**LOGPLEX, "logplex-drain-token": TOKEN, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return httpx.post(server.url + "/", content=body, headers=sent, timeout=GUARD)


def test_every_drain_body_is_acknowledged_and_lands_as_expected(server: Server) -> None:
    for number, (case, body) in enumerate(sorted(BODIES.items())):
        response = post(server, body, logplex_frame_id=f"{number:032X}", logplex_msg_count="1")
        assert (case, response.status_code) == (case, 204)
    events, rejects = server.records("events"), server.records("rejects")
    assert len(events) == sum(expected(case)[0] for case in BODIES)
    reasons = Counter(reason for case in BODIES for reason in expected(case)[1])
    assert Counter(r["reason"] for r in rejects) == reasons
    (e08,) = [e for e in events if e.get("message", "").startswith("panic:")]
    assert e08["message"] == "panic: runtime error: index out of range\ngoroutine 1 [running]:"
    x01 = [r for r in rejects if r["reason"] == "bad_framing" and r["raw"].encode() == BODIES["X01"]]
    assert len(x01) == 1 and x01[0]["source"].startswith("/#")
    hours = {p.relative_to(server.out).parts[:3] for p in server.out.glob("events/*/*")}
    assert {h[:2] for h in hours} == {("events", "p_log_type=Heroku.Runtime")}
    assert all(h[2].startswith("year=") for h in hours)
    metrics = httpx.get(server.url + "/metrics").text
    assert 'normalize_requests_total{route="/",status="204"} 49.0' in metrics
    assert 'normalize_msg_count_mismatches_total{route="/"}' in metrics  # D03 and others hold 2+


# --- credentials ----------------------------------------------------------------------------------

GOOD = BODIES["D01"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"logplex-drain-token": TOKEN}, 204),
        ({"logplex-drain-token": OTHER_TOKEN}, 204),  # a second accepted value: rotation
        ({"logplex-drain-token": TOKEN[:-1]}, 401),  # near misses
        ({"logplex-drain-token": TOKEN + "x"}, 401),
        ({"logplex-drain-token": TOKEN.upper()}, 401),
        ({"logplex-drain-token": ""}, 401),
        ({"logplex-drain-token": None}, 401),  # missing
        ({"logplex-drain-token": "d.\xe9\xe8"}, 401),  # not ASCII: never a 500
        ({"x-other": TOKEN, "logplex-drain-token": None}, 401),  # the right value in another header
    ],
)
def test_shared_secret(server: Server, headers: dict[str, str | None], status: int) -> None:
    sent = {**LOGPLEX, **{k: v.encode("latin-1") for k, v in headers.items() if v is not None}}
    response = httpx.post(server.url + "/", content=GOOD, headers=sent)
    assert response.status_code == status
    if status == 401:
        assert response.text == "unauthorized\n"  # no hint of what was wrong


def test_basic_bearer_and_hmac_each_accept_theirs_and_refuse_the_rest(tmp_path: Path) -> None:
    key_file = tmp_path / "hmac.key"
    key_file.write_text("k3y\n")
    s = start(
        tmp_path,
        *("--basic-env", "BASIC", "--bearer-env", "BEARER", "--hmac-file", str(key_file)),
        *("--hmac-header", "X-Signature", "--hmac-prefix", "sha256="),
        env={"BASIC": "drain:pa55", "BEARER": "t0ken"},
    )
    try:
        signature = "sha256=" + hmac.new(b"k3y", GOOD, hashlib.sha256).hexdigest()
        cases = [
            ({"authorization": "Basic " + base64.b64encode(b"drain:pa55").decode()}, 204),
            ({"authorization": "Basic " + base64.b64encode(b"drain:pa56").decode()}, 401),
            ({"authorization": "Basic " + base64.b64encode(b"drain:").decode()}, 401),
            ({"authorization": "Basic !!!"}, 401),
            ({"authorization": "Bearer t0ken"}, 204),
            ({"authorization": "Bearer t0ke"}, 401),
            ({"authorization": "Bearer t0ken\xe9"}, 401),
            ({"x-signature": signature}, 204),
            ({"x-signature": signature.upper().replace("SHA256=", "sha256=")}, 204),  # hex in any case
            ({"x-signature": signature[:-1] + "0"}, 401),
            ({"x-signature": signature[7:]}, 401),  # without its prefix
            ({}, 401),
        ]
        for headers, status in cases:
            sent = {**LOGPLEX, **{k: v.encode("latin-1") for k, v in headers.items()}}
            assert (headers, httpx.post(s.url + "/", content=GOOD, headers=sent).status_code) == (
                headers,
                status,
            )
        tampered = GOOD.replace(b"up", b"UP")
        sent = {**LOGPLEX, "x-signature": signature}
        assert httpx.post(s.url + "/", content=tampered, headers=sent).status_code == 401
    finally:
        s.stop()
    assert len(s.records("events")) == 4


def test_secrets_never_reach_the_output_or_the_logs(tmp_path: Path) -> None:
    s = start(tmp_path)
    for token in (TOKEN, "wrong-" + TOKEN, OTHER_TOKEN):
        httpx.post(
            s.url + "/", content=GOOD + BODIES["X03"], headers={**LOGPLEX, "logplex-drain-token": token}
        )
    s.stop()
    written = s.proc.stderr.read()  # type: ignore[union-attr]
    written += b"".join(p.read_bytes() for p in s.out.rglob("*") if p.is_file())
    for secret in (TOKEN, OTHER_TOKEN):
        assert secret.encode() not in written and base64.b64encode(secret.encode()) not in written


# --- limits ---------------------------------------------------------------------------------------


def test_what_a_request_may_not_be(server: Server) -> None:
    big = GOOD * ((1 << 20) // len(GOOD) + 1)
    assert post(server, big).status_code == 413
    chunked = iter([GOOD] * ((1 << 20) // len(GOOD) + 1))  # no Content-Length: counted as it comes
    response = httpx.post(
        server.url + "/", content=chunked, headers={**LOGPLEX, "logplex-drain-token": TOKEN}
    )
    assert response.status_code == 413
    assert post(server, GOOD, content_type="application/json").status_code == 415
    assert post(server, GOOD, content_encoding="br").status_code == 415
    assert httpx.get(server.url + "/").status_code == 405
    assert post(server, GOOD).status_code == 204
    assert httpx.post(server.url + "/elsewhere", content=GOOD, headers=LOGPLEX).status_code == 404
    many = {f"x-h{i}": "1" for i in range(100)}
    assert post(server, GOOD, **many).status_code == 431
    assert post(server, GOOD, x_big="a" * (20 << 10)).status_code in (400, 431)


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def test_a_gzip_bomb_is_413_and_costs_no_memory(server: Server) -> None:
    bomb = gzip.compress(b"\0" * (512 << 20), compresslevel=9)
    assert len(bomb) < 1 << 20
    before = _rss_kib(server.proc.pid)
    assert post(server, bomb, content_encoding="gzip").status_code == 413
    assert _rss_kib(server.proc.pid) - before < 20 << 10
    packed = gzip.compress(GOOD)
    answer = post(server, packed, content_encoding="gzip")
    assert answer.status_code == 204 and "content-length" not in answer.headers  # none on a 204
    assert len(server.records("events")) == 1
    assert (
        f'normalize_body_bytes_total{{route="/"}} {float(len(packed))}'
        in httpx.get(server.url + "/metrics").text
    )


def stall(server: Server) -> socket.socket:
    """A client that sends a request head declaring 1,000 bytes of body, sends 10, and stops."""
    port = int(server.url.rsplit(":", 1)[1])
    stalled = socket.create_connection(("127.0.0.1", port))
    head = (
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\n"
        f"Logplex-Drain-Token: {TOKEN}\r\nContent-Length: 1000\r\n\r\n"
    )
    stalled.sendall(head.encode() + GOOD[:10])
    return stalled


def test_a_stalled_client_is_cut_off_and_does_not_block_others(tmp_path: Path) -> None:
    s = start(tmp_path, "--body-seconds", "1")
    try:
        stalled = stall(s)
        started = time.monotonic()
        assert post(s, GOOD).status_code == 204  # meanwhile, another client is served
        assert time.monotonic() - started < 1.0
        stalled.settimeout(5)
        answer = stalled.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503") and time.monotonic() - started < 3.0
        stalled.close()
    finally:
        s.stop()


def test_slow_headers_and_silent_connections_are_closed_while_others_are_served(tmp_path: Path) -> None:
    """uvicorn alone kept a client sending its headers a byte every 2 s for ever; the guarded
    protocol closes it --head-seconds after its first byte, and one that says nothing too."""
    s = start(tmp_path, "--head-seconds", "1")
    try:
        port = int(s.url.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port))
        trickle = socket.create_connection(("127.0.0.1", port))
        started = time.monotonic()
        closed_at = None
        for byte in b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:  # 5 s at 10 bytes a second
            if _closed(trickle):
                closed_at = time.monotonic() - started
                break
            with contextlib.suppress(OSError):
                trickle.sendall(bytes([byte]))
            time.sleep(0.1)
        assert closed_at is not None and closed_at < 2.5, closed_at
        assert post(s, GOOD).status_code == 204
        silent.settimeout(3)
        assert silent.recv(1) == b""  # closed by the server, no answer
    finally:
        s.stop()


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock``: readable, with nothing to read (or reset)."""
    if not select.select([sock], [], [], 0)[0]:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def test_a_redelivered_batch_is_acknowledged_and_written_once(server: Server) -> None:
    for _ in range(3):
        assert post(server, BODIES["D04"], logplex_frame_id="0" * 31 + "A").status_code == 204
    assert post(server, BODIES["D04"], logplex_frame_id="0" * 31 + "B").status_code == 204
    assert len(server.records("events")) == 8
    assert 'normalize_duplicates_total{route="/"} 2.0' in httpx.get(server.url + "/metrics").text


def test_https_with_a_certificate_and_key(tmp_path: Path) -> None:
    """--certfile/--keyfile serve HTTPS (a throw-away CA from trustme); plain HTTP is refused."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    port = free_port()
    args = [NORMALIZE, "serve", "-s", "Heroku.Runtime", "--port", str(port), "--out", str(tmp_path / "lake")]
    args += ["--secret-env", "DRAIN_TOKEN", "--certfile", str(certfile), "--keyfile", str(keyfile)]
    with ca.cert_pem.tempfile() as ca_file:
        context = ssl.create_default_context(cafile=ca_file)
    env = {**os.environ, "DRAIN_TOKEN": TOKEN}
    s = launch(args, f"https://127.0.0.1:{port}", tmp_path / "lake", env, verify=context)
    try:
        headers = {**LOGPLEX, "logplex-drain-token": TOKEN}
        assert httpx.post(s.url + "/", content=GOOD, headers=headers, verify=context).status_code == 204
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        s.stop()


def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    """SIGTERM while bodies are being sent: each gets its answer, what was acknowledged is on disk,
    and the server exits on its own."""
    s = start(tmp_path)
    port = int(s.url.rsplit(":", 1)[1])
    body = b"".join(_numbered(1, k) for k in range(50))
    head = (
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/logplex-1\r\n"
        f"Logplex-Drain-Token: {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    halfway = socket.create_connection(("127.0.0.1", port))
    halfway.sendall(head + body[:100])  # in flight: its body half sent
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    halfway.sendall(body[100:])
    halfway.settimeout(GUARD)
    assert halfway.recv(4096).startswith(b"HTTP/1.1 204")
    assert s.proc.wait(GUARD) in (0, -signal.SIGTERM)
    assert len(s.records("events")) == 50


def test_a_batch_acknowledged_before_a_restart_is_not_written_again(tmp_path: Path) -> None:
    """The Frame-Ids acknowledged are noted in the lake's journal with their records, and read back
    at start: Logplex sending a batch again after a restart (it never got the answer) writes nothing."""
    out = tmp_path / "lake"
    first = start(tmp_path, out=out)
    try:
        assert post(first, BODIES["D04"], logplex_frame_id="F" * 32).status_code == 204
    finally:
        first.proc.kill()  # no clean shutdown: the journal must already be on disk
        first.proc.wait()
    again = start(tmp_path, out=out)
    try:
        assert post(again, BODIES["D04"], logplex_frame_id="F" * 32).status_code == 204
        assert post(again, BODIES["D04"], logplex_frame_id="E" * 32).status_code == 204
        assert 'normalize_duplicates_total{route="/"} 1.0' in httpx.get(again.url + "/metrics").text
    finally:
        again.stop()
    assert len(again.records("events")) == 8


def test_watches_count_mismatches_and_the_access_log(tmp_path: Path) -> None:
    """A watch counts a sender's notices (Logplex's L10 drop reports) without a schema knowing them;
    a Logplex-Msg-Count that disagrees is counted and noted in the journal beside the records; the
    access log has a JSON line per request and no secret; flushes are timed."""
    s = start(tmp_path, "--watch", "logplex_l10=Error L10 \\(", "--access-log")
    try:
        body = BODIES["L01"]  # an L10 notice, then a router line: 2 frames
        assert post(s, body, logplex_frame_id="A" * 32, logplex_msg_count="5").status_code == 204
        assert post(s, GOOD, logplex_drain_token="wrong").status_code == 401
        metrics = httpx.get(s.url + "/metrics").text
    finally:
        s.stop()
    assert 'normalize_watched_total{name="logplex_l10",route="/"} 1.0' in metrics
    assert 'normalize_msg_count_mismatches_total{route="/"} 1.0' in metrics
    assert "normalize_flush_seconds_count 1.0" in metrics and "normalize_flushed_commits_total 1.0" in metrics
    notes = [
        orjson.loads(line)
        for p in (s.out / ".journal").rglob("*.ndjson")
        for line in p.read_bytes().splitlines()
    ]
    assert [(n["frame_id"], n["msg_count"], n["records"]) for n in notes] == [("A" * 32, "5", 2)]
    log = s.proc.stderr.read().decode()  # type: ignore[union-attr]
    lines = [orjson.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [(e["status"], e.get("records"), e.get("bytes")) for e in lines] == [
        (204, 2, len(body)),
        (401, None, None),
    ]
    assert TOKEN not in log and "wrong" not in log


# --- a kill in the middle of traffic --------------------------------------------------------------


def test_after_a_sigkill_every_acknowledged_event_is_on_disk_once(tmp_path: Path) -> None:
    """Four clients post numbered bodies; the server is SIGKILLed in the middle and started again on
    the same lake. Every event of every body that got a 204 is there exactly once, and every file
    of the lake parses (a torn record of an unacknowledged body is cut at restart)."""
    out = tmp_path / "lake"
    s = start(tmp_path, out=out)
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(first: int) -> None:
        with httpx.Client(timeout=GUARD) as http:
            number = first
            while not stop.is_set():
                body = b"".join(_numbered(number, k) for k in range(20))
                try:
                    status = http.post(
                        s.url + "/", content=body, headers={**LOGPLEX, "logplex-drain-token": TOKEN}
                    ).status_code
                except httpx.TransportError:
                    return
                if status == 204:
                    with lock:
                        acknowledged.append(number)
                number += 4

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    s.proc.kill()
    s.proc.wait()
    stop.set()
    for t in threads:
        t.join(GUARD)
    assert len(acknowledged) > 20
    again = start(tmp_path, out=out)
    try:
        assert post(again, GOOD).status_code == 204
    finally:
        again.stop()
    for path in out.rglob("*.ndjson"):
        for line in path.read_bytes().splitlines():
            orjson.loads(line)  # every record parses
    seen = Counter(e["message"] for e in again.records("events"))
    for number in acknowledged:
        for k in range(20):
            assert seen[f"body {number} frame {k}"] == 1


def _numbered(number: int, k: int) -> bytes:
    message = f"<190>1 2024-03-15T10:00:00.000001+00:00 host app web.1 - body {number} frame {k}\n".encode()
    return b"%d %s" % (len(message), message)


# --- several routes from a configuration file -----------------------------------------------------

CONFIG = """\
routes:
  - path: /heroku/shop
    schemas: [Heroku.Runtime]
    source_label: shop
    auth:
      shared_secret: {header: Logplex-Drain-Token, env: [SHOP_TOKEN]}
  - path: /apache
    schemas: ["Apache.*"]
    framing: lines
    auth: {bearer: {env: [APACHE_TOKEN]}}
"""


def test_routes_from_a_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / "drains.yml"
    config.write_text(CONFIG)
    port = free_port()
    env = {**os.environ, "SHOP_TOKEN": "shop-secret", "APACHE_TOKEN": "apache-secret"}
    args = [NORMALIZE, "serve", "--config", str(config), "--port", str(port), "--out", str(tmp_path / "lake")]
    s = launch(args, f"http://127.0.0.1:{port}", tmp_path / "lake", env)
    try:
        shop = {**LOGPLEX, "logplex-drain-token": "shop-secret"}
        apache = {"content-type": "text/plain", "authorization": "Bearer apache-secret"}
        line = b'127.0.0.1 - - [15/Mar/2024:10:00:09 +0000] "GET / HTTP/1.1" 200 2 "-" "curl/8"\n'
        assert httpx.post(s.url + "/heroku/shop", content=GOOD, headers=shop).status_code == 204
        assert httpx.post(s.url + "/apache", content=line * 3, headers=apache).status_code == 204
        assert httpx.post(s.url + "/apache", content=line, headers={**apache, **shop}).status_code == 415
        wrong = {"content-type": "text/plain", "authorization": "Bearer shop-secret"}
        assert httpx.post(s.url + "/apache", content=line, headers=wrong).status_code == 401
        assert httpx.post(s.url + "/", content=GOOD, headers=shop).status_code == 404
    finally:
        s.stop()
    log_types = Counter(e["p_log_type"] for e in s.records("events"))
    assert log_types == {"Heroku.Runtime": 1, "Apache.AccessCombined": 3}
    assert {e.get("p_source_label") for e in s.records("events")} == {"shop", None}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("routes: []\n", "drains.yml:1:9: "),
        (
            "routes:\n  - {path: x, schemas: [A], auth: {none: true}}\n",
            "drains.yml:2:12: a path starts with /",
        ),
        (
            "routes:\n  - path: /x\n    schemas: [A]\n    auth: {basic: {}}\n",
            "drains.yml:4:19: say where the secrets are",
        ),
        (
            "routes:\n  - path: /x\n    schemas: [A]\n    auth: {basic: {env: [A], header: h}}\n",
            "drains.yml:4:30: unknown key 'header'",
        ),
        (
            "routes:\n  - {path: /x, schemas: [A], auth: {none: true}}\n"
            "  - {path: /x, schemas: [B], auth: {none: true}}\n",
            "drains.yml:3:12: the path '/x' is taken",
        ),
        (
            "routes:\n  - {path: /x, schemas: [A], auth: {bearer: {env: [UNSET_FOR_TEST]}}}\n",
            "holds no secret",
        ),
    ],
)
def test_a_bad_configuration_is_one_line_with_its_place(tmp_path: Path, text: str, error: str) -> None:
    config = tmp_path / "drains.yml"
    config.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "UNSET_FOR_TEST"}
    result = subprocess.run(
        [NORMALIZE, "serve", "--config", str(config), "--out", str(tmp_path / "lake")],
        capture_output=True,
        env=env,
        check=False,
        timeout=GUARD,
    )
    assert result.returncode == 2 and result.stderr.count(b"\n") == 1, result.stderr
    assert error in result.stderr.decode() and b"Traceback" not in result.stderr


def test_past_its_cap_the_server_answers_503_with_retry_after(tmp_path: Path) -> None:
    """A request holds a slot from its credentials to its answer: with --max-concurrent 1, a body
    that stalls holds the only one, and the next request is told to come back (Logplex retries)."""
    s = start(tmp_path, "--max-concurrent", "1", "--body-seconds", "2")
    try:
        stalled = stall(s)
        time.sleep(0.3)
        busy = post(s, GOOD)
        assert (busy.status_code, busy.headers.get("retry-after")) == (503, "1")
        stalled.settimeout(5)
        assert stalled.recv(4096).startswith(b"HTTP/1.1 503")  # its own deadline
        stalled.close()
        assert post(s, GOOD).status_code == 204  # the slot is free again
        assert 'normalize_overloaded_total{route="/"} 1.0' in httpx.get(s.url + "/metrics").text
    finally:
        s.stop()


def test_a_lake_that_cannot_be_written_is_a_503_and_leaves_whole_records(tmp_path: Path) -> None:
    """A real EFBIG (a file size limit on the server process): the body that does not fit is a 503
    (Logplex retries it), the files keep only whole records of acknowledged bodies, and the server
    goes on answering."""
    port = free_port()
    out = tmp_path / "lake"
    args = [NORMALIZE, "serve", "-s", "Heroku.Runtime", "--port", str(port), "--out", str(out)]
    args += ["--secret-env", "DRAIN_TOKEN"]
    limited = ["bash", "-c", 'ulimit -f 20 && exec "$0" "$@"', *args]  # 20 KiB a file
    s = launch(limited, f"http://127.0.0.1:{port}", out, {**os.environ, "DRAIN_TOKEN": TOKEN})
    try:
        statuses = [post(s, BODIES["D04"], logplex_frame_id=f"{i:032X}").status_code for i in range(40)]
        assert statuses[0] == 204 and 503 in statuses and set(statuses) == {204, 503}
        assert httpx.get(s.url + "/healthz").status_code == 200
    finally:
        s.stop()
    events = s.records("events")  # every line parses: no torn record
    assert len(events) == 4 * statuses.count(204)


def test_a_secret_on_the_command_line_works_but_warns(tmp_path: Path) -> None:
    s = start(tmp_path, "--secret", "on-the-command-line")
    try:
        assert post(s, GOOD, logplex_drain_token="on-the-command-line").status_code == 204
    finally:
        s.stop()
    assert b"warning: a secret given with --secret shows in the process list" in s.proc.stderr.read()  # type: ignore[union-attr]


def test_fuzzed_requests_never_get_a_500_and_every_record_written_parses(server: Server) -> None:
    """1,500 requests with mutated drain bodies and hostile headers (bytes that are not ASCII, odd
    content types and encodings, broken gzip, repeated and empty credentials, huge counts): every
    answer is one of the documented statuses, never a 500, and the lake holds only whole records."""
    rnd = random.Random(1207)
    valid = [body for cid, body in BODIES.items() if not cid.startswith("X")]
    tokens = [TOKEN, TOKEN, TOKEN, "", TOKEN + "\xe9", "\xff" * 40, TOKEN.upper(), OTHER_TOKEN]
    types = [
        "application/logplex-1",
        "application/x-logplex-1",
        "Application/Logplex-1; charset=x",
        "",
        "a/b",
    ]
    encodings = [None, None, None, "gzip", "deflate", "identity", "br", "gzip, gzip"]
    allowed = {204, 400, 401, 413, 415, 431}
    seen: Counter[int] = Counter()
    with httpx.Client(base_url=server.url, timeout=GUARD) as http:
        for i in range(1500):
            body = _mutated(rnd, b"".join(rnd.sample(valid, rnd.randint(1, 3))))
            headers: dict[str, bytes] = {"content-type": rnd.choice(types).encode("latin-1")}
            headers["logplex-drain-token"] = rnd.choice(tokens).encode("latin-1")
            encoding = rnd.choice(encodings)
            if encoding is not None:
                headers["content-encoding"] = encoding.encode()
                if encoding == "gzip" and rnd.random() < 0.8:
                    body = gzip.compress(body)[: rnd.choice([None, 30])]
            if rnd.random() < 0.3:
                headers["logplex-msg-count"] = rnd.choice(
                    [b"1", b"99999999999999999999", b"-1", b"\xe9", b""]
                )
            if rnd.random() < 0.3:
                headers["logplex-frame-id"] = rnd.choice([b"%032X" % i, b"", b"\xff" * 100, b"A" * 32])
            status = http.post("/", content=body, headers=headers).status_code
            seen[status] += 1
            assert status in allowed, (i, status, headers)
    assert seen[204] > 200 and seen[401] > 100 and seen[415] > 100 and seen[400] > 10, seen
    for path in server.out.rglob("*.ndjson"):
        for line in path.read_bytes().splitlines():
            orjson.loads(line)
    assert httpx.get(server.url + "/healthz").status_code == 200
