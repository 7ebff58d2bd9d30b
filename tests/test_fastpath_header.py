"""CSV whose columns each file's header line names, on the C accelerator: a plan per header.

The header of a file (and ``skipLines`` before it) goes through the reference path, which reads the
names; the rest of the file runs on the plan of those names, its deferred lines settled by the line
function of those names. Held, as in ``test_fastpath``, to what the reference path writes for the
same blocks (``p_row_id`` and ``p_parse_time`` aside), and to which blocks the plan took.
"""

from __future__ import annotations

import io
import operator
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Normalizer, plan
from engine.batch import Encoded
from engine.reader import read_blocks, split_lines
from engine.registry import load_schema_file
from engine.spec import Schema

from .test_fastpath import comparable

pytestmark = pytest.mark.skipif(not plan.AVAILABLE, reason="the C accelerator is not built")

USERS = """
    schema: Custom.Fast.Users
    parser:
      csv:
        hasHeader: true
        emptyValues: ['-']
    fields:
      - {name: id, type: bigint}
      - {name: user, type: string, indicators: [username]}
      - {name: src, type: string, indicators: [ip]}
      - {name: port, type: int}
      - {name: at, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: ok, type: boolean}
      - {name: note, type: string}
"""

H1 = "id,user,src,port,at,ok,note"
ROW1 = "7,bob,10.0.0.1,443,2024-03-15T10:07:03Z,true,hello"
ROW2 = "8,-,not-an-ip,-,-,F,"
H2 = "note,at,src,id"  # another order, fewer columns
ROW3 = "reordered,2024-03-15T10:07:04.5+01:00,192.168.1.1,9"

MAX_LINE_BYTES = 300

Block = tuple[str, int, str | bytes]  # source, first line, text


# (id, schema options, normalizer options, blocks in order, the plan's runs, the lines it deferred),
# runs and deferred lines as (source, line).
CASES: list[tuple[str, str, dict[str, str], list[Block], list[tuple[str, int]], list[tuple[str, int]]]] = [
    ("one-file", "", {}, [("a", 1, f"{H1}\n{ROW1}\n{ROW2}\n{ROW1}")], [("a", 2)], []),
    (
        "two-files-two-headers",
        "",
        {},
        [("a", 1, f"{H1}\n{ROW1}"), ("b", 1, f"{H2}\n{ROW3}\n{ROW1}"), ("a", 3, ROW2), ("b", 4, ROW3)],
        [("a", 2), ("b", 2), ("a", 3), ("b", 4)],
        [("b", 3)],  # a row of the other file's columns: too many for this header
    ),
    (
        "same-source-again-with-another-header",
        "",
        {},
        [("a", 1, f"{H1}\n{ROW1}"), ("a", 1, f"{H2}\n{ROW3}")],
        [("a", 2), ("a", 2)],
        [],
    ),
    (
        "blank-lines-and-skip-lines",
        "skipLines: 2",
        {},
        [("a", 1, f"\n# exported\n  \n# by x\n\n{H1}\n{ROW1}"), ("a", 8, ROW2)],
        [("a", 7), ("a", 8)],
        [],
    ),
    ("first-block-is-the-header", "", {}, [("a", 1, H1), ("a", 2, f"{ROW1}\n{ROW2}")], [("a", 2)], []),
    ("first-block-ends-with-the-header", "", {}, [("a", 1, f"\n\n{H1}"), ("a", 4, ROW1)], [("a", 4)], []),
    (
        "first-block-is-blank",  # the header opens the second block: the reference path reads it all
        "",
        {},
        [("a", 1, "\n "), ("a", 3, f"{H1}\n{ROW1}"), ("a", 5, ROW2)],
        [("a", 5)],
        [],
    ),
    ("only-a-header", "", {}, [("a", 1, H1)], [], []),
    (
        "quoted-fields",
        "",
        {},
        [("a", 1, f'{H1}\n{ROW1}\n7,"bob",10.0.0.1,443,-,true,"a, b"\n8,x,y,1,-,-,"open\n{ROW2}')],
        [("a", 2)],
        [("a", 3), ("a", 4)],
    ),
    (
        "column-counts-and-bad-values",
        "",
        {},
        [("a", 1, f"{H1}\n{ROW1},extra\n7,bob,10.0.0.1\n{ROW1}\n7,bob,-,http,-,-,-\n9,,,,,maybe,")],
        [("a", 2)],
        [("a", 2)],  # too few columns (line 3), bad values (5, 6): the plan writes those rejects itself
    ),
    (
        "unreadable-header",  # a reject, and the next line is the header
        "",
        {},
        [("a", 1, f"bad \xff header\n{H1}\n{ROW1}".encode("latin-1")), ("a", 4, ROW1)],
        [("a", 4)],
        [],
    ),
    (
        "over-long-header",
        "",
        {},
        [("a", 1, f"{'x' * 400}\n{H1}\n{ROW1}"), ("a", 4, ROW1)],
        [("a", 4)],
        [],
    ),
    (
        "header-with-an-open-quote",  # as above: read on the reference path, block and all
        "",
        {},
        [("a", 1, f'id,"user\n{H1}\n{ROW1}'), ("a", 4, ROW1)],
        [("a", 4)],
        [],
    ),
    (
        "empty-and-duplicate-names",  # an empty name fills nothing, the last of two names wins
        "",
        {},
        [("a", 1, "id,,note,note,src\n1,skipped,first,second,1.2.3.4")],
        [("a", 2)],
        [],
    ),
    ("crlf-file", "", {}, [("a", 1, f"{H1}\r\n{ROW1}\r\n{ROW2}\r")], [("a", 2)], []),
    (
        "semicolons-and-source-fields",
        "delimiter: ';'",
        {"source_id": "src-1", "source_label": "label"},
        [("a", 1, f"{H1.replace(',', ';')}\n{ROW1.replace(',', ';')}\n{ROW1}")],
        [("a", 2)],
        [],  # line 3 is one column: the plan writes its no_match reject itself
    ),
    (
        "invalid-utf8-replaced",
        "",
        {"invalid_utf8": "replace"},
        [("a", 1, f"{H1}\n{ROW1}\n7,b\xffb,-,-,-,-,-".encode("latin-1"))],
        [("a", 2)],
        [("a", 3)],
    ),
]


def users(tmp_path: Path, options: str = "") -> Schema:
    text = textwrap.dedent(USERS)
    if options:
        text = text.replace("hasHeader: true", f"hasHeader: true\n    {options}")
    path = tmp_path / "users.yml"
    path.write_text(text, encoding="utf-8")
    return load_schema_file(path)


def as_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def watched(
    monkeypatch: pytest.MonkeyPatch, normalizer: Normalizer
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Where the plan runs (source, first line of the block it takes) and which lines it defers."""
    runs: list[tuple[str, int]] = []
    deferred: list[tuple[str, int]] = []
    deferring = normalizer._deferring

    def spy(source: str, first_line: int, as_line: Callable[[bytes], Any], compiled: Any = None) -> Any:
        runs.append((source, first_line))
        batch, parse_time, settle = deferring(source, first_line, as_line, compiled)

        def counted(raw: bytes, index: int) -> bytes | None:
            deferred.append((source, first_line + index))
            return settle(raw, index)

        return batch, parse_time, counted

    monkeypatch.setattr(normalizer, "_deferring", spy)
    return runs, deferred


def reference_of(normalizer: Normalizer, blocks: list[Block]) -> list[Encoded]:
    """Each block as lines through ``normalize``: the reference path, what ``--no-fast-path`` runs."""
    return [
        normalizer.normalize(
            split_lines(as_bytes(text), MAX_LINE_BYTES), source=source, first_line=line
        ).encoded()
        for source, line, text in blocks
    ]


@pytest.mark.parametrize(
    ("options", "kwargs", "blocks", "runs", "deferred"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_header_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: str,
    kwargs: dict[str, str],
    blocks: list[Block],
    runs: list[tuple[str, int]],
    deferred: list[tuple[str, int]],
) -> None:
    schema = users(tmp_path, options)
    fast = Normalizer(schema, **kwargs)
    assert fast.sequential and fast.plan is None  # no plan until a header names the columns
    ran, settled = watched(monkeypatch, fast)
    accelerated = [
        fast.encode_block(as_bytes(text), source=source, first_line=line, max_line_bytes=MAX_LINE_BYTES)
        for source, line, text in blocks
    ]
    reference = reference_of(Normalizer(schema, fast_path=False, **kwargs), blocks)
    assert [comparable(e) for e in accelerated] == [comparable(e) for e in reference]
    assert (ran, settled) == (runs, deferred)
    for encoded, (_, _, text) in zip(accelerated, blocks, strict=True):
        assert encoded.lines == as_bytes(text).count(b"\n") + 1
        assert encoded.lines == encoded.events + encoded.rejected + sum(encoded.skipped.values())


def test_a_plan_per_header_and_none_without_the_fast_path(tmp_path: Path) -> None:
    schema = users(tmp_path)
    fast, slow = Normalizer(schema), Normalizer(schema, fast_path=False)
    for normalizer in (fast, slow):
        for source, text in (("a", f"{H1}\n{ROW1}"), ("b", f"{H2}\n{ROW3}"), ("c", f"{H1}\n{ROW2}")):
            normalizer.encode_block(text.encode(), source=source)
    one, two = (fast._plans[tuple(h.split(","))] for h in (H1, H2))
    assert one is not None and two is not None and one is not two
    assert len(fast._plans) == 2  # file c has the header of file a: its plan
    assert all(p is None for p in slow._plans.values())


def test_a_worker_has_plans_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan belongs to one thread: a worker's twin builds its own when it reads a header."""
    normalizer = Normalizer(users(tmp_path))
    block = f"{H1}\n{ROW1}\n{ROW2}".encode()
    first = normalizer.encode_block(block, source="a")
    twin = normalizer.for_worker()
    assert twin._plans == {}
    runs, _ = watched(monkeypatch, twin)
    second = twin.encode_block(block, source="a")
    names = tuple(H1.split(","))
    assert twin._plans[names] is not None and twin._plans[names] is not normalizer._plans[names]
    assert runs == [("a", 2)] and comparable(first) == comparable(second)


# A file with what a header file can hold: blank lines, a header, rows the plan takes, rows it
# defers (quotes, bad values, other column counts), cut into blocks of every size below.
FILE = "\n".join(
    ["", H1, ROW1, "", ROW2, '9,"q",1.1.1.1,1,-,-,"x,y"', "1,2", f"{ROW1},more"]
    + [
        f"{i},u{i},10.0.{i // 256}.{i % 256},{i},2024-03-15T10:{i % 60:02d}:00Z,{'tf'[i % 2]},n{i}"
        for i in range(40)
    ]
).encode()


@pytest.mark.parametrize("block_size", [1, 20, 40, 64, 100, 1000, 1 << 20])
def test_blocks_cut_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_size: int) -> None:
    schema = users(tmp_path)
    fast = Normalizer(schema)
    runs, _ = watched(monkeypatch, fast)
    blocks = read_blocks(io.BytesIO(FILE), max_line_bytes=MAX_LINE_BYTES, block_size=block_size, live=False)
    parts: list[Encoded] = []
    line = 1
    for block in blocks:
        assert isinstance(block, bytes)
        parts.append(fast.encode_block(block, source="f.csv", first_line=line, max_line_bytes=MAX_LINE_BYTES))
        line += parts[-1].lines
    accelerated = reduce(operator.add, parts)
    lines = split_lines(FILE, MAX_LINE_BYTES)
    reference = Normalizer(schema, fast_path=False).normalize(lines, source="f.csv").encoded()
    assert comparable(accelerated) == comparable(reference)
    assert accelerated.events == 43 and runs  # the plan took blocks


def test_cli_without_the_fast_path_writes_the_same(tmp_path: Path) -> None:
    """``normalize`` on two header files, with and without ``--no-fast-path``."""
    users(tmp_path)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_bytes(FILE)
    two.write_text(f"{H2}\n{ROW3}\n{ROW1}\n", encoding="utf-8")
    normalize = str(Path(sys.executable).with_name("normalize"))
    outputs = []
    for extra in ([], ["--no-fast-path"]):
        args = [normalize, "-s", "Custom.Fast.Users", "--schemas", str(tmp_path), str(one), str(two), *extra]
        result = subprocess.run(args, capture_output=True, check=False)
        assert result.returncode == 0, result.stderr
        *rejects, summary = result.stderr.decode().splitlines()
        events = comparable(Encoded(result.stdout, 0, b"", Counter(), Counter(), 0, Counter()))[0]
        outputs.append((events, rejects, summary.split(" in ")[0]))
    assert outputs[0] == outputs[1]
    assert (
        outputs[0][2]
        == "normalize: 51 lines: 44 events, 3 rejects (no_match 3), 4 skipped (blank 2, header 2)"
    )


_PIECES = st.sampled_from(
    [",", '"', "-", "1", "2147483648", "10.0.0.1", "2024-03-15T10:07:03Z", "true", "x", " ", "é", "\r", "\n"]
)


@settings(max_examples=200, deadline=None)
@given(
    header=st.sampled_from([H1, H2, "id,id", 'id,"open', "", "\n"]),
    rows=st.lists(st.one_of(st.lists(_PIECES, max_size=20).map("".join), st.just(ROW1)), max_size=8),
)
def test_random_rows(tmp_path_factory: pytest.TempPathFactory, header: str, rows: list[str]) -> None:
    schema = users(tmp_path_factory.getbasetemp())
    block = "\n".join([header, *rows]).encode()
    fast = Normalizer(schema).encode_block(block, source="r", max_line_bytes=MAX_LINE_BYTES)
    slow = Normalizer(schema, fast_path=False).encode_block(block, source="r", max_line_bytes=MAX_LINE_BYTES)
    assert comparable(fast) == comparable(slow)
