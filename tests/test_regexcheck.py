"""ReDoS verdicts of ``regexcheck.redos``, each checked against the real ``regex`` engine.

Each row: a pattern, the verdict and the witness (``prefix + pump * n + suffix``, at most 64
characters). Verdicts: "exponential" (lint error), "polynomial N" (an IDA of degree N, warning),
"polynomial" (an EDA the regex module's repeat guards tame, warning), None (no finding). The engine
experiment (reliability.md 3.2: the regex module is immune to some shapes and not others) is bounded:
a 50 ms budget per search, lines of at most 64 characters, 4,096 for the polynomial ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import regex

from engine.lint import lint_paths
from engine.parsers.grok import expand
from engine.parsers.regexcheck import (
    ATTACK_BUDGET,
    ATTACK_LENGTH,
    MAX_POSITIONS,
    POLYNOMIAL_LENGTH,
    Analysis,
    TooLarge,
    parse_regex,
    redos,
)
from engine.registry import bundled_dir
from engine.yamlio import read_yaml

# (id, pattern, verdict, prefix, pump, suffix[, pumps when not as many as 64 characters hold])
FLAGGED = [
    ("alternatives-overlap", r"(a|aa)+$", "exponential", "aa", "aa", "!"),
    ("same-alternative-twice", r"(a|a)*b", "exponential", "a", "a", "!b"),  # 'b' passes the engine's
    ("path-segments", r"^(?:/\w+|/\w+/?)*$", "exponential", "/", "a/", "!"),  # required-text check
    ("lazy-nested", r"^(?:a+?)+?b", "exponential", "aa", "aa", "!ab"),  # lazy repeats are not guarded
    ("lazy-counted", r"^(.*?,){11}P", "polynomial 11", "a", ",a", "!"),
    ("greedy-counted", r"^(?:.*,){11}P", "polynomial 11", "a", ",a", "!"),
    # unanchored: one more degree, for the n places the search starts at
    ("two-digit-runs", r"\d+\d+$", "polynomial 3", "00", "00", "!"),
    ("two-x-runs-repeated", r"(x+x+)+y", "polynomial 4", "xx", "xx", "!xxy"),
    # reliability.md 3.2 calls the regex module immune to these two: true at 64 characters (stdlib re
    # explodes there), not at 1,024, where each exceeds 2 s
    ("nested-plus", r"(a+)+$", "polynomial 3", "aa", "a", "!"),
    ("words-and-spaces", r"(\w+\s?)+$", "polynomial 3", "aa", "a", "!"),
    ("one-or-two", r"(?:a{1,2})+$", "polynomial", "aa", "aa", "!"),  # an EDA the guards tame
    # many optional passes are read as a loop; the witness stays within the count (the engine stops
    # at once past it), hence 28 pumps for {0,30}
    ("counted-alternatives", r"(?:a|aa){1,40}$", "exponential", "aa", "aa", "!"),
    ("counted-words", r"(?:\w+\s?){1,30}$", "exponential", "aa", "aa", "!", 28),  # unlike (\w+\s?)+$
    ("counted-same-alternative", r"^(?:a|a){0,30}b", "exponential", "a", "a", "!b", 28),
]
FLAGGED = [row if len(row) == 7 else (*row, None) for row in FLAGGED]
FIELDS = ("pattern", "verdict", "prefix", "pump", "suffix", "pumps")

# (id, pattern, lines that would attack it were it ambiguous)
SAFE = [
    ("ended-by-a-delimiter", r"(?:[^,]*,)+", ["," * 63 + "!", "a," * 31 + "!"]),
    ("possessive", r"a++", ["a" * 63 + "!"]),
    ("atomic", r"(?>a+)+", ["a" * 63 + "!"]),
    ("atomic-alternatives", r"(?>a|aa)+$", ["a" * 63 + "!"]),
    ("spaces-and-non-spaces", r"^(\s*\S+\s*)*:$", ["x " * 31 + ":x", "x  " * 21 + ":"]),
    ("nothing-fails-after-it", r"(a|aa)+", ["a" * 63 + "!"]),  # the first way tried matches
    ("three-any-runs", r".*.*.*=", ["a" * 63 + "!", "a" * 4095 + "!"]),  # the required '=' is absent
    ("grok-ipv4", "%{IPV4}", ["1." * 31 + "!", "255." * 16]),
    ("grok-httpdate", "%{HTTPDATE}", ["01/Jan/2000:" * 5 + "!", "1/" * 32]),
    ("grok-ipv6", "%{IPV6}", ["1:" * 32, "ffff:" * 12 + "!"]),
    ("grok-hostname", "%{HOSTNAME}", ["a." * 32, "a-" * 32 + "!"]),
    ("grok-uri", "%{URI}", ["http://" + "a" * 56 + "!", "a+" * 31 + "!"]),
]


def _pumped(
    prefix: str, pump: str, suffix: str, length: int = ATTACK_LENGTH, pumps: int | None = None
) -> str:
    return prefix + pump * (pumps or (length - len(prefix) - len(suffix)) // len(pump)) + suffix


def _verdict(pattern: str) -> tuple[str | None, regex.Pattern[str], object]:
    source = expand(pattern, {})
    compiled = regex.compile(source, regex.ASCII)
    found = redos([source], compiled)
    if found is None:
        return None, compiled, None
    amb = found.ambiguity
    assert amb is not None
    if found.exponential:
        return "exponential", compiled, found
    return ("polynomial" if amb.kind == "exponential" else f"polynomial {found.degree}"), compiled, found


def _fastest(compiled: regex.Pattern[str], line: str) -> float:
    """The best of three timings of a search (a busy machine preempts now and then)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        compiled.search(line, timeout=1.0)
        best = min(best, time.perf_counter() - start)
    return best


def _exhausts(compiled: regex.Pattern[str], line: str, budget: float = ATTACK_BUDGET) -> bool:
    try:
        compiled.search(line, timeout=budget)
    except TimeoutError:
        return True
    return False


@pytest.mark.parametrize(FIELDS, [r[1:] for r in FLAGGED], ids=[r[0] for r in FLAGGED])
def test_flagged_verdict_and_witness(
    pattern: str, verdict: str, prefix: str, pump: str, suffix: str, pumps: int | None
) -> None:
    found_verdict, compiled, found = _verdict(pattern)
    assert found_verdict == verdict
    assert (found.ambiguity.prefix, found.ambiguity.pump) == (prefix, pump)
    assert found.line == _pumped(prefix, pump, suffix, pumps=pumps)
    assert len(found.line) <= ATTACK_LENGTH
    assert compiled.match(prefix + pump * 2 + suffix) is None  # the suffix makes the line fail


@pytest.mark.parametrize(FIELDS, [r[1:] for r in FLAGGED], ids=[r[0] for r in FLAGGED])
def test_flagged_on_the_real_engine(
    pattern: str, verdict: str, prefix: str, pump: str, suffix: str, pumps: int | None
) -> None:
    """Exponential: the 64-character witness exhausts 50 ms. Polynomial: pumped to 4,096 characters it
    does (at 64 only the degree-11 lazy one does)."""
    compiled = regex.compile(pattern, regex.ASCII)
    short = _pumped(prefix, pump, suffix, pumps=pumps)
    if verdict == "exponential":
        assert _exhausts(compiled, short)
    else:
        assert _exhausts(compiled, _pumped(prefix, pump, suffix, POLYNOMIAL_LENGTH))
        if pattern != r"^(.*?,){11}P":
            assert not _exhausts(compiled, short, 1.0)


@pytest.mark.parametrize(("pattern", "lines"), [r[1:] for r in SAFE], ids=[r[0] for r in SAFE])
def test_safe_verdict_and_the_real_engine_agrees(pattern: str, lines: list[str]) -> None:
    assert _verdict(pattern)[0] is None
    compiled = regex.compile(expand(pattern, {}), regex.ASCII)
    for line in lines:
        assert _fastest(compiled, line) < ATTACK_BUDGET


def _bundled_regexes() -> list[tuple[str, list[str]]]:
    found = []
    for path in sorted(bundled_dir().rglob("*.yml")):
        if path.name.endswith(".tests.yml"):
            continue
        data = read_yaml(str(path)).data
        config = data.get("parser", {}).get("regex")
        if config:
            definitions = config.get("patternDefinitions", {})
            found.append((path.stem, [expand(entry, definitions) for entry in config["match"]]))
    return found


BUNDLED = _bundled_regexes()


@pytest.mark.parametrize("entries", [e for _, e in BUNDLED], ids=[name for name, _ in BUNDLED])
def test_bundled_regexes_are_not_flagged(entries: list[str]) -> None:
    compiled = regex.compile("".join(entries), regex.ASCII)
    assert redos(entries, compiled) is None
    probes = [
        "<34>1 " + "a" * 4090,
        "<34>1 2003-10-11T22:14:15.003Z h a p m " + "[x" + ' y="' + '\\"' * 2000,
        "<34>Oct 11 22:14:15 host " + "a" * 4000 + "[" * 50,
        "83 <158>1 2024-03-15T10:00:01Z host heroku router - at=info" + " path=" * 1000 + "x",
        "83 <158>1 2024-03-15T10:00:01Z host heroku router - at=info connect=" + "1" * 4000 + "m",
        '83 <158>1 2024-03-15T10:00:01Z host heroku router - at=info desc="' + "a=b " * 1000,
    ]
    for line in probes:
        assert _fastest(compiled, line) < ATTACK_BUDGET


def test_the_bundled_regex_schemas_are_the_syslog_ones_and_the_router() -> None:
    assert sorted(name for name, _ in BUNDLED) == ["RFC3164", "RFC5424", "Router"]


def test_the_finding_names_its_entry() -> None:
    entries = [r"^(?P<host>\S+) ", r"(?P<words>(?:x|xx)+)$"]
    found = redos(entries, regex.compile("".join(entries), regex.ASCII))
    assert found is not None and found.exponential
    assert found.entry == 1
    assert found.line.startswith("a x")  # the prefix reaches the loop through the first entry


def test_lookarounds_pass_and_backreferences_read_anything() -> None:
    """Zero-width assertions are taken as always passing, and their bodies are not analysed; a back
    reference is taken as any text (a loop on every character): both conservative for the rest."""
    assert _verdict(r"(?=(a|aa)+$)x")[0] is None  # a blow-up inside a lookahead: not seen
    assert _verdict(r"(?=a)(a|aa)+$")[0] == "exponential"  # the witness must pass it: the engine tells
    assert _verdict(r"^(\w)\1*\1*$")[0] == "polynomial 2"  # each \1* as any text: two loops


def test_the_analysis_is_bounded() -> None:
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="character positions"):
        Analysis([parse_regex("[a-z]{0,5}" * (MAX_POSITIONS // 5 + 1))])
    assert time.perf_counter() - start < 10  # generous: a busy machine
    # few positions, but one large loop whose pairs of states all read letters
    analysis = Analysis([parse_regex("(?:" + "[a-z]{0,8}[a-z0-9]{0,8}" * 6 + ")*$")])
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="steps in its product automata"):
        analysis.exponential()
    assert time.perf_counter() - start < 10


def test_past_the_bounds_the_heuristic_speaks_and_says_so() -> None:
    pattern = "(?:" + "[a-z]{0,8}[a-z0-9]{0,8}" * 6 + ")*$"
    found = redos([pattern], regex.compile(pattern, regex.ASCII))
    assert found is not None and found.ambiguity is None
    assert found.message().startswith("nested quantifier [a-z]{0,8}: it repeats inside a repeated group")
    assert found.message().endswith(
        "(the pattern is too large for the ambiguity analysis, more than 300,000 steps in its product "
        "automata: this is the nested-quantifier heuristic's guess)"
    )


def test_schema_file_from_the_brief(tmp_path: Path) -> None:
    path = tmp_path / "s.yml"
    path.write_text(
        "schema: Custom.A\nparser:\n  regex:\n    match: ['^(?P<a>(a|aa)+)$']\nfields:\n"
        "  - {name: a, type: string}\n"
    )
    (finding,) = lint_paths([path])
    assert (finding.severity, finding.rule) == ("error", "regex-redos")
    assert f"a line like '{'a' * 62}!' takes ~2^n steps" in finding.message


def test_the_stdlib_parser_gives_the_tree_the_analysis_reads() -> None:
    """``regexcheck`` reads the private ``re._parser``'s tree: repeats as (min, max, body), groups as
    (number, add_flags, del_flags, body), classes as lists of ranges and categories. A Python that
    changes it fails here, rather than quietly analysing something else."""
    tree = parse_regex(r"(a+)+b[0-9]\d")
    assert tree is not None
    assert [list(map(str, node)) for node in tree] == [
        [
            "MAX_REPEAT",
            "(1, MAXREPEAT, [(SUBPATTERN, (1, 0, 0, [(MAX_REPEAT, (1, MAXREPEAT, [(LITERAL, 97)]))]))])",
        ],
        ["LITERAL", "98"],
        ["IN", "[(RANGE, (48, 57))]"],
        ["IN", "[(CATEGORY, CATEGORY_DIGIT)]"],
    ]
    assert redos([r"(a+)+$"], regex.compile(r"(a+)+$")) is not None
    assert redos([r"a+$"], regex.compile(r"a+$")) is None
