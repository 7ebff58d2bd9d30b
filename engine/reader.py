"""Reading input: bytes in large blocks, split on ``\\n`` only, in batches of lines.

Lines are split on ``\\n`` alone (``str.splitlines`` would also split on ten other characters and
change the record count); the ``\\n`` and one ``\\r`` right before it are removed (spec l.3). A
block that decodes as UTF-8 is decoded at once; otherwise its lines are decoded one by one and the
bad ones passed on as ``bytes`` for the normalizer to reject or repair. A line longer than
``max_line_bytes`` is never held whole: it is passed on as an ``Oversized`` (size, SHA-256, head).
Gzip input is recognised by its magic bytes and decompressed as a stream.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterator
from typing import BinaryIO

from .normalizer import DEFAULT_MAX_LINE_BYTES, RAW_PREVIEW_BYTES, Oversized, oversized

BLOCK_SIZE = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"

Line = str | bytes | Oversized


def open_input(stream: BinaryIO) -> BinaryIO:
    """``stream``, or a decompressing view of it when it starts with the gzip magic bytes."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered  # type: ignore[return-value]


def read_batches(
    stream: BinaryIO, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, block_size: int = BLOCK_SIZE
) -> Iterator[list[Line]]:
    """Yield the lines of ``stream`` in batches (about one block of input each), in order."""
    for block in read_blocks(stream, max_line_bytes=max_line_bytes, block_size=block_size):
        yield [block] if isinstance(block, Oversized) else split_lines(block, max_line_bytes)


def read_blocks(
    stream: BinaryIO, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, block_size: int = BLOCK_SIZE
) -> Iterator[bytes | Oversized]:
    """Yield ``stream`` as blocks of whole lines (joined by ``\\n``, without the last one) or, for
    a line longer than ``max_line_bytes``, an ``Oversized`` in its place. Blocks are what parallel
    workers receive: splitting and decoding happen where the lines are normalized.
    """
    pending = b""  # the start of a line whose end has not been read yet
    long_line: _LongLine | None = None  # set while reading through an over-long line
    while chunk := stream.read(block_size):
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
        if len(pending) > max_line_bytes:  # the last line is already too long: hash it as it comes
            long_line = _LongLine()
            long_line.add(pending)
            pending = b""
        if cut >= 0:
            yield data[:cut]
    if long_line is not None:
        yield long_line.done()
    elif pending:
        yield pending


class _LongLine:
    """An over-long line read piece by piece: its size, SHA-256 and first bytes, never the whole."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def add(self, piece: bytes) -> None:
        self.digest.update(piece)
        self.size += len(piece)
        if len(self.head) < RAW_PREVIEW_BYTES:
            self.head += piece[: RAW_PREVIEW_BYTES - len(self.head)]

    def done(self) -> Oversized:
        return Oversized(self.size, self.digest.hexdigest(), self.head)


def count_lines(block: bytes | Oversized) -> int:
    """How many lines a block from ``read_blocks`` holds."""
    return 1 if isinstance(block, Oversized) else block.count(b"\n") + 1


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
