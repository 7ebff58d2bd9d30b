"""A folder of NDJSON files as a data lake reads them: events by log type and event hour, rejects
beside them, appended durably, with the fsyncs of concurrent writers shared (group commit).

Layout, one hour a folder, Hive-style (``key=value`` folders, which Spark, Athena, DuckDB and
pyarrow discover as partition columns); ``partition_folder`` builds it, for the Parquet lake too::

    DIR/events/p_log_type=<p_log_type>/year=YYYY/month=MM/day=DD/hour=HH/<writer>.ndjson
    DIR/rejects/schema=<schema>/year=YYYY/month=MM/day=DD/hour=HH/<writer>.ndjson  (the hour written)

``<writer>`` names one writing process (host, pid, start time), so a file only ever grows at its
end, by one writer; past ``max_file_bytes`` the writer goes on in ``<writer>.2.ndjson`` and so on.
A writer holds a lock on ``DIR/.writers/<writer>.lock`` while it runs (``WriterLock``), so a later
writer can tell the files of a dead one.

``Lake.submit`` hands records to the lake's flusher thread and returns a future, done once they are
written and fsynced, a new file's folder entry too: what it acknowledges survives a crash
(``commit`` waits for it). While a flush is under way the next records queue, and the next flush
writes all of them with one fsync per file (group commit): no thread but the flusher ever waits on
the disk, however many requests are in flight. A flush that fails (a full disk) cuts every file it
touched back to where it was, so a failed commit leaves nothing behind. A writer killed in
the middle of a write leaves at most a torn last record, never an acknowledged one: ``recover``
cuts such tails off the files of writers that are no longer running.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import socket
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from .sinks import cut_torn_tail

EVENTS: Final = "events"
REJECTS: Final = "rejects"
JOURNAL: Final = ".journal"
"""Notes about what was written (the Frame-Ids acknowledged), out of the data's way."""
PARTITION_KEYS: Final = {EVENTS: "p_log_type", REJECTS: "schema"}
"""The Hive partition column of each kind's first folder level (the journal's is a plain name)."""
MAX_FILE_BYTES: Final = 128 << 20
MAX_OPEN_FILES: Final = 128
_HOURS: Final = "year=*/month=*/day=*/hour=*"
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]")
_LOG_TYPE: Final = b'"p_log_type":"'
_EVENT_TIME: Final = b'"p_event_time":"'


def partition_of_event(line: bytes) -> tuple[str, str]:
    """An event's log type and event hour (``YYYY/MM/DD/HH``), read from its JSON line.

    The ``p_`` fields come after the schema's own, ``p_log_type`` before ``p_event_time``, and every
    later value is a JSON string, in which a quote is always escaped: so the *last*
    ``"p_event_time":"`` of the line, and the last ``"p_log_type":"`` before it, are the real keys,
    even when a raw ``json`` field holds the same text.
    """
    log_type, hour = _keys(line)
    return log_type.decode(), _hour_path(hour)


def _keys(line: bytes) -> tuple[bytes, bytes]:
    """The raw log type and ``YYYY-MM-DD HH`` of an event line (see ``partition_of_event``)."""
    at = line.rindex(_EVENT_TIME) + len(_EVENT_TIME)
    start = line.rindex(_LOG_TYPE, 0, at) + len(_LOG_TYPE)
    return line[start : line.index(b'"', start)], line[at : at + 13]


def _hour_path(stamp: bytes | str) -> str:
    """``2024-03-15 10`` → ``2024/03/15/10``."""
    text = stamp.decode() if isinstance(stamp, bytes) else stamp
    return f"{text[0:4]}/{text[5:7]}/{text[8:10]}/{text[11:13]}"


def partition_folder(root: Path, kind: str, name: str, hour: str) -> Path:
    """The folder of one partition: ``root/kind/<key>=<name>/year=YYYY/month=MM/day=DD/hour=HH``
    for ``hour`` as ``YYYY/MM/DD/HH`` (``<key>`` from ``PARTITION_KEYS``; none for the journal)."""
    key = PARTITION_KEYS.get(kind)
    top = safe_name(name) if key is None else f"{key}={safe_name(name)}"
    year, month, day, hh = hour.split("/")
    return root / kind / top / f"year={year}" / f"month={month}" / f"day={day}" / f"hour={hh}"


def hour_of_folder(folder: Path) -> str:
    """The hour (``YYYY/MM/DD/HH``) of a partition folder that ``partition_folder`` built."""
    return "/".join(part.split("=", 1)[-1] for part in folder.parts[-4:])


def hour_of(seconds: float) -> str:
    """The UTC hour of a POSIX time as a partition path, ``YYYY/MM/DD/HH``."""
    return time.strftime("%Y/%m/%d/%H", time.gmtime(seconds))


@functools.lru_cache(maxsize=1024)
def safe_name(name: str) -> str:
    """``name`` as one path segment: characters outside ``[A-Za-z0-9._-]`` become ``_``."""
    cleaned = _UNSAFE.sub("_", name) or "_"
    return "_" + cleaned if cleaned in (".", "..") else cleaned


@dataclass
class _File:
    path: Path
    fd: int
    size: int


@dataclass
class _Commit:
    """What one commit adds, bytes per file (by partition) in order, and who waits for it."""

    parts: dict[tuple[str, str, str], list[bytes]] = field(default_factory=lambda: defaultdict(list))
    done: Future[None] = field(default_factory=Future)


class WriterLock:
    """This process's claim on a writer name of the lake under ``root``: a lock on
    ``root/.writers/<writer>.lock``, held while it runs (the kernel lets go of a dead process's
    locks), so that a later writer can tell the files a dead writer left from a running one's."""

    def __init__(self, root: Path, writer: str | None = None) -> None:
        self.root = root
        host = safe_name(socket.gethostname()).replace(".", "_")
        self.writer = writer or f"{host}-{os.getpid()}-{time.time_ns() // 1000}"
        if "." in self.writer or safe_name(self.writer) != self.writer:
            raise ValueError(f"a writer's name is letters, digits, '_' and '-': {self.writer!r}")
        locks = root / ".writers"
        locks.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(locks / f"{self.writer}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: the name is taken
        except OSError:
            os.close(self._fd)
            raise

    def gone(self, writer: str) -> bool:
        """Whether ``writer`` is not running: its lock can be taken, or it has none. This one is."""
        if writer == self.writer:
            return False
        try:
            fd = os.open(self.root / ".writers" / f"{writer}.lock", os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    def release(self) -> None:
        """Let the name go (once)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class Lake:
    """The lake under ``root``, written by this process as ``writer``."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        writer: str | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        fsync: bool = True,
    ) -> None:
        self.root = Path(root)
        self._lock = WriterLock(self.root, writer)
        self.writer = self._lock.writer
        self.max_file_bytes = max_file_bytes
        self.fsync = fsync
        self._files: OrderedDict[tuple[str, str, str], _File] = OrderedDict()
        self._turn = threading.Condition()
        self._queue: list[_Commit] = []
        self._closing = False
        self._flusher: threading.Thread | None = None
        self.flushes = 0
        """How many flushes (rounds of writes and fsyncs) have run: commits share them."""
        self.on_flush: Callable[[float, int], None] | None = None
        """Told, from the flusher thread, how long each flush took and how many commits it held."""

    # --- writing ----------------------------------------------------------------------------

    def commit(self, events: bytes = b"", rejects: bytes = b"", *, now: float | None = None) -> None:
        """Append these NDJSON records (whole lines) and return once they are on disk. Raises
        ``OSError`` when they could not be written, and then nothing of them stays."""
        self.submit(events, rejects, now=now).result()

    def submit(
        self,
        events: bytes = b"",
        rejects: bytes = b"",
        *,
        now: float | None = None,
        note: dict[str, Any] | None = None,
    ) -> Future[None]:
        """Hand these NDJSON records (whole lines) to the flusher: the future is done once they are
        on disk, or fails with the ``OSError`` that kept them off it (then nothing of them stays).
        ``note`` goes to the lake's journal once the records are durable (``read_journal``)."""
        commit = _Commit()
        if note is not None:
            at = time.time() if now is None else now
            line = orjson.dumps({**note, "at": at}) + b"\n"
            commit.parts[(JOURNAL, "notes", hour_of(at))].append(line)
        by_key: dict[tuple[bytes, bytes], list[bytes]] = defaultdict(list)
        for line in events.split(b"\n"):  # a few rindex a line: what a batch of events costs here
            if line:
                by_key[_keys(line)].append(line)
        for (log_type, hour), lines in by_key.items():
            lines.append(b"")
            commit.parts[(EVENTS, safe_name(log_type.decode()), _hour_path(hour))].append(b"\n".join(lines))
        if rejects:
            hour_path = hour_of(time.time() if now is None else now)
            for line in _lines(rejects):
                schema = orjson.loads(line).get("schema") or "unknown"
                commit.parts[(REJECTS, safe_name(schema), hour_path)].append(line)
        if not commit.parts:
            commit.done.set_result(None)
            return commit.done
        with self._turn:
            if self._closing:
                raise RuntimeError("the lake is closed")
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_forever, name="lake-flusher", daemon=True)
                self._flusher.start()
            self._queue.append(commit)
            self._turn.notify()
        return commit.done

    def _flush_forever(self) -> None:
        """The flusher thread: everything queued since the last flush, in one flush, until closed."""
        while True:
            with self._turn:
                while not self._queue and not self._closing:
                    self._turn.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            started = time.perf_counter()
            error = self._flush(batch)
            if self.on_flush is not None:
                self.on_flush(time.perf_counter() - started, len(batch))
            with self._turn:
                self.flushes += 1
            for commit in batch:
                if error is None:
                    commit.done.set_result(None)
                else:
                    commit.done.set_exception(error)

    def _flush(self, batch: list[_Commit]) -> OSError | None:
        """Write and fsync every commit of ``batch``; the error that undid them all, if any."""
        records: dict[tuple[str, str, str], list[bytes]] = defaultdict(list)
        notes: dict[tuple[str, str, str], list[bytes]] = defaultdict(list)
        for commit in batch:
            for key, lines in commit.parts.items():
                (notes if key[0] == JOURNAL else records)[key].extend(lines)
        touched: list[tuple[_File, int]] = []
        error: OSError | None = None
        try:
            # the records first, then the journal notes about them: a note is never on disk
            # without the records it speaks of
            for phase in (records, notes):
                written = len(touched)
                for key, lines in phase.items():
                    with naming(partition_folder(self.root, *key)):
                        file = self._file(key)
                    touched.append((file, file.size))
                    data = b"".join(lines)
                    with naming(file.path):
                        _write_all(file.fd, data)
                    file.size += len(data)
                if self.fsync:
                    for file, _ in touched[written:]:
                        with naming(file.path):
                            os.fsync(file.fd)
        except OSError as exc:
            error = exc
            for file, size in touched:
                with contextlib.suppress(OSError):
                    os.ftruncate(file.fd, size)
                file.size = size
        # Close the files used longest ago, past the cap; never during a flush, which may need
        # more than the cap open at once (a backfill spanning many hours) and fsyncs them all.
        while len(self._files) > MAX_OPEN_FILES:
            _, oldest = self._files.popitem(last=False)
            os.close(oldest.fd)
        return error

    def _file(self, key: tuple[str, str, str]) -> _File:
        """The open file of a partition, opened (and its folder made durable) when new, or rolled
        over to the next name past ``max_file_bytes``."""
        file = self._files.get(key)
        if file is not None and file.size < self.max_file_bytes:
            self._files.move_to_end(key)
            return file
        if file is not None:
            os.close(file.fd)
            del self._files[key]
        kind, name, hour = key
        folder = partition_folder(self.root, kind, name, hour)
        new_folder = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        number = 1
        while True:
            path = folder / (f"{self.writer}.ndjson" if number == 1 else f"{self.writer}.{number}.ndjson")
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            size = os.fstat(fd).st_size
            if size < self.max_file_bytes:
                break
            os.close(fd)
            number += 1
        if self.fsync:
            fsync_folders(folder, self.root if new_folder else folder.parent)
        file = _File(path, fd, size)
        self._files[key] = file
        return file

    def close(self) -> None:
        """Flush what is queued, close every file, and let the name go."""
        with self._turn:
            self._closing = True
            self._turn.notify()
        if self._flusher is not None:
            self._flusher.join()
        with self._turn:
            for file in self._files.values():
                os.close(file.fd)
            self._files.clear()
            self._lock.release()

    def __enter__(self) -> Lake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- after a crash --------------------------------------------------------------------------

    def read_journal(self, since: float) -> list[dict[str, Any]]:
        """The journal's notes written at ``since`` (POSIX time) or later, by any writer, oldest hour
        first; a torn last note (a killed writer) is skipped."""
        found: list[dict[str, Any]] = []
        first = hour_of(since)
        for path in sorted((self.root / JOURNAL / "notes").glob(_HOURS + "/*.ndjson")):
            hour = hour_of_folder(path.parent)
            if hour < first:
                continue
            for line in path.read_bytes().splitlines():
                try:
                    note = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if note.get("at", 0) >= since:
                    found.append(note)
        return found

    def files(self) -> Iterator[Path]:
        """Every NDJSON file of the lake."""
        for kind in (EVENTS, REJECTS):
            yield from sorted((self.root / kind).glob(f"{PARTITION_KEYS[kind]}=*/{_HOURS}/*.ndjson"))

    def recover(self) -> list[tuple[Path, int]]:
        """Cut torn last records (left by a killed writer) off the files of writers that are not
        running; return the files cut and how many bytes each lost. None of those bytes had been
        acknowledged: a commit returns only after its whole records are on disk."""
        cut = []
        for path in self.files():
            if not self._lock.gone(path.name.split(".", 1)[0]):
                continue
            lost = cut_torn_tail(path)
            if lost:
                cut.append((path, lost))
        return cut


class LakeSinks:
    """A lake as a run's two sinks (``events``, ``rejects``, the ``sinks.Sink`` interface): a batch
    written to both is one commit, made when the run commits the batch and durable when that
    returns; a commit that fails leaves nothing of the batch, as a rolled-back file would."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.events = _LakeSink(self, f"{lake.root}/events")
        self.rejects = _LakeSink(self, f"{lake.root}/rejects")

    def _commit(self) -> None:
        events, rejects = self.events, self.rejects
        if events.staged or rejects.staged:
            self.lake.commit(b"".join(events.staged), b"".join(rejects.staged))
        for sink in (events, rejects):
            sink.count += sink.records
            sink.rollback()


class _LakeSink:
    """One side of ``LakeSinks``: what the run writes waits here for the batch's commit."""

    regular = True
    fd = -1

    def __init__(self, owner: LakeSinks, name: str) -> None:
        self.owner = owner
        self.name = name
        self.count = 0
        self.staged: list[bytes] = []
        self.records = 0

    def write(self, data: bytes, records: int) -> None:
        if data:
            self.staged.append(data)
        self.records += records

    def commit(self) -> None:
        """The batch's events and rejects in one commit (the second call finds nothing left)."""
        self.owner._commit()

    def rollback(self) -> None:
        self.staged = []
        self.records = 0


def _lines(ndjson: bytes) -> Iterable[bytes]:
    """The records of NDJSON bytes, each with its newline."""
    if not ndjson:
        return ()
    return (line + b"\n" for line in ndjson.rstrip(b"\n").split(b"\n"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """An ``OSError`` that names no file (an fsync's, pyarrow's) raised naming ``path``, what was
    being written: the run's error then says which file or folder failed, not only the lake."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def fsync_folders(folder: Path, top: Path) -> None:
    """fsync ``folder`` and its parents up to ``top``: new folder entries survive a crash too."""
    for path in (folder, *folder.parents):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if path == top:
            break


__all__ = [
    "EVENTS",
    "REJECTS",
    "Lake",
    "LakeSinks",
    "WriterLock",
    "fsync_folders",
    "hour_of",
    "naming",
    "partition_folder",
    "partition_of_event",
    "safe_name",
]
