"""``normalize infer``: drafted schemas pass lint and their own tests, and take the sample they came from.

For each bundled schema, infer runs on the lines of its sample that the bundled schema accepts (the
samples also hold deliberately bad lines: on the whole sample, infer reports them as outliers, which
is checked apart). Then: the type tables (values → type, time format, indicators), JSON lines and
CSV shapes, determinism, and the errors a user can cause.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from engine import Normalizer, Registry, search_path
from engine.infer import infer
from engine.infer.tokens import pieces, tokenize
from engine.infer.values import guess_text
from engine.lint import exit_code, lint_paths
from engine.registry import load_schema_file
from engine.schematest import run_paths
from engine.spec import Schema, Value
from engine.yamlio import parse_yaml

from .test_cli import NORMALIZE, REPO

JSON_SCHEMA = REPO / "engine" / "schema.json"
DATA = REPO / "tests" / "data" / "infer"
REGISTRY = Registry(search_path([]))


def sample_of(name: str) -> Path:
    schema_file = Path(REGISTRY.files[name][0])
    for candidate in (
        schema_file.with_name(schema_file.stem + ".sample.log"),
        schema_file.with_name("sample.log"),
    ):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"no sample beside {schema_file}")


def read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


SEEN_ONCE = {"Heroku.Router": {8}}
"""Sample lines the bundled schema takes whose shape no other line shares: infer reports such a line
as an outlier (see ``OUTLIERS``) rather than make a template of it, so the sound-schema test leaves
it out. Router.sample.log line 8 is a router line with five keys of the usual eleven."""


def good_lines(name: str) -> list[str]:
    """The sample's lines the bundled schema takes (a CSV header, which it skips, included), but for
    a shape seen once (``SEEN_ONCE``)."""
    lines = read_lines(sample_of(name))
    batch = Normalizer(REGISTRY.load(name)).normalize(lines, source="sample", first_line=1)
    left_out = {r.line for r in batch.rejects} | SEEN_ONCE.get(name, set())
    return [line for number, line in enumerate(lines, 1) if number not in left_out and line.strip()]


def drafted(tmp_path: Path, lines: list[str], name: str = "Custom.Drafted") -> tuple[Path, Schema]:
    sample = tmp_path / "sample.log"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inferred = infer([str(sample)], name, tmp_path / "out", JSON_SCHEMA)
    return inferred.schema_file, load_schema_file(inferred.schema_file)


def assert_sound(folder: Path, schema: Schema, lines: list[str]) -> None:
    """Lint finds nothing (warnings included), the test cases pass, every line becomes an event."""
    findings = lint_paths([folder])
    assert exit_code(findings, "warning") == 0, [f.text() for f in findings]
    results = run_paths([folder])
    assert results and all(r.passed for r in results), [(r.name, r.diff) for r in results]
    batch = Normalizer(schema).normalize(lines, source="sample.log", first_line=1)
    assert [r.message for r in batch.rejects] == []
    header = schema.parser.kind == "csv" and schema.parser.config.get("hasHeader")
    assert len(batch.events) == len([line for line in lines if line.strip()]) - bool(header)


def parser_line(schema: Schema) -> str:
    """The parser in one line: its kind and its patterns or columns."""
    config = schema.parser.config
    if schema.parser.kind == "csv":
        header = config.get("hasHeader", False)
        return f"csv {config['delimiter']!r} header={header} {' '.join(config['columns'])}"
    if schema.parser.kind == "json":
        return "json"
    return f"{schema.parser.kind} " + " | ".join(config["match"])


def shape(schema: Schema) -> list[str]:
    """Each top-level field as ``name:type[formats]{indicators}!`` (``!``: required, ``*``: event time)."""
    return [_shape(f.name, f.value) for f in schema.fields]


def _shape(name: str, value: Value) -> str:
    text = f"{name}:{value.type}"
    if value.time_formats:
        text += "[" + ",".join(value.time_formats) + "]"
    if value.indicators:
        text += "{" + ",".join(value.indicators) + "}"
    if value.fields:
        text += "(" + " ".join(_shape(f.name, f.value) for f in value.fields) + ")"
    if value.element is not None:
        text += "<" + _shape("", value.element) + ">"
    return text + ("!" if value.required else "") + ("*" if value.is_event_time else "")


# --- every bundled sample -------------------------------------------------------------------------

HEROKU_HEADER = "%{message_length} <%{priority}>%{version} %{timestamp} %{hostname} %{app_name} %{proc_id}"
HEROKU_ROUTER = (
    f'{HEROKU_HEADER} %{{msg_id}} at=%{{at}} method=%{{method}} path="%{{path}}" host=%{{host}} '
    'request_id=%{request_id} fwd="%{fwd}" dyno=%{dyno} connect=%{connect}ms service=%{service}ms '
    "status=%{status} bytes=%{bytes} protocol=%{protocol}"
)
BUNDLED = {
    "AWS.CloudTrail": "json",
    "AWS.VPCFlow": "csv ' ' header=True version account_id interface_id srcaddr dstaddr srcport dstport "
    "protocol packets bytes start end action log_status",
    "Apache.AccessCombined": 'fastmatch %{ip} %{ident} %{user} [%{timestamp}] "%{request}" %{status} '
    '%{bytes} "%{referer}" "%{user_agent}"',
    "Heroku.CLI": "fastmatch %{timestamp} %{app}[%{proc_id}]: %{message}",
    "Heroku.Router": f"fastmatch {HEROKU_ROUTER} | {HEROKU_HEADER} %{{msg_id}} %{{message}}",
    "Heroku.Runtime": f"fastmatch {HEROKU_ROUTER} | {HEROKU_HEADER} - %{{message}}",
    "Nginx.Access": 'fastmatch %{ip} %{ident} %{user} [%{timestamp}] "%{request}" %{status} %{bytes} '
    '"%{referer}" "%{user_agent}"',
    "Syslog.RFC3164": "regex ^<(?P<priority>[^>]*)>(?P<timestamp>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    "|Nov|Dec) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?) (?P<hostname>[^ ]*) (?P<message>.*)$",
    "Syslog.RFC5424": "fastmatch <%{priority}>%{version} %{timestamp} %{hostname} %{app_name} %{proc_id} "
    "%{msg_id} %{message}",
}


def test_every_bundled_schema_is_covered() -> None:
    assert sorted(BUNDLED) == REGISTRY.names()


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_a_bundled_sample_gives_a_sound_schema(tmp_path: Path, name: str) -> None:
    lines = good_lines(name)
    _, schema = drafted(tmp_path, lines)
    assert parser_line(schema) == BUNDLED[name]
    assert_sound(tmp_path / "out", schema, lines)
    assert sum(f.value.is_event_time for f in schema.fields) <= 1


# What each whole sample (its bad lines too) gives: the lines infer reports as outliers.
OUTLIERS = {
    "AWS.CloudTrail": [7],
    "AWS.VPCFlow": [9],
    "Apache.AccessCombined": [10],
    "Heroku.CLI": [8, 9],  # a syslog time, no dyno in brackets
    "Heroku.Router": [],  # a router line with few keys, an app line: the syslog header, then message
    "Heroku.Runtime": [24],
    "Nginx.Access": [10],
    "Syslog.RFC3164": [8, 10, 11],  # a year in the time, a four-letter month, no priority
    "Syslog.RFC5424": [],
}


@pytest.mark.parametrize("name", sorted(OUTLIERS))
def test_a_whole_sample_with_bad_lines_reports_them(tmp_path: Path, name: str) -> None:
    """Each line is an event or a reported outlier; the files still pass lint and their tests."""
    sample = sample_of(name)
    inferred = infer([str(sample)], "Custom.Whole", tmp_path, JSON_SCHEMA)
    assert [o.line for o in inferred.draft.outliers] == OUTLIERS[name]
    assert inferred.events + len(inferred.draft.outliers) == inferred.lines
    assert exit_code(lint_paths([tmp_path]), "warning") == 0
    assert all(r.passed for r in run_paths([tmp_path]))


# --- types of text values -------------------------------------------------------------------------

TEXT_TYPES = [
    ("n", ["1", "2", "300"], "int", (), ()),
    ("n", ["-5", "+7", "2147483647"], "int", (), ()),
    ("n", ["1", "3000000000"], "bigint", (), ()),
    ("n", ["1", "99999999999999999999"], "string", (), ()),
    ("n", ["1.5", "2", "-0.25", "1e3"], "float", (), ()),
    ("n", ["true", "False", "TRUE"], "boolean", (), ()),
    ("n", ["1", "0"], "int", (), ()),
    ("zip", ["007", "12"], "string", (), ()),
    ("t", ["2024-03-15T10:00:00Z", "2024-03-15T10:00:00.5+01:00"], "timestamp", ("rfc3339",), ()),
    ("t", ["10/Oct/2000:13:55:36 -0700"], "timestamp", ("%d/%b/%Y:%H:%M:%S %z",), ()),
    ("t", ["Mar  7 03:04:05", "Oct 11 22:14:15"], "timestamp", ("%b %e %H:%M:%S",), ()),
    ("t", ["2024-03-15 10:00:00,123"], "timestamp", ("%Y-%m-%d %H:%M:%S,%f",), ()),
    (
        "t",
        ["2024-03-15 10:00:00", "2024-03-15 10:00:00.25"],
        "timestamp",
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"),
        (),
    ),
    (
        "t",
        ["2024-03-15T10:00:00Z", "2024-03-15 10:00:00"],
        "timestamp",
        ("rfc3339", "%Y-%m-%d %H:%M:%S"),
        (),
    ),
    ("t", ["Mar 15, 2024, 10:15:00 AM"], "timestamp", ("%b %d, %Y, %I:%M:%S %p",), ()),
    ("d", ["2024-03-15", "2024-12-31"], "timestamp", ("%Y-%m-%d",), ()),
    ("start", ["1710496800", "1710496860"], "timestamp", ("unix",), ()),
    ("created", ["1710496800123"], "timestamp", ("unix_ms",), ()),
    ("n", ["1710496800", "1710496860"], "timestamp", ("unix",), ()),  # within a year of each other
    ("n", ["1710496800.25", "1710496860.5"], "timestamp", ("unix",), ()),
    ("bytes", ["1710496800", "3221225472"], "bigint", (), ()),  # years apart, no time in the name
    ("account", ["123456789012"], "string", (), ("aws_account_id",)),
    ("s", ["10.0.0.1", "2001:db8::1"], "string", (), ("ip",)),
    ("s", ["10.0.0.1", "ec2.amazonaws.com"], "string", (), ("hostname",)),
    ("s", ["https://example.com/a?b=1", "http://[::1]:80/"], "string", (), ("url",)),
    ("s", ["a@example.com", "b.c@example.org"], "string", (), ("email",)),
    ("s", ["d41d8cd98f00b204e9800998ecf8427e"], "string", (), ("md5",)),
    ("s", ["da39a3ee5e6b4b0d3255bfef95601890afd80709"], "string", (), ("sha1",)),
    ("s", ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"], "string", (), ("sha256",)),
    ("s", ["arn:aws:iam::123456789012:user/alice"], "string", (), ("aws_arn",)),
    ("s", ["i-0abcdef1234567890", "i-12345678"], "string", (), ("aws_instance_id",)),
    ("userName", ["alice", "bob"], "string", (), ("username",)),
    ("request_id", ["6cad4a26-8d11", "923a7369-94e3"], "string", (), ("trace_id",)),
    ("host_name", ["host", "web-1"], "string", (), ("hostname",)),
    ("user", ["alice smith"], "string", (), ()),  # a space: not a user name by name alone
    ("s", ["free text", "more text"], "string", (), ()),
    ("logger", ["com.acme.orders.OrderService", "org.hibernate.SQL"], "string", (), ()),  # no hostname
    ("t", ["2024-03-15 10:00:51.829 UTC"], "timestamp", ("%Y-%m-%d %H:%M:%S.%f %Z",), ()),  # Postgres
    ("t", ["15/Mar/2024:10:00:53.622"], "timestamp", ("%d/%b/%Y:%H:%M:%S.%f",), ()),  # HAProxy
]


@pytest.mark.parametrize(("name", "values", "kind", "formats", "indicators"), TEXT_TYPES)
def test_text_values_get_their_type(
    name: str, values: list[str], kind: str, formats: tuple[str, ...], indicators: tuple[str, ...]
) -> None:
    guess = guess_text(name, values)
    assert (guess.type, guess.time_formats, guess.indicators) == (kind, formats, indicators)
    assert guess.why


def test_json_strings_keep_digits_as_text() -> None:
    assert guess_text("version", ["1.09", "1.08"], numbers=False).type == "string"
    assert guess_text("id", ["12", "13"], numbers=False).type == "string"
    assert guess_text("t", ["2024-03-15T10:00:00Z"], numbers=False).time_formats == ("rfc3339",)


# --- tokens ---------------------------------------------------------------------------------------

PIECES = [
    ("<158>1", (("<", ">", ""), ("158", "1"))),
    ('path="/x y"', (("", '="', '"'), ("path", "/x y"))),
    ("sshd[2718]:", (("", "[", "]:"), ("sshd", "2718"))),
    ("at=info", (("", "=", ""), ("at", "info"))),
    ("web.5", (("", ""), ("web.5",))),
    ("-", (("", ""), ("-",))),
]


@pytest.mark.parametrize(("token", "expected"), PIECES)
def test_a_token_is_cut_at_its_punctuation(token: str, expected: tuple[tuple[str, ...], ...]) -> None:
    assert pieces(token) == expected


def test_quotes_brackets_and_times_are_whole_tokens() -> None:
    line = '<34>Oct  1 22:14:15 host [a b] "c \\" d" k="v w" end'
    found = tokenize(line)
    assert [t.text for t in found.tokens] == [
        "<34>",
        "Oct  1 22:14:15",
        "host",
        "[a b]",
        '"c \\" d"',
        'k="v w"',
        "end",
    ]
    assert found.lead + "".join(t.text + s for t, s in zip(found.tokens, found.seps, strict=True)) == line


# --- JSON lines -----------------------------------------------------------------------------------

JSON_SAMPLE = [
    {"ts": 1710496800123, "n": 1, "big": 1, "x": 1, "mixed": "a", "shape": {"a": 1},
     "obj": {"k": "v", "ip": "10.0.0.1"}, "tags": ["a", "b"], "p_note": "x", "none": None, "empty": {},
     "when": "2024-03-15T10:00:00Z"},
    {"ts": 1710496800456, "n": 2, "big": 3000000000, "x": 1.5, "mixed": 2, "shape": [1], "obj": {"k": "w"},
     "tags": [], "p_note": "y", "none": None, "empty": {}},
]  # fmt: skip

JSON_SHAPE = [
    "ts:timestamp[unix_ms]!*",
    "n:int!",
    "big:bigint!",
    "x:float!",
    "mixed:string!",
    "shape:json!",
    "obj:object(k:string! ip:string{ip})!",
    "tags:array<:string>!",
    "field_p_note:string!",
    "none:json",
    "empty:json!",
    "when:timestamp[rfc3339]",
]


def test_json_lines_types_merge_across_lines(tmp_path: Path) -> None:
    lines = [json.dumps(obj) for obj in JSON_SAMPLE]
    schema_file, schema = drafted(tmp_path, lines)
    assert parser_line(schema) == "json"
    assert shape(schema) == JSON_SHAPE
    assert "rename: {from: p_note}" in schema_file.read_text()
    assert_sound(tmp_path / "out", schema, lines)


def test_an_object_whose_keys_vary_is_kept_as_json(tmp_path: Path) -> None:
    lines = [json.dumps({"action": f"a{i}", "params": {f"key{i}": i, "common": "x"}}) for i in range(10)]
    _, schema = drafted(tmp_path, lines)
    assert shape(schema) == ["action:string!", "params:json!"]
    assert_sound(tmp_path / "out", schema, lines)


def test_a_value_the_engine_refuses_loosens_its_field(tmp_path: Path) -> None:
    """A JSON string that reads as a time in Python's view but not the engine's is not possible
    here, so a nested value of another shape is used: ``{"a": {}}`` then ``{"a": "x"}``."""
    lines = ['{"a": {"b": 1}}', '{"a": "x"}']
    _, schema = drafted(tmp_path, lines)
    assert shape(schema) == ["a:json!"]
    assert_sound(tmp_path / "out", schema, lines)


# --- CSV ------------------------------------------------------------------------------------------

CSV_CASES = [
    (
        ["name\tcount\twhen", "alice\t3\t2024-03-15T10:00:00Z", "bob\t4\t2024-03-15T10:00:01Z"],
        "csv '\\t' header=True name count when",
        ["name:string!", "count:int!", "when:timestamp[rfc3339]!*"],
    ),
    (
        ["10.0.0.1,GET,200", "10.0.0.2,POST,404", "10.0.0.3,GET,-"],
        "csv ',' header=False column_1 column_2 column_3",
        ["column_1:string{ip}!", "column_2:string!", "column_3:int"],
    ),
    (
        ["src-addr;Bytes Sent", "10.0.0.1;12", "10.0.0.2;13"],
        "csv ';' header=True src_addr Bytes_Sent",
        ["src_addr:string{ip}!", "Bytes_Sent:int!"],
    ),
]


@pytest.mark.parametrize(("lines", "parser", "fields"), CSV_CASES)
def test_csv_delimiter_header_and_columns(
    tmp_path: Path, lines: list[str], parser: str, fields: list[str]
) -> None:
    _, schema = drafted(tmp_path, lines)
    assert (parser_line(schema), shape(schema)) == (parser, fields)
    assert_sound(tmp_path / "out", schema, lines)


# --- text: a key=value application log ------------------------------------------------------------


def test_a_key_value_log_gives_one_field_per_key(tmp_path: Path) -> None:
    lines = read_lines(DATA / "app.log")
    _, schema = drafted(tmp_path, lines)
    assert parser_line(schema) == (
        'fastmatch %{timestamp} level=%{level} user=%{user} ip=%{ip} latency_ms=%{latency_ms} msg="%{msg}"'
    )
    assert shape(schema) == [
        "timestamp:timestamp[rfc3339]!*",
        "level:string!",
        "user:string{username}",
        "ip:string{ip}!",
        "latency_ms:int!",
        "msg:string!",
    ]
    assert_sound(tmp_path / "out", schema, lines)


def test_the_key_value_schema_is_written_exactly(tmp_path: Path) -> None:
    """The whole file, comments included: what a user reads first."""
    schema_file, _ = drafted(tmp_path, read_lines(DATA / "app.log"), "Custom.Acme.App")
    assert schema_file.read_text() == (DATA / "App.expected.yml").read_text()


# --- determinism, the CLI and its errors ----------------------------------------------------------


def test_each_file_of_a_csv_sample_has_its_header(tmp_path: Path) -> None:
    """Two files, each with its header line: the header is skipped in each, every row is an event."""
    for name, rows in (("a.csv", ["1,x,2024-03-15", "2,y,2024-03-16"]), ("b.csv", ["3,z,2024-03-17"])):
        (tmp_path / name).write_text("id,name,day\n" + "\n".join(rows) + "\n")
    inferred = infer(
        [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")], "Custom.Two", tmp_path / "out", JSON_SCHEMA
    )
    schema = load_schema_file(inferred.schema_file)
    assert parser_line(schema) == "csv ',' header=True id name day"
    assert shape(schema) == ["id:int!", "name:string!", "day:timestamp[%Y-%m-%d]!*"]
    assert (inferred.events, inferred.lines, inferred.draft.outliers) == (3, 3, [])
    assert exit_code(lint_paths([tmp_path / "out"]), "warning") == 0
    assert all(r.passed for r in run_paths([tmp_path / "out"]))


def test_two_runs_write_the_same_bytes(tmp_path: Path) -> None:
    written = []
    for run in ("a", "b"):
        subprocess.run(
            [NORMALIZE, "infer", str(DATA / "app.log"), str(sample_of("Heroku.Runtime")),
             str(CORPUS / "heroku.log"), "--name", "Custom.X", "--dir", str(tmp_path / run)],
            check=True, capture_output=True,
        )  # fmt: skip
        folder = tmp_path / run / "Custom"
        written.append([(p.name, p.read_bytes()) for p in sorted(folder.iterdir())])
    assert written[0] == written[1]
    assert [name for name, _ in written[0]] == ["X.tests.yml", "X.yml"]


def test_the_cli_explains_and_reports_outliers(tmp_path: Path) -> None:
    result = subprocess.run(
        [NORMALIZE, "infer", str(sample_of("Apache.AccessCombined")), "--name", "Custom.Web", "--dir",
         str(tmp_path), "--explain"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (  # a stray status ('2OO') and a request that is not one ('-') do not change the names
        'parser: fastmatch match[0]: %{ip} %{ident} %{user} [%{timestamp}] "%{request}" %{status} %{bytes} '
        '"%{referer}" "%{user_agent}"\n'
    ) in result.stdout
    assert "    ip: 100% of 9 values are IP addresses" in result.stdout
    assert result.stdout.endswith(f"try: normalize test {tmp_path / 'Custom'}\n")
    assert result.stderr.splitlines()[0] == (
        "normalize: 1 sample line the schema does not take (outliers; the first 1):"
    )


ERRORS = [
    (["--name", "custom.lower"], "normalize: schema name 'custom.lower' must be dotted parts that each "
     "start with an uppercase letter"),
    (["--name", "Custom.Exists"], "normalize: {dir}/Custom/Exists.yml exists already: not overwritten"),
    (["--name", "Custom.Empty", "{empty}"], "normalize: no sample lines in {empty}: give lines of the logs "
     "to infer from"),
    (["--name", "Custom.Missing", "{dir}/nope.log"], "normalize: cannot read {dir}/nope.log: No such file "
     "or directory"),
    (["--name", "Custom.Binary", "{binary}"], "normalize: {binary}: not UTF-8 text (byte 2)"),
    ([], "normalize: the following arguments are required: --name (see 'normalize infer --help')"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_an_error_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("\n  \n")
    binary = tmp_path / "binary.log"
    binary.write_bytes(b"ab\xff\n")
    (tmp_path / "Custom").mkdir()
    (tmp_path / "Custom" / "Exists.yml").write_text("schema: Custom.Exists\n")
    given = [a.format(dir=tmp_path, empty=empty, binary=binary) for a in args]
    if not any(a.endswith(".log") for a in given):
        given.insert(0, str(DATA / "app.log"))
    result = subprocess.run(
        [NORMALIZE, "infer", *given, "--dir", str(tmp_path)], capture_output=True, text=True, check=False
    )
    expected = message.format(dir=tmp_path, empty=empty, binary=binary)
    assert (result.returncode, result.stderr) == (2, expected + "\n")


TEXT_CASES = [
    (  # a time holding a space, followed by more text: fastmatch cannot cut it, a regex can
        [
            "2024-03-15 10:00:00,123 INFO orders: created order 17 for alice",
            "2024-03-15 10:00:01,007 WARNING payments: card declined for bob",
            "2024-03-15 10:00:02,450 INFO orders: shipped order 12",
            "2024-03-15 10:00:03,999 ERROR db: connection reset",
        ],
        "regex ^(?P<timestamp>[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?"
        "(?:Z|[+-][0-9]{2}:?[0-9]{2}| [A-Z]{3})?) (?P<level>[^ ]*) (?P<logger>[^:]*): (?P<message>.*)$",
        [
            "timestamp:timestamp[%Y-%m-%d %H:%M:%S,%f]!*",
            "level:string!",
            "logger:string!",
            "message:string!",
        ],
    ),
    (  # literal text that looks like a placeholder is cut at its braces
        ["a %{x} 1", "b %{y} 2", "c %{z} 3"],
        "fastmatch %{field_1} %{field_2}{%{field_3}} %{field_4}",
        ["field_1:string!", "field_2:string!", "field_3:string!", "field_4:int!"],
    ),
    (  # one line: no group is large enough; the generic template takes it, up to the nil '-'
        ["<13>1 2024-03-15T10:00:00Z web-1 app - hello world"],
        "fastmatch <%{priority}>%{version} %{timestamp} %{hostname} %{app_name} %{proc_id} %{message}",
        [
            "priority:int!",
            "version:int!",
            "timestamp:timestamp[rfc3339]!*",
            "hostname:string{hostname}!",
            "app_name:string!",
            "proc_id:string",
            "message:string!",
        ],
    ),
    (  # a constant value after a key is still a value; a unit every value ends in is literal text
        [
            "at=info connect=1ms size=1.5KB took 12 ms",
            "at=info connect=20ms size=3.25KB took 7 ms",
            "at=info connect=0ms size=10KB took 9 ms",
        ],
        "fastmatch at=%{at} connect=%{connect}ms size=%{size}KB took %{took} ms",
        ["at:string!", "connect:int!", "size:float!", "took:int!"],
    ),
    (  # integers joined by '/' are cut and typed; a date is not
        ["t=0/12/3 d=03/15/2024", "t=1/7/-1 d=03/16/2024", "t=2/0/14 d=03/17/2024"],
        "fastmatch t=%{t}/%{field_2}/%{field_3} d=%{d}",
        ["t:int!", "field_2:int!", "field_3:int!", "d:string!"],
    ),
    (  # units that differ from line to line stay in the value: a string
        ["wait=1ms", "wait=2s", "wait=3ms"],
        "fastmatch wait=%{wait}",
        ["wait:string!"],
    ),
    (  # keys that differ from line to line are never placeholders: the rest is the message
        ["<13>1 2024-03-15T10:00:00Z web-1 app 12 - user=alice x=1"]
        + [f"<13>1 2024-03-15T10:00:0{i}Z web-1 app 12 - {k}=v{i} y=2" for i, k in enumerate("abcdef")],
        "fastmatch <%{priority}>%{version} %{timestamp} %{hostname} %{app_name} %{proc_id} %{msg_id} "
        "%{message}",
        [
            "priority:int!",
            "version:int!",
            "timestamp:timestamp[rfc3339]!*",
            "hostname:string{hostname}!",
            "app_name:string!",
            "proc_id:int!",
            "msg_id:string",
            "message:string!",
        ],
    ),
]


@pytest.mark.parametrize(("lines", "parser", "fields"), TEXT_CASES)
def test_text_templates(tmp_path: Path, lines: list[str], parser: str, fields: list[str]) -> None:
    _, schema = drafted(tmp_path, lines)
    assert (parser_line(schema), shape(schema)) == (parser, fields)
    assert_sound(tmp_path / "out", schema, lines)


# --- text: a corpus of common log formats ---------------------------------------------------------

CORPUS = DATA / "corpus"
EXPECTED = parse_yaml((CORPUS / "expected.yml").read_text(encoding="utf-8"), "expected.yml").data
CORPUS_FIGURE = (95, 107)  # 43 of 107 before names from context, units and tags
"""Fields of ``expected.yml``'s ``fields:`` the drafts have, named and typed alike, of all listed."""


def names_types(schema: Schema) -> list[str]:
    """Each top-level field as ``name:type``."""
    return [f"{f.name}:{f.value.type}" for f in schema.fields]


def corpus_draft(tmp_path: Path, sample: str) -> tuple[Path, Schema, list[int]]:
    """Infer on a corpus sample: the folder written, the schema, the outlier line numbers."""
    inferred = infer([str(CORPUS / sample)], "Custom.Corpus", tmp_path / "out", JSON_SCHEMA)
    outliers = [o.line for o in inferred.draft.outliers]
    return tmp_path / "out", load_schema_file(inferred.schema_file), outliers


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_a_corpus_sample_is_named_and_typed(tmp_path: Path, sample: str) -> None:
    """The fields, named and typed as expected (or as the known gap says); lint clean, its own tests
    pass, and every line but the expected outliers becomes an event."""
    entry = EXPECTED[sample]
    folder, schema, outliers = corpus_draft(tmp_path, sample)
    assert names_types(schema) == entry.get("got", entry["fields"])
    assert outliers == entry.get("outliers", [])
    lines = [line for n, line in enumerate(read_lines(CORPUS / sample), 1) if n not in outliers]
    assert_sound(folder, schema, lines)
    event_times = [f.name for f in schema.fields if f.value.is_event_time]
    assert event_times == ([entry["event_time"]] if entry.get("event_time") else [])


def test_the_corpus_figure(tmp_path: Path) -> None:
    """How many of the expected fields the drafts name and type alike: the README's figure."""
    found = total = 0
    for n, sample in enumerate(sorted(EXPECTED)):
        _, schema, _ = corpus_draft(tmp_path / str(n), sample)
        drafted_fields = set(names_types(schema))
        wanted = EXPECTED[sample]["fields"]
        found += sum(1 for f in wanted if f in drafted_fields)
        total += len(wanted)
    assert (found, total) == CORPUS_FIGURE


@pytest.mark.parametrize(
    ("line", "tokens"),
    [
        ("[" * 100_000, 99_999),  # no ']': each '[' once, not a scan to the end for each
        ('"' + '\\"' * 50_000, 1),  # no closing quote, every later one escaped
        ('["' * 50_000, 25_000),
    ],
)
def test_tokenizing_a_hostile_line_takes_one_pass(line: str, tokens: int) -> None:
    """Such lines took minutes (a scan to the end of the line from each '[' or '"'); the tokens
    joined back still give the line."""
    found = tokenize(line)
    assert len(found.tokens) == tokens
    assert found.lead + "".join(t.text + sep for t, sep in zip(found.tokens, found.seps, strict=True)) == line
