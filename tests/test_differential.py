"""The differential fuzzer (``tools/fuzz_paths``) on a small fixed budget: the C accelerator writes
nothing the reference path would not, on mutated real lines of every bundled schema, through
``encode_block`` and through the CLI with ``-w 2``. And the fuzzer itself can fail: a plan made to
write a raw control byte, a wrong value or a lost event is caught, and shrunk to a one-line
reproducer.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import io
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import Normalizer, Registry, plan, search_path
from engine.batch import DEFAULT_MAX_LINE_BYTES, Batch, Reject

TOOL = Path(__file__).resolve().parent.parent / "tools" / "fuzz_paths"

needs_accelerator = pytest.mark.skipif(not plan.AVAILABLE, reason="the C accelerator is not built")


def _load() -> Any:
    loader = importlib.machinery.SourceFileLoader("fuzz_paths", str(TOOL))
    spec = importlib.util.spec_from_loader("fuzz_paths", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_paths"] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


fuzz_paths = _load()

WITH_PLAN = [
    "AWS.CloudTrail",
    "AWS.VPCFlow",
    "Apache.AccessCombined",
    "Heroku.CLI",
    "Heroku.Runtime",
    "Nginx.Access",
    *(
        ["Heroku.Router", "Syslog.RFC3164", "Syslog.RFC5424"]
        if plan.AVAILABLE and plan._fastpath.PCRE2_VERSION
        else []
    ),
]
# Every bundled schema has a plan (the regex ones where PCRE2 is there); worker processes, the path
# of schemas without one, are held to one worker in tests/test_cli.py (-w 2 --no-fast-path).


def _normalize_command() -> str:
    command = Path(sys.executable).with_name("normalize")
    if not command.exists():
        pytest.skip("the normalize command is not installed beside this Python")
    return str(command)


def _no_divergence(per_target: int, **targets: list[Any]) -> Any:
    """A fixed-seed campaign of ``per_target`` lines in-process, then a CLI round of 300 lines, for
    each schema or feed of ``targets``; its stats, once it found no divergence."""
    out = io.StringIO()
    stats = fuzz_paths.fuzz(
        lines=len(next(iter(targets.values()))) * per_target,
        seed=20261207,
        cli_every=per_target,
        cli_lines=300,
        normalize=_normalize_command(),
        out=out,
        progress_every=0,
        **targets,
    )
    assert sum(stats.divergences.values()) == 0, out.getvalue()
    return stats


@needs_accelerator
def test_accelerated_schemas_in_process_and_through_the_cli() -> None:
    """Blocks of mutated lines through both paths, then one file each through the CLI (-w 2)."""
    stats = _no_divergence(800, schemas=WITH_PLAN)
    assert set(stats.lines) == set(WITH_PLAN)
    assert all(stats.lines[name] >= 800 + 300 for name in WITH_PLAN)
    assert all(stats.cli_lines[name] >= 300 for name in WITH_PLAN)
    assert all(stats.by_plan[name] > 100 for name in WITH_PLAN)  # the accelerator wrote events itself


FEEDS = [
    ["Heroku.Runtime", "Apache.AccessCombined", "Syslog.RFC5424"],
    ["Syslog.RFC3164", "Nginx.Access", "Heroku.Runtime"],  # RFC 3164's pattern takes most <N> lines
    ["Apache.AccessCombined", "AWS.CloudTrail", "Heroku.Runtime"],  # a JSON plan between text plans
]


@needs_accelerator
@pytest.mark.parametrize("names", FEEDS, ids="+".join)
def test_mixed_feeds(names: list[str]) -> None:
    """Several schemas on one feed: the plans tried in order in C (``plan.classify``) against the
    reference classifier, on mutated lines of all of them, as lines and as octet-counted frames."""
    registry = Registry(search_path())
    schemas = [registry.load(name) for name in names]
    rng = random.Random(f"mixed:{names}")
    seeds = [line for schema in schemas for line in fuzz_paths.seed_lines(schema, generated=40)]
    mutator = fuzz_paths.Mutator(rng, seeds, [])
    fast, reference = (Normalizer(schemas, fast_path=f) for f in (True, False))
    assert fast.plans and not reference.plans
    first = 1
    for _ in range(250):
        lines = [mutator.line() for _ in range(rng.randint(1, 8))]
        block = b"\n".join(lines)
        found = fuzz_paths.run_block(
            (fast, reference), block, source="mixed", first_line=first, max_line_bytes=DEFAULT_MAX_LINE_BYTES
        )
        assert not found, (block, found)
        body = b"".join(b"%d %s" % (len(line), line) for line in lines)
        # (a frame must start with "<" for the next one to be found: a line that does not ends the
        # framing with a bad_framing reject, on both paths alike)
        framed = [n.encode_body(body, source="drain", first_line=first) for n in (fast, reference)]
        assert not fuzz_paths.differences(*(fuzz_paths.outcome(e, framed[1].lines) for e in framed)), body
        first += len(lines)
    # the plans wrote most events of the unmutated lines themselves, for every schema with a plan
    # that no schema without one comes before
    deferred: list[int] = []
    _, events, taken, _, lines_used = plan.classify(
        fast.plans,
        b"\n".join(seeds),
        b"2026-01-01 00:00:00.000000000",
        DEFAULT_MAX_LINE_BYTES,
        lambda raw, index: deferred.append(index),
    )
    assert lines_used == len(seeds) and events == sum(taken)
    reached = [None not in fast.plans[: k + 1] for k in range(len(fast.plans))]  # C stops at a None
    assert [count > 0 for count in taken] == reached, taken
    assert len(deferred) + sum(taken) == len(seeds)  # each line written by a plan or deferred


@needs_accelerator
def test_feeds_through_the_fuzzer() -> None:
    """The fuzzer's feeds (``--feed``): blocks of mutated lines of all the feed's schemas through
    both paths, then a file each through the CLI (``-s A -s B -s C -w 2``)."""
    stats = _no_divergence(600, feeds=FEEDS)
    names = ["+".join(feed) for feed in FEEDS]
    assert set(stats.lines) == set(names)
    assert all(stats.lines[name] >= 600 + 300 and stats.cli_lines[name] >= 300 for name in names)
    for feed, name in zip(FEEDS, names, strict=True):
        if set(feed) <= set(WITH_PLAN):
            assert stats.by_plan[name] > 100, name  # the plans wrote lines themselves


def test_seeds_cover_every_bundled_schema() -> None:
    registry = Registry(search_path())
    for name in registry.names():
        seeds = fuzz_paths.seed_lines(registry.load(name), generated=20)
        assert len(seeds) >= 3, name
        assert not any(b"\n" in line for line in seeds), name


def test_mutations_are_seeded() -> None:
    schema = Registry(search_path()).load("Heroku.Runtime")
    runs = [fuzz_paths.SchemaFuzzer(fuzz_paths.Target((schema,)), 5, [], 8) for _ in range(2)]
    assert [runs[0].block()[0] for _ in range(50)] == [runs[1].block()[0] for _ in range(50)]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b'{"a":"x\x01"}', "raw control byte"),
        (b'{"a":"x\tz"}', "raw control byte"),
        (b'{"a":"\xff"}', "utf-8"),
        (b'{"a":"\xed\xa0\x80"}', "utf-8"),
        (b'{"a":NaN}', "NaN"),
        (b'{"a":-Infinity}', "Infinity"),
        (b'{"a":1,"a":2}', "duplicate key"),
        (b'["a"]', "not a JSON object"),
        (b'{"a":"1"0"}', "Expecting"),
        (b'{"a":1} x', "Extra data"),
    ],
)
def test_strict_json_refuses(line: bytes, why: str) -> None:
    with pytest.raises(fuzz_paths.NotStrict, match=why):
        fuzz_paths.strict_json(line)


def test_strict_json_accepts() -> None:
    assert (
        fuzz_paths.strict_json(b'{"a":"\\u0000\\t\xc3\xa9\xe2\x80\xa8","b":[1e-07,-0.5,null]}')["b"][2]
        is None
    )


def test_rejects_compare_as_records() -> None:
    """Rejects are compared as canonical records, read back from the NDJSON a batch carries."""
    rejects = [
        Reject("bad_value", "m", "raw \x00", "s", 3, "T.T", "f", "v", "int"),
        Reject("invalid_utf8", "m", b"\xff", "s", 4, "T.T"),
    ]
    encoded = Batch(rejects=rejects, lines=2).encoded()
    assert fuzz_paths.reject_records(encoded) == [
        json.dumps(r.to_dict(), sort_keys=True).encode() for r in rejects
    ]


def test_printf_literal_round_trips(tmp_path: Path) -> None:
    data = bytes(range(256)) + b"'%\\n"
    script = f"printf '{fuzz_paths.printf_literal(data)}'"
    done = subprocess.run(["bash", "-c", script], capture_output=True, check=True)
    assert done.stdout == data


# --- the fuzzer can fail --------------------------------------------------------------------------


class _Corrupted:
    """A plan whose output is spoiled after it runs, the way a bug in the accelerator would."""

    def __init__(self, plan: Any, spoil: Any) -> None:
        self.plan, self.spoil = plan, spoil

    def run(
        self, block: bytes, parse_time: bytes, max_line_bytes: int, settle: Any, *rejects: Any
    ) -> tuple[bytes, int, int]:
        ndjson, events, lines = self.plan.run(block, parse_time, max_line_bytes, settle, *rejects)
        return (*self.spoil(block, ndjson, events), lines)

    def take_rejects(self) -> tuple[bytes, bytes]:
        return self.plan.take_rejects()


def _corrupt(monkeypatch: pytest.MonkeyPatch, spoil: Any) -> None:
    real = plan.compile_plan

    def compile_plan(*args: Any, **kwargs: Any) -> Any:
        made = real(*args, **kwargs)
        return None if made is None else _Corrupted(made, spoil)

    monkeypatch.setattr(plan, "compile_plan", compile_plan)


def _raw_control(block: bytes, ndjson: bytes, events: int) -> tuple[bytes, int]:
    return ndjson.replace(b'"message":"', b'"message":"\x1f', 1), events


def _wrong_value(block: bytes, ndjson: bytes, events: int) -> tuple[bytes, int]:
    return ndjson.replace(b'"priority":1', b'"priority":2', 1), events


def _lost_event(block: bytes, ndjson: bytes, events: int) -> tuple[bytes, int]:
    lines = ndjson.split(b"\n")
    return (b"\n".join(lines[1:]), events - 1) if events else (ndjson, events)


def _invalid_fraction(block: bytes, ndjson: bytes, events: int) -> tuple[bytes, int]:
    """The bug fixed in 8141a66, as it showed: a fraction byte below '0' written raw."""
    return re.sub(rb'("timestamp":"[^"]*\.\d)', rb'\1"', ndjson, count=1), events


@needs_accelerator
@pytest.mark.parametrize(
    ("spoil", "kind"),
    [
        (_raw_control, "fast:invalid-json"),
        (_wrong_value, "events:priority"),
        (_lost_event, "events:missing-in-fast"),
        (_invalid_fraction, "fast:invalid-json"),
    ],
)
def test_a_broken_plan_is_caught(monkeypatch: pytest.MonkeyPatch, spoil: Any, kind: str) -> None:
    _corrupt(monkeypatch, spoil)
    assert Normalizer(Registry(search_path()).load("Heroku.Runtime")).plan is not None
    out = io.StringIO()
    stats = fuzz_paths.fuzz(
        lines=400, seed=1, schemas=["Heroku.Runtime"], cli_every=10**9, out=out, progress_every=0
    )
    assert stats.kinds[("Heroku.Runtime", kind)] > 0, out.getvalue()
    assert "DIVERGENCE Heroku.Runtime" in out.getvalue()


@needs_accelerator
def test_a_broken_classifier_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a feed, the plans run through ``plan.classify``: a raw control byte it wrote is caught."""
    real = plan.classify

    def classify(*args: Any, **kwargs: Any) -> Any:
        ndjson, events, *rest = real(*args, **kwargs)
        return (_raw_control(b"", ndjson, events)[0], events, *rest)

    monkeypatch.setattr(plan, "classify", classify)
    out = io.StringIO()
    stats = fuzz_paths.fuzz(lines=400, seed=1, feeds=[FEEDS[0]], cli_every=10**9, out=out, progress_every=0)
    assert stats.kinds[("+".join(FEEDS[0]), "fast:invalid-json")] > 0, out.getvalue()


@needs_accelerator
def test_a_divergence_is_shrunk_to_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that spoils the events of lines holding '!' gives a short line holding '!', and a
    command to paste."""

    def spoil(block: bytes, ndjson: bytes, events: int) -> tuple[bytes, int]:
        return _raw_control(block, ndjson, events) if b"!" in block else (ndjson, events)

    _corrupt(monkeypatch, spoil)
    schema = Registry(search_path()).load("Heroku.Runtime")
    line = b"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - up!"
    block = b"garbage\n" + line + b"\n\n"
    target = fuzz_paths.Target((schema,))
    minimal, options, fresh = fuzz_paths.minimize(target, fuzz_paths.Options(), block, "fast:invalid-json")
    assert fresh and b"\n" not in minimal and b"!" in minimal and len(minimal) < 40
    assert fuzz_paths.diverges_alone(target, options, minimal, "fast:invalid-json")
    command = fuzz_paths.reproducer(target, options, minimal)
    assert command.startswith("printf '") and "| normalize -s Heroku.Runtime" in command


def test_a_cli_that_writes_more_is_caught(tmp_path: Path) -> None:
    """The CLI check can fail too: a ``normalize`` whose -w 2 runs append an event to their output."""
    real = _normalize_command()
    wrapper = tmp_path / "normalize"
    wrapper.write_text(
        "#!/bin/bash\n"
        f"'{real}' \"$@\"; status=$?\n"
        'for ((i = 1; i < $#; i++)); do if [ "${!i}" = -o ]; then j=$((i + 1)); out="${!j}"; fi; done\n'
        'if [[ " $* " == *" -w 2 "* ]]; then printf \'{"x":1}\\n\' >> "$out"; fi\n'
        "exit $status\n",
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    out = io.StringIO()
    stats = fuzz_paths.fuzz(
        lines=50,
        seed=1,
        schemas=["Heroku.Runtime"],
        cli_every=50,
        cli_lines=50,
        normalize=str(wrapper),
        out=out,
        progress_every=0,
    )
    kinds = {kind for _, kind in stats.kinds}
    assert "cli-fast:invalid-json" in kinds and "cli-fast:count" in kinds, out.getvalue()


def test_the_summary_is_read_with_thousands_separators() -> None:
    line = b"normalize: 20,352 lines: 3,686 events, 16,238 rejects (bad_value 745), 428 skipped (blank 428)"
    found = fuzz_paths._SUMMARY.search(line)
    assert found is not None
    assert tuple(int(g.replace(b",", b"")) for g in found.groups()) == (20352, 3686, 16238, 428)
