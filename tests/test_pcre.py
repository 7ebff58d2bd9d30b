"""Regex schemas on the accelerator: ``parsers/pcre.py`` rewrites a schema's pattern for PCRE2 only
where PCRE2 finds exactly what the ``regex`` module (the reference) finds.

The rewrite is held to the reference three ways: table rows for what is rewritten and what is
refused; patterns generated from a grammar of every construct the rewrite writes, searched by both
engines on generated lines (the match and every group's span, in bytes); and the bundled regex
schemas' real lines, mutated byte by byte, through both paths in ``tests/test_differential.py``.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine import plan
from engine.parsers.pcre import translate

C = plan._fastpath
needs_pcre2 = pytest.mark.skipif(
    C is None or C.PCRE2_VERSION is None, reason="the C accelerator or PCRE2 is not available"
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a", r"(*LF)(*UTF)\x{61}"),
        (r"^(?P<n>\d+) (.*?)$", r"(*LF)(*UTF)^((?:[\d]){1,})\x{20}((?:.){0,}?)$"),
        (r"[^ \]a-c\s]|\b\B\A\Z", r"(*LF)(*UTF)(?:[^\x{20}\x{5d}\x{61}-\x{63}\s]|\b\B\A\z)"),
        (r"(?:x|)\ufeff{2,5}[^\n]", r"(*LF)(*UTF)(?:\x{78}|)(?:\x{feff}){2,5}[^\x{a}]"),
        (r"(?x) a b # verbose", r"(*LF)(*UTF)\x{61}\x{62}"),
    ],
)
def test_rewritten(source: str, expected: str) -> None:
    assert translate(source) == expected


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (r"(?i)abc", "case folding differs beyond ASCII"),
        (r"a(?i:b)", "inline flags"),
        (r"(?s).", "inline flags"),
        (r"(?m)^a", "inline flags"),
        (r"(a)\1", "backreference"),
        (r"a(?=b)", "lookahead"),
        (r"(?<!a)b", "lookbehind"),
        (r"(a)?(?(1)b|c)", "conditional"),
        (r"(?>a+)", "atomic group"),
        (r"a++", "possessive repeat"),
        (r"[[:alpha:]]+", "POSIX class (regex module)"),
        (r"[[:^digit:]]", "POSIX class (regex module)"),
        (r"\N{BULLET}", "named character (PCRE2: not a newline)"),
        (r"(?:ab){e<=1}", "fuzzy matching (regex module)"),
        (r"\p{L}", "Unicode property (the stdlib parser refuses it)"),
        (r"a{70000}", "a repeat count over PCRE2's 65535"),
        (r"(?P<a>x)(?P<a>y)", "a name used twice"),
        (r"(", "not a regex"),
    ],
)
def test_refused(source: str, why: str) -> None:
    assert translate(source) is None, why


# --- both engines on generated patterns and lines ---------------------------------------------

_ALPHABET = "ab- é\t1"
_ATOMS = st.sampled_from(
    [
        "a",
        "b",
        "-",
        " ",
        "é",
        "1",
        ".",
        r"\d",
        r"\D",
        r"\s",
        r"\S",
        r"\w",
        r"\W",
        "[ab]",
        "[^a ]",
        "[a-é]",
        r"[\d-]",
        "[^\\s]",
        r"\b",
        r"\B",
        "^",
        "$",
        r"\A",
        r"\Z",
        r"\-",
        r"\t",
        "\u00e9",
    ]
)


def _wrap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    quantifiers = st.sampled_from(["", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "{1,3}?"])
    return st.one_of(
        st.tuples(st.sampled_from(["(", "(?:", "(?P<g>"]), inner, quantifiers).map(
            lambda t: f"{t[0]}{t[1]}){t[2]}"
        ),
        st.lists(inner, min_size=2, max_size=3).map("|".join),
        st.lists(inner, min_size=2, max_size=4).map("".join),
        st.tuples(inner, quantifiers).map(lambda t: f"(?:{t[0]}){t[1]}"),
    )


_PATTERNS = st.recursive(_ATOMS, _wrap, max_leaves=8)
_LINES = st.text(alphabet=_ALPHABET, max_size=14)


def _named_once(source: str) -> str:
    """The grammar writes every named group as ``g``: number them, as names must differ."""
    parts = source.split("(?P<g>")
    return parts[0] + "".join(f"(?P<g{i}>{part}" for i, part in enumerate(parts[1:]))


def _reference(pattern: regex.Pattern[str], line: str) -> tuple[int, tuple[tuple[int, int] | None, ...]]:
    """What the regex module finds, in the form of ``_fastpath.regex_search``: byte offsets."""
    found = pattern.search(line, timeout=1)
    if found is None:
        return 0, ()

    def at(index: int) -> int:
        return len(line[:index].encode("utf-8"))

    spans = tuple(
        None if found.start(g) < 0 else (at(found.start(g)), at(found.end(g)))
        for g in range(1, pattern.groups + 1)
    )
    return 1, spans


@needs_pcre2
@settings(max_examples=1500, deadline=None)
@given(_PATTERNS.map(_named_once), st.lists(_LINES, min_size=1, max_size=6))
@example(r"(a*)*b", ["aab", "b", ""])
@example(r"(?:(a)|b)*", ["abab", "ba"])
@example(r"(a|ab)(c|bcd)(d*)", ["abcd"])
@example(r"(?P<g0>\b)+?$", ["a -"])
def test_both_engines_find_the_same(source: str, lines: list[str]) -> None:
    reference = regex.compile(source, regex.ASCII)
    rewritten = translate(source)
    assert rewritten is not None, source
    for line in lines:
        assert C.regex_search(rewritten.encode(), reference.groups, line.encode()) == _reference(
            reference, line
        ), (source, line)


@needs_pcre2
def test_a_search_pcre2_gives_up_is_deferred() -> None:
    """Past PCRE2's match limit the search answers -1: the plan hands the line to the reference."""
    source = translate(r"(?:a|aa)+$")
    assert source is not None
    assert C.regex_search(source.encode(), 0, b"a" * 40 + b"!") == (-1, ())
    assert C.regex_search(source.encode(), 0, b"a" * 40) == (1, ())


@needs_pcre2
def test_group_count_must_agree() -> None:
    with pytest.raises(ValueError, match="the pattern has 1 groups, not 2"):
        C.regex_search(b"(a)", 2, b"a")
    with pytest.raises(ValueError, match="PCRE2 cannot compile the pattern at offset"):
        C.regex_search(b"(a", 1, b"a")
