"""Live input: ``normalize`` reading a pipe writes each line's event or reject as the line arrives,
while its input is still open (as ``heroku logs --tail | normalize`` needs)."""

from __future__ import annotations

import contextlib
import gzip
import queue
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson
import pytest

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
GOOD = b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up"
BAD = b"83 <4x>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed"
WAIT = 10.0  # seconds a line may take to come out (the first: plus the start of the interpreter)
START = 30.0

SUMMARY_PREFIX = b"normalize: %d lines: %d events, %d rejects"


class Lines:
    """The lines of a stream, read by a thread as they come."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(b"")  # the end

    def next(self, timeout: float = WAIT) -> bytes:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line came out within {timeout} s") from None

    def rest(self) -> list[bytes]:
        self._thread.join(timeout=WAIT)
        lines = []
        while (line := self.next()) != b"":
            lines.append(line)
        return lines


def next_line_of(path: Path, count: int, timeout: float = WAIT) -> bytes:
    """The ``count``-th line of a file another process writes, once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_bytes().split(b"\n") if path.exists() else []
        if len(lines) > count:
            return lines[count - 1] + b"\n"
        time.sleep(0.01)
    raise AssertionError(f"line {count} of {path} did not come within {timeout} s")


@contextlib.contextmanager
def live_run(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], Lines, Lines]]:
    """``normalize ARGS`` reading a pipe, its stdout and stderr read as they come; killed if a test
    leaves it running."""
    proc = subprocess.Popen(
        [NORMALIZE, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        yield proc, Lines(proc.stdout), Lines(proc.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    ("workers", "rejects_file", "fast"),
    [(None, False, True), ("2", False, True), (None, True, True), ("2", False, False)],
)
def test_lines_come_out_as_they_arrive(
    tmp_path: Path, workers: str | None, rejects_file: bool, fast: bool
) -> None:
    """One line in, its event (or reject, on stderr or in the --rejects file) out, stdin still open;
    with the accelerator's worker threads, and with worker processes (--no-fast-path -w 2)."""
    rej = tmp_path / "rejects.ndjson"
    args = ["-s", "Heroku.Runtime"] + ([] if fast else ["--no-fast-path"])
    args += ["-w", workers] if workers else []
    args += ["--rejects", str(rej)] if rejects_file else []
    with live_run(*args) as (proc, out, err):
        assert proc.stdin is not None
        proc.stdin.write(GOOD + b"\n")
        proc.stdin.flush()
        event = orjson.loads(out.next(START))
        assert proc.poll() is None  # still running: its input is open
        assert (event["priority"], event["message"]) == (40, "State changed from starting to up")

        proc.stdin.write(BAD + b"\n")
        proc.stdin.flush()
        reject = orjson.loads(next_line_of(rej, 1) if rejects_file else err.next())
        assert proc.poll() is None
        assert (reject["reason"], reject["line"], reject["source"]) == ("bad_value", 2, "<stdin>")

        proc.stdin.write(GOOD + b"\n")
        proc.stdin.flush()
        assert orjson.loads(out.next())["message"] == "State changed from starting to up"
        assert proc.poll() is None

        proc.stdin.close()
        assert proc.wait(timeout=START) == 0
        assert out.rest() == []
        (summary,) = err.rest()
        assert summary.startswith(SUMMARY_PREFIX % (3, 2, 1)), summary
        if rejects_file:
            assert rej.read_bytes() == next_line_of(rej, 1)


def test_an_idle_pipe_is_not_a_finished_one() -> None:
    """A burst of lines, a pause, another burst: the first burst comes out whole during the pause."""
    proc = subprocess.Popen(
        [NORMALIZE, "-s", "Heroku.Runtime", "--quiet"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        out = Lines(proc.stdout)
        proc.stdin.write((GOOD + b"\n") * 500 + b"\n" + GOOD[:40])  # and the start of a line
        proc.stdin.flush()
        first = [out.next(START)] + [out.next() for _ in range(499)]
        assert all(orjson.loads(line)["priority"] == 40 for line in first)
        assert proc.poll() is None
        proc.stdin.write(GOOD[40:] + b"\n")
        proc.stdin.close()
        assert proc.wait(timeout=START) == 0
        (last,) = out.rest()
        assert orjson.loads(last)["message"] == "State changed from starting to up"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_a_gzip_stream_on_a_pipe_comes_out_as_it_arrives() -> None:
    """gzip on a pipe, each line flushed (Z_SYNC_FLUSH, as log shippers do): each line's event comes
    out while the stream is open (it waited for 8 KiB of compressed input, so for the end); then the
    stream cut short: what came before is kept, and the error said."""
    with live_run("-s", "Heroku.Runtime") as (proc, out, err):
        assert proc.stdin is not None
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
        for count in range(3):
            proc.stdin.write(gz.compress(GOOD + b"\n") + gz.flush(zlib.Z_SYNC_FLUSH))
            proc.stdin.flush()
            assert orjson.loads(out.next(START if count == 0 else WAIT))["priority"] == 40
            assert proc.poll() is None
        proc.stdin.close()  # no end-of-stream marker: a truncated gzip stream
        assert proc.wait(timeout=START) == 2
        assert out.rest() == []
        error, summary = err.rest()
        assert error.startswith(b"normalize: cannot read <stdin> after line 3: not valid gzip data"), error
        assert summary.startswith(SUMMARY_PREFIX % (3, 3, 0)), summary


def _member_of(size: int) -> tuple[bytes, int]:
    """A stored gzip member of exactly ``size`` bytes of GOOD lines (the last one padded), and its
    line count."""
    for lines in range(size // len(GOOD), 0, -1):
        for pad in range(len(GOOD)):
            text = (GOOD + b"\n") * (lines - 1) + GOOD + b" " * pad + b"\n"
            member = gzip.compress(text, compresslevel=0, mtime=0)
            if len(member) == size:
                return member, lines
            if len(member) > size:
                break
    raise AssertionError(f"no member of {size} bytes")


def test_a_gzip_member_comes_out_whole_while_the_sender_waits() -> None:
    """A shipper that writes each batch as one whole gzip member, in one write, then waits: all its
    lines come out before the next is sent. At these sizes the member's 8-byte trailer was the only
    thing left on the pipe, and GzipFile waited inside a read for the next member's bytes, holding
    the whole batch for as long as the sender was idle."""
    with live_run("-s", "Heroku.Runtime") as (proc, out, err):
        assert proc.stdin is not None
        total = 0
        for size in (4104, 4100, 12296):
            member, lines = _member_of(size)
            proc.stdin.write(member)
            proc.stdin.flush()
            for _ in range(lines):
                assert orjson.loads(out.next(START if total == 0 else WAIT))["priority"] == 40
                total += 1
            assert proc.poll() is None
        proc.stdin.close()
        assert proc.wait(timeout=START) == 0
        assert out.rest() == []
        assert err.rest()[0].startswith(SUMMARY_PREFIX % (total, total, 0))


def test_a_gzip_stream_whose_first_byte_comes_alone() -> None:
    """gzip is recognised on a pipe whose first read gives one byte (the magic was looked for in that
    byte alone: the stream was read as text, one invalid_utf8 reject)."""
    member = gzip.compress(GOOD + b"\n")
    with live_run("-s", "Heroku.Runtime") as (proc, out, err):
        assert proc.stdin is not None
        proc.stdin.write(member[:1])
        proc.stdin.flush()
        time.sleep(0.5)  # the run reads the first byte alone
        proc.stdin.write(member[1:])
        proc.stdin.close()
        assert proc.wait(timeout=START) == 0
        assert [orjson.loads(line)["priority"] for line in out.rest()] == [40]
        assert err.rest()[0].startswith(SUMMARY_PREFIX % (1, 1, 0))


@pytest.mark.parametrize("workers", ["2"])
def test_a_signal_stops_a_live_run_at_once(workers: str) -> None:
    """SIGTERM while the run waits for more input: it stops at once (stdin still open), 143, and says
    up to which line of <stdin> events and rejects are complete."""
    with live_run("-s", "Heroku.Runtime", "-w", workers) as (proc, out, err):
        assert proc.stdin is not None
        proc.stdin.write(GOOD + b"\n" + BAD + b"\n")
        proc.stdin.flush()
        assert orjson.loads(out.next(START))["priority"] == 40
        assert orjson.loads(err.next())["line"] == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=START) == 143
        summary, stop = err.rest()
        assert summary.startswith(SUMMARY_PREFIX % (2, 1, 1)), summary
        assert (
            stop
            == b"normalize: stopped by SIGTERM: events and rejects are complete up to line 2 of <stdin>\n"
        )
        assert out.rest() == []
