"""Graph schema: labels, the single id-derivation function `h()`, and one row class per label.

Every vertex and edge the normalize job writes is one of the frozen dataclasses below. Each class
names its Neptune Gremlin CSV columns (`COLUMNS`) in the order `values()` returns them, so the CSV
header and every line come from the same declaration (written by `lineage.graph_csv`). See
docs/graph-model.md for the contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from lineage.errors import LineageError
from lineage.limits import bound_id
from lineage.neptune_csv import Cardinality, Column, PropertyType, epoch_millis

__all__ = [
    "BUILD_MARKER_COUNTS",
    "BUILD_MARKER_COUNTS_OF",
    "BUILD_MARKER_DIGEST",
    "BUILD_MARKER_ID",
    "EDGE_CLASSES",
    "ID_HEX_CHARS",
    "VERTEX_CLASSES",
    "BuildVertex",
    "CatalogVertex",
    "CatalogsEdge",
    "ColumnVertex",
    "DatasetVertex",
    "DerivesFromEdge",
    "EdgeLabel",
    "EdgeRow",
    "ExecutedEdge",
    "FollowsEdge",
    "GraphModelError",
    "GraphRow",
    "HasOperationEdge",
    "HasPlanEdge",
    "HasRunEdge",
    "IdPrefix",
    "JobVertex",
    "OfEdge",
    "OperationVertex",
    "PartOfEdge",
    "PlanVertex",
    "ReadsEdge",
    "RunVertex",
    "UsesEdge",
    "VertexLabel",
    "VertexRow",
    "WriteMode",
    "WritesEdge",
    "catalog_id",
    "column_id",
    "dataset_id",
    "edge_id",
    "h",
    "job_id",
    "operation_id",
    "plan_vertex_id",
    "run_id",
]

ID_HEX_CHARS = 20

Value = str | int | bool | dt.datetime | None


class GraphModelError(LineageError, ValueError):
    """A value cannot be represented in the graph model (the message names it)."""


def h(text: str) -> str:
    """First 20 hex characters of SHA-256 over the UTF-8 bytes of `text`: the only id hash."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


class VertexLabel(StrEnum):
    """Vertex labels (one Neptune `~label` each)."""

    JOB = "Job"
    RUN = "Run"
    PLAN = "Plan"
    OPERATION = "Operation"
    DATASET = "Dataset"
    COLUMN = "Column"
    BUILD = "Build"
    CATALOG = "Catalog"


class EdgeLabel(StrEnum):
    """Edge labels (one Neptune `~label` each)."""

    HAS_RUN = "HAS_RUN"
    EXECUTED = "EXECUTED"
    HAS_PLAN = "HAS_PLAN"
    READS = "READS"
    WRITES = "WRITES"
    HAS_OPERATION = "HAS_OPERATION"
    FOLLOWS = "FOLLOWS"
    OF = "OF"
    DERIVES_FROM = "DERIVES_FROM"
    USES = "USES"
    PART_OF = "PART_OF"
    CATALOGS = "CATALOGS"


class IdPrefix(StrEnum):
    """What each vertex label's `~id` starts with (`ds:s3://b/p`); edge ids start with the label."""

    JOB = "job:"
    RUN = "run:"
    PLAN = "plan:"
    OPERATION = "op:"
    DATASET = "ds:"
    COLUMN = "col:"
    BUILD = "build:"
    CATALOG = "catalog:"


class WriteMode(StrEnum):
    """What a write does to its target (lineage.plan_graph.write_mode derives it)."""

    APPEND = "append"
    OVERWRITE = "overwrite"
    MERGE = "merge"
    UPDATE = "update"
    DELETE = "delete"


# ---- ids: every id in the graph is built by one of these functions ----
# Ids built from names are bounded (lineage.limits.bound_id): a 9 MiB job name still gives a
# loadable id, and the same name always the same id.


def job_id(name: str) -> str:
    """`Job` id from the job name (see lineage.job_identity for the naming rule)."""
    return bound_id(f"{IdPrefix.JOB}{name}")


def run_id(plan_id: str, event_timestamp_ms: int, discriminator: str | None) -> str:
    """`Run` id: one per execution event of a plan."""
    return IdPrefix.RUN + h(f"{plan_id}|{event_timestamp_ms}|{discriminator or ''}")


def plan_vertex_id(plan_id: str) -> str:
    """`Plan` id from the Spline plan UUID."""
    return f"{IdPrefix.PLAN}{plan_id}"


def operation_id(plan_id: str, op_id: str) -> str:
    """`Operation` id: Spline operation ids are unique only within their plan."""
    return bound_id(f"{IdPrefix.OPERATION}{plan_id}:{op_id}")


def dataset_id(normalized_uri: str) -> str:
    """`Dataset` id from the normalized URI (lineage.dataset_identity)."""
    return bound_id(f"{IdPrefix.DATASET}{normalized_uri}")


def column_id(normalized_uri: str, column_name: str) -> str:
    """`Column` id: dataset URI plus column name."""
    return bound_id(f"{IdPrefix.COLUMN}{normalized_uri}#{column_name}")


def catalog_id(listed: VertexLabel, shard: str) -> str:
    """`Catalog` id: one shard (lineage.catalog names the shards) of a listed label's catalog."""
    return f"{IdPrefix.CATALOG}{listed.value}:{shard}"


def edge_id(label: EdgeLabel, from_id: str, to_id: str, qualifier: str = "") -> str:
    """Edge id: label plus a hash of both endpoints and the qualifier."""
    return f"{label.value}:{h(f'{from_id}|{to_id}|{qualifier}')}"


# The one `Build` vertex: every build (full or delta) writes it with the digest of what it
# wrote, so a load replaces the digest (`single` cardinality) and readers learn which build the
# graph holds from one lookup by id.
BUILD_MARKER_ID = f"{IdPrefix.BUILD}loaded"
BUILD_MARKER_DIGEST = "digest"
# The `Build` marker's counts of what `GET /status?counts=true` shows (lineage.graph_counts).
BUILD_MARKER_COUNTS = ("jobs", "datasets", "plans", "runs")
BUILD_MARKER_COUNTS_OF = "counts_of"  # the digest of the build whose counts these are


# ---- rows ----


def _vcols(*spec: tuple[str, str]) -> tuple[Column, ...]:
    # `(single)` on every vertex scalar: a reload replaces values instead of adding to a set.
    return tuple(Column(name, PropertyType(kind), Cardinality.SINGLE) for name, kind in spec)


def _set_cols(*spec: tuple[str, str]) -> tuple[Column, ...]:
    # `(set)`: every row for the vertex adds its value; loads and reloads only ever add.
    return tuple(Column(name, PropertyType(kind), Cardinality.SET) for name, kind in spec)


def _ecols(*spec: tuple[str, str]) -> tuple[Column, ...]:
    # Edge properties are always single in Neptune; the header states no cardinality.
    return tuple(Column(name, PropertyType(kind)) for name, kind in spec)


class VertexRow:
    """Base of vertex rows: `LABEL`, `COLUMNS`, an `id` and `values()` in column order."""

    __slots__ = ()
    LABEL: ClassVar[VertexLabel]
    COLUMNS: ClassVar[tuple[Column, ...]]

    @property
    def id(self) -> str:
        """The vertex `~id`."""
        raise NotImplementedError

    def values(self) -> tuple[Value, ...]:
        """Property values in `COLUMNS` order (`None` = property absent)."""
        raise NotImplementedError


class EdgeRow:
    """Base of edge rows: `LABEL`, `COLUMNS`, `from_id`, `to_id`, an `id` and `values()`."""

    __slots__ = ()
    LABEL: ClassVar[EdgeLabel]
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    from_id: str
    to_id: str

    def qualifier(self) -> str:
        """Distinguishes parallel edges with the same endpoints (empty unless noted)."""
        return ""

    @property
    def id(self) -> str:
        """The edge `~id`."""
        return edge_id(self.LABEL, self.from_id, self.to_id, self.qualifier())

    def values(self) -> tuple[Value, ...]:
        """Property values in `COLUMNS` order."""
        return ()


GraphRow = VertexRow | EdgeRow


@dataclass(frozen=True, slots=True)
class JobVertex(VertexRow):
    """A Spark application identity (see lineage.job_identity)."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.JOB
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("name", "String"), ("glue_job_name", "String"), ("system", "String")
    )
    name: str
    glue_job_name: str | None
    system: str = "spark"

    @property
    def id(self) -> str:
        return job_id(self.name)

    def values(self) -> tuple[Value, ...]:
        return (self.name, self.glue_job_name, self.system)


@dataclass(frozen=True, slots=True)
class RunVertex(VertexRow):
    """One execution event of a plan."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.RUN
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("plan_id", "String"),
        ("job_name", "String"),
        ("status", "String"),
        ("error", "String"),
        ("started_at", "Date"),
        ("ended_at", "Date"),
        # Date cells hold whole seconds (Neptune's documented forms); these keep the milliseconds.
        ("started_at_ms", "Long"),
        ("ended_at_ms", "Long"),
        ("duration_ms", "Long"),
        ("rows_read", "Long"),
        ("rows_written", "Long"),
        ("bytes_written", "Long"),
        ("app_id", "String"),
        ("user", "String"),
        ("glue_job_run_id", "String"),
        ("raw_key", "String"),
        ("raw_sha256", "String"),
        # Row counts of Delta's MERGE/UPDATE/DELETE commands, where the event carries them.
        ("rows_inserted", "Long"),
        ("rows_updated", "Long"),
        ("rows_deleted", "Long"),
        ("rows_copied", "Long"),
    )
    plan_id: str
    timestamp_ms: int
    discriminator: str | None
    job_name: str
    status: str
    error: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    duration_ms: int | None
    rows_read: int | None
    rows_written: int | None
    bytes_written: int | None
    app_id: str | None
    user: str | None
    glue_job_run_id: str | None
    raw_key: str
    raw_sha256: str
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_deleted: int | None = None
    rows_copied: int | None = None

    @property
    def id(self) -> str:
        return run_id(self.plan_id, self.timestamp_ms, self.discriminator)

    def values(self) -> tuple[Value, ...]:
        return (
            self.plan_id,
            self.job_name,
            self.status,
            self.error,
            self.started_at,
            self.ended_at,
            epoch_millis(self.started_at),
            epoch_millis(self.ended_at),
            self.duration_ms,
            self.rows_read,
            self.rows_written,
            self.bytes_written,
            self.app_id,
            self.user,
            self.glue_job_run_id,
            self.raw_key,
            self.raw_sha256,
            self.rows_inserted,
            self.rows_updated,
            self.rows_deleted,
            self.rows_copied,
        )


@dataclass(frozen=True, slots=True)
class PlanVertex(VertexRow):
    """One Spline execution plan (recurs across runs: its id is a content hash)."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.PLAN
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("plan_id", "String"),
        ("job_name", "String"),
        ("spline_version", "String"),
        ("spark_version", "String"),
        ("agent_version", "String"),
        ("write_mode", "String"),
        ("raw_key", "String"),
        ("raw_sha256", "String"),
        ("content_key", "String"),
        ("statement_key", "String"),
    )
    plan_id: str
    job_name: str
    spline_version: str
    spark_version: str | None
    agent_version: str | None
    write_mode: str
    raw_key: str
    raw_sha256: str
    # lineage.plan_identity: equal for reruns whose agent id differs only by times and hashes.
    content_key: str | None = None
    # lineage.plan_identity: shared by the two lineages one CTAS / saveAsTable statement sends.
    statement_key: str | None = None

    @property
    def id(self) -> str:
        return plan_vertex_id(self.plan_id)

    def values(self) -> tuple[Value, ...]:
        return (
            self.plan_id,
            self.job_name,
            self.spline_version,
            self.spark_version,
            self.agent_version,
            self.write_mode,
            self.raw_key,
            self.raw_sha256,
            self.content_key,
            self.statement_key,
        )


@dataclass(frozen=True, slots=True)
class OperationVertex(VertexRow):
    """One node of a plan's operation DAG."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.OPERATION
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("plan_id", "String"),
        ("op_id", "String"),
        ("kind", "String"),
        ("operator", "String"),
        ("params", "String"),
        ("schema", "String"),
        ("level", "Int"),
    )
    plan_id: str
    op_id: str
    kind: str
    operator: str
    params: str
    schema: str
    level: int

    @property
    def id(self) -> str:
        return operation_id(self.plan_id, self.op_id)

    def values(self) -> tuple[Value, ...]:
        return (
            self.plan_id,
            self.op_id,
            self.kind,
            self.operator,
            self.params,
            self.schema,
            self.level,
        )


@dataclass(frozen=True, slots=True)
class DatasetVertex(VertexRow):
    """A dataset identified by its normalized URI (lineage.dataset_identity)."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.DATASET
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("uri", "String"),
        ("name", "String"),
        ("format", "String"),
        ("layer", "String"),
        ("catalog_table", "String"),
    )
    uri: str
    name: str
    format: str | None
    layer: str
    catalog_table: str | None

    @property
    def id(self) -> str:
        return dataset_id(self.uri)

    def values(self) -> tuple[Value, ...]:
        return (self.uri, self.name, self.format, self.layer, self.catalog_table)


@dataclass(frozen=True, slots=True)
class ColumnVertex(VertexRow):
    """A column of a dataset."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.COLUMN
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        ("name", "String"), ("data_type", "String"), ("dataset_uri", "String")
    )
    dataset_uri: str
    name: str
    data_type: str | None

    @property
    def id(self) -> str:
        return column_id(self.dataset_uri, self.name)

    def values(self) -> tuple[Value, ...]:
        return (self.name, self.data_type, self.dataset_uri)


@dataclass(frozen=True, slots=True)
class HasRunEdge(EdgeRow):
    """`Job` -> `Run`."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.HAS_RUN
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class ExecutedEdge(EdgeRow):
    """`Run` -> `Plan`."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.EXECUTED
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class HasPlanEdge(EdgeRow):
    """`Job` -> `Plan`."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.HAS_PLAN
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class ReadsEdge(EdgeRow):
    """`Plan` -> `Dataset` it reads."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.READS
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class WritesEdge(EdgeRow):
    """`Plan` -> `Dataset` it writes."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.WRITES
    COLUMNS: ClassVar[tuple[Column, ...]] = _ecols(("append", "Bool"), ("write_mode", "String"))
    from_id: str
    to_id: str
    append: bool
    write_mode: WriteMode | None = None

    def values(self) -> tuple[Value, ...]:
        mode = self.write_mode or (WriteMode.APPEND if self.append else WriteMode.OVERWRITE)
        return (self.append, mode.value)


@dataclass(frozen=True, slots=True)
class HasOperationEdge(EdgeRow):
    """`Plan` -> `Operation`."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.HAS_OPERATION
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class FollowsEdge(EdgeRow):
    """`Operation` -> `Operation` whose output it consumes (Spline parent -> child)."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.FOLLOWS
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class OfEdge(EdgeRow):
    """`Column` -> its `Dataset`."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.OF
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class DerivesFromEdge(EdgeRow):
    """Written `Column` -> read `Column` it is computed from, within one plan."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.DERIVES_FROM
    COLUMNS: ClassVar[tuple[Column, ...]] = _ecols(
        ("plan_id", "String"), ("kind", "String"), ("expression", "String")
    )
    from_id: str
    to_id: str
    plan_id: str
    kind: str
    expression: str

    def qualifier(self) -> str:
        return self.plan_id

    def values(self) -> tuple[Value, ...]:
        return (self.plan_id, self.kind, self.expression)


@dataclass(frozen=True, slots=True)
class UsesEdge(EdgeRow):
    """`Operation` -> read `Column` it uses as a filter or join condition (not a derivation)."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.USES
    COLUMNS: ClassVar[tuple[Column, ...]] = _ecols(("role", "String"))
    from_id: str
    to_id: str
    role: str

    def qualifier(self) -> str:
        return self.role

    def values(self) -> tuple[Value, ...]:
        return (self.role,)


@dataclass(frozen=True, slots=True)
class PartOfEdge(EdgeRow):
    """`Plan` -> `Plan` (or `Run` -> `Run`): one lineage of a statement the agent reports twice,
    to the table-creating lineage that stands for the statement (lineage.statements)."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.PART_OF
    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class BuildVertex(VertexRow):
    """The build marker: which build was loaded last (lineage.build_marker derives the digest)."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.BUILD
    COLUMNS: ClassVar[tuple[Column, ...]] = _vcols(
        (BUILD_MARKER_DIGEST, "String"),
        (BUILD_MARKER_COUNTS_OF, "String"),
        *((name, "Long") for name in BUILD_MARKER_COUNTS),
    )
    digest: str
    # What the graph holds after the load, counted by the build (lineage.graph_counts), in
    # `BUILD_MARKER_COUNTS` order; None where a build did not count (the read API counts then).
    counts: tuple[int, int, int, int] | None = None

    @property
    def id(self) -> str:
        return BUILD_MARKER_ID

    def values(self) -> tuple[Value, ...]:
        if self.counts is None:
            return (self.digest, None, *(None,) * len(BUILD_MARKER_COUNTS))
        # The digest again beside the counts: a load cannot remove a property, so counts left
        # by an earlier build under a later marker without counts must be told apart.
        return (self.digest, self.digest, *self.counts)


@dataclass(frozen=True, slots=True)
class CatalogVertex(VertexRow):
    """One shard of the catalog of a listed label (lineage.catalog): where listings start."""

    LABEL: ClassVar[VertexLabel] = VertexLabel.CATALOG
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        *_vcols(("lists", "String"), ("shard", "String")),
        # What a search matches, gathered per shard so that a search can skip a shard whole.
        *_set_cols(("member_texts", "String")),
        # A `Run` shard's hour, [from, until) in epoch milliseconds: a listing walks hours by it.
        *_vcols(("from_ms", "Long"), ("until_ms", "Long")),
    )
    lists: VertexLabel
    shard: str
    member_text: str | None = None
    from_ms: int | None = None
    until_ms: int | None = None

    @property
    def id(self) -> str:
        return catalog_id(self.lists, self.shard)

    def values(self) -> tuple[Value, ...]:
        return (self.lists.value, self.shard, self.member_text, self.from_ms, self.until_ms)


@dataclass(frozen=True, slots=True)
class CatalogsEdge(EdgeRow):
    """`Catalog` shard -> one `Job`, `Dataset` or `Run` it lists (or the `Run` catalog's root ->
    one of its hour shards)."""

    LABEL: ClassVar[EdgeLabel] = EdgeLabel.CATALOGS
    from_id: str
    to_id: str


VERTEX_CLASSES: dict[VertexLabel, type[VertexRow]] = {
    cls.LABEL: cls
    for cls in (
        JobVertex,
        RunVertex,
        PlanVertex,
        OperationVertex,
        DatasetVertex,
        ColumnVertex,
        BuildVertex,
        CatalogVertex,
    )
}
EDGE_CLASSES: dict[EdgeLabel, type[EdgeRow]] = {
    cls.LABEL: cls
    for cls in (
        HasRunEdge,
        ExecutedEdge,
        HasPlanEdge,
        ReadsEdge,
        WritesEdge,
        HasOperationEdge,
        FollowsEdge,
        OfEdge,
        DerivesFromEdge,
        UsesEdge,
        PartOfEdge,
        CatalogsEdge,
    )
}
