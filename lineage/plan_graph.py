"""One parsed plan (and the events of its runs) -> the vertex and edge rows of the graph.

Pure and deterministic: the same plan, events and raw objects give the same rows in the same
order. Raises DanglingReferenceError, or GraphModelError subclasses (PlanStructureError,
DatasetIdentityError) for plans that cannot be represented; the normalize job quarantines those
with the message as the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from lineage import column_lineage as cl
from lineage import spline as sm
from lineage.dataset_identity import (
    DEFAULT_CATALOG,
    CatalogName,
    LayerRules,
    catalog_name,
    normalize_uri,
    parse_table_identifier,
    sibling_catalog,
)
from lineage.dataset_properties import (
    TABLE_FORMATS,
    DatasetClaims,
    FormatClaim,
    Role,
    TableClaim,
)
from lineage.dml_lineage import dml_lineage
from lineage.graph_schema import (
    ColumnVertex,
    DerivesFromEdge,
    ExecutedEdge,
    FollowsEdge,
    GraphRow,
    HasOperationEdge,
    HasPlanEdge,
    HasRunEdge,
    JobVertex,
    OfEdge,
    OperationVertex,
    PlanVertex,
    ReadsEdge,
    RunVertex,
    UsesEdge,
    WriteMode,
    WritesEdge,
    column_id,
    dataset_id,
    job_id,
    operation_id,
    plan_vertex_id,
)
from lineage.job_identity import JobIdentity, identify_job
from lineage.plan_identity import plan_content_key, statement_key

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_PARAMS_CHARS",
    "PlanGraph",
    "RawSource",
    "plan_graph",
    "run_rows",
    "write_mode",
]

MAX_PARAMS_CHARS = 4000
_SHOWN_CHARS = 200  # of an odd identifier or location quoted in a note
MAX_ERROR_CHARS = 2000
# Write commands whose name says what they do (Delta 3.2 commands, Spark 3.5 logical V2 writes);
# every other write is `append` or `overwrite` by the agent's `append` flag.
_MODE_BY_COMMAND: dict[str, WriteMode] = {
    "MergeIntoCommand": WriteMode.MERGE,
    "MergeIntoTable": WriteMode.MERGE,
    "UpdateCommand": WriteMode.UPDATE,
    "UpdateTable": WriteMode.UPDATE,
    "DeleteCommand": WriteMode.DELETE,
    "DeleteFromTable": WriteMode.DELETE,
    "AppendData": WriteMode.APPEND,
    "OverwriteByExpression": WriteMode.OVERWRITE,
    "OverwritePartitionsDynamic": WriteMode.OVERWRITE,
}
# Spark's row-level V2 writes (Iceberg MERGE/UPDATE/DELETE): the command is in the plan's other
# operators or the write's parameters, not in the write's name.
_ROW_LEVEL_WRITES = frozenset({"ReplaceData", "WriteDelta"})


@dataclass(frozen=True, slots=True)
class RawSource:
    """Where a payload came from: its raw-zone key and the SHA-256 of its bytes."""

    key: str
    sha256: str


@dataclass(frozen=True, slots=True)
class PlanGraph:
    """The rows of one plan, and the job it belongs to (runs need it)."""

    rows: tuple[GraphRow, ...]
    job: JobIdentity
    # What this plan claims about each dataset it touches, by `Dataset` vertex id: the normalize
    # job merges them across plans (lineage.dataset_properties) instead of picking one row.
    datasets: Mapping[str, DatasetClaims] = field(default_factory=dict)
    # References to attributes/expressions the plan lacks ("attr a-9", "expr e-3"): the lineage
    # is partial there, every other column keeps its edges.
    unresolved: tuple[str, ...] = ()
    # How odd input was read (a table identifier naming no table, an implied catalog, formats
    # the plan's own operations disagree on): the answer is deterministic, the note says which.
    notes: tuple[str, ...] = ()


def _operator(op: sm.Operation) -> tuple[str, str]:
    """An operation's kind in the graph (`read`, `write`, `transform`) and its operator name."""
    if isinstance(op, sm.ReadOperation):
        return "read", op.name or "Read"
    if isinstance(op, sm.WriteOperation):
        return "write", op.name or "Write"
    return "transform", op.name or "Operation"


def _catalog_table(params: Mapping[str, sm.JsonValue]) -> CatalogName | None:
    """The catalog table an operation's parameters name, normalized (None when they name none).

    The agent sends V2 tables as a dotted string (`params.table.identifier`: `lake.db.t`,
    `db.t`) and V1 tables as `{table, database}`, which address the session catalog.
    """
    for key in ("table", "catalogTable", "tableIdentifier", "tableName"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return parse_table_identifier(value)
        if isinstance(value, dict):
            ident = value.get("identifier", value)
            if isinstance(ident, str) and ident:
                return parse_table_identifier(ident)
            if isinstance(ident, dict):
                name, db, cat = ident.get("table"), ident.get("database"), ident.get("catalog")
                if isinstance(name, str):
                    return catalog_name(
                        name,
                        db if isinstance(db, str) else None,
                        cat if isinstance(cat, str) else DEFAULT_CATALOG,
                    )
    return None


def _table_text(params: Mapping[str, sm.JsonValue]) -> str | None:
    """The dotted table identifier string an operation's parameters carry, if any."""
    for key in ("table", "catalogTable", "tableIdentifier", "tableName"):
        value = params.get(key)
        if isinstance(value, dict):
            value = value.get("identifier")
        if isinstance(value, str) and value:
            return value
    return None


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _command_named(params: Mapping[str, sm.JsonValue]) -> WriteMode | None:
    # Whole words only: a column called `last_update` names no command.
    text = orjson.dumps(dict(params), option=orjson.OPT_SORT_KEYS).decode().upper()
    for mode in (WriteMode.MERGE, WriteMode.UPDATE, WriteMode.DELETE):
        if re.search(rf"\b{mode.value.upper()}\b", text):
            return mode
    return None


def write_mode(plan: sm.ExecutionPlan) -> WriteMode:
    """What the plan's write does: merge, update, delete, append or overwrite.

    Named DML commands and V2 writes say it by their name; Spark's row-level writes
    (`ReplaceData`, `WriteDelta`) are a merge when the plan has a `MergeRows` operator, else the
    command their parameters name; anything else follows the agent's `append` flag.
    """
    write = plan.operations.write
    name = (write.name or "").rsplit(".", 1)[-1]
    mode = _MODE_BY_COMMAND.get(name)
    if mode is not None:
        return mode
    if name in _ROW_LEVEL_WRITES:
        if any((op.name or "") == "MergeRows" for op in plan.operations.other):
            return WriteMode.MERGE
        named = _command_named(write.params)
        if named is not None:
            return named
    return WriteMode.APPEND if write.append else WriteMode.OVERWRITE


def _levels(plan: sm.ExecutionPlan) -> dict[str, int]:
    """Longest distance from the write, so a hierarchical layout puts children below parents."""
    by_id = plan.operation_by_id
    level: dict[str, int] = {plan.operations.write.id: 0}
    order: list[str] = []
    seen: set[str] = set()
    # Iterative post-order DFS from the write gives a topological order (the model has no cycles).
    stack: list[tuple[str, int]] = [(plan.operations.write.id, 0)]
    while stack:
        node, index = stack.pop()
        children = by_id[node].child_ids
        if index < len(children):
            stack.append((node, index + 1))
            child = children[index]
            if child not in seen:
                seen.add(child)
                stack.append((child, 0))
        else:
            order.append(node)
    for node in reversed(order):
        for child in by_id[node].child_ids:
            level[child] = max(level.get(child, 0), level[node] + 1)
    return level


def _params_json(params: Mapping[str, sm.JsonValue], walker: cl.PlanWalker) -> str:
    """Operation parameters as JSON with attribute/expression references replaced by text."""

    def resolve(value: sm.JsonValue) -> sm.JsonValue:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, ref),) = value.items()
                if key == "__attrId" and isinstance(ref, str):
                    return walker.text(sm.AttrRef(ref))
                if key == "__exprId" and isinstance(ref, str):
                    return walker.text(sm.ExprRef(ref))
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    text = orjson.dumps(resolve(dict(params)), option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= MAX_PARAMS_CHARS else text[: MAX_PARAMS_CHARS - 1] + "…"


def _schema_json(walker: cl.PlanWalker, op_id: str) -> str:
    cols = []
    for attr_id in walker.output_of(op_id):
        attr = walker.attribute(attr_id)
        cols.append({"name": attr.name, "type": walker.type_of(attr)})
    return orjson.dumps(cols).decode()


def _format(extra: Mapping[str, sm.JsonValue], key: str) -> str | None:
    value = extra.get(key)
    return value.lower() if isinstance(value, str) and value else None


def plan_graph(plan: sm.ExecutionPlan, source: RawSource, rules: LayerRules) -> PlanGraph:
    """All rows one plan contributes: job, plan, operations, datasets, columns and their edges."""
    walker = cl.PlanWalker(plan, tolerant=True)
    job = identify_job(plan.app_name, plan.labels)
    pid = plan.id
    plan_vid = plan_vertex_id(pid)
    write = plan.operations.write
    mode = write_mode(plan)
    # MERGE/UPDATE/DELETE columns follow their assignments and conditions, not the plan's shape.
    lineage = dml_lineage(plan, walker, mode, walker.trace())
    rows: list[GraphRow] = [
        JobVertex(job.name, job.glue_job_name),
        PlanVertex(
            plan_id=pid,
            job_name=job.name,
            spline_version=plan.api_version.value,
            spark_version=plan.system_info.version,
            agent_version=plan.agent_info.version if plan.agent_info else None,
            write_mode=mode.value,
            raw_key=source.key,
            raw_sha256=source.sha256,
            content_key=plan_content_key(plan),
            statement_key=statement_key(plan, mode),
        ),
        HasPlanEdge(job_id(job.name), plan_vid),
    ]
    # Datasets: the write's target and every read source, keyed by normalized URI. Each
    # side's claims (catalog name, format) merge by lineage.dataset_properties' precedence, so
    # a plan that reads and writes one table keeps the name either side gives.
    claims: dict[str, DatasetClaims] = {}
    notes: set[str] = set()
    formats: dict[str, set[tuple[str, str]]] = {}

    def claim(uri: str, table: CatalogName | None, fmt: str | None, role: Role) -> None:
        if fmt is not None:
            formats.setdefault(uri, set()).add((role.name.lower(), fmt.lower()))
        made = DatasetClaims(
            uri,
            rules.layer_of(uri),
            None if table is None else TableClaim.of(table, role),
            None if fmt is None else FormatClaim.of(fmt, role),
        )
        seen = claims.get(uri)
        claims[uri] = made if seen is None else seen.merge(made)

    out_uri = normalize_uri(write.output_source)
    read_uris: dict[str, tuple[str, ...]] = {}
    named_reads: list[tuple[CatalogName, str]] = []
    for read in plan.operations.reads:
        table = _catalog_table(read.params)
        _note_identifier(notes, "read", read.params, table)
        fmt = _format(read.extra, "sourceType")
        uris: list[str] = []
        for raw_uri in read.input_sources:
            uri = normalize_uri(raw_uri)
            uris.append(uri)
            claim(uri, table, fmt, Role.READ)
            if table is not None:
                named_reads.append((table, uri))
        read_uris[read.id] = tuple(dict.fromkeys(uris))
    written_table = _catalog_table(write.params)
    _note_identifier(notes, "write", write.params, written_table)
    if written_table is not None:
        written_table = sibling_catalog(written_table, out_uri, named_reads)
        text = _table_text(write.params)
        # Only Iceberg's: a session-catalog table (Delta, Hive) is rightly `spark_catalog`,
        # while an Iceberg name without its catalog is the one the agent truncates (CTAS).
        destination = _format(write.extra, "destinationType")
        if text is not None and not written_table.explicit and destination == "iceberg":
            notes.add(
                f"write table {_shown(text)!r} names no catalog and no table beside it does: "
                f"read as {written_table.name}"
            )
    claim(out_uri, written_table, _format(write.extra, "destinationType"), Role.WRITE)
    datasets = {uri: claims[uri].vertex() for uri in claims}
    rows.extend(datasets[uri] for uri in sorted(datasets))
    for uri in sorted({u for uris in read_uris.values() for u in uris}):
        rows.append(ReadsEdge(plan_vid, dataset_id(uri)))
    rows.append(WritesEdge(plan_vid, dataset_id(out_uri), write.append, mode))
    # Operations and the DAG between them.
    levels = _levels(plan)
    for op in sorted(plan.operations.all, key=lambda o: o.id):
        kind, operator = _operator(op)
        op_vid = operation_id(pid, op.id)
        rows.append(
            OperationVertex(
                plan_id=pid,
                op_id=op.id,
                kind=kind,
                operator=operator,
                params=_params_json(op.params, walker),
                schema=_schema_json(walker, op.id),
                level=levels.get(op.id, -1),
            )
        )
        rows.append(HasOperationEdge(plan_vid, op_vid))
        for child in op.child_ids:
            rows.append(FollowsEdge(op_vid, operation_id(pid, child)))
    # Columns: written ones belong to the output dataset, read ones to each read source.
    columns: dict[str, ColumnVertex] = {}
    for name, data_type in lineage.written:
        col = ColumnVertex(out_uri, name, data_type)
        columns.setdefault(col.id, col)

    def source_ids(src: cl.SourceColumn) -> list[str]:
        ids = []
        for uri in read_uris.get(src.read_op_id, ()):
            col = ColumnVertex(uri, src.name, src.data_type)
            columns.setdefault(col.id, col)
            ids.append(col.id)
        return ids

    edges: list[GraphRow] = []
    for der in lineage.derivations:
        target = column_id(out_uri, der.target)
        for sid in source_ids(der.source):
            edges.append(DerivesFromEdge(target, sid, pid, der.kind.label, der.expression))
    for use in lineage.uses:
        for sid in source_ids(use.source):
            edges.append(UsesEdge(operation_id(pid, use.op_id), sid, use.role))
    for cid in sorted(columns):
        col = columns[cid]
        rows.append(col)
        rows.append(OfEdge(cid, dataset_id(col.dataset_uri)))
    rows.extend(edges)
    unresolved = tuple(sorted(f"{r.kind} {r.id}" for r in walker.unresolved))
    by_id = {dataset_id(uri): made for uri, made in claims.items()}
    for uri, said in sorted(formats.items()):
        # A table format beside file formats is how the agent reports a Delta path read
        # (`parquet`): documented precedence, no note. Two table formats, or two file formats
        # and no table format, are a real disagreement.
        table_formats = {fmt for _role, fmt in said if fmt in TABLE_FORMATS}
        if len(table_formats) > 1 or (not table_formats and len({f for _r, f in said}) > 1):
            chosen = claims[uri].vertex().format
            told = ", ".join(f"{role} {fmt}" for role, fmt in sorted(said))
            notes.add(f"formats differ for {_shown(uri)} ({told}): {chosen} by precedence")
    return PlanGraph(tuple(rows), job, by_id, unresolved, tuple(sorted(notes)))


def _note_identifier(
    notes: set[str], side: str, params: Mapping[str, sm.JsonValue], table: CatalogName | None
) -> None:
    """Note a table identifier that names no catalog table (a path, a hash, a broken name)."""
    text = _table_text(params)
    # A path (`delta.`/lake/t``) or an object's toString (`PathIdentifier@1f`) is the agent's
    # usual spelling of a table addressed by location: no note for those.
    if text is not None and table is None and not any(c in text for c in "/@"):
        notes.add(
            f"{side} table identifier {_shown(text)!r} names no catalog table: "
            "the dataset is named by its location"
        )


def _metric(metrics: Mapping[str, sm.JsonValue], *names: str) -> int | None:
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _rows_written(writes: Mapping[str, sm.JsonValue]) -> int | None:
    """Rows the write put in files: Spark's count, else (Delta DML) inserted + updated + copied."""
    direct = _metric(writes, "numOutputRows", "numRows")
    if direct is not None:
        return direct
    parts = [
        _metric(writes, "numTargetRowsInserted"),
        _metric(writes, "numTargetRowsUpdated", "numUpdatedRows"),
        _metric(writes, "numTargetRowsCopied", "numCopiedRows"),
    ]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def _error_text(error: sm.JsonValue) -> str | None:
    if error is None:
        return None
    text = (
        error
        if isinstance(error, str)
        else orjson.dumps(error, option=orjson.OPT_SORT_KEYS).decode()
    )
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def run_rows(
    plan_id: str,
    plan_job: JobIdentity,
    event: sm.ExecutionEvent,
    source: RawSource,
    app_name: str | None,
) -> tuple[GraphRow, ...]:
    """The `Run` of one execution event and its `HAS_RUN` / `EXECUTED` edges.

    `plan_job` is the plan's job (so runs and plans hang off the same `Job`); the Glue run id comes
    from the event's labels or the application name (lineage.job_identity).
    """
    run_job = identify_job(app_name, None, event.labels)
    duration_ms = None if event.duration_ns is None else event.duration_ns // 1_000_000
    ended = _utc(event.timestamp)
    started = _utc(event.timestamp - duration_ms) if duration_ms is not None else ended
    reads = event.read_metrics
    writes = event.write_metrics
    run = RunVertex(
        plan_id=plan_id,
        timestamp_ms=event.timestamp,
        discriminator=event.discriminator,
        job_name=plan_job.name,
        status="FAILED" if event.failed else "SUCCEEDED",
        error=_error_text(event.error),
        started_at=started,
        ended_at=ended,
        duration_ms=duration_ms,
        rows_read=_metric(reads, "numOutputRows", "numRows"),
        rows_written=_rows_written(writes),
        bytes_written=_metric(writes, "numOutputBytes", "numBytes"),
        app_id=event.app_id,
        user=event.user,
        glue_job_run_id=run_job.glue_job_run_id or plan_job.glue_job_run_id,
        raw_key=source.key,
        raw_sha256=source.sha256,
        rows_inserted=_metric(writes, "numTargetRowsInserted"),
        rows_updated=_metric(writes, "numTargetRowsUpdated", "numUpdatedRows"),
        rows_deleted=_metric(writes, "numTargetRowsDeleted", "numDeletedRows"),
        rows_copied=_metric(writes, "numTargetRowsCopied", "numCopiedRows"),
    )
    return (
        run,
        HasRunEdge(job_id(plan_job.name), run.id),
        ExecutedEdge(run.id, plan_vertex_id(plan_id)),
    )


def all_rows(graphs: Iterable[tuple[GraphRow, ...]]) -> list[GraphRow]:
    """Concatenate row groups (helper for tests and small drivers)."""
    return [row for group in graphs for row in group]
