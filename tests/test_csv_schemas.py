"""CSV schemas end to end: fixed columns, header lines per file (spec l.10), skipLines, column counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine import Batch, Normalizer
from engine.registry import load_schema_file

VPC = """
    schema: Custom.VPCFlow
    parser:
      csv:
        delimiter: ' '
        emptyValues: ['-']
        columns: [version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets,
                  bytes, start, end, action, log_status]
    fields:
      - {name: version, type: int}
      - {name: account_id, type: string, indicators: [aws_account_id]}
      - {name: interface_id, type: string}
      - {name: srcaddr, type: string, indicators: [ip]}
      - {name: dstaddr, type: string, indicators: [ip]}
      - {name: srcport, type: int}
      - {name: dstport, type: int}
      - {name: protocol, type: int}
      - {name: packets, type: bigint}
      - {name: bytes, type: bigint}
      - {name: start, type: timestamp, timeFormats: [unix], isEventTime: true}
      - {name: end, type: timestamp, timeFormats: [unix]}
      - {name: action, type: string, validate: {allow: [ACCEPT, REJECT]}}
      - {name: log_status, type: string}
"""

FLOW = "2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.7 443 49152 6 10 8400 1620000000 1620000060 ACCEPT OK"


def test_vpc_flow(normalize: Callable[..., Batch]) -> None:
    nodata = "2 123456789012 eni-0a1b2c3d - - - - - - - 1620000000 1620000060 - NODATA"
    batch = normalize(VPC, [FLOW, nodata, FLOW + " extra", "2 1 2"])
    first, second = batch.events
    assert {k: first[k] for k in ("srcaddr", "dstport", "bytes", "start", "action")} == {
        "srcaddr": "10.0.1.5",
        "dstport": 49152,
        "bytes": 8400,
        "start": "2021-05-03 00:00:00.000000000",
        "action": "ACCEPT",
    }
    assert first["p_event_time"] == "2021-05-03 00:00:00.000000000"
    assert first["p_any_ip_addresses"] == ("10.0.1.5", "10.0.2.7")
    assert first["p_any_aws_account_ids"] == ("123456789012",)
    assert "srcaddr" not in second and second["log_status"] == "NODATA"
    assert [(r.line, r.reason, r.message) for r in batch.rejects] == [
        (3, "no_match", "no match: the row has 15 columns, the schema expects 14"),
        (4, "no_match", "no match: the row has 3 columns, the schema expects 14"),
    ]


HEADER = """
    schema: Custom.Users
    parser:
      csv:
        hasHeader: true
    fields:
      - {name: name, type: string}
      - {name: age, type: int}
"""


def test_header_names_per_file(schema_file: Callable[..., object]) -> None:
    """Each file's header names its columns; a second file may order them differently (l.10, j.2)."""
    normalizer = Normalizer(load_schema_file(schema_file(HEADER)))
    one = normalizer.normalize(["", "name,age,city", 'bob,42,"Paris, FR"', "eve,x,Rome"], source="one.csv")
    two = normalizer.normalize(["age,name", "7,al"], source="two.csv")
    more = normalizer.normalize(["sue,30,Oslo"], source="one.csv", first_line=5)
    assert [{k: e[k] for k in ("name", "age") if k in e} for e in one.events + two.events + more.events] == [
        {"name": "bob", "age": 42},
        {"name": "al", "age": 7},
        {"name": "sue", "age": 30},
    ]
    assert dict(one.skipped) == {"blank": 1, "header": 1}
    assert [(r.line, r.field) for r in one.rejects] == [(4, "age")]
    assert normalizer.sequential is True


def test_header_batches_out_of_order_are_refused(schema_file: Callable[..., object]) -> None:
    normalizer = Normalizer(load_schema_file(schema_file(HEADER)))
    with pytest.raises(ValueError, match=r"x.csv: the batch with line 1 \(the CSV header\) must come first"):
        normalizer.normalize(["a,1"], source="x.csv", first_line=3)


@pytest.mark.parametrize(
    ("lines", "skipped", "names"),
    [
        (["# comment", "", "name,age", "bob,1"], {"skip_lines": 1, "blank": 1, "header": 1}, ["bob"]),
        ([b"\xff bad first line", "name,age", "bob,1"], {"skip_lines": 1, "header": 1}, ["bob"]),
    ],
    ids=["blank-lines-do-not-count", "undecodable-line-is-skipped"],
)
def test_skip_lines_then_columns_and_header(
    normalize: Callable[..., Batch], lines: list[str | bytes], skipped: dict[str, int], names: list[str]
) -> None:
    """skipLines counts the lines the parser sees (blank ones are not), then hasHeader takes one more."""
    schema = """
        schema: Custom.Skip
        parser:
          csv:
            skipLines: 1
            hasHeader: true
            columns: [name, age]
        fields:
          - {name: name, type: string}
          - {name: age, type: int}
    """
    batch = normalize(schema, lines)
    assert (dict(batch.skipped), [e["name"] for e in batch.events], batch.rejects) == (skipped, names, [])
    assert batch.lines == len(lines)


def test_a_bad_header_is_a_reject_and_the_next_line_is_tried(normalize: Callable[..., Batch]) -> None:
    batch = normalize(HEADER, ['name,"age', "name,age", "bob,5"])
    assert [(r.line, r.reason, r.message) for r in batch.rejects] == [
        (1, "no_match", "the CSV header line: column 2: a quoted field is not closed")
    ]
    assert [e["age"] for e in batch.events] == [5]
