"""JSON lines on the C accelerator against the reference path, byte for byte.

Each case is a line and whether the JSON plan should write its event itself (``native``) or hand
the line whole to the reference path (``deferred``). Both are checked: the events (their bytes, key
order and number spelling included, ``p_row_id`` and the parse time aside), rejects and counts of
``encode_block`` with and without the accelerator, and the lines the plan deferred against the
table, so that a plan deferring everything, or writing what it should have deferred, fails here.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine import Normalizer, Registry, plan, search_path
from engine.normalizer import Encoded
from engine.registry import load_schema_file

pytestmark = pytest.mark.skipif(not plan.AVAILABLE, reason="the C accelerator is not built")

# Every scalar kind (the JSON string and the native value of each), a required field, a validate
# rule, ip and hostname indicators (IPv4 in C, the rest scanned in Python), nested objects with an
# event time and an indicator, arrays of objects, of scalars and of arrays.
SCHEMA = """
    schema: Custom.Json.All
    fields:
      - {name: s, type: string}
      - {name: req, type: string, required: true}
      - {name: i, type: int}
      - {name: small, type: smallint}
      - {name: big, type: bigint}
      - {name: f, type: float}
      - {name: b, type: boolean}
      - {name: t, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: u, type: timestamp, timeFormats: [unix]}
      - {name: st, type: timestamp, timeFormat: '%Y/%m/%d %H:%M:%S'}
      - {name: j, type: json}
      - {name: ip, type: string, indicators: [ip]}
      - {name: host, type: string, indicators: [hostname]}
      - {name: v, type: string, validate: {allow: [a, b]}}
      - {name: ren, type: int, rename: {from: a.b}}
      - name: o
        type: object
        fields:
          - {name: x, type: string, indicators: [aws_account_id]}
          - {name: when, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
          - name: inner
            type: object
            fields:
              - {name: y, type: int}
      - name: arr
        type: array
        element:
          type: object
          fields:
            - {name: arn, type: string, indicators: [aws_arn]}
            - {name: n, type: int}
            - {name: dom, type: string, indicators: [domain]}
      - name: ints
        type: array
        element: {type: int}
      - name: strs
        type: array
        element: {type: string}
      - name: nested
        type: array
        element:
          type: array
          element: {type: string}
"""

R = '"req":"r"'
LONG_ARN = "arn:aws:s3:::bucket/" + "k" * 300
LONG_DOMAIN = ".".join(c * 60 for c in "abcde") + ".example"  # over 256 bytes

CASES: list[tuple[str | bytes, str]] = [
    # whole lines
    ("{" + R + "}", "native"),
    ("{" + R + "}  \t", "native"),  # JSON whitespace after the object
    ("{" + R + "}\r", "native"),  # a CRLF line
    ("{" + R + "} x", "deferred"),  # text after the object: the reference ignores it
    ("{" + R + "}{}", "deferred"),
    (" {" + R + "}", "deferred"),  # leading space: maybe blank, the reference decides
    ("{" + R + ",}", "deferred"),  # not JSON
    ("{req:1}", "deferred"),
    ("[1]", "deferred"),  # top-level array: invalid_json
    ("null", "deferred"),  # top-level null: an event of p_ fields only (a reject here: required)
    ('"x"', "deferred"),
    ("", "deferred"),
    (b'{"req":"\xff"}', "deferred"),  # invalid UTF-8
    # a lone surrogate (in a key the schema does not read: where it is written, the reference path
    # itself fails, on main too, as orjson will not encode it)
    ('{"req":"r","zz":"\\ud800"}', "deferred"),
    ('{"req":"r","zz":"\\udc00\\ud800"}', "deferred"),
    ("{" + R + ',"zz":' + "[" * 1100 + "]" * 1100 + "}", "deferred"),  # deeper than orjson reads
    ("{" + R + ',"zz":[' + ",".join(["1"] * 1001) + "]}", "deferred"),  # over 1000 values: deferred
    ("{" + R + ',"zz":[' + ",".join(["1"] * 900) + "]}", "native"),
    ("{" + R + ',"zz":[1.5e300,{"a":1,"a":2},"\\ud83d\\ude00",-0]}', "native"),  # unknown keys
    ("{" + R + ',"zz":1e400}', "deferred"),  # an infinity anywhere: orjson refuses the line
    # what RFC 8259 (so yyjson and orjson) refuses: raw control bytes in strings, other whitespace
    ('{"req":"a\tb"}', "deferred"),
    ('{"req":"a\x00b"}', "deferred"),
    ('{"req":"a\x1fb"}', "deferred"),
    ('{"req":"a\x7fb"}', "native"),  # DEL is not a control character to JSON
    ('{"req":\x0c"r"}', "deferred"),
    ('{"req":\u00a0"r"}', "deferred"),
    ('{"req":"r","zz":[01]}', "deferred"),
    ('{"req":"r","zz":[+1]}', "deferred"),
    ('{"req":"r","zz":[1.]}', "deferred"),
    ('{"req":"r","zz":NaN}', "deferred"),
    ('{"req":"r","zz":"\\x41"}', "deferred"),
    ("\ufeff{" + R + "}", "deferred"),  # a byte-order mark: not JSON to either
    # keys: escapes decoded, the last of a duplicate key wins (as in orjson's dict)
    ('{"r\\u0065q":"r"}', "native"),
    ('{"req":"a","s":"x","req":"b"}', "native"),
    ('{"req":"a","req":null}', "deferred"),  # the last one is null: missing
    ('{"req":null,"req":"a"}', "native"),
    ('{"req":"r","o":{"x":"1","x":"123456789012"}}', "native"),
    ('{"req":"r","a.b":5,"ren":7}', "native"),  # a renamed field: found under its key
    # strings
    ('{"req":""}', "native"),  # "" is a string's value
    ("{" + R + ',"s":"a\\"b\\\\c\\/d\\u00e9\\u20ac\\ud83d\\ude00\\u0000\\u001f\\t\\n\\b\\f\\r"}', "native"),
    ("{" + R + ',"s":"résumé 👩\u200d💻 \u2028 \u007f \ufeff"}', "native"),
    ("{" + R + ',"s":12}', "native"),  # native values as text (string_from_json)
    ("{" + R + ',"s":-0}', "native"),
    ("{" + R + ',"s":12.50}', "native"),
    ("{" + R + ',"s":1e21}', "native"),
    ("{" + R + ',"s":18446744073709551616}', "native"),  # past 64 bits: a float on both sides
    ("{" + R + ',"s":true}', "native"),
    ("{" + R + ',"s":{}}', "deferred"),  # an object for a string: reject
    ("{" + R + ',"s":[1]}', "deferred"),
    ("{" + R + ',"v":"a"}', "native"),
    ("{" + R + ',"v":"c"}', "deferred"),  # validate refuses
    ("{" + R + ',"v":""}', "deferred"),
    # integers
    ("{" + R + ',"i":2147483647,"small":-32768,"big":9223372036854775807}', "native"),
    ("{" + R + ',"big":-9223372036854775808,"i":-2147483648,"small":32767}', "native"),
    ("{" + R + ',"i":-0}', "native"),
    ("{" + R + ',"i":2147483648}', "deferred"),
    ("{" + R + ',"small":-32769}', "deferred"),
    ("{" + R + ',"big":9223372036854775808}', "deferred"),
    ("{" + R + ',"big":-9223372036854775809}', "deferred"),
    ("{" + R + ',"i":1.0}', "deferred"),
    ("{" + R + ',"i":1e2}', "deferred"),
    ("{" + R + ',"i":true}', "deferred"),
    ("{" + R + ',"i":"42","small":"0042"}', "native"),  # text rules for JSON strings
    ("{" + R + ',"i":""}', "native"),  # "" is null for an int
    ("{" + R + ',"i":"-5"}', "deferred"),
    ("{" + R + ',"i":" 5"}', "deferred"),
    ("{" + R + ',"i":[]}', "deferred"),
    # floats and booleans: native values and text, through the remembered Python converters
    ("{" + R + ',"f":1.5,"b":true}', "native"),
    ("{" + R + ',"f":12,"b":false}', "native"),
    ("{" + R + ',"f":-0.0,"b":1}', "native"),
    ("{" + R + ',"f":1e300,"b":0}', "native"),
    ("{" + R + ',"f":5e-324}', "native"),
    ("{" + R + ',"f":0.1e-6}', "native"),
    ("{" + R + ',"f":"2.50","b":"true"}', "native"),
    ("{" + R + ',"f":"1_0","b":"T"}', "native"),
    ("{" + R + ',"f":"nan"}', "deferred"),
    ("{" + R + ',"b":2}', "deferred"),
    ("{" + R + ',"b":"yes"}', "deferred"),
    ("{" + R + ',"f":"","b":""}', "native"),
    # timestamps: the first present event time, nested ones too
    ("{" + R + ',"t":"2024-03-15T10:07:03.123456789123Z"}', "native"),
    ("{" + R + ',"t":"2024-03-15T10:07:03+02:00","o":{"when":"2020-01-01T00:00:00Z"}}', "native"),
    ("{" + R + ',"o":{"when":"2020-01-01T00:00:00Z"}}', "native"),
    ("{" + R + ',"t":null,"o":{"when":"2020-01-01T00:00:00Z"}}', "native"),
    ("{" + R + ',"t":""}', "native"),
    ("{" + R + ',"t":"2024-03-15"}', "deferred"),
    ("{" + R + ',"t":1710497223}', "deferred"),
    ("{" + R + ',"u":1710497223,"st":"2024/03/15 10:07:03"}', "native"),
    ("{" + R + ',"u":"1710497223"}', "native"),
    ("{" + R + ',"u":1710497223.5}', "native"),
    ("{" + R + ',"u":-1}', "native"),
    ("{" + R + ',"u":true}', "deferred"),
    ("{" + R + ',"st":"2024-03-15"}', "deferred"),
    # json fields: written as orjson writes the decoded value
    ("{" + R + ',"j":{"a":[1,"x",true,null,{"b":-3}],"c":{},"d":[],"e":"\\u00e9\\/"}}', "native"),
    ("{" + R + ',"j": { "a" : [ 1 , 2 ] } }', "native"),
    ("{" + R + ',"j":""}', "native"),
    ("{" + R + ',"j":"text"}', "native"),
    ("{" + R + ',"j":18446744073709551615}', "native"),
    ("{" + R + ',"j":-9223372036854775808}', "native"),
    ("{" + R + ',"j":-0}', "native"),
    ("{" + R + ',"j":false}', "native"),
    ("{" + R + ',"j":{"a":1.5}}', "deferred"),  # a float: orjson's spelling
    ("{" + R + ',"j":18446744073709551616}', "deferred"),  # a float too, past 64 bits
    ("{" + R + ',"j":{"a":1,"a":2}}', "deferred"),  # a duplicate key: orjson keeps its first place
    ("{" + R + ',"j":[{"b":1},{"a":{"c":1,"c":1}}]}', "deferred"),
    # indicators
    ("{" + R + ',"ip":"10.0.0.1","host":"ec2.amazonaws.com"}', "native"),
    ("{" + R + ',"ip":"2001:db8::1","host":"192.168.0.1"}', "native"),
    ("{" + R + ',"ip":" 10.0.0.1","host":"AWS Internal"}', "native"),
    ("{" + R + ',"ip":"","host":""}', "native"),
    ("{" + R + ',"ip":5}', "deferred"),  # a native value in an indicator field
    # objects
    ("{" + R + ',"o":{}}', "native"),  # an empty object is kept
    ("{" + R + ',"o":{"inner":{}}}', "native"),
    ("{" + R + ',"o":{"inner":null,"x":null}}', "native"),
    ("{" + R + ',"o":{"inner":{"y":"7","z":1},"x":"123456789012"}}', "native"),
    ("{" + R + ',"o":""}', "deferred"),
    ("{" + R + ',"o":[]}', "deferred"),
    ("{" + R + ',"o":{"inner":1}}', "deferred"),
    # arrays
    ("{" + R + ',"arr":[]}', "native"),  # an empty array is left out
    (
        "{" + R + ',"arr":[null,{},{"arn":"arn:aws:s3:::b/k","n":1},{"arn":"arn:aws:ec2:us-east-1:'
        '123456789012:instance/i-0abc"}]}',
        "native",
    ),
    ("{" + R + ',"arr":[{"arn":"arn:aws:s3:::b/k"},{"arn":"arn:aws:s3:::b/k"}]}', "native"),
    ("{" + R + ',"arr":[{"arn":"' + LONG_ARN + '"}]}', "native"),
    ("{" + R + ',"arr":[{"arn":"' + LONG_ARN + '"},{"arn":"' + LONG_ARN + 'x"}]}', "native"),
    # a field scanned in Python with two values of over 256 bytes on a line (its cache's one spare
    # entry would be needed twice): deferred; one such value, or two short ones: written
    ("{" + R + ',"arr":[{"dom":"' + LONG_DOMAIN + '"},{"dom":"x.' + LONG_DOMAIN + '"}]}', "deferred"),
    ("{" + R + ',"arr":[{"dom":"' + LONG_DOMAIN + '"},{"dom":"example.com"}]}', "native"),
    ("{" + R + ',"arr":[{"dom":"a.example"},{"dom":"b.example"},{"dom":"a.example"}]}', "native"),
    # aws_arn and aws_account_id, read in C: every branch of indicators._scan_aws_arn
    *(
        ("{" + R + ',"arr":[{"arn":' + orjson.dumps(arn).decode() + "}]}", "native")
        for arn in (
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
            "arn:aws:ec2:us-east-1:123456789012:instance/a/b/i-0abc",
            "arn:aws:ec2:us-east-1:123456789012:instance/a/i-",
            "arn:aws:ec2:us-east-1:123456789012:instance/",
            "arn:aws:ec2:us-east-1:123456789012:instance/x",
            "arn:aws:ec2:us-east-1:123456789012:instance/ix",
            "arn:aws:ec2:us-east-1:123456789012:instance/i",
            "arn:aws:ec2:us-east-1:123456789012:instance/-i",
            "arn:aws:ec2:us-east-1:123456789012:Instance/i-1",
            "arn:aws:ec2::12345678901:instance/i-1",
            "arn:aws:ec2::1234567890123:r",
            "arn:aws:ec2::１２３４５６７８９０１２:r",
            "arn:aws:ec2::123456789012:a:b:c",
            "arn:::::",
            "arn::::",
            "arn:",
            "ARN:aws:s3:::b",
            " arn:aws:s3:::b",
            "arn:aws:s3:::b/é👩",
            'arn:aws:s3:::b/"quoted"',  # escaped in JSON: scanned in Python
            "arn:aws:s3:::b/back\\slash\n",
        )
    ),
    *(
        ("{" + R + ',"o":{"x":' + orjson.dumps(account).decode() + "}}", "native")
        for account in ("123456789012", "12345678901", "1234567890123", "12345678901a", "", " 123456789012")
    ),
    ("{" + R + ',"arr":[""]}', "deferred"),
    ("{" + R + ',"arr":{}}', "deferred"),
    ("{" + R + ',"arr":[{"n":1.5}]}', "deferred"),
    ("{" + R + ',"ints":[1,"",null,"7",-3]}', "native"),  # "" is null in an int array
    ("{" + R + ',"ints":[1,"x"]}', "deferred"),
    ("{" + R + ',"strs":["",null,"x",5]}', "native"),
    ("{" + R + ',"nested":[["a",null],null]}', "native"),
    ("{" + R + ',"nested":[["a"],[]]}', "deferred"),  # an empty inner array: the reference drops it
    # missing required fields
    ('{"s":"x"}', "deferred"),
    ('{"req":null}', "deferred"),
    ("{}", "deferred"),
]

MAX_LINE_BYTES = 1 << 16
_ROW_ID = re.compile(rb',"p_row_id":"[0-9a-f]{28}"')
_PARSE_TIME = re.compile(rb',"p_parse_time":"([^"]*)"')


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("schemas") / "all.yml"
    path.write_text(textwrap.dedent(SCHEMA), encoding="utf-8")
    return load_schema_file(path)


def same_bytes(encoded: Encoded) -> tuple[object, ...]:
    """What must match between the two paths: each event's bytes without ``p_row_id`` and the parse
    time (also where it stands for the event time), the rejects and the counts."""
    events = []
    for line in encoded.ndjson.splitlines():
        parse_time = _PARSE_TIME.search(line)
        assert parse_time is not None and _ROW_ID.search(line) is not None, line
        kept = _ROW_ID.sub(b"", _PARSE_TIME.sub(b"", line))
        events.append(kept.replace(b'"' + parse_time.group(1) + b'"', b'"<parse time>"'))
    return events, encoded.reject_records(), dict(encoded.skipped), encoded.lines, encoded.events


def both(schema: object, block: bytes) -> tuple[Encoded, Encoded]:
    fast = Normalizer(schema, fast_path=True)  # type: ignore[arg-type]
    reference = Normalizer(schema, fast_path=False)  # type: ignore[arg-type]
    assert fast.plan is not None and reference.plan is None
    return tuple(  # type: ignore[return-value]
        n.encode_block(block, source="test", first_line=1, max_line_bytes=MAX_LINE_BYTES)
        for n in (fast, reference)
    )


def deferred_lines(schema: object, block: bytes) -> list[int]:
    made = Normalizer(schema).plan  # type: ignore[arg-type]
    deferred: list[int] = []
    made.run(block, b"2026-01-01 00:00:00.000000000", MAX_LINE_BYTES, lambda raw, i: deferred.append(i))
    return deferred


def as_bytes(line: str | bytes) -> bytes:
    return line if isinstance(line, bytes) else line.encode("utf-8")


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_line(schema: object, line: str | bytes, expected: str) -> None:
    raw = as_bytes(line)
    fast, reference = both(schema, raw)
    assert same_bytes(fast) == same_bytes(reference)
    assert deferred_lines(schema, raw) == ([0] if expected == "deferred" else [])


@pytest.mark.parametrize("depth", [1, 253, 254, 255, 600, 900, 1100])
@pytest.mark.parametrize(("leaf", "written"), [("1", "1"), ("1.5", "1.5"), ('"\\ud800"', '"\ufffd"')])
def test_deep_json_values(schema: object, depth: int, leaf: str, written: str) -> None:
    """A json value nested deeper than orjson writes (254 levels) or Python recurses, around what
    orjson refuses alone (a float written as Go writes it, a lone surrogate): an event, the same on
    both paths, up to the reader's bound (1,024 levels; less around a lone surrogate, which the
    standard decoder reads); past it an invalid_json reject, never a crash."""
    line = "{" + R + ',"j":' + "[" * depth + leaf + "]" * depth + "}"
    fast, reference = both(schema, line.encode())
    assert same_bytes(fast) == same_bytes(reference)
    if depth <= 900:
        assert fast.events == 1, fast.rejects
        assert '"j":' + "[" * depth + written + "]" * depth + "," in fast.ndjson.decode()
    else:
        assert fast.events == 0 and b'"reason":"invalid_json"' in fast.rejects


def test_block_keeps_order_and_counts(schema: object) -> None:
    """Every case in one block, twice: the deferred lines' events in their places, all counted."""
    lines = [as_bytes(line) for line, _ in CASES] * 2
    block = b"\n".join(lines)
    fast, reference = both(schema, block)
    assert same_bytes(fast) == same_bytes(reference)
    assert fast.lines == len(lines) == fast.events + fast.rejected + sum(fast.skipped.values())
    expected = [i for i, (_, kind) in enumerate(CASES * 2) if kind == "deferred"]
    assert deferred_lines(schema, block) == expected


def test_many_distinct_values(schema: object) -> None:
    """More distinct values than the caches hold (they are emptied and filled again), arrays whose
    indicator field gives several values on a line among them."""
    lines = [
        orjson.dumps(
            {
                "req": f"r{i}",
                "f": i / 7,
                "ip": f"10.{i % 256}.{i // 256 % 256}.1" if i % 3 else f"2001:db8::{i:x}",
                "arr": [{"arn": f"arn:aws:s3:::b/{i}"}, {"arn": f"arn:aws:s3:::b/{i}-2", "n": i}],
                "o": {"x": f"{i:012d}"},
            }
        )
        for i in range(12000)
    ]
    block = b"\n".join(lines)
    fast, reference = both(schema, block)
    assert same_bytes(fast) == same_bytes(reference)
    assert len(deferred_lines(schema, block)) < len(lines) // 100


def _gen_logs() -> Any:
    """tools/gen_logs.py (a tool, not a module of the package; it imports its neighbours)."""
    tools = Path(__file__).resolve().parents[1] / "tools"
    sys.path.insert(0, str(tools))
    try:
        spec = importlib.util.spec_from_file_location("gen_logs", tools / "gen_logs.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tools))
    return module


def test_cloudtrail_sample_and_generated_lines() -> None:
    """The bundled CloudTrail sample and generated records: the plan writes every event itself and
    defers exactly the lines the reference rejects (the sample's last three)."""
    schema = Registry(search_path()).load("AWS.CloudTrail")
    sample = Path(schema.file).with_suffix(".sample.log")
    lines = [line for line in sample.read_bytes().split(b"\n") if line.strip()] if sample.exists() else []
    lines += [line.encode() for line in _gen_logs().cloudtrail(random.Random(7), 500)]
    lines = [line.rstrip(b"\n") for line in lines]
    block = b"\n".join(lines)
    fast, reference = both(schema, block)
    assert same_bytes(fast) == same_bytes(reference)
    assert fast.events + fast.rejected == len(lines) and fast.rejected == 3
    rejected = sorted(record["line"] - 1 for record in fast.reject_records())
    assert deferred_lines(schema, block) == rejected


def test_which_json_schemas_have_a_plan(tmp_path: Path) -> None:
    """Transformations and masks are the reference's alone; JSON schemas without them have a plan."""
    cases = {
        "[{name: a, type: string}, {name: o, type: object, fields: [{name: b, type: json}]}]": True,
        "[{name: a, type: array, element: {type: array, element: {type: int}}}]": True,
        "[{name: a, type: string, rename: {from: b}}]": True,  # a path of one key: found by that key
        "[{name: a, type: string, mask: {type: redact}}]": False,
        "[{name: a, type: string, concat: {paths: [b, c], separator: '-'}}]": False,
        "[{name: a, type: string, rename: {from: b.c}}]": True,  # the key "b.c", as it is
        "[{name: a, type: string, copy: {from: b.c}}]": False,  # a dotted path digs
    }
    for fields, expected in cases.items():
        path = tmp_path / "s.yml"
        path.write_text(f"schema: T.T\nfields: {fields}\n", encoding="utf-8")
        assert (Normalizer(load_schema_file(path)).plan is not None) is expected, fields


def test_random_aws_values(schema: object) -> None:
    """aws_arn and aws_account_id values read in C against the Python scanners, on random values
    made of the pieces their rules look at."""
    rng = random.Random(20261207)
    pieces = ["arn", "arn:", ":", "/", "instance/", "i-", "i", "-", "1", "123456789012", "a", "é"]
    pieces += ['"', "\\", " "]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(2000)]
    parts = ["", "aws", "1", "123456789012", "instance/", "instance/i-1", "x/i-2", "/", ":", "é"]
    values += [
        "arn:" + ":".join("".join(rng.choices(parts, k=rng.randint(0, 3))) for _ in range(rng.randint(3, 6)))
        for _ in range(2000)
    ]
    lines = [
        orjson.dumps({"req": "r", "arr": [{"arn": value}, {"arn": values[i - 1]}], "o": {"x": value}})
        for i, value in enumerate(values)
    ]
    block = b"\n".join(lines)
    fast, reference = both(schema, block)
    assert same_bytes(fast) == same_bytes(reference)
    assert deferred_lines(schema, block) == []


def test_json_string_every_byte_in_every_lane() -> None:
    """put_json_string skips 8 plain bytes at a time: each escaped byte, at each place of a word and
    of the tail, and every other ASCII byte, must still be written as orjson writes it."""
    json_string = plan._fastpath.json_string
    for byte in range(128):
        for at in range(19):
            raw = bytearray(b"abcdefghijklmnopqrs")
            raw[at] = byte
            assert json_string(bytes(raw)) == orjson.dumps(raw.decode()), (byte, at)
    text = "é👩\u2028x" * 5 + '"'
    assert json_string(text.encode()) == orjson.dumps(text)
