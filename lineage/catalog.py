"""Catalogs: the prepared starting points of the views that list a whole label.

A graph without a label index (TinkerGraph) answers `V().hasLabel(X)` by scanning every element;
`V(id)` and edge walks from a vertex are cheap on every graph. So each listed label (`Job`,
`Dataset`) has a catalog of `CATALOG_SHARDS` shard vertices with one `CATALOGS` edge to each
member; a listing starts from the shards' ids (`shard_ids`), which a reader computes itself.
A member's shard is the first two hex digits of `h(member id)`: fixed, spread evenly, and the
same in a full build and in a delta build, so re-writing a member's catalog rows is idempotent.

A `Dataset` shard also holds what dataset search matches: for each member, its `name` and `uri`
joined by a tab (`member_text`, one value of the set property `member_texts`). A text holding
`q` as typed holds it in the joined value too, so a search tests the shard's values first and
walks into the shard's members only when one matches (a match across the tab is only a false
lead, which the members' own test drops). A pair too long to be one property value is kept as
two, each cut as the member's own value is (lineage.limits). Every plan that yields a dataset
adds the name it gives it; the dataset's merged name is one of those (the claim that wins is
some plan's own), and a set only gains values: a full build and a full build plus deltas hold
the same sets.

`Run` vertices are listed newest first, so their catalog is sharded by the hour a run started
(UTC): one shard per hour that has runs, each bearing its bounds (`from_ms`, `until_ms`), all
reached from one root (`run_catalog_root`). A reader walks the hours newest first and sorts only
the runs of the hours it needs. A run's start can move when a later payload repeats its event
with another duration (the build keeps one value per run id): then the run is listed under every
hour any of its events gave it, in a full build as in a chain of deltas, and a reader keeps it
only in the hour its stored start falls in.
"""

from __future__ import annotations

from datetime import UTC

from lineage.graph_schema import (
    CatalogsEdge,
    CatalogVertex,
    DatasetVertex,
    GraphModelError,
    GraphRow,
    JobVertex,
    RunVertex,
    VertexLabel,
    catalog_id,
    h,
)
from lineage.limits import MAX_PROPERTY_BYTES
from lineage.neptune_csv import epoch_millis

__all__ = [
    "CATALOG_SHARDS",
    "LISTED",
    "catalog_rows",
    "run_catalog_root",
    "run_hour_shard",
    "search_texts",
    "shard_ids",
    "shard_of",
]

_SHARD_HEX = 2
CATALOG_SHARDS = 16**_SHARD_HEX
LISTED = (VertexLabel.JOB, VertexLabel.DATASET)
_HOUR_MS = 3_600_000
_RUN_ROOT_SHARD = "hours"


def shard_of(member_id: str) -> str:
    """The shard (two hex digits) that lists the vertex `member_id`."""
    return h(member_id)[:_SHARD_HEX]


def shard_ids(listed: VertexLabel) -> tuple[str, ...]:
    """Every shard vertex id of `listed`'s catalog, in shard order."""
    if listed not in LISTED:
        raise GraphModelError(f"{listed.value!r} has no catalog (listed labels: {LISTED})")
    return tuple(catalog_id(listed, f"{n:0{_SHARD_HEX}x}") for n in range(CATALOG_SHARDS))


def catalog_rows(row: GraphRow) -> tuple[GraphRow, ...]:
    """The catalog rows `row` needs (its shard vertex and the edge to it), or none."""
    if isinstance(row, JobVertex):
        shard = CatalogVertex(row.LABEL, shard_of(row.id))
    elif isinstance(row, DatasetVertex):
        shard_key = shard_of(row.id)
        texts = tuple(CatalogVertex(row.LABEL, shard_key, t) for t in search_texts(row))
        return (*texts, CatalogsEdge(texts[0].id, row.id))
    elif isinstance(row, RunVertex):
        hour = run_hour_shard(row)
        root = run_catalog_root()
        return (root, hour, CatalogsEdge(root.id, hour.id), CatalogsEdge(hour.id, row.id))
    else:
        return ()
    return (shard, CatalogsEdge(shard.id, row.id))


def run_catalog_root() -> CatalogVertex:
    """The vertex every hour shard of the `Run` catalog hangs off."""
    return CatalogVertex(VertexLabel.RUN, _RUN_ROOT_SHARD)


def run_hour_shard(run: RunVertex) -> CatalogVertex:
    """The `Run` catalog shard of the UTC hour `run` started in (`YYYY-MM-DDTHH`)."""
    start = run.started_at.astimezone(UTC)
    began = epoch_millis(start)
    from_ms = began - began % _HOUR_MS
    key = f"{start.year:04d}-{start.month:02d}-{start.day:02d}T{start.hour:02d}"
    return CatalogVertex(VertexLabel.RUN, key, from_ms=from_ms, until_ms=from_ms + _HOUR_MS)


def search_texts(dataset: DatasetVertex) -> tuple[str, ...]:
    """The values a dataset adds to its shard's `member_texts`: `name<TAB>uri`, or both apart."""
    joined = f"{dataset.name}\t{dataset.uri}"
    if not dataset.name:  # an empty name matches only the empty query, which tests no shard
        return (dataset.uri,)
    if len(joined.encode()) <= MAX_PROPERTY_BYTES:
        return (joined,)
    return (dataset.name, dataset.uri)
