"""A lake of Parquet files (``normalize --format parquet --out DIR``), written atomically.

The layout is the NDJSON lake's (``lake.partition_folder``), one hour a folder, Hive-style::

    DIR/events/p_log_type=<log type>/year=YYYY/month=MM/day=DD/hour=HH/<writer>[.N].parquet
    DIR/rejects/schema=<schema>/year=YYYY/month=MM/day=DD/hour=HH/<writer>[.N].parquet

Events of a log type are written through its fixed Arrow schema (``columnar.events_schema``),
rejects through ``columnar.REJECTS_SCHEMA``, zstd-compressed; an events batch is cut by the hour of
its ``p_event_time`` with Arrow compute kernels (a stable sort, never a loop per row).

**Memory stays flat.** Rows wait per partition until they fill a row group (``row_group_rows``),
which is then written to the partition's open file; all partitions' waiting rows together are held
under ``buffer_bytes`` (past it, the largest partition's rows go out as a smaller row group), and at
most ``max_open_files`` files are open.

**Atomic files.** A file is written under a hidden name in its partition folder
(``.<writer>[.N].parquet.tmp``: Spark, Hive and Athena skip names starting with ``.``), then closed
(its footer written), fsynced, renamed to its real name, and the folder fsynced. A visible
``.parquet`` file is always whole, even after SIGKILL; ``recover`` removes the hidden files of
writers that are no longer running (their ``DIR/.writers`` lock is free), as ``Lake.recover`` cuts
their torn NDJSON tails.

**What a stop promises: checkpoints.** A Parquet file cannot be appended to once closed, and rows
become visible only when their file is renamed. So files are never finalized one by one: a
*checkpoint* finalizes every file the lake has open or buffered, together, and only at a batch
boundary, in the run's thread (the writer thread only says one is ``due``). It happens when a file
reaches its size (``max_file_bytes`` or ``max_file_rows``), when one more file would have to be
opened past ``max_open_files``, and at the end of the run (after SIGINT or SIGTERM too: everything
buffered is finalized and the position is the last batch).
Between checkpoints the sinks say ``pending``, so ``pipeline.Run`` keeps reporting the position of
the last checkpoint; a write that fails (a full disk, a file size limit) discards everything since
the last checkpoint (``abort``: hidden files removed), and the run reports that position: every
visible file holds exactly the events and rejects of the lines up to it, no more and no fewer. A
checkpoint writes and fsyncs every file before it renames any, so a failure there leaves nothing of
it visible either. The price: a run makes at least one file per partition per checkpoint, and a
backfill spanning more than ``max_open_files`` hours checkpoints often (smaller files).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .batch import Encoded
from .columnar import Columnar, Converted
from .lake import (
    EVENTS,
    MAX_FILE_BYTES,
    PARTITION_KEYS,
    REJECTS,
    WriterLock,
    fsync_folders,
    hour_of,
    naming,
    partition_folder,
    safe_name,
)
from .spec import Schema

ROW_GROUP_ROWS: Final = 64 << 10
"""Rows of a row group (the last of a file may hold fewer). Measured on Heroku events (about 350
Arrow bytes and 70 Parquet bytes a row): writing costs 1.70 µs a row with 16 Ki rows, 1.33 with
64 Ki and 1.29 with 128 Ki, whose rows hold 45 MB while they wait, against 22 MB."""
BUFFER_BYTES: Final = 64 << 20
"""Arrow bytes of the rows waiting for their row group, all partitions together."""
MAX_OPEN_FILES: Final = 64
CHECKPOINT_SECONDS: Final = 60.0
"""On live input, rows become visible at the first batch this long after the last checkpoint."""
COMPRESSION: Final = "zstd"
TEMP_SUFFIX: Final = ".tmp"
_HOURS: Final = "year=*/month=*/day=*/hour=*"
_NS_PER_SECOND: Final = 10**9

Key = tuple[str, str, str]
"""A partition: kind (``events``/``rejects``), its name (safe), its hour ``YYYY/MM/DD/HH``."""


@dataclass
class _File:
    """A partition's file being written under its hidden name."""

    temp: Path
    final: Path
    sink: pa.NativeFile
    writer: pq.ParquetWriter
    rows: int = 0


@dataclass
class _Partition:
    """A partition's rows waiting for a row group, and its open file, if any."""

    schema: pa.Schema
    waiting: list[pa.RecordBatch] = field(default_factory=list)
    rows: int = 0
    nbytes: int = 0
    file: _File | None = None
    files: int = 0
    """Files this writer has made for the partition (its next file's number is one more)."""


class ParquetLake:
    """The Parquet lake under ``root``, written by this process as ``writer`` (see the module)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        writer: str | None = None,
        row_group_rows: int = ROW_GROUP_ROWS,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_file_rows: int | None = None,
        buffer_bytes: int = BUFFER_BYTES,
        max_open_files: int = MAX_OPEN_FILES,
        fsync: bool = True,
    ) -> None:
        self.root = Path(root)
        self._lock = WriterLock(self.root, writer)
        self.writer = self._lock.writer
        self.row_group_rows = row_group_rows
        self.max_file_bytes = max_file_bytes
        self.max_file_rows = max_file_rows
        self.buffer_bytes = buffer_bytes
        self.max_open_files = max_open_files
        self.fsync = fsync
        self._partitions: dict[Key, _Partition] = {}
        self._open: dict[Key, None] = {}
        """The partitions with an open file, least recently written first."""
        self._waiting_bytes = 0
        self._new_folders: set[Path] = set()
        self.checkpoints = 0
        """Checkpoints that made files visible."""
        self.pending = False
        """Whether rows were added since the last checkpoint (not visible yet): a plain flag, read
        from another thread than the one writing."""
        self.due = False
        """Whether the lake needs a checkpoint (a file is full, or too many are open): the caller
        makes it, between batches, where it knows the position it stands for."""

    # --- writing --------------------------------------------------------------------------------

    def add(self, events: dict[str, pa.RecordBatch], rejects: pa.RecordBatch, *, now: float) -> None:
        """One batch's events (by log type) and rejects (in the hour ``now``); may write row groups
        and make a checkpoint ``due``. ``OSError``: call ``abort``."""
        self.pending = True
        for log_type, batch in events.items():
            for hour, rows in by_hour(batch):
                self._take((EVENTS, safe_name(log_type), hour), rows)
        written = hour_of(now)
        for schema, rows in by_schema(rejects):
            self._take((REJECTS, safe_name(schema), written), rows)
        self._drain()

    def _take(self, key: Key, rows: pa.RecordBatch) -> None:
        partition = self._partitions.get(key)
        if partition is None:
            partition = self._partitions[key] = _Partition(rows.schema)
        partition.waiting.append(rows)
        partition.rows += rows.num_rows
        partition.nbytes += rows.nbytes
        self._waiting_bytes += rows.nbytes

    def _drain(self) -> None:
        """Write full row groups, then the largest partitions' rows while over ``buffer_bytes``;
        stop, a checkpoint ``due``, when a file to write to is full or one more would be opened
        past the cap (rows wait until the checkpoint)."""
        while not self.due:
            key, partition = self._next_group()
            if partition is None:
                return
            file = partition.file
            if (file is not None and self._full(file)) or (
                file is None and len(self._open) >= self.max_open_files
            ):
                self.due = True
                return
            self._write_group(key, partition)

    def _next_group(self) -> tuple[Key, _Partition | None]:
        """The partition whose rows should go out as a row group now, if any."""
        for key, partition in self._partitions.items():
            if partition.rows >= self.row_group_rows:
                return key, partition
        if self._waiting_bytes > self.buffer_bytes:
            return max(self._partitions.items(), key=lambda item: item[1].nbytes)
        return (EVENTS, "", ""), None

    def _full(self, file: _File) -> bool:
        """Whether ``file`` takes no more rows (``max_file_rows``, or past ``max_file_bytes``)."""
        if self.max_file_rows is not None and file.rows >= self.max_file_rows:
            return True
        return file.sink.tell() >= self.max_file_bytes

    def _write_group(self, key: Key, partition: _Partition) -> None:
        """One row group of ``partition``'s waiting rows (at most what its file still takes) to
        its file, opened when it has none."""
        file = partition.file or self._open_file(key, partition)
        self._open[key] = self._open.pop(key, None)  # the most recently written, last
        rows = self.row_group_rows
        if self.max_file_rows is not None:
            rows = min(rows, self.max_file_rows - file.rows)
        table = pa.Table.from_batches(partition.waiting, partition.schema)
        group = table.slice(0, rows)
        with naming(file.temp):
            file.writer.write_table(group, row_group_size=rows)
        file.rows += group.num_rows
        rest = table.slice(group.num_rows)
        partition.waiting = rest.to_batches() if rest.num_rows else []
        self._waiting_bytes -= partition.nbytes
        partition.rows = rest.num_rows
        partition.nbytes = sum(b.nbytes for b in partition.waiting)
        self._waiting_bytes += partition.nbytes

    def _open_file(self, key: Key, partition: _Partition) -> _File:
        kind, name, hour = key
        folder = partition_folder(self.root, kind, name, hour)
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            self._new_folders.add(folder)
        while True:
            partition.files += 1
            number = partition.files
            final = folder / (f"{self.writer}.parquet" if number == 1 else f"{self.writer}.{number}.parquet")
            temp = folder / f".{final.name}{TEMP_SUFFIX}"
            if not final.exists() and not temp.exists():
                break
        sink = pa.OSFile(str(temp), "wb")
        try:
            writer = pq.ParquetWriter(sink, partition.schema, compression=COMPRESSION)
        except BaseException:
            sink.close()
            raise
        partition.file = _File(temp, final, sink, writer)
        return partition.file

    def checkpoint(self) -> list[Path]:
        """Make every row added so far visible: each partition's waiting rows written, its file
        closed and fsynced, then all renamed into place and their folders fsynced. Returns the
        files made visible. ``OSError``: none of them is (call ``abort``)."""
        closed: list[_File] = []
        for key, partition in self._partitions.items():
            while partition.rows:
                if partition.file is not None and self._full(partition.file):
                    closed.append(self._close(key, partition))
                self._write_group(key, partition)
            if partition.file is not None:
                closed.append(self._close(key, partition))
        renamed: list[_File] = []
        try:
            for file in closed:
                os.rename(file.temp, file.final)
                renamed.append(file)
            if self.fsync:
                for folder in {file.final.parent for file in closed}:
                    top = self.root if folder in self._new_folders else folder
                    fsync_folders(folder, top)
        except OSError:
            for file in renamed:  # take back what was renamed, so that nothing of it shows
                with contextlib.suppress(OSError):
                    os.rename(file.final, file.temp)
            raise
        self._partitions.clear()  # a partition's next file takes the next free number
        self._new_folders.clear()
        self.pending = self.due = False
        if closed:
            self.checkpoints += 1
        return [file.final for file in closed]

    def _close(self, key: Key, partition: _Partition) -> _File:
        """Finish ``partition``'s file under its hidden name (an ``abort`` still removes it)."""
        file = partition.file
        assert file is not None
        partition.file = None
        self._open.pop(key, None)
        with naming(file.temp):
            _finish(file, self.fsync)
        return file

    def abort(self) -> None:
        """Drop every row added since the last checkpoint: waiting rows, open and closed hidden
        files. Nothing visible changes."""
        for partition in self._partitions.values():
            file = partition.file
            if file is not None:
                with contextlib.suppress(Exception):
                    file.writer.close()
                with contextlib.suppress(Exception):
                    file.sink.close()
        for folder in {partition_folder(self.root, *key) for key in self._partitions}:
            for temp in folder.glob(f".{self.writer}.*{TEMP_SUFFIX}"):
                with contextlib.suppress(OSError):
                    temp.unlink()
        self._partitions.clear()
        self._open.clear()
        self._new_folders.clear()
        self._waiting_bytes = 0
        self.pending = self.due = False

    def close(self) -> None:
        """Drop what no checkpoint made visible (``abort``) and let the writer's name go."""
        self.abort()
        self._lock.release()

    def __enter__(self) -> ParquetLake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading and recovery -------------------------------------------------------------------

    def files(self) -> Iterator[Path]:
        """Every visible Parquet file of the lake."""
        for kind in (EVENTS, REJECTS):
            yield from sorted((self.root / kind).glob(f"{PARTITION_KEYS[kind]}=*/{_HOURS}/*.parquet"))

    def recover(self) -> list[Path]:
        """Remove the hidden files of writers that are not running (killed before a checkpoint);
        return them. None of their rows had been reported written."""
        removed = []
        for kind in (EVENTS, REJECTS):
            pattern = f"{PARTITION_KEYS[kind]}=*/{_HOURS}/.*.parquet{TEMP_SUFFIX}"
            for temp in sorted((self.root / kind).glob(pattern)):
                if self._lock.gone(temp.name[1:].split(".", 1)[0]):
                    temp.unlink(missing_ok=True)
                    removed.append(temp)
        return removed


def _finish(file: _File, fsync: bool) -> None:
    """Close a file (its footer written) and make its bytes durable."""
    file.writer.close()
    file.sink.close()
    if fsync:
        fd = os.open(file.temp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def by_hour(batch: pa.RecordBatch) -> list[tuple[str, pa.RecordBatch]]:
    """An events batch cut by the UTC hour of ``p_event_time`` (``YYYY/MM/DD/HH``), rows in order
    within each hour, hours in time order."""
    if batch.num_rows == 0:
        return []
    hours = pc.floor_temporal(batch.column("p_event_time"), unit="hour").cast(pa.int64())
    first = hours[0].as_py()
    if pc.all(pc.equal(hours, first)).as_py():  # the common case: one hour
        return [(hour_of(first // _NS_PER_SECOND), batch)]
    order = pc.sort_indices(hours)  # stable: rows of one hour keep their order
    ordered = batch.take(order)
    counts = pc.value_counts(hours.take(order))
    found, start = [], 0
    for hour, count in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        found.append((hour_of(hour // _NS_PER_SECOND), ordered.slice(start, count)))
        start += count
    return found


def by_schema(rejects: pa.RecordBatch) -> list[tuple[str, pa.RecordBatch]]:
    """A rejects batch cut by its ``schema`` column (none or empty: ``unknown``), in order."""
    if rejects.num_rows == 0:
        return []
    schemas = pc.if_else(pc.equal(rejects.column("schema"), ""), None, rejects.column("schema"))
    schemas = pc.fill_null(schemas, "unknown")
    names = pc.unique(schemas).to_pylist()
    if len(names) == 1:
        return [(names[0], rejects)]
    return [(name, rejects.filter(pc.equal(schemas, name))) for name in names]


class ParquetSinks:
    """A Parquet lake as a run's two sinks (``events``, ``rejects``: the ``sinks.Sink`` interface,
    plus ``prepare``, ``pending`` and ``checkpoint`` that ``pipeline.Run`` asks for): each batch is
    converted to Arrow (``prepare``), handed whole to a writer thread when the run commits it, and
    visible from the next checkpoint on.

    The writer thread encodes and compresses row groups (pyarrow lets go of the GIL) while the run
    reads, normalizes and converts the next batches; at most ``IN_FLIGHT`` batches wait for it. A
    write that fails there is raised by the next commit or checkpoint; until then the sinks stay
    ``pending``, so the run's position never passes the last checkpoint."""

    IN_FLIGHT: Final = 2

    def __init__(
        self, lake: ParquetLake, schemas: Sequence[Schema], *, checkpoint_seconds: float = CHECKPOINT_SECONDS
    ) -> None:
        self.lake = lake
        self.schemas = tuple(schemas)
        self.checkpoint_seconds = checkpoint_seconds
        """A checkpoint is also made at the first commit this long after the last one, so that rows
        of live input become visible while it flows (``0``: only when files fill, and at the end)."""
        self._last_checkpoint = time.monotonic()
        self._columnar: dict[str, Columnar] = {}
        self._converters = threading.Lock()
        self._staged: Converted | None = None
        self.events = _ParquetSink(self, f"{lake.root}/events")
        self.rejects = _ParquetSink(self, f"{lake.root}/rejects")
        self._queue: queue.Queue[tuple[Converted, float] | None] = queue.Queue(self.IN_FLIGHT)
        self._busy = 0
        """Batches handed to the writer thread and not yet taken in by the lake."""
        self._count = threading.Lock()
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write_forever, name="parquet-writer", daemon=True)
        self._writer.start()

    def convert(self, batch: Encoded, source: str) -> Encoded:
        """The batch as it now counts (events whose times Arrow cannot hold are rejects), its Arrow
        form in ``prepared``. Thread-safe: the run's worker threads call it on the batches they
        make, so conversion runs on their cores (the C reader lets go of the GIL)."""
        with self._converters:
            columnar = self._columnar.get(source)
            if columnar is None:
                self._columnar.clear()  # one input at a time
                columnar = self._columnar[source] = Columnar(self.schemas, source=source)
        converted = columnar.convert(batch)
        return replace(converted.encoded, prepared=converted)

    def prepare(self, batch: Encoded, source: str) -> Encoded:
        """The batch's Arrow form (``convert``, unless a worker thread did it), kept for its commit;
        returns the batch as it now counts."""
        if batch.prepared is None:
            batch = self.convert(batch, source)
        self._staged = batch.prepared
        return batch

    @property
    def pending(self) -> bool:
        """Whether committed batches are not all visible: some wait for the writer thread, or the
        lake holds rows no checkpoint has made visible (``_busy`` first: once it is 0, the lake's
        flag is final)."""
        return self._busy > 0 or self.lake.pending

    def _write_forever(self) -> None:
        """The writer thread: each batch into the lake, until ``None``; after a failure, batches
        are dropped (the run rolls back to the last checkpoint)."""
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    converted, now = item
                    self.lake.add(converted.events, converted.rejects, now=now)
            except BaseException as exc:  # handed to the run's thread, raised there
                self._error = exc
            finally:
                if item is not None:
                    with self._count:
                        self._busy -= 1
                self._queue.task_done()

    def _raise_error(self) -> None:
        """Raise what the writer thread met; it stays set (queued batches are dropped) until the
        run rolls back."""
        if self._error is not None and not isinstance(self._error, _Dropped):
            raise self._error

    def _commit(self) -> None:
        """Hand the staged batch to the writer thread (raising a failure it met before)."""
        staged, self._staged = self._staged, None
        self._raise_error()
        if staged is not None:
            with self._count:
                self._busy += 1
            self._queue.put((staged, time.time()))
        for sink in (self.events, self.rejects):
            sink.count += sink.records
            sink.records = 0
        if self.lake.due or self._overdue():  # here, between batches: it ends at this one
            self._checkpoint()

    def _overdue(self) -> bool:
        seconds = self.checkpoint_seconds
        return seconds > 0 and time.monotonic() - self._last_checkpoint >= seconds

    def _checkpoint(self) -> None:
        """Every committed batch taken in by the lake, then made visible."""
        self._queue.join()
        self._raise_error()
        self.lake.checkpoint()
        self._last_checkpoint = time.monotonic()

    def _rollback(self) -> None:
        """Everything since the last checkpoint dropped, batches waiting for the writer included."""
        self._staged = None
        self.events.records = self.rejects.records = 0
        self._error = self._error or _Dropped()
        self._queue.join()  # the writer thread drops what is queued, then idles
        self._error = None
        self.lake.abort()

    def close(self) -> None:
        """Stop the writer thread (what it holds is dropped: the lake's ``close`` removes it)."""
        if self._writer.is_alive():
            self._error = self._error or _Dropped()
            self._queue.put(None)
            self._writer.join()

    def __enter__(self) -> ParquetSinks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Dropped(Exception):
    """Set as the writer thread's error to make it drop what is queued."""


class _ParquetSink:
    """One side of ``ParquetSinks``."""

    regular = True
    fd = -1

    def __init__(self, owner: ParquetSinks, name: str) -> None:
        self.owner = owner
        self.name = name
        self.count = 0
        self.records = 0

    def convert(self, batch: Encoded, source: str) -> Encoded:
        """See ``ParquetSinks.convert``."""
        return self.owner.convert(batch, source)

    def prepare(self, batch: Encoded, source: str) -> Encoded:
        """See ``ParquetSinks.prepare``."""
        return self.owner.prepare(batch, source)

    def write(self, data: bytes, records: int) -> None:
        """Counted only: the rows are the prepared batch's Arrow form, not these NDJSON bytes."""
        self.records += records

    def commit(self) -> None:
        """The batch's events and rejects taken in together (the second call finds nothing)."""
        self.owner._commit()

    def rollback(self) -> None:
        """Everything since the last checkpoint dropped."""
        self.owner._rollback()

    @property
    def pending(self) -> bool:
        """Whether committed batches are not visible yet (no checkpoint since)."""
        return self.owner.pending

    def checkpoint(self) -> None:
        """Make every committed batch visible."""
        self.owner._checkpoint()


__all__ = ["CHECKPOINT_SECONDS", "ROW_GROUP_ROWS", "ParquetLake", "ParquetSinks", "by_hour", "by_schema"]
