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
"""

from __future__ import annotations

from lineage.graph_schema import (
    CatalogsEdge,
    CatalogVertex,
    DatasetVertex,
    GraphModelError,
    GraphRow,
    JobVertex,
    VertexLabel,
    catalog_id,
    h,
)
from lineage.limits import MAX_PROPERTY_BYTES

__all__ = ["CATALOG_SHARDS", "LISTED", "catalog_rows", "search_texts", "shard_ids", "shard_of"]

_SHARD_HEX = 2
CATALOG_SHARDS = 16**_SHARD_HEX
LISTED = (VertexLabel.JOB, VertexLabel.DATASET)


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
    else:
        return ()
    return (shard, CatalogsEdge(shard.id, row.id))


def search_texts(dataset: DatasetVertex) -> tuple[str, ...]:
    """The values a dataset adds to its shard's `member_texts`: `name<TAB>uri`, or both apart."""
    joined = f"{dataset.name}\t{dataset.uri}"
    if not dataset.name:  # an empty name matches only the empty query, which tests no shard
        return (dataset.uri,)
    if len(joined.encode()) <= MAX_PROPERTY_BYTES:
        return (joined,)
    return (dataset.name, dataset.uri)
