"""Indicators: the scanners that collect an event's ``p_any_*`` lists (IPs, domains, hashes, ...).

A schema field may list indicator names (``indicators: [hostname]``). Every string written for that
field is then scanned, and what the scanners find is collected per event into sets, one per
``p_any_*`` list, deduplicated exactly (spec d). ``compile_scanner`` turns a field's names into one
function at schema-compile time; ``finish`` turns an event's sets into the sorted lists to write.

The rules are those of Panther's ``pantherlog`` scanners (spec d), with Go's semantics reproduced
where Python's differ:

* Trimming is Go ``strings.TrimSpace``: Go's whitespace set, which unlike ``str.strip()`` keeps
  U+001C-U+001F.
* An IP is what current Go's ``net.ParseIP`` accepts: dotted-quad IPv4 without leading zeros
  (spec l.15, I5) or IPv6 (``::ffff:1.2.3.4`` included); no brackets, ports, zones or CIDR. Python's
  ``ipaddress`` (3.9.5+) has the same rules once zones are kept out, which the character pre-check
  does.
* A URL's host is Go ``url.Parse(s).Hostname()``, ported below from Go's ``net/url`` (the code of
  Go 1.15 to 1.24) for the parts that decide the host or make parsing fail. Go's security releases
  from 1.25.2 on refuse a few more odd hosts (brackets around anything but an IPv6 address, text
  before a bracketed address); those still yield a host here. ``urllib.parse`` is not used for
  parsing: its ``hostname`` is lowercased, it drops control characters instead of refusing them and
  never fails on a malformed escape, so it would find hosts where Panther finds none. Only
  ``unquote`` is used, to decode a host's escapes once Go's checks have passed.
* ``xn--`` names are decoded with IDNA ToUnicode, label by label, keeping the raw text when a label
  does not decode (``idna.ulabel``, IDNA 2008 as Go's ``x/net/idna``).

Scanners run once per written string, so the common cases are cheap: the host-like scanners
remember their verdicts for repeated values (log fields repeat the same few hosts), and a new value
such as ``host`` is ruled out as an IP by its first character before any parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Final
from urllib.parse import unquote

import idna

from .whitespace import GO_WHITESPACE

Scanner = Callable[[str, dict[str, set[str]]], None]
"""``scan(value, acc)``: add what one string yields to ``acc[p_any_key]`` (sets created on demand)."""

INDICATORS: Final = (
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

_IP: Final = "p_any_ip_addresses"
_DOMAIN: Final = "p_any_domain_names"
_MD5: Final = "p_any_md5_hashes"
_SHA1: Final = "p_any_sha1_hashes"
_SHA256: Final = "p_any_sha256_hashes"
_TRACE_ID: Final = "p_any_trace_ids"
_USERNAME: Final = "p_any_usernames"
_EMAIL: Final = "p_any_emails"
_ARN: Final = "p_any_aws_arns"
_ACCOUNT_ID: Final = "p_any_aws_account_ids"
_INSTANCE_ID: Final = "p_any_aws_instance_ids"
_TAG: Final = "p_any_aws_tags"

FIELD_OF: Final[dict[str, tuple[str, ...]]] = {
    "ip": (_IP,),
    "domain": (_DOMAIN,),
    "hostname": (_DOMAIN, _IP),
    "url": (_DOMAIN, _IP),
    "net_addr": (_DOMAIN, _IP),
    "md5": (_MD5,),
    "sha1": (_SHA1,),
    "sha256": (_SHA256,),
    "trace_id": (_TRACE_ID,),
    "username": (_USERNAME,),
    "email": (_EMAIL,),
    "aws_arn": (_ACCOUNT_ID, _ARN, _INSTANCE_ID),
    "aws_account_id": (_ACCOUNT_ID,),
    "aws_instance_id": (_INSTANCE_ID,),
    "aws_tag": (_TAG,),
}
"""Indicator name -> the ``p_any_*`` lists it can feed (sorted)."""

P_ANY_KEYS: Final = tuple(sorted({key for keys in FIELD_OF.values() for key in keys}))
"""Every ``p_any_*`` list an indicator can feed, sorted."""

_HEX: Final = "0123456789abcdefABCDEF"
_IP_FIRST: Final = _HEX + ":"
_IP_CHARS: Final = _HEX + ".:"
# The longest text net.ParseIP accepts: six 4-digit groups and a dotted quad (45 characters).
_MAX_IP_LEN: Final = 45
# Verdict memos: values up to the longest DNS name, at most this many per indicator.
_MAX_REMEMBERED_LEN: Final = 253
_MEMO_SIZE: Final = 4096

Verdict = tuple[str, str] | tuple[()]
"""What one value yields for a host-like indicator: ``(p_any key, text to add)``, or ``()``."""


def _add(acc: dict[str, set[str]], key: str, value: str) -> None:
    """Add ``value`` to the set ``acc[key]``, creating it on first use."""
    bucket = acc.get(key)
    if bucket is None:
        acc[key] = {value}
    else:
        bucket.add(value)


# --- IP addresses and domain names -------------------------------------------------------------


def _is_ip(text: str) -> bool:
    """Current Go ``net.ParseIP(text) != nil`` for non-empty ``text``.

    Most names fail on their first character. Texts of IP characters only cannot carry a zone
    (``%eth0``), the one thing Python's parsers accept and ``net.ParseIP`` refuses.
    """
    if text[0] not in _IP_FIRST or len(text) > _MAX_IP_LEN or text.strip(_IP_CHARS):
        return False
    try:
        if ":" in text:
            IPv6Address(text)
        else:
            IPv4Address(text)  # refuses leading zeros, as Go >= 1.17 does (spec l.15, I5)
    except ValueError:
        return False
    return True


def _to_unicode(text: str) -> str:
    """IDNA ToUnicode of each ``xn--`` label, other labels kept; ``text`` unchanged if one fails.

    Like Go's ``idna.ToUnicode``, the ACE prefix is matched case-sensitively and labels without it
    are left alone. ``idna.ulabel`` additionally applies the IDNA 2008 validity rules and lowercases
    the label's ASCII letters.
    """
    labels = text.split(".")
    for index, label in enumerate(labels):
        if label.startswith("xn--"):
            try:
                labels[index] = idna.ulabel(label)
            except idna.IDNAError:
                return text
    return ".".join(labels)


def _domain_name(text: str) -> str:
    """What the domain rule adds for trimmed, non-empty ``text``: ``xn--`` names decoded (I3)."""
    return _to_unicode(text) if text.startswith("xn--") else text


def _ip_verdict(value: str) -> Verdict:
    """ip: the trimmed text, unchanged, if it is an IP address."""
    text = value.strip(GO_WHITESPACE)
    return (_IP, text) if text and _is_ip(text) else ()


def _domain_verdict(value: str) -> Verdict:
    """domain: any non-empty trimmed text, ``xn--`` names decoded."""
    text = value.strip(GO_WHITESPACE)
    return (_DOMAIN, _domain_name(text)) if text else ()


def _hostname_verdict(value: str) -> Verdict:
    """hostname: an IP goes to the IP list only, anything else to domain names (spec d, I1-I7)."""
    text = value.strip(GO_WHITESPACE)
    if not text:
        return ()
    if _is_ip(text):
        return (_IP, text)
    return (_DOMAIN, _domain_name(text))


def _url_verdict(value: str) -> Verdict:
    """url: the hostname rule on Go's ``url.Parse(text).Hostname()``; nothing if parsing fails."""
    host = _url_hostname(value.strip(GO_WHITESPACE))
    return _hostname_verdict(host) if host else ()


def _net_addr_verdict(value: str) -> Verdict:
    """net_addr: the untrimmed value's host if ``net.SplitHostPort`` splits it, then the hostname rule."""
    return _hostname_verdict(_split_host_port(value))


def _remembering_scanner(name: str, verdict: Callable[[str], Verdict]) -> Scanner:
    """A scanner adding what ``verdict`` finds, remembering the verdicts of short values.

    Log fields repeat the same few hosts and addresses (Heroku's ``host_name`` is nearly always
    ``host``), so a repeated value costs one dict lookup instead of trimming, IP parsing and IDNA.
    The memo is emptied when full, which keeps its memory bounded.
    """
    memo: dict[str, Verdict] = {}

    def scan(
        value: str, acc: dict[str, set[str]], _remembered: Callable[[str], Verdict | None] = memo.get
    ) -> None:
        found = _remembered(value)
        if found is None:
            found = verdict(value)
            if len(value) <= _MAX_REMEMBERED_LEN:
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[value] = found
        if found:
            key, text = found
            bucket = acc.get(key)
            if bucket is None:
                acc[key] = {text}
            else:
                bucket.add(text)

    scan.__name__ = scan.__qualname__ = f"_scan_{name}"
    return scan


def _split_host_port(text: str) -> str:
    """The host part of ``text`` as Go's ``net.SplitHostPort`` splits it, or ``text`` if it fails.

    ``[::1]:22`` gives ``::1``; ``host:80`` gives ``host``; the port itself is not checked.
    """
    colon = text.rfind(":")
    if colon < 0:
        return text  # missing port
    if text[0] == "[":
        end = text.find("]")
        if end + 1 != colon:  # no "]", nothing after it, or not followed by the last ":"
            return text
        host, no_open_from, no_close_from = text[1:end], 1, end + 1
    else:
        host, no_open_from, no_close_from = text[:colon], 0, 0
        if ":" in host:
            return text  # too many colons
    if text.find("[", no_open_from) >= 0 or text.find("]", no_close_from) >= 0:
        return text
    return host


# --- Go's url.Parse(...).Hostname() ------------------------------------------------------------
# Ported from Go's net/url (parse, parseAuthority, parseHost, unescape, validUserinfo,
# URL.Hostname). Only what decides the host or an error is kept: the scheme's presence, the
# authority, %-escape checks of path, fragment and userinfo. Query text is never checked by Go.

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:").match
_CONTROL = re.compile(r"[\x00-\x1f\x7f]").search
# ASCII that Go's shouldEscape refuses unescaped in a host or zone ("%" is handled apart).
_BAD_HOST_CHAR = re.compile(r"[\x00-\x20#/?@\\^`{|}\x7f]").search
# Go's validUserinfo: the characters allowed before the "@".
_USERINFO = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*").fullmatch
# Bytes a zone may %-escape (Go: space, or anything allowed unescaped in a host).
_ZONE_ESCAPABLE: Final = frozenset(
    b" !$&'()*+,;=:[]<>\"-_.~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def _url_hostname(raw: str) -> str | None:
    """Go's ``url.Parse(raw).Hostname()``, or ``None`` where ``url.Parse`` returns an error."""
    head, _, fragment = raw.partition("#")
    if _CONTROL(head) or not _valid_escapes(fragment):
        return None
    scheme = _SCHEME(head)
    if scheme:
        rest = head[scheme.end() :]
    elif head.startswith(":"):
        return None  # missing protocol scheme
    else:
        rest = head
    rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return ""  # opaque: `mailto:x@y`, `host:80`
        if ":" in rest.partition("/")[0]:
            return None  # first path segment in URL cannot contain colon
    host = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        parsed = _parse_authority(authority)
        if parsed is None:
            return None
        host, rest = parsed, slash + path
    if not _valid_escapes(rest):
        return None
    return _hostname(host)


def _parse_authority(authority: str) -> str | None:
    """The unescaped host of ``[userinfo@]host[:port]``, or ``None`` if Go refuses it."""
    userinfo, at, host_port = authority.rpartition("@")
    host = _parse_host(host_port)
    if host is None:
        return None
    if at and not (_USERINFO(userinfo) and _valid_escapes(userinfo)):
        return None
    return host


def _parse_host(host: str) -> str | None:
    """Go's ``parseHost``: check the optional port and unescape, keeping brackets and port."""
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0 or not _valid_optional_port(host[close + 1 :]):
            return None
        zone = host.find("%25", 0, close)
        if zone >= 0:  # RFC 6874 zone: `[fe80::1%25en0]`, escaped by its own rules
            before = _unescape_host(host[:zone], zone=False)
            zone_id = _unescape_host(host[zone:close], zone=True)
            after = _unescape_host(host[close:], zone=False)
            if before is None or zone_id is None or after is None:
                return None
            return before + zone_id + after
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _valid_optional_port(host[colon:]):
            return None
    return _unescape_host(host, zone=False)


def _unescape_host(text: str, *, zone: bool) -> str | None:
    """Go's ``unescape`` in host or zone mode, or ``None`` on an escape or character it refuses.

    A host may escape only non-ASCII bytes (and ``%25``); a zone only bytes it could hold unescaped.
    Escapes that decode to invalid UTF-8 give ``None`` too: Go would keep the raw bytes, which
    normalize never writes.
    """
    if _BAD_HOST_CHAR(text):
        return None
    percent = text.find("%")
    if percent < 0:
        return text
    while percent >= 0:
        code = text[percent + 1 : percent + 3]
        if len(code) != 2 or code.strip(_HEX):
            return None
        if code != "25":
            byte = int(code, 16)
            if (byte not in _ZONE_ESCAPABLE) if zone else (byte < 0x80):
                return None
        percent = text.find("%", percent + 3)
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return None


def _valid_escapes(text: str) -> bool:
    """Whether every ``%`` in ``text`` starts a ``%XX`` escape (Go's ``unescape`` error check)."""
    percent = text.find("%")
    while percent >= 0:
        code = text[percent + 1 : percent + 3]
        if len(code) != 2 or code.strip(_HEX):
            return False
        percent = text.find("%", percent + 3)
    return True


def _valid_optional_port(port: str) -> bool:
    """Go's ``validOptionalPort``: empty, or ``:`` followed by ASCII digits only (maybe none)."""
    if not port:
        return True
    digits = port[1:]
    return port[0] == ":" and (not digits or (digits.isascii() and digits.isdigit()))


def _hostname(host: str) -> str:
    """Go's ``URL.Hostname``: drop a valid ``:port``, then one pair of enclosing brackets."""
    colon = host.rfind(":")
    if colon >= 0 and _valid_optional_port(host[colon:]):
        host = host[:colon]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


# --- Hashes and plain values -------------------------------------------------------------------


def _hash_scanner(name: str, length: int, key: str) -> Scanner:
    """A scanner adding trimmed text of exactly ``length`` hex digits, lowercased, to ``key``."""

    def scan(value: str, acc: dict[str, set[str]]) -> None:
        text = value.strip(GO_WHITESPACE)
        if len(text) == length and not text.strip(_HEX):
            _add(acc, key, text.lower())

    scan.__name__ = scan.__qualname__ = f"_scan_{name}"
    return scan


def _trimmed_scanner(name: str, key: str) -> Scanner:
    """A scanner adding any non-empty trimmed text to ``key`` (trace_id, username)."""

    def scan(value: str, acc: dict[str, set[str]]) -> None:
        text = value.strip(GO_WHITESPACE)
        if text:
            _add(acc, key, text)

    scan.__name__ = scan.__qualname__ = f"_scan_{name}"
    return scan


def _scan_email(value: str, acc: dict[str, set[str]]) -> None:
    """email: if the *untrimmed* value has an ``@``, the trimmed value (no other check, case kept)."""
    if "@" in value:
        _add(acc, _EMAIL, value.strip(GO_WHITESPACE))


# --- AWS (not trimmed, spec d) -----------------------------------------------------------------


def _is_account_id(text: str) -> bool:
    """Exactly 12 ASCII digits."""
    return len(text) == 12 and text.isascii() and text.isdigit()


def _scan_aws_arn(value: str, acc: dict[str, set[str]]) -> None:
    """aws_arn: ``arn:partition:service:region:account:resource``, plus its account and instance ids.

    The resource is everything after the fifth ``:`` (aws-sdk-go ``arn.Parse``); for ``instance/...``
    the text after its last ``/`` is an instance id if it starts with ``i-``.
    """
    if not value.startswith("arn:"):
        return
    parts = value.split(":", 5)
    if len(parts) != 6:
        return
    _add(acc, _ARN, value)
    account, resource = parts[4], parts[5]
    if _is_account_id(account):
        _add(acc, _ACCOUNT_ID, account)
    if resource.startswith("instance/"):
        instance = resource[resource.rfind("/") + 1 :]
        if instance.startswith("i-"):
            _add(acc, _INSTANCE_ID, instance)


def _scan_aws_account_id(value: str, acc: dict[str, set[str]]) -> None:
    """aws_account_id: exactly 12 ASCII digits."""
    if _is_account_id(value):
        _add(acc, _ACCOUNT_ID, value)


def _scan_aws_instance_id(value: str, acc: dict[str, set[str]]) -> None:
    """aws_instance_id: any value starting with ``i-``."""
    if value.startswith("i-"):
        _add(acc, _INSTANCE_ID, value)


def _scan_aws_tag(value: str, acc: dict[str, set[str]]) -> None:
    """aws_tag: any non-empty value, as is."""
    if value:
        _add(acc, _TAG, value)


_SCANNERS: Final[dict[str, Scanner]] = {
    "ip": _remembering_scanner("ip", _ip_verdict),
    "domain": _remembering_scanner("domain", _domain_verdict),
    "hostname": _remembering_scanner("hostname", _hostname_verdict),
    "url": _remembering_scanner("url", _url_verdict),
    "net_addr": _remembering_scanner("net_addr", _net_addr_verdict),
    "md5": _hash_scanner("md5", 32, _MD5),
    "sha1": _hash_scanner("sha1", 40, _SHA1),
    "sha256": _hash_scanner("sha256", 64, _SHA256),
    "trace_id": _trimmed_scanner("trace_id", _TRACE_ID),
    "username": _trimmed_scanner("username", _USERNAME),
    "email": _scan_email,
    "aws_arn": _scan_aws_arn,
    "aws_account_id": _scan_aws_account_id,
    "aws_instance_id": _scan_aws_instance_id,
    "aws_tag": _scan_aws_tag,
}


# --- Public API ---------------------------------------------------------------------------------


def compile_scanner(names: Sequence[str]) -> Scanner:
    """One scanner running the named indicators of a field, in order (spec d: all of them run).

    A repeated name runs once (the lists are sets, so the output is the same). Raises
    ``ValueError`` for an unknown name or an empty list, ``TypeError`` for one bare string.
    """
    if isinstance(names, str):
        raise TypeError("indicator names must be a sequence of names, not one string")
    scanners: list[Scanner] = []
    for name in names:
        scanner = _SCANNERS.get(name)
        if scanner is None:
            raise ValueError(f"unknown indicator {name!r}")
        if scanner not in scanners:
            scanners.append(scanner)
    if not scanners:
        raise ValueError("no indicators to compile")
    if len(scanners) == 1:
        return scanners[0]
    chain = tuple(scanners)

    def scan_all(value: str, acc: dict[str, set[str]]) -> None:
        for scanner in chain:
            scanner(value, acc)

    return scan_all


def finish(acc: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """The ``p_any_*`` lists to write: keys sorted (spec l.2), values sorted, empty lists left out.

    Values sort as Go's ``sort.Strings`` does, by their UTF-8 bytes: Python orders ``str`` by code
    point, which is the same order for text without surrogates, and decoded log lines have none.
    The lists are tuples (written as JSON arrays): immutable, so events may share them.
    """
    return {key: tuple(sorted(values)) for key, values in sorted(acc.items()) if values}


def compile_lookup(names: Sequence[str]) -> Callable[[str], dict[str, tuple[str, ...]]]:
    """``value → finished p_any_* lists`` for a schema whose only indicator field has ``names``.

    With one indicator field nothing needs merging, so the finished result of a value can be
    remembered whole (log fields repeat the same few hosts): a repeated value costs one dict lookup.
    Values longer than a host name are not remembered; the memory is emptied when it fills up.
    """
    scan = compile_scanner(names)
    memory: dict[str, dict[str, tuple[str, ...]]] = {}

    def lookup(value: str) -> dict[str, tuple[str, ...]]:
        found = memory.get(value)
        if found is None:
            acc: dict[str, set[str]] = {}
            scan(value, acc)
            found = finish(acc)
            if len(value) <= _MAX_REMEMBERED_LEN:
                if len(memory) >= _MEMO_SIZE:
                    memory.clear()
                memory[value] = found
        return found

    return lookup
