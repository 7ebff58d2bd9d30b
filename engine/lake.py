"""A folder of NDJSON files as a data lake reads them: events by log type and event hour, rejects
beside them, appended durably, with the fsyncs of concurrent writers shared (group commit).

Layout, one hour a folder::

    DIR/events/<p_log_type>/<YYYY>/<MM>/<DD>/<HH>/<writer>.ndjson
    DIR/rejects/<schema>/<YYYY>/<MM>/<DD>/<HH>/<writer>.ndjson     (the hour the reject was written)

``<writer>`` names one writing process (host, pid, start time), so a file only ever grows at its
end, by one writer; past ``max_file_bytes`` the writer goes on in ``<writer>.2.ndjson`` and so on.
A writer holds a lock on ``DIR/.writers/<writer>.lock`` while it runs.

``Lake.commit`` returns once its records are written and fsynced, a new file's folder entry too:
what it acknowledges survives a crash. Writers that commit while a flush is under way wait, and the
next flush writes all of them with one fsync per file. A flush that fails (a full disk) cuts every
file it touched back to where it was, so a failed commit leaves nothing behind. A writer killed in
the middle of a write leaves at most a torn last record, never an acknowledged one: ``recover``
cuts such tails off the files of writers that are no longer running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import orjson

from .sinks import cut_torn_tail

EVENTS: Final = "events"
REJECTS: Final = "rejects"
MAX_FILE_BYTES: Final = 128 << 20
MAX_OPEN_FILES: Final = 128
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]")
_LOG_TYPE: Final = b'"p_log_type":"'
_EVENT_TIME: Final = b'"p_event_time":"'


def partition_of_event(line: bytes) -> tuple[str, str]:
    """An event's log type and event hour (``YYYY/MM/DD/HH``), read from its JSON line.

    The ``p_`` fields come after the schema's own, and every later value is a JSON string, in
    which a quote is always escaped: so the *last* ``"p_log_type":"`` of the line is the real key,
    even when a raw ``json`` field holds the same text.
    """
    at = line.rindex(_LOG_TYPE) + len(_LOG_TYPE)
    log_type = line[at : line.index(b'"', at)].decode()
    at = line.rindex(_EVENT_TIME) + len(_EVENT_TIME)
    stamp = line[at : at + 13].decode()  # "2024-03-15 10"
    return log_type, f"{stamp[0:4]}/{stamp[5:7]}/{stamp[8:10]}/{stamp[11:13]}"


def hour_of(seconds: float) -> str:
    """The UTC hour of a POSIX time as a partition path, ``YYYY/MM/DD/HH``."""
    return time.strftime("%Y/%m/%d/%H", time.gmtime(seconds))


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
class _Flush:
    """What one commit adds: bytes per file (by partition), in order."""

    parts: dict[tuple[str, str, str], list[bytes]] = field(default_factory=lambda: defaultdict(list))
    error: BaseException | None = None
    done: bool = False


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
        host = safe_name(socket.gethostname()).replace(".", "_")
        self.writer = writer or f"{host}-{os.getpid()}-{time.time_ns() // 1000}"
        if "." in self.writer or safe_name(self.writer) != self.writer:
            raise ValueError(f"a writer's name is letters, digits, '_' and '-': {self.writer!r}")
        locks = self.root / ".writers"
        locks.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(locks / f"{self.writer}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: the name is taken
        self.max_file_bytes = max_file_bytes
        self.fsync = fsync
        self._files: OrderedDict[tuple[str, str, str], _File] = OrderedDict()
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)
        self._queue: list[_Flush] = []
        self._flushing = False
        self.flushes = 0
        """How many flushes (rounds of writes and fsyncs) have run: commits share them."""

    # --- writing ----------------------------------------------------------------------------

    def commit(self, events: bytes = b"", rejects: bytes = b"", *, now: float | None = None) -> None:
        """Append these NDJSON records (whole lines) and return once they are on disk. Raises
        ``OSError`` when they could not be written, and then nothing of them stays."""
        flush = _Flush()
        for line in _lines(events):
            log_type, hour = partition_of_event(line)
            flush.parts[(EVENTS, safe_name(log_type), hour)].append(line)
        if rejects:
            hour = hour_of(time.time() if now is None else now)
            for line in _lines(rejects):
                schema = orjson.loads(line).get("schema") or "unknown"
                flush.parts[(REJECTS, safe_name(schema), hour)].append(line)
        if not flush.parts:
            return
        with self._turn:
            self._queue.append(flush)
            while not flush.done and self._flushing:
                self._turn.wait()
            if flush.done:
                if flush.error is not None:
                    raise flush.error
                return
            batch, self._queue = self._queue, []
            self._flushing = True
        try:
            self._flush(batch)
        finally:
            with self._turn:
                self._flushing = False
                self.flushes += 1
                self._turn.notify_all()
        if flush.error is not None:
            raise flush.error

    def _flush(self, batch: list[_Flush]) -> None:
        """Write and fsync every commit of ``batch`` (outside the lock: only one flush runs)."""
        merged: dict[tuple[str, str, str], list[bytes]] = defaultdict(list)
        for flush in batch:
            for key, lines in flush.parts.items():
                merged[key].extend(lines)
        touched: list[tuple[_File, int]] = []
        error: BaseException | None = None
        try:
            for key, lines in merged.items():
                file = self._file(key)
                touched.append((file, file.size))
                data = b"".join(lines)
                _write_all(file.fd, data)
                file.size += len(data)
            if self.fsync:
                for file, _ in touched:
                    os.fsync(file.fd)
        except OSError as exc:
            error = exc
            for file, size in touched:
                with contextlib.suppress(OSError):
                    os.ftruncate(file.fd, size)
                file.size = size
        with self._turn:
            for flush in batch:
                flush.error = error
                flush.done = True

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
        folder = self.root / kind / name / hour
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
            _fsync_folders(folder, self.root if new_folder else folder.parent)
        file = _File(path, fd, size)
        self._files[key] = file
        while len(self._files) > MAX_OPEN_FILES:
            _, oldest = self._files.popitem(last=False)
            os.close(oldest.fd)
        return file

    def close(self) -> None:
        """Close every open file (what was committed is already on disk), and let the name go."""
        with self._turn:
            for file in self._files.values():
                os.close(file.fd)
            self._files.clear()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1

    def __enter__(self) -> Lake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- after a crash --------------------------------------------------------------------------

    def files(self) -> Iterator[Path]:
        """Every NDJSON file of the lake."""
        for kind in (EVENTS, REJECTS):
            yield from sorted((self.root / kind).glob("*/*/*/*/*/*.ndjson"))

    def recover(self) -> list[tuple[Path, int]]:
        """Cut torn last records (left by a killed writer) off the files of writers that are not
        running; return the files cut and how many bytes each lost. None of those bytes had been
        acknowledged: a commit returns only after its whole records are on disk."""
        cut = []
        for path in self.files():
            if not self._gone(path.name.split(".", 1)[0]):
                continue
            lost = cut_torn_tail(path)
            if lost:
                cut.append((path, lost))
        return cut

    def _gone(self, writer: str) -> bool:
        """Whether ``writer`` is not running: its lock can be taken (the kernel lets go of a dead
        process's locks), or it has none. This writer is running."""
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


def _lines(ndjson: bytes) -> Iterable[bytes]:
    """The records of NDJSON bytes, each with its newline."""
    if not ndjson:
        return ()
    return (line + b"\n" for line in ndjson.rstrip(b"\n").split(b"\n"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_folders(folder: Path, top: Path) -> None:
    """fsync ``folder`` and its parents up to ``top``: new folder entries survive a crash too."""
    for path in (folder, *folder.parents):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if path == top:
            break


__all__ = ["EVENTS", "REJECTS", "Lake", "hour_of", "partition_of_event", "safe_name"]
