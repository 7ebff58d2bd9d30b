"""Reading input: bytes in blocks of whole lines, split on ``\\n`` only, or of octet-counted frames.

Lines are split on ``\\n`` alone (``str.splitlines`` would also split on ten other characters and
change the record count); the ``\\n`` and one ``\\r`` right before it are removed (spec l.3). A
block holds at most ``BLOCK_SIZE`` bytes and ``BLOCK_LINES`` lines, so that what one block becomes
(its events, and as many rejects as it has lines) stays small whatever the input. A line longer than
``max_line_bytes`` is never held whole: it is passed on as an ``Oversized`` (size, SHA-256, head).
Gzip input is recognised by its magic bytes and decompressed as a stream.

A regular file is read a block at a time. Live input (a pipe, a terminal, a socket: ``tail -f``,
``heroku logs --tail``) hands over its lines as they arrive: when nothing more is waiting, the lines
read so far go out as a block, followed by ``IDLE``, the sign for whoever consumes the blocks to
write what it holds before the next read blocks.

With ``framing=OCTET_COUNTED`` the input is a stream of RFC 6587 frames instead (a captured drain
body, say), cut into blocks of ``framing.Frames``: one record per frame, inner LFs kept.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import select
import stat
from collections.abc import Iterable, Iterator
from functools import partial
from typing import BinaryIO, Final

from .batch import DEFAULT_MAX_LINE_BYTES, RAW_PREVIEW_BYTES, Line, Oversized, oversized
from .framing import Frames, RawFrames, read_frames
from .gunzip import MAGIC, Gunzip

try:
    from . import _fastpath
except ImportError:  # built without a C compiler
    _fastpath = None  # type: ignore[assignment]

BLOCK_SIZE: Final = 1 << 20
BLOCK_LINES: Final = 4096
"""The most lines in one block: a block of short bad lines makes one reject per line, and their
records must not pile up (a 1 MiB block of 2-byte lines would be half a million)."""


class _Idle:
    """The type of ``IDLE``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "IDLE"


GZIP_PIECE: Final = 128 << 10
"""The most bytes live gzip input is decompressed to at a time: pieces smaller than a block keep a
worker normalizing while the next is decompressed (with 1 MiB pieces, 1M Heroku lines through a
pipe ran 10% slower)."""

IDLE: Final = _Idle()
"""Yielded by ``read_blocks`` on live input when no more input is waiting: write what you hold."""

Block = bytes | Oversized | Frames | RawFrames
"""A block of input: whole lines joined by ``\\n``, one over-long line, or frames."""

LINES: Final = "lines"
OCTET_COUNTED: Final = "octet-counted"
FRAMINGS: Final = (LINES, OCTET_COUNTED)
"""How an input is cut into records: lines, or RFC 6587 octet-counted frames."""


def open_input(stream: BinaryIO) -> BinaryIO:
    """``stream``, or a decompressing view of it when it starts with the gzip magic bytes (on live
    input, a ``LiveGzip``, which ``read_blocks`` decompresses as its bytes arrive)."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    live = _is_live_file(buffered)
    head = buffered.peek(2)[:2]
    if live and head == MAGIC[:1]:  # a pipe may give the magic's first byte alone: wait for one more
        head = buffered.read(2)
        buffered = io.BufferedReader(_Prefixed(head, buffered))
    if head == MAGIC:
        if live:
            return LiveGzip(buffered)  # type: ignore[return-value]
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered  # type: ignore[return-value]


class _Prefixed(io.RawIOBase):
    """A live stream with the bytes already read from it put back in front."""

    def __init__(self, head: bytes, stream: io.BufferedReader) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data, self._head = (self._head, b"") if self._head else (self._stream.read1(len(buffer)), b"")
        buffer[: len(data)] = data
        return len(data)

    def fileno(self) -> int:
        return self._stream.fileno()


class LiveGzip:
    """A gzip stream on live input (a pipe): ``read_blocks`` decompresses each piece as it arrives
    (``_gunzipped``), where ``GzipFile`` waits inside a read for more input whenever the bytes it has
    decompress to nothing yet (a member's trailer, a block's header), holding what came before."""

    def __init__(self, stream: io.BufferedReader) -> None:
        self.stream = stream

    def fileno(self) -> int:
        return self.stream.fileno()


def is_live(stream: BinaryIO) -> bool:
    """Whether ``stream`` is live input (not a regular file), read as it arrives."""
    if isinstance(stream, LiveGzip):
        return True
    return isinstance(stream, io.BufferedReader) and _is_live_file(stream)


def _is_live_file(stream: io.BufferedReader) -> bool:
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def read_blocks(
    stream: BinaryIO,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    block_size: int = BLOCK_SIZE,
    block_lines: int = BLOCK_LINES,
    live: bool | None = None,
    framing: str = LINES,
) -> Iterator[Block | _Idle]:
    """Yield ``stream`` as blocks of whole lines (joined by ``\\n``, without the last one) or, for a
    line longer than ``max_line_bytes``, an ``Oversized`` in its place; on live input (``live``,
    by default ``is_live(stream)``), ``IDLE`` whenever the input has nothing more waiting. With
    ``framing=OCTET_COUNTED``, blocks of at most ``block_lines`` frames instead.
    """
    if isinstance(stream, LiveGzip):
        chunks: Iterable[bytes | _Idle] = _gunzipped(_live_chunks(stream.stream, block_size), block_size)
    elif live if live is not None else is_live(stream):
        chunks = _live_chunks(stream, block_size)
    elif isinstance(stream, gzip.GzipFile):
        chunks = _salvaged_chunks(stream, block_size)
    else:
        chunks = iter(partial(stream.read, block_size), b"")
    if framing == OCTET_COUNTED:
        return read_frames(chunks, max_frame_bytes=max_line_bytes, block_frames=block_lines)  # type: ignore[return-value]
    return _blocks(chunks, max_line_bytes, block_lines)


def _salvaged_chunks(stream: BinaryIO, block_size: int) -> Iterator[bytes]:
    """A decompressing stream in chunks of ``block_size``, read in the pieces it decompresses at a
    time, so that what came before a corrupt or truncated part is handed on before the error."""
    parts: list[bytes] = []
    size = 0
    try:
        while piece := stream.read1(block_size - size):  # type: ignore[attr-defined]
            parts.append(piece)
            size += len(piece)
            if size >= block_size:
                chunk, parts, size = b"".join(parts), [], 0
                yield chunk
    except Exception:
        if parts:
            yield b"".join(parts)
        raise
    if parts:
        yield b"".join(parts)


def _live_chunks(stream: BinaryIO, block_size: int) -> Iterator[bytes | _Idle]:
    """What a live stream has, as soon as it has it: as much as is waiting (up to ``block_size``),
    then ``IDLE`` when nothing more is. Only the first read of each chunk may block."""
    read1 = stream.read1  # type: ignore[attr-defined]
    fd = stream.fileno()
    parts: list[bytes] = []
    try:
        while chunk := read1(block_size):
            parts, size = [chunk], len(chunk)
            while size < block_size and _waiting(fd):
                more = read1(block_size - size)
                if not more:  # the end
                    yield b"".join(parts)
                    return
                parts.append(more)
                size += len(more)
            chunk, parts = b"".join(parts), []
            yield chunk
            if size < block_size or not _waiting(fd):  # a full chunk may be all there is for now
                yield IDLE
    except OSError:  # a read that fails (EIO): what came before it is handed on first
        if parts:
            yield b"".join(parts)
        raise


def _gunzipped(chunks: Iterable[bytes | _Idle], block_size: int) -> Iterator[bytes | _Idle]:
    """Live gzip input, each chunk decompressed as it arrives (``gunzip.Gunzip``), in pieces of at
    most ``GZIP_PIECE`` bytes (a small chunk may inflate a thousandfold). What one chunk gives is
    joined up to that size (a chunk of many small members gives many small pieces), and handed on
    before an error the chunk raises."""
    most = min(block_size, GZIP_PIECE)
    stream = Gunzip(most)
    for item in chunks:
        if item is IDLE:
            yield IDLE
            continue
        parts: list[bytes] = []
        size = 0
        try:
            for piece in stream.feed(item):  # type: ignore[arg-type]
                if size + len(piece) > most:
                    joined, parts, size = b"".join(parts), [], 0
                    yield joined
                parts.append(piece)
                size += len(piece)
        except Exception:  # corrupt gzip: what came before it first
            if parts:
                yield b"".join(parts)
            raise
        if parts:
            yield b"".join(parts)
    stream.end()


def _waiting(fd: int) -> bool:
    """Whether a read of ``fd`` would return at once."""
    return bool(select.select([fd], [], [], 0)[0])


def _blocks(
    chunks: Iterable[bytes | _Idle], max_line_bytes: int, block_lines: int
) -> Iterator[Block | _Idle]:
    """Chunks of input (and ``IDLE``) → blocks of whole lines, ``Oversized`` lines and ``IDLE``."""
    pending = b""  # the start of a line whose end has not been read yet
    long_line: _LongLine | None = None  # set while reading through an over-long line
    for item in chunks:
        if item is IDLE:
            yield IDLE
            continue
        chunk: bytes = item  # type: ignore[assignment]
        if long_line is not None:
            cut = chunk.find(b"\n")
            long_line.add(chunk if cut < 0 else chunk[:cut])
            if cut < 0:
                continue
            yield long_line.done()
            long_line = None
            chunk = chunk[cut + 1 :]
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        pending = data[cut + 1 :]
        # The limit is on the line without its \r\n: a \r at the end may yet be the one before \n.
        if len(pending) - pending.endswith(b"\r") > max_line_bytes:  # too long already: hash it as it comes
            long_line = _LongLine()
            long_line.add(pending)
            pending = b""
        if cut >= 0:
            yield from _capped(data[:cut], block_lines)
    if long_line is not None:
        yield long_line.done()
    elif pending:
        yield pending


def _capped(block: bytes, block_lines: int) -> Iterator[bytes]:
    """``block`` in pieces of ``block_lines`` lines (the last: what is left), each cut found from a
    guess at where it falls, by the bytes' own searches: a few per piece, not one per line."""
    left = newlines(block)  # the newlines from ``start`` on
    if left < block_lines:
        yield block
        return
    about = len(block) * block_lines // (left + 1)  # the bytes of about block_lines lines
    start = 0
    while left >= block_lines:
        # the cut: the newline that ends the piece's last line, with block_lines - 1 before it
        guess = min(start + about, len(block))
        before = newlines(block, start, guess)
        if before >= block_lines:
            cut = guess
            for _ in range(before - block_lines + 1):
                cut = block.rfind(b"\n", start, cut)
        else:
            cut = guess - 1
            for _ in range(block_lines - before):
                cut = block.find(b"\n", cut + 1)
        yield block[start:cut]
        start = cut + 1
        left -= block_lines
    yield block[start:]


class _LongLine:
    """An over-long line read piece by piece: its size, SHA-256 and first bytes, never the whole.

    A ``\\r`` at the end of a piece is held back until the next piece: if none comes, it was the
    one removed before the line's ``\\n`` and is not part of the line.
    """

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.held = b""

    def add(self, piece: bytes) -> None:
        piece = self.held + piece
        self.held = b"\r" if piece.endswith(b"\r") else b""
        if self.held:
            piece = piece[:-1]
        self.digest.update(piece)
        self.size += len(piece)
        if len(self.head) < RAW_PREVIEW_BYTES:
            self.head += piece[: RAW_PREVIEW_BYTES - len(self.head)]

    def done(self) -> Oversized:
        return Oversized(self.size, self.digest.hexdigest(), self.head)


def count_lines(block: Block) -> int:
    """How many records (lines, or frames) a block from ``read_blocks`` holds."""
    if isinstance(block, Frames | RawFrames):
        return block.lines
    return 1 if isinstance(block, Oversized) else newlines(block) + 1


def newlines(data: bytes, start: int = 0, end: int | None = None) -> int:
    """``data.count(b"\\n", start, end)``, in C where the accelerator is built (2.4 times faster:
    every block's lines are counted, on the thread that reads)."""
    end = len(data) if end is None else end
    return data.count(b"\n", start, end) if _fastpath is None else _fastpath.newlines(data, start, end)


def split_lines(block: bytes, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> list[Line]:
    """Split a block of whole lines (without the final ``\\n``) into lines, decoding what decodes."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return [decode_line(raw, max_line_bytes) for raw in block.split(b"\n")]
    lines: list[Line] = text.split("\n")  # type: ignore[assignment]
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]  # type: ignore[union-attr]
    # A line of n characters has at most 4n bytes: only suspects are measured exactly.
    if max(map(len, lines)) * 4 > max_line_bytes:  # type: ignore[arg-type]
        lines = [_limit(line, max_line_bytes) for line in lines]  # type: ignore[arg-type]
    return lines


def _limit(line: str, max_line_bytes: int) -> Line:
    if len(line) * 4 <= max_line_bytes:
        return line
    data = line.encode("utf-8")
    return oversized(data) if len(data) > max_line_bytes else line


def decode_line(raw: bytes, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Line:
    """One raw line (without its ``\\n``) as ``split_lines`` would give it: one ``\\r`` dropped,
    text when it decodes, else the bytes; an ``Oversized`` when it is too long."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > max_line_bytes:
        return oversized(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
