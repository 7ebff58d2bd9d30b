"""The commands' numeric options out of range: one line and exit 2, before anything starts (a huge
number overflowed in C or in a library with a traceback; ``--regex-timeout 1e308`` rejected every
line at once; ``normalize serve --workers 0`` gave a traceback)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from engine.cli import RUN_BOUNDS
from engine.errors import SchemaError
from engine.options import Bound
from engine.serve.command import SERVE_BOUNDS
from engine.serve.config import JSON_SCHEMA, load_config

from .test_cli import NORMALIZE

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "schemas" / "Heroku" / "sample.log")
HUGE = "99999999999999999999"  # past 64 bits
HUGER = "1" + "0" * 400  # past a float: math.isfinite raised OverflowError
LIMITS = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))["properties"]["limits"]["properties"]


def _command(command: str, option: str, value: str, tmp_path: Path) -> list[str]:
    if command == "run":
        parquet = ["--format", "parquet", "--out", str(tmp_path / "lake")]
        if option not in ("--row-group-rows", "--max-file-rows", "--checkpoint-seconds", "--max-file-bytes"):
            parquet = ["-o", str(tmp_path / "out")]
        return [NORMALIZE, "-s", "Heroku.Runtime", *parquet, option, value, SAMPLE]
    if command == "serve":
        return [
            NORMALIZE,
            "serve",
            "-s",
            "Heroku.Runtime",
            "--no-auth",
            "--out",
            str(tmp_path),
            option,
            value,
        ]
    return [NORMALIZE, "playground", option, value]


def _shown(bound: Bound, value: str) -> str:
    number = float(value) if bound.seconds else int(value)
    return f"{number:,}" if not bound.seconds else str(number)


CASES = [
    (command, bound, value)
    for command, bounds in (
        ("run", RUN_BOUNDS),
        ("serve", SERVE_BOUNDS),
        ("playground", (Bound("port", 0, 65535),)),
    )
    for bound in bounds
    for value in (
        [HUGE, HUGER, str(int(bound.low) - 1), str(int(bound.high) + 1)]
        if not bound.seconds
        else ["nan", "inf", "1e308", "-1", str(bound.high * 2)] + (["0"] if bound.above else [])
    )
]


@pytest.mark.parametrize(
    ("command", "bound", "value"),
    CASES,
    ids=[f"{c}{b.flag}={v if v != HUGER else '1e400'}" for c, b, v in CASES],
)
def test_an_option_out_of_range_is_one_line_and_exit_2(
    tmp_path: Path, command: str, bound: Bound, value: str
) -> None:
    result = subprocess.run(
        _command(command, bound.flag, value, tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"normalize: {bound.refusal(float(value) if bound.seconds else int(value))}\n"
    assert _shown(bound, value) in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "lake").exists()


@pytest.mark.parametrize(
    ("bound", "low", "high", "wanted"),
    [
        (
            Bound("max_line_bytes", 1, 1 << 30),
            "0",
            "1073741825",
            "--max-line-bytes must be from 1 to 1,073,741,824",
        ),
        (
            Bound("regex_timeout", 0, 3600, above=True, seconds=True),
            "0",
            "3600.5",
            "--regex-timeout must be a number of seconds above 0, at most 3,600",
        ),
        (
            Bound("checkpoint_seconds", 0, 86400, seconds=True),
            "-0.5",
            "86401",
            "--checkpoint-seconds must be a number of seconds 0 or more, at most 86,400",
        ),
    ],
)
def test_bounds_refuse_exactly_what_is_out_of_range(bound: Bound, low: str, high: str, wanted: str) -> None:
    parse = float if bound.seconds else int
    assert bound.refusal(bound.high) is None
    assert (bound.refusal(bound.low) is None) is not bound.above
    for outside in (parse(low), parse(high)):
        shown = str(outside) if bound.seconds else f"{outside:,}"
        assert bound.refusal(outside) == f"{wanted}, not {shown}"


def test_a_config_file_has_the_bounds_of_the_flags() -> None:
    """``drains.schema.json`` bounds a --config file's limits as SERVE_BOUNDS bound the flags."""
    schema = json.loads((ROOT / "engine" / "serve" / "drains.schema.json").read_text(encoding="utf-8"))
    limits = schema["properties"]["limits"]["properties"]
    for bound in SERVE_BOUNDS:
        if bound.dest in limits:
            rule = limits[bound.dest]
            assert rule["maximum"] == bound.high, bound.dest
            assert rule.get("exclusiveMinimum" if bound.above else "minimum") == bound.low, bound.dest
    assert {b.dest for b in SERVE_BOUNDS} & set(limits) == {
        "max_body_bytes",
        "max_inflated_bytes",
        "body_seconds",
        "head_seconds",
        "max_concurrent",
    }


def _numbers(node: object, at: str = "") -> list[tuple[str, dict[str, object]]]:
    """Every integer or number a JSON Schema allows, with where it is."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            found.append((at, node))
        for key, value in node.items():
            found += _numbers(value, f"{at}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _numbers(value, f"{at}[{index}]")
    return found


def test_every_number_a_config_file_gives_is_bounded() -> None:
    numbers = _numbers(json.loads(JSON_SCHEMA.read_text(encoding="utf-8")))
    assert len(numbers) == len(LIMITS) == 8
    assert [at for at, rule in numbers if "maximum" not in rule] == []


CONFIG_CASES = [
    (key, value)
    for key, rule in LIMITS.items()
    for value in (".nan", ".inf", "-.inf", str(rule["maximum"] * 2))
]


@pytest.mark.parametrize(("key", "value"), CONFIG_CASES, ids=[f"{k}={v}" for k, v in CONFIG_CASES])
def test_a_config_limit_out_of_range_is_refused_where_it_is(tmp_path: Path, key: str, value: str) -> None:
    """A limit past its bound (``dedupe_seconds: 1.0e+300`` gave an OverflowError traceback; NaN
    passes JSON Schema's bounds) is a located schema error."""
    config = tmp_path / "drains.yml"
    route = "{path: /x, schemas: [Heroku.Runtime], auth: {none: true}}"
    config.write_text(f"routes:\n  - {route}\nlimits:\n  {key}: {value}\n")
    with pytest.raises(SchemaError) as caught:
        load_config(config)
    assert str(caught.value).startswith(f"{config}:4:{len(key) + 5}: "), caught.value
    assert str(caught.value).endswith(f"(at limits.{key})")
