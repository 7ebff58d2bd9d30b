"""Faults, as users meet them: the ``normalize`` console script in a subprocess, on real files.

The promise under test: every input line ends as exactly one event, one reject or one counted skip;
every line written is valid JSON; and no fault (a signal, a full disk, a file size limit, a closed
pipe, an unreadable or corrupt input) loses or tears a line. When a run stops early, stderr says up
to which line events *and* rejects are complete, and the files hold exactly the records of the lines
up to there: compared here with a full, uninterrupted run of the same input.

Lines are checked as strict JSON with ``orjson.loads`` (RFC 8259: unlike ``json.loads`` it refuses
``NaN`` and invalid UTF-8). ``NORMALIZE_FAULT_ROUNDS=N`` runs each randomized case at N seeded points.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import gzip
import hashlib
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
REPO = Path(__file__).resolve().parents[1]
GEN_HEROKU = REPO / "tools" / "gen_heroku.py"
SCHEMA = "Heroku.Runtime"

LINES = 300_000
BASE_LINES = 20_000  # generated once, then repeated: gen_heroku.py is slow for 300k lines
BAD_EVERY = 5  # line i % 5 == 0 is `garbage i` (a no_match reject) ...
BLANK_EVERY = 1_000  # ... unless i % 1000 == 0: an empty line (a counted skip)
ROUNDS = int(os.environ.get("NORMALIZE_FAULT_ROUNDS", "1"))
GUARD = 120.0  # seconds: a run that takes longer than this has hung (the test fails, it does not wait)

SUMMARY = re.compile(
    rb"normalize: (?P<lines>[\d,]+) lines: (?P<events>[\d,]+) events, (?P<rejects>[\d,]+) rejects"
    rb"(?: \([^)]*\))?, (?P<skipped>[\d,]+) skipped(?: \([^)]*\))? in \d+\.\d\d s \([\d,]+ lines/s\)"
)
COMPLETE = re.compile(
    rb"events and rejects are complete up to line (?P<line>\d+) of (?P<source>.+)|nothing was written"
)


def number(text: bytes) -> int:
    return int(text.replace(b",", b""))


def summary(stderr: bytes) -> dict[str, int]:
    """The counts of the summary line, which must be in ``stderr``."""
    m = SUMMARY.search(stderr)
    assert m is not None, stderr
    return {key: number(value) for key, value in m.groupdict().items()}


# ---------------------------------------------------------------------------------------------------
# Reading outputs


@dataclass
class Records:
    """A file of NDJSON records: stable digests of its events or rejects, in order."""

    digests: list[bytes]
    lines: list[int]  # rejects: the input line of each (events: empty)
    torn: bytes  # bytes after the last newline (only ever allowed after SIGKILL)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def stable_event(record: dict) -> bytes:
    """An event without what differs from run to run: its row id and parse time (and its event
    time when it is the parse time)."""
    record.pop("p_row_id")
    parse_time = record.pop("p_parse_time")
    if record.get("p_event_time") == parse_time:
        del record["p_event_time"]
    return orjson.dumps(record)


def read_records(path: Path, *, kind: str, torn_ok: bool = False) -> Records:
    """Every line of ``path`` as strict JSON; the file is empty or ends with a newline (or, when
    ``torn_ok``, its last line may be cut short). No NUL byte anywhere: no hole in the file."""
    data = path.read_bytes() if path.exists() else b""
    hole = data.find(b"\0")
    assert hole < 0, f"{path}: a NUL byte (a hole) at offset {hole}"
    *whole, torn = data.split(b"\n")
    if not torn_ok:
        assert torn == b"", f"{path}: the last line is not whole: {torn[-200:]!r}"
    digests, lines = [], []
    for number_, line in enumerate(whole, 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise AssertionError(f"{path}:{number_}: not JSON ({exc}): {line[:200]!r}") from None
        assert isinstance(record, dict), line
        if kind == "events":
            digests.append(_digest(stable_event(record)))
        else:
            lines.append(record["line"])
            digests.append(_digest(line))
    if torn:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(torn)  # a last line without its newline is torn, never a whole record
    return Records(digests, lines, torn)


@dataclass
class Corpus:
    path: Path
    events: Records  # of the full, uninterrupted run
    rejects: Records
    seconds: float  # how long the full run took once its signal handlers were in place

    def blanks_up_to(self, line: int) -> int:
        return line // BLANK_EVERY

    def assert_complete_up_to(self, line: int, events: Records, rejects: Records) -> None:
        """``events`` and ``rejects`` are exactly those of input lines 1..``line``."""
        expected_rejects = [
            (d, n) for d, n in zip(self.rejects.digests, self.rejects.lines, strict=True) if n <= line
        ]
        got_rejects = list(zip(rejects.digests, rejects.lines, strict=True))
        assert len(got_rejects) == len(expected_rejects), (line, len(got_rejects), len(expected_rejects))
        assert got_rejects == expected_rejects
        k = line - len(expected_rejects) - self.blanks_up_to(line)
        assert len(events.digests) == k, (line, len(events.digests), k)
        assert events.digests == self.events.digests[:k]


def corpus_line(i: int, base: list[bytes]) -> bytes:
    if i % BLANK_EVERY == 0:
        return b""
    if i % BAD_EVERY == 0:
        return b"garbage %d" % i
    return base[(i - 1) % len(base)]


def stoppable(proc: subprocess.Popen[bytes], guard: float = GUARD) -> bool:
    """Wait until the run has put its SIGINT/SIGTERM handlers in place (``pipeline.Stop``, after
    the outputs are open), as the SIGTERM bit of SigCgt in /proc says; False if it ended first."""
    deadline = time.monotonic() + guard
    bit = 1 << (signal.SIGTERM - 1)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            return False
        caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)  # type: ignore[union-attr]
        if caught & bit:
            return True
        time.sleep(0.002)
    raise AssertionError(f"the run did not install its signal handlers within {guard} s")


def start(args: list[str], **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([NORMALIZE, *args], **popen)  # type: ignore[call-overload]


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, bytes, bytes]:
    try:
        out, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the run did not end within {GUARD} s") from None
    return proc.returncode, out or b"", err or b""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """300,000 lines (Heroku lines, every 5th `garbage N`, every 1000th empty) and the result of an
    uninterrupted run over them."""
    folder = tmp_path_factory.mktemp("corpus")
    base_file = folder / "base.log"
    subprocess.run([sys.executable, str(GEN_HEROKU), "-n", str(BASE_LINES), "-o", str(base_file)], check=True)
    base = base_file.read_bytes().split(b"\n")[:-1]
    assert len(base) == BASE_LINES and all(base)
    path = folder / "mixed.log"
    path.write_bytes(b"\n".join(corpus_line(i, base) for i in range(1, LINES + 1)) + b"\n")
    out, rej = folder / "full.ndjson", folder / "full.rejects"
    proc = start(
        ["-s", SCHEMA, str(path), "-w", "1", "-o", str(out), "--rejects", str(rej)], stderr=subprocess.PIPE
    )
    began = time.monotonic()
    stoppable(proc)
    began = time.monotonic()
    status, _, err = finish(proc)
    seconds = time.monotonic() - began
    assert status == 0, err
    blanks = LINES // BLANK_EVERY
    bad = LINES // BAD_EVERY - LINES // BLANK_EVERY
    assert summary(err) == {"lines": LINES, "events": LINES - bad - blanks, "rejects": bad, "skipped": blanks}
    events, rejects = read_records(out, kind="events"), read_records(rej, kind="rejects")
    assert len(events.digests) == LINES - bad - blanks and len(rejects.digests) == bad
    out.unlink()
    return Corpus(path, events, rejects, seconds)


def stopped_at(stderr: bytes, source: Path) -> int:
    """N of 'events and rejects are complete up to line N of FILE' (0 for 'nothing was written')."""
    m = COMPLETE.search(stderr)
    assert m is not None, stderr
    if m.group("line") is None:
        return 0
    assert m.group("source") == os.fsencode(source), stderr
    return int(m.group("line"))


# ---------------------------------------------------------------------------------------------------
# 1. Signals


SIGNAL_CASES = [
    (workers, signum, seed)
    for seed in range(ROUNDS)
    for workers, signum in ((1, signal.SIGINT), (1, signal.SIGTERM), (2, signal.SIGINT), (2, signal.SIGTERM))
]


@pytest.mark.parametrize(
    ("workers", "signum", "seed"),
    SIGNAL_CASES,
    ids=[f"w{w}-{signal.Signals(s).name}-{seed}" for w, s, seed in SIGNAL_CASES],
)
def test_a_signal_leaves_whole_records_up_to_the_line_it_names(
    corpus: Corpus, tmp_path: Path, workers: int, signum: int, seed: int
) -> None:
    """SIGINT/SIGTERM at a random (seeded) point: exit 130/143, the summary and the line saying up to
    where the output is complete; the files are exactly the events and rejects of lines 1..N."""
    delay = random.Random(f"{workers}-{signum}-{seed}").uniform(0.02, 0.9) * corpus.seconds
    out, rej = tmp_path / "out", tmp_path / "rej"
    args = ["-s", SCHEMA, str(corpus.path), "-w", str(workers), "-o", str(out), "--rejects", str(rej)]
    proc = start(args, stderr=subprocess.PIPE)
    assert stoppable(proc)
    time.sleep(delay)
    proc.send_signal(signum)
    status, _, err = finish(proc)
    events, rejects = read_records(out, kind="events"), read_records(rej, kind="rejects")
    if b"normalize: stopped by " not in err:
        # The run was faster this time than the measured one, and the signal came after its end
        # (the default action may then have killed it, after the summary): it must be whole.
        assert status in (0, -signum, 128 + signum), err
        corpus.assert_complete_up_to(LINES, events, rejects)
        return
    name = signal.Signals(signum).name
    assert status == 128 + signum, err
    *_, summary_line, last = err.splitlines()
    assert SUMMARY.fullmatch(summary_line), err
    last = last.decode()
    assert last.startswith(f"normalize: stopped by {name}: "), err
    line = stopped_at(err, corpus.path)
    assert summary(err)["lines"] == line
    corpus.assert_complete_up_to(line, events, rejects)


def test_a_signal_before_any_input_says_nothing_was_written(tmp_path: Path) -> None:
    """A run waiting on an empty pipe, stopped: 143, 'nothing was written', empty files."""
    out, rej = tmp_path / "out", tmp_path / "rej"
    proc = start(
        ["-s", SCHEMA, "-o", str(out), "--rejects", str(rej)], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert stoppable(proc)
    proc.send_signal(signal.SIGTERM)
    status, _, err = finish(proc)
    assert status == 143, err
    assert summary(err) == {"lines": 0, "events": 0, "rejects": 0, "skipped": 0}
    assert err.decode().splitlines()[-1] == "normalize: stopped by SIGTERM: nothing was written"
    assert out.read_bytes() == rej.read_bytes() == b""


def _with_worker_processes(corpus: Corpus, out: Path, rej: Path) -> list[str]:
    """The arguments of a run on the reference path with two worker processes, into files."""
    return [
        "-s",
        SCHEMA,
        str(corpus.path),
        "--no-fast-path",
        "-w",
        "2",
        "-o",
        str(out),
        "--rejects",
        str(rej),
    ]


def _signal_the_group(corpus: Corpus, tmp_path: Path, signum: int, guard: float) -> tuple[int, bytes, int]:
    """A run on the reference path with two worker processes, and ``signum`` sent to its whole
    process group (as Ctrl-C does for SIGINT, and `kill -TERM -PGID`, systemd or docker for SIGTERM).
    Its exit status (or None when it hung), stderr and the line it says it is complete up to."""
    out, rej, err = tmp_path / "out", tmp_path / "rej", tmp_path / "err"
    args = _with_worker_processes(corpus, out, rej)
    with err.open("wb") as stderr:
        proc = start(args, stderr=stderr, start_new_session=True)
        try:
            assert stoppable(proc)
            time.sleep(0.5)
            os.killpg(proc.pid, signum)
            try:
                status: int | None = proc.wait(timeout=guard)
            except subprocess.TimeoutExpired:
                status = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    errors = err.read_bytes()
    assert status is not None, f"the run hung after {signal.Signals(signum).name}: {errors.decode()}"
    assert b"Traceback" not in errors, errors.decode()
    assert status == 128 + signum, errors
    line = stopped_at(errors, corpus.path)
    corpus.assert_complete_up_to(line, read_records(out, kind="events"), read_records(rej, kind="rejects"))
    return status, errors, line


def test_ctrl_c_reaches_worker_processes_too(corpus: Corpus, tmp_path: Path) -> None:
    """SIGINT to the process group: workers ignore it, the run stops as for SIGINT to it alone."""
    _signal_the_group(corpus, tmp_path, signal.SIGINT, GUARD)


def test_sigterm_to_the_process_group_with_worker_processes(corpus: Corpus, tmp_path: Path) -> None:
    _signal_the_group(corpus, tmp_path, signal.SIGTERM, 5.0)


KILL_CASES = [(workers, seed) for seed in range(ROUNDS) for workers in (1, 2)]


@pytest.mark.parametrize(
    ("workers", "seed"), KILL_CASES, ids=[f"w{w}-{i}" for i, (w, _) in enumerate(KILL_CASES)]
)
def test_sigkill_leaves_no_hole_and_at_most_a_torn_last_line(
    corpus: Corpus, tmp_path: Path, workers: int, seed: int
) -> None:
    """SIGKILL cannot be caught: no NUL bytes (no hole), every line but the last is a whole record of
    the full run, in order, and the last is whole or torn (no newline at its end)."""
    delay = random.Random(f"kill-{workers}-{seed}-{KILL_CASES.index((workers, seed))}").uniform(0.02, 0.9)
    out, rej = tmp_path / "out", tmp_path / "rej"
    args = ["-s", SCHEMA, str(corpus.path), "-w", str(workers), "-o", str(out), "--rejects", str(rej)]
    proc = start(args, stderr=subprocess.DEVNULL)
    assert stoppable(proc)
    time.sleep(delay * corpus.seconds)
    proc.kill()
    finish(proc)
    events = read_records(out, kind="events", torn_ok=True)
    rejects = read_records(rej, kind="rejects", torn_ok=True)
    assert events.digests == corpus.events.digests[: len(events.digests)]
    assert rejects.digests == corpus.rejects.digests[: len(rejects.digests)]


# ---------------------------------------------------------------------------------------------------
# 2. A full disk, a file size limit


def _limit_file_size(limit: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_size_limit_stops_the_run_with_whole_records(
    corpus: Corpus, tmp_path: Path, workers: int
) -> None:
    """RLIMIT_FSIZE (Python ignores SIGXFSZ: the write fails with EFBIG): exit 2, the error names the
    file and the line up to which events and rejects are complete, and the files are exactly that."""
    out, rej = tmp_path / "out", tmp_path / "rej"
    limit = 3 << 20
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "-w", str(workers), "-o", str(out), "--rejects", str(rej)],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: _limit_file_size(limit),
    )
    status, _, err = finish(proc)
    assert status == 2, err
    last = err.decode().splitlines()[-1]
    assert last.startswith(
        f"normalize: cannot write {out}: File too large; events and rejects are complete"
    ), err
    line = stopped_at(err, corpus.path)
    assert 0 < line < LINES
    assert summary(err)["lines"] == line
    assert out.stat().st_size <= limit
    corpus.assert_complete_up_to(line, read_records(out, kind="events"), read_records(rej, kind="rejects"))


@pytest.mark.parametrize(
    ("tmpfs", "workers"), [("1m", 1), ("4m", 2)], indirect=["tmpfs"], ids=["1m-w1", "4m-w2"]
)
def test_a_full_disk_stops_the_run_with_whole_records(corpus: Corpus, tmpfs: Path, workers: int) -> None:
    """ENOSPC: exit 2, the error names the file and says up to where events and rejects are
    complete (with 1 MiB, the first batch does not fit: nothing was written), whole records only."""
    out, rej = tmpfs / "out", tmpfs / "rej"
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "-w", str(workers), "-o", str(out), "--rejects", str(rej)],
        stderr=subprocess.PIPE,
    )
    status, _, err = finish(proc)
    assert status == 2, err
    last = err.decode().splitlines()[-1]
    assert re.fullmatch(
        rf"normalize: cannot write ({re.escape(str(out))}|{re.escape(str(rej))}): No space left on device; "
        rf"(events and rejects are complete up to line \d+ of {re.escape(str(corpus.path))}"
        r"|nothing was written)",
        last,
    ), err
    line = stopped_at(err, corpus.path)
    assert line < LINES
    assert summary(err)["lines"] == line
    corpus.assert_complete_up_to(line, read_records(out, kind="events"), read_records(rej, kind="rejects"))


@pytest.mark.parametrize("tmpfs", ["256k"], indirect=True)
def test_a_full_disk_under_the_rejects_cuts_the_events_back_too(
    corpus: Corpus, tmpfs: Path, tmp_path: Path
) -> None:
    """Events on a roomy disk, rejects on a full one: the batch whose rejects do not fit is cut off
    the events file as well, so both agree on the line N the error names."""
    out, rej = tmp_path / "out", tmpfs / "rej"
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "-w", "2", "-o", str(out), "--rejects", str(rej)],
        stderr=subprocess.PIPE,
    )
    status, _, err = finish(proc)
    assert status == 2, err
    assert (
        err.decode().splitlines()[-1].startswith(f"normalize: cannot write {rej}: No space left on device; ")
    )
    line = stopped_at(err, corpus.path)
    assert 0 < line < LINES
    corpus.assert_complete_up_to(line, read_records(out, kind="events"), read_records(rej, kind="rejects"))


# ---------------------------------------------------------------------------------------------------
# 3. Broken pipes


def test_a_broken_stderr_is_an_error(corpus: Corpus, tmp_path: Path) -> None:
    """`normalize FILE -o out 2>&1 | head -1`: the rejects' reader went away; exit 2, not 0, and the
    events file holds whole records, the first ones of the full run."""
    out = tmp_path / "out.ndjson"
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=GUARD) == 2
    assert orjson.loads(first)["reason"] == "no_match"
    events = read_records(out, kind="events")
    assert events.digests == corpus.events.digests[: len(events.digests)]


def test_a_closed_stdout_ends_the_run_quietly(corpus: Corpus, tmp_path: Path) -> None:
    """`normalize FILE --rejects rej | head -1`: exit 0, nothing on stderr, whole rejects."""
    rej, err = tmp_path / "rej", tmp_path / "err"
    with err.open("wb") as stderr:
        proc = start(
            ["-s", SCHEMA, str(corpus.path), "--rejects", str(rej)], stdout=subprocess.PIPE, stderr=stderr
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=GUARD) == 0
    assert orjson.loads(first)["p_log_type"] == SCHEMA
    assert err.read_bytes() == b""
    rejects = read_records(rej, kind="rejects")
    assert rejects.digests == corpus.rejects.digests[: len(rejects.digests)]


# ---------------------------------------------------------------------------------------------------
# 4. Outputs

GOOD = "83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up"


def run(*args: str | bytes | Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    kwargs.setdefault("timeout", GUARD)
    if "stdout" not in kwargs:
        kwargs.setdefault("capture_output", True)
    return subprocess.run([NORMALIZE, *args], check=False, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("case", ["new", "existing", "input", "symlink-to-input", "rejects-over-input"])
def test_outputs_that_clash_are_refused(tmp_path: Path, case: str) -> None:
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\ngarbage\n")
    target = tmp_path / "F"
    if case == "existing":
        target.write_text("keep me\n")
    if case in ("input", "rejects-over-input"):
        target = data
    if case == "symlink-to-input":
        target = tmp_path / "link"
        target.symlink_to(data)
    options = (
        ["--rejects", str(target)]
        if case == "rejects-over-input"
        else ["-o", str(target), "--rejects", str(target)]
    )
    result = run("-s", SCHEMA, str(data), *options)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == f"normalize: {target} is both an input and an output, or written twice\n"
    assert data.read_text() == f"{GOOD}\ngarbage\n"
    if case == "new":
        assert not target.exists()
    if case == "existing":
        assert target.read_text() == "keep me\n"


def test_dev_null_may_take_both_outputs(tmp_path: Path) -> None:
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\ngarbage\n")
    result = run("-s", SCHEMA, str(data), "-o", "/dev/null", "--rejects", "/dev/null")
    assert (result.returncode, result.stdout) == (0, b"")
    assert summary(result.stderr) == {"lines": 2, "events": 1, "rejects": 1, "skipped": 0}


# ---------------------------------------------------------------------------------------------------
# 5. Inputs


def _as_nobody() -> None:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def _root_without_file_permissions() -> None:
    """Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped from the bounding set, so the
    exec'd program does not get them): file modes apply to it."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _unprivileged() -> object:
    """How to run normalize so that a mode-000 file cannot be read: as nobody when nobody can run
    the console script, else as root without the capabilities that bypass file modes."""
    if os.geteuid() != 0:
        pytest.skip("needs root (to run the command as another user)")
    for how in (_as_nobody, _root_without_file_permissions):
        try:
            probe = subprocess.run([NORMALIZE, "--version"], capture_output=True, check=False, preexec_fn=how)
        except (OSError, subprocess.SubprocessError):
            continue  # e.g. nobody may not run an interpreter kept under /root
        if probe.returncode == 0:
            return how
    pytest.skip("cannot run normalize without the right to read every file")


@pytest.fixture
def open_folder():  # type: ignore[no-untyped-def]
    """A world-writable folder under /tmp (a user other than root works in it)."""
    folder = Path(tempfile.mkdtemp(prefix="normalize-faults-", dir="/tmp"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_an_unreadable_second_input_is_reported_before_anything_is_written(open_folder: Path) -> None:
    how = _unprivileged()
    first, second, out = open_folder / "a.log", open_folder / "b.log", open_folder / "out.ndjson"
    first.write_text(f"{GOOD}\n")
    second.write_text(f"{GOOD}\n")
    first.chmod(0o644)
    second.chmod(0o000)
    result = run("-s", SCHEMA, str(first), str(second), "-o", str(out), preexec_fn=how)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == f"normalize: cannot read {second}: Permission denied\n"
    assert not out.exists() or out.read_bytes() == b""


def test_a_truncated_gzip_between_two_good_files(corpus: Corpus, tmp_path: Path) -> None:
    """The lines before the corrupt part and the whole later file are normalized; the error names the
    file and the line after which it could not be read; summary; exit 2."""
    lines = corpus.path.read_bytes().split(b"\n")[:12_000]
    first, packed, last = tmp_path / "a.log", tmp_path / "b.log.gz", tmp_path / "c.log"
    first.write_bytes(b"\n".join(lines[:3000]) + b"\n")
    whole = gzip.compress(b"\n".join(lines[3000:11000]) + b"\n")
    packed.write_bytes(whole[: len(whole) // 2])
    last.write_bytes(b"\n".join(lines[11000:]) + b"\n")
    out, rej = tmp_path / "out", tmp_path / "rej"
    result = run("-s", SCHEMA, first, packed, last, "-o", out, "--rejects", rej)
    assert result.returncode == 2, result.stderr
    error, summary_line = result.stderr.decode().splitlines()
    assert SUMMARY.fullmatch(summary_line.encode()), result.stderr
    m = re.fullmatch(
        rf"normalize: cannot read {re.escape(str(packed))} after line (\d+): not valid gzip data \(.+\)",
        error,
    )
    assert m is not None, error
    n = int(m.group(1))
    assert 0 < n < 8000
    assert summary(result.stderr)["lines"] == 3000 + n + 1000
    # The same as a run over the lines that could be read, from plain files.
    middle = tmp_path / "b.log"
    middle.write_bytes(b"\n".join(lines[3000 : 3000 + n]) + b"\n")
    out2, rej2 = tmp_path / "out2", tmp_path / "rej2"
    reference = run("-s", SCHEMA, first, middle, last, "-o", out2, "--rejects", rej2)
    assert reference.returncode == 0, reference.stderr
    assert read_records(out, kind="events").digests == read_records(out2, kind="events").digests
    assert rej.read_bytes() == rej2.read_bytes().replace(os.fsencode(middle), os.fsencode(packed))


# ---------------------------------------------------------------------------------------------------
# 6. Names and options


def test_a_file_name_that_is_not_utf8_is_kept_as_bytes(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/bad\xffname.log"
    with open(name, "wb") as f:
        f.write(f"{GOOD}\ngarbage\n".encode())
    out, rej = tmp_path / "out", tmp_path / "rej"
    result = run(b"-s", SCHEMA.encode(), name, b"-o", out, b"--rejects", rej)
    assert result.returncode == 0, result.stderr
    (reject,) = [orjson.loads(line) for line in rej.read_bytes().splitlines()]
    assert "source" not in reject
    assert base64.b64decode(reject["source_b64"]) == name
    assert (reject["line"], reject["raw"], reject["reason"]) == (2, "garbage", "no_match")
    assert len(out.read_bytes().splitlines()) == 1


@pytest.mark.parametrize("option", [b"--source-id", b"--source-label"])
def test_a_source_option_that_is_not_utf8_is_refused(tmp_path: Path, option: bytes) -> None:
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\n")
    result = run(b"-s", SCHEMA.encode(), option, b"a\xffb", data)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == b"normalize: " + option + b" is not valid UTF-8: a\\xffb\n"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("nan", "nan"), ("inf", "inf"), ("-1", "-1.0"), ("0", "0.0"), ("1e-9", "1e-09"), ("1e308", "1e+308")],
)
def test_a_regex_timeout_that_is_not_a_positive_number_is_refused(
    tmp_path: Path, value: str, shown: str
) -> None:
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\n")
    result = run("-s", SCHEMA, "--regex-timeout", value, data)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == (
        f"normalize: --regex-timeout must be a number of seconds 0.001 or more, at most 3,600, not {shown}\n"
    )


# ---------------------------------------------------------------------------------------------------
# 7. A hostile regex

HOSTILE_SCHEMA = """\
schema: Custom.Hostile
parser:
  regex:
    match: ['^(?P<a>(a|aa)+)$']
fields:
  - {name: a, type: string}
"""


def test_a_hostile_regex_ends_in_bounded_time(tmp_path: Path) -> None:
    """Catastrophic backtracking on 200 lines: the run ends (guard 60 s), good lines are events until
    the regex's time budget is used up, every other line is a regex_timeout reject, counts add up."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "hostile.yml").write_text(HOSTILE_SCHEMA)
    hostile, good = "a" * 40 + "!", "aaaa"
    lines = [good] * 5
    for _ in range(200):
        lines += [hostile, good]
    data = tmp_path / "in.log"
    data.write_text("\n".join(lines) + "\n")
    out, rej = tmp_path / "out", tmp_path / "rej"
    result = run(
        "-s",
        "Custom.Hostile",
        "--schemas",
        tmp_path / "schemas",
        data,
        "-o",
        out,
        "--rejects",
        rej,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    events = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    rejects = [orjson.loads(line) for line in rej.read_bytes().splitlines()]
    counts = summary(result.stderr)
    assert counts == {"lines": len(lines), "events": len(events), "rejects": len(rejects), "skipped": 0}
    assert len(events) + len(rejects) == len(lines)
    assert {r["reason"] for r in rejects} == {"regex_timeout"}
    rejected = {r["line"] for r in rejects}
    assert all(lines[r["line"] - 1] == r["raw"] for r in rejects)
    assert {i for i, line in enumerate(lines, 1) if line == hostile} <= rejected  # every hostile line
    assert all(e["a"] == good for e in events)
    untried = [r["line"] for r in rejects if r["message"] != "the regex search took longer than 0.1 s"]
    assert untried, "the budget was never used up"
    good_before = [i for i, line in enumerate(lines, 1) if line == good and i < min(untried)]
    assert not rejected & set(good_before)  # good lines before the budget ran out are events
    assert len(events) >= len(good_before) >= 5
    m = re.search(
        rb"normalize: Custom\.Hostile: ([\d,]+) lines were not tried \(regex_timeout rejects\)", result.stderr
    )
    assert m is not None, result.stderr
    assert number(m.group(1)) == len(untried)


# ---------------------------------------------------------------------------------------------------
# 9. Memory

PEAK_RSS = """\
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stdout.write(f"{status.returncode} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.stdout.buffer.write(status.stderr)
"""


DEV_NULL = ["-o", "/dev/null", "--rejects", "/dev/null"]


@pytest.fixture(scope="module")
def xs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "x.log"
    path.write_bytes(b"x\n" * 400_000)
    return path


def test_memory_stays_flat_over_many_rejects(xs: Path) -> None:
    """400,000 one-byte bad lines (as many rejects), with 1 and with 4 workers (the two runs side by
    side): a peak RSS under 150 MB each."""
    runs = {
        workers: subprocess.Popen(
            [sys.executable, "-c", PEAK_RSS, NORMALIZE, "-s", SCHEMA, str(xs), "-w", str(workers), *DEV_NULL],
            stdout=subprocess.PIPE,
        )
        for workers in (1, 4)
    }
    for workers, proc in runs.items():
        status, output, _ = finish(proc)
        assert status == 0
        head, err = output.split(b"\n", 1)
        status, peak_kib = map(int, head.split())
        assert status == 0, err
        assert summary(err) == {"lines": 400_000, "events": 0, "rejects": 400_000, "skipped": 0}
        assert peak_kib < 150 * 1024, f"-w {workers}: peak RSS {peak_kib / 1024:.0f} MB"


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_standard_stream_redirected_to_the_other_output_file(tmp_path: Path, stream: str) -> None:
    """`normalize in.log --rejects out > out` (or `-o out 2> out`): refused like `-o F --rejects F`,
    or, if allowed, whole records only, all of them. Before the fix, both writers start at offset 0 and
    overwrite each other: torn lines."""
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\ngarbage 2\n" * 20)
    shared = tmp_path / "out"
    option = ["--rejects", str(shared)] if stream == "stdout" else ["-o", str(shared)]
    with shared.open("wb") as redirected:
        result = subprocess.run(
            [NORMALIZE, "-s", SCHEMA, str(data), "--quiet", *option],
            stdin=subprocess.DEVNULL,
            **{stream: redirected},  # type: ignore[arg-type]
            check=False,
            timeout=GUARD,
        )
    if result.returncode == 2:  # refused, before anything is written but the error (when on stderr)
        clash = f"normalize: {shared} and stderr are one file: their records would overwrite each other\n"
        assert shared.read_bytes() == (b"" if stream == "stdout" else clash.encode())
        return
    assert result.returncode == 0
    lines = shared.read_bytes().split(b"\n")
    assert lines.pop() == b""
    records = [orjson.loads(line) for line in lines]  # before the fix: JSONDecodeError on a torn line
    assert sorted(r.get("reason", "event") for r in records) == ["event"] * 20 + ["no_match"] * 20


# ---------------------------------------------------------------------------------------------------
# Closed standard streams (`<&-`, `>&-`, `2>&-`: Python then has sys.stdin/stdout/stderr = None)


def _closing(*fds: int):  # type: ignore[no-untyped-def]
    def close() -> None:
        for fd in fds:
            os.close(fd)

    return close


def test_a_closed_stdin_does_not_matter_when_inputs_are_files(tmp_path: Path) -> None:
    """`normalize -s S in.log -o out --rejects rej <&-` (a daemon's way): stdin is not read at all.
    Before the fix, every record is written, then `raw is not sys.stdin.buffer` raises: exit 1, no summary."""
    data, out, rej = tmp_path / "in.log", tmp_path / "out", tmp_path / "rej"
    data.write_text(f"{GOOD}\ngarbage 2\n")
    result = run("-s", SCHEMA, data, "-o", out, "--rejects", rej, stdin=None, preexec_fn=_closing(0))
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert summary(result.stderr) == {"lines": 2, "events": 1, "rejects": 1, "skipped": 0}


def test_a_closed_stderr_does_not_stop_a_run_into_files(tmp_path: Path) -> None:
    """`normalize -s S in.log -o out --rejects rej 2>&-` (cron): nothing needs stderr but the summary.
    Before the fix, `sys.stderr.isatty()` raises after the outputs are created: both stay empty, exit 1."""
    data, out, rej = tmp_path / "in.log", tmp_path / "out", tmp_path / "rej"
    data.write_text(f"{GOOD}\ngarbage 2\n")
    result = run("-s", SCHEMA, data, "-o", out, "--rejects", rej, preexec_fn=_closing(2))
    assert result.returncode == 0
    assert len(read_records(out, kind="events").digests) == 1
    assert read_records(rej, kind="rejects").lines == [2]


@pytest.mark.parametrize("closed", ["stdin-as-input", "stdout-for-events"])
def test_a_closed_stream_that_is_needed_is_one_line_and_exit_2(tmp_path: Path, closed: str) -> None:
    """Reading a closed stdin, or writing events to a closed stdout: a usage error (one line, exit 2),
    never a traceback."""
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\n")
    if closed == "stdin-as-input":
        result = run("-s", SCHEMA, "--rejects", tmp_path / "rej", stdin=None, preexec_fn=_closing(0))
    else:
        result = run("-s", SCHEMA, data, stdout=None, stderr=subprocess.PIPE, preexec_fn=_closing(1))
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    assert result.returncode == 2
    assert result.stderr.startswith(b"normalize: ") and result.stderr.count(b"\n") == 1


def test_events_on_a_pipe_when_the_rejects_file_fails(corpus: Corpus, tmp_path: Path) -> None:
    """`normalize FILE --rejects rej | consumer` with a file size limit the rejects file reaches:
    stdout holds exactly the events of lines 1..N, as many as the summary counts."""
    rej = tmp_path / "rej"
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "-w", "1", "--rejects", str(rej)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: _limit_file_size(300_000),
    )
    status, out, err = finish(proc)
    assert status == 2, err
    assert err.decode().splitlines()[-1].startswith(f"normalize: cannot write {rej}: File too large; "), err
    line = stopped_at(err, corpus.path)
    events = [_digest(stable_event(orjson.loads(each))) for each in out.splitlines()]
    assert summary(err)["events"] == len(events)  # before the fix: 3,824 counted, 7,101 written
    corpus.assert_complete_up_to(line, Records(events, [], b""), read_records(rej, kind="rejects"))


def test_a_signal_while_blocked_on_a_full_pipe_is_not_lost(corpus: Corpus) -> None:
    """`normalize big.log | slow-reader`, SIGTERM, then the reader exits: 143 and the stop line."""
    proc = start(
        ["-s", SCHEMA, str(corpus.path), "--rejects", "/dev/null"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert orjson.loads(proc.stdout.readline())  # the first batch (1 MB) is being written ...
        time.sleep(0.2)  # ... and its write blocks on the full pipe
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        proc.stdout.close()  # the reader goes away
        status = proc.wait(timeout=GUARD)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status == 143, err  # before the fix: 0, and nothing on stderr
    assert b"normalize: stopped by SIGTERM: " in err


def test_appending_to_a_file_and_a_write_fails(corpus: Corpus, tmp_path: Path) -> None:
    """`normalize FILE --rejects /dev/null >> events.ndjson` (O_APPEND, offset 0, as the shell opens
    it) reaching a file size limit: what was in the file stays, then whole records of lines 1..N."""
    events = tmp_path / "events.ndjson"
    previous = b'{"previous":"run"}\n' * 150_000  # 2.85 MB from earlier runs
    events.write_bytes(previous)
    fd = os.open(events, os.O_WRONLY | os.O_APPEND)
    try:
        proc = start(
            ["-s", SCHEMA, str(corpus.path), "-w", "1", "--rejects", "/dev/null"],
            stdout=fd,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: _limit_file_size(4_000_000),
        )
        status, _, err = finish(proc)
    finally:
        os.close(fd)
    assert status == 2, err
    assert err.decode().splitlines()[-1].startswith("normalize: cannot write stdout: File too large; "), err
    data = events.read_bytes()
    assert data[: len(previous)] == previous  # before the fix: cut (a first batch that fails leaves nothing)
    events.write_bytes(data[len(previous) :])
    written = read_records(events, kind="events")
    assert len(written.digests) == summary(err)["events"]


@pytest.mark.parametrize("option", ["-o", "--rejects"])
def test_an_output_over_the_file_stdin_reads_is_refused(tmp_path: Path, option: str) -> None:
    """`normalize -s S -o in.log < in.log`: refused like `normalize -s S in.log -o in.log`."""
    data = tmp_path / "in.log"
    content = f"{GOOD}\ngarbage 2\n".encode()
    data.write_bytes(content)
    with data.open("rb") as stdin:
        result = run("-s", SCHEMA, option, data, stdin=stdin)
    assert data.read_bytes() == content  # before the fix: b""
    assert (result.returncode, result.stderr.count(b"\n")) == (2, 1), result.stderr


def test_stdout_appended_to_an_input_is_refused(corpus: Corpus, tmp_path: Path) -> None:
    data = tmp_path / "in.log"
    content = b"\n".join(corpus.path.read_bytes().split(b"\n")[:20_000]) + b"\n"  # several blocks
    data.write_bytes(content)
    fd = os.open(data, os.O_WRONLY | os.O_APPEND)
    try:
        result = run("-s", SCHEMA, data, "--rejects", "/dev/null", stdout=fd, stderr=subprocess.PIPE)
    finally:
        os.close(fd)
    if result.returncode == 0:  # before the fix: 36,000 lines, its own 16,000 events read back as rejects
        assert summary(result.stderr)["lines"] == 20_000, result.stderr
    assert (result.returncode, data.read_bytes() == content) == (2, True), result.stderr  # refused


WRITE = {"x86_64": 1, "aarch64": 64}[platform.machine()]  # the number of write(2)


def sending_a_result(pid: int) -> bool:
    """Wait until worker ``pid`` is inside write(2): the only thing a worker writes is a result, in
    a pipe smaller than the result, so it is then half sent (``/proc/PID/syscall``)."""
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        if Path(f"/proc/{pid}/syscall").read_text().split()[0] == str(WRITE):
            return True
    return False


def test_a_worker_process_that_dies_is_one_line_and_exit_2(corpus: Corpus, tmp_path: Path) -> None:
    out, rej, err = tmp_path / "out", tmp_path / "rej", tmp_path / "err"
    args = _with_worker_processes(corpus, out, rej)
    with err.open("wb") as stderr:
        proc = start(args, stderr=stderr, start_new_session=True)
        try:
            assert stoppable(proc)
            children: list[str] = []
            deadline = time.monotonic() + GUARD
            while not children and time.monotonic() < deadline and proc.poll() is None:
                children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
                time.sleep(0.01)
            assert children, "no worker process"
            worker = int(children[0])
            assert sending_a_result(worker), "the worker never wrote"
            os.kill(worker, signal.SIGKILL)
            try:
                status: int | None = proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                status = None  # before the fix: the pool waits for the rest of the result for ever
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    errors = err.read_bytes()
    assert status is not None, f"the run hung after its worker died: {errors.decode()}"
    assert b"Traceback" not in errors, errors.decode()  # before the fix: BrokenProcessPool, exit 1
    assert status == 2, errors
    read_records(out, kind="events")  # whole records
    read_records(rej, kind="rejects")
