"""``normalize new-schema``: the files it writes hold no path of the machine they were written on."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.scaffold import new_schema

from .test_cli import NORMALIZE, REPO

JSON_SCHEMA = REPO / "engine" / "schema.json"
MODELINE = "# yaml-language-server: $schema="


def texts(folder: Path) -> tuple[str, str]:
    schema = folder / "Custom" / "Acme" / "Audit.yml"
    return schema.read_text(), schema.with_suffix(".tests.yml").read_text()


def test_outside_a_repository_no_machine_path_is_written(tmp_path: Path) -> None:
    """Run from a folder of the user's, as a new user does: nothing points into this checkout."""
    result = subprocess.run(
        [NORMALIZE, "new-schema", "Custom.Acme.Audit", "--dir", "my-schemas"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    schema, tests = texts(tmp_path / "my-schemas")
    assert schema.startswith("schema: Custom.Acme.Audit\n")  # no $schema line: none would be right
    assert tests.startswith(
        "# Test cases for Audit.yml: run them with `normalize test my-schemas/Custom/Acme`.\n"
    )
    for text in (schema, tests):
        assert str(REPO) not in text
        assert str(tmp_path) not in text
    ran = subprocess.run([NORMALIZE, "test", "my-schemas"], cwd=tmp_path, capture_output=True, check=False)
    assert ran.stdout == b"3 passed, 0 failed\n"


def test_an_absolute_folder_is_not_written_into_the_files(tmp_path: Path) -> None:
    new_schema("Custom.Acme.Audit", tmp_path / "my-schemas", JSON_SCHEMA)
    schema, tests = texts(tmp_path / "my-schemas")
    assert MODELINE not in schema
    assert tests.startswith("# Test cases for Audit.yml: run them with `normalize test` on this folder.\n")


def test_the_message_says_how_to_get_the_json_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    written = new_schema("Custom.Acme.Audit", Path("my-schemas"), JSON_SCHEMA)
    schema_file, tests_file = written  # unpacks as before
    assert (schema_file, tests_file) == (
        Path("my-schemas/Custom/Acme/Audit.yml"),
        Path("my-schemas/Custom/Acme/Audit.tests.yml"),
    )
    assert written.json_schema is None
    assert written.message() == (
        "wrote my-schemas/Custom/Acme/Audit.yml and my-schemas/Custom/Acme/Audit.tests.yml; "
        "try: normalize test my-schemas/Custom/Acme\n"
        "for completion in editors: normalize json-schema > my-schemas/schema.json, then put "
        "'# yaml-language-server: $schema=../../schema.json' at the top of Audit.yml "
        "(new-schema writes that line itself once the copy is there)"
    )


@pytest.mark.parametrize("in_repository", [False, True])
def test_a_copy_of_the_json_schema_beside_the_schemas_is_used(tmp_path: Path, in_repository: bool) -> None:
    if in_repository:
        (tmp_path / ".git").mkdir()
    folder = tmp_path / "my-schemas"
    folder.mkdir()
    shutil.copy(JSON_SCHEMA, folder / "schema.json")  # what `normalize json-schema > ...` writes
    written = new_schema("Custom.Acme.Audit", folder, JSON_SCHEMA)
    assert written.json_schema == "../../schema.json"
    assert written.message().count("\n") == 0  # nothing more to tell
    schema, _ = texts(folder)
    assert schema.startswith("# yaml-language-server: $schema=../../schema.json\nschema: Custom.Acme.Audit\n")


def test_a_schema_json_of_something_else_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "my-schemas"
    folder.mkdir()
    (folder / "schema.json").write_text('{"$id": "https://example.com/other.json"}')
    assert new_schema("Custom.Acme.Audit", folder, JSON_SCHEMA).json_schema is None


def test_in_a_checkout_of_normalize_the_shipped_json_schema(tmp_path: Path) -> None:
    """A schema folder in the checkout (as the bundled schemas/) reaches engine/schema.json."""
    checkout = tmp_path / "normalize"
    (checkout / "engine").mkdir(parents=True)
    (checkout / ".git").write_text("gitdir: /elsewhere\n")  # a worktree's .git is a file
    shipped = checkout / "engine" / "schema.json"
    shutil.copy(JSON_SCHEMA, shipped)
    written = new_schema("Custom.Acme.Audit", checkout / "schemas", shipped)
    assert written.json_schema == "../../../engine/schema.json"
    schema, tests = texts(checkout / "schemas")
    assert schema.startswith("# yaml-language-server: $schema=../../../engine/schema.json\n")
    assert tests.startswith(
        "# Test cases for Audit.yml: run them with `normalize test schemas/Custom/Acme`.\n"
    )


def test_an_install_inside_the_users_repository_is_not_linked(tmp_path: Path) -> None:
    """A virtualenv in the project holds engine/schema.json, but not on anyone else's machine."""
    (tmp_path / ".git").mkdir()
    installed = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "engine" / "schema.json"
    installed.parent.mkdir(parents=True)
    shutil.copy(JSON_SCHEMA, installed)
    written = new_schema("Custom.Acme.Audit", tmp_path / "my-schemas", installed)
    assert written.json_schema is None
    assert MODELINE not in texts(tmp_path / "my-schemas")[0]


@pytest.mark.parametrize(
    ("folder", "command"),
    [(b"d\xff", "infer"), (b"d\xff", "new-schema"), (b"n\nl: [", "new-schema"), (b"tab\there", "new-schema")],
)
def test_a_folder_name_that_cannot_be_shown_is_left_out_of_the_comment(
    tmp_path: Path, folder: bytes, command: str
) -> None:
    """A folder whose name is not printable UTF-8: a byte that is not UTF-8 could not be written (a
    traceback, and an empty test file left behind), a newline ended the comment and broke the YAML.
    The comment says "on this folder", and the files written pass their tests."""
    sample = tmp_path / "s.log"
    sample.write_bytes(
        b"2024-03-15T10:00:01Z INFO 10.0.0.1 user logged in\n2024-03-15T10:00:02Z WARN 10.0.0.2 disk full\n"
    )
    args = (
        ["new-schema", "Custom.A"]
        if command == "new-schema"
        else ["infer", "--name", "Custom.A", str(sample)]
    )
    result = subprocess.run(
        [NORMALIZE.encode(), *(a.encode() for a in args), b"--dir", folder],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    tests = (tmp_path / os.fsdecode(folder) / "Custom" / "A.tests.yml").read_text(encoding="utf-8")
    assert tests.startswith("# Test cases for A.yml")
    assert tests.split("\n", 1)[0].endswith(": run them with `normalize test` on this folder.")
    ran = subprocess.run(
        [NORMALIZE.encode(), b"test", folder], cwd=tmp_path, capture_output=True, check=False
    )
    assert (ran.returncode, ran.stderr) == (0, b""), ran.stdout
