"""Where events and rejects go: NDJSON written a whole batch at a time, never torn by us.

A sink writes each batch with ``os.write`` straight to its file descriptor: no Python buffer sits
between, so the records of another sink writing to the same stream never land inside one of ours,
and nothing is left unwritten in a buffer when the process stops. On a regular file the sink knows
where its last whole batch ended: when a batch fails halfway (a full disk, a file size limit, an
interrupt), ``rollback`` cuts the file back there, so the file is always whole records, never a torn
one and never a hole. Only a kill (SIGKILL, a crash) can leave a torn last record, which
``cut_torn_tail`` (``normalize repair``) removes.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from typing import Protocol

import orjson


class Sink(Protocol):
    """Where a run writes events or rejects: a batch is written, then committed (whole from then
    on) or rolled back (gone, where that can be done)."""

    name: str
    fd: int
    count: int
    regular: bool

    def write(self, data: bytes, records: int) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class NDJSONSink:
    """Records written as NDJSON to the file descriptor ``fd`` (``name`` says which, in errors)."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.name = name
        self.count = 0
        """Records written."""
        try:
            self.regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            self.regular = False
        self.appends = self.regular and bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)
        """Whether writes go to the file's end wherever the offset stands (``>>`` in a shell)."""
        self.committed = self._end() if self.regular else 0
        """Where the last whole batch ends (regular files): what ``rollback`` keeps."""
        self._dirty = False

    def _end(self) -> int:
        """Where the next write lands: the offset, or for an appending descriptor the file's size.

        Asked of the kernel, not counted here: stdout and stderr may share one open file (``> log
        2>&1``), whose offset the other sink moves too."""
        return os.fstat(self.fd).st_size if self.appends else os.lseek(self.fd, 0, os.SEEK_CUR)

    def write(self, data: bytes, records: int) -> None:
        """Write records already encoded as NDJSON (whole lines), all of them."""
        view = memoryview(data)
        while view:
            self._dirty = True
            written = os.write(self.fd, view)
            view = view[written:]
        self.count += records

    def commit(self) -> None:
        """Everything written so far is whole: a later ``rollback`` keeps it. Asked even when this
        sink wrote nothing: the other sink may share the file and have moved its end."""
        if self.regular:
            self.committed = self._end()
        self._dirty = False

    def rollback(self) -> None:
        """Cut a regular file back to the end of the last committed batch (a no-op elsewhere)."""
        if self.regular and self._dirty:
            os.ftruncate(self.fd, self.committed)
            if not self.appends:
                os.lseek(self.fd, self.committed, os.SEEK_SET)
        self._dirty = False


def cut_torn_tail(path: str | os.PathLike[str]) -> int:
    """Cut what follows the last newline of an NDJSON file (a record torn by a kill); return how
    many bytes were cut. Whole records end with a newline, so that is all a torn write can leave."""
    with open(path, "r+b") as file:
        size = file.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - (1 << 16))
            file.seek(start)
            newline = file.read(end - start).rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        if end < size:
            file.truncate(end)
        return size - end


def invalid_records(path: str | os.PathLike[str]) -> Iterator[int]:
    """The numbers (from 1) of the lines of an NDJSON file that are not one JSON value each."""
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                yield number
