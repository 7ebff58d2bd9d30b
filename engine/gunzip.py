"""gzip decompressed piece by piece as its bytes arrive, as ``gzip.GzipFile`` reads a file.

``GzipFile`` pulls its input: when the bytes it holds decompress to nothing yet (a member's trailer,
a deflate block's header), it reads again and waits there, holding what it already decompressed. On
a pipe that is a batch kept back for as long as the sender is idle. ``Gunzip`` is pushed instead:
each piece that arrives gives at once all it decompresses to. It keeps ``GzipFile``'s rules and
errors, so a file and the same bytes on a pipe end alike: members follow one another, zero padding
after a member is skipped, each member's CRC and length are checked after its data is handed on,
and a stream that stops inside a member is ``EOFError``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Generator, Iterator
from gzip import BadGzipFile
from typing import Final

MAGIC: Final = b"\x1f\x8b"
DEFLATED: Final = 8
FHCRC, FEXTRA, FNAME, FCOMMENT = 2, 4, 8, 16
TRUNCATED: Final = "Compressed file ended before the end-of-stream marker was reached"
"""``GzipFile``'s message for a stream that ends inside a member."""


class Gunzip:
    """One gzip stream, decompressed as its pieces are fed."""

    def __init__(self, most: int) -> None:
        self._most = most  # the most bytes one piece of output holds
        self._held = b""  # input not used yet: part of a header or of a trailer
        self._inflate: zlib._Decompress | None = None  # inside a member's deflate data
        self._crc = 0
        self._size = 0
        self._between = False  # a member has ended: zero padding may follow
        self._trailer = False  # a member's deflate data has ended: its CRC and length come next

    def feed(self, data: bytes) -> Iterator[bytes]:
        """What ``data`` decompresses to, with what came before it, in pieces of at most ``most``."""
        data = self._held + data if self._held else data
        self._held = b""
        while data:
            if self._inflate is not None:
                data = yield from self._inflated(data)
            elif self._trailer:
                if len(data) < 8:
                    break
                self._check(data[:8])
                data, self._trailer, self._between = data[8:], False, True
            else:
                if self._between:
                    data = data.lstrip(b"\0")
                    if not data:
                        return
                length = _header_length(data)
                if length is None:
                    break
                data, self._between = data[length:], False
                self._inflate, self._crc, self._size = zlib.decompressobj(-zlib.MAX_WBITS), 0, 0
        self._held = data

    def end(self) -> None:
        """The stream has ended: raise as ``GzipFile`` would if it ended inside a member."""
        if self._inflate is None and not self._trailer:  # before a member's header
            if not self._held:
                return
            if len(self._held) == 1:  # a magic of one byte
                raise BadGzipFile(f"Not a gzipped file ({self._held!r})")
        raise EOFError(TRUNCATED)

    def _inflated(self, data: bytes) -> Generator[bytes, None, bytes]:
        """The member's deflate data in ``data`` decompressed; returns what follows its end."""
        inflate = self._inflate
        assert inflate is not None
        while True:
            piece = inflate.decompress(data, self._most)
            data = inflate.unconsumed_tail
            if piece:
                self._crc = zlib.crc32(piece, self._crc)
                self._size += len(piece)
                yield piece
            if inflate.eof:
                self._inflate, self._trailer = None, True
                return inflate.unused_data
            if not data and len(piece) < self._most:  # all taken, nothing held back by the cap
                return b""

    def _check(self, trailer: bytes) -> None:
        crc, size = struct.unpack("<II", trailer)
        if crc != self._crc:
            raise BadGzipFile(f"CRC check failed {hex(crc)} != {hex(self._crc)}")
        if size != self._size & 0xFFFFFFFF:
            raise BadGzipFile("Incorrect length of data produced")


def _header_length(data: bytes) -> int | None:
    """The length of the member header ``data`` starts with, or ``None`` while it is incomplete."""
    if len(data) < 2:
        return None
    if data[:2] != MAGIC:
        raise BadGzipFile(f"Not a gzipped file ({data[:2]!r})")
    if len(data) < 10:
        return None
    if data[2] != DEFLATED:
        raise BadGzipFile("Unknown compression method")
    flags, at = data[3], 10
    if flags & FEXTRA:
        if len(data) < at + 2:
            return None
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    for field in (FNAME, FCOMMENT):
        if flags & field:
            end = data.find(b"\0", at)
            if end < 0:
                return None
            at = end + 1
    if flags & FHCRC:
        at += 2
    return at if len(data) >= at else None
