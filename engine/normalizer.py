"""The batch API: lines in, events and rejects out, every line accounted for.

``Normalizer`` is what the CLI, the HTTP drain and a distributed engine call: compile a schema once,
then hand it batches of lines. Each line ends as exactly one event, one ``Reject`` (raw text kept,
with a stable reason), or one counted skip (blank line, ``skipPrefix``, ``skipLines``), so
``lines == len(events) + len(rejects) + sum(skipped.values())`` holds for every ``Batch``.
"""

from __future__ import annotations

import copy
import gc
import heapq
import operator
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial, reduce
from itertools import groupby
from typing import Any, Final

import orjson

from . import errors, plan
from .batch import (
    BLANK,
    DEFAULT_MAX_LINE_BYTES,
    HEADER,
    SKIP_LINES,
    SKIP_PREFIX,
    Batch,
    Encoded,
    Line,
    Oversized,
    Reject,
    encode_rejects,
    oversized,
)
from .compiler import DEFAULT_REGEX_TIMEOUT, SKIP, CompiledSchema, compile_schema, make_row_ids
from .decisions import Decision
from .errors import BadValue, InvalidJSON, NormalizeError, RegexTimeout
from .framing import Broken, Frame, Frames, RawFrames, split_frames
from .parsers.csv import read_header
from .reader import decode_line, split_lines
from .rules import RuleFailed
from .spec import Schema
from .timestamps import format_ns
from .values import encode_event
from .whitespace import is_blank


class Normalizer:
    """One schema compiled once, used for any number of batches.

    ``invalid_utf8`` chooses what a line that is not valid UTF-8 becomes: ``"reject"`` (the default:
    a reject keeping the exact bytes) or ``"replace"`` (decoded with U+FFFD and normalized).
    ``fast_path=False`` keeps ``encode_block`` off the C accelerator (``engine.plan``), for
    comparison: the output is the same either way.
    """

    def __init__(
        self,
        schemas: Schema | Sequence[Schema],
        *,
        source_id: str = "",
        source_label: str = "",
        invalid_utf8: str = "reject",
        regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
        fast_path: bool = True,
    ) -> None:
        if invalid_utf8 not in ("reject", "replace"):
            raise ValueError(f"invalid_utf8 must be 'reject' or 'replace', not {invalid_utf8!r}")
        self.schemas = (schemas,) if isinstance(schemas, Schema) else tuple(schemas)
        if not self.schemas:
            raise ValueError("a normalizer needs at least one schema")
        self.schema = self.schemas[0]
        self.name = ", ".join(s.name for s in self.schemas)
        self.invalid_utf8 = invalid_utf8
        config = self.schema.parser.config
        self._has_header = self.schema.parser.kind == "csv" and bool(config.get("hasHeader"))
        # A CSV schema without columns takes its names from each file's header line.
        self.sequential = self._has_header and not config.get("columns")
        """Whether the batches of one source must all go, in order, through this one normalizer."""
        self.has_prologue = bool(self.schema.parser.options.skip_lines) or self._has_header
        """Whether a file's first lines are swallowed (``skipLines``, a CSV header)."""
        self.options: dict[str, Any] = {
            "source_id": source_id,
            "source_label": source_label,
            "invalid_utf8": invalid_utf8,
            "regex_timeout": regex_timeout,
            "fast_path": fast_path,
        }
        """The keyword arguments this normalizer was built with: workers build theirs the same way."""
        row_ids = make_row_ids()
        options = {"source_id": source_id, "source_label": source_label, "row_ids": row_ids}
        self._compile = partial(compile_schema, self.schema, regex_timeout=regex_timeout, **options)
        self._by_header: dict[tuple[str, ...], CompiledSchema] = {}
        self._plans: dict[tuple[str, ...], plan.Plan | None] = {}
        """Per CSV header's names, its plan (this thread's: see ``for_worker``)."""
        self._sources: dict[str, _Source] = {}
        self.classifier: tuple[CompiledSchema, ...] = ()
        """With several schemas: each compiled, in the order lines try them (spec l.6)."""
        single = len(self.schemas) == 1 and not self.sequential
        self.compiled: CompiledSchema | None = self._compile() if single else None
        """With one schema: its compiled line function (none until a CSV header names the columns)."""
        if len(self.schemas) > 1:
            for schema in self.schemas:
                if schema.parser.options.skip_lines or schema.parser.config.get("hasHeader"):
                    raise NormalizeError(
                        f"{schema.name} reads the first lines of a file (skipLines or a CSV header): "
                        "it cannot share a feed with other schemas"
                    )
            self.classifier = tuple(
                compile_schema(s, regex_timeout=regex_timeout, **options) for s in self.schemas
            )
        self.plan: plan.Plan | None = None
        """With one schema the C accelerator can run: its plan (see ``encode_block``)."""
        self.plans: tuple[plan.Plan | None, ...] = ()
        """With several schemas, the first of which the C accelerator can run: each one's plan (or
        ``None``), in the order lines try them."""
        if fast_path:
            self._make_plans()

    def _make_plans(self) -> None:
        """The accelerator's plans: one per thread (a plan's buffers and value caches are its own)."""
        made = partial(
            plan.compile_plan, source_id=self.options["source_id"], source_label=self.options["source_label"]
        )
        if self.compiled is not None:
            self.plan = made(self.schema, refuser=_refuser(self.compiled))
        elif self.classifier:
            plans = tuple(
                made(schema, refuser=_refuser(compiled))
                for schema, compiled in zip(self.schemas, self.classifier, strict=True)
            )
            self.plans = plans if plans[0] is not None else ()

    @property
    def accelerated(self) -> bool:
        """Whether ``encode_block`` runs on the C accelerator (threads then use every core)."""
        return self.plan is not None or bool(self.plans)

    def for_worker(self, *, process: bool = False) -> Normalizer:
        """This normalizer for one more worker of the same run, compiling nothing again: the line
        functions are shared, and the worker gets per-file state and an accelerator plan of its own
        (a plan's buffers and value caches belong to one thread). Called in a forked worker process
        (``process``), it also draws new ``p_row_id``s there, so that no two processes share them."""
        twin = copy.copy(self)
        twin._sources = {}
        twin._by_header = {}
        twin._plans = {}
        if process:
            row_ids = make_row_ids()
            for compiled in (self.compiled, *self.classifier, *self._by_header.values()):
                if compiled is not None:
                    compiled.draw_row_ids(row_ids)
        if self.accelerated:
            twin._make_plans()
        return twin

    def normalize(
        self, lines: Iterable[str | bytes | Oversized], *, source: str = "-", first_line: int = 1
    ) -> Batch:
        """Normalize a batch of lines (without their ``\\n``) numbered from ``first_line``.

        Lines may be ``str`` or undecoded ``bytes``; ``Oversized`` stands for a line the reader would
        not hold. ``p_parse_time`` is the time the batch started. A batch with ``first_line == 1``
        starts a new input: its first lines go to ``skipLines`` and a CSV header, per input file (spec
        l.10); later batches of the same ``source`` continue where the previous one stopped.
        """
        batch = Batch()
        parse_time = format_ns(time.time_ns())
        numbered = enumerate(lines, first_line)
        state = self._source(source, first_line)
        # Events are acyclic, but a batch allocates thousands of dicts, each of which would count
        # towards a cyclic-GC pass over everything the batch holds: pause the collector for the loop
        # (measured: normalizing took 40% less time on the Heroku corpus).
        collecting = gc.isenabled()
        gc.disable()
        try:
            number = first_line - 1
            if state.to_skip or state.header:
                number = self._prologue(numbered, state, batch, source, number)
            if self.classifier:
                number = self._classify(numbered, batch, parse_time=parse_time, source=source, before=number)
            elif state.compiled is not None:
                number = self._loop(
                    numbered, state.compiled, batch, parse_time=parse_time, source=source, before=number
                )
                if batch.events:
                    batch.log_types[self.schema.name] = len(batch.events)
        finally:
            if collecting:
                gc.enable()
        batch.lines = number - first_line + 1
        return batch

    def encode_block(
        self,
        block: bytes | Oversized | Frames | RawFrames,
        *,
        source: str = "-",
        first_line: int = 1,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> Encoded:
        """Normalize a block of raw input (whole lines joined by ``\\n``, as ``reader.read_blocks``
        yields them) straight to NDJSON: what the CLI and its workers call.

        The same as splitting the block into lines, ``normalize`` and ``Batch.encoded``, byte for
        byte but ``p_row_id`` and ``p_parse_time``. With a plan, the C accelerator writes the events
        and hands each line it cannot settle to the reference path, in order; a file's first lines
        (``skipLines``, a CSV header) go to the reference path, the rest of their block to the plan
        (for a CSV schema whose columns each file's header names: the plan of that file's header).
        """
        if isinstance(block, RawFrames):
            return self.encode_body(
                block.data, source=source, first_line=first_line, max_line_bytes=max_line_bytes
            )
        if isinstance(block, Frames):
            return self.encode_frames(
                block, source=source, first_line=first_line, max_line_bytes=max_line_bytes
            )
        by_header = self.sequential and self.options["fast_path"]
        if (not self.accelerated and not by_header) or isinstance(block, Oversized):
            return self._encode_lines(block, source, first_line, max_line_bytes)
        run, compiled = self.plan, self.compiled
        if not self._plain(source, first_line):
            state = self._past_header(source, first_line)
            if state is None:
                head, rest = self._prologue_of(block, first_line, max_line_bytes)
                if rest is None:
                    return self._encode_lines(block, source, first_line, max_line_bytes)
                # The first lines of a file on the reference path, then lines the plan can take.
                before = self._encode_lines(head, source, first_line, max_line_bytes)
                after = self.encode_block(
                    rest, source=source, first_line=before.lines + 1, max_line_bytes=max_line_bytes
                )
                return before + after
            run, compiled = state.header_plan, state.compiled  # the plan of this file's header
        batch, parse_time, settle = self._deferring(
            source, first_line, partial(decode_line, max_line_bytes=max_line_bytes), compiled
        )
        if self.plans:
            return self._classified(
                batch,
                block,
                settle,
                parse_time=parse_time,
                max_line_bytes=max_line_bytes,
                source=source,
                first_line=first_line,
            )[0]
        assert run is not None
        head, tail = self._no_match_frame(source)
        ndjson, events, lines = run.run(block, parse_time, max_line_bytes, settle, head, tail, first_line)
        written = _Written(*run.take_rejects(), first_line)
        return self._encoded(batch, ndjson, events, lines, written=written)

    def _deferring(
        self,
        source: str,
        first_line: int,
        as_line: Callable[[bytes], Line],
        compiled: CompiledSchema | None = None,
    ) -> tuple[Batch, bytes, Callable[[bytes, int], bytes | None]]:
        """For a run of the plan: the batch its deferred records go into, the parse time, and the
        callback that takes each one (``as_line`` of its raw bytes, numbered from ``first_line``)
        through the reference path (``compiled``, else the schema's; the classifier, with several
        schemas): its event's JSON, or ``None`` when it became a reject or a skip."""
        if self.classifier:
            run = self._classify
        else:
            compiled = compiled or self.compiled
            assert compiled is not None, "a plan exists only for a compiled schema"
            run = partial(self._loop, compiled=compiled)
        batch = Batch()
        parse_time = format_ns(time.time_ns())

        def settle(raw: bytes, index: int) -> bytes | None:
            numbered = iter(((first_line + index, as_line(raw)),))
            run(numbered, batch=batch, parse_time=parse_time, source=source, before=0)
            return encode_event(batch.events.pop()) if batch.events else None

        return batch, parse_time.encode(), settle

    def _classified(
        self,
        batch: Batch,
        data: bytes,
        settle: Callable[[bytes, int], bytes | None],
        *,
        parse_time: bytes,
        max_line_bytes: int,
        source: str,
        first_line: int,
        framed: bool = False,
    ) -> tuple[Encoded, int]:
        """Lines (or frames) through the schemas' plans in order (``plan.classify``): what they and
        the reference classifier made of them, and the bytes used."""
        ndjson, events, taken, used, lines = plan.classify(
            self.plans,
            data,
            parse_time,
            max_line_bytes,
            settle,
            framed=framed,
            rejects=self._classified_frame(source),
            first_line=first_line,
        )
        written = _Written(*self.plans[0].take_rejects(), first_line)  # type: ignore[union-attr]
        return self._encoded(batch, ndjson, events, lines, taken=taken, written=written), used

    def _no_match_frame(self, source: str) -> tuple[bytes, bytes]:
        """What the accelerator writes around the reason of a no_match reject it words itself: the
        record up to the reason, and from its end to the line number (``Reject.to_dict``'s keys,
        encoded by orjson as ``encode_rejects`` does)."""
        probe = orjson.dumps(Reject(errors.NO_MATCH, "M", "", source, 0, self.schema.name).to_dict())
        marker = b'"message":"M"'
        at = probe.index(marker)
        head = probe[:at] + b'"message":' + orjson.dumps(NO_MATCH_PREFIX)[:-1]
        return head, b'"' + probe[at + len(marker) : probe.rindex(b'0,"raw":""}')]

    def _classified_frame(self, source: str) -> plan.ClassifiedTexts:
        """What the accelerator writes around what each schema says of a line no schema takes
        (``plan.classify``'s ``rejects``), cut from the record ``_classify`` would write."""
        refusals = tuple(Reject(errors.NO_MATCH, "m", "", source, 0, s.name) for s in self.schemas)
        probe = orjson.dumps(
            Reject(errors.NO_MATCH, "M", "", source, 0, self.name, refusals=refusals).to_dict()
        )
        at = probe.index(b'"message":"M"') + len(b'"message":')
        listed = probe.index(b'"refusals":[', at) + len(b'"refusals":[')
        ends, end = [], listed
        for schema in self.schemas:
            start = probe.index(b'"message":"m"', end) + len(b'"message":"m"')
            named = b'"schema":' + orjson.dumps(schema.name) + b"}"
            end = probe.index(named, start) + len(named)
            ends.append(probe[start:end])
        return (
            probe[:at] + _escaped(NO_SCHEMA_TOOK),
            _escaped(NO_MATCH_PREFIX)[1:],
            probe[listed : probe.index(b'"message":"m"', listed) + len(b'"message":')]
            + _escaped(NO_MATCH_PREFIX),
            probe[at + 2 : listed],
            probe[end : probe.rindex(b'0,"raw":""}')],
            tuple(_escaped(f"{s.name}: ")[1:] for s in self.schemas),
            tuple(ends),
        )

    def _encoded(
        self,
        batch: Batch,
        ndjson: bytes,
        events: int,
        lines: int,
        *,
        taken: Sequence[int] | None = None,
        written: _Written | None = None,
    ) -> Encoded:
        """What a run of the plan wrote, with the rejects and skips of what it deferred; ``taken``:
        with several schemas, the events each schema's plan wrote (the classifier counted the rest);
        ``written``: the no_match rejects the plan wrote itself."""
        if taken is None:
            if events:
                batch.log_types[self.schema.name] = events
        else:
            for schema, count in zip(self.schemas, taken, strict=True):
                if count:
                    batch.log_types[schema.name] += count
        reasons = Counter(r.reason for r in batch.rejects)
        if written is None or not written.ndjson:
            rejects = encode_rejects(batch.rejects)
        else:
            rejects = written.merged(batch.rejects)
            reasons.update(written.reasons())
        return Encoded(ndjson, events, rejects, reasons, batch.skipped, lines, batch.log_types, batch.untried)

    def encode_body(
        self,
        data: bytes,
        *,
        source: str = "-",
        first_line: int = 1,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> Encoded:
        """Normalize a whole octet-counted input held in memory (a drain request's body): the same
        records as ``split_frames`` and ``encode_frames``, but with a plan the accelerator reads the
        frames itself, and Python only the frames it defers and whatever follows the last frame it
        took whole (a framing error, worded by ``framing``)."""
        if not self.accelerated or not self._plain(source, first_line):
            return self.encode_frames(
                _frames(data, 0, max_line_bytes),
                source=source,
                first_line=first_line,
                max_line_bytes=max_line_bytes,
            )
        batch, parse_time, settle = self._deferring(source, first_line, partial(_frame_line, max_line_bytes))
        if self.plans:
            taken, used = self._classified(
                batch,
                data,
                settle,
                parse_time=parse_time,
                max_line_bytes=max_line_bytes,
                source=source,
                first_line=first_line,
                framed=True,
            )
            count = taken.lines
        else:
            assert self.plan is not None
            head, tail = self._no_match_frame(source)
            ndjson, events, used, count = self.plan.run_frames(
                data, parse_time, max_line_bytes, settle, head, tail, first_line
            )
            written = _Written(*self.plan.take_rejects(), first_line)
            taken = self._encoded(batch, ndjson, events, count, written=written)
        if used == len(data):
            return taken
        rest = _frames(data[used:], used, max_line_bytes)
        return taken + self.encode_frames(
            rest, source=source, first_line=first_line + count, max_line_bytes=max_line_bytes
        )

    def encode_frames(
        self,
        block: Frames,
        *,
        source: str = "-",
        first_line: int = 1,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> Encoded:
        """Normalize a block of octet-counted frames (``framing.read_frames``, ``split_frames``): one
        record per frame, numbered from ``first_line``, then a ``bad_framing`` reject holding the
        broken rest of the input, if framing broke.

        Runs of frames that are plain lines (no LF inside, no CR at the end) go to the accelerator
        as one block, the others to the reference path, in order: the same records either way.
        """
        parts: list[Encoded] = []
        line = first_line
        if not self.accelerated:
            runs: Iterable[tuple[bool, Iterable[Frame]]] = [(False, block.frames)]
        else:
            runs = groupby(block.frames, _plain_frame)
        for plain, run in runs:
            frames = list(run)
            if plain:
                joined = b"\n".join(frames)  # type: ignore[arg-type]
                part = self.encode_block(
                    joined, source=source, first_line=line, max_line_bytes=max_line_bytes
                )
            else:
                part = self.normalize(frames, source=source, first_line=line).encoded()
            parts.append(part)
            line += part.lines
        if block.broken is not None:
            batch = Batch(rejects=[self._broken_framing(block.broken, source, line)], lines=1)
            parts.append(batch.encoded())
        return reduce(operator.add, parts) if parts else Batch().encoded()

    def _encode_lines(
        self, block: bytes | Oversized, source: str, first_line: int, max_line_bytes: int
    ) -> Encoded:
        """``block`` split into lines, all on the reference path."""
        lines = [block] if isinstance(block, Oversized) else split_lines(block, max_line_bytes)
        return self.normalize(lines, source=source, first_line=first_line).encoded()

    def _prologue_of(self, block: bytes, first_line: int, max_line_bytes: int) -> tuple[bytes, bytes | None]:
        """The start of a file's first block that ``skipLines`` and a CSV header swallow (blank
        lines among them included), and the rest; ``None`` for the rest when that is not all here."""
        if first_line != 1:
            return block, None
        needed = self.schema.parser.options.skip_lines + self._has_header
        end = -1
        while needed:
            start, end = end + 1, block.find(b"\n", end + 1)
            if end < 0:
                return block, None
            item = decode_line(block[start:end], max_line_bytes)
            if _blank(item):
                continue
            if needed == 1 and self._has_header and type(item) is not str:
                return block, None  # an unreadable header is a reject, and the next line is tried
            needed -= 1
        return block[:end], block[end + 1 :]

    def in_prologue(self, source: str) -> bool:
        """Whether ``source`` still has first lines to swallow (``skipLines``, a CSV header) that
        its next batch must take: batches of one file then go, in order, through this normalizer."""
        return source in self._sources

    def _plain(self, source: str, first_line: int) -> bool:
        """Whether the batch starting at ``first_line`` of ``source`` has no first lines to swallow."""
        if first_line == 1:
            return not self.has_prologue
        return not self.in_prologue(source)

    def _past_header(self, source: str, first_line: int) -> _Source | None:
        """For a schema whose columns each file's header names: where ``source`` stands when the
        batch starting at ``first_line`` comes after its header, read, and the header has a plan."""
        if not self.sequential or first_line == 1:
            return None
        state = self._sources.get(source)
        if state is None or state.to_skip or state.header or state.header_plan is None:
            return None
        return state

    def _source(self, source: str, first_line: int) -> _Source:
        """Where ``source`` stands: lines still to skip, a header still to read, its line function."""
        if first_line == 1:
            options = self.schema.parser.options
            state = _Source(options.skip_lines, self._has_header, self.compiled)
            if state.to_skip or state.header:
                self._sources[source] = state
            return state
        state = self._sources.get(source)
        if state is not None:
            return state
        if self.sequential:
            raise ValueError(f"{source}: the batch with line 1 (the CSV header) must come first")
        return _Source(0, False, self.compiled)

    def _prologue(
        self, numbered: Iterator[tuple[int, Line]], state: _Source, batch: Batch, source: str, before: int
    ) -> int:
        """The lines ``skipLines`` swallows, then the CSV header; returns the last line number used."""
        number = before
        for number, item in numbered:
            if _blank(item):
                batch.skipped[BLANK] += 1
            elif state.to_skip:  # whatever the line holds, undecodable or over-long included
                state.to_skip -= 1
                batch.skipped[SKIP_LINES] += 1
            else:
                self._header(item, state, batch, source, number)
            if not state.to_skip and not state.header:
                if not self.sequential:
                    del self._sources[source]
                break
        return number

    def _header(self, item: Line, state: _Source, batch: Batch, source: str, number: int) -> None:
        """Read a CSV header line: names for a schema without ``columns``, else skipped (spec f.2)."""
        line = item if type(item) is str else self._text(item, batch.rejects, source, number)
        if line is None:
            return
        if self.sequential:
            try:
                names = read_header(line, self.schema.parser.config)
            except NormalizeError as exc:
                batch.rejects.append(Reject(errors.NO_MATCH, str(exc), line, source, number, self.name))
                return
            if names not in self._by_header:
                self._by_header[names] = self._compile(columns=names)
            state.compiled = self._by_header[names]
            state.header_plan = self._plan_of(names)
        state.header = False
        batch.skipped[HEADER] += 1

    def _plan_of(self, names: tuple[str, ...]) -> plan.Plan | None:
        """The plan of a CSV header's column names, built once (none with ``fast_path=False``)."""
        if names not in self._plans:
            options = self.options
            self._plans[names] = (
                plan.compile_plan(
                    self.schema,
                    columns=names,
                    source_id=options["source_id"],
                    source_label=options["source_label"],
                    refuser=_refuser(self._by_header[names]),
                )
                if options["fast_path"]
                else None
            )
        return self._plans[names]

    def _loop(
        self,
        numbered: Iterator[tuple[int, Line]],
        compiled: CompiledSchema,
        batch: Batch,
        *,
        parse_time: str,
        source: str,
        before: int,
    ) -> int:
        """The per-line loop; returns the number of the last line."""
        number = before
        events = batch.events
        append = events.append
        rejects = batch.rejects
        skipped = batch.skipped
        parse = compiled.parse
        for number, item in numbered:
            line = item
            if type(line) is not str:
                line = self._text(item, rejects, source, number)
                if line is None:
                    continue
            if is_blank(line):
                skipped[BLANK] += 1
                continue
            try:
                event = parse(line, parse_time)
            except (BadValue, RegexTimeout, InvalidJSON) as exc:
                rejects.append(refusal(compiled, exc, line, source, number))
                if isinstance(exc, RegexTimeout) and exc.untried:
                    batch.untried[compiled.schema.name] += 1
                continue
            if event is None:
                rejects.append(refusal(compiled, None, line, source, number))
            elif event is SKIP:
                skipped[SKIP_PREFIX] += 1
            else:
                append(event)
        return number

    # --- the rare paths -----------------------------------------------------------------------

    def _text(self, item: bytes | Oversized, rejects: list[Reject], source: str, number: int) -> str | None:
        """An undecoded line as text, or ``None`` after adding the reject that keeps it."""
        line = self._decode(item)
        if line is None:
            rejects.append(self._unreadable(item, source, number))
        return line

    def _decode(self, item: bytes | Oversized) -> str | None:
        if isinstance(item, Oversized):
            return None
        try:
            return item.decode("utf-8")
        except UnicodeDecodeError:
            return item.decode("utf-8", "replace") if self.invalid_utf8 == "replace" else None

    def _broken_framing(self, broken: Broken, source: str, number: int) -> Reject:
        """The reject that keeps the rest of an input whose framing broke."""
        rest = broken.rest
        message = (
            f"bad framing: {broken.message}; raw holds the rest of the input, from offset {broken.offset}"
        )
        if isinstance(rest, Oversized):
            message += f" ({rest.size} bytes, sha256 {rest.sha256}; raw keeps the first {len(rest.head)})"
            rest = rest.head
        return Reject(errors.BAD_FRAMING, message, _text_or_bytes(rest), source, number, self.name)

    def _unreadable(self, item: bytes | Oversized, source: str, number: int) -> Reject:
        if isinstance(item, Oversized):
            return Reject(
                errors.LINE_TOO_LONG,
                f"line is {item.size} bytes, more than the limit; sha256 {item.sha256}; "
                f"raw keeps the first {len(item.head)} bytes",
                _text_or_bytes(item.head),
                source,
                number,
                self.name,
            )
        try:
            item.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"line is not valid UTF-8: byte 0x{item[exc.start]:02x} at offset {exc.start}"
        return Reject(errors.INVALID_UTF8, message, item, source, number, self.name)

    def _classify(
        self,
        numbered: Iterator[tuple[int, Line]],
        batch: Batch,
        *,
        parse_time: str,
        source: str,
        before: int,
    ) -> int:
        """Each line to the first schema, in order, that takes it (spec l.6); returns the last number.

        A line no schema takes is one reject listing why each refused it. Refusals are explained
        only then: the slow explanations never run for a line that some schema takes.
        """
        append = batch.events.append
        log_types = batch.log_types
        number = before
        for number, item in numbered:
            line = item
            if type(line) is not str:
                line = self._text(item, batch.rejects, source, number)
                if line is None:
                    continue
            if is_blank(line):
                batch.skipped[BLANK] += 1
                continue
            failures: list[tuple[CompiledSchema, Exception | None]] = []
            for compiled in self.classifier:
                try:
                    event = compiled.parse(line, parse_time)
                except (BadValue, RegexTimeout, InvalidJSON) as exc:
                    failures.append((compiled, exc))
                    if isinstance(exc, RegexTimeout) and exc.untried:
                        batch.untried[compiled.schema.name] += 1
                    continue
                if event is None:
                    failures.append((compiled, None))
                    continue
                if event is SKIP:
                    batch.skipped[SKIP_PREFIX] += 1
                else:
                    append(event)
                    log_types[compiled.schema.name] += 1
                break
            else:
                refusals = tuple(refusal(c, exc, line, source, number) for c, exc in failures)
                message = NO_SCHEMA_TOOK + "; ".join(f"{r.schema}: {r.message}" for r in refusals)
                batch.rejects.append(
                    Reject(errors.NO_MATCH, message, line, source, number, self.name, refusals=refusals)
                )
        return number


NO_MATCH_PREFIX: Final = "no match: "
"""The start of a no_match reject's message; the parser's reason follows."""

NO_SCHEMA_TOOK: Final = "no schema took the line: "
"""The start of the message of a line no schema of several takes; each one's refusal follows."""


def _escaped(text: str) -> bytes:
    """``text`` as it is written inside a JSON string, with the opening quote (not the closing)."""
    return orjson.dumps(text)[:-1]


def refusal(compiled: CompiledSchema, exc: Exception | None, line: str, source: str, number: int) -> Reject:
    """The reject for a line ``compiled`` did not take: ``exc`` raised, or ``None`` for no match."""
    name = compiled.schema.name
    if exc is None:
        assert compiled.parser is not None, "only text parsers find no match"
        return Reject(
            errors.NO_MATCH, NO_MATCH_PREFIX + compiled.parser.why_not(line), line, source, number, name
        )
    if isinstance(exc, RegexTimeout):
        return Reject(errors.REGEX_TIMEOUT, str(exc), line, source, number, name)
    if isinstance(exc, InvalidJSON):
        return Reject(errors.INVALID_JSON, str(exc), line, source, number, name)
    assert isinstance(exc, BadValue)
    field_name = getattr(exc, "field", None)
    value, quoted = _shown_value(_as_text(getattr(exc, "value", None)))
    if isinstance(exc, RuleFailed):
        shown = "" if value is None else f" {quoted}"
        message = f"field {field_name!r}{shown} fails its {exc.rule!r} rule: {exc.detail}"
        return Reject(
            errors.VALIDATION_FAILED, message, line, source, number, name, field_name, value, rule=exc.rule
        )
    message = f"field {field_name!r}: {quoted} is not a valid {exc.expected}"
    if exc.detail:
        message += f" ({exc.detail})"
    return Reject(errors.BAD_VALUE, message, line, source, number, name, field_name, value, exc.expected)


def _refuser(compiled: CompiledSchema) -> plan.Refuser:
    """Each field's ``PlanField.refuse``: the reference path's converter and check of the field on
    a value, and, where they refuse it, the start of the reject ``refusal`` makes of that (the record
    up to its ``schema``, which the plan follows with the rest)."""

    def refuser(name: str, decision: Decision) -> Callable[[bytes], bytes | None]:
        def refuse(raw: bytes) -> bytes | None:
            text = raw.decode("utf-8")
            try:
                decision.apply(text)
            except BadValue as exc:
                exc.field, exc.value = name, text  # type: ignore[attr-defined]
                record = encode_event(refusal(compiled, exc, "", "", 0).to_dict())
                return record[: record.index(b',"schema":')]
            return None

        return refuse

    return refuser


class _Written:
    """The no_match rejects a run of the plan wrote itself (``Plan.take_rejects``): NDJSON, and the
    line number of each, from the index of its line in the run."""

    __slots__ = ("first_line", "indices", "ndjson")

    def __init__(self, ndjson: bytes, indices: bytes, first_line: int) -> None:
        self.ndjson = ndjson
        self.indices = array("q")
        self.indices.frombytes(indices)
        self.first_line = first_line

    def reasons(self) -> Counter[str]:
        """How many of these rejects give each reason: each record starts a line with its reason
        (a refusal inside a record starts after "[" or ",", and a quote in a value is escaped)."""
        records = b"\n" + self.ndjson
        counted = (
            (reason, records.count(b'\n{"reason":' + orjson.dumps(reason))) for reason in errors.REASONS
        )
        return Counter({reason: n for reason, n in counted if n})

    def merged(self, rejects: list[Reject]) -> bytes:
        """These rejects and the reference path's ``rejects``, in line order, as NDJSON."""
        if not rejects:
            return self.ndjson
        first = self.first_line
        mine = zip((first + i for i in self.indices), self.ndjson.splitlines(keepends=True), strict=True)
        theirs = ((r.line, encode_event(r.to_dict()) + b"\n") for r in rejects)
        return b"".join(record for _, record in heapq.merge(mine, theirs, key=operator.itemgetter(0)))


@dataclass(slots=True)
class _Source:
    """An input's progress through its first lines: skipLines left, a CSV header to come."""

    to_skip: int
    header: bool
    compiled: CompiledSchema | None  # None until a header gives a header-named CSV schema its names
    header_plan: plan.Plan | None = None  # with those names: their plan, if the accelerator has one


def _blank(item: Line) -> bool:
    """``is_blank`` for a line that may not be decoded yet: over-long lines and bytes that are not
    UTF-8 are not blank."""
    if isinstance(item, Oversized):
        return False
    if isinstance(item, bytes):
        try:
            item = item.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return is_blank(item)


def _frame_line(max_line_bytes: int, raw: bytes) -> Frame:
    """A frame the plan deferred, as a line: its bytes, or an ``Oversized`` when too long."""
    return raw if len(raw) <= max_line_bytes else oversized(raw)


def _frames(data: bytes, offset: int, max_line_bytes: int) -> Frames:
    """The frames of a whole input that starts at ``offset`` of the data it was cut from."""
    frames, error, used = split_frames(data, max_frame_bytes=max_line_bytes, offset=offset)
    if error is None:
        return Frames(frames)
    return Frames(
        frames,
        Broken(
            offset + used,
            error[1],
            data[used:] if len(data) - used <= max_line_bytes else oversized(data[used:]),
        ),
    )


def _plain_frame(frame: Frame) -> bool:
    """Whether a frame reads the same as a line of a block: no LF in it, no CR at its end (a block's
    lines lose theirs), and held whole."""
    return type(frame) is bytes and b"\n" not in frame and not frame.endswith(b"\r")


MAX_SHOWN_CHARS: Final = 1024
"""A failed value longer than this is shown in a reject (its ``value`` and its message) by its first
this many characters and an ellipsis: ``raw`` holds the whole line, and each copy of a long value
(a megabyte of escaped NULs is six) would cost memory and output for nothing."""


def _shown_value(value: str | None) -> tuple[str | None, str]:
    """A failed value as a reject's ``value`` holds it, and as its message quotes it."""
    if value is None or len(value) <= MAX_SHOWN_CHARS:
        return value, repr(value)
    head = value[:MAX_SHOWN_CHARS]
    return head + "…", f"{head!r}… ({len(value):,} characters)"


def _as_text(value: object) -> str | None:
    """A failed value as a reject shows it: text as it is, a JSON value as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    return encode_event(value).decode()


def _text_or_bytes(data: bytes) -> str | bytes:
    """``data`` as text when it decodes (a cut may split a character: then keep the bytes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data
