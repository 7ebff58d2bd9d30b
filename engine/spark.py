"""The Spark adapter: a DataFrame column of log lines in, a DataFrame of events and one of rejects out.

``normalize_dataframe`` runs the engine inside ``DataFrame.mapInArrow``: each Arrow batch of lines
becomes one block of bytes (pyarrow joins the column with ``\\n``), ``Normalizer.encode_block`` turns
it into NDJSON and ``Columnar.convert`` into Arrow batches, so no Python object is made per row
outside the engine. Schemas are loaded on the driver and travel with the task; each Python worker
compiles them once (``_compiled``: a cache keyed by their digest), not per batch.

Spark's ``TimestampType`` holds microseconds, the engine nanoseconds: every timestamp column (in
structs and arrays too) comes with a companion ``<name>_ns``, its epoch nanoseconds as ``long``
(``array<long>`` beside an array of times), and the time itself is floored to the microsecond, UTC.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from pyspark import TaskContext
from pyspark.sql import DataFrame
from pyspark.sql.pandas.types import from_arrow_schema

from .allocator import keep_freed_memory
from .batch import DEFAULT_MAX_LINE_BYTES, Encoded, oversized
from .columnar import REJECTS_SCHEMA, TIMESTAMP, Columnar, Converted, events_schema
from .compiler import DEFAULT_REGEX_TIMEOUT
from .framing import Frame, Frames
from .normalizer import Normalizer
from .reader import newlines
from .registry import Registry, search_path
from .spec import Schema

EVENT: Final = "event"
REJECT: Final = "reject"
NS_SUFFIX: Final = "_ns"
"""A timestamp column ``t`` has its epoch nanoseconds in ``t_ns`` beside it."""
MICROS: Final = pa.timestamp("us", tz="UTC")
"""What Spark's TimestampType is in Arrow: the times of the batches handed back to Spark."""


# --- the Spark form of the events' Arrow schema ----------------------------------------------------


def spark_type(kind: pa.DataType, where: str = "a struct") -> pa.DataType:
    """``kind`` as the batches handed to Spark hold it: times in microseconds, structs with their
    ``_ns`` companions (``where`` names the value, for ``spark_fields``' error)."""
    if kind == TIMESTAMP:
        return MICROS
    if pa.types.is_struct(kind):
        return pa.struct(spark_fields(list(kind), where))
    if pa.types.is_list(kind):
        return pa.list_(spark_type(kind.value_type, where))
    return kind


def _ns_type(kind: pa.DataType) -> pa.DataType | None:
    """The type of the companion of a value of ``kind``: its times as int64 through lists; ``None``
    when ``kind`` holds no time outside a struct (a struct's times have companions inside it)."""
    if kind == TIMESTAMP:
        return pa.int64()
    if pa.types.is_list(kind):
        inner = _ns_type(kind.value_type)
        return None if inner is None else pa.list_(inner)
    return None


def spark_fields(fields: Sequence[pa.Field], where: str) -> list[pa.Field]:
    """``fields`` in their Spark form, each time followed by its ``_ns`` companion; a companion whose
    name a field already has is a ``ValueError`` (``where`` names the fields' owner)."""
    names = {f.name for f in fields}
    out: list[pa.Field] = []
    for f in fields:
        out.append(f.with_type(spark_type(f.type, f"field {f.name!r} of {where}")))
        ns = _ns_type(f.type)
        if ns is not None:
            companion = f.name + NS_SUFFIX
            if companion in names:
                raise ValueError(
                    f"{where} has a field {companion!r}, the name of the nanoseconds column of its "
                    f"timestamp {f.name!r}: rename one of them"
                )
            out.append(pa.field(companion, ns))
    return out


@dataclass(frozen=True)
class Layout:
    """The columns of the events DataFrame: ``columns`` (Columnar's types, in first-seen order over the
    schemas) and ``fields`` (their Spark form, companions included)."""

    columns: pa.Schema
    fields: list[pa.Field]

    @property
    def arrow(self) -> pa.Schema:
        """The schema of the batches handed to Spark: one struct of events, one of rejects."""
        return pa.schema([pa.field(EVENT, pa.struct(self.fields)), pa.field(REJECT, REJECTS_STRUCT)])


REJECTS_STRUCT: Final = pa.struct(list(REJECTS_SCHEMA))


def layout(schemas: Sequence[Schema]) -> Layout:
    """The one events layout of ``schemas``: the union of their columns, each name with one type.

    A column that two schemas type differently, or whose name is a timestamp's ``_ns`` companion in
    one and a column of its own in another, is a ``ValueError`` naming it and both schemas.
    """
    owner: dict[str, tuple[pa.DataType, bool, str]] = {}
    columns: list[pa.Field] = []
    fields: list[pa.Field] = []
    for schema in schemas:
        arrow = events_schema(schema)
        companions = {f.name + NS_SUFFIX for f in arrow if _ns_type(f.type) is not None}
        for f in spark_fields(list(arrow), f"schema {schema.name}"):
            companion = f.name in companions
            seen = owner.get(f.name)
            if seen is None:
                owner[f.name] = (f.type, companion, schema.name)
                fields.append(f)
                if not companion:
                    columns.append(arrow.field(f.name))
            elif seen[:2] != (f.type, companion):
                raise ValueError(
                    f"column {f.name!r} is {_describe(seen[0], seen[1])} in {seen[2]} but "
                    f"{_describe(f.type, companion)} in {schema.name}: one events DataFrame cannot "
                    "hold both; normalize them separately"
                )
    return Layout(pa.schema(columns), fields)


def _describe(kind: pa.DataType, companion: bool) -> str:
    return f"the nanoseconds of a timestamp ({kind})" if companion else str(kind)


# --- batches in their Spark form --------------------------------------------------------------------


def _floor_micros(times: pa.Array) -> pa.Array:
    """timestamp[ns] → timestamp[us], floored (Arrow's cast truncates towards zero, which moves a
    time before 1970 forwards)."""
    ns = times.cast(pa.int64())
    quotient = pc.divide(ns, 1000)
    below = pc.less(pc.subtract(ns, pc.multiply(quotient, 1000)), 0)
    return pc.subtract(quotient, below.cast(pa.int64())).cast(MICROS)


def _spark_array(values: pa.Array) -> pa.Array:
    """A Columnar array in its Spark form (``spark_type``)."""
    kind = values.type
    if kind == TIMESTAMP:
        return _floor_micros(values)
    if pa.types.is_struct(kind):
        children = _spark_columns([values.field(i) for i in range(kind.num_fields)], list(kind))
        return pa.StructArray.from_arrays(
            children, fields=spark_fields(list(kind), "a struct"), mask=_nulls(values)
        )
    if pa.types.is_list(kind):
        return pa.ListArray.from_arrays(values.offsets, _spark_array(values.values), mask=_nulls(values))
    return values


def _ns_array(values: pa.Array) -> pa.Array:
    """The ``_ns`` companion of a timestamp array, or of a list of them."""
    if values.type == TIMESTAMP:
        return values.cast(pa.int64())
    return pa.ListArray.from_arrays(values.offsets, _ns_array(values.values), mask=_nulls(values))


def _nulls(values: pa.Array) -> pa.Array | None:
    return values.is_null() if values.null_count else None


def _spark_columns(arrays: Sequence[pa.Array], fields: Sequence[pa.Field]) -> list[pa.Array]:
    out: list[pa.Array] = []
    for values, f in zip(arrays, fields, strict=True):
        out.append(_spark_array(values))
        if _ns_type(f.type) is not None:
            out.append(_ns_array(values))
    return out


def event_rows(batch: pa.RecordBatch, layout: Layout) -> pa.RecordBatch:
    """Events of one log type as rows of the combined batch: ``event`` set, ``reject`` null."""
    rows = batch.num_rows
    arrays = [
        batch.column(f.name) if f.name in batch.schema.names else pa.nulls(rows, f.type)
        for f in layout.columns
    ]
    events = pa.StructArray.from_arrays(_spark_columns(arrays, list(layout.columns)), fields=layout.fields)
    return pa.RecordBatch.from_arrays([events, pa.nulls(rows, REJECTS_STRUCT)], schema=layout.arrow)


def reject_rows(batch: pa.RecordBatch, layout: Layout) -> pa.RecordBatch:
    """Rejects as rows of the combined batch: ``event`` null, ``reject`` set."""
    rejects = pa.StructArray.from_arrays(batch.columns, fields=list(REJECTS_SCHEMA))
    events = pa.nulls(batch.num_rows, pa.struct(layout.fields))
    return pa.RecordBatch.from_arrays([events, rejects], schema=layout.arrow)


# --- lines in -------------------------------------------------------------------------------------

_NEWLINE: Final = pa.scalar(b"\n", pa.large_binary())


def encode_column(
    normalizer: Normalizer, lines: pa.Array, *, source: str, first_line: int, max_line_bytes: int
) -> Encoded:
    """A string (or binary) column, one line a row, normalized as one block; a null row is a blank
    line (counted as skipped).

    The rows are joined with ``\\n`` by pyarrow. Where a row holds a ``\\n`` itself, or ends with
    ``\\r`` (which a line would lose), the rows go to the engine as frames instead, each one record
    as it is: the only case where a Python object is made per row here.
    """
    rows = len(lines)
    binary = lines.cast(pa.large_binary()).fill_null(b"")
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, rows], pa.int32()), binary), _NEWLINE)
    block: bytes = joined[0].as_py()
    if newlines(block) == rows - 1 and not block.endswith(b"\r") and b"\r\n" not in block:
        encoded = normalizer.encode_block(
            block, source=source, first_line=first_line, max_line_bytes=max_line_bytes
        )
    else:
        frames: list[Frame] = [
            row if len(row) <= max_line_bytes else oversized(row) for row in binary.to_pylist()
        ]
        encoded = normalizer.encode_frames(
            Frames(frames), source=source, first_line=first_line, max_line_bytes=max_line_bytes
        )
    if encoded.lines != rows:  # pragma: no cover - a broken engine invariant, not a user error
        raise AssertionError(f"{rows} rows came back as {encoded.lines} records")
    return encoded


# --- the task -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What every task gets: the schemas (pickled once, on the driver), the normalizer's options and
    the layout of the output."""

    schemas: bytes
    options: dict[str, Any]
    max_line_bytes: int
    layout: Layout
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        key = self.schemas + repr(sorted(self.options.items())).encode()
        object.__setattr__(self, "digest", hashlib.sha256(key).hexdigest())

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One partition: its batches of lines in, combined batches of events and rejects out."""
        context = TaskContext.get()
        source = str(context.partitionId()) if context is not None else "0"
        normalizer, schemas = _compiled(self)
        columnar = Columnar(schemas, source=source)
        line = 1
        for batch in batches:
            encoded = encode_column(
                normalizer,
                batch.column(0),
                source=source,
                first_line=line,
                max_line_bytes=self.max_line_bytes,
            )
            line += batch.num_rows
            converted = to_arrow(columnar, encoded)
            for events in converted.events.values():
                yield event_rows(events, self.layout)
            if converted.rejects.num_rows:
                yield reject_rows(converted.rejects, self.layout)


def to_arrow(columnar: Columnar, encoded: Encoded) -> Converted:
    """``columnar.convert`` with the cyclic collector paused: it makes objects per value, none of
    them cyclic, and each would count towards a collection (measured on Heroku lines: 1.3 to 1.7
    times faster), as ``Normalizer.normalize`` does for the same reason."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return columnar.convert(encoded)
    finally:
        if collecting:
            gc.enable()


_COMPILED: dict[str, tuple[Normalizer, list[Schema]]] = {}
"""Per Python worker: the normalizer of each job's schemas and options, by digest."""


def _compiled(job: Job) -> tuple[Normalizer, list[Schema]]:
    """The job's normalizer, compiled on this worker's first batch of the job and reused after."""
    found = _COMPILED.get(job.digest)
    if found is None:
        keep_freed_memory()  # a PySpark worker process runs tasks, batch after batch, as the CLI's do
        schemas: list[Schema] = pickle.loads(job.schemas)
        found = _COMPILED[job.digest] = (Normalizer(schemas, **job.options), schemas)
    return found


# --- the entry point ------------------------------------------------------------------------------


def normalize_dataframe(
    df: DataFrame,
    schemas: str | Sequence[str],
    *,
    column: str = "value",
    schema_dirs: Sequence[str | os.PathLike[str]] = (),
    source_id: str = "",
    source_label: str = "",
    invalid_utf8: str = "reject",
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[DataFrame, DataFrame]:
    """Normalize the lines in ``df[column]`` (string or binary, one line a row): ``(events, rejects)``.

    ``schemas`` is a schema name, or a list of names and globs (``"Syslog.*"``) classifying each line
    by the first that takes it, as the CLI's ``-s A -s B``; they are found in ``schema_dirs``,
    ``$NORMALIZE_SCHEMAS`` (on the driver), then the bundled schemas, and shipped to the executors.
    ``events`` has the union of the schemas' columns (a name typed differently by two schemas is a
    ``ValueError``); every timestamp is floored to the microsecond, UTC, and has ``<name>_ns`` beside
    it, its exact epoch nanoseconds. ``rejects`` has the columns of ``columnar.REJECTS_SCHEMA``, with
    ``source`` the row's partition index as text (``TaskContext.partitionId()``, what
    ``spark_partition_id()`` gives for the row of ``df``) and ``line`` the row's 1-based position in
    that partition (0 for an event whose time Arrow cannot hold). A null or blank row is a skipped
    line: rows in = events + rejects + blank rows.

    Both DataFrames are filters of one ``mapInArrow`` over ``df``, and Spark runs it again for
    every action: writing events then rejects normalizes the input twice. To normalize it once,
    persist the combined DataFrame and split it: ``combined = normalized(df, ...).persist()``, then
    ``events, rejects = split(combined)``, write both, ``combined.unpersist()``. A schema that reads
    the first lines of an input (``skipLines``, a CSV header) reads those of each partition.
    """
    combined = normalized(
        df,
        schemas,
        column=column,
        schema_dirs=schema_dirs,
        source_id=source_id,
        source_label=source_label,
        invalid_utf8=invalid_utf8,
        regex_timeout=regex_timeout,
        max_line_bytes=max_line_bytes,
    )
    return split(combined)


def split(combined: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The events and the rejects of a combined DataFrame (``normalized``)."""
    events = combined.where(combined[EVENT].isNotNull()).select(f"{EVENT}.*")
    rejects = combined.where(combined[REJECT].isNotNull()).select(f"{REJECT}.*")
    return events, rejects


def normalized(
    df: DataFrame,
    schemas: str | Sequence[str],
    *,
    column: str = "value",
    schema_dirs: Sequence[str | os.PathLike[str]] = (),
    **options: Any,
) -> DataFrame:
    """The combined DataFrame behind ``normalize_dataframe``: a struct column ``event`` and a struct
    column ``reject``, exactly one of them set per row; ``split`` gives the two DataFrames. Persist it
    to write events and rejects from one pass over the input. ``options`` are the other keyword
    arguments of ``normalize_dataframe``."""
    if column not in df.columns:
        raise ValueError(f"the DataFrame has no column {column!r} (its columns: {', '.join(df.columns)})")
    kind = df.schema[column].dataType.typeName()
    if kind not in ("string", "binary"):
        raise ValueError(f"column {column!r} holds {kind}, not lines (string or binary)")
    names = [schemas] if isinstance(schemas, str) else list(schemas)
    loaded = Registry(search_path(schema_dirs)).load_all(names)
    max_line_bytes = options.pop("max_line_bytes", DEFAULT_MAX_LINE_BYTES)
    Normalizer(loaded, **options)  # the options and schemas checked here, not on an executor
    job = Job(pickle.dumps(loaded), options, max_line_bytes, layout(loaded))
    return df.select(column).mapInArrow(job, from_arrow_schema(job.layout.arrow))


__all__ = ["NS_SUFFIX", "Layout", "layout", "normalize_dataframe", "normalized", "spark_type", "split"]
