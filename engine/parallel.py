"""Normalizing a stream of blocks, in this process or in workers, in input order.

``encode_blocks`` runs one ``Normalizer`` here. ``WorkerPool`` gives each worker a whole
``Normalizer`` of its own (compiled once per worker) and hands it blocks of raw lines; workers
split, decode, normalize and encode, and give back NDJSON bytes and rejects. At most
``2 × workers`` blocks are in flight, which bounds memory, and results are taken back in the order
the blocks were read, so the output is the same as with one worker (except ``p_row_id`` and
``p_parse_time``, which differ on every run anyway).

Workers are threads when the schema has a plan for the C accelerator, which runs without the GIL
(no pickling: a block and its NDJSON are never copied between processes); otherwise processes,
since the reference path is Python and holds the GIL. Threads writing to a regular file write
their own NDJSON there, in parallel and in order (``sinks.PositionalSink``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from itertools import count
from typing import Any

from .allocator import keep_freed_memory
from .normalizer import Encoded, Normalizer, Oversized
from .reader import count_lines
from .sinks import PositionalSink
from .spec import Schema

Block = bytes | Oversized


def encode_blocks(
    normalizer: Normalizer, blocks: Iterable[Block], *, source: str, max_line_bytes: int
) -> Iterator[Encoded]:
    """Normalize ``blocks`` (from ``reader.read_blocks``) here, one after the other."""
    line = 1
    for block in blocks:
        yield _encode(normalizer, block, source, line, max_line_bytes)
        line += count_lines(block)


def _encode(
    normalizer: Normalizer, block: Block, source: str, first_line: int, max_line_bytes: int
) -> Encoded:
    return normalizer.encode_block(block, source=source, first_line=first_line, max_line_bytes=max_line_bytes)


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class WorkerPool:
    """Workers, each with its own ``Normalizer`` for ``schemas`` built with ``options``: threads
    when ``threads`` (the normalizer has a plan for the accelerator), else processes.

    With ``output`` (threads only), each worker writes its batch's NDJSON into that file itself and
    the batches it gives back have empty ``ndjson``.
    """

    def __init__(
        self,
        schemas: Sequence[Schema],
        options: dict[str, Any],
        workers: int,
        *,
        threads: bool = False,
        output: PositionalSink | None = None,
    ) -> None:
        if output is not None and not threads:
            raise ValueError("only worker threads write their own output")
        self.workers = workers
        self.threads = threads
        self.output = output
        self._numbers = count()  # batches in input order, across every input
        self._executor: Executor
        if threads:
            self._executor = ThreadPoolExecutor(
                workers, "normalize", initializer=_start_thread, initargs=(schemas, options)
            )
        else:
            # fork: workers start with the modules already imported; nothing here holds threads yet.
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(
                workers, context, initializer=_start, initargs=(schemas, options)
            )

    def encode_blocks(
        self,
        blocks: Iterable[Block],
        *,
        source: str,
        max_line_bytes: int,
        first_lines: Normalizer | None = None,
    ) -> Iterator[Encoded]:
        """Like ``encode_blocks``, across the workers; results come back in input order.

        ``first_lines`` (a normalizer of this process) takes a file's blocks here, in order, until
        it has swallowed the file's first lines (``skipLines``, a CSV header): every worker has its
        own normalizer, and only one can count those lines, however many blocks they fill.
        """
        window: deque[Future[Encoded]] = deque()
        line = 1
        for block in blocks:
            if first_lines is not None and (line == 1 or first_lines.in_prologue(source)):
                while window:
                    yield window.popleft().result()
                yield self._here(first_lines, block, source, line, max_line_bytes)
                line += count_lines(block)
                continue
            if self.threads:
                future = self._executor.submit(
                    _work_in_thread,
                    block,
                    source,
                    line,
                    max_line_bytes,
                    output=self.output,
                    number=next(self._numbers),
                )
            else:
                future = self._executor.submit(_work, block, source, line, max_line_bytes)
            window.append(future)
            line += count_lines(block)
            if len(window) >= 2 * self.workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()

    def _here(
        self, normalizer: Normalizer, block: Block, source: str, first_line: int, max_line_bytes: int
    ) -> Encoded:
        """One block normalized in this thread, its events written where the workers write theirs."""
        number = next(self._numbers) if self.output is not None else 0
        return _encode_to(
            normalizer, block, source, first_line, max_line_bytes, output=self.output, number=number
        )

    def close(self) -> None:
        self._executor.shutdown(cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_normalizer: Normalizer | None = None  # one per worker process


def _start(schemas: Sequence[Schema], options: dict[str, Any]) -> None:
    global _normalizer
    keep_freed_memory()
    _normalizer = Normalizer(schemas, **options)


def _work(block: Block, source: str, first_line: int, max_line_bytes: int) -> Encoded:
    assert _normalizer is not None, "worker started without a normalizer"
    return _encode(_normalizer, block, source, first_line, max_line_bytes)


_local = threading.local()  # one normalizer per worker thread: a plan is not shared between threads


def _start_thread(schemas: Sequence[Schema], options: dict[str, Any]) -> None:
    _local.normalizer = Normalizer(schemas, **options)


def _work_in_thread(
    block: Block,
    source: str,
    first_line: int,
    max_line_bytes: int,
    *,
    output: PositionalSink | None,
    number: int,
) -> Encoded:
    return _encode_to(
        _local.normalizer, block, source, first_line, max_line_bytes, output=output, number=number
    )


def _encode_to(
    normalizer: Normalizer,
    block: Block,
    source: str,
    first_line: int,
    max_line_bytes: int,
    *,
    output: PositionalSink | None,
    number: int,
) -> Encoded:
    """``_encode`` and, with ``output``, the events written there as batch ``number`` (and left out
    of what is returned). The range is claimed even when normalizing failed: later batches wait
    for it."""
    if output is None:
        return _encode(normalizer, block, source, first_line, max_line_bytes)
    encoded = None
    try:
        encoded = _encode(normalizer, block, source, first_line, max_line_bytes)
    finally:
        output.write(number, encoded.ndjson if encoded else b"", encoded.events if encoded else 0)
    return replace(encoded, ndjson=b"")
