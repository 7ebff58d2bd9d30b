"""The ``normalize`` command: a thin shell over ``Registry``, ``Normalizer`` and ``pipeline.Run``.

``normalize --schema NAME [FILE ...]`` reads files (or stdin), writes events as NDJSON to stdout or
``-o``, rejects to ``--rejects`` or stderr, and a summary to stderr. ``normalize schemas`` lists the
schemas found. Exit codes: 0 success (a closed stdout, as ``| head`` closes it, ends a run quietly),
1 with ``--strict`` when anything was rejected, 2 for usage and schema errors, an input that could
not be read and an output that could not be written, 128 + the signal for SIGINT (130) and SIGTERM
(143). Every error a user can cause is a ``NormalizeError`` caught in ``main``: one line on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import stat
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from . import options
from .allocator import keep_freed_memory
from .batch import DEFAULT_MAX_LINE_BYTES, is_utf8, raw_field
from .compiler import DEFAULT_REGEX_TIMEOUT
from .errors import NormalizeError
from .lake import MAX_FILE_BYTES, Lake, LakeSinks
from .normalizer import Normalizer
from .options import MAX_BYTES, MAX_SECONDS, MAX_WORKERS, MIN_REGEX_SECONDS, Bound
from .parallel import available_cores
from .pipeline import STDIN, Interrupted, OnRead, OutputError, Run, Stop, WorkerError, shown
from .reader import FRAMINGS, LINES
from .registry import ENV_VAR, Registry, search_path
from .sinks import NDJSONSink, Sink, cut_torn_tail, invalid_records
from .spec import Schema
from .values import encode_event

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2
FORMATS = ("ndjson", "parquet")
ROW_GROUP_ROWS = 64 << 10
"""``parquet.ROW_GROUP_ROWS``, repeated: the help must not import pyarrow."""
JSON_SCHEMA = Path(__file__).with_name("schema.json")
PROG = "normalize"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as ``NormalizeError`` (exit 2 through ``main``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise NormalizeError(f"{message} (see '{self.prog} --help')")


def _run_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Normalize raw logs into typed NDJSON events with a Panther-style schema.",
        epilog="Other commands: 'normalize schemas' lists the schemas found; "
        "'normalize explain -s NAME LINE' shows how a line goes through a schema; "
        "'normalize json-schema' prints the JSON Schema of schema files; "
        "'normalize new-schema NAME' writes a schema skeleton with test cases; "
        "'normalize infer SAMPLE... --name NAME' drafts a schema and its test cases from sample lines; "
        "'normalize playground [SCHEMA]' opens a local page to write a schema against a sample; "
        "'normalize test [PATH]' runs the test cases beside schemas; "
        "'normalize lint [PATH]' checks schema files; 'normalize repair FILE' cuts the torn last record a "
        "killed run may leave; 'normalize help COMMAND' shows a command's options.",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="input files ('-' or none: stdin, read as lines arrive); gzip is recognised by its content",
    )
    p.add_argument(
        "-s",
        "--schema",
        action="append",
        required=True,
        metavar="NAME",
        help="the schema to use, e.g. Heroku.Runtime; repeat it, or give a glob ('Syslog.*'), to classify "
        "each line by the first schema, in the order given, that takes it",
    )
    _add_schema_folders(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write events here instead of stdout")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write events and rejects to a lake: DIR/events/p_log_type=<log type>/year=YYYY/month=MM/"
        "day=DD/hour=HH/<writer>.ndjson (or .parquet), DIR/rejects/schema=<schema>/..., each batch "
        "fsynced (the layout of normalize serve)",
    )
    p.add_argument("--rejects", metavar="FILE", help="write rejects here (NDJSON) instead of stderr")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="ndjson",
        help="ndjson (the default), or parquet: a lake of Parquet files under --out DIR, each file "
        "written under a hidden name and renamed into place when whole (needs normalize[parquet])",
    )
    p.add_argument(
        "--row-group-rows",
        type=int,
        metavar="N",
        help=f"with --format parquet: rows of a Parquet row group (default {ROW_GROUP_ROWS})",
    )
    p.add_argument(
        "--max-file-bytes",
        type=int,
        metavar="N",
        help=f"with --out: a lake file past this many bytes rolls over (default {MAX_FILE_BYTES})",
    )
    p.add_argument(
        "--max-file-rows",
        type=int,
        metavar="N",
        help="with --format parquet: a file past this many rows rolls over to the next (default: no limit)",
    )
    p.add_argument(
        "--checkpoint-seconds",
        type=float,
        metavar="SECONDS",
        help="with --format parquet: make rows visible (finalize the files) at the first batch this long "
        "after the last time, so live input shows while it flows; 0: only when files fill and at the "
        "end (default 60)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when any line was rejected")
    p.add_argument("--source-id", default="", help="value of p_source_id")
    p.add_argument("--source-label", default="", help="value of p_source_label")
    p.add_argument(
        "--invalid-utf8",
        choices=("reject", "replace"),
        default="reject",
        help="what a line that is not valid UTF-8 becomes (default: reject, keeping its bytes)",
    )
    p.add_argument(
        "--max-line-bytes",
        type=int,
        default=DEFAULT_MAX_LINE_BYTES,
        help=f"longer lines are rejected as line_too_long (default {DEFAULT_MAX_LINE_BYTES})",
    )
    p.add_argument(
        "--framing",
        choices=FRAMINGS,
        default=LINES,
        help="how input is cut into records: lines (the default), or octet-counted frames "
        "(RFC 6587, as in a Heroku drain body; each frame one record, inner newlines kept)",
    )
    p.add_argument(
        "--regex-timeout",
        type=float,
        default=DEFAULT_REGEX_TIMEOUT,
        metavar="SECONDS",
        help=f"time budget of one regex search; a line over it is a regex_timeout reject "
        f"(default {DEFAULT_REGEX_TIMEOUT:g})",
    )
    p.add_argument(
        "-w",
        "--workers",
        type=int,
        metavar="N",
        help="workers: threads with the C accelerator, else processes (default: all cores for 32 MiB "
        "or more of files, else 1); order is kept",
    )
    p.add_argument(
        "--no-fast-path",
        action="store_true",
        help="run every line through the generated Python code, not the C accelerator (same output)",
    )
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")
    p.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    p.add_argument("--debug-codegen", action="store_true", help="print the generated line function and exit")
    return p


def _add_schema_folders(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--schemas",
        action="append",
        default=[],
        metavar="DIR",
        help=f"a folder of schema files (repeatable); ${ENV_VAR} adds more; bundled schemas come last",
    )


_CLOSED: set[str] = set()
"""The standard streams that were closed when the program started (``<&-``, ``2>&-``)."""


def _reopen_closed_streams() -> None:
    """Give a closed standard stream ``/dev/null`` (Python leaves it ``None``), and remember it: a
    run that needs it refuses to start; one that does not (inputs and outputs all files) runs."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        setattr(sys, name, open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False))  # noqa: SIM115
        _CLOSED.add(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    _reopen_closed_streams()
    try:
        if args and args[0] == "schemas":
            return _list_schemas(args[1:])
        if args and args[0] == "explain":
            return _explain(args[1:])
        if args and args[0] == "json-schema":
            _Parser(
                prog=f"{PROG} json-schema", description="Print the JSON Schema of schema files."
            ).parse_args(args[1:])
            sys.stdout.write(JSON_SCHEMA.read_text(encoding="utf-8"))
            return EXIT_OK
        if args and args[0] == "new-schema":
            return _new_schema(args[1:])
        if args and args[0] == "infer":
            return _infer(args[1:])
        if args and args[0] == "test":
            return _test(args[1:])
        if args and args[0] == "lint":
            return _lint(args[1:])
        if args and args[0] == "help":
            return _help(args[1:])
        if args and args[0] == "repair":
            return _repair(args[1:])
        if args and args[0] == "serve":
            from .serve.command import main as serve_main  # noqa: PLC0415 - a subcommand's imports, not the run's

            return serve_main(args[1:])
        if args and args[0] == "playground":
            from .playground.command import main as playground_main  # noqa: PLC0415 - as serve

            return playground_main(args[1:])
        return _normalize(args)
    except NormalizeError as exc:
        with contextlib.suppress(OSError):
            print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a file that cannot be opened, read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _version() -> str:
    from importlib import metadata  # noqa: PLC0415 - a subcommand's imports, not the run's

    try:
        return metadata.version("normalize")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _help(argv: list[str]) -> int:
    """``normalize help [COMMAND]``: the help of the run, or of a subcommand."""
    if argv:
        return main([argv[0], "--help"])
    _run_parser().print_help()
    return EXIT_OK


def _repair(argv: list[str]) -> int:
    """``normalize repair FILE...``: after a kill, cut a torn last record and check the rest."""
    p = _Parser(
        prog=f"{PROG} repair",
        description="Check NDJSON outputs of a run that was killed (SIGKILL, a crash): cut a torn last "
        "record, and report any line that is not JSON. Exit 1 when such a line remains.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="events or rejects files")
    args = p.parse_args(argv)
    status = EXIT_OK
    for name in args.files:
        cut = cut_torn_tail(name)
        bad = list(invalid_records(name))
        done = f"cut a torn last record of {cut:,} bytes" if cut else "no torn last record"
        checked = f"{len(bad):,} lines are not JSON" if bad else "every line is JSON"
        print(f"{shown(name)}: {done}; {checked}")
        for number in bad[:10]:
            print(f"{shown(name)}:{number}: not a JSON value")
        if bad:
            status = EXIT_REJECTS
    return status


def _list_schemas(argv: list[str]) -> int:
    p = _Parser(prog=f"{PROG} schemas", description="List the schemas found, and the file of each.")
    _add_schema_folders(p)
    args = p.parse_args(argv)
    registry = Registry(search_path(args.schemas))
    for name in registry.names():
        for file in registry.files[name]:
            print(f"{name}\t{file}")
    for problem in registry.problems:
        print(f"{PROG}: {problem}", file=sys.stderr)
    return EXIT_USAGE if registry.problems else EXIT_OK


def _lint(argv: list[str]) -> int:
    from . import lint  # noqa: PLC0415 - a subcommand's imports, not the run's

    p = _Parser(
        prog=f"{PROG} lint", description="Check schema files; every problem at FILE:LINE:COL, in one pass."
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="schema files or folders (default: the schema folders)"
    )
    _add_schema_folders(p)
    p.add_argument("--format", choices=lint.FORMATS, default="text", help="how to write the findings")
    p.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="exit 1 at or above this (default: error)",
    )
    args = p.parse_args(argv)
    findings = lint.lint_paths(args.paths or search_path(args.schemas))
    sys.stdout.write(lint.render(findings, args.format))
    return lint.exit_code(findings, args.fail_on)


def _test(argv: list[str]) -> int:
    from . import schematest  # noqa: PLC0415 - a subcommand's imports, not the run's

    p = _Parser(
        prog=f"{PROG} test",
        description="Run the test cases beside each schema (NAME.tests.yml next to NAME.yml).",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="test files or folders (default: the schema folders)"
    )
    _add_schema_folders(p)
    args = p.parse_args(argv)
    paths = args.paths or search_path(args.schemas)
    results = schematest.run_paths(paths)
    if not results:
        raise NormalizeError(f"no test cases found in {', '.join(map(str, paths))}")
    print(schematest.render(results))
    return EXIT_OK if all(r.passed for r in results) else EXIT_REJECTS


def _new_schema(argv: list[str]) -> int:
    from .scaffold import new_schema  # noqa: PLC0415 - a subcommand's imports, not the run's

    p = _Parser(prog=f"{PROG} new-schema", description="Write a working schema skeleton and its test cases.")
    p.add_argument("name", metavar="NAME", help="the schema name, e.g. Custom.Acme.Audit")
    p.add_argument("--dir", default=".", metavar="DIR", help="where to write it (default: here)")
    args = p.parse_args(argv)
    print(new_schema(args.name, Path(args.dir), JSON_SCHEMA).message())
    return EXIT_OK


def _infer(argv: list[str]) -> int:
    from .infer import infer  # noqa: PLC0415 - a subcommand's imports, not the run's

    p = _Parser(
        prog=f"{PROG} infer",
        description="Draft a working schema and its test cases from sample lines (JSON lines, CSV or text).",
    )
    p.add_argument("samples", nargs="+", metavar="SAMPLE", help="files of sample lines")
    p.add_argument("--name", required=True, metavar="NAME", help="the schema name, e.g. Custom.Acme.App")
    p.add_argument("--dir", default=".", metavar="DIR", help="where to write it (default: here)")
    p.add_argument(
        "--explain", action="store_true", help="print why each type, format, indicator and pattern was chosen"
    )
    args = p.parse_args(argv)
    inferred = infer(args.samples, args.name, Path(args.dir), JSON_SCHEMA)
    if args.explain:
        print("\n".join(inferred.explanation))
    for line in inferred.outlier_report():
        print(f"{PROG}: {line}", file=sys.stderr)
    print(inferred.message())
    return EXIT_OK


def _explain(argv: list[str]) -> int:
    from .explain import Explainer, render  # noqa: PLC0415 - a subcommand's imports, not the run's

    p = _Parser(
        prog=f"{PROG} explain",
        description="Show how lines go through a schema, field by field, and where they fail.",
    )
    p.add_argument("lines", nargs="*", metavar="LINE", help="lines to explain (none: read stdin)")
    p.add_argument("-s", "--schema", action="append", required=True, metavar="NAME", help="as for normalize")
    _add_schema_folders(p)
    p.add_argument("--json", action="store_true", help="one JSON document per line, for tools")
    args = p.parse_args(argv)
    explainer = Explainer(Normalizer(_load_schemas(args)))
    # Bytes, as a run reads them: a line that is not UTF-8 is explained as the run treats it.
    lines = [os.fsencode(line) for line in args.lines] or sys.stdin.buffer.read().split(b"\n")
    if not args.lines and lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the input
    rejected = False
    for number, line in enumerate(lines, 1):
        explanations = explainer.explain(line.removesuffix(b"\r"))
        rejected |= not any("event" in e.result for e in explanations)
        if args.json:
            doc = {"line": number, **raw_field(line), "schemas": [e.to_dict() for e in explanations]}
            sys.stdout.buffer.write(encode_event(doc) + b"\n")  # values of any depth, as a run writes them
        else:
            print(render(explanations, number))
    return EXIT_REJECTS if rejected else EXIT_OK


def _normalize(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    _check_options(args)
    schemas = _load_schemas(args)
    options = {
        "source_id": args.source_id,
        "source_label": args.source_label,
        "invalid_utf8": args.invalid_utf8,
        "regex_timeout": args.regex_timeout,
        "fast_path": not args.no_fast_path,
    }
    normalizer = Normalizer(schemas, **options)
    if args.debug_codegen:
        compiled = normalizer.classifier or (normalizer.compiled,)
        if None in compiled:
            raise NormalizeError(
                f"{normalizer.name} is compiled for each file's CSV header: no code to show yet"
            )
        sys.stdout.write("\n".join(c.source for c in compiled if c is not None))
        return EXIT_OK
    files = args.files or [STDIN]
    if args.out is not None and (args.output is not None or args.rejects is not None):
        raise NormalizeError("--out writes events and rejects to its lake: not with -o or --rejects")
    for stream, needed, what in (
        ("stdin", STDIN in files, "give input files"),
        ("stdout", args.output is None and args.out is None, "events need -o FILE"),
        ("stderr", args.rejects is None and args.out is None, "rejects need --rejects FILE"),
    ):
        if needed and stream in _CLOSED:
            raise NormalizeError(f"{stream} is closed: {what}")
    if args.out is None:
        _check_paths(files, [args.output or sys.stdout.fileno(), args.rejects or sys.stderr.fileno()])
    else:
        _check_paths(files, [])
    keep_freed_memory()
    ended: BaseException | None = None
    with contextlib.ExitStack() as stack:
        if args.out is None:
            events: Sink = _sink(stack, args.output, sys.stdout)
            rejects: Sink = _sink(stack, args.rejects, sys.stderr)
        elif args.format == "parquet":
            events, rejects = _parquet_sinks(stack, args, schemas)
        else:
            lake = stack.enter_context(Lake(args.out, max_file_bytes=args.max_file_bytes or MAX_FILE_BYTES))
            for path, lost in lake.recover():
                print(
                    f"{PROG}: {path}: cut {lost} bytes of a torn record left by a killed writer",
                    file=sys.stderr,
                )
            sinks = LakeSinks(lake)
            events, rejects = sinks.events, sinks.rejects
        stop = stack.enter_context(Stop())
        run = Run(
            normalizer,
            events,
            rejects,
            workers=args.workers or _default_workers(files),
            max_line_bytes=args.max_line_bytes,
            framing=args.framing,
            stop=stop,
            on_read=_progress(stack),
        )
        try:
            run.feed(files)
        except (Interrupted, OutputError, WorkerError) as exc:
            ended = exc
    status = _report(args, run, ended)
    if run.abandoned:  # killed workers may have left the pool waiting: exit without waiting for it
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)
    return status


def _parquet_sinks(
    stack: contextlib.ExitStack, args: argparse.Namespace, schemas: list[Schema]
) -> tuple[Sink, Sink]:
    """The sinks of ``--format parquet``: a Parquet lake under ``--out``, hidden files of killed
    writers removed first."""
    from .parquet import CHECKPOINT_SECONDS, ParquetLake, ParquetSinks  # noqa: PLC0415 - pyarrow only for parquet

    lake = stack.enter_context(
        ParquetLake(
            args.out,
            row_group_rows=args.row_group_rows or ROW_GROUP_ROWS,
            max_file_bytes=args.max_file_bytes or MAX_FILE_BYTES,
            max_file_rows=args.max_file_rows,
        )
    )
    for path in lake.recover():
        print(f"{PROG}: {path}: removed a hidden file left by a killed writer", file=sys.stderr)
    seconds = CHECKPOINT_SECONDS if args.checkpoint_seconds is None else args.checkpoint_seconds
    sinks = stack.enter_context(ParquetSinks(lake, schemas, checkpoint_seconds=seconds))  # before the lake
    return sinks.events, sinks.rejects


def _check_format(args: argparse.Namespace) -> None:
    """``--format`` and the options that go with it; pyarrow present for parquet."""
    if args.format == "parquet":
        if args.out is None:
            raise NormalizeError("--format parquet writes a lake: give --out DIR")
        if args.output is not None or args.rejects is not None:
            raise NormalizeError("--format parquet writes to its lake under --out: not with -o or --rejects")
        try:
            import pyarrow  # noqa: F401, PLC0415 - only parquet runs need it
        except ImportError:
            raise NormalizeError("--format parquet needs pyarrow: pip install 'normalize[parquet]'") from None
    else:
        for option in ("row_group_rows", "max_file_rows", "checkpoint_seconds"):
            if getattr(args, option) is not None:
                raise NormalizeError(f"--{option.replace('_', '-')} is for --format parquet")
        if args.max_file_bytes is not None and args.out is None:
            raise NormalizeError("--max-file-bytes is for a lake: give --out DIR")


RUN_BOUNDS: Final = (
    Bound("max_line_bytes", 1, MAX_BYTES),
    Bound("workers", 1, MAX_WORKERS),
    Bound("regex_timeout", MIN_REGEX_SECONDS, MAX_SECONDS, seconds=True),
    Bound("row_group_rows", 1, 1 << 30),
    Bound("max_file_bytes", 1, 1 << 50),
    Bound("max_file_rows", 1, 1 << 50),
    Bound("checkpoint_seconds", 0, 86400, seconds=True),
)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse values that would mean something else than they say, before anything starts."""
    _check_format(args)
    options.check(args, RUN_BOUNDS)
    for option in ("source_id", "source_label"):
        value = getattr(args, option)
        if not is_utf8(value):
            raise NormalizeError(f"--{option.replace('_', '-')} is not valid UTF-8: {shown(value)}")


def _sink(stack: contextlib.ExitStack, name: str | None, stream: TextIO) -> NDJSONSink:
    """The sink for ``-o``/``--rejects``: the file named, else the standard stream."""
    if name is None:
        stream.flush()
        return NDJSONSink(stream.fileno(), stream.name.strip("<>"))
    file = stack.enter_context(open(name, "wb"))  # noqa: SIM115 - the ExitStack closes it
    return NDJSONSink(file.fileno(), shown(name))


def _report(args: argparse.Namespace, run: Run, ended: BaseException | None) -> int:
    """The summary and the errors of a run on stderr, and its exit code."""
    if run.stop.signum is not None and not isinstance(ended, Interrupted):
        ended = Interrupted(run.stop.signum)  # it came while a write blocked: it is what stopped us
    if isinstance(ended, OutputError) and ended.error.errno == errno.EPIPE and ended.sink.fd == 1:
        # The reader of our events went away (`| head`): the one quiet way to stop early.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    lines = [f"{PROG}: {error}" for error in run.failed]
    lines += [] if args.quiet else [_summary(run)]
    lines += [
        f"{PROG}: {name}: {count:,} lines were not tried (regex_timeout rejects): its regex used up "
        "its time budget"
        for name, count in sorted(run.totals.untried.items())
    ]
    status = EXIT_REJECTS if args.strict and run.totals.rejects else EXIT_OK
    if run.failed:
        status = EXIT_USAGE
    if isinstance(ended, Interrupted):
        lines.append(f"{PROG}: stopped by {signal.Signals(ended.signum).name}: {_where(run)}")
        status = 128 + ended.signum
    elif isinstance(ended, (OutputError, WorkerError)):
        lines.append(f"{PROG}: {ended}; {_where(run)}")
        status = EXIT_USAGE
    with contextlib.suppress(OSError):  # stderr itself may be the broken output
        for line in lines:
            print(line, file=sys.stderr)
    return status


def _where(run: Run) -> str:
    """Up to where events and rejects are complete, for a rerun to start after."""
    if run.position is None:
        return "nothing was written"
    source, line = run.position
    return f"events and rejects are complete up to line {line} of {shown(source)}"


def _summary(run: Run) -> str:
    totals = run.totals
    seconds = time.perf_counter() - run.started
    rate = totals.lines / seconds if seconds > 0 else 0.0
    types = _kinds(totals.log_types) if len(totals.log_types) > 1 else ""
    rejects = f"{totals.rejects:,} rejects{_kinds(totals.reasons)}"
    skipped = f"{sum(totals.skipped.values()):,} skipped{_kinds(totals.skipped)}"
    records = "lines" if run.framing == LINES else "frames"
    return (
        f"{PROG}: {totals.lines:,} {records}: {totals.events:,} events{types}, {rejects}, {skipped} "
        f"in {seconds:.2f} s ({rate:,.0f} {records}/s)"
    )


def _check_paths(inputs: list[str], outputs: list[str | int]) -> None:
    """Refuse what would fail late or destroy data, before anything is written: an input that
    cannot be opened, a folder, an output (a name, or the descriptor of stdout or stderr) that is an
    input, or that is the other output through another open file (their records would overwrite
    each other's; `> log 2>&1`, one open file for both, is fine)."""
    read: dict[object, str] = {}
    for name in inputs:
        if name != STDIN:
            _check_readable(name)
        identity = _file_identity(sys.stdin.fileno() if name == STDIN else name)
        if identity is not None:
            read.setdefault(identity, "stdin" if name == STDIN else shown(name))
    written: dict[object, str | int] = {}
    for output in outputs:
        identity = _file_identity(output)
        if identity is None:
            continue  # /dev/null, a terminal, a pipe: two writers of whole lines may share it
        label = _STREAMS.get(output, "") if isinstance(output, int) else shown(output)
        if identity in read:
            if isinstance(output, int) or read[identity] == "stdin":
                raise NormalizeError(f"{label} is the input {read[identity]}: the run would destroy it")
            raise NormalizeError(f"{label} is both an input and an output, or written twice")
        other = written.get(identity)
        if other is not None:
            if isinstance(other, int) and isinstance(output, int) and _one_open_file(other, output):
                continue
            if isinstance(other, int) or isinstance(output, int):
                first = _STREAMS[other] if isinstance(other, int) else shown(other)
                raise NormalizeError(
                    f"{first} and {label} are one file: their records would overwrite each other"
                )
            raise NormalizeError(f"{label} is both an input and an output, or written twice")
        written[identity] = output


_STREAMS = {1: "stdout", 2: "stderr"}


def _check_readable(name: str) -> None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block here
    except OSError as exc:
        raise NormalizeError(f"cannot read {shown(name)}: {exc.strerror}") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise NormalizeError(f"cannot read {shown(name)}: a folder, not a file")
    finally:
        os.close(fd)


def _one_open_file(a: int, b: int) -> bool:
    """Whether descriptors ``a`` and ``b`` of one regular file share one open file (one offset, as
    after ``2>&1``): moving one's offset moves the other's."""
    where = os.lseek(a, 0, os.SEEK_CUR)
    try:
        os.lseek(a, where + 1, os.SEEK_SET)
        return os.lseek(b, 0, os.SEEK_CUR) == where + 1
    finally:
        os.lseek(a, where, os.SEEK_SET)


def _file_identity(name: str | int) -> object | None:
    """What makes two names one regular file: device and inode, or, for a file yet to be made,
    its resolved path; ``None`` for what is not a regular file. An ``int`` is an open descriptor."""
    try:
        status = os.fstat(name) if isinstance(name, int) else os.stat(name)
    except FileNotFoundError:
        return os.path.realpath(name)
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if stat.S_ISREG(status.st_mode) else None


def _load_schemas(args: argparse.Namespace) -> list[Schema]:
    """The schemas ``--schema`` names (globs expanded), found in ``--schemas`` and the defaults."""
    return Registry(search_path(args.schemas)).load_all(args.schema)


PARALLEL_MIN_BYTES = 32 << 20
"""Below this much input (in regular files), starting worker processes costs more than it saves."""


def _default_workers(files: list[str]) -> int:
    """All cores when the input is regular files of at least 32 MiB in all; else one process."""
    if "-" in files:
        return 1
    size = sum(Path(name).stat().st_size for name in files if Path(name).is_file())
    return available_cores() if size >= PARALLEL_MIN_BYTES else 1


def _progress(stack: contextlib.ExitStack) -> OnRead | None:
    """A progress bar on stderr for each regular file read, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm  # noqa: PLC0415 - only a person watching a terminal needs it

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked after this
    bars: dict[str, Any] = {}

    def on_read(name: str, position: int, size: int) -> None:
        if name not in bars:
            for bar in bars.values():
                bar.close()
            bars.clear()
            bars[name] = stack.enter_context(
                tqdm(
                    total=size, unit="B", unit_scale=True, desc=Path(name).name, leave=False, file=sys.stderr
                )
            )
        bar = bars[name]
        bar.update(position - bar.n)

    return on_read


def _kinds(counts: Counter[str]) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items())) + ")"


if __name__ == "__main__":
    sys.exit(main())
