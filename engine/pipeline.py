"""The run: inputs → blocks → normalizer (here, or in worker threads or processes) → sinks, in order.

Every shell that normalizes streams goes through ``Run``: it opens each input, reads it in blocks
(``reader``), decides where blocks are normalized (threads when the schema has a plan for the C
accelerator, which runs without the GIL; processes on the reference path; or here), keeps the
output in input order, writes each batch's events and rejects together and commits them, and counts.

What it promises when a run stops early (SIGINT or SIGTERM through ``Stop``, a full disk or a file
size limit, a closed output, an unreadable input): every output file holds whole records only (a
batch that failed halfway is cut off again), and ``Run.position`` says up to which line of which
input events *and* rejects are complete, so a rerun can start right after it.

Sinks may hold batches back (a Parquet lake, whose rows show only when its files are finalized):
such a sink says ``pending`` after a commit while committed batches are not visible yet, and
``checkpoint()`` makes them visible; ``position`` then moves only when nothing is pending, a failed
write rolls back to it, and the end of a run (a signal, a dead worker included) checkpoints. The
events sink may also ``prepare(batch, source)``: the batch it writes in another form, as it counts
(the summary's numbers); and ``convert(batch, source)``, the thread-safe part of that, which worker
threads then run on each batch as they make it (``Encoded.prepared``).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import signal
import stat
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from types import FrameType
from typing import BinaryIO

from .batch import DEFAULT_MAX_LINE_BYTES, Encoded
from .errors import NormalizeError
from .normalizer import Normalizer
from .parallel import WorkerPool, encode_blocks
from .reader import IDLE, LINES, Block, count_lines, open_input, read_blocks
from .sinks import Sink

STDIN = "-"
"""The input name that stands for standard input (its rejects say ``<stdin>``)."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM stopped the run (a ``BaseException``, like ``KeyboardInterrupt``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class OutputError(NormalizeError):
    """Writing to a sink failed: the file (the one the error names, as a lake's does, else the
    sink's name) and the system's reason."""

    def __init__(self, sink: Sink, error: OSError) -> None:
        name = shown(os.fsdecode(error.filename)) if error.filename else sink.name
        super().__init__(f"cannot write {name}: {error.strerror or error}")
        self.sink = sink
        self.error = error


class WorkerError(NormalizeError):
    """A worker process died (killed, out of memory): the blocks it held are not normalized."""


class InputError(NormalizeError):
    """An input could not be opened or read to its end; the lines before ``line`` were normalized."""

    def __init__(self, name: str, line: int, reason: str) -> None:
        where = f" after line {line}" if line else ""
        super().__init__(f"cannot read {shown(name)}{where}: {reason}")
        self.name = name
        self.line = line


class Stop:
    """SIGINT and SIGTERM as requests to stop between batches.

    A signal never cuts a write short: while output is written it is only noted, and the run stops
    at the next batch boundary. While the run waits (for input, for a worker), it stops at once.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._waiting = False
        self._previous: dict[int, object] = {}
        self._pid = os.getpid()

    def __enter__(self) -> Stop:
        self._pid = os.getpid()
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._request)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _request(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:
            return  # a worker process forked from here, before it ignores signals: the run decides
        self.signum = signum
        if self._waiting:
            self._waiting = False  # raised once: what runs after it (closing, the report) runs on
            raise Interrupted(signum)

    def check(self) -> None:
        """Stop here if a signal came."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    def waiting(self) -> contextlib.AbstractContextManager[None]:
        """A stretch where a signal stops the run at once (nothing is being written)."""
        return self._Waiting(self)

    class _Waiting:
        def __init__(self, stop: Stop) -> None:
            self.stop = stop

        def __enter__(self) -> None:
            self.stop._waiting = True  # first: a signal from here on interrupts the wait
            if self.stop.signum is not None:  # one that came before
                self.stop._waiting = False
                raise Interrupted(self.stop.signum)

        def __exit__(self, *exc: object) -> None:
            self.stop._waiting = False


@dataclass
class Totals:
    """Counts over a run."""

    lines: int = 0
    events: int = 0
    rejects: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    log_types: Counter[str] = field(default_factory=Counter)
    untried: Counter[str] = field(default_factory=Counter)

    def add(self, batch: Encoded) -> None:
        self.lines += batch.lines
        self.events += batch.events
        self.rejects += batch.rejected
        self.reasons.update(batch.reasons)
        self.skipped.update(batch.skipped)
        self.log_types.update(batch.log_types)
        self.untried.update(batch.untried)

    def merge(self, other: Totals) -> None:
        """Add the counts of ``other``."""
        self.lines += other.lines
        self.events += other.events
        self.rejects += other.rejects
        for mine, theirs in (
            (self.reasons, other.reasons),
            (self.skipped, other.skipped),
            (self.log_types, other.log_types),
            (self.untried, other.untried),
        ):
            mine.update(theirs)


OnRead = Callable[[str, int, int], None]
"""Told after each block of a regular file: the input's name, bytes read so far, its size."""


class Run:
    """One run of ``normalizer`` over inputs into two sinks (``events`` and ``rejects``).

    ``workers`` is how many blocks are normalized at once; a schema named by each file's CSV header
    runs in order, here. ``stop`` (a ``Stop`` that is installed) makes signals stop the run between
    batches. After ``feed``, or after it raised: ``totals``, ``position`` (the last input line whose
    result is written, with every line before it), ``finished`` inputs and ``failed`` ones.
    """

    def __init__(
        self,
        normalizer: Normalizer,
        events: Sink,
        rejects: Sink,
        *,
        workers: int = 1,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        framing: str = LINES,
        stop: Stop | None = None,
        on_read: OnRead | None = None,
    ) -> None:
        self.normalizer = normalizer
        self.framing = framing
        """How inputs are cut into records: ``reader.LINES`` or ``reader.OCTET_COUNTED``."""
        self.events = events
        self.rejects = rejects
        self.workers = 1 if normalizer.sequential else workers
        self.max_line_bytes = max_line_bytes
        self.stop = stop or Stop()
        self.on_read = on_read
        self.totals = Totals()
        self.started = time.perf_counter()
        self.position: tuple[str, int] | None = None
        self._written: tuple[str, int] | None = None
        """The position of the last batch written, visible or held back by a sink."""
        self._held = Totals()
        """The counts of batches written since ``position`` last moved (held back by a sink)."""
        self.finished: list[str] = []
        self.failed: list[InputError] = []
        self.abandoned = False
        """Whether worker processes were killed when the run ended early (``WorkerPool.abandon``):
        the process should then end with ``os._exit`` once its output is written."""

    def feed(self, names: Sequence[str]) -> None:
        """Normalize each input in turn (``-`` is stdin). An input that cannot be read is recorded
        in ``failed`` and the next one is read; an output that cannot be written, a worker process
        that dies, or a signal, ends the run (``OutputError``, ``WorkerError``, ``Interrupted``)."""
        pool = self._pool()
        try:
            with pool as workers:
                for name in names:
                    self._feed(workers, name)
        except (Interrupted, WorkerError):
            self._checkpoint()  # what was written before the stop is whole: make it visible
            raise
        finally:
            self.abandoned = isinstance(pool, WorkerPool) and pool.abandoned
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Make the batches sinks hold back visible; ``position`` is then the last one written."""
        for sink in (self.events, self.rejects):
            checkpoint = getattr(sink, "checkpoint", None)
            if checkpoint is None:
                continue
            try:
                checkpoint()
            except OSError as exc:
                self._rollback()
                raise OutputError(sink, exc) from None
        self._settled()

    def _settled(self) -> None:
        """Every batch written is visible: it counts, and the position moves to the last."""
        self.totals.merge(self._held)
        self._held = Totals()
        self.position = self._written

    def _rollback(self) -> None:
        """Drop the batch that failed (and what sinks held back: ``_held`` never counts)."""
        self._held = Totals()
        for sink in (self.events, self.rejects):
            with contextlib.suppress(OSError):
                sink.rollback()

    def _pool(self) -> contextlib.AbstractContextManager[WorkerPool | None]:
        """Worker threads when the schema has a plan: the accelerator lets go of the GIL, so even one
        worker normalizes while this thread reads and writes. Else processes, or none for one."""
        normalizer = self.normalizer
        if normalizer.accelerated:
            return WorkerPool(normalizer, self.workers, threads=True)
        if self.workers > 1:
            return WorkerPool(normalizer, self.workers)
        return contextlib.nullcontext()

    def _feed(self, pool: WorkerPool | None, name: str) -> None:
        source = "<stdin>" if name == STDIN else name
        try:
            raw: BinaryIO = sys.stdin.buffer if name == STDIN else open(name, "rb")  # noqa: SIM115
        except OSError as exc:
            self.failed.append(InputError(name, 0, exc.strerror or str(exc)))
            return
        read = _Reading(name, raw, self.on_read)
        try:
            blocks = read.blocks(self.max_line_bytes, self.framing)
            if pool is None:
                results = encode_blocks(
                    self.normalizer, blocks, source=source, max_line_bytes=self.max_line_bytes
                )
            else:
                first_lines = self.normalizer if self.normalizer.has_prologue else None
                results = pool.encode_blocks(
                    blocks,
                    source=source,
                    max_line_bytes=self.max_line_bytes,
                    first_lines=first_lines,
                    then=getattr(self.events, "convert", None),  # on the workers' cores
                )
            line = 0
            while True:
                with self.stop.waiting():
                    try:
                        batch = next(results, None)
                    except BrokenProcessPool:
                        raise WorkerError(
                            "a worker process died (killed, or out of memory?): the run stops here"
                        ) from None
                if batch is None:
                    break
                if batch is IDLE:
                    continue
                assert isinstance(batch, Encoded)
                self._write(batch, source)
                line += batch.lines
                self._written = (source, line)
                if not any(getattr(sink, "pending", False) for sink in (self.events, self.rejects)):
                    self._settled()
                self.stop.check()
        finally:
            if raw is not sys.stdin.buffer:
                raw.close()
        if read.error is not None:
            self.failed.append(read.error)
        else:
            self.finished.append(name)

    def _write(self, batch: Encoded, source: str) -> None:
        """A batch's events and rejects, both whole or neither (where they can be cut back: a
        regular file is written first, a pipe last, so that a failure leaves nothing beyond the
        position the run reports)."""
        events, rejects = self.events, self.rejects
        prepare = getattr(events, "prepare", None)
        if prepare is not None:
            batch = prepare(batch, source)
        parts = [(events, batch.ndjson, batch.events), (rejects, batch.rejects, batch.rejected)]
        parts.sort(key=lambda part: not part[0].regular)
        sink = events
        try:
            for sink, data, records in parts:
                sink.write(data, records)
            for sink in (events, rejects):
                sink.commit()  # a lake makes the batch durable here
        except OSError as exc:
            self._rollback()
            raise OutputError(sink, exc) from None
        self._held.add(batch)


class _Reading:
    """One input being read: its blocks, and the error that ended it early, if any."""

    def __init__(self, name: str, raw: BinaryIO, on_read: OnRead | None) -> None:
        self.name = name
        self.raw = raw
        self.on_read = on_read
        self.error: InputError | None = None

    def blocks(self, max_line_bytes: int, framing: str) -> Iterator[Block | object]:
        """The input's blocks; a read error ends them (recorded in ``error``) after what was read."""
        line = 0
        size = _size_of(self.raw) if self.on_read is not None else None
        try:
            for block in read_blocks(open_input(self.raw), max_line_bytes=max_line_bytes, framing=framing):
                if block is not IDLE:
                    line += count_lines(block)  # type: ignore[arg-type]
                    if size is not None and self.on_read is not None:
                        self.on_read(self.name, self.raw.tell(), size)
                yield block
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # a truncated or corrupt .gz
            self.error = InputError(self.name, line, f"not valid gzip data ({exc})")
        except OSError as exc:
            self.error = InputError(self.name, line, exc.strerror or str(exc))


def _size_of(raw: BinaryIO) -> int | None:
    """The size of a regular file, else ``None``."""
    try:
        status = os.fstat(raw.fileno())
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def shown(name: str) -> str:
    """A file name as a person reads it: bytes that are not UTF-8 as ``\\xff``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace") if name != STDIN else "<stdin>"
