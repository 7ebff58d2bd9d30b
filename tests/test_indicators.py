"""Indicator scanners and the p_any_* lists (spec d; l.2 sorted keys; l.15 current-Go IP rule)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.indicators import FIELD_OF, INDICATORS, P_ANY_KEYS, compile_lookup, compile_scanner, finish

IP = "p_any_ip_addresses"
DOMAIN = "p_any_domain_names"


def scan(names: list[str], *values: str) -> dict[str, list[str]]:
    """Run the scanner compiled from ``names`` over ``values`` into one event and finish it."""
    scanner = compile_scanner(names)
    acc: dict[str, set[str]] = {}
    for value in values:
        scanner(value, acc)
    return {key: list(found) for key, found in finish(acc).items()}


def rows(*cases: tuple[str, str, str, dict[str, list[str]]]) -> list[pytest.param]:
    """Table rows ``(id, indicator, value, expected)`` as pytest params with readable ids."""
    return [pytest.param(name, value, expected, id=case_id) for case_id, name, value, expected in cases]


# --- Spec vectors I1-I12 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    rows(
        ("I1-hostname-host", "hostname", "host", {DOMAIN: ["host"]}),
        ("I2-hostname-ipv4", "hostname", "10.1.2.3", {IP: ["10.1.2.3"]}),
        ("I3-hostname-punycode", "hostname", "xn--bcher-kva.example", {DOMAIN: ["bücher.example"]}),
        ("I4-hostname-brackets", "hostname", "[::1]", {DOMAIN: ["[::1]"]}),
        ("I4-hostname-case-kept", "hostname", "HOST.Example.COM", {DOMAIN: ["HOST.Example.COM"]}),
        ("I5-hostname-leading-zeros", "hostname", "010.001.002.003", {DOMAIN: ["010.001.002.003"]}),
        ("I6-hostname-mapped-ipv6", "hostname", "::ffff:1.2.3.4", {IP: ["::ffff:1.2.3.4"]}),
        ("I7-hostname-empty", "hostname", "", {}),
        ("I8-url-no-scheme", "url", "example.com/path", {}),
        ("I9-net_addr-bracketed", "net_addr", "[::1]:22", {IP: ["::1"]}),
        ("I9-net_addr-justhost", "net_addr", "justhost", {DOMAIN: ["justhost"]}),
        (
            "I10-md5-uppercase",
            "md5",
            "D41D8CD98F00B204E9800998ECF8427E",
            {"p_any_md5_hashes": ["d41d8cd98f00b204e9800998ecf8427e"]},
        ),
        ("I11-email-no-at", "email", "nobody", {}),
        ("I11-email-trimmed", "email", " a@b ", {"p_any_emails": ["a@b"]}),
        ("I12-aws_account_id-11-digits", "aws_account_id", "12345678901", {}),
    ),
)
def test_spec_vectors(name: str, value: str, expected: dict[str, list[str]]) -> None:
    assert scan([name], value) == expected


# --- ip, domain, hostname ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    rows(
        ("ip-v4", "ip", "1.2.3.4", {IP: ["1.2.3.4"]}),
        ("ip-trimmed", "ip", "\u30001.2.3.4\n", {IP: ["1.2.3.4"]}),
        ("ip-v6-kept-as-written", "ip", "2001:DB8:0::1", {IP: ["2001:DB8:0::1"]}),
        ("ip-v6-unspecified", "ip", "::", {IP: ["::"]}),
        (
            "ip-v6-full-with-v4",
            "ip",
            "0000:0000:0000:0000:0000:ffff:1.2.3.4",
            {IP: ["0000:0000:0000:0000:0000:ffff:1.2.3.4"]},
        ),
        ("ip-v6-trailing-ellipsis", "ip", "1:2:3:4:5:6:7::", {IP: ["1:2:3:4:5:6:7::"]}),
        ("ip-v4-leading-zero", "ip", "01.2.3.4", {}),
        ("ip-v4-embedded-leading-zero", "ip", "::ffff:01.2.3.4", {}),
        ("ip-v4-octet-256", "ip", "256.1.1.1", {}),
        ("ip-v4-three-octets", "ip", "1.2.3", {}),
        ("ip-with-port", "ip", "1.2.3.4:80", {}),
        ("ip-bracketed", "ip", "[::1]", {}),
        ("ip-zone", "ip", "fe80::1%eth0", {}),
        ("ip-cidr", "ip", "10.0.0.0/8", {}),
        ("ip-v6-ellipsis-for-nothing", "ip", "1:2:3:4:5:6::1.2.3.4", {}),
        ("ip-v6-too-many-groups", "ip", "1:2:3:4:5:6:7:1.2.3.4", {}),
        ("ip-v6-five-digit-group", "ip", "00001::", {}),
        ("ip-v6-two-ellipses", "ip", "1::2::3", {}),
        ("ip-hex-word", "ip", "deadbeef", {}),
        ("ip-name", "ip", "host", {}),
        ("ip-arabic-digits", "ip", "١.2.3.4", {}),
        ("domain-any-value", "domain", "1.2.3.4", {DOMAIN: ["1.2.3.4"]}),
        ("domain-trimmed", "domain", "\x85host\u3000", {DOMAIN: ["host"]}),
        ("domain-blank", "domain", "\u00a0 \t", {}),
        ("domain-punycode", "domain", "xn--bcher-kva.example", {DOMAIN: ["bücher.example"]}),
        (
            "domain-punycode-every-label",
            "domain",
            "xn--bcher-kva.xn--bcher-kva._tcp",
            {DOMAIN: ["bücher.bücher._tcp"]},
        ),
        ("domain-invalid-punycode-raw", "domain", "xn--zz.example", {DOMAIN: ["xn--zz.example"]}),
        (
            "domain-prefix-is-case-sensitive",
            "domain",
            "XN--bcher-kva.example",
            {DOMAIN: ["XN--bcher-kva.example"]},
        ),
        (
            "domain-only-leading-xn-decoded",
            "domain",
            "www.xn--bcher-kva.example",
            {DOMAIN: ["www.xn--bcher-kva.example"]},
        ),
        ("hostname-trimmed-ip", "hostname", "  10.1.2.3\u2028", {IP: ["10.1.2.3"]}),
        ("hostname-long-name", "hostname", "a" * 300, {DOMAIN: ["a" * 300]}),
    ),
)
def test_ip_domain_hostname(name: str, value: str, expected: dict[str, list[str]]) -> None:
    assert scan([name], value) == expected


# --- url ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("http://example.com/path", {DOMAIN: ["example.com"]}, id="plain"),
        pytest.param(
            "https://user:pw@Example.COM:8443/p?q=1#f", {DOMAIN: ["Example.COM"]}, id="userinfo-port-case"
        ),
        pytest.param("HTTP://h", {DOMAIN: ["h"]}, id="scheme-any-case"),
        pytest.param("  http://h/\u3000", {DOMAIN: ["h"]}, id="trimmed"),
        pytest.param("http://10.0.0.1:8080/", {IP: ["10.0.0.1"]}, id="ipv4-port"),
        pytest.param("http://[::1]:80/x", {IP: ["::1"]}, id="ipv6-brackets-port"),
        pytest.param("http://[fe80::1%25en0]/", {DOMAIN: ["fe80::1%en0"]}, id="ipv6-zone-is-no-ip"),
        pytest.param("//cdn.example.com/x", {DOMAIN: ["cdn.example.com"]}, id="scheme-relative"),
        pytest.param("http://a@b@c/", {DOMAIN: ["c"]}, id="last-at-ends-userinfo"),
        pytest.param("http://b%C3%BCcher.example/", {DOMAIN: ["bücher.example"]}, id="escaped-utf8-host"),
        pytest.param("http://xn--bcher-kva.example:443/", {DOMAIN: ["bücher.example"]}, id="punycode-host"),
        pytest.param("http://h/?%zz", {DOMAIN: ["h"]}, id="query-not-checked"),
        pytest.param("http://h/#\x01", {DOMAIN: ["h"]}, id="control-in-fragment-allowed"),
        pytest.param("example.com/path", {}, id="no-scheme-no-host"),
        pytest.param("host:80", {}, id="opaque"),
        pytest.param("mailto:a@b.example", {}, id="mailto-opaque"),
        pytest.param("///h/x", {}, id="triple-slash"),
        pytest.param("http://:80/", {}, id="empty-host"),
        pytest.param("http://h:x/", {}, id="bad-port"),
        pytest.param("http://h:80:80/", {DOMAIN: ["h:80"]}, id="second-port-kept-by-go-1.24"),
        pytest.param("http://[::1/", {}, id="missing-bracket"),
        pytest.param("http://[::1]x/", {}, id="text-after-bracket"),
        pytest.param("http://%zz/", {}, id="bad-escape-host"),
        pytest.param("http://%41/", {}, id="escaped-ascii-in-host"),
        pytest.param("http://%c3/", {}, id="escape-to-invalid-utf8"),
        pytest.param("http://h/%zz", {}, id="bad-escape-path"),
        pytest.param("http://h/#%zz", {}, id="bad-escape-fragment"),
        pytest.param("http://h o/", {}, id="space-in-host"),
        pytest.param("http://h{x}/", {}, id="brace-in-host"),
        pytest.param("http://h\x01/", {}, id="control-char"),
        pytest.param("http://ü@h/", {}, id="non-ascii-userinfo"),
        pytest.param("http://a%zz@h/", {}, id="bad-escape-userinfo"),
        pytest.param("1:x", {}, id="colon-in-first-segment"),
        pytest.param(":x", {}, id="missing-scheme"),
        pytest.param("", {}, id="empty"),
    ],
)
def test_url(value: str, expected: dict[str, list[str]]) -> None:
    assert scan(["url"], value) == expected


# --- net_addr --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("[::1]:22", {IP: ["::1"]}, id="I9-bracketed"),
        pytest.param("justhost", {DOMAIN: ["justhost"]}, id="I9-no-port"),
        pytest.param("host:80", {DOMAIN: ["host"]}, id="host-port"),
        pytest.param("10.0.0.1:443", {IP: ["10.0.0.1"]}, id="ipv4-port"),
        pytest.param("host:https", {DOMAIN: ["host"]}, id="port-not-checked"),
        pytest.param(" host :1", {DOMAIN: ["host"]}, id="split-then-trimmed"),
        pytest.param("[::1]", {DOMAIN: ["[::1]"]}, id="brackets-no-port"),
        pytest.param(":80", {}, id="empty-host"),
        pytest.param("a:b:c", {DOMAIN: ["a:b:c"]}, id="too-many-colons"),
        pytest.param("[::1]:22:3", {DOMAIN: ["[::1]:22:3"]}, id="colon-after-port"),
        pytest.param("[a]b:1", {DOMAIN: ["[a]b:1"]}, id="text-after-bracket"),
        pytest.param("x[y:1", {DOMAIN: ["x[y:1"]}, id="stray-bracket"),
    ],
)
def test_net_addr(value: str, expected: dict[str, list[str]]) -> None:
    assert scan(["net_addr"], value) == expected


# --- hashes and plain values ---------------------------------------------------------------------

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    rows(
        ("md5-lowercase", "md5", MD5, {"p_any_md5_hashes": [MD5]}),
        (
            "md5-mixed-case-trimmed",
            "md5",
            f"\u3000{MD5[:16].upper()}{MD5[16:]} ",
            {"p_any_md5_hashes": [MD5]},
        ),
        ("md5-31-chars", "md5", MD5[:31], {}),
        ("md5-33-chars", "md5", MD5 + "0", {}),
        ("md5-non-hex", "md5", "g" + MD5[1:], {}),
        ("md5-arabic-digits", "md5", "٠" * 32, {}),
        ("md5-given-sha1", "md5", SHA1, {}),
        ("sha1", "sha1", SHA1.upper(), {"p_any_sha1_hashes": [SHA1]}),
        ("sha1-39-chars", "sha1", SHA1[:39], {}),
        ("sha256", "sha256", SHA256.upper(), {"p_any_sha256_hashes": [SHA256]}),
        ("sha256-given-md5", "sha256", MD5, {}),
        ("trace_id-trimmed", "trace_id", " ray-id\t", {"p_any_trace_ids": ["ray-id"]}),
        ("trace_id-blank", "trace_id", " \u3000", {}),
        ("username", "username", "frank", {"p_any_usernames": ["frank"]}),
        ("username-empty", "username", "", {}),
        ("email-case-kept", "email", "A@B.Example", {"p_any_emails": ["A@B.Example"]}),
        ("email-only-at", "email", "@", {"p_any_emails": ["@"]}),
        ("email-go-space-trimmed", "email", "\u3000x@y\x85", {"p_any_emails": ["x@y"]}),
    ),
)
def test_hashes_and_plain_values(name: str, value: str, expected: dict[str, list[str]]) -> None:
    assert scan([name], value) == expected


# --- AWS ----------------------------------------------------------------------------------------

INSTANCE_ARN = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    rows(
        (
            "arn-instance",
            "aws_arn",
            INSTANCE_ARN,
            {
                "p_any_aws_account_ids": ["123456789012"],
                "p_any_aws_arns": [INSTANCE_ARN],
                "p_any_aws_instance_ids": ["i-0abc123"],
            },
        ),
        (
            "arn-no-account",
            "aws_arn",
            "arn:aws:s3:::bucket/key",
            {"p_any_aws_arns": ["arn:aws:s3:::bucket/key"]},
        ),
        (
            "arn-resource-keeps-colons",
            "aws_arn",
            "arn:aws:iam::123456789012:role/a:b",
            {
                "p_any_aws_account_ids": ["123456789012"],
                "p_any_aws_arns": ["arn:aws:iam::123456789012:role/a:b"],
            },
        ),
        (
            "arn-instance-last-segment",
            "aws_arn",
            "arn:aws:ec2:r:12345678901:instance/x/i-1",
            {
                "p_any_aws_arns": ["arn:aws:ec2:r:12345678901:instance/x/i-1"],
                "p_any_aws_instance_ids": ["i-1"],
            },
        ),
        (
            "arn-instance-empty",
            "aws_arn",
            "arn:aws:ec2:r:123456789012:instance/",
            {
                "p_any_aws_account_ids": ["123456789012"],
                "p_any_aws_arns": ["arn:aws:ec2:r:123456789012:instance/"],
            },
        ),
        (
            "arn-instance-not-i-",
            "aws_arn",
            "arn:aws:ec2:r::instance/j-1",
            {"p_any_aws_arns": ["arn:aws:ec2:r::instance/j-1"]},
        ),
        ("arn-five-sections", "aws_arn", "arn:aws:s3:r:acct", {}),
        ("arn-not-trimmed-leading", "aws_arn", " arn:aws:s3:::b", {}),
        ("arn-not-trimmed-trailing", "aws_arn", "arn:aws:s3:::b ", {"p_any_aws_arns": ["arn:aws:s3:::b "]}),
        ("account-id", "aws_account_id", "123456789012", {"p_any_aws_account_ids": ["123456789012"]}),
        ("account-id-not-trimmed", "aws_account_id", " 123456789012", {}),
        ("account-id-13-digits", "aws_account_id", "1234567890123", {}),
        ("account-id-fullwidth-digits", "aws_account_id", "１２３４５６７８９０１２", {}),
        ("instance-id", "aws_instance_id", "i-0abc", {"p_any_aws_instance_ids": ["i-0abc"]}),
        ("instance-id-not-trimmed", "aws_instance_id", " i-0abc", {}),
        ("instance-id-other", "aws_instance_id", "ami-1", {}),
        ("tag-as-is", "aws_tag", " env:prod ", {"p_any_aws_tags": [" env:prod "]}),
        ("tag-empty", "aws_tag", "", {}),
    ),
)
def test_aws(name: str, value: str, expected: dict[str, list[str]]) -> None:
    assert scan([name], value) == expected


# --- Trimming: Go's strings.TrimSpace, not str.strip() -----------------------------------------

# Go's unicode.IsSpace: the set strings.TrimSpace removes (spec a.4), written out independently.
GO_SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


@pytest.mark.parametrize("space", list(GO_SPACES), ids=[f"U+{ord(c):04X}" for c in GO_SPACES])
def test_go_whitespace_is_trimmed(space: str) -> None:
    assert scan(["username"], f"{space}frank{space}") == {"p_any_usernames": ["frank"]}


@pytest.mark.parametrize(
    "char",
    ["\x1c", "\x1d", "\x1e", "\x1f", "\u200b", "\ufeff"],
    ids=["U+001C", "U+001D", "U+001E", "U+001F", "U+200B", "U+FEFF"],
)
def test_other_characters_are_kept(char: str) -> None:
    # Python's str.strip() removes U+001C-U+001F; Go's TrimSpace does not (spec a.4).
    assert scan(["hostname"], f"{char}host{char}") == {DOMAIN: [f"{char}host{char}"]}


# --- Compiling, several indicators, remembered verdicts -----------------------------------------


def test_several_indicators_all_run() -> None:
    assert scan(["domain", "hostname", "ip"], "1.2.3.4") == {DOMAIN: ["1.2.3.4"], IP: ["1.2.3.4"]}


def test_one_indicator_is_its_scanner_and_repeats_run_once() -> None:
    assert compile_scanner(["md5"]) is compile_scanner(("md5", "md5"))


def test_verdicts_are_per_indicator() -> None:
    # The same text, remembered by `domain` first, must still be an IP for `hostname`.
    assert scan(["domain"], "10.9.8.7") == {DOMAIN: ["10.9.8.7"]}
    assert scan(["hostname"], "10.9.8.7") == {IP: ["10.9.8.7"]}


@given(st.one_of(st.text(), st.text(alphabet="0123456789abcdefABCDEF.:% \t\u3000\x1cxn-[]", max_size=50)))
def test_hostname_is_ip_or_else_domain(value: str) -> None:
    # The hostname rule, checked against the ip and domain scanners, twice (the second time from the
    # remembered verdicts).
    for _ in range(2):
        as_ip = scan(["ip"], value)
        assert scan(["hostname"], value) == (as_ip or scan(["domain"], value))


def test_full_memo_is_emptied_and_still_correct() -> None:
    names = [f"n{i}.example" for i in range(5000)]
    assert scan(["hostname"], *names, "10.1.2.3", "xn--bcher-kva.example", "10.1.2.3") == {
        DOMAIN: sorted([*names, "bücher.example"]),
        IP: ["10.1.2.3"],
    }


@pytest.mark.parametrize(
    ("names", "error", "message"),
    [
        pytest.param(["ip", "ipv4"], ValueError, "unknown indicator 'ipv4'", id="unknown"),
        pytest.param(["aws_arn_only"], ValueError, "unknown indicator 'aws_arn_only'", id="newer-name"),
        pytest.param([], ValueError, "no indicators to compile", id="empty"),
        pytest.param(
            "ip", TypeError, "indicator names must be a sequence of names, not one string", id="string"
        ),
    ],
)
def test_compile_errors(names: list[str], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        compile_scanner(names)
    assert str(info.value) == message


# --- finish: dedup, sorting, empty lists ---------------------------------------------------------


def test_finish_dedups_across_fields_and_sorts_keys_and_values() -> None:
    acc: dict[str, set[str]] = {}
    compile_scanner(["hostname"])("b.example", acc)
    compile_scanner(["net_addr"])("10.0.0.2:80", acc)
    compile_scanner(["url"])("http://a.example/", acc)
    compile_scanner(["hostname"])("b.example", acc)
    compile_scanner(["md5"])(MD5.upper(), acc)
    compile_scanner(["md5"])(MD5, acc)
    acc["p_any_usernames"] = set()
    result = finish(acc)
    assert result == {
        DOMAIN: ("a.example", "b.example"),
        IP: ("10.0.0.2",),
        "p_any_md5_hashes": (MD5,),
    }
    assert list(result) == sorted(result)


def test_finish_sorts_by_utf8_bytes() -> None:
    # Go's sort.Strings compares UTF-8 bytes. Code-point order (Python's) agrees for text without
    # surrogates; UTF-16 order would not: U+FF61 sorts before U+1F600 in UTF-8, after it in UTF-16.
    values = ["\U0001f600", "\uff61", "z", "é", "\ue000", "Z", "\U00010000", "zz"]
    acc = {"p_any_trace_ids": set(values)}
    expected = ["Z", "z", "zz", "é", "\ue000", "\uff61", "\U00010000", "\U0001f600"]
    assert finish(acc) == {"p_any_trace_ids": tuple(expected)}
    assert expected == sorted(values, key=lambda text: text.encode("utf-8"))


def test_finish_of_nothing() -> None:
    assert finish({}) == {}


@pytest.mark.parametrize(
    ("names", "value", "expected"),
    [
        (["hostname"], "host", {DOMAIN: ("host",)}),
        (["hostname"], "10.1.2.3", {IP: ("10.1.2.3",)}),
        (["hostname"], "", {}),
        (
            ["aws_arn"],
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
            {
                "p_any_aws_account_ids": ("123456789012",),
                "p_any_aws_arns": ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",),
                "p_any_aws_instance_ids": ("i-0abc",),
            },
        ),
    ],
)
def test_lookup_gives_finished_lists(names: list[str], value: str, expected: dict) -> None:
    lookup = compile_lookup(names)
    assert lookup(value) == expected
    assert lookup(value) == expected  # the remembered answer is the same
    assert list(lookup(value)) == sorted(expected)


def test_lookup_remembers_only_short_values() -> None:
    lookup = compile_lookup(["domain"])
    long = "x" * 300
    assert lookup(long) is not lookup(long)
    assert lookup("short") is lookup("short")


# --- The public tables -------------------------------------------------------------------------


def test_indicator_names_in_spec_order() -> None:
    assert INDICATORS == (
        "ip",
        "domain",
        "hostname",
        "url",
        "net_addr",
        "md5",
        "sha1",
        "sha256",
        "trace_id",
        "username",
        "email",
        "aws_arn",
        "aws_account_id",
        "aws_instance_id",
        "aws_tag",
    )
    assert list(FIELD_OF) == list(INDICATORS)


def test_p_any_keys() -> None:
    assert P_ANY_KEYS == (
        "p_any_aws_account_ids",
        "p_any_aws_arns",
        "p_any_aws_instance_ids",
        "p_any_aws_tags",
        "p_any_domain_names",
        "p_any_emails",
        "p_any_ip_addresses",
        "p_any_md5_hashes",
        "p_any_sha1_hashes",
        "p_any_sha256_hashes",
        "p_any_trace_ids",
        "p_any_usernames",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ip", "::1"),
        ("domain", "d"),
        ("hostname", "h"),
        ("hostname", "1.2.3.4"),
        ("url", "http://u/"),
        ("url", "http://1.2.3.4/"),
        ("net_addr", "n:1"),
        ("net_addr", "[::1]:1"),
        ("md5", MD5),
        ("sha1", SHA1),
        ("sha256", SHA256),
        ("trace_id", "t"),
        ("username", "u"),
        ("email", "e@x"),
        ("aws_arn", INSTANCE_ARN),
        ("aws_account_id", "123456789012"),
        ("aws_instance_id", "i-1"),
        ("aws_tag", "t"),
    ],
)
def test_field_of_lists_what_each_indicator_feeds(name: str, value: str) -> None:
    found = scan([name], value)
    assert found
    assert set(found) <= set(FIELD_OF[name])
