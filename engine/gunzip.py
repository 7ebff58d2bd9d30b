"""gzip decompressed piece by piece as its bytes arrive, as ``gzip.GzipFile`` reads a file.

``GzipFile`` pulls its input: when the bytes it holds decompress to nothing yet (a member's trailer,
a deflate block's header), it reads again and waits there, holding what it already decompressed. On
a pipe that is a batch kept back for as long as the sender is idle. ``Gunzip`` is pushed instead:
each piece that arrives gives at once all it decompresses to. It keeps ``GzipFile``'s rules and
errors, so a file and the same bytes on a pipe end alike: members follow one another, zero padding
after a member is skipped, each member's CRC and length are checked after its data is handed on,
and a stream that stops inside a member is ``EOFError``.

Memory and time stay linear in the input: a header's name or comment of any length is skipped as
it comes, never held, and the deflate data is decompressed in windows of ``WINDOW`` bytes, so that
the rest of a piece is not copied at each member's end (a piece of many small members).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from gzip import BadGzipFile
from typing import Final

MAGIC: Final = b"\x1f\x8b"
DEFLATED: Final = 8
FHCRC, FEXTRA, FNAME, FCOMMENT = 2, 4, 8, 16
WINDOW: Final = 8 << 10
"""The most deflate input given to zlib at once (``GzipFile`` reads as much at a time)."""
TRUNCATED: Final = "Compressed file ended before the end-of-stream marker was reached"
"""``GzipFile``'s message for a stream that ends inside a member."""


class Gunzip:
    """One gzip stream, decompressed as its pieces are fed."""

    def __init__(self, most: int) -> None:
        self._most = most  # the most bytes one piece of output holds
        self._header: _Header | None = _Header()  # reading a member's header
        self._inflate: zlib._Decompress | None = None  # then its deflate data
        self._trailer: bytes | None = None  # then its CRC and length, as they come
        self._crc = 0
        self._size = 0
        self._padded = False  # between members: zero padding is skipped

    def feed(self, data: bytes) -> Iterator[bytes]:
        """What ``data`` decompresses to, with what came before it, in pieces of at most ``most``."""
        view = memoryview(data)
        at, end = 0, len(data)
        while True:
            if self._inflate is not None:
                window = view[at : at + WINDOW]
                piece = self._inflate.decompress(window, self._most)
                if piece:
                    self._crc = zlib.crc32(piece, self._crc)
                    self._size += len(piece)
                    yield piece
                if self._inflate.eof:
                    at += len(window) - len(self._inflate.unused_data)
                    self._inflate, self._trailer = None, b""
                    continue
                at += len(window) - len(self._inflate.unconsumed_tail)
                if at >= end and len(piece) < self._most:  # all taken, nothing held back by the cap
                    return
            elif at >= end:
                return
            elif self._trailer is not None:
                taken = data[at : at + 8 - len(self._trailer)]
                at += len(taken)
                self._trailer += taken
                if len(self._trailer) == 8:
                    self._check(self._trailer)
                    self._trailer, self._padded = None, True
            elif self._header is None:  # between members
                if self._padded:
                    at = _first_not_zero(data, at)
                    if at >= end:
                        return
                self._header, self._padded = _Header(), False
            else:
                at = self._header.read(data, at)
                if self._header.done:
                    self._header = None
                    self._inflate, self._crc, self._size = zlib.decompressobj(-zlib.MAX_WBITS), 0, 0

    def end(self) -> None:
        """The stream has ended: raise as ``GzipFile`` would if it ended inside a member."""
        if self._header is not None and len(self._header.fixed) == 1:  # a magic of one byte
            raise BadGzipFile(f"Not a gzipped file ({self._header.fixed!r})")
        if self._inflate is not None or self._trailer is not None or (self._header and self._header.fixed):
            raise EOFError(TRUNCATED)

    def _check(self, trailer: bytes) -> None:
        crc, size = struct.unpack("<II", trailer)
        if crc != self._crc:
            raise BadGzipFile(f"CRC check failed {hex(crc)} != {hex(self._crc)}")
        if size != self._size & 0xFFFFFFFF:
            raise BadGzipFile("Incorrect length of data produced")


def _first_not_zero(data: bytes, at: int) -> int:
    """The offset of the first byte from ``at`` on that is not zero (``len(data)`` if none)."""
    while at < len(data) and not data[at]:  # padding is rare: a window at a time, not the rest
        window = data[at : at + WINDOW]
        at += len(window) - len(window.lstrip(b"\0"))
    return at


class _Header:
    """A member's header read as it comes (RFC 1952, 2.3), keeping only its fixed ten bytes: the
    extra field, name and comment are skipped, whatever their length."""

    def __init__(self) -> None:
        self.fixed = b""
        self.done = False
        self._flags = 0
        self._skip = 0  # bytes of the extra field or the header CRC still to skip
        self._extra_length = b""
        self._stage = "fixed"

    def read(self, data: bytes, at: int) -> int:
        """Read the header from ``data[at:]``; return where it stopped (its end, or ``len(data)``)."""
        end = len(data)
        while at < end and not self.done:
            if self._stage == "fixed":
                taken = data[at : at + 10 - len(self.fixed)]
                at += len(taken)
                self.fixed += taken
                if len(self.fixed) >= 2 and self.fixed[:2] != MAGIC:
                    raise BadGzipFile(f"Not a gzipped file ({self.fixed[:2]!r})")
                if len(self.fixed) == 10:
                    if self.fixed[2] != DEFLATED:
                        raise BadGzipFile("Unknown compression method")
                    self._flags = self.fixed[3]
                    self._next("fixed")
            elif self._stage == "extra length":
                taken = data[at : at + 2 - len(self._extra_length)]
                at += len(taken)
                self._extra_length += taken
                if len(self._extra_length) == 2:
                    self._skip = int.from_bytes(self._extra_length, "little")
                    self._stage = "extra"
            elif self._stage in ("extra", "header crc"):
                taken = min(self._skip, end - at)
                at += taken
                self._skip -= taken
                if not self._skip:
                    self._next(self._stage)
            else:  # a name or a comment: up to its NUL
                nul = data.find(b"\0", at)
                if nul < 0:
                    return end
                at = nul + 1
                self._next(self._stage)
        return at

    def _next(self, after: str) -> None:
        """Go on to the header's next part that its flags say is there, after ``after``."""
        for stage, flag in _PARTS[_AFTER[after] :]:
            if self._flags & flag:
                self._stage, self._skip = stage, 2 if stage == "header crc" else 0
                return
        self.done = True


_PARTS: Final = (("extra length", FEXTRA), ("name", FNAME), ("comment", FCOMMENT), ("header crc", FHCRC))
"""The optional parts of a header, in their order, with the flag that says each is there."""
_AFTER: Final = {"fixed": 0, "extra": 1, "name": 2, "comment": 3, "header crc": 4}
"""Where in ``_PARTS`` the parts that may follow each part begin."""
