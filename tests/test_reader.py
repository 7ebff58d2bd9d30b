"""Reading input: splitting on \\n only, CR handling, undecodable and over-long lines, gzip."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.batch import Oversized
from engine.reader import (
    GZIP_PIECE,
    IDLE,
    _fastpath,
    _gunzipped,
    newlines,
    open_input,
    read_blocks,
    split_lines,
)


def read_batches(stream: object, **options: int) -> list[list[object]]:
    """The lines of each block, as the normalizer would be handed them."""
    max_line_bytes = options.get("max_line_bytes", 1 << 20)
    return [
        [block] if isinstance(block, Oversized) else split_lines(block, max_line_bytes)
        for block in read_blocks(stream, live=False, **options)  # type: ignore[arg-type]
    ]


def lines_of(data: bytes, *, block_size: int = 8, max_line_bytes: int = 1 << 20) -> list[object]:
    stream = io.BufferedReader(io.BytesIO(data))
    return [
        line
        for batch in read_batches(stream, block_size=block_size, max_line_bytes=max_line_bytes)
        for line in batch
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a\nb\n", ["a", "b"]),
        (b"a\nb", ["a", "b"]),  # the last line needs no \n
        (b"a\r\nb\r\n", ["a", "b"]),  # one CR before the LF goes
        (b"a\r\r\n", ["a\r"]),  # only one
        (b"a\rb\n", ["a\rb"]),  # a lone CR is data
        (b"a\nb\r", ["a", "b"]),  # ... but not at the end of the input (Go's ReadLine keeps it)
        (b"a\x0bb\x0cc\x1cd\xc2\x85e\xe2\x80\xa8f\n", ["a\x0bb\x0cc\x1cd\x85e\u2028f"]),  # not splitlines
        (b"\n\n", ["", ""]),
        (b"", []),
        (b"x\x00y\n", ["x\x00y"]),  # NUL is data
        (b"caf\xc3\xa9 " * 5 + b"\n", ["café " * 5]),  # a character split across blocks
    ],
    ids=[
        "lf",
        "no-final-lf",
        "crlf",
        "one-cr-only",
        "lone-cr",
        "cr-at-the-end",
        "other-breaks",
        "blank",
        "empty",
        "nul",
        "split-char",
    ],
)
def test_splitting(data: bytes, expected: list[str]) -> None:
    assert lines_of(data) == expected


def test_undecodable_lines_stay_bytes_and_others_decode() -> None:
    assert lines_of(b"ok\nbad\xff\r\nfine\n", block_size=1 << 10) == ["ok", b"bad\xff", "fine"]


def test_long_lines_become_oversized_without_being_held() -> None:
    long = b"x" * 100
    data = b"a\n" + long + b"\nb\n" + long  # one in the middle, one at the end without \n
    got = lines_of(data, block_size=16, max_line_bytes=40)
    digest = hashlib.sha256(long).hexdigest()
    assert got == ["a", Oversized(100, digest, long), "b", Oversized(100, digest, long)]


def test_long_line_inside_one_block() -> None:
    long = "é" * 30  # 60 bytes in 30 characters
    got = lines_of(f"a\n{long}\nb\n".encode(), block_size=1 << 10, max_line_bytes=50)
    assert got == ["a", Oversized(60, hashlib.sha256(long.encode()).hexdigest(), long.encode()), "b"]


def test_exactly_at_the_limit_is_kept() -> None:
    assert lines_of(b"y" * 40 + b"\n", block_size=16, max_line_bytes=40) == ["y" * 40]


def test_gzip_is_recognised_by_its_magic_bytes() -> None:
    packed = gzip.compress(b"one\ntwo\n")
    stream = open_input(io.BufferedReader(io.BytesIO(packed)))
    assert [line for batch in read_batches(stream) for line in batch] == ["one", "two"]
    plain = open_input(io.BufferedReader(io.BytesIO(b"\x1fplain\n")))
    assert [line for batch in read_batches(plain) for line in batch] == ["\x1fplain"]


@pytest.mark.parametrize("block_size", range(1, 46))
def test_a_crlf_line_at_the_limit_is_kept_wherever_a_read_ends(block_size: int) -> None:
    """The limit is on the line without its \\r\\n, also when a read ends between the two."""
    data = b"y" * 40 + b"\r\n" + b"z\r\n"
    assert lines_of(data, block_size=block_size, max_line_bytes=40) == ["y" * 40, "z"]


@pytest.mark.parametrize("block_size", range(1, 46))
def test_a_crlf_line_over_the_limit_is_measured_without_its_cr(block_size: int) -> None:
    long = b"y" * 41
    got = lines_of(long + b"\r\nz\n" + long + b"\r", block_size=block_size, max_line_bytes=40)
    oversized = Oversized(41, hashlib.sha256(long).hexdigest(), long)
    assert got == [oversized, "z", oversized]


def test_blocks_hold_at_most_block_lines_lines() -> None:
    data = b"".join(b"%d\n" % i for i in range(10))
    blocks = list(read_blocks(io.BufferedReader(io.BytesIO(data)), block_lines=3, live=False))
    assert blocks == [b"0\n1\n2", b"3\n4\n5", b"6\n7\n8", b"9"]


def test_live_input_hands_over_its_lines_as_they_arrive() -> None:
    """From a pipe, the lines read so far come out, then IDLE, before the next read would wait."""
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as stream:
        blocks = read_blocks(stream)  # a pipe is live input
        os.write(write_end, b"a\nb\n")
        assert next(blocks) == b"a\nb"
        assert next(blocks) is IDLE
        os.write(write_end, b"c")  # half a line: nothing to hand over yet
        assert next(blocks) is IDLE
        os.write(write_end, b"\nd\n")
        os.close(write_end)
        assert list(blocks) == [b"c\nd"]


def test_a_read_that_fills_a_whole_block_is_followed_by_idle() -> None:
    """A read of exactly ``block_size`` bytes, then nothing more for now: the lines go out and IDLE
    follows (it came only after a shorter read, so the next read waited while the block's events
    were held: 1 MiB arriving at once on a pipe, then a pause)."""
    read_end, write_end = os.pipe()
    got: list[object] = []
    with open(read_end, "rb") as stream:
        blocks = read_blocks(stream, block_size=8)
        os.write(write_end, b"abc\ndef\n")  # one block's bytes exactly; the pipe stays open
        reader = threading.Thread(target=lambda: [got.append(next(blocks)) for _ in range(2)], daemon=True)
        reader.start()
        reader.join(timeout=5)
        os.close(write_end)  # frees a reader that waits on the pipe
        reader.join(timeout=5)
    assert got == [b"abc\ndef", IDLE]


def test_live_gzip_is_handed_on_in_pieces_of_at_most_gzip_piece() -> None:
    """What one read gives is joined, never past GZIP_PIECE (joining until the total reached it
    made pieces of up to twice that)."""
    data = gzip.compress(b"a" * 100_000) + gzip.compress(b"b" * 200_000)
    pieces = list(_gunzipped([data, IDLE], 1 << 20))
    assert pieces[-1] is IDLE
    assert b"".join(pieces[:-1]) == b"a" * 100_000 + b"b" * 200_000  # type: ignore[arg-type]
    assert max(len(piece) for piece in pieces[:-1]) <= GZIP_PIECE  # type: ignore[arg-type]


def test_gzip_on_a_pipe_whose_first_read_gives_one_byte() -> None:
    """The magic was looked for in what the first read gave: its first byte alone on a pipe, and the
    stream was read as text (an invalid_utf8 reject). The rest comes while open_input waits."""
    member = gzip.compress(b"one\ntwo\n")
    read_end, write_end = os.pipe()
    os.write(write_end, member[:1])
    rest = threading.Timer(0.2, lambda: (os.write(write_end, member[1:]), os.close(write_end)))
    rest.start()
    with open(read_end, "rb") as stream:
        assert stream.peek(2) == member[:1]  # what open_input sees first
        blocks = [block for block in read_blocks(open_input(stream)) if block is not IDLE]
    rest.join()
    assert blocks == [b"one\ntwo"]


def test_gzip_on_a_pipe_of_many_small_members_comes_in_few_blocks() -> None:
    """A gzip member per line (as some shippers write), 40,000 of them on the pipe: what a read of
    the pipe gives comes as one block, as for one member (each member's line was a block of its
    own, normalized alone: 2.4 s where the same file by name took 0.2 s)."""
    line = b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - up"
    data = gzip.compress(line + b"\n", mtime=0) * 40_000
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end)))
    writer.start()
    with open(read_end, "rb") as stream:
        blocks = [block for block in read_blocks(open_input(stream)) if block is not IDLE]
    writer.join()
    assert b"\n".join(blocks) == b"\n".join([line] * 40_000)
    assert len(blocks) < 4_000, len(blocks)  # a block per read of the pipe at most (reads of 4 KiB: 750)


@pytest.mark.skipif(_fastpath is None, reason="the C accelerator is not built")
@settings(max_examples=2000, deadline=None)
@given(
    st.binary(max_size=80)
    | st.lists(st.sampled_from([b"\n", b"\n\n", b"a", b"\x8a", b"\x0b", b"\xff" * 9])).map(b"".join),
    st.data(),
)
def test_newlines_counts_as_bytes_count(data: bytes, draw: st.DataObject) -> None:
    """The C count of LFs against ``bytes.count``, on any bytes and any slice (every alignment)."""
    start = draw.draw(st.integers(0, len(data)))
    end = draw.draw(st.integers(start, len(data)))
    assert _fastpath.newlines(data, start, end) == data.count(b"\n", start, end)
    assert newlines(data, start, end) == data.count(b"\n", start, end)
