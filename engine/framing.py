"""Octet-counted framing (RFC 6587, section 3.4.1): syslog messages, each after its length.

This is how Logplex's HTTPS drains send logs (``application/logplex-1``), and how a captured drain
body is replayed (``normalize --framing octet-counted``). A frame is ``LEN SP MSG``: ``LEN`` counts
the *bytes* of ``MSG`` (not its characters), its trailing LF included when it has one, written
without leading zeros; frames follow each other with nothing between. Each frame becomes one line
for the schema, the count included (Heroku.Runtime reads it into ``message_len``), with one
trailing LF, and a CR right before it, removed; LFs inside a message are kept.

A frame is taken only when it ends where the input ends or where another frame starts (a count, a
space, ``<``): a wrong count (characters counted instead of bytes, one off) is caught at the frame it
breaks rather than frames later. Once framing has gone wrong there is no way back in step without
guessing, so the rest of the input, from the broken frame on, becomes one ``bad_framing`` reject
that holds those bytes and says at which offset they start: nothing is dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from .batch import DEFAULT_MAX_LINE_BYTES, RAW_PREVIEW_BYTES, Oversized, oversized

MAX_COUNT_DIGITS: Final = 7
"""The longest octet count read (frames up to 9,999,999 bytes; Logplex sends at most ~10 KiB)."""

_FRAME_START: Final = re.compile(rb"[0-9]{1,%d} <" % MAX_COUNT_DIGITS)
_NEEDED_TO_SEE_A_START: Final = MAX_COUNT_DIGITS + 2

Frame = bytes | Oversized
"""One frame as a line: its bytes, or a stand-in for a frame longer than the line limit."""

try:
    from ._fastpath import frames_end as _frames_end
except ImportError:  # built without the accelerator: Python splits every frame
    _frames_end = None


@dataclass(frozen=True, slots=True)
class Broken:
    """Where framing broke: ``message`` says why, ``rest`` holds the input from ``offset`` (the byte
    of the input where the broken frame starts) to its end, as bytes or, when long, an ``Oversized``."""

    offset: int
    message: str
    rest: bytes | Oversized


@dataclass(frozen=True, slots=True)
class Frames:
    """A block of consecutive frames of one input, and the framing error that ended the input."""

    frames: list[Frame] = field(default_factory=list)
    broken: Broken | None = None

    @property
    def lines(self) -> int:
        """The records this block stands for: one per frame, and one for the broken rest."""
        return len(self.frames) + (self.broken is not None)


@dataclass(frozen=True, slots=True)
class RawFrames:
    """``count`` whole frames as they were read, which framing takes as they are (the accelerator
    checked them by the same rule): ``Normalizer.encode_body`` reads them without a Python split."""

    data: bytes
    count: int

    @property
    def lines(self) -> int:
        return self.count


def split_frames(
    data: bytes,
    *,
    max_frame_bytes: int = DEFAULT_MAX_LINE_BYTES,
    final: bool = True,
    most: int | None = None,
    offset: int = 0,
    idle: bool = False,
) -> tuple[list[Frame], tuple[int, str] | None, int]:
    """The frames at the start of ``data``: ``(frames, error, used)``.

    ``used`` is how many bytes of ``data`` the frames took. ``error`` is ``(offset, message)`` when
    framing broke at ``offset`` (then ``data[used:]`` is the broken rest). With ``final=False`` more
    input may follow: a frame not all here yet ends the list without an error, and ``data[used:]`` is
    to be read again with what comes next. ``most`` caps how many frames are taken; ``offset`` is
    where ``data`` starts in the input, for the messages. ``idle`` (live input with nothing more
    waiting) takes a frame that ends exactly at the end of ``data`` without seeing what follows,
    rather than hold it until more input comes.
    """
    frames: list[Frame] = []
    n = len(data)
    pos = 0
    while pos < n and (most is None or len(frames) < most):
        space = data.find(b" ", pos, pos + MAX_COUNT_DIGITS + 1)
        if space < 0:
            if not final and n - pos <= MAX_COUNT_DIGITS:
                break
            count = data[pos : pos + MAX_COUNT_DIGITS + 1]
            if not count.isdigit():
                why = f"octet count is not a decimal number (at offset {offset + pos})"
            elif n - pos <= MAX_COUNT_DIGITS:  # the input ends inside the count
                why = f"truncated frame at offset {offset + pos}: the input ends in its octet count"
            else:
                why = f"octet count has more than 7 digits (at offset {offset + pos})"
            return frames, (pos, why), pos
        count = data[pos:space]
        if not count.isdigit():  # bytes.isdigit: ASCII digits only
            return frames, (pos, f"octet count is not a decimal number (at offset {offset + pos})"), pos
        if count[0] == 0x30:  # "0"
            why = "octet count is 0" if count == b"0" else "octet count has a leading zero"
            return frames, (pos, f"{why} (at offset {offset + pos})"), pos
        length = int(count)
        start, end = space + 1, space + 1 + length
        if end > n:
            if not final:
                break
            message = (
                f"truncated frame at offset {offset + pos}: it declares {length} bytes, {n - start} follow"
            )
            return frames, (pos, message), pos
        if end == n and not final and not idle:
            break  # whether the next frame starts right here is not known yet
        if end < n and _FRAME_START.match(data, end) is None:
            if not final and n - end < _NEEDED_TO_SEE_A_START and _may_start_a_frame(data[end:]):
                break
            message = (
                f"the frame at offset {offset + pos} declares {length} bytes, but offset {offset + end} "
                "is neither the end of the input nor the start of a frame"
            )
            return frames, (pos, message), pos
        if data[end - 1] == 0x0A:  # one trailing LF, and a CR right before it
            stop = end - 2 if end - 2 >= start and data[end - 2] == 0x0D else end - 1
        else:
            stop = end
        frame = data[pos:stop]
        frames.append(frame if len(frame) <= max_frame_bytes else oversized(frame))
        pos = end
    return frames, None, pos


def _may_start_a_frame(tail: bytes) -> bool:
    """Whether ``tail``, cut short, could still grow into a frame start (digits, a space, ``<``)."""
    digits = len(tail) - len(tail.lstrip(b"0123456789"))
    if digits == len(tail):
        return digits <= MAX_COUNT_DIGITS
    return 0 < digits <= MAX_COUNT_DIGITS and tail[digits:] == b" "


def read_frames(
    chunks: Iterable[bytes | object],
    *,
    max_frame_bytes: int = DEFAULT_MAX_LINE_BYTES,
    block_frames: int = 4096,
) -> Iterator[Frames | RawFrames | object]:
    """The frames of an input given as ``chunks`` of bytes (a file read in pieces, or one request
    body), in blocks of at most ``block_frames``; anything in ``chunks`` that is not bytes (the
    reader's ``IDLE``) is passed on after the frames read so far. A framing error ends the input:
    the last block carries it, and the rest of the input goes into it (held whole only when short).
    """
    pending = b""
    offset = 0  # of pending's first byte in the input
    chunks = iter(chunks)  # a framing error reads the rest of it
    for chunk in chunks:
        if not isinstance(chunk, bytes):  # IDLE: hand over the frames that are here, then pass it on
            frames, error, used = split_frames(
                pending, max_frame_bytes=max_frame_bytes, final=False, offset=offset, idle=True
            )
            if error is None and frames:
                yield Frames(frames)
                pending, offset = pending[used:], offset + used
            yield chunk
            continue
        pending += chunk
        while True:
            if _frames_end is not None:  # the accelerator checks the frames: Python splits nothing
                used, count = _frames_end(pending, False, block_frames)
                if count:
                    yield RawFrames(pending[:used], count)
                    pending, offset = pending[used:], offset + used
                    if count == block_frames:
                        continue
            frames, error, used = split_frames(
                pending, max_frame_bytes=max_frame_bytes, final=False, most=block_frames, offset=offset
            )
            if error is not None:
                yield Frames(frames, _broken(offset, error, pending[used:], chunks, max_frame_bytes))
                return
            if frames:
                yield Frames(frames)
            pending = pending[used:]
            offset += used
            if len(frames) < block_frames:
                break
    while pending:
        frames, error, used = split_frames(
            pending, max_frame_bytes=max_frame_bytes, most=block_frames, offset=offset
        )
        broken = None if error is None else _broken(offset, error, pending[used:], (), max_frame_bytes)
        yield Frames(frames, broken)
        if broken is not None:
            return
        pending = pending[used:]
        offset += used


def _broken(
    offset: int, error: tuple[int, str], rest: bytes, more: Iterable[bytes | object], most: int
) -> Broken:
    """The broken rest of an input: ``rest`` and whatever ``more`` still holds, as an ``Oversized``
    (size, SHA-256, head) once it passes ``most`` bytes, so that a long input is never held whole."""
    at, message = error
    head = rest
    digest = None
    size = len(rest)
    for chunk in more:
        if not isinstance(chunk, bytes):
            continue
        if digest is None and len(head) + len(chunk) <= most:
            head += chunk
            size += len(chunk)
            continue
        if digest is None:
            digest = hashlib.sha256(head)
            head = head[:RAW_PREVIEW_BYTES]
        digest.update(chunk)
        size += len(chunk)
    if digest is None:
        body: bytes | Oversized = head if len(head) <= most else oversized(head)
    else:
        body = Oversized(size, digest.hexdigest(), head)
    return Broken(offset + at, message, body)


__all__ = ["MAX_COUNT_DIGITS", "Broken", "Frame", "Frames", "RawFrames", "read_frames", "split_frames"]
