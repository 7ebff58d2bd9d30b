"""``gunzip.Gunzip`` against ``gzip.GzipFile`` on the same bytes: the same output and the same error
however the bytes are cut into pieces, and each piece's output handed on as soon as it is fed (the
pipe's reader waited inside ``GzipFile`` for more input while a member's trailer or a deflate
block's header was all that had come, holding the lines before it)."""

from __future__ import annotations

import gzip
import io
import random
import struct
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from engine.gunzip import WINDOW, Gunzip

TEXT = b"".join(b"%d <40>1 2012-11-30T06:45:29+00:00 host app web.%d - up\n" % (i, i % 7) for i in range(400))
MOST = 4096  # small, so that pieces are capped


def _member(data: bytes, level: int = 6, **header: object) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0) if not header else _with_header(data, **header)


def _with_header(
    data: bytes, *, extra: bytes = b"", name: bytes = b"", comment: bytes = b"", hcrc: bool = False
) -> bytes:
    """A member with the optional header fields gzip.compress never writes (RFC 1952, 2.3)."""
    flags = (4 if extra else 0) | (8 if name else 0) | (16 if comment else 0) | (2 if hcrc else 0)
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\xff"
    if extra:
        head += struct.pack("<H", len(extra)) + extra
    if name:
        head += name + b"\0"
    if comment:
        head += comment + b"\0"
    if hcrc:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data))


def _flushed(data: bytes) -> bytes:
    """One member, each line flushed (Z_SYNC_FLUSH), as a log shipper writes."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
    lines = data.splitlines(keepends=True)
    return (
        b"".join(deflate.compress(line) + deflate.flush(zlib.Z_SYNC_FLUSH) for line in lines)
        + deflate.flush()
    )


WHOLE = _member(TEXT)
STREAMS = {
    "one member": WHOLE,
    "stored": _member(TEXT, level=0),
    "flushed lines": _flushed(TEXT),
    "two members": _member(TEXT[:3000]) + _member(TEXT[3000:]),
    "an empty member first": _member(b"") + WHOLE,
    "zero padding": WHOLE + b"\0" * 70,
    "padding, then a member": WHOLE + b"\0" * 3 + _member(b"last\n"),
    "every header field": _with_header(TEXT, extra=b"ab\0cd", name=b"drain.log", comment=b"c", hcrc=True),
    "a name only": _with_header(b"x\n", name=b"n"),
    "trailing garbage": WHOLE + b"garbage",
    "one byte after a member": WHOLE + b"x",
    "a magic byte after a member": WHOLE + b"\x1f",
    "another method": WHOLE[:2] + b"\x07" + WHOLE[3:],
    "a bad CRC": WHOLE[:-8] + bytes([WHOLE[-8] ^ 1]) + WHOLE[-7:],
    "a bad length": WHOLE[:-4] + bytes([WHOLE[-4] ^ 1]) + WHOLE[-3:],
    "a truncated header": WHOLE[:7],
    "a name that never ends": _with_header(b"x\n", name=b"n")[:12],
    "cut in the deflate data": WHOLE[: len(WHOLE) // 2],
    "cut in the trailer": WHOLE[:-3],
    "cut after the deflate data": WHOLE[:-8],
    "nothing": b"",
}


def _gzipfile(data: bytes) -> tuple[bytes, str | None]:
    """What ``GzipFile`` hands on before it fails (as the reader takes a file), and its error."""
    stream = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
    out = bytearray()
    try:
        while piece := stream.read1(MOST):
            out += piece
    except (EOFError, OSError, zlib.error) as exc:
        return bytes(out), f"{type(exc).__name__}: {exc}"
    return bytes(out), None


def _gunzip(pieces: list[bytes]) -> tuple[bytes, str | None, list[bytes]]:
    """What ``Gunzip`` hands on fed ``pieces``, its error, and what each piece gave."""
    stream = Gunzip(MOST)
    out = bytearray()
    given: list[bytes] = []
    try:
        for data in pieces:
            given.append(b"")
            for piece in stream.feed(data):  # each piece taken as it comes, as the reader does
                assert 0 < len(piece) <= MOST
                given[-1] += piece
                out += piece
        stream.end()
    except (EOFError, OSError, zlib.error) as exc:
        return bytes(out), f"{type(exc).__name__}: {exc}", given
    return bytes(out), None, given


def _cuts(data: bytes, rng: random.Random) -> Iterator[list[bytes]]:
    """``data`` whole, byte by byte, and in random pieces."""
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for _ in range(20):
        points = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(1, 12))))
        yield [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@pytest.mark.parametrize("name", list(STREAMS))
def test_gunzip_ends_as_gzipfile_however_the_bytes_come(name: str) -> None:
    data = STREAMS[name]
    expected = _gzipfile(data)
    for pieces in _cuts(data, random.Random(name)):
        out, error, _ = _gunzip(pieces)
        assert (out, error) == expected, [len(piece) for piece in pieces]


def test_the_table_reaches_each_error() -> None:
    errors = {_gzipfile(data)[1] for data in STREAMS.values()}
    assert {error.split(" (")[0].split(" 0x")[0] for error in errors if error} == {
        "EOFError: Compressed file ended before the end-of-stream marker was reached",
        "BadGzipFile: Not a gzipped file",
        "BadGzipFile: Unknown compression method",
        "BadGzipFile: CRC check failed",
        "BadGzipFile: Incorrect length of data produced",
    }


@pytest.mark.parametrize("name", ["one member", "flushed lines", "two members", "every header field"])
def test_each_piece_gives_all_it_can_at_once(name: str) -> None:
    """After each prefix, what was handed on is all that zlib can decompress from it: nothing waits
    for a trailer or a next block's header."""
    data = STREAMS[name]
    for cut in range(len(data) + 1):
        _, _, given = _gunzip([data[:cut], data[cut:]])
        assert given[0] == _decompressible(data[:cut]), cut


def _decompressible(prefix: bytes) -> bytes:
    """All the output the members in ``prefix`` determine (zlib, member by member)."""
    out = b""
    while prefix:
        member = zlib.decompressobj(31)
        try:
            out += member.decompress(prefix)
        except zlib.error:  # a header not whole yet
            break
        if not member.eof:
            break
        prefix = member.unused_data
    return out


def test_byte_edits_of_real_streams_end_alike() -> None:
    """Every kind of damage a byte can do, on a seed: the same output and error as GzipFile where
    the damage is in a header or trailer; where it breaks the deflate data (zlib's own error), the
    output of the call that failed is lost in both, so each hands on a prefix of the other's."""
    rng = random.Random(14)
    kinds = set()
    for _ in range(400):
        base = rng.choice(list(STREAMS.values())[:9])
        edited = bytearray(base)
        at = rng.randrange(len(edited))
        edited[at] = rng.randrange(256)
        data = bytes(edited)
        expected_out, expected_error = _gzipfile(data)
        out, error, _ = _gunzip(next(_cuts(data, rng)) if rng.random() < 0.5 else list(_cuts(data, rng))[2])
        kinds.add((expected_error or "").split(":")[0])
        if expected_error and expected_error.startswith("error:"):  # zlib.error
            assert error is not None and error.startswith("error:")
            assert out.startswith(expected_out) or expected_out.startswith(out)
        else:
            assert (out, error) == (expected_out, expected_error)
    assert kinds >= {"", "EOFError", "BadGzipFile", "error"}


def test_a_header_name_of_any_length_is_skipped_not_held() -> None:
    """A name that never ends (FNAME, 16 MiB of it, fed as a pipe gives it) is not kept: it was held
    whole and searched again at each piece (256 MiB: 24 s and 622 MB)."""
    stream = Gunzip(MOST)
    piece = b"A" * (64 << 10)
    tracemalloc.start()
    try:
        assert list(stream.feed(b"\x1f\x8b\x08\x08\0\0\0\0\0\xff")) == []
        for _ in range(256):
            assert list(stream.feed(piece)) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak
    with pytest.raises(EOFError):
        stream.end()


def test_a_piece_of_many_small_members_is_read_in_one_pass() -> None:
    """A megabyte of one-line members in one piece (a shipper that writes a member per line): each
    member's end copied the rest of the piece, quadratic (4 MiB took 4 s). Counted here as the
    bytes zlib is given: about the piece's size, not its square."""
    line = b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - up\n"
    data = gzip.compress(line, mtime=0) * 20_000
    given = 0
    real = zlib.decompressobj

    class Counting:
        def __init__(self, *args: int) -> None:
            self._inflate = real(*args)

        def __getattr__(self, name: str) -> object:
            return getattr(self._inflate, name)

        def decompress(self, data: bytes, most: int) -> bytes:
            nonlocal given
            given += len(data)
            return self._inflate.decompress(data, most)

    stream = Gunzip(MOST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zlib, "decompressobj", Counting)
        assert b"".join(stream.feed(data)) == line * 20_000
    stream.end()
    assert given < 2 * len(data) + 20_000 * WINDOW, given
