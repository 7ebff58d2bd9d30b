"""PositionalSink: batches written by several threads land in input order, whatever finishes first."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from engine.sinks import PositionalSink


def test_batches_land_in_input_order_whatever_order_they_finish(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    batches = [f"batch {i}\n".encode() * (i + 1) for i in range(6)]
    with path.open("wb") as stream:
        stream.write(b"header\n")  # written before: the sink starts where the stream stands
        sink = PositionalSink(stream)
        # Later batches start first: each must wait for the batches before it to claim their ranges.
        threads = [
            threading.Thread(target=sink.write, args=(i, batches[i], i + 1)) for i in reversed(range(6))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in threads)
        sink.close()
        stream.write(b"after\n")
    assert path.read_bytes() == b"header\n" + b"".join(batches) + b"after\n"
    assert sink.count == sum(range(1, 7))


def test_an_empty_claim_lets_the_next_batches_through(tmp_path: Path) -> None:
    """A batch that failed claims an empty range, so the batches after it are not stuck."""
    path = tmp_path / "out.ndjson"
    with path.open("wb") as stream:
        sink = PositionalSink(stream)
        later = threading.Thread(target=sink.write, args=(1, b"second\n", 1))
        later.start()
        sink.write(0, b"", 0)
        later.join(timeout=10)
        assert not later.is_alive()
        sink.close()
    assert path.read_bytes() == b"second\n"


def test_only_regular_files_take_positional_writes(tmp_path: Path) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "wb") as pipe, (tmp_path / "f").open("wb") as regular:
        assert not PositionalSink.fits(pipe)
        assert PositionalSink.fits(regular)
    os.close(read)
