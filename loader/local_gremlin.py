"""Local loader: a Neptune Gremlin CSV folder into Gremlin Server, meaning what Neptune means.

Rules carried over from Neptune's bulk loader:
- vertex files load before edge files; `.gz` / `.bz2` files are decompressed; `_SUCCESS`, `.crc`
  and hidden files are skipped;
- every value is typed as its column says (Byte, Short, Int, Long, Float as 32-bit, Double, Bool,
  String, Date with millisecond precision);
- repeated ids merge: `set` properties (the default for vertices) gain the new values, `single`
  properties (and all edge properties) must keep their value: a different one is an insert
  error, or replaces the old value when `update_single_cardinality` is on (Neptune's
  `updateSingleCardinalityProperties`); an edge id reused with other endpoints or label is an
  insert error; an edge whose endpoint does not exist is `FROM_OR_TO_VERTEX_ARE_MISSING`;
- `fail_on_error=True` stops at the first bad record (batches already written stay, as on
  Neptune); `False` skips bad records, counts them, and finishes with `LOAD_COMPLETED`;
- loading the same folder twice changes nothing: the second load counts every record as a
  duplicate.

Local differences, stated rather than hidden: TinkerGraph vertices carry one label, so a vertex
with several labels (`A;B`) is stored with the label `A::B` (the form in which Neptune returns
multi-label vertices) and a reload cannot add a label to an existing vertex (LABEL_CONFLICT);
Int and Long values that are numerically equal count as the same value.

Speed: records are parsed and merged per batch in Python, existing elements of the batch are
fetched with one `V(ids)` / `E(ids)` lookup, and new elements are written with one
`inject(rows).unfold().mergeV()/mergeE()` traversal per batch; the next batch is parsed while
the server writes the previous one.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import gc
import math
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gremlin_python.driver import serializer
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Bytecode, Cardinality, Direction, Merge, Scope, T
from gremlin_python.statics import SingleByte, long, short
from gremlin_python.structure.io.graphbinaryV1 import DataType, FloatIO, float_pack

from lineage.neptune_csv import PropertyType
from loader.csv_reader import (
    EdgeRecord,
    NeptuneCsvError,
    PropertyValues,
    VertexRecord,
    iter_records,
)
from loader.errors import GraphConnectionError, LoaderError, SourceError
from loader.files import LoadFile, discover
from loader.report import FINAL_SUCCESS, ErrorDetail, FileResult, LoadReport, Totals, utc_now

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "Float32",
    "LocalLoadOptions",
    "LocalProgress",
    "load_folder",
]

MAX_ERROR_DETAILS = 1000
"""Error details kept in the report (counts are always complete)."""

DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024
"""Gremlin Server's `maxContentLength` as `lineage graph` configures it (the CLI passes the
server config's own value): the largest request, hence the largest record, the server takes."""

_REQUEST_OVERHEAD = 64 * 1024
"""Bytes kept free in every request for the traversal itself and the encoding's framing."""


class Float32(float):
    """A Float column's value: sent as a 32-bit float, the width Neptune stores."""


class Float32IO(FloatIO):  # type: ignore[misc]
    """GraphBinary writer for Float32; gremlinpython sends every Python float as a Double."""

    python_type = Float32
    graphbinary_type = None  # write-only: reading a float keeps gremlinpython's own reader

    @classmethod
    def dictify(
        cls,
        obj: float,
        writer: object,
        to_extend: bytearray,
        as_value: bool = False,
        nullable: bool = True,
    ) -> bytearray:
        cls.prefix_bytes(DataType.float, as_value, nullable, to_extend)
        to_extend.extend(float_pack(obj))
        return to_extend


@dataclass(frozen=True, slots=True)
class LocalLoadOptions:
    """Load options with Neptune's names and defaults."""

    fail_on_error: bool = True
    allow_empty_strings: bool = False
    update_single_cardinality: bool = False
    batch_size: int = 2000
    # Gremlin Server refuses requests over its maxContentLength (10 MiB for `lineage graph`):
    # a batch of long strings (operation params, schemas) is cut before it grows near that, and
    # a record that alone would exceed it is that record's error (RECORD_TOO_LARGE).
    batch_bytes: int = 3_000_000
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    # A server that stops answering (killed, hung, network gone) fails the load after this long
    # instead of blocking it for ever; a batch write takes seconds.
    request_timeout: float = 300.0

    @property
    def max_record_bytes(self) -> int:
        """The largest record (as `_record_bytes` estimates it) one request can carry."""
        return max(self.max_request_bytes - _REQUEST_OVERHEAD, 1)


@dataclass(frozen=True, slots=True)
class LocalProgress:
    """Progress after each batch: the file, its position in the load, records so far."""

    file: str
    file_index: int
    file_count: int
    records: int
    elapsed: float


# --- values --------------------------------------------------------------------------------

GremlinValue = Any  # str, bool, int subclasses, float subclasses or datetime
ValueKey = tuple[str, object]


def _to_byte(value: Any) -> GremlinValue:
    return SingleByte(value)


def _to_short(value: Any) -> GremlinValue:
    return short(value)


def _to_long(value: Any) -> GremlinValue:
    return long(value)


def _to_float32(value: Any) -> GremlinValue:
    return Float32(value)


def _to_date(value: Any) -> GremlinValue:
    # java.util.Date keeps milliseconds: cut finer digits so a reload compares equal.
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _as_is(value: Any) -> GremlinValue:
    return value


_CONVERTERS: dict[PropertyType, Callable[[Any], GremlinValue]] = {
    PropertyType.BYTE: _to_byte,
    PropertyType.SHORT: _to_short,
    PropertyType.LONG: _to_long,
    PropertyType.FLOAT: _to_float32,
    PropertyType.DATE: _to_date,
}


def value_key(value: object) -> ValueKey:
    """A comparable identity for a property value, equal for a value and its stored copy."""
    if type(value) is str:  # the common case first
        return ("s", value)
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("i", int(value))
    if isinstance(value, float):
        return ("f", "nan" if math.isnan(value) else float(value))
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        millis = calendar.timegm(aware.utctimetuple()) * 1000 + round(aware.microsecond / 1000)
        return ("d", millis)
    return ("s", value)


# --- merge state of one batch -----------------------------------------------------------


@dataclass(slots=True)
class _Vertex:
    id: str
    label: str
    file: str
    line: int
    records: int = 0
    set_values: dict[str, dict[ValueKey, GremlinValue]] = field(default_factory=dict)
    single_values: dict[str, tuple[ValueKey, GremlinValue]] = field(default_factory=dict)


@dataclass(slots=True)
class _Edge:
    id: str
    label: str
    from_id: str
    to_id: str
    file: str
    line: int
    records: int = 0
    values: dict[str, tuple[ValueKey, GremlinValue]] = field(default_factory=dict)


class _InsertError(LoaderError):
    """A record the graph cannot take (Neptune counts these as insertErrors)."""

    def __init__(self, code: str, message: str, file: str, line: int) -> None:
        self.code = code
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {code}: {message}")
        self.message = message


class _StopLoad(Exception):
    """failOnError: the first error ends the load."""


# --- the loader --------------------------------------------------------------------------


class _Loader:
    def __init__(
        self,
        g: GraphTraversalSource,
        connection: DriverRemoteConnection,
        options: LocalLoadOptions,
        report: LoadReport,
    ) -> None:
        self.g = g
        self.connection = connection
        self.options = options
        self.report = report
        self.in_flight: Future[Any] | None = None
        self.file_totals = Totals()
        self.file_result = FileResult("", "LOAD_IN_PROGRESS", self.file_totals)
        # Records of flushed batches whose writes the server has not confirmed yet, per file.
        self.unconfirmed: list[tuple[FileResult, int]] = []
        # When the graph starts empty, what exists is exactly what this load created: tracking
        # those ids saves the existence lookups (the common case, a fresh build).
        self.vertices: set[str] | None = None
        self.add_templates: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.edges: set[str] | None = None
        # Traversal templates; each batch replaces the placeholder start argument.
        self.create_vertices = (
            g.inject(0)
            .unfold()
            .merge_v(__.select("m"))
            .option(Merge.on_create, __.select("c"))
            .none()
        )
        self.create_vertices_multi = (
            g.inject(0)
            .unfold()
            .as_("r")
            .merge_v(__.select("m"))
            .option(Merge.on_create, __.select("r").select("c"))
            .as_("v")
            .side_effect(_add_pairs("s", Cardinality.set_))
            .none()
        )
        self.update_vertices = (
            g.inject(0)
            .unfold()
            .as_("r")
            .merge_v(__.select("m"))
            .as_("v")
            .side_effect(_add_pairs("s", Cardinality.set_))
            .side_effect(_add_pairs("1", Cardinality.single))
            .none()
        )
        self.create_edges = (
            g.inject(0)
            .unfold()
            .merge_e(__.select("m"))
            .option(Merge.on_create, __.select("c"))
            .none()
        )
        self.update_edges = (
            g.inject(0)
            .unfold()
            .merge_e(__.select("m"))
            .option(Merge.on_match, __.select("u"))
            .none()
        )
        self.fetch_vertices = (
            g.V("placeholder").project("i", "l", "p").by(T.id).by(T.label).by(__.value_map())
        )
        self.fetch_edges = (
            g.E("placeholder")
            .project("i", "l", "o", "n", "p")
            .by(T.id)
            .by(T.label)
            .by(__.out_v().id_())
            .by(__.in_v().id_())
            .by(__.value_map())
        )
        self.fetch_ids = g.V("placeholder").id_()
        self.any_vertex = g.V().limit(1).count()

    # errors ------------------------------------------------------------------------------

    def record_error(self, detail: ErrorDetail, kind: str) -> None:
        for totals in (self.report.totals, self.file_totals):
            if kind == "parsing":
                totals.parsing_errors += 1
            elif kind == "datatype":
                totals.datatype_mismatch_errors += 1
            else:
                totals.insert_errors += 1
        if len(self.report.errors) < MAX_ERROR_DETAILS:
            self.report.errors.append(detail)
        else:
            self.report.errors_truncated = True
        if self.options.fail_on_error:
            raise _StopLoad

    def csv_error(self, exc: NeptuneCsvError) -> None:
        if exc.line > 1:  # a bad record still counts as a record, as in Neptune's totals
            self.report.totals.records += 1
            self.file_totals.records += 1
        code = "DATA_TYPE_CONVERSION" if exc.kind == "datatype" else "PARSING_ERROR"
        detail = ErrorDetail(code, exc.reason, exc.file, exc.line, exc.column, exc.value)
        self.record_error(detail, exc.kind)

    def insert_error(self, exc: _InsertError) -> None:
        self.record_error(ErrorDetail(exc.code, exc.message, exc.file, exc.line), "insert")

    # server round trips -------------------------------------------------------------------

    def wait(self) -> None:
        """Wait for the batch the server is writing; its failure is this load's failure."""
        future, self.in_flight = self.in_flight, None
        if future is not None:
            try:
                list(future.result(timeout=self.options.request_timeout))
            except GremlinServerError as exc:
                raise GraphConnectionError(f"Gremlin Server refused a write: {exc}") from exc
            except TimeoutError as exc:
                raise GraphConnectionError(
                    "lost the Gremlin Server during a write: no answer within "
                    f"{self.options.request_timeout:g} s (hung, stopped or overloaded)"
                ) from exc
            except Exception as exc:  # the driver raises bare RuntimeError/OSError/aiohttp errors
                raise GraphConnectionError(
                    f"lost the Gremlin Server during a write: {_describe(exc)} (it stopped, or "
                    f"refused a request over its maxContentLength of "
                    f"{self.options.max_request_bytes:,} bytes by closing the connection)"
                ) from exc
        self.confirm()

    def confirm(self) -> None:
        """Every write sent so far succeeded: the records of those batches are committed."""
        for result, count in self.unconfirmed:
            result.committed_records += count
            self.report.committed_records += count
        self.unconfirmed.clear()

    def submit(self, template: Any, rows: list[Any]) -> None:
        """Send one batch write; it runs on the server while the next batch is parsed."""
        self.wait()
        try:
            self.in_flight = self.connection.submit_async(_with_start(template, rows))
        except Exception as exc:  # a connection closed by the server fails here
            raise GraphConnectionError(
                f"lost the Gremlin Server before a write: {_describe(exc)}"
            ) from exc

    def lookup(self, template: Any, batch: dict[str, Any], created: set[str] | None) -> list[Any]:
        """The stored state of the batch's ids that exist (only those this load made, if known)."""
        ids = list(batch) if created is None else [i for i in batch if i in created]
        return self.query(template, ids) if ids else []

    def query(self, template: Any, ids: list[str]) -> list[Any]:
        """Look `ids` up, after the write in flight (which may create some of them)."""
        self.wait()
        try:
            future = self.connection.submit_async(_with_start(template, ids))
            return list(future.result(timeout=self.options.request_timeout))
        except GremlinServerError as exc:
            raise GraphConnectionError(f"Gremlin Server refused a read: {exc}") from exc
        except Exception as exc:  # the driver raises bare RuntimeError/OSError/aiohttp errors
            raise GraphConnectionError(
                f"lost the Gremlin Server during a read: {_describe(exc)}"
            ) from exc

    def graph_is_empty(self) -> bool:
        """True when the graph holds no vertex (then this load tracks what exists itself)."""
        try:
            future = self.connection.submit_async(self.any_vertex.bytecode)
            counts = list(future.result(timeout=self.options.request_timeout))
        except Exception as exc:  # the driver raises bare RuntimeError/OSError/aiohttp errors
            raise GraphConnectionError(
                f"lost the Gremlin Server during a read: {_describe(exc)}"
            ) from exc
        return not counts or not counts[0]

    # values ------------------------------------------------------------------------------

    def gremlin_values(self, prop: PropertyValues) -> list[GremlinValue]:
        # Keyed by type, not by Column: hashing a frozen dataclass per value costs more than
        # the conversion itself.
        convert = _CONVERTERS.get(prop.column.type)
        if convert is None:
            return list(prop.values)
        return [convert(v) for v in prop.values]

    # vertices ----------------------------------------------------------------------------

    def merge_vertex(self, batch: dict[str, _Vertex], record: VertexRecord) -> None:
        label = "::".join(sorted(set(record.labels)))
        pending = batch.get(record.id)
        if pending is not None and pending.label != label:
            raise _InsertError(
                "LABEL_CONFLICT",
                f"vertex {record.id!r} has label {pending.label!r} (line {pending.line}), "
                f"not {label!r}",
                record.file,
                record.line,
            )
        singles: list[tuple[str, ValueKey, GremlinValue]] = []
        sets: list[tuple[str, list[GremlinValue]]] = []
        for prop in record.properties:
            values = self.gremlin_values(prop)
            name = prop.column.name
            if prop.column.is_single:
                value = values[0]
                key = value_key(value)
                if pending is not None and name in pending.single_values:
                    old_key, old = pending.single_values[name]
                    if old_key != key and not self.options.update_single_cardinality:
                        raise _InsertError(
                            "CARDINALITY_VIOLATION",
                            f"vertex {record.id!r}: single property {name!r} already gets "
                            f"{old!r} in this load, not {value!r}",
                            record.file,
                            record.line,
                        )
                singles.append((name, key, value))
            else:
                sets.append((name, values))
        if pending is None:
            pending = batch[record.id] = _Vertex(record.id, label, record.file, record.line)
        pending.records += 1
        for name, key, value in singles:
            pending.single_values[name] = (key, value)
        for name, values in sets:
            bucket = pending.set_values.setdefault(name, {})
            for value in values:
                bucket.setdefault(value_key(value), value)

    def flush_vertices(self, batch: dict[str, _Vertex]) -> None:
        if not batch:
            return
        existing = {row["i"]: row for row in self.lookup(self.fetch_vertices, batch, self.vertices)}
        creates: list[dict[str, Any]] = []
        creates_multi: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for vertex in batch.values():
            found = existing.get(vertex.id)
            if found is None:
                row = self.create_row(vertex)
                (creates_multi if "s" in row else creates).append(row)
                self.report.vertices_created += 1
                if self.vertices is not None:
                    self.vertices.add(vertex.id)
                continue
            try:
                update = self.update_row(vertex, found["l"], found["p"])
            except _InsertError as exc:
                self.insert_error(exc)
                continue
            if update is None:
                self.report.totals.duplicates += vertex.records
                self.file_totals.duplicates += vertex.records
            else:
                updates.append(update)
        if creates:
            self.create_simple(creates)
        if creates_multi:
            self.submit(self.create_vertices_multi, creates_multi)
        if updates:
            self.submit(self.update_vertices, updates)

    def create_simple(self, rows: list[dict[str, Any]]) -> None:
        """New vertices with one value per property: `addV` with the keys fixed per group.

        Cheaper on both sides than `mergeV` with a map per row (no match lookup per vertex,
        flat rows); the batch's ids are known to be new.
        """
        groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        for row in rows:
            create = row["c"]
            flat = {name: value for name, value in create.items() if name is not T.label}
            flat["~id"] = row["m"][T.id]  # "~" cannot start a property name: no clash
            groups.setdefault((create[T.label], tuple(sorted(flat))), []).append(flat)
        for key, group in groups.items():
            template = self.add_templates.get(key)
            if template is None:
                label, names = key
                template = self.g.inject(0).unfold().as_("r").add_v(label)
                for name in names:
                    selected = __.select("r").select(name)
                    template = template.property(T.id if name == "~id" else name, selected)
                template = self.add_templates[key] = template.none()
            self.submit(template, group)

    def create_row(self, vertex: _Vertex) -> dict[str, Any]:
        create: dict[Any, Any] = {T.label: vertex.label}
        extra: list[list[Any]] = []
        for name, (_, value) in vertex.single_values.items():
            create[name] = value
            self.report.properties_added += 1
        for name, bucket in vertex.set_values.items():
            values = list(bucket.values())
            create[name] = values[0]
            extra.extend([name, value] for value in values[1:])
            self.report.properties_added += len(values)
        row: dict[str, Any] = {"m": {T.id: vertex.id}, "c": create}
        if extra:
            row["s"] = extra
        return row

    def update_row(
        self, vertex: _Vertex, label: str, stored: dict[str, list[Any]]
    ) -> dict[str, Any] | None:
        if label != vertex.label:
            raise _InsertError(
                "LABEL_CONFLICT",
                f"vertex {vertex.id!r} exists with label {label!r}, not {vertex.label!r} "
                "(the local graph cannot relabel a vertex)",
                vertex.file,
                vertex.line,
            )
        add_set: list[list[Any]] = []
        set_single: list[list[Any]] = []
        for name, bucket in vertex.set_values.items():
            have = {value_key(v) for v in stored.get(name, [])}
            add_set.extend([name, value] for key, value in bucket.items() if key not in have)
        for name, (key, value) in vertex.single_values.items():
            olds = stored.get(name, [])
            old_keys = {value_key(v) for v in olds}
            if old_keys == {key}:
                continue
            if olds and not self.options.update_single_cardinality:
                raise _InsertError(
                    "CARDINALITY_VIOLATION",
                    f"vertex {vertex.id!r}: single property {name!r} holds {olds[0]!r}, "
                    f"not {value!r} (updateSingleCardinalityProperties is off)",
                    vertex.file,
                    vertex.line,
                )
            set_single.append([name, value])
        if not add_set and not set_single:
            return None
        self.report.properties_added += len(add_set) + len(set_single)
        return {"m": {T.id: vertex.id}, "s": add_set, "1": set_single}

    # edges -------------------------------------------------------------------------------

    def merge_edge(self, batch: dict[str, _Edge], record: EdgeRecord) -> None:
        pending = batch.get(record.id)
        if pending is not None and (pending.label, pending.from_id, pending.to_id) != (
            record.label,
            record.from_id,
            record.to_id,
        ):
            raise _InsertError(
                "EDGE_ID_CONFLICT",
                f"edge {record.id!r} is {pending.from_id!r}-{pending.label}->{pending.to_id!r} "
                f"(line {pending.line}), not {record.from_id!r}-{record.label}->{record.to_id!r}",
                record.file,
                record.line,
            )
        values: list[tuple[str, ValueKey, GremlinValue]] = []
        for prop in record.properties:
            value = self.gremlin_values(prop)[0]
            key = value_key(value)
            name = prop.column.name
            if pending is not None and name in pending.values:
                old_key, old = pending.values[name]
                if old_key != key and not self.options.update_single_cardinality:
                    raise _InsertError(
                        "CARDINALITY_VIOLATION",
                        f"edge {record.id!r}: property {name!r} already gets {old!r} in this "
                        f"load, not {value!r}",
                        record.file,
                        record.line,
                    )
            values.append((name, key, value))
        if pending is None:
            pending = batch[record.id] = _Edge(
                record.id, record.label, record.from_id, record.to_id, record.file, record.line
            )
        pending.records += 1
        for name, key, value in values:
            pending.values[name] = (key, value)

    def flush_edges(self, batch: dict[str, _Edge]) -> None:
        if not batch:
            return
        existing = {row["i"]: row for row in self.lookup(self.fetch_edges, batch, self.edges)}
        endpoints = {
            vertex_id
            for edge in batch.values()
            if edge.id not in existing
            for vertex_id in (edge.from_id, edge.to_id)
        }
        if self.vertices is not None:
            present = endpoints & self.vertices
        elif endpoints:
            present = set(self.query(self.fetch_ids, list(endpoints)))
        else:
            present = set()
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for edge in batch.values():
            try:
                found = existing.get(edge.id)
                if found is None:
                    missing = [v for v in (edge.from_id, edge.to_id) if v not in present]
                    if missing:
                        raise _InsertError(
                            "FROM_OR_TO_VERTEX_ARE_MISSING",
                            f"edge {edge.id!r}: vertex {missing[0]!r} does not exist "
                            f"(from {edge.from_id!r}, to {edge.to_id!r})",
                            edge.file,
                            edge.line,
                        )
                    creates.append(
                        {
                            "m": {
                                T.id: edge.id,
                                T.label: edge.label,
                                Direction.OUT: edge.from_id,
                                Direction.IN: edge.to_id,
                            },
                            "c": {name: value for name, (_, value) in edge.values.items()},
                        }
                    )
                    self.report.edges_created += 1
                    if self.edges is not None:
                        self.edges.add(edge.id)
                    self.report.properties_added += len(edge.values)
                    continue
                update = self.edge_update(edge, found)
            except _InsertError as exc:
                self.insert_error(exc)
                continue
            if update is None:
                self.report.totals.duplicates += edge.records
                self.file_totals.duplicates += edge.records
            else:
                updates.append(update)
        if creates:
            self.submit(self.create_edges, creates)
        if updates:
            self.submit(self.update_edges, updates)

    def edge_update(self, edge: _Edge, found: dict[str, Any]) -> dict[str, Any] | None:
        if (found["l"], found["o"], found["n"]) != (edge.label, edge.from_id, edge.to_id):
            raise _InsertError(
                "EDGE_ID_CONFLICT",
                f"edge {edge.id!r} exists as {found['o']!r}-{found['l']}->{found['n']!r}, "
                f"not {edge.from_id!r}-{edge.label}->{edge.to_id!r}",
                edge.file,
                edge.line,
            )
        stored: dict[str, Any] = found["p"]
        changes: dict[str, Any] = {}
        for name, (key, value) in edge.values.items():
            if name not in stored:
                changes[name] = value
            elif value_key(stored[name]) != key:
                if not self.options.update_single_cardinality:
                    raise _InsertError(
                        "CARDINALITY_VIOLATION",
                        f"edge {edge.id!r}: property {name!r} holds {stored[name]!r}, not "
                        f"{value!r} (updateSingleCardinalityProperties is off)",
                        edge.file,
                        edge.line,
                    )
                changes[name] = value
        if not changes:
            return None
        self.report.properties_added += len(changes)
        return {"m": {T.id: edge.id}, "u": changes}

    # files -------------------------------------------------------------------------------

    def load_file(self, file: LoadFile, progress: Callable[[int], None]) -> None:
        on_error = None if self.options.fail_on_error else self.csv_error
        records = iter_records(
            file.path,
            name=file.name,
            allow_empty_strings=self.options.allow_empty_strings,
            on_error=on_error,
        )
        if file.layout.kind == "vertex":
            self.load_records(file, records, self.merge_vertex, self.flush_vertices, progress)
        else:
            self.load_records(file, records, self.merge_edge, self.flush_edges, progress)

    def load_records(
        self,
        file: LoadFile,
        records: Iterator[Any],
        merge: Callable[[dict[str, Any], Any], None],
        flush: Callable[[dict[str, Any]], None],
        progress: Callable[[int], None],
    ) -> None:
        batch: dict[str, Any] = {}
        size = self.options.batch_size
        budget = self.options.batch_bytes
        largest = self.options.max_record_bytes
        text = 0  # estimated request bytes of the batch: requests have a size limit
        line = 1  # the last record read, for a read error that names no line
        mark = (self.file_totals.records, self.file_totals.errors)

        def send() -> None:
            nonlocal batch, text, mark
            flush(batch)
            records_now, errors_now = self.file_totals.records, self.file_totals.errors
            written = (records_now - mark[0]) - (errors_now - mark[1])
            self.unconfirmed.append((self.file_result, written))
            mark = (records_now, errors_now)
            progress(self.report.totals.records)
            batch, text = {}, 0

        try:
            for record in records:
                line = record.line
                self.report.totals.records += 1
                self.file_totals.records += 1
                weight = _record_bytes(record)
                if weight > largest:
                    self.insert_error(_too_large(record, weight, self.options.max_request_bytes))
                    continue
                if batch and text + weight > budget:
                    send()  # keep the request under the limit: this record opens the next one
                try:
                    merge(batch, record)
                except _InsertError as exc:
                    self.insert_error(exc)
                text += weight
                if len(batch) >= size or text >= budget:
                    send()
        except NeptuneCsvError as exc:
            self.csv_error(exc)  # failOnError: records this error, then stops the load
        except (OSError, EOFError, zlib.error, MemoryError) as exc:
            # The file changed or broke after the read-through check: stop reading it.
            self.csv_error(
                NeptuneCsvError(f"cannot read on ({_describe(exc)})", file=file.name, line=line)
            )
        send()


def _utf8_size(text: str) -> int:
    # isascii() is O(1) on CPython's compact strings: only non-ASCII text is encoded to count.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _record_bytes(record: VertexRecord | EdgeRecord) -> int:
    """About how many bytes the record takes in a write request (an upper estimate).

    Strings count their UTF-8 bytes, every value and name a few bytes of framing, other values
    8 bytes; the ids and the label are sent once each, property names once per value.
    """
    total = 64 + _utf8_size(record.id)
    if isinstance(record, EdgeRecord):
        total += _utf8_size(record.from_id) + _utf8_size(record.to_id) + _utf8_size(record.label)
    else:
        total += sum(_utf8_size(label) + 8 for label in record.labels)
    for prop in record.properties:
        name = _utf8_size(prop.column.name) + 16
        for value in prop.values:
            total += name + (_utf8_size(value) if type(value) is str else 8) + 16
    return total


def _too_large(record: VertexRecord | EdgeRecord, weight: int, limit: int) -> _InsertError:
    biggest = max(
        record.properties,
        key=lambda p: sum(_utf8_size(v) if type(v) is str else 8 for v in p.values),
        default=None,
    )
    where = f" (largest property {biggest.column.name!r})" if biggest is not None else ""
    return _InsertError(
        "RECORD_TOO_LARGE",
        f"{record.id[:80]!r} needs about {weight:,} bytes in a request{where}; the Gremlin "
        f"Server takes requests up to {limit:,} bytes (maxContentLength)",
        record.file,
        record.line,
    )


def _describe(exc: BaseException) -> str:
    """`Type: message` of an exception, in one line (drivers raise some without a message)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _QuietBytecode(Bytecode):  # type: ignore[misc]
    """Bytecode with a short repr.

    gremlinpython formats every request into its debug log lines eagerly (`str(bytecode)`),
    which for a batch of thousands of rows costs more than serializing it.
    """

    def __repr__(self) -> str:
        return f"<bytecode of {len(self.step_instructions)} steps>"


def _with_start(template: Any, argument: list[Any]) -> _QuietBytecode:
    """The template's bytecode with its first step's argument replaced by `argument`.

    Bypasses gremlinpython's argument conversion, which walks every row of a batch in Python.
    """
    bytecode = _QuietBytecode(template.bytecode)
    bytecode.step_instructions[0] = [bytecode.step_instructions[0][0], argument]
    return bytecode


def _add_pairs(key: str, cardinality: Cardinality) -> Any:
    """Side effect adding each [name, value] pair listed under `key` of row `r` to vertex `v`."""
    return (
        __.select("r")
        .select(key)
        .unfold()
        .as_("kv")
        .select("v")
        .property(
            cardinality, __.select("kv").limit(Scope.local, 1), __.select("kv").tail(Scope.local, 1)
        )
    )


def connect(
    url: str, request_timeout: float = 300.0
) -> tuple[DriverRemoteConnection, GraphTraversalSource]:
    """One pooled GraphBinary connection and its traversal source; GraphConnectionError if down."""
    connection: DriverRemoteConnection | None = None
    try:
        connection = DriverRemoteConnection(
            url,
            "g",
            pool_size=2,
            message_serializer=serializer.GraphBinarySerializersV1(),
            read_timeout=request_timeout,
            write_timeout=request_timeout,
            # Lookups read back stored values (a long string per vertex, 64 vertices a frame):
            # the client takes any answer size, the server's own limit bounds the requests.
            max_content_length=0,
        )
        g = traversal().with_remote(connection)
        g.inject(1).next()
    except Exception as exc:  # the driver raises bare OSError/aiohttp errors on connect
        if connection is not None:
            _close_quietly(connection)
        raise GraphConnectionError(
            f"cannot reach Gremlin Server at {url} ({_describe(exc)}); "
            "start it with `lineage graph start`"
        ) from exc
    return connection, g


def _close_quietly(connection: DriverRemoteConnection) -> None:
    # Closing a connection the server dropped raises from the driver; there is nothing to save.
    with contextlib.suppress(Exception):
        connection.close()


def load_folder(
    source: Path,
    url: str,
    options: LocalLoadOptions | None = None,
    progress: Callable[[LocalProgress], None] | None = None,
    source_label: str | None = None,
) -> LoadReport:
    """Load every Neptune Gremlin CSV file under `source` into the Gremlin Server at `url`.

    Never raises (Ctrl-C included): the report's status is Neptune's (`LOAD_COMPLETED`,
    `LOAD_FAILED`, `LOAD_CANCELLED_BY_USER`, `LOAD_UNEXPECTED_ERROR`), `stopped_by` says why a
    load ended early (`source`: missing or empty folder; `graph`: server unreachable, lost or
    refusing a write; `internal`: a loader bug), and every file records how many of its records
    the graph confirmed (`committed_records`).
    """
    options = options or LocalLoadOptions()
    started = time.monotonic()
    report = LoadReport(
        target="gremlin-server",
        source=source_label or str(source),
        status="LOAD_IN_PROGRESS",
        started_at=utc_now(),
    )
    try:
        status = _load(source, url, options, progress, report, started)
    except KeyboardInterrupt:
        status = "LOAD_CANCELLED_BY_USER"
        report.notes.append("interrupted: batches written before Ctrl-C stay in the graph")
    except SourceError as exc:
        status = "LOAD_FAILED"
        report.stopped_by = "source"
        report.errors.append(ErrorDetail("SOURCE_ERROR", str(exc)))
    except GraphConnectionError as exc:
        status = "LOAD_UNEXPECTED_ERROR"
        report.stopped_by = "graph"
        report.errors.append(ErrorDetail("GREMLIN_SERVER_ERROR", str(exc)))
    except Exception as exc:  # a loader bug must still leave a report of what was committed
        status = "LOAD_UNEXPECTED_ERROR"
        report.stopped_by = "internal"
        report.errors.append(ErrorDetail("INTERNAL_ERROR", _describe(exc)))
    for result in report.files:
        if result.status == "LOAD_IN_PROGRESS":
            result.status = "LOAD_FAILED" if status != "LOAD_CANCELLED_BY_USER" else status
            report.failed_files.append(result)
    report.finish(status, started, time.monotonic())
    return report


def _load(
    source: Path,
    url: str,
    options: LocalLoadOptions,
    progress: Callable[[LocalProgress], None] | None,
    report: LoadReport,
    started: float,
) -> str:
    """The load proper; returns the final status, raises what `load_folder` turns into one."""
    found = discover(source)
    for problem in found.unreadable:
        report.totals.parsing_errors += 1
        report.errors.append(
            ErrorDetail(
                "PARSING_ERROR", problem.reason, problem.file, problem.line, None, problem.value
            )
        )
        failed = FileResult(problem.file, "LOAD_FAILED", Totals(parsing_errors=1))
        report.files.append(failed)
        report.failed_files.append(failed)
    if found.unreadable and options.fail_on_error:
        report.notes.append("failOnError: a file cannot be read, so nothing was loaded")
        return "LOAD_FAILED"
    files = found.files
    connection, g = connect(url, options.request_timeout)
    loader = _Loader(g, connection, options, report)
    status = FINAL_SUCCESS
    # A load allocates millions of long-lived small objects and makes no reference cycles worth
    # collecting; the cyclic collector's full passes over them cost more than the load's work.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if loader.graph_is_empty():
            loader.vertices, loader.edges = set(), set()
        for index, file in enumerate(files):
            loader.file_totals = Totals()
            result = FileResult(file.name, "LOAD_IN_PROGRESS", loader.file_totals)
            loader.file_result = result
            report.files.append(result)

            def advance(records: int, name: str = file.name, position: int = index) -> None:
                if progress is not None:
                    progress(
                        LocalProgress(
                            name, position + 1, len(files), records, time.monotonic() - started
                        )
                    )

            try:
                loader.load_file(file, advance)
                loader.wait()
            except _StopLoad:
                loader.wait()
                result.status = "LOAD_FAILED"
                report.failed_files.append(result)
                status = "LOAD_FAILED"
                break
            result.status = "LOAD_FAILED" if loader.file_totals.errors else FINAL_SUCCESS
            if loader.file_totals.errors:
                report.failed_files.append(result)
    finally:
        try:
            loader.wait()
        finally:
            _close_quietly(connection)
            if collecting:
                gc.enable()
    return status
