"""The lake (``engine.lake``): where records land, commits sharing fsyncs, a failed flush leaving
nothing, and torn tails of dead writers cut at the next start."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import orjson
import pytest

from engine import Normalizer, Registry, search_path
from engine import lake as lake_module
from engine.lake import Lake, partition_folder, partition_of_event, safe_name
from engine.reader import read_blocks

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {
    "Heroku.Runtime": REPO / "schemas/Heroku/sample.log",
    "Apache.AccessCombined": REPO / "schemas/Apache/sample.log",
    "AWS.CloudTrail": REPO / "schemas/AWS/CloudTrail.sample.log",
    "AWS.VPCFlow": REPO / "schemas/AWS/VPCFlow.sample.log",
    "Syslog.RFC5424": REPO / "schemas/Syslog/RFC5424.sample.log",
}


def encoded(name: str) -> tuple[bytes, bytes]:
    normalizer = Normalizer(Registry(search_path()).load(name))
    with SAMPLES[name].open("rb") as f:
        parts = [normalizer.encode_block(b, source=name) for b in read_blocks(f)]  # type: ignore[arg-type]
    return b"".join(p.ndjson for p in parts), b"".join(p.rejects for p in parts)


def test_the_partition_read_from_the_bytes_is_the_events_own() -> None:
    lines = []
    for name in SAMPLES:
        lines += encoded(name)[0].splitlines()
    # a raw json field may hold the same text as a p_ key: the last one, the real key, counts
    lines.append(
        b'{"raw":{"p_log_type":"Fake","p_event_time":"1999-01-01 00:00:00.000000000"},'
        b'"p_log_type":"Custom.Real","p_row_id":"x","p_event_time":"2024-03-15 10:11:12.000000000",'
        b'"p_parse_time":"2026-12-07 05:00:00.000000000","p_any_ip_addresses":["\\"p_log_type\\":\\""]}'
    )
    assert len(lines) > 30
    for line in lines:
        event = orjson.loads(line)
        stamp = event["p_event_time"]
        hour = f"{stamp[:4]}/{stamp[5:7]}/{stamp[8:10]}/{stamp[11:13]}"
        assert partition_of_event(line) == (event["p_log_type"], hour)


@pytest.mark.parametrize(
    ("name", "segment"),
    [("Heroku.Runtime", "Heroku.Runtime"), ("a/b", "a_b"), ("..", "_.."), (".", "_."), ("", "_"), ("é", "_")],
)
def test_names_are_one_safe_path_segment(name: str, segment: str) -> None:
    assert safe_name(name) == segment


def test_records_land_by_log_type_and_hour_and_commits_share_fsyncs(tmp_path: Path) -> None:
    events, rejects = encoded("Heroku.Runtime")
    assert events and rejects
    lake = Lake(tmp_path, writer="w1")
    commits = 200

    def work() -> None:
        for _ in range(commits // 8):
            lake.commit(events, rejects, now=1_710_497_000.0)  # 2024-03-15 10:03 UTC

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lake.close()
    assert lake.flushes < commits  # commits waiting behind a flush went out together
    written = Counter()
    for path in Lake(tmp_path, writer="w2").files():
        kind, name, *hour, file = path.relative_to(tmp_path).parts
        written[(kind, name, "/".join(hour), file)] += len(path.read_bytes().splitlines())
    hive = "year={}/month={}/day={}/hour={}"
    hours = {orjson.loads(line)["p_event_time"][:13] for line in events.splitlines()}
    assert {(name, h) for (kind, name, h, _) in written if kind == "events"} == {
        ("p_log_type=Heroku.Runtime", hive.format(h[:4], h[5:7], h[8:10], h[11:13])) for h in hours
    }
    assert sum(n for (kind, *_), n in written.items() if kind == "events") == commits * len(
        events.splitlines()
    )
    assert written[
        ("rejects", "schema=Heroku.Runtime", hive.format(2024, "03", 15, 10), "w1.ndjson")
    ] == commits * len(rejects.splitlines())


FAILING = """
import resource, sys
from engine.lake import Lake
lake = Lake(sys.argv[1], writer="w")
line = b'{"p_log_type":"T","p_row_id":"r","p_event_time":"2024-03-15 10:00:00.000000000"}\\n'
lake.commit(line * 10)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    lake.commit(line * 1000)
except OSError as exc:
    print(exc.errno)
    print(exc.filename)
"""


def test_a_commit_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    """A real EFBIG (a file size limit) in the middle of a flush: the commit raises naming the file,
    and the file is cut back to the records committed before it."""
    result = subprocess.run([sys.executable, "-c", FAILING, str(tmp_path)], capture_output=True, check=False)
    errno, filename = result.stdout.decode().split("\n")[:2]
    assert errno == "27", result.stderr  # EFBIG
    (path,) = Lake(tmp_path, writer="reader").files()
    assert filename == str(path)  # the error names the file, not the lake
    assert len(path.read_bytes().splitlines()) == 10 and path.read_bytes().endswith(b"\n")


def test_a_commit_names_the_partition_that_failed_not_the_one_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error with no file name of its own (EIO from the fsync of a new partition's folder, which
    no test can cause for real) names that partition's folder: it named the file of the partition
    written before it, which was fine. The commit is undone in both."""
    folders = lake_module.fsync_folders

    def failing(folder: Path, *more: Path) -> None:
        if folder.name == "hour=11":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        folders(folder, *more)

    monkeypatch.setattr(lake_module, "fsync_folders", failing)
    line = b'{"p_log_type":"T","p_row_id":"r","p_event_time":"2024-03-15 %02d:00:00.000000000"}\n'
    with Lake(tmp_path, writer="w", fsync=True) as lake, pytest.raises(OSError) as caught:
        lake.commit(line % 10 + line % 11)
    assert caught.value.errno == errno.EIO
    assert caught.value.filename == str(partition_folder(tmp_path, "events", "T", "2024/03/15/11"))
    assert {path.read_bytes() for path in Lake(tmp_path, writer="reader").files()} == {b""}


def test_recover_cuts_torn_tails_of_dead_writers_only(tmp_path: Path) -> None:
    line = b'{"p_log_type":"T","p_row_id":"r","p_event_time":"2024-03-15 10:00:00.000000000"}\n'
    live = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from engine.lake import Lake; "
            "l = Lake(sys.argv[1], writer='live'); print(flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert live.stdout is not None and live.stdout.readline() == b"\n"  # holds its lock now
        folder = tmp_path / "events/p_log_type=T/year=2024/month=03/day=15/hour=10"
        folder.mkdir(parents=True)
        (folder / "dead.ndjson").write_bytes(line * 3 + line[:20])
        (folder / "live.ndjson").write_bytes(line * 2 + line[:20])  # being written
        cut = Lake(tmp_path, writer="new").recover()
        assert [(p.name, n) for p, n in cut] == [("dead.ndjson", 20)]
        assert (folder / "dead.ndjson").read_bytes() == line * 3
        assert (folder / "live.ndjson").read_bytes() == line * 2 + line[:20]
    finally:
        live.kill()
        live.wait()


def test_a_writer_name_is_taken_once(tmp_path: Path) -> None:
    first = Lake(tmp_path, writer="same")
    with pytest.raises(BlockingIOError):
        Lake(tmp_path, writer="same")
    first.close()
    Lake(tmp_path, writer="same").close()
    with pytest.raises(ValueError, match="letters, digits"):
        Lake(tmp_path, writer="a.b")
    assert not os.path.exists(tmp_path / "events")


def test_the_cli_writes_the_same_lake_as_the_server(tmp_path: Path) -> None:
    """``normalize --out DIR``: events by log type and hour, rejects beside them, counted as the
    run counts them; -o with --out is refused."""
    normalize = str(Path(sys.executable).with_name("normalize"))
    sample = SAMPLES["Heroku.Runtime"]
    result = subprocess.run(
        [normalize, "-s", "Heroku.Runtime", str(sample), "--out", str(tmp_path / "lake")],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    events = [p for p in (tmp_path / "lake" / "events").rglob("*.ndjson")]
    rejects = [p for p in (tmp_path / "lake" / "rejects").rglob("*.ndjson")]
    count = {
        kind: sum(len(p.read_bytes().splitlines()) for p in paths)
        for kind, paths in (("e", events), ("r", rejects))
    }
    assert result.stderr.startswith(b"normalize: 24 lines: 21 events, 2 rejects")
    assert count == {"e": 21, "r": 2}
    assert {p.relative_to(tmp_path / "lake").parts[:2] for p in events + rejects} == {
        ("events", "p_log_type=Heroku.Runtime"),
        ("rejects", "schema=Heroku.Runtime"),
    }
    for path in events:  # each event in the folder of its hour
        for line in path.read_bytes().splitlines():
            t = orjson.loads(line)["p_event_time"]
            hour = (f"year={t[:4]}", f"month={t[5:7]}", f"day={t[8:10]}", f"hour={t[11:13]}")
            assert path.relative_to(tmp_path / "lake").parts[2:6] == hour
    refused = subprocess.run(
        [
            normalize,
            "-s",
            "Heroku.Runtime",
            str(sample),
            "--out",
            str(tmp_path / "l2"),
            "-o",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        check=False,
    )
    assert refused.returncode == 2 and b"not with -o or --rejects" in refused.stderr


def test_a_commit_spanning_more_hours_than_open_files_is_whole(tmp_path: Path) -> None:
    """A backfill: one commit with events in 300 hours (more than the files kept open) is written
    and fsynced whole, and the lake goes on."""
    lines = [
        b'{"p_log_type":"T","p_row_id":"r","p_event_time":"2024-%02d-%02d %02d:00:00.000000000"}\n'
        % (1 + i // 600, 1 + i // 24 % 25, i % 24)
        for i in range(300)
    ]
    with Lake(tmp_path, writer="w") as lake:
        lake.commit(b"".join(lines))
        lake.commit(lines[0])
    files = list(Lake(tmp_path, writer="r").files())
    assert len(files) == 300
    assert sum(len(p.read_bytes().splitlines()) for p in files) == 301


def test_a_run_into_a_lake_names_the_file_it_could_not_write(tmp_path: Path) -> None:
    """A file size limit under ``normalize --out``: the error names the lake file that failed (it
    named ``lake/events`` while the rejects file was the one that grew), and exit 2."""
    source = tmp_path / "garbage.log"
    source.write_bytes(b"garbage line\n" * 300_000)
    out = tmp_path / "lake"

    def limit() -> None:
        import resource  # noqa: PLC0415 - in the child, before exec

        resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, resource.RLIM_INFINITY))

    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("normalize")),
            "-s",
            "Heroku.Runtime",
            str(source),
            "--out",
            str(out),
        ],
        capture_output=True,
        check=False,
        preexec_fn=limit,
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.decode().splitlines()[-1]
    (path,) = Lake(out, writer="reader").files()
    assert path.is_relative_to(out / "rejects")
    assert last.startswith(f"normalize: cannot write {path}: File too large; events and rejects are complete")
