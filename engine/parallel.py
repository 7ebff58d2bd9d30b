"""Normalizing a stream of blocks, in this process or in workers, in input order.

``encode_blocks`` runs one ``Normalizer`` here. ``WorkerPool`` gives each worker the run's
``Normalizer`` (``Normalizer.for_worker``: the schema is compiled once per run, each worker keeps
its own accelerator plan and per-file state) and hands it blocks of raw lines; workers
split, decode, normalize and encode, and give back NDJSON bytes and rejects. At most
``2 × workers`` blocks are in flight, which bounds memory, and results are taken back in the order
the blocks were read, so the output is the same as with one worker (except ``p_row_id`` and
``p_parse_time``, which differ on every run anyway).

Workers are threads when the schema has a plan for the C accelerator, which runs without the GIL
(no pickling: a block and its NDJSON are never copied between processes); otherwise processes,
since the reference path is Python and holds the GIL.

On live input the reader yields ``IDLE`` when nothing more is waiting: every block in flight is
then finished and handed back before ``IDLE`` is passed on, so lines come out as they arrive.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from .allocator import keep_freed_memory
from .batch import Encoded
from .normalizer import Normalizer
from .reader import IDLE, Block, count_lines

Idle = type(IDLE)
Then = Callable[[Encoded, str], Encoded]
"""What a worker thread does to each batch it normalized (the batch and its source's name)."""

_LOOK_AFTER_WORKERS = 0.2
"""Seconds between looks at the worker processes while a result is awaited."""


def encode_blocks(
    normalizer: Normalizer, blocks: Iterable[Block | Idle], *, source: str, max_line_bytes: int
) -> Iterator[Encoded | Idle]:
    """Normalize ``blocks`` (from ``reader.read_blocks``) here, one after the other."""
    line = 1
    for block in blocks:
        if block is IDLE:
            yield IDLE
            continue
        yield _encode(normalizer, block, source, line, max_line_bytes)  # type: ignore[arg-type]
        line += count_lines(block)  # type: ignore[arg-type]


def _encode(
    normalizer: Normalizer, block: Block, source: str, first_line: int, max_line_bytes: int
) -> Encoded:
    return normalizer.encode_block(block, source=source, first_line=first_line, max_line_bytes=max_line_bytes)


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerPool:
    """Workers, each with its own copy of ``normalizer`` (``Normalizer.for_worker``): threads when
    ``threads`` (the normalizer has a plan for the accelerator), else forked processes."""

    def __init__(self, normalizer: Normalizer, workers: int, *, threads: bool = False) -> None:
        self.workers = workers
        self.threads = threads
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._others = set(multiprocessing.active_children())
        self._executor: Executor
        if threads:
            self._executor = ThreadPoolExecutor(
                workers, "normalize", initializer=_start_thread, initargs=(normalizer,)
            )
        else:
            # fork: workers start with the modules imported and the normalizer compiled (initargs
            # are inherited, not pickled); nothing here holds threads yet.
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(workers, context, initializer=_start, initargs=(normalizer,))

    def encode_blocks(
        self,
        blocks: Iterable[Block | Idle],
        *,
        source: str,
        max_line_bytes: int,
        first_lines: Normalizer | None = None,
        then: Then | None = None,
    ) -> Iterator[Encoded | Idle]:
        """Like ``encode_blocks``, across the workers; results come back in input order.

        ``then`` runs on each batch in the worker thread that made it (threads only: a process
        would send its result back pickled), so that what a sink does to every batch (a Parquet
        lake's conversion to Arrow, which lets go of the GIL) runs on the workers' cores too.

        ``first_lines`` (a normalizer of this process) takes a file's blocks here, in order, until
        it has swallowed the file's first lines (``skipLines``, a CSV header): every worker has its
        own normalizer, and only one can count those lines, however many blocks they fill.
        """
        work = partial(_work_in_thread, then=then) if self.threads else _work
        window: deque[Future[Encoded]] = deque()
        line = 1
        for block in blocks:
            if block is IDLE:
                while window:
                    yield self._result(window.popleft())
                yield IDLE
                continue
            if first_lines is not None and (line == 1 or first_lines.in_prologue(source)):
                while window:
                    yield self._result(window.popleft())
                yield _encode(first_lines, block, source, line, max_line_bytes)  # type: ignore[arg-type]
                line += count_lines(block)  # type: ignore[arg-type]
                continue
            window.append(self._executor.submit(work, block, source, line, max_line_bytes))
            if not self.threads and not self._processes:  # started by the first submit (fork)
                self._processes = [
                    child for child in multiprocessing.active_children() if child not in self._others
                ]
            line += count_lines(block)  # type: ignore[arg-type]
            if len(window) >= 2 * self.workers:
                yield self._result(window.popleft())
        while window:
            yield self._result(window.popleft())

    def _result(self, future: Future[Encoded]) -> Encoded:
        """The future's result. A worker process killed while it sends a result leaves the pool
        reading the rest of it for ever, its futures never failing: so, while waiting, look after
        the workers too, and call the pool broken as soon as one has ended."""
        if self.threads:
            return future.result()
        while True:
            try:
                return future.result(timeout=_LOOK_AFTER_WORKERS)
            except TimeoutError:
                if any(process.exitcode is not None for process in self._processes):
                    raise BrokenProcessPool("a worker process ended in the middle of the run") from None

    abandoned = False
    """Whether worker processes were killed rather than shut down (see ``abandon``)."""

    def close(self) -> None:
        self._executor.shutdown(cancel_futures=True)

    def abandon(self) -> None:
        """Stop at once, the run having ended early. Threads finish the block they hold. Worker
        processes are killed: a pool that lost a worker in the middle of sending a result waits for
        the rest of it for ever (in shutting down, and at interpreter exit), so a process that
        abandoned its workers ends with ``os._exit`` once its output is written (the CLI does)."""
        if self.threads:
            self.close()
            return
        for child in multiprocessing.active_children():
            if child not in self._others:
                child.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.abandoned = True

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


_normalizer: Normalizer | None = None  # one per worker process


def _start(normalizer: Normalizer) -> None:
    global _normalizer
    # Ctrl-C, or a SIGTERM to the process group, reaches every worker: the main process decides
    # what it stops, and ends the workers itself (a worker killed while it sends a result would
    # leave the pool waiting for the rest of it).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    keep_freed_memory()
    _normalizer = normalizer.for_worker(process=True)


def _work(block: Block, source: str, first_line: int, max_line_bytes: int) -> Encoded:
    assert _normalizer is not None, "worker started without a normalizer"
    return _encode(_normalizer, block, source, first_line, max_line_bytes)


_local = threading.local()  # one normalizer per worker thread: a plan is not shared between threads


def _start_thread(normalizer: Normalizer) -> None:
    _local.normalizer = normalizer.for_worker()


def _work_in_thread(
    block: Block, source: str, first_line: int, max_line_bytes: int, *, then: Then | None = None
) -> Encoded:
    encoded = _encode(_local.normalizer, block, source, first_line, max_line_bytes)
    return encoded if then is None else then(encoded, source)
