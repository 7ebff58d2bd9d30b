"""Shared helpers: build schemas from YAML text written in the test, normalize lines with them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Batch, Normalizer, Registry, search_path
from engine.registry import load_schema_file

P_VOLATILE = ("p_row_id", "p_parse_time")


@pytest.fixture
def schema_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a schema file (dedented YAML) into a temporary folder and return its path."""

    def write(text: str, name: str = "schema.yml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def normalize(schema_file: Callable[[str, str], Path]) -> Callable[..., Batch]:
    """Normalize ``lines`` with a schema given as YAML text."""

    def run(schema_yaml: str, lines: list[str], **options: Any) -> Batch:
        normalizer = Normalizer(load_schema_file(schema_file(schema_yaml)), **options)
        return normalizer.normalize(lines, source="test")

    return run


def stable(event: dict[str, Any]) -> dict[str, Any]:
    """An event without the fields that differ on every run."""
    return {k: v for k, v in event.items() if k not in P_VOLATILE}


def read_sample(path: Path) -> list[str]:
    """A sample log's lines, split as the reader splits them (on \\n only, spec l.3)."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def normalizers_for(names: Iterable[str]) -> dict[str, Normalizer]:
    """One normalizer per bundled schema name."""
    registry = Registry(search_path())
    return {name: Normalizer(registry.load(name)) for name in names}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark with two cores, for the whole session (starting one takes seconds).

    Never skipped: without pyspark or Java the tests that use it fail, so that CI cannot pass without
    running them; deselect them with ``-m "not spark"``. The Python workers run this interpreter, the
    driver listens on 127.0.0.1 only, and times are shown in UTC.
    """
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("the spark tests need Java (on PATH, or JAVA_HOME); deselect them with -m 'not spark'")
    from pyspark.sql import SparkSession  # noqa: PLC0415 - only the spark tests need the spark extra

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("normalize-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def tmpfs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A tmpfs of ``request.param`` (root only: skipped where it cannot be mounted)."""
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={request.param}", "tmpfs", str(folder)]
    mounted = subprocess.run(mount, capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
