"""Two executors, one truth: each rule of the C accelerator against its Python twin, value by value.

``engine/_fastpath.c`` converts some values itself (RFC 3339 and epoch times, integers, JSON strings,
IPv4 addresses for the ip and hostname indicators) and decides some things about lines itself (Go's
whitespace, strict UTF-8). Each of those rules is callable on its own (``_fastpath.rfc3339`` and
the like, which call the very C functions a plan runs) and is held here against the Python code of
the reference path (style guide 3.7):

- where C writes a value, it is byte for byte what the Python path writes for it;
- where Python refuses a value, C defers it (``None``); C deferring what Python accepts is allowed
  (the line then simply takes the reference path), and ``tools/fuzz_converters`` counts how often;
- rules that answer something for every input (``trim``, ``utf8_valid``, ...) answer as Python does.

Inputs: table rows for the edges, values built from random parts, and real values from the bundled
sample logs mutated byte by byte (one to three bytes replaced, inserted or deleted, drawn from every
byte with the interesting ones weighted up), under a fixed seed and a budget that keeps this file
to a few seconds. ``tools/fuzz_converters`` runs the same ``RULES`` at scale.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import Registry, decisions, indicators, plan, search_path, timestamps, values
from engine.decisions import decide, text_converter
from engine.errors import BadValue
from engine.parsers import pcre
from engine.parsers import regex as regex_parser
from engine.spec import Value
from engine.values import encode_event
from engine.whitespace import GO_WHITESPACE

C = plan._fastpath
INT_MAX = {name: decide(Value(name)).int_max for name in values.INT_BITS}
"""The largest value of each integer type, as the plan is given it."""
UNIT_NS = {fmt: decide(Value("timestamp", time_formats=(fmt,))).unit_ns for fmt in timestamps.EPOCH_UNIT_NS}
"""Nanoseconds per unit of each epoch format, as the plan is given them."""
pytestmark = pytest.mark.skipif(C is None, reason="the C accelerator is not built")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "schemas").glob("**/*.log"))

# --- the twins: what the Python path writes for a value, or None where it refuses it --------------


def _python_value(value: Value) -> Callable[[bytes], bytes | None]:
    """A captured value → the JSON the reference path writes for a field of this type (the text
    converter of ``decisions.text_converter``, then ``values.encode_event``), or None: refused."""
    convert = text_converter(value)

    def twin(raw: bytes) -> bytes | None:
        try:
            text = raw.decode("utf-8")
            return encode_event(text if convert is None else convert(text))
        except (UnicodeDecodeError, BadValue):
            return None

    return twin


def _text_of(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _valid_only(rule: Callable[[bytes], object]) -> Callable[[bytes], object]:
    """A C rule whose input is valid UTF-8 in a plan (the line was checked first): None otherwise."""

    def call(raw: bytes) -> object:
        return rule(raw) if C.utf8_valid(raw) else None

    return call


def _py_trim(raw: bytes) -> bytes | None:
    text = _text_of(raw)
    return None if text is None else text.strip(GO_WHITESPACE).encode()


def _py_space_at_start(raw: bytes) -> int:
    for n in (1, 2, 3):
        try:
            if raw[:n].decode("utf-8") in GO_WHITESPACE and len(raw) >= n:
                return n
        except UnicodeDecodeError:
            continue
    return 0


def _py_space_at_end(raw: bytes) -> int | None:
    text = _text_of(raw)
    if text is None:
        return None
    return len(text[-1].encode()) if text and text[-1] in GO_WHITESPACE else 0


def _py_is_ipv4(raw: bytes) -> bool:
    text = _text_of(raw)
    try:
        ipaddress.IPv4Address(text)  # a str: IPv4Address(bytes) would read 4 packed bytes
    except (ipaddress.AddressValueError, TypeError):
        return False
    return True


def _py_utf8_valid(raw: bytes) -> bool:
    return _text_of(raw) is not None


_IP_KEY = indicators.FIELD_OF["ip"][0]


def _c_ip_member(mode: int) -> Callable[[bytes], object]:
    def call(raw: bytes) -> object:
        if not C.utf8_valid(raw):
            return None  # the plan deferred the line
        found = C.ip_member(raw, mode)
        return None if found < 0 else ((_IP_KEY, (raw.decode(),)),) if found else ()

    return call


def _py_scanner(name: str) -> Callable[[bytes], object]:
    scan = indicators.compile_scanner((name,))

    def twin(raw: bytes) -> object:
        text = _text_of(raw)
        if text is None:
            return None
        found: dict[str, set[str]] = {}
        scan(text, found)
        return tuple((key, tuple(sorted(members))) for key, members in sorted(found.items()))

    return twin


def _regex_rules(name: str) -> tuple[Callable[[bytes], object], Callable[[bytes], object]]:
    """A bundled regex schema's pattern: PCRE2 on its rewrite (``parsers/pcre.py``) and the regex
    module, each giving the match's group spans in bytes (C's give-up, -1, is a deferral: None)."""
    schema = Registry(search_path()).load(name)
    pattern = regex_parser.compile_regex(schema.parser.config)
    rewritten = pcre.translate(pattern.pattern)
    assert rewritten is not None, name
    source = rewritten.encode()

    def c(raw: bytes) -> object:
        if not C.utf8_valid(raw):
            return None
        found = C.regex_search(source, pattern.groups, raw)
        return None if found[0] < 0 else found

    def python(raw: bytes) -> object:
        text = _text_of(raw)
        if text is None:
            return None
        found = pattern.search(text, timeout=1)
        if found is None:
            return (0, ())

        def at(index: int) -> int:
            return len(text[:index].encode("utf-8"))

        return (
            1,
            tuple(
                None if found.start(g) < 0 else (at(found.start(g)), at(found.end(g)))
                for g in range(1, pattern.groups + 1)
            ),
        )

    return c, python


@dataclass(frozen=True)
class Rule:
    """One C rule and its Python twin. ``exact``: C answers for every input, as Python does;
    otherwise C's None is a deferral, allowed whatever Python says."""

    name: str
    c: Callable[[bytes], object]
    python: Callable[[bytes], object]
    exact: bool
    kind: str  # which real values and generated inputs it is fed: see VALUES and GENERATORS

    def diverges(self, raw: bytes) -> bool:
        got = self.c(raw)
        if got is None and not self.exact:
            return False
        return got != self.python(raw)


def _rules() -> list[Rule]:
    if C is None:
        return []
    found = [
        Rule(
            "rfc3339", C.rfc3339, _python_value(Value("timestamp", time_formats=("rfc3339",))), False, "time"
        )
    ]
    for name, most in INT_MAX.items():
        found.append(
            Rule(name, lambda raw, m=most: C.integer(raw, m), _python_value(Value(name)), False, "int")
        )
    for fmt, unit in UNIT_NS.items():
        twin = _python_value(Value("timestamp", time_formats=(fmt,)))
        found.append(Rule(fmt, lambda raw, u=unit: C.epoch(raw, u), twin, False, "int"))
    found += [
        Rule("json_string", _valid_only(C.json_string), _python_value(Value("string")), True, "string"),
        Rule("trim", _valid_only(C.trim), _py_trim, True, "string"),
        Rule("space_at_start", C.space_at_start, _py_space_at_start, True, "string"),
        Rule("space_at_end", _valid_only(C.space_at_end), _py_space_at_end, True, "string"),
        Rule("is_ipv4", C.is_ipv4, _py_is_ipv4, True, "ip"),
        Rule("ip_member(ip)", _c_ip_member(C.IP_ONLY), _py_scanner("ip"), False, "ip"),
        Rule("ip_member(hostname)", _c_ip_member(C.IP_OR_HOST), _py_scanner("hostname"), False, "ip"),
        Rule("utf8_valid", C.utf8_valid, _py_utf8_valid, True, "string"),
    ]
    if C.PCRE2_VERSION is not None:
        registry = Registry(search_path())
        for name in registry.names():
            if registry.load(name).parser.kind == "regex":
                found.append(Rule(f"regex({name})", *_regex_rules(name), False, "line"))
    return found


RULES = _rules()
RULE = {rule.name: rule for rule in RULES}

# --- inputs ---------------------------------------------------------------------------------------

INTERESTING = b'"\\/:-+.,0123456789TZtz \t\r\n\x00\x1f\x7f\x80\xbf\xc0\xc2\xe2\xed\xef\xf0\xf4\xff'
"""Bytes drawn more often when mutating: JSON's specials, the separators of times and numbers,
digits, ASCII bounds, UTF-8 lead and continuation bytes (0xc2 and 0xe2 start Go spaces)."""


def real_values() -> dict[str, list[bytes]]:
    """Values from the bundled sample logs, by kind: times, digit runs, address-like words, words."""
    text = b"\n".join(path.read_bytes() for path in SAMPLES)
    words = sorted(set(re.split(rb'[\s"\[\]<>=(),;]+', text)) - {b""})
    found = {
        "time": sorted(
            set(re.findall(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.,]+(?:Z|[+-][0-9]{2}:[0-9]{2})", text))
        ),
        "int": sorted(set(re.findall(rb"[0-9]+", text))),
        "ip": sorted(set(re.findall(rb"[0-9A-Fa-f:.]*[0-9][0-9A-Fa-f:.]*", text))),
        "string": words + [line for line in text.split(b"\n") if line][:200],
        "line": [line for line in text.split(b"\n") if line],
    }
    assert all(found.values()), "a sample log went missing"
    return found


def mutate(raw: bytes, rng: random.Random) -> bytes:
    """One to three bytes of ``raw`` replaced, inserted or deleted; a new byte is any byte, one of
    ``INTERESTING`` half the time."""
    data = bytearray(raw)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        byte = rng.choice(INTERESTING) if rng.random() < 0.5 else rng.randrange(256)
        at = rng.randrange(len(data) + 1)
        what = rng.randrange(3) if data else 1
        if what == 0 and at < len(data):
            data[at] = byte
        elif what == 1:
            data.insert(at, byte)
        elif at < len(data):
            del data[at]
    return bytes(data)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def generated(kind: str, rng: random.Random) -> bytes:
    """A value built from random parts, near the edges of its form more often than not."""
    if kind == "time" and rng.random() < 0.5:  # a valid time, near the ends of the range or not
        year = rng.choice([0, 1, 1969, 1970, 2000, 2024, 9998, 9999, rng.randrange(10000)])
        month = rng.randrange(1, 13)
        day = rng.randrange(1, timestamps._days_in_month(year, month) + 1)
        clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
        fraction = rng.choice(["", ".", ","])
        fraction += _digits(rng, rng.choice([1, 3, 6, 9, 10, 20])) if fraction else ""
        zone = rng.choice(["Z", f"{rng.choice('+-')}{rng.randrange(24):02d}:{rng.randrange(60):02d}"])
        return f"{year:04d}-{month:02d}-{day:02d}T{clock}{fraction}{zone}".encode()
    if kind == "time":
        year = rng.choice(["0000", "9999", "1970", "2024", "2000", "1900", _digits(rng, 4)])
        month = rng.choice(["01", "02", "12", "13", "00", _digits(rng, 2)])
        day = rng.choice(["01", "28", "29", "30", "31", "32", "00", _digits(rng, 2)])
        clock = ":".join(rng.choice(["00", "23", "24", "59", "60", _digits(rng, 2)]) for _ in range(3))
        fraction = rng.choice(["", "", ".", ","]) + _digits(rng, rng.choice([0, 1, 3, 6, 9, 10, 12, 30]))
        sign = rng.choice("+-")
        zone = rng.choice(["Z", "Z", f"{sign}00:00", f"{sign}{_digits(rng, 2)}:{_digits(rng, 2)}", "+23:59"])
        return f"{year}-{month}-{day}T{clock}{fraction}{zone}".encode()
    if kind == "int":
        n = rng.choice([1, 2, 5, 9, 10, 11, 12, 14, 15, 17, 18, 19, 20, 25])
        value = rng.choice([_digits(rng, n), "0" * rng.randrange(20) + _digits(rng, n)])
        for limit in (*INT_MAX.values(), 10**18, 10**11, 10**14, 10**17):
            if rng.random() < 0.05:
                value = str(limit + rng.randrange(-2, 3))
        return value.encode()
    if kind == "ip":
        octets = [rng.choice(["0", "00", "01", "9", "10", "99", "100", "255", "256", "999", _digits(rng, 3)])]
        octets += [
            rng.choice(["0", "1", "25", "255", "256", "010"]) for _ in range(rng.choice([2, 3, 3, 3, 4]))
        ]
        return ".".join(octets).encode()
    pieces = [" ", "\t", "\u3000", "\u2009", "\u00a0", "\u0085", "\u1680", "\u200b", "\u202f", "\u205f"]
    pieces += ["\u2028", "\x1c", "\x1f", "\x00", "\x7f", '"', "\\", "/", "é", "\U0001f469", "a", "\ufeff"]
    return "".join(rng.choice(pieces) for _ in range(rng.randrange(8))).encode()


def inputs(rule: Rule, count: int, seed: int, real: dict[str, list[bytes]]) -> Iterator[bytes]:
    """``count`` inputs for ``rule``: its real values first, then by turns a generated value, a
    mutated real value and a mutated generated value."""
    rng = random.Random(f"{seed}:{rule.name}")
    pool = real[rule.kind]
    yield from pool[:count]
    for i in range(count - min(count, len(pool))):
        turn = i % 3
        if turn == 0:
            yield generated(rule.kind, rng)
        elif turn == 1:
            yield mutate(rng.choice(pool), rng)
        else:
            yield mutate(generated(rule.kind, rng), rng)


def shrink(rule: Rule, raw: bytes) -> bytes:
    """A shorter input that still diverges: bytes dropped, then bytes made plainer, while it does."""
    changed = True
    while changed:
        changed = False
        for size in (8, 4, 2, 1):
            at = 0
            while at < len(raw):
                smaller = raw[:at] + raw[at + size :]
                if rule.diverges(smaller):
                    raw, changed = smaller, True
                else:
                    at += 1
        for at in range(len(raw)):
            for plain in b"0a":
                simpler = raw[:at] + bytes([plain]) + raw[at + 1 :]
                if raw[at] != plain and simpler != raw and rule.diverges(simpler) and simpler < raw:
                    raw, changed = simpler, True
    return raw


# --- the tables -----------------------------------------------------------------------------------


def test_rules_are_the_plans() -> None:
    """The rules tested here are the extension's own functions (not a Python stand-in)."""
    for name in ("rfc3339", "integer", "epoch", "json_string", "trim", "is_ipv4", "utf8_valid"):
        assert type(getattr(C, name)).__name__ == "builtin_function_or_method"
    assert C.__name__ == "engine._fastpath" and plan.AVAILABLE
    # and the twins are the reference path's Python code, not the accelerator again
    assert text_converter(Value("timestamp", time_formats=("rfc3339",))) is timestamps._rfc3339_text
    assert text_converter(Value("int")) is values.parse_int
    for twin in (timestamps._rfc3339_text, values.parse_int, indicators.compile_scanner(("ip",))):
        assert hasattr(twin, "__code__"), twin


def test_escape_table_is_orjsons() -> None:
    for byte in range(128):
        escaped = encode_event(chr(byte))[1:-1]
        kind = C.ESCAPE[byte]
        if kind == 0:
            assert escaped == bytes([byte]), byte
        elif kind == ord("u"):
            assert escaped == b"\\u%04x" % byte, byte
        else:
            assert escaped == b"\\" + bytes([kind]), byte
    assert not any(C.ESCAPE[128:]), "bytes of UTF-8 sequences are never escaped"


def test_whitespace_is_gos() -> None:
    assert C.whitespace() == GO_WHITESPACE
    assert {b for b in range(256) if C.may_be_blank(b)} == {ch.encode()[0] for ch in GO_WHITESPACE}


def test_the_plan_reads_each_field_by_name_in_the_decisions_words() -> None:
    """C knows the kinds by the names ``decisions`` gives them, and reads a field's attributes by
    name: a field without one, or with a kind C does not know, is refused when the plan is built."""
    assert set(C.KINDS) == {
        decisions.TEXT,
        decisions.INTEGER,
        decisions.RFC3339,
        decisions.EPOCH,
        decisions.CONVERTED,
    }
    field = plan.PlanField(
        key=b',"a":',
        kind=decisions.INTEGER,
        captures=(0,),
        keeps_empty=False,
        required=False,
        event_time=False,
        int_max=INT_MAX["int"],
        unit_ns=0,
        convert=None,
        refuse=None,
        indicator=-1,
        scan=None,
        ip=C.IP_IN_PYTHON,
    )

    def made(*fields: object) -> object:
        return C.Plan(
            patterns=((b"", (b"",), (False,), b""),),
            fields=fields,
            empty_values=(),
            trim_space=False,
            skip_prefix=b"",
            log_type=b',"p_log_type":"T","p_row_id":"',
            row_prefix=b"0" * 16,
            source=b"",
            ip_key=b',"p_any_ip_addresses":[',
        )

    ndjson, events, _ = made(field).run(b"42", b"2026-01-01 00:00:00.000000000", 100, lambda raw, i: None)
    assert (events, ndjson.startswith(b'{"a":42,"p_log_type":"T"')) == (1, True), ndjson
    with pytest.raises(TypeError, match="known kind"):
        made(dataclasses.replace(field, kind="int"))

    @dataclasses.dataclass
    class Missing:
        key: bytes = b',"a":'

    with pytest.raises(AttributeError, match="int_max"):
        made(Missing())


def test_integer_limits() -> None:
    """The plan's limits are the Python converters' (signed 16, 32, 64 bits), and C's digit loop
    cannot overflow: 18 digits are below 2**63, and no epoch count it reads passes year 9999."""
    for name, most in INT_MAX.items():
        convert = values.TEXT_CONVERTERS[name]
        assert convert(str(most)) == most
        with pytest.raises(BadValue):
            convert(str(most + 1))
        if len(str(most)) <= C.INT_DIGITS_MOST:  # bigint's 19 digits are deferred
            assert C.integer(str(most).encode(), most) == str(most).encode()
        assert C.integer(str(most + 1).encode(), most) is None
    assert 10**C.INT_DIGITS_MOST - 1 < 2**63
    assert set(C.EPOCH_DIGITS_MOST) == set(UNIT_NS.values())
    for unit, digits in C.EPOCH_DIGITS_MOST.items():
        assert (10**digits - 1) * unit < timestamps._END_NS and digits <= C.INT_DIGITS_MOST


# --- table-driven edges ---------------------------------------------------------------------------

WRITTEN = "written"
DEFERRED = "deferred"

EDGES: list[tuple[str, bytes, str]] = [
    ("rfc3339", b"2024-03-15T10:07:03Z", WRITTEN),
    ("rfc3339", b"2024-03-15T10:07:03.123456789123+05:30", WRITTEN),
    ("rfc3339", b"2024-03-15T10:07:03,5-02:30", WRITTEN),
    ("rfc3339", b"0000-01-01T00:00:00Z", WRITTEN),
    ("rfc3339", b"9999-12-31T23:59:59.999999999Z", WRITTEN),
    ("rfc3339", b"2000-02-29T00:00:00Z", WRITTEN),
    ("rfc3339", b"1900-02-29T00:00:00Z", DEFERRED),
    ("rfc3339", b"0000-01-01T00:00:00+00:01", DEFERRED),
    ("rfc3339", b"9999-12-31T23:59:59-00:01", DEFERRED),
    ("rfc3339", b'2012-11-30T06:45:29.1"Z', DEFERRED),  # the fraction bug: '"' < '0' passed
    ("rfc3339", b"2012-11-30T06:45:29.1/Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29.1:Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29.\x00Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29.\xd9\xa3Z", DEFERRED),  # an Arabic-Indic digit
    ("rfc3339", b"2012-11-30T06:45:29.Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29.5", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29+01:0Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29+1:00", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29/01:00", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29+01/00", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:2/Z", DEFERRED),
    ("rfc3339", b"2012/11-30T06:45:29Z", DEFERRED),
    ("rfc3339", b"2012-11-30T06:45:29ZZ", DEFERRED),
    ("rfc3339", b"", DEFERRED),
    ("int", b"0", WRITTEN),
    ("int", b"0000000000000000042", DEFERRED),  # 19 digits: C reads at most 18
    ("int", b"2147483647", WRITTEN),
    ("int", b"2147483648", DEFERRED),
    ("int", b"", DEFERRED),  # never reaches C from a plan ("" is null), still not a 0
    ("int", b"/", DEFERRED),
    ("int", b":", DEFERRED),
    ("int", b"+1", DEFERRED),
    ("int", b"-0", DEFERRED),
    ("int", b"1 ", DEFERRED),
    ("int", b"\xd9\xa3", DEFERRED),
    ("smallint", b"32767", WRITTEN),
    ("smallint", b"32768", DEFERRED),
    ("bigint", b"999999999999999999", WRITTEN),
    ("bigint", b"9223372036854775807", DEFERRED),
    ("unix", b"0", WRITTEN),
    ("unix", b"99999999999", WRITTEN),
    ("unix", b"253402300799", DEFERRED),
    ("unix", b"", DEFERRED),
    ("unix", b"1.5", DEFERRED),
    ("unix", b"1e9", DEFERRED),
    ("unix_ms", b"1418530070123", WRITTEN),
    ("unix_us", b"99999999999999999", WRITTEN),
    ("unix_ns", b"999999999999999999", WRITTEN),
    ("unix_ns", b"/", DEFERRED),
    ("unix_ns", b"", DEFERRED),
    ("is_ipv4", b"255.255.255.255", WRITTEN),
    ("is_ipv4", b"0.0.0.0", WRITTEN),
    ("ip_member(ip)", b"10.1.2.3", WRITTEN),
    ("ip_member(ip)", b"host", WRITTEN),  # nothing, certainly
    ("ip_member(ip)", b"::1", DEFERRED),
    ("ip_member(ip)", b" 10.1.2.3", DEFERRED),
    ("ip_member(hostname)", b"10.1.2.3", WRITTEN),
    ("ip_member(hostname)", b"host", DEFERRED),
]


@pytest.mark.parametrize(("name", "raw", "expected"), EDGES)
def test_edge(name: str, raw: bytes, expected: str) -> None:
    rule = RULE[name]
    got = rule.c(raw)
    assert (bool(got) if rule.exact else got is not None) is (expected == WRITTEN), got
    assert not rule.diverges(raw), (rule.c(raw), rule.python(raw))


ANY_BYTES = [bytes([b]) for b in range(256)] + [bytes([a, b]) for a in INTERESTING for b in INTERESTING]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_short_input(rule: Rule) -> None:
    """Every byte, and every pair of interesting bytes, alone and in a real value's place."""
    for raw in ANY_BYTES:
        assert not rule.diverges(raw), raw


# --- generated and mutated values -----------------------------------------------------------------

SEED = 20261207
BUDGET = 8_000  # inputs per rule here; tools/fuzz_converters runs a million and more


@pytest.fixture(scope="module")
def real() -> dict[str, list[bytes]]:
    return real_values()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_generated_and_mutated(rule: Rule, real: dict[str, list[bytes]]) -> None:
    divergent = [raw for raw in inputs(rule, BUDGET, SEED, real) if rule.diverges(raw)]
    assert not divergent, [(shrink(rule, raw), rule.c(raw), rule.python(raw)) for raw in divergent[:5]]


@pytest.mark.parametrize("rule", [r for r in RULES if not r.exact], ids=lambda r: r.name)
def test_c_writes_most_real_values(rule: Rule, real: dict[str, list[bytes]]) -> None:
    """A rule that deferred everything would pass the tests above: it must write what it can."""
    accepted = [raw for raw in real[rule.kind] if rule.python(raw) is not None]
    if rule.kind == "ip":  # the indicators answer for anything; C itself only for IPv4 addresses
        accepted = [raw for raw in accepted if _py_is_ipv4(raw)]
    written = [raw for raw in accepted if rule.c(raw) is not None]
    assert accepted and len(written) >= len(accepted) // 2, (len(written), len(accepted))


REPRESENTATIVES = {
    "time": [b"2024-03-15T10:07:03.123+01:00", b"2024-03-15T10:07:03,5Z"],
    "int": [b"2147483647", b"1418530070123"],
    "ip": [b"10.1.2.3", b"255.255.255.255"],
    "string": [" a\u3000".encode(), b"\xe2\x80\xa8x\xc2\xa0"],
    "line": [
        b'<34>1 2003-10-11T22:14:15.003Z host su - ID47 [a@1 b="c\\""] \xef\xbb\xbfmsg',
        b"<13>Feb  5 17:32:18 10.0.0.99 app[12]: Use the BFG!",
        b'9 <158>1 2024-03-15T10:00:01Z host heroku router - at=info method=GET path="/" host=a '
        b'request_id=b fwd="1.2.3.4" dyno=web.1 connect=1ms service=2ms status=200 bytes=5 protocol=h',
    ],
}


def single_byte_edits(raw: bytes) -> Iterator[bytes]:
    """Every byte 0x00-0xff in every place of ``raw``, replacing or inserted; each byte deleted."""
    for at in range(len(raw) + 1):
        if at < len(raw):
            yield raw[:at] + raw[at + 1 :]
        for byte in range(256):
            yield raw[:at] + bytes([byte]) + raw[at:]
            if at < len(raw):
                yield raw[:at] + bytes([byte]) + raw[at + 1 :]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_byte_in_every_place(rule: Rule) -> None:
    """Exhaustive single-byte edits of a well-formed value: each check of a rule meets every byte
    (the old fraction bug let the bytes below '0' through the fraction's digit check)."""
    for value in REPRESENTATIVES[rule.kind]:
        divergent = [raw for raw in single_byte_edits(value) if rule.diverges(raw)]
        assert not divergent, [(raw, rule.c(raw), rule.python(raw)) for raw in divergent[:5]]
