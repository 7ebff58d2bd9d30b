"""JSON lines (a schema without a parser): nested objects, arrays, json values, rules, hostile input."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from engine import Batch

AUDIT = """
    schema: Custom.Audit
    fields:
      - {name: action, type: string, required: true, validate: {allow: [create, delete, login]}}
      - name: actor
        type: object
        fields:
          - {name: name, type: string, indicators: [username]}
          - {name: ip, type: string, indicators: [ip], validate: {ip: any}}
          - {name: at, type: timestamp, timeFormats: [unix_ms, rfc3339], isEventTime: true}
      - {name: when, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: count, type: int}
      - {name: ratio, type: float}
      - {name: ok, type: boolean}
      - name: tags
        type: array
        element: {type: string, indicators: [domain]}
      - name: times
        type: array
        element: {type: timestamp, timeFormats: [unix]}
      - name: targets
        type: array
        element:
          type: object
          fields:
            - {name: arn, type: string, indicators: [aws_arn]}
            - {name: seen, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
      - {name: extra, type: json}
      - {name: network, type: string, validate: {cidr: ipv4}}
"""


def run(normalize: Callable[..., Batch], *objects: object) -> Batch:
    lines = [o if isinstance(o, str) else orjson.dumps(o).decode() for o in objects]
    return normalize(AUDIT, lines)


def fields(event: dict) -> dict:
    return {k: v for k, v in event.items() if not k.startswith("p_")}


def test_nested_event(normalize: Callable[..., Batch]) -> None:
    line = {
        "action": "login",
        "unknown": "ignored",
        "actor": {"name": "bob", "ip": "10.0.0.1", "at": 1577934245123, "other": 1},
        "when": "2020-01-02T03:04:06Z",
        "count": "12",
        "ratio": 1000,
        "ok": 1,
        "tags": ["b.example", None, "a.example"],
        "times": [1577934245, "1.5"],
        "targets": [{"arn": "arn:aws:iam::123456789012:user/x", "seen": "2030-01-01T00:00:00Z"}],
        "extra": {"k": [1, {"z": None}]},
        "network": "10.0.0.0/8",
    }
    (event,) = run(normalize, line).events
    assert fields(event) == {
        "action": "login",
        "actor": {"name": "bob", "ip": "10.0.0.1", "at": "2020-01-02 03:04:05.123000000"},
        "when": "2020-01-02 03:04:06.000000000",
        "count": 12,
        "ratio": 1000.0,
        "ok": True,
        "tags": ["b.example", None, "a.example"],
        "times": ["2020-01-02 03:04:05.000000000", "1970-01-01 00:00:01.500000000"],  # element formats (j.4)
        "targets": [{"arn": "arn:aws:iam::123456789012:user/x", "seen": "2030-01-01 00:00:00.000000000"}],
        "extra": {"k": [1, {"z": None}]},
        "network": "10.0.0.0/8",
    }
    # depth first in schema order: actor.at comes before when; timestamps in arrays never count (c.5)
    assert event["p_event_time"] == "2020-01-02 03:04:05.123000000"
    assert {k: v for k, v in event.items() if k.startswith("p_any")} == {
        "p_any_aws_account_ids": ("123456789012",),
        "p_any_aws_arns": ("arn:aws:iam::123456789012:user/x",),
        "p_any_domain_names": ("a.example", "b.example"),
        "p_any_ip_addresses": ("10.0.0.1",),
        "p_any_usernames": ("bob",),
    }
    assert b'"ratio":1000,' in run(normalize, line).ndjson()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("null", {}),  # an event with only p_ fields (b.2); action is required, see below
        ('{"action": "create"} trailing garbage', {"action": "create"}),  # text after the value is ignored
        ('{"action": "create", "action": "delete"}', {"action": "delete"}),  # the last duplicate key wins
        (
            '{"action": "create", "ACTION": "x", "tags": [], "targets": null, "actor": {}}',
            {"action": "create", "actor": {}},
        ),
        ('{"action": "create", "count": "", "when": "", "extra": ""}', {"action": "create", "extra": ""}),
    ],
    ids=["null", "trailing", "duplicate-key", "case-empty-null", "empty-strings"],
)
def test_decoding_rules(normalize: Callable[..., Batch], line: str, expected: dict) -> None:
    batch = run(normalize, line)
    if not expected:
        (reject,) = batch.rejects
        assert (reject.reason, reject.field, reject.rule) == ("validation_failed", "action", "required")
        return
    (event,) = batch.events
    assert fields(event) == expected


@pytest.mark.parametrize(
    ("line", "written"),
    [
        (
            '{"action": "create", "extra": [18446744073709551616]} text after',
            b'"extra":[18446744073709551616]',
        ),
        (
            '{"action": "create", "actor": {"name": "a\\ud800b"}}',
            '"actor":{"name":"a\ufffdb"},'.encode(),
        ),
        (
            '{"action": "create", "extra": {"\\udc00": "\\ud83d\\ude00 \\ud83d"}}',
            '"extra":{"\ufffd":"\U0001f600 \ufffd"}'.encode(),
        ),
        (
            '{"action": "create", "count": -9223372036854775809} text after',
            b'"value":"-9223372036854775809","expected":"int"',
        ),
    ],
    ids=["past-64-bits", "lone-surrogate", "surrogates-in-json", "reject-value"],
)
def test_what_orjson_refuses_is_written_as_panther_writes_it(
    normalize: Callable[..., Batch], line: str, written: bytes
) -> None:
    """An integer past 64 bits (read by the standard decoder, which takes the lines orjson refuses:
    text after the value) is written with its digits, as Panther copies raw JSON; a lone surrogate
    escape becomes U+FFFD, as Go's decoder makes it. Neither may end the run (orjson writes neither).
    (orjson itself reads an integer past 64 bits as a float, so without text after it the reference
    writes 1e+20: a known difference from Panther, whose json fields keep the raw bytes.)"""
    encoded = run(normalize, line).encoded()
    assert written in encoded.ndjson + encoded.rejects


@pytest.mark.parametrize(
    ("line", "reason", "field", "value", "message"),
    [
        (
            {"action": "create", "count": 12.0},
            "bad_value",
            "count",
            "12.0",
            "field 'count': '12.0' is not a valid int",
        ),
        (
            {"action": "create", "count": 2147483648},
            "bad_value",
            "count",
            "2147483648",
            "field 'count': '2147483648' is not a valid int (out of range)",
        ),
        ({"action": "create", "ok": 2}, "bad_value", "ok", "2", "field 'ok': '2' is not a valid boolean"),
        (
            {"action": "create", "actor": "bob"},
            "bad_value",
            "actor",
            "bob",
            "field 'actor': 'bob' is not a valid object (got a string)",
        ),
        (
            {"action": "create", "actor": {"name": {"first": "b"}}},
            "bad_value",
            "actor.name",
            '{"first":"b"}',
            "field 'actor.name': '{\"first\":\"b\"}' is not a valid string",
        ),
        (
            {"action": "create", "times": [1, "x"]},
            "bad_value",
            "times[]",
            "x",
            "field 'times[]': 'x' is not a valid timestamp (unix) (not a decimal number)",
        ),
        (
            {"action": "create", "when": 1577934245},
            "bad_value",
            "when",
            "1577934245",
            None,
        ),
        (
            {"action": "update"},
            "validation_failed",
            "action",
            "update",
            "field 'action' 'update' fails its 'allow' rule: not one of the allowed values",
        ),
        (
            {"action": "create", "actor": {"ip": "10.0.0.300"}},
            "validation_failed",
            "actor.ip",
            "10.0.0.300",
            "field 'actor.ip' '10.0.0.300' fails its 'ip' rule: not an IP address",
        ),
        (
            {"action": "create", "network": "::/0"},
            "validation_failed",
            "network",
            "::/0",
            "field 'network' '::/0' fails its 'cidr' rule: not a CIDR block (ipv4)",
        ),
        (
            {"action": ""},
            "validation_failed",
            "action",
            "",
            "field 'action' '' fails its 'allow' rule: not one of the allowed values",
        ),
    ],
    ids=[
        "int-from-float",
        "int-range",
        "boolean-2",
        "object-from-string",
        "string-from-object",
        "array-element",
        "rfc3339-from-number",
        "allow",
        "ip",
        "cidr",
        "present-empty-fails-allow",
    ],
)
def test_rejects(
    normalize: Callable[..., Batch], line: dict, reason: str, field: str, value: str, message: str | None
) -> None:
    (reject,) = run(normalize, line).rejects
    assert (reject.reason, reject.field, reject.value) == (reason, field, value)
    if message is not None:
        assert reject.message == message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON: Expecting value (column 1)"),
        ("[1, 2]", "the line is an array, not a JSON object"),
        ('"text"', "the line is a string, not a JSON object"),
        ("[" * 10_000 + "]" * 10_000, "not JSON this parser accepts: nested too deeply"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "not JSON this parser accepts: nested too deeply"),
    ],
    ids=["text", "array", "string", "deep-array", "deep-object"],
)
def test_invalid_json(normalize: Callable[..., Batch], line: str, message: str) -> None:
    batch = run(normalize, line, {"action": "login"})
    assert len(batch.events) == 1
    (reject,) = batch.rejects
    assert (reject.reason, reject.message, reject.raw) == ("invalid_json", message, line)


def test_required_variants(normalize: Callable[..., Batch]) -> None:
    """required: "" passes for strings, [] and {} pass (then [] is omitted), null fails (b.3, j.13)."""
    schema = """
        schema: Custom.Required
        fields:
          - {name: s, type: string, required: true}
          - {name: b, type: boolean, required: true}
          - {name: a, type: array, element: {type: int}, required: true}
          - {name: t, type: timestamp, timeFormats: [rfc3339], required: true}
    """
    ok = '{"s": "", "b": false, "a": [], "t": "2020-01-02T03:04:05Z"}'
    batch = normalize(
        schema, [ok, '{"s": "", "a": [], "t": "2020-01-02T03:04:05Z"}', '{"s": "x", "b": true, "a": []}']
    )
    (event,) = batch.events
    assert fields(event) == {"s": "", "b": False, "t": "2020-01-02 03:04:05.000000000"}
    assert [(r.field, r.rule, r.value) for r in batch.rejects] == [
        ("b", "required", None),
        ("t", "required", None),
    ]
    assert batch.rejects[0].message == "field 'b' fails its 'required' rule: the field is required but absent"


def test_only_indicator_on_array_elements(normalize: Callable[..., Batch]) -> None:
    """One indicator value, inside an array: every element's findings are merged, not the last one's."""
    schema = """
        schema: Custom.Hosts
        fields:
          - {name: hosts, type: array, element: {type: string, indicators: [hostname]}}
    """
    (event,) = normalize(schema, ['{"hosts": ["b.example", "10.0.0.1", "a.example"]}']).events
    assert event["p_any_domain_names"] == ("a.example", "b.example")
    assert event["p_any_ip_addresses"] == ("10.0.0.1",)


TRANSFORMS = """
    schema: Custom.Transforms
    fields:
      - {name: arn, type: string, copy: {from: userIdentity.arn}, indicators: [aws_arn]}
      - {name: who, type: string, concat: {paths: [user.first, user.last, user.id], separator: ' '}}
      - {name: domain, type: string, split: {from: email, separator: '@', index: 1}}
      - {name: third, type: string, split: {from: email, separator: '@', index: 2}}
      - {name: userId, type: string, rename: {from: PIN}, mask: {type: redact}}
      - {name: dotted, type: string, rename: {from: a.b}}
"""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            {
                "userIdentity": {"arn": "arn:aws:iam::123456789012:user/bob"},
                "user": {"first": "Bob", "last": "", "id": 7},
                "email": "bob@example.com",
                "PIN": "1234",
                "a.b": "key with a dot",
                "a": {"b": "nested"},
            },
            {
                "arn": "arn:aws:iam::123456789012:user/bob",
                "who": "Bob 7",  # absent and empty parts are left out; numbers as their text
                "domain": "example.com",
                "userId": "****",
                "dotted": "key with a dot",  # rename reads a key as it is
            },
        ),
        ({"userIdentity": "not an object", "user": {}, "email": 5}, {}),
    ],
    ids=["all", "missing-paths"],
)
def test_copy_concat_split(normalize: Callable[..., Batch], line: dict, expected: dict) -> None:
    (event,) = normalize(TRANSFORMS, [orjson.dumps(line).decode()]).events
    assert fields(event) == expected


def test_concat_of_an_object_is_a_bad_value(normalize: Callable[..., Batch]) -> None:
    (reject,) = normalize(TRANSFORMS, ['{"user": {"first": {"x": 1}}}']).rejects
    assert (reject.reason, reject.field, reject.expected) == ("bad_value", "who", "string")
