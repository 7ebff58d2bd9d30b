"""The ``normalize`` command as users run it: a subprocess on real files, exact output and exit codes."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from engine import Registry, search_path
from engine.errors import REASONS

NORMALIZE = str(Path(sys.executable).with_name("normalize"))
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "schemas" / "Heroku" / "sample.log"

BUNDLED = Registry(search_path()).names()  # the message lists them; test_bundled_schemas pins the set

GOOD = "83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up"
BAD_PRI = "83 <4x>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed"
SHORT = "83 <40>1 2012-11-30T06:45:29+00:00 host app"

SUMMARY = re.compile(
    r"normalize: (?P<lines>[\d,]+) lines: (?P<events>[\d,]+) events, "
    r"(?P<rejects>[\d,]+) rejects(?P<reasons> \([^)]*\))?, "
    r"(?P<skipped>[\d,]+) skipped(?P<kinds> \([^)]*\))? in \d+\.\d\d s \([\d,]+ lines/s\)\n\Z"
)


def run(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [NORMALIZE, *args], input=stdin, capture_output=True, env={**os.environ, **(env or {})}, check=False
    )


def events(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_bundled_sample() -> None:
    """The README's first run: 24 lines, 21 events, the 2 bad lines as rejects, 1 blank line."""
    result = run("--schema", "Heroku.Runtime", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    *rejects, summary = result.stderr.decode().splitlines(keepends=True)
    m = SUMMARY.match(summary)
    assert m is not None, summary
    assert m.group("lines", "events", "rejects", "reasons", "skipped", "kinds") == (
        "24",
        "21",
        "2",
        " (bad_value 1, no_match 1)",
        "1",
        " (blank 1)",
    )
    assert len(events(result.stdout)) == 21
    assert [orjson.loads(r)["line"] for r in rejects] == [22, 24]


@pytest.mark.parametrize("fast", [True, False], ids=["accelerator", "reference"])
@pytest.mark.parametrize(("length", "clipped"), [(1024, False), (1025, True), (1_000_000, True)])
def test_a_long_bad_value_is_shown_by_its_first_1024_characters(
    fast: bool, length: int, clipped: bool
) -> None:
    """A reject quotes a failed value in ``value`` and in its message: past 1,024 characters, only
    the first 1,024 and an ellipsis (``raw`` keeps the whole line), on both paths alike; a megabyte
    of NULs was written three times over, six bytes each."""
    value = "\x00" * length
    line = GOOD.replace("<40>", f"<{value}>", 1)
    result = run("--schema", "Heroku.Runtime", *([] if fast else ["--no-fast-path"]), stdin=line.encode())
    (reject_line, _) = result.stderr.splitlines()
    reject = orjson.loads(reject_line)
    shown = value[:1024] + ("…" if clipped else "")
    quoted = repr(value[:1024]) + (f"… ({length:,} characters)" if clipped else "")
    assert (reject["value"], reject["raw"]) == (shown, line)
    assert reject["message"] == f"field 'priority': {quoted} is not a valid int"
    assert len(reject_line) < 6 * length + 16_000  # the raw line, and a bounded rest


def test_stdin_rejects_to_stderr_and_counts() -> None:
    data = f"{GOOD}\n\n{BAD_PRI}\r\n{SHORT}\n{GOOD}".encode()
    result = run("--schema", "Heroku.Runtime", stdin=data)
    assert result.returncode == 0
    out = events(result.stdout)
    assert [e["message"] for e in out] == ["State changed from starting to up"] * 2
    *reject_lines, summary = result.stderr.decode().splitlines(keepends=True)
    rejects = [orjson.loads(r) for r in reject_lines]
    assert rejects == [
        {
            "reason": "bad_value",
            "message": "field 'priority': '4x' is not a valid int",
            "field": "priority",
            "value": "4x",
            "expected": "int",
            "schema": "Heroku.Runtime",
            "source": "<stdin>",
            "line": 3,
            "raw": BAD_PRI,
        },
        {
            "reason": "no_match",
            "message": "no match: delimiter ' ' after %{app_name} not found from column 41",
            "schema": "Heroku.Runtime",
            "source": "<stdin>",
            "line": 4,
            "raw": SHORT,
        },
    ]
    m = SUMMARY.match(summary)
    assert m is not None, summary
    assert m.group("lines", "events", "rejects", "reasons", "skipped", "kinds") == (
        "5",
        "2",
        "2",
        " (bad_value 1, no_match 1)",
        "1",
        " (blank 1)",
    )


def test_files_gzip_output_and_rejects_file(tmp_path: Path) -> None:
    plain = tmp_path / "a.log"
    plain.write_text(f"{GOOD}\n{BAD_PRI}\n")
    packed = tmp_path / "b.log.gz"
    packed.write_bytes(gzip.compress(f"{GOOD}\n".encode()))
    out, rej = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    result = run("-s", "Heroku.Runtime", str(plain), str(packed), "-o", str(out), "--rejects", str(rej))
    assert result.returncode == 0
    assert result.stdout == b""
    assert len(events(out.read_bytes())) == 2
    (reject,) = events(rej.read_bytes())
    assert (reject["source"], reject["line"]) == (str(plain), 2)
    assert SUMMARY.match(result.stderr.decode())["lines"] == "3"


def test_strict_exit_code() -> None:
    assert run("-s", "Heroku.Runtime", "--strict", "--quiet", stdin=f"{GOOD}\n".encode()).returncode == 0
    result = run("-s", "Heroku.Runtime", "--strict", "--quiet", stdin=f"{BAD_PRI}\n".encode())
    assert result.returncode == 1


def test_invalid_utf8_nul_and_long_lines() -> None:
    bad = GOOD.encode().replace(b"State", b"St\xffte")
    nul = GOOD.replace("State", "St\0te")
    long = GOOD + "x" * 300
    data = b"\n".join([bad, nul.encode(), long.encode()]) + b"\n"
    result = run("-s", "Heroku.Runtime", "--max-line-bytes", "200", stdin=data)
    (event,) = events(result.stdout)
    assert event["message"] == "St\0te changed from starting to up"
    rejects = [orjson.loads(r) for r in result.stderr.splitlines()[:-1]]
    assert [r["reason"] for r in rejects] == ["invalid_utf8", "line_too_long"]
    assert rejects[0]["message"] == "line is not valid UTF-8: byte 0xff at offset 54"
    assert rejects[0]["raw_b64"] == __import__("base64").b64encode(bad).decode()
    assert rejects[1]["message"].startswith(f"line is {len(long)} bytes, more than the limit; sha256 ")


def test_invalid_utf8_replace() -> None:
    bad = GOOD.encode().replace(b"State", b"St\xffte") + b"\n"
    result = run("-s", "Heroku.Runtime", "--invalid-utf8", "replace", "--quiet", stdin=bad)
    assert events(result.stdout)[0]["message"] == "St\ufffdte changed from starting to up"


def test_schemas_listing_and_drop_in_folders(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "anything.yaml").write_text(
        "schema: Custom.Kv\nparser:\n  fastmatch:\n    match: ['%{k}=%{v}']\n"
        "fields:\n  - {name: k, type: string}\n"
    )
    listing = run("schemas", "--schemas", str(folder))
    assert listing.returncode == 0
    lines = listing.stdout.decode().splitlines()
    assert f"Custom.Kv\t{folder / 'anything.yaml'}" in lines
    assert f"Heroku.Runtime\t{REPO / 'schemas' / 'Heroku' / 'Runtime.yml'}" in lines
    assert lines == sorted(lines)  # by name
    assert len(lines) == len(BUNDLED) + 1
    via_env = run("-s", "Custom.Kv", "--quiet", stdin=b"a=b\n", env={"NORMALIZE_SCHEMAS": str(folder)})
    assert [e["k"] for e in events(via_env.stdout)] == ["a"]


def test_duplicate_schema_names(tmp_path: Path) -> None:
    for name in ("one.yml", "two.yml"):
        (tmp_path / name).write_text("schema: Heroku.Runtime\nfields:\n  - {name: a, type: string}\n")
    result = run("-s", "Heroku.Runtime", "--schemas", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"normalize: {tmp_path / 'two.yml'}: schema 'Heroku.Runtime' is defined twice: "
        f"in {tmp_path / 'one.yml'} and in {tmp_path / 'two.yml'}\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "Nope.Nothing"], f"normalize: unknown schema 'Nope.Nothing' (known: {', '.join(BUNDLED)})\n"),
        (
            ["-s", "Heroku.Runtime", "/no/such/file"],
            "normalize: cannot read /no/such/file: No such file or directory\n",
        ),
        ([], "normalize: the following arguments are required: -s/--schema (see 'normalize --help')\n"),
        (
            ["-s", "Heroku.Runtime", "--schemas", "/no/such/dir"],
            "normalize: schema folder /no/such/dir does not exist or is not a folder\n",
        ),
        (["-s", "Heroku.Runtime", "/"], "normalize: cannot read /: a folder, not a file\n"),
        (
            ["-s", "Heroku.Runtime", "-o", "/no/such/dir/out.ndjson", str(SAMPLE)],
            "normalize: /no/such/dir/out.ndjson: No such file or directory\n",
        ),
    ],
    ids=["unknown-schema", "missing-file", "no-schema", "missing-folder", "folder-as-input", "bad-output"],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert (result.returncode, result.stderr.decode(), result.stdout) == (2, message, b"")


def test_bad_schema_file_exit_2_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("schema: Custom.Bad\nfields:\n  - name: a\n    type: integr\n")
    result = run("-s", "Custom.Bad", "--schemas", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"normalize: {tmp_path / 'bad.yml'}:4:11: unknown type 'integr'; expected one of string, int, "
        "smallint, bigint, float, boolean, timestamp, json, object, array (at fields[0].type)\n"
    )


PARSE_TIME = re.compile(rb'"p_parse_time":"([^"]+)",')


def without_volatile(ndjson: bytes) -> bytes:
    """NDJSON without p_row_id and p_parse_time (and p_event_time where it fell back to the latter)."""
    lines = []
    for line in ndjson.splitlines(keepends=True):
        parse_time = PARSE_TIME.search(line).group(1)
        kept = line.replace(b'"p_event_time":"' + parse_time + b'",', b"")
        lines.append(re.sub(rb'"p_row_id":"[0-9a-f]{28}",|"p_parse_time":"[^"]+",', b"", kept))
    return b"".join(lines)


def generated_corpus(path: Path, lines: int) -> Path:
    """``lines`` Heroku lines from the team's generator, written to ``path``."""
    generator = REPO / "tools" / "gen_heroku.py"
    subprocess.run([sys.executable, str(generator), "-n", str(lines), "-o", str(path)], check=True)
    return path


def each_way(tmp_path: Path, *args: str) -> list[tuple[bytes, bytes, bytes]]:
    """Run ``normalize ARGS`` with 1 and 3 worker threads (the accelerator), then with 1 and 2 worker
    processes (--no-fast-path): per run, the events without volatile fields, the rejects and the
    summary without its timing. No run repeats a ``p_row_id`` (forked workers draw their own)."""
    outputs = []
    for workers, *path in (("1",), ("3",), ("1", "--no-fast-path"), ("2", "--no-fast-path")):
        out, rej = tmp_path / f"out{workers}{path}", tmp_path / f"rej{workers}{path}"
        result = run(*args, "-w", workers, *path, "-o", str(out), "--rejects", str(rej))
        assert result.returncode == 0, result.stderr
        row_ids = re.findall(rb'"p_row_id":"([0-9a-f]{28})"', out.read_bytes())
        assert len(set(row_ids)) == len(row_ids), f"-w {workers} {path}: a p_row_id repeats"
        outputs.append(
            (without_volatile(out.read_bytes()), rej.read_bytes(), result.stderr.split(b" in ")[0])
        )
    return outputs


def test_workers_give_the_same_output(tmp_path: Path) -> None:
    """1 and 3 workers, with the C accelerator (threads) and without it (processes): byte-identical
    events and rejects (but for row ids and parse times), in order."""
    corpus = generated_corpus(tmp_path / "corpus.log", 30000)
    with corpus.open("ab") as f:  # rejects and skips in the middle of the stream too
        f.write(f"{BAD_PRI}\n\n{SHORT}\n".encode() + SAMPLE.read_bytes())
    outputs = each_way(tmp_path, "-s", "Heroku.Runtime", str(corpus))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
    assert outputs[0][2] == (
        b"normalize: 30,027 lines: 30,021 events, 4 rejects (bad_value 2, no_match 2), 2 skipped (blank 2)"
    )
    assert len(outputs[0][0].splitlines()) == 30021


def test_skip_lines_beyond_the_first_block_with_workers(tmp_path: Path) -> None:
    """skipLines longer than a block (1 MiB): the first lines are swallowed in order whatever the
    number of workers, with or without the accelerator."""
    corpus = generated_corpus(tmp_path / "corpus.log", 12000)
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    runtime = (REPO / "schemas" / "Heroku" / "Runtime.yml").read_text()
    assert "    emptyValues: ['-']\n" in runtime
    (schemas / "skip.yml").write_text(
        runtime.replace("schema: Heroku.Runtime", "schema: Custom.Skip").replace(
            "    emptyValues: ['-']\n", "    emptyValues: ['-']\n    skipLines: 5000\n"
        )
    )
    outputs = each_way(tmp_path, "-s", "Custom.Skip", "--schemas", str(schemas), str(corpus))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
    assert outputs[0][1] == b""
    assert (
        outputs[0][2] == b"normalize: 12,000 lines: 7,000 events, 0 rejects, 5,000 skipped (skip_lines 5,000)"
    )
    first = orjson.loads(outputs[0][0].split(b"\n", 1)[0])
    assert first["message"] == corpus.read_text().split("\n")[5000].split(" - ", 1)[1]


def test_readme_documents_every_reject_reason() -> None:
    readme = (REPO / "README.md").read_text()
    for reason in REASONS:
        assert f"| `{reason}` |" in readme


def test_output_over_an_input_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "in.log"
    data.write_text(f"{GOOD}\n")
    result = run("-s", "Heroku.Runtime", str(data), "-o", str(data))
    assert (result.returncode, result.stderr.decode()) == (
        2,
        f"normalize: {data} is both an input and an output, or written twice\n",
    )
    assert data.read_text() == f"{GOOD}\n"  # untouched


def test_a_pipe_is_an_input() -> None:
    """Process substitution and FIFOs are not regular files, and are read all the same."""
    result = subprocess.run(
        ["bash", "-c", f'"{NORMALIZE}" -s Heroku.Runtime --quiet <(printf "%s\\n" "{GOOD}")'],
        capture_output=True,
        check=False,
    )
    assert (result.returncode, len(events(result.stdout))) == (0, 1)


def test_a_broken_file_does_not_stop_other_schemas(tmp_path: Path) -> None:
    (tmp_path / "good.yml").write_text(
        "schema: Custom.Good\nparser:\n  fastmatch:\n    match: ['%{a} %{b}']\n"
        "fields:\n  - {name: a, type: string}\n"
    )
    (tmp_path / "broken.yml").write_text("schema: [unclosed\n")
    ok = run("-s", "Custom.Good", "--schemas", str(tmp_path), "--quiet", stdin=b"x y\n")
    assert (ok.returncode, [e["a"] for e in events(ok.stdout)]) == (0, ["x"])
    missing = run("-s", "Custom.Other", "--schemas", str(tmp_path))
    assert missing.returncode == 2
    assert "; 1 schema file(s) could not be read, the first: " + str(
        tmp_path / "broken.yml"
    ) + ":2:1: invalid YAML" in (missing.stderr.decode())
    listing = run("schemas", "--schemas", str(tmp_path))
    assert listing.returncode == 2
    assert f"Custom.Good\t{tmp_path / 'good.yml'}" in listing.stdout.decode()
    assert listing.stderr.decode().startswith(f"normalize: {tmp_path / 'broken.yml'}:2:1: invalid YAML")


def test_three_log_types_in_one_feed(tmp_path: Path) -> None:
    """Each line goes to the first schema, in the given order, that takes it; per-type counts."""
    apache = (REPO / "schemas" / "Apache" / "sample.log").read_text().splitlines()[0]
    syslog = (REPO / "schemas" / "Syslog" / "RFC5424.sample.log").read_text().splitlines()[2]
    mixed = tmp_path / "mixed.log"
    mixed.write_text("\n".join([GOOD, apache, syslog, GOOD, "", "what is this", syslog]) + "\n")
    result = run("-s", "Heroku.Runtime", "-s", "Apache.*", "-s", "Syslog.RFC5424", str(mixed))
    assert result.returncode == 0
    types = [e["p_log_type"] for e in events(result.stdout)]
    assert types == [
        "Heroku.Runtime",
        "Apache.AccessCombined",
        "Syslog.RFC5424",
        "Heroku.Runtime",
        "Syslog.RFC5424",
    ]
    *reject_lines, summary = result.stderr.decode().splitlines(keepends=True)
    (reject,) = [orjson.loads(r) for r in reject_lines]
    assert (reject["reason"], reject["line"], reject["schema"]) == (
        "no_match",
        6,
        "Heroku.Runtime, Apache.AccessCombined, Syslog.RFC5424",
    )
    assert [(r["schema"], r["reason"]) for r in reject["refusals"]] == [
        ("Heroku.Runtime", "no_match"),
        ("Apache.AccessCombined", "no_match"),
        ("Syslog.RFC5424", "no_match"),
    ]
    assert reject["message"].startswith(
        "no schema took the line: Heroku.Runtime: no match: delimiter ' <' after"
    )
    assert summary.startswith(
        "normalize: 7 lines: 5 events (Apache.AccessCombined 1, Heroku.Runtime 2, Syslog.RFC5424 2), "
        "1 rejects (no_match 1), 1 skipped (blank 1) in "
    )


def test_unknown_glob() -> None:
    result = run("-s", "Nope.*")
    assert (result.returncode, result.stderr.decode()) == (
        2,
        f"normalize: no schema matches 'Nope.*' (known: {', '.join(BUNDLED)})\n",
    )


def test_json_schema_is_the_shipped_file() -> None:
    result = run("json-schema")
    assert result.returncode == 0
    assert result.stdout == (REPO / "engine" / "schema.json").read_bytes()


def test_new_schema_skeleton_works(tmp_path: Path) -> None:
    result = run("new-schema", "Custom.Acme.Audit", "--dir", str(tmp_path))
    schema = tmp_path / "Custom" / "Acme" / "Audit.yml"
    assert result.returncode == 0
    assert result.stdout.decode() == (
        f"wrote {schema} and {schema.with_suffix('.tests.yml')}; try: normalize test {schema.parent}\n"
        f"for completion in editors: normalize json-schema > {tmp_path / 'schema.json'}, then put "
        "'# yaml-language-server: $schema=../../schema.json' at the top of Audit.yml "
        "(new-schema writes that line itself once the copy is there)\n"
    )
    lines = b"2024-03-15T10:00:01+01:00 INFO 10.0.0.1 user logged in\n2024-03-15T10:00:03Z TRACE ::1 noisy\n"
    normalized = run("-s", "Custom.Acme.Audit", "--schemas", str(tmp_path), "--quiet", stdin=lines)
    (event,) = events(normalized.stdout)
    assert (event["time"], event["p_any_ip_addresses"]) == ("2024-03-15 09:00:01.000000000", ["10.0.0.1"])
    again = run("new-schema", "Custom.Acme.Audit", "--dir", str(tmp_path))
    assert (again.returncode, again.stderr.decode()) == (
        2,
        f"normalize: {schema} exists already: not overwritten\n",
    )


def test_normalize_test_on_bundled_and_a_failing_case(tmp_path: Path) -> None:
    bundled = run("test")
    assert bundled.returncode == 0
    assert bundled.stdout.decode().splitlines()[-1].endswith(" passed, 0 failed")
    run("new-schema", "Custom.Acme.Audit", "--dir", str(tmp_path))
    folder = tmp_path / "Custom" / "Acme"
    assert run("test", str(folder)).stdout == b"3 passed, 0 failed\n"
    cases = folder / "Audit.tests.yml"
    cases.write_text(cases.read_text().replace("level: INFO", "level: WARN", 1))
    failing = run("test", str(folder))
    assert failing.returncode == 1
    out = failing.stdout.decode()
    assert "FAIL an event with every field" in out
    assert '  field \'level\': expected "WARN", got "INFO"' in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"
    nothing = run("test", str(REPO / "tools"))
    assert (nothing.returncode, nothing.stderr.decode()) == (
        2,
        f"normalize: no test cases found in {REPO / 'tools'}\n",
    )


def test_lint_command() -> None:
    clean = run("lint")
    assert (clean.returncode, clean.stdout) == (0, b"no problems found\n")
    case = REPO / "tests" / "lint_cases" / "duplicate-key.yml"
    broken = run("lint", str(case))
    assert broken.returncode == 1
    assert broken.stdout.decode().splitlines()[0] == (
        f"{case}:5:5: error: duplicate key 'name' (first at line 3) [duplicate-key]"
    )
    assert run("lint", "--format", "yaml").returncode == 2


def test_an_interrupt_during_start_up_is_exit_130_without_a_traceback() -> None:
    """Ctrl-C while the CLI's modules load (a third of a second) ends it as an interrupt does."""
    interrupt_on_import = (
        "import sys\n"
        "class Interrupting:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'engine.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupting())\n"
        "from engine.__main__ import main\n"
        "sys.exit(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", interrupt_on_import], capture_output=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (130, b"", b"")


def test_version_and_help() -> None:
    version = run("--version")
    assert (version.returncode, version.stdout) == (0, b"normalize 0.1.0\n")
    helped = run("help")
    assert helped.returncode == 0
    assert helped.stdout.startswith(b"usage: normalize [-h] -s NAME")
    assert run("help", "lint").stdout.startswith(b"usage: normalize lint")


def test_repair_cuts_a_torn_last_record_and_reports_lines_that_are_not_json(tmp_path: Path) -> None:
    torn, broken = tmp_path / "torn.ndjson", tmp_path / "broken.ndjson"
    torn.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    broken.write_bytes(b'{"a":1}\nnot json\n')
    result = run("repair", str(torn), str(broken))
    assert (result.returncode, result.stdout.decode()) == (
        1,
        f"{torn}: cut a torn last record of 5 bytes; every line is JSON\n"
        f"{broken}: no torn last record; 1 lines are not JSON\n"
        f"{broken}:2: not a JSON value\n",
    )
    assert torn.read_bytes() == b'{"a":1}\n{"b":2}\n'


def test_unknown_schema_suggests_the_nearest_name() -> None:
    result = run("-s", "Heroku.Runtme", str(SAMPLE))
    assert (result.returncode, result.stderr.decode()) == (
        2,
        "normalize: unknown schema 'Heroku.Runtme': did you mean 'Heroku.Runtime'? "
        f"(known: {', '.join(BUNDLED)})\n",
    )


def test_unknown_glob_suggests_one_that_matches() -> None:
    result = run("-s", "syslog.*", str(SAMPLE))
    assert (result.returncode, result.stderr.decode()) == (
        2,
        f"normalize: no schema matches 'syslog.*': did you mean 'Syslog.*'? (known: {', '.join(BUNDLED)})\n",
    )
