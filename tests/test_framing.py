"""Octet-counted framing (``engine.framing``): frames cut from bytes, streamed in any pieces, and
every Heroku drain body of ``tests/data/heroku-drain-bodies.txt`` through the normalizer, with and
without the accelerator, and through ``normalize --framing octet-counted``."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from engine import Normalizer, Registry, search_path
from engine.batch import Oversized
from engine.framing import Broken, Frames, RawFrames, read_frames, split_frames
from tests.test_heroku_samples import CASES

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
HEADER = b"<190>1 2024-03-15T10:00:00.000001+00:00 host app web.1 - "


def frame(message: bytes) -> bytes:
    """``message`` octet-counted."""
    return b"%d %s" % (len(message), message)


BODIES = {case: body for case, (_, body) in CASES.items()}
"""Case id → body, from ``tests/data/heroku-drain-bodies.txt`` (``test_heroku_samples`` reads it)."""

# --- split_frames, case by case ----------------------------------------------------------------

# (input, frames, error offset or None, error message or None)
SPLITS = [
    (b"", [], None, None),
    (frame(HEADER + b"up\n"), [frame(HEADER + b"up\n")[:-1]], None, None),
    (frame(HEADER + b"up"), [frame(HEADER + b"up")], None, None),  # no LF: Logplex's own lines
    (frame(HEADER + b"done\r\n"), [frame(HEADER + b"done\r\n")[:-2]], None, None),  # the CR too
    (frame(HEADER + b"a\r"), [frame(HEADER + b"a\r")], None, None),  # a CR without LF stays
    (frame(HEADER + b"a\n\n"), [frame(HEADER + b"a\n\n")[:-1]], None, None),  # one LF only
    (frame(HEADER + b"one\ntwo\n"), [frame(HEADER + b"one\ntwo\n")[:-1]], None, None),  # inner LF kept
    (frame(b"<1>1 x\n") * 3, [b"7 <1>1 x"] * 3, None, None),
    (frame("<1>1 é\n".encode()), ["8 <1>1 é".encode()], None, None),  # bytes, not characters
    (b"08 <1>1 x\n", [], 0, "octet count has a leading zero (at offset 0)"),
    (b"0 ", [], 0, "octet count is 0 (at offset 0)"),
    (b"8x3 <1>1 x\n", [], 0, "octet count is not a decimal number (at offset 0)"),
    (b" 7 <1>1 x\n", [], 0, "octet count is not a decimal number (at offset 0)"),
    (b"+7 <1>1 x\n", [], 0, "octet count is not a decimal number (at offset 0)"),
    (b"12345678 <1>1", [], 0, "octet count has more than 7 digits (at offset 0)"),
    (b"123456789 <1>1", [], 0, "octet count has more than 7 digits (at offset 0)"),  # no space in 8
    (b"12345678", [], 0, "octet count has more than 7 digits (at offset 0)"),
    (b"1234567", [], 0, "truncated frame at offset 0: the input ends in its octet count"),
    (b"12", [], 0, "truncated frame at offset 0: the input ends in its octet count"),  # said 'more than 7'
    (b"1x", [], 0, "octet count is not a decimal number (at offset 0)"),
    (b"279\t<158>1 x\n", [], 0, "octet count is not a decimal number (at offset 0)"),
    (b"7<1>1 x\n", [], 0, "octet count is not a decimal number (at offset 0)"),
    (
        b"7 <1>1 x\n30 <1>1 y\n",
        [b"7 <1>1 x"],
        9,
        "truncated frame at offset 9: it declares 30 bytes, 7 follow",
    ),
    (
        b"5 <1>1 x\n",
        [],
        0,
        "the frame at offset 0 declares 5 bytes, but offset 7 is neither the end of the input nor the "
        "start of a frame",
    ),
    (  # '9 1' is no start
        b"7 <1>1 x\n7 <1>1 y\n9 1 1 1 z",
        [b"7 <1>1 x"],
        9,
        "the frame at offset 9 declares 7 bytes, but offset 18 is neither the end of the input nor the "
        "start of a frame",
    ),
    (b"7 <1>1 x\n07 <1>1 y\n", [b"7 <1>1 x"], 9, "octet count has a leading zero (at offset 9)"),
]


@pytest.mark.parametrize(("data", "frames", "offset", "message"), SPLITS)
def test_split_frames(data: bytes, frames: list[bytes], offset: int | None, message: str | None) -> None:
    got, error, used = split_frames(data)
    assert got == frames
    if offset is None:
        assert (error, used) == (None, len(data))
    else:
        assert error is not None and error[0] == offset == used and error[1] == message, error


def test_a_frame_over_the_limit_is_oversized_and_framing_goes_on() -> None:
    big = frame(HEADER + b"x" * 300 + b"\n")
    frames, error, _ = split_frames(big + frame(HEADER + b"after\n"), max_frame_bytes=200)
    assert error is None and len(frames) == 2
    assert isinstance(frames[0], Oversized) and frames[0].size == len(big) - 1
    assert frames[1] == frame(HEADER + b"after\n")[:-1]


# --- read_frames: any cut of the input gives the same frames -----------------------------------


def _streamed(data: bytes, size: int, block_frames: int) -> tuple[list[object], Broken | None]:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    blocks = [_split(b) for b in read_frames(chunks, block_frames=block_frames)]
    assert all(isinstance(b, Frames) and len(b.frames) <= block_frames for b in blocks)
    broken = [b.broken for b in blocks if b.broken is not None]  # type: ignore[union-attr]
    assert len(broken) <= 1 and (not broken or blocks[-1].broken is broken[0])  # type: ignore[union-attr]
    return [f for b in blocks for f in b.frames], broken[0] if broken else None  # type: ignore[union-attr]


def _split(block: object) -> object:
    """Frames the accelerator checked (``RawFrames``) as Python splits them: all of them, whole."""
    if not isinstance(block, RawFrames):
        return block
    frames, error, used = split_frames(block.data)
    assert (error, used, len(frames)) == (None, len(block.data), block.count)
    return Frames(frames)


def _mutated(rnd: random.Random, data: bytes) -> bytes:
    """``data`` with a few bytes replaced, inserted or deleted, weighted towards framing's bytes."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(len(out) + 1)
        byte = bytes([rnd.choice(b"0123456789 <\n\r\xe3x")])
        action = rnd.randrange(3)
        if action == 0 and at < len(out):
            out[at : at + 1] = byte
        elif action == 1:
            out[at:at] = byte
        elif at < len(out):
            del out[at]
    return bytes(out)


def test_read_frames_agrees_with_split_frames_whatever_the_pieces() -> None:
    """Every body, the whole file's bodies end to end, and 1,500 byte-mutated bodies, read in pieces
    of 1, 2, 3, 7, 64 and 4,096 bytes and blocks of 1 or 3 frames: the same frames, the same error at
    the same offset, and the broken rest byte for byte."""
    rnd = random.Random(20261207)
    valid = [body for cid, body in BODIES.items() if not cid.startswith("X")]
    inputs = [*BODIES.values(), b"".join(valid)]
    inputs += [_mutated(rnd, b"".join(rnd.sample(valid, rnd.randint(1, 3)))) for _ in range(1500)]
    broken_seen = 0
    for data in inputs:
        frames, error, used = split_frames(data)
        for size in (1, 2, 3, 7, 64, 4096):
            for block_frames in (1, 3):
                got, broken = _streamed(data, size, block_frames)
                assert got == frames, (data, size)
                if error is None:
                    assert broken is None, (data, size)
                else:
                    assert broken is not None, (data, size)
                    assert (broken.offset, broken.message, broken.rest) == (used, error[1], data[used:])
        broken_seen += error is not None
    assert 300 < broken_seen < 1400  # the mutations reach both sides of the edge


def test_the_broken_rest_of_a_long_input_is_not_held_whole() -> None:
    chunks = [b"08 <1>1 x\n", *([b"y" * 1000] * 5000)]
    (block,) = read_frames(chunks, max_frame_bytes=4096)
    assert isinstance(block, Frames) and block.frames == [] and block.broken is not None
    rest = block.broken.rest
    assert isinstance(rest, Oversized) and rest.size == 10 + 5_000_000
    assert rest.head.startswith(b"08 <1>1 x\n")


def test_idle_is_passed_on_after_the_frames_read_so_far() -> None:
    """On live input a frame that ends where the input stops goes out at IDLE, not when the next
    frame comes (which may be minutes later); a frame not all here yet waits."""
    idle = object()
    blocks = [_split(b) for b in read_frames([b"7 <1>1 x\n7 <1", idle, b">1 y\n", idle, b"7 <1>1 z\n"])]
    assert blocks == [Frames([b"7 <1>1 x"]), idle, Frames([b"7 <1>1 y"]), idle, Frames([b"7 <1>1 z"])]


# --- the drain bodies, through the normalizer --------------------------------------------------

# Case → (events, rejects by reason). Heroku.Runtime is exactly Panther's schema: where the sample
# file's note expects a stricter syslog check (E06 nine fraction digits, E07 NILVALUE, X04 PRI 192,
# X05 version 2), the schema gives an event, as tests/test_heroku_samples.py says case by case.
# Framing errors (X01, X02, X06, X07, X11) are the engine's: one bad_framing reject holding the body.
MULTI = {"D03": 2, "D04": 4, "API01": 2, "S01": 6, "M02": 2, "M03": 2, "P01": 2, "L01": 2, "U02": 2, "E12": 2}
BAD_FRAMING = {"X01", "X02", "X06", "X07", "X11"}
SCHEMA_REJECTS = {"X03": "bad_value", "X08": "bad_value", "X09": "bad_value", "X10": "no_match"}


def expected(case: str) -> tuple[int, dict[str, int]]:
    if case in BAD_FRAMING:
        return 0, {"bad_framing": 1}
    if case in SCHEMA_REJECTS:
        return 0, {SCHEMA_REJECTS[case]: 1}
    return MULTI.get(case, 1), {}


@pytest.fixture(scope="module", params=[True, False], ids=["accelerator", "reference"])
def heroku(request: pytest.FixtureRequest) -> Normalizer:
    return Normalizer(Registry(search_path()).load("Heroku.Runtime"), fast_path=request.param)


def encode(normalizer: Normalizer, body: bytes, first_line: int = 1) -> tuple[list[dict], list[dict]]:
    frames, error, used = split_frames(body)
    broken = None if error is None else Broken(used, error[1], body[used:])
    encoded = normalizer.encode_frames(Frames(frames, broken), source="drain", first_line=first_line)
    assert encoded.lines == len(frames) + (broken is not None) == encoded.events + encoded.rejected
    return [orjson.loads(line) for line in encoded.ndjson.splitlines()], encoded.reject_records()


def test_every_case_of_the_sample_file_has_its_expectation() -> None:
    assert len(BODIES) == 49
    assert set(MULTI) | BAD_FRAMING | set(SCHEMA_REJECTS) <= set(BODIES)


@pytest.mark.parametrize("case", sorted(BODIES))
def test_drain_body(case: str, heroku: Normalizer) -> None:
    events, rejects = encode(heroku, BODIES[case], first_line=10)
    count, reasons = expected(case)
    assert (len(events), {r["reason"]: 1 for r in rejects}) == (count, reasons), rejects
    assert [r["line"] for r in rejects] == [10 + len(events)] * len(rejects)
    if case in BAD_FRAMING:
        (reject,) = rejects
        assert reject["raw"].encode() == BODIES[case]  # the whole body, as the frame broke at 0
        assert "raw holds the rest of the input, from offset 0" in reject["message"]


def test_messages_keep_inner_newlines_and_lose_one_trailing_lf(heroku: Normalizer) -> None:
    (e08,) = encode(heroku, BODIES["E08"])[0]
    assert e08["message"] == "panic: runtime error: index out of range\ngoroutine 1 [running]:"
    assert encode(heroku, BODIES["E09"])[0][0]["message"] == "done"
    chunks = encode(heroku, BODIES["E12"])[0]
    assert [len(e["message"].encode()) for e in chunks] == [10000, 1248]
    assert [e["message_len"] for e in encode(heroku, BODIES["U02"])[0]] == [
        int(f.split(b" ", 1)[0])
        for f in split_frames(BODIES["U02"])[0]  # type: ignore[union-attr]
    ]


def test_a_frame_cut_inside_a_character_is_rejected_with_its_bytes_or_replaced() -> None:
    """log-shuttle splits a long line at a byte offset: UTF-8 is decoded per frame, so both halves of
    the character are invalid; by default each frame is an invalid_utf8 reject keeping its bytes."""
    body = frame(HEADER + "日本".encode()[:4]) + frame(HEADER + "本".encode()[1:] + b" rest\n")
    schema = Registry(search_path()).load("Heroku.Runtime")
    events, rejects = encode(Normalizer(schema), body)
    assert (events, [r["reason"] for r in rejects]) == ([], ["invalid_utf8", "invalid_utf8"])
    assert [r["line"] for r in rejects] == [1, 2] and all("raw_b64" in r for r in rejects)
    events, rejects = encode(Normalizer(schema, invalid_utf8="replace"), body)
    assert rejects == [] and [e["message"] for e in events] == ["日\ufffd", "\ufffd\ufffd rest"]


def test_accelerator_and_reference_write_the_same_records() -> None:
    schema = Registry(search_path()).load("Heroku.Runtime")
    fast, reference = Normalizer(schema), Normalizer(schema, fast_path=False)
    body = b"".join(BODIES.values())
    frames, error, used = split_frames(body)
    block = Frames(frames, None if error is None else Broken(used, error[1], body[used:]))
    a, b = (n.encode_frames(block, source="all") for n in (fast, reference))
    assert stable(a.ndjson) == stable(b.ndjson) and a.rejects == b.rejects
    assert (a.events, a.rejected, a.lines) == (b.events, b.rejected, b.lines) == (54, 1, 55)


def stable(ndjson: bytes) -> list[dict]:
    """Events without what differs from run to run: row ids, parse times, and event times that are
    the parse time."""
    events = [orjson.loads(line) for line in ndjson.splitlines()]
    for event in events:
        if event["p_event_time"] == event.pop("p_parse_time"):
            del event["p_event_time"]
        del event["p_row_id"]
    return events


def test_the_accelerator_reads_frames_itself_as_framing_does() -> None:
    """``encode_body`` (the plan reads the frames in C, Python only what it defers and what follows
    the last frame it took) against ``split_frames`` and the reference path: the same records for
    every body and 1,500 byte-mutated ones, where C took frames, deferred some and stopped early."""
    schema = Registry(search_path()).load("Heroku.Runtime")
    fast, reference = Normalizer(schema), Normalizer(schema, fast_path=False)
    rnd = random.Random(7)
    valid = [body for cid, body in BODIES.items() if not cid.startswith("X")]
    inputs = [*BODIES.values(), b"".join(valid)]
    inputs += [_mutated(rnd, b"".join(rnd.sample(valid, rnd.randint(1, 3)))) for _ in range(1500)]
    stopped_early = deferred = 0
    for data in inputs:
        frames, error, used = split_frames(data)
        want = reference.encode_frames(
            Frames(frames, None if error is None else Broken(used, error[1], data[used:])), source="s"
        )
        got = fast.encode_body(data, source="s")
        assert stable(got.ndjson) == stable(want.ndjson) and got.rejects == want.rejects, data
        assert (got.lines, got.events, got.reasons) == (want.lines, want.events, want.reasons)
        assert fast.plan is not None
        _, _, taken_bytes, taken = fast.plan.run_frames(
            data, b"2026-01-01 00:00:00.000000000", 1 << 20, _none
        )
        stopped_early += taken_bytes < len(data)
        deferred += sum(1 for f in frames[:taken] if not isinstance(f, bytes) or b"\n" in f)
    assert stopped_early > 300 and deferred > 10


def _none(raw: bytes, index: int) -> None:
    return None


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [[], ["--no-fast-path"], ["-w", "2"], ["--no-fast-path", "-w", "2"]])
def test_cli_replays_drain_bodies(tmp_path: Path, options: list[str]) -> None:
    """All the bodies end to end are one octet-counted stream: 54 frames, then X01's count breaks the
    framing and the rest of the file is one reject."""
    data = tmp_path / "bodies.bin"
    data.write_bytes(b"".join(BODIES.values()))
    out, rej = tmp_path / "out", tmp_path / "rej"
    command = [NORMALIZE, "-s", "Heroku.Runtime", "--framing", "octet-counted", str(data), *options]
    result = subprocess.run(
        [*command, "-o", str(out), "--rejects", str(rej)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(b"normalize: 55 frames: 54 events, 1 rejects (bad_framing 1)")
    (reject,) = [orjson.loads(line) for line in rej.read_bytes().splitlines()]
    offset = data.read_bytes().index(BODIES["X01"])
    assert (reject["line"], reject["raw"].encode()) == (55, data.read_bytes()[offset:])
    assert f"from offset {offset}" in reject["message"]
    assert len(out.read_bytes().splitlines()) == 54
