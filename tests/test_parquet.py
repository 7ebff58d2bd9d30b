"""``normalize --format parquet --out DIR``: the Parquet lake holds the data of the NDJSON run, in
Hive partitions, in whole files only (a kill, a signal, a file size limit), with the row groups and
roll-over asked for; its errors are one line."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import cli, parquet
from engine.columnar import REJECTS_SCHEMA, TIMESTAMP, events_schema
from engine.parquet import ParquetLake, by_hour
from engine.registry import Registry, search_path
from tests.test_columnar import SAMPLES, as_data, plain
from tests.test_faults import COMPLETE, summary

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
ROOT = Path(__file__).resolve().parent.parent
REGISTRY = Registry(search_path([]))
GUARD = 120.0
HOUR = re.compile(r"year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)$")


def run(*args: str | Path, **popen: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [NORMALIZE, *map(str, args)], capture_output=True, check=False, timeout=GUARD, **popen
    )


def heroku(timestamp: str, message: str = "up") -> bytes:
    body = f"<40>1 {timestamp} host app web.3 - {message}"
    return f"{len(body) + 3} {body}\n".encode()


def parquet_files(out: Path, kind: str) -> list[Path]:
    return sorted((out / kind).rglob("*.parquet"))


def hidden_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob(".*") if p.is_file() and ".writers" not in p.parts)


def partition(path: Path, out: Path) -> tuple[str, str]:
    """A file's first partition value and its hour, ``YYYY-MM-DD HH``."""
    folder = path.parent.relative_to(out).as_posix()
    m = HOUR.search(folder)
    assert m is not None, folder
    return folder.split("/")[1].split("=", 1)[1], "{}-{}-{} {}".format(*m.groups())


def canonical(rows: list[dict[str, Any]]) -> list[bytes]:
    """Rows in an order that does not depend on how they were partitioned."""
    return sorted(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in rows)


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """An event without what differs from run to run: ``p_row_id``, ``p_parse_time``, and
    ``p_event_time`` where it is the parse time (an event without a time of its own)."""
    kept = {k: v for k, v in event.items() if k not in ("p_row_id", "p_parse_time")}
    if event.get("p_event_time") == event.get("p_parse_time"):
        kept.pop("p_event_time", None)
    return kept


def _ns_hour(ns: int) -> str:
    return time.strftime("%Y-%m-%d %H", time.gmtime(ns // 10**9))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_gives_the_events_and_rejects_of_the_ndjson_run(name: str, tmp_path: Path) -> None:
    sample = ROOT / SAMPLES[name]
    events_file, rejects_file, out = tmp_path / "e.ndjson", tmp_path / "r.ndjson", tmp_path / "lake"
    ndjson = run("-s", name, sample, "-o", events_file, "--rejects", rejects_file)
    before = time.time()
    parquet = run("-s", name, sample, "--format", "parquet", "--out", out)
    after = time.time()
    assert (ndjson.returncode, parquet.returncode) == (0, 0), parquet.stderr
    assert summary(parquet.stderr) == summary(ndjson.stderr)
    arrow = events_schema(REGISTRY.load(name))
    expected = [orjson.loads(line) for line in events_file.read_bytes().splitlines()]
    got = []
    for path in parquet_files(out, "events"):
        table = pq.read_table(path)
        assert table.schema == arrow
        rows = [row for batch in table.to_batches() for row in plain(batch)]
        log_type, hour = partition(path, out)
        assert {(row["p_log_type"], _ns_hour(row["p_event_time"])) for row in rows} == {(log_type, hour)}
        got += rows
    assert canonical([comparable(r) for r in got]) == canonical(
        [comparable(as_data(e, arrow)) for e in expected]
    )
    rejected = []
    for path in parquet_files(out, "rejects"):
        table = pq.read_table(path)
        assert table.schema == REJECTS_SCHEMA
        rows = [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]
        schema, hour = partition(path, out)
        assert {row["schema"] for row in rows} == {schema}
        assert _ns_hour(int(before) * 10**9) <= hour <= _ns_hour(int(after) * 10**9)  # the hour written
        rejected += rows
    assert canonical(rejected) == canonical([orjson.loads(r) for r in rejects_file.read_bytes().splitlines()])
    assert not hidden_files(out)


def test_a_nanosecond_time_survives_exactly_in_utc(tmp_path: Path) -> None:
    source = tmp_path / "in.log"
    source.write_bytes(b"83 <40>1 2024-03-15T03:00:01.123456789-07:00 host app web.3 - up\n")
    assert (
        run("-s", "Heroku.Runtime", source, "--format", "parquet", "--out", tmp_path / "lake").returncode == 0
    )
    (path,) = parquet_files(tmp_path / "lake", "events")
    assert partition(path, tmp_path / "lake") == ("Heroku.Runtime", "2024-03-15 10")
    table = pq.read_table(path)
    for column in ("timestamp", "p_event_time"):
        assert table.schema.field(column).type == TIMESTAMP
        assert table.column(column).cast(pa.int64()).to_pylist() == [1_710_496_801_123_456_789]


def test_an_event_past_2262_is_a_bad_value_reject(tmp_path: Path) -> None:
    source = tmp_path / "in.log"
    source.write_bytes(heroku("2024-03-15T03:00:01Z") + heroku("2263-01-01T00:00:00Z"))
    result = run("-s", "Heroku.Runtime", source, "--format", "parquet", "--out", tmp_path / "lake")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(b"normalize: 2 lines: 1 events, 1 rejects (bad_value 1), 0 skipped")
    (events,) = parquet_files(tmp_path / "lake", "events")
    assert pq.read_table(events).num_rows == 1
    (rejects,) = parquet_files(tmp_path / "lake", "rejects")
    (reject,) = pq.read_table(rejects).to_pylist()
    assert (reject["reason"], reject["field"], reject["value"], reject["source"]) == (
        "bad_value",
        "timestamp",
        "2263-01-01 00:00:00.000000000",
        str(source),
    )


def test_several_schemas_and_workers_give_a_folder_per_log_type(tmp_path: Path) -> None:
    source = tmp_path / "mixed.log"
    source.write_bytes(b"".join((ROOT / SAMPLES[n]).read_bytes() for n in ("Heroku.Runtime", "Nginx.Access")))
    out = tmp_path / "lake"
    result = run(
        "-s", "Heroku.Runtime", "-s", "Nginx.Access", source, "--format", "parquet", "--out", out, "-w", "2"
    )
    assert result.returncode == 0, result.stderr
    counts: dict[str, int] = {}
    for path in parquet_files(out, "events"):
        log_type, _ = partition(path, out)
        counts[log_type] = counts.get(log_type, 0) + pq.read_table(path).num_rows
    m = re.search(rb"(\d+) events \(Heroku.Runtime (\d+), Nginx.Access (\d+)\)", result.stderr)
    assert m is not None, result.stderr
    assert counts == {"Heroku.Runtime": int(m.group(2)), "Nginx.Access": int(m.group(3))}


LINES_3000 = b"".join(heroku("2024-03-15T10:00:00Z", f"message {i}") for i in range(3000))


@pytest.mark.parametrize(
    ("options", "files"),
    [
        ([], [[3000]]),  # the default row group holds them all
        (["--row-group-rows", "1000"], [[1000, 1000, 1000]]),
        (["--row-group-rows", "1000", "--max-file-rows", "2000"], [[1000, 1000], [1000]]),
        (
            ["--row-group-rows", "500", "--max-file-rows", "1200"],
            [[500, 500, 200], [500, 500, 200], [500, 100]],
        ),
        (["--row-group-rows", "1000", "--max-file-bytes", "1"], [[1000], [1000], [1000]]),
    ],
)
def test_row_groups_and_roll_over(tmp_path: Path, options: list[str], files: list[list[int]]) -> None:
    """3,000 events of one hour, one batch: each file's row groups, files in the order made."""
    source = tmp_path / "in.log"
    source.write_bytes(LINES_3000)
    out = tmp_path / "lake"
    result = run("-s", "Heroku.Runtime", source, "--format", "parquet", "--out", out, *options)
    assert result.returncode == 0, result.stderr
    made = sorted(
        parquet_files(out, "events"), key=lambda p: int(p.name.split(".")[1]) if p.name.count(".") > 1 else 1
    )
    groups = []
    for path in made:
        meta = pq.ParquetFile(path).metadata
        groups.append([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    assert groups == files
    messages = [m for path in made for m in pq.read_table(path).column("message").to_pylist()]
    assert messages == [f"message {i}" for i in range(3000)]  # input order, nothing lost or doubled


@pytest.mark.parametrize(
    ("stamps", "hours"),
    [
        ([10, 10, 10], [("2024/03/15/10", [0, 1, 2])]),
        ([11, 10, 11, 9], [("2024/03/15/09", [3]), ("2024/03/15/10", [1]), ("2024/03/15/11", [0, 2])]),
    ],
)
def test_by_hour_cuts_a_batch_in_time_order_rows_in_input_order(
    stamps: list[int], hours: list[tuple[str, list[int]]]
) -> None:
    base = 1_710_460_800 * 10**9  # 2024-03-15 00:00 UTC
    times = [base + h * 3600 * 10**9 + i for i, h in enumerate(stamps)]
    batch = pa.record_batch({"row": list(range(len(stamps))), "p_event_time": pa.array(times, TIMESTAMP)})
    assert [(hour, part.column("row").to_pylist()) for hour, part in by_hour(batch)] == hours
    before_1970 = pa.record_batch({"p_event_time": pa.array([-1], TIMESTAMP)})
    assert [hour for hour, _ in by_hour(before_1970)] == ["1969/12/31/23"]


# --- stops ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300,000 Heroku lines (every one an event)."""
    path = tmp_path_factory.mktemp("gen") / "heroku.log"
    subprocess.run(
        [sys.executable, str(ROOT / "tools/gen_logs.py"), "heroku", "-n", "300000", "-o", str(path)],
        check=True,
        capture_output=True,
    )
    return path


SMALL_FILES = ["--row-group-rows", "2000", "--max-file-rows", "20000"]
"""Checkpoints every 20,000 rows of a partition: files become visible all along the run."""


def whole_files(out: Path) -> int:
    """Read every visible Parquet file completely; the rows of them all."""
    rows = 0
    for path in parquet_files(out, "events") + parquet_files(out, "rejects"):
        table = pq.read_table(path)
        assert table.num_rows == pq.ParquetFile(path).metadata.num_rows
        rows += table.num_rows
    return rows


def wait_for(condition: Any, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert proc.poll() is None, "the run ended before the point of the test"
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_sigkill_leaves_no_partial_file_and_the_next_run_cleans_up(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    command = [NORMALIZE, "-s", "Heroku.Runtime", str(generated), "--format", "parquet", "--out", str(out)]
    proc = subprocess.Popen([*command, *SMALL_FILES, "-w", "1"], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: parquet_files(out, "events") and hidden_files(out), proc)
    finally:
        proc.kill()
        proc.wait()
    hidden = hidden_files(out)
    assert hidden and all(p.name.startswith(".") and p.name.endswith(".parquet.tmp") for p in hidden)
    assert whole_files(out) > 0
    again = run("-s", "Heroku.Runtime", ROOT / SAMPLES["Heroku.Runtime"], "--format", "parquet", "--out", out)
    assert again.returncode == 0, again.stderr
    removed = [line for line in again.stderr.splitlines() if b"removed a hidden file" in line]
    assert len(removed) == len(hidden)
    assert not hidden_files(out)
    whole_files(out)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finalizes_everything_up_to_the_position_it_names(
    generated: Path, tmp_path: Path, signum: int
) -> None:
    out = tmp_path / "lake"
    command = [NORMALIZE, "-s", "Heroku.Runtime", str(generated), "--format", "parquet", "--out", str(out)]
    proc = subprocess.Popen([*command, *SMALL_FILES, "-w", "2"], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: bool(parquet_files(out, "events")), proc)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=GUARD)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, err
    m = COMPLETE.search(err)
    assert m is not None and m.group("source") == os.fsencode(generated), err
    line = int(m.group("line"))
    assert 0 < line < 300_000
    assert whole_files(out) == line == summary(err)["events"] == summary(err)["lines"]
    assert not hidden_files(out)


def _file_size_limit(limit: int) -> Any:
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _stopped_by_a_write_error(result: subprocess.CompletedProcess[bytes], error: bytes, out: Path) -> int:
    """Exit 2 with the error naming the file that failed, and the visible files hold exactly the
    lines up to the position reported (the last checkpoint), as the summary counts them; nothing
    hidden is left."""
    assert result.returncode == 2, result.stderr
    assert error in result.stderr, result.stderr
    # the file that failed is named (pyarrow's errors name none), under its hidden name
    failed = re.search(rb"cannot write (\S+): ", result.stderr)
    assert failed is not None, result.stderr
    path = Path(os.fsdecode(failed.group(1)))
    assert path.parent.is_relative_to(out) and path.name.startswith(".") and ".parquet" in path.name
    m = COMPLETE.search(result.stderr)
    assert m is not None, result.stderr
    line = int(m.group("line") or 0)
    assert whole_files(out) == line == summary(result.stderr)["lines"]
    assert not hidden_files(out)
    return line


def test_a_file_size_limit_before_the_first_checkpoint_leaves_nothing(
    generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lake"
    result = run(
        "-s", "Heroku.Runtime", generated, "--format", "parquet", "--out", out, *SMALL_FILES, "-w", "1",
        preexec_fn=_file_size_limit(100_000),
    )  # fmt: skip
    assert _stopped_by_a_write_error(result, b"File too large", out) == 0
    assert b"nothing was written" in result.stderr


@pytest.mark.parametrize(("tmpfs", "workers"), [("3m", 1), ("5m", 2)], indirect=["tmpfs"])
def test_a_full_disk_leaves_exactly_the_lines_up_to_the_last_checkpoint(
    generated: Path, tmpfs: Path, workers: int
) -> None:
    out = tmpfs / "lake"
    result = run(
        "-s", "Heroku.Runtime", generated, "--format", "parquet", "--out", out, *SMALL_FILES,
        "-w", str(workers),
    )  # fmt: skip
    line = _stopped_by_a_write_error(result, b"No space left on device", out)
    assert 0 < line < 300_000


def test_live_input_shows_while_it_flows(tmp_path: Path) -> None:
    """From a pipe, rows become visible while the input is still open (at the first batch that
    comes --checkpoint-seconds after the last checkpoint), the rest at the end; none lost."""
    out = tmp_path / "lake"
    command = [NORMALIZE, "-s", "Heroku.Runtime", "--format", "parquet", "--out", str(out)]
    proc = subprocess.Popen([*command, "--checkpoint-seconds", "0.3"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    sent = 0
    try:
        deadline = time.monotonic() + GUARD
        while whole_files(out) == 0:  # a line every 0.2 s, as a live feed sends them
            assert time.monotonic() < deadline and proc.poll() is None
            proc.stdin.write(heroku("2024-03-15T10:00:00Z", f"line {sent}"))
            proc.stdin.flush()
            sent += 1
            time.sleep(0.2)
        assert 0 < whole_files(out) <= sent  # visible, and the input is still open
        proc.stdin.write(heroku("2024-03-15T10:00:01Z", "last"))
    finally:
        proc.stdin.close()
    assert proc.wait(timeout=GUARD) == 0
    messages = [
        m
        for p in parquet_files(out, "events")
        for m in pq.read_table(p, columns=["message"])["message"].to_pylist()
    ]
    assert sorted(messages) == sorted([f"line {i}" for i in range(sent)] + ["last"])


def test_recover_removes_hidden_files_of_dead_writers_only(tmp_path: Path) -> None:
    folder = tmp_path / "events/p_log_type=T/year=2024/month=03/day=15/hour=10"
    folder.mkdir(parents=True)
    (folder / ".dead.parquet.tmp").write_bytes(b"PAR1")
    with ParquetLake(tmp_path, writer="live"):
        (folder / ".live.2.parquet.tmp").write_bytes(b"PAR1")
        with ParquetLake(tmp_path, writer="new") as new:
            assert new.recover() == [folder / ".dead.parquet.tmp"]
        assert (folder / ".live.2.parquet.tmp").exists()


# --- errors ---------------------------------------------------------------------------------------

NO_PYARROW = (
    "import sys; sys.modules['pyarrow'] = None; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "normalize: --format parquet writes a lake: give --out DIR"),
        (
            ["--format", "parquet", "--out", "L", "-o", "e"],
            "normalize: --format parquet writes to its lake under --out: not with -o or --rejects",
        ),
        (
            ["--format", "parquet", "--out", "L", "--rejects", "r"],
            "normalize: --format parquet writes to its lake under --out: not with -o or --rejects",
        ),
        (["--row-group-rows", "10"], "normalize: --row-group-rows is for --format parquet"),
        (["--out", "L", "--max-file-rows", "10"], "normalize: --max-file-rows is for --format parquet"),
        (["--max-file-bytes", "10"], "normalize: --max-file-bytes is for a lake: give --out DIR"),
        (
            ["--format", "parquet", "--out", "L", "--row-group-rows", "0"],
            "normalize: --row-group-rows must be from 1 to 1,073,741,824, not 0",
        ),
        (["--checkpoint-seconds", "5"], "normalize: --checkpoint-seconds is for --format parquet"),
        (
            ["--format", "parquet", "--out", "L", "--checkpoint-seconds", "-1"],
            "normalize: --checkpoint-seconds must be a number of seconds 0 or more, at most 86,400, not -1.0",
        ),
        (
            ["--format", "parquet", "--out", "L", "--checkpoint-seconds", "nan"],
            "normalize: --checkpoint-seconds must be a number of seconds 0 or more, at most 86,400, not nan",
        ),
        (["--format", "orc"], None),
        (None, "normalize: --format parquet needs pyarrow: pip install 'normalize[parquet]'"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str] | None, message: str | None) -> None:
    sample = str(ROOT / SAMPLES["Heroku.Runtime"])
    if args is None:
        command = [sys.executable, "-c", NO_PYARROW, "-s", "Heroku.Runtime", sample]
        command += ["--format", "parquet", "--out", "L"]
    else:
        command = [NORMALIZE, "-s", "Heroku.Runtime", sample, *args]
    result = subprocess.run(command, capture_output=True, check=False, cwd=tmp_path, timeout=GUARD)
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    if message is not None:
        assert lines == [message]
    assert not (tmp_path / "L").exists()


def test_the_help_says_the_default_row_group_without_importing_pyarrow() -> None:
    assert cli.ROW_GROUP_ROWS == parquet.ROW_GROUP_ROWS


def test_ndjson_runs_do_not_import_pyarrow() -> None:
    code = (
        "import sys; from engine.cli import main; main(['-s', 'Heroku.Runtime', sys.argv[1], '--quiet',"
        " '-o', '/dev/null']); print('pyarrow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / SAMPLES["Heroku.Runtime"])],
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=GUARD,
    )
    assert result.stdout == b"False\n"
