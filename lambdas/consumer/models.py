"""Response shapes of the read API (they are also its OpenAPI schema).

Graphs use vis-network's shape: nodes carry `id`, `label`, `group`, `type` (the vertex label)
and the element's properties; edges carry `id`, `from`, `to`, `label`. Edges point in the
direction data flows (source -> derived), whatever the direction of the stored edge.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ColumnItem",
    "ColumnLineage",
    "DatasetDetail",
    "DatasetItem",
    "DatasetLineage",
    "DatasetList",
    "ErrorBody",
    "GraphView",
    "JobDetail",
    "JobList",
    "JobSummary",
    "PlanView",
    "RunItem",
    "RunList",
    "Status",
    "VisEdge",
    "VisNode",
]


class VisNode(BaseModel):
    """A vertex as vis-network draws it, plus its stored properties."""

    model_config = ConfigDict(extra="allow")

    id: str
    label: str
    group: str
    type: str


class VisEdge(BaseModel):
    """An edge as vis-network draws it, plus its stored properties."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str
    from_: str = Field(alias="from")
    to: str
    label: str


class GraphView(BaseModel):
    """A graph for vis-network; `capped` says some nodes were left out to respect a bound."""

    nodes: list[VisNode]
    edges: list[VisEdge]
    capped: bool = False


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: str
    detail: str


class Status(BaseModel):
    """Health of the read API and its graph."""

    status: Literal["ok"]
    graph: str
    latency_ms: float
    counts: dict[str, int]
    counts_capped_at: int | None = Field(
        default=None,
        description="counts stop at this number when counted at read time (a graph whose build "
        "marker has no counts); null when the counts are the build's own, exact",
    )
    build: str | None = Field(
        default=None, description="digest of the loaded build's marker; null without one"
    )


class JobSummary(BaseModel):
    """One job in the job list."""

    name: str
    plans: int
    runs: int
    last_status: str | None
    last_started_at: str | None


class JobList(BaseModel):
    """Jobs, ordered by name."""

    items: list[JobSummary]
    capped: bool


class RunItem(BaseModel):
    """One execution event (a `Run` vertex) with its metrics."""

    model_config = ConfigDict(extra="allow")

    id: str
    job_name: str | None = None
    plan_id: str | None = None
    status: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_ms: int | None = None
    rows_read: int | None = None
    rows_written: int | None = None


class RunList(BaseModel):
    """Runs, newest first."""

    items: list[RunItem]
    capped: bool


class JobDetail(GraphView):
    """One job: its inputs and outputs as a graph, its plans and its latest runs."""

    job: dict[str, Any]
    inputs: list[str]
    outputs: list[str]
    plans: list[dict[str, Any]]
    runs: list[RunItem]


class PlanView(GraphView):
    """One execution plan's operation DAG; node `level` 0 is the write."""

    plan: dict[str, Any]
    reads: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    runs: list[RunItem]
    max_level: int


class DatasetItem(BaseModel):
    """One dataset in search results."""

    model_config = ConfigDict(extra="allow")

    id: str
    uri: str
    name: str | None = None
    layer: str | None = None
    format: str | None = None


class DatasetList(BaseModel):
    """Datasets matching a search, ordered by URI."""

    items: list[DatasetItem]
    capped: bool


class ColumnItem(BaseModel):
    """One column of a dataset's schema."""

    id: str
    name: str
    data_type: str | None = None


class DatasetDetail(BaseModel):
    """One dataset: its properties, its columns and the jobs that write and read it."""

    dataset: dict[str, Any]
    columns: list[ColumnItem]
    written_by: list[str]
    read_by: list[str]


class DatasetLineage(GraphView):
    """Datasets and the jobs between them, up to `depth` hops from `root`."""

    root: str
    direction: str
    depth: int
    as_of: str | None


class ColumnLineage(GraphView):
    """Columns and their derivations (edge `label` is the kind) up to `depth` hops."""

    root: str
    direction: str
    depth: int
