"""Reading input: splitting on \\n only, CR handling, undecodable and over-long lines, gzip."""

from __future__ import annotations

import gzip
import hashlib
import io

import pytest

from engine.normalizer import Oversized
from engine.reader import open_input, read_batches


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
