"""NDJSONSink: whole batches, and a regular file cut back to its last whole batch after a failure."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from engine.sinks import NDJSONSink, cut_torn_tail, invalid_records


def test_rollback_cuts_a_file_back_to_the_last_committed_batch(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    with path.open("wb") as stream:
        stream.write(b"before\n")
        stream.flush()
        sink = NDJSONSink(stream.fileno(), "out")  # it starts where the stream stands
        sink.write(b'{"a":1}\n', 1)
        sink.commit()
        sink.write(b'{"b":2}\n{"c"', 1)  # a batch that stopped halfway
        sink.rollback()
        sink.write(b'{"d":4}\n', 1)
        sink.commit()
    assert path.read_bytes() == b'before\n{"a":1}\n{"d":4}\n'


def test_a_file_size_limit_leaves_whole_batches(tmp_path: Path) -> None:
    """EFBIG halfway through a batch (RLIMIT_FSIZE; Python ignores SIGXFSZ): the batch is cut off."""
    path = tmp_path / "out.ndjson"
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    with path.open("wb") as stream:
        sink = NDJSONSink(stream.fileno(), "out")
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, hard))
        try:
            sink.write(b"x" * 59 + b"\n", 1)
            sink.commit()
            with pytest.raises(OSError) as failed:
                sink.write(b"y" * 59 + b"\n", 1)
            sink.rollback()
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert failed.value.errno == 27  # EFBIG
    assert path.read_bytes() == b"x" * 59 + b"\n"


def test_rollback_leaves_streams_alone() -> None:
    read, write = os.pipe()
    try:
        sink = NDJSONSink(write, "pipe")
        assert not sink.regular
        sink.write(b"1\n", 1)
        sink.rollback()  # nothing to cut on a pipe
        assert os.read(read, 10) == b"1\n"
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize(
    ("data", "cut", "kept"),
    [
        (b'{"a":1}\n{"b":2}\n{"c"', 4, b'{"a":1}\n{"b":2}\n'),
        (b'{"a":1}\n', 0, b'{"a":1}\n'),
        (b'{"a"', 4, b""),
        (b"", 0, b""),
        (b"x" * 70_000 + b"\n" + b"y" * 70_000, 70_000, b"x" * 70_000 + b"\n"),  # past one read back
    ],
    ids=["torn", "whole", "only-torn", "empty", "long"],
)
def test_cut_torn_tail(tmp_path: Path, data: bytes, cut: int, kept: bytes) -> None:
    path = tmp_path / "out.ndjson"
    path.write_bytes(data)
    assert cut_torn_tail(path) == cut
    assert path.read_bytes() == kept


def test_invalid_records(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    path.write_bytes(b'{"a":1}\nnot json\n{"b":"\xff"}\n[1]\n')
    assert list(invalid_records(path)) == [2, 3]


def test_two_sinks_sharing_one_open_file_cut_back_to_the_same_batch(tmp_path: Path) -> None:
    """`> log 2>&1`: events and rejects share one offset; a batch with no rejects still moves the
    end the rejects sink would cut back to."""
    path = tmp_path / "log"
    with path.open("wb") as stream:
        events = NDJSONSink(stream.fileno(), "stdout")
        rejects = NDJSONSink(os.dup(stream.fileno()), "stderr")
        try:
            events.write(b'{"e":1}\n', 1)  # a batch of events only
            events.commit()
            rejects.commit()
            rejects.write(b'{"r":2', 1)  # the next batch fails halfway through its rejects
            events.rollback()
            rejects.rollback()
        finally:
            os.close(rejects.fd)
    assert path.read_bytes() == b'{"e":1}\n'
