"""Where the views that list a whole label start: the label's catalog shards (lineage.catalog).

`V().hasLabel(X)` scans every element on a graph without a label index; the catalog shards are
fetched by id and their `CATALOGS` edges lead to exactly the label's vertices.

A listing walks the catalog in *catalog order*: shard after shard, each shard's members in id
order. The walk is lazy, so a listing of N members reads about N members' worth of shards and
stops, however large the label; the page it returns is then shown in id order
(`page`). A list that is not capped is therefore every member in id order, as before;
a capped one keeps the members of the first shards, a stable sample spread over all names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from lambdas.consumer.graph_client import GraphClient
from lineage.catalog import shard_ids
from lineage.graph_schema import (
    BUILD_MARKER_COUNTS,
    BUILD_MARKER_COUNTS_OF,
    BUILD_MARKER_DIGEST,
    BUILD_MARKER_ID,
    EdgeLabel,
    VertexLabel,
)

__all__ = ["built_counts", "label_counts", "listing", "page"]

Row = TypeVar("Row")


Filter = Callable[[Any], Any]  # appends filter steps to a traversal and returns it


def listing(
    client: GraphClient,
    listed: VertexLabel,
    limit: int,
    keep: Filter | None = None,
    keep_shard: Filter | None = None,
) -> Any:
    """The first `limit + 1` `listed` vertices in catalog order (one more than `limit`: a caller
    tells a capped list by it), optionally only those `keep` lets through, in the shards
    `keep_shard` lets through (a shard it drops must hold no member `keep` would keep).
    """
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    # Inside the lazy walk, so a listing that fills up early tests only the first shards.
    shard = __.identity() if keep_shard is None else keep_shard(__.identity())
    members = shard.out(EdgeLabel.CATALOGS)
    if keep is not None:
        members = keep(members)
    # Shard ids sort in shard order; ordering them costs 256 vertices and does not rely on a
    # graph returning `V(ids)` in the order asked (Neptune does not promise it).
    return (
        client.source()
        .V(*shard_ids(listed))
        .order()
        .by(T.id)
        .flat_map(members.order().by(T.id))
        .limit(limit + 1)
    )


def page(
    rows: Sequence[Row], limit: int, member_id: Callable[[Row], str]
) -> tuple[list[Row], bool]:
    """A listing's answer: its first `limit` rows shown in id order, and whether it was capped."""
    return sorted(rows[:limit], key=member_id), len(rows) > limit


def built_counts(client: GraphClient) -> dict[str, int] | None:
    """Jobs, datasets, plans and runs as the loaded build counted them (on its `Build` marker,
    lineage.graph_counts), in one lookup by id; None when the marker holds no counts (a graph
    loaded by an older build, or none)."""
    names = (BUILD_MARKER_DIGEST, BUILD_MARKER_COUNTS_OF, *BUILD_MARKER_COUNTS)
    found = client.run(client.source().V(BUILD_MARKER_ID).value_map(*names))
    if len(found) != 1 or set(found[0]) != set(names):
        return None
    values = found[0]
    if any(len(values[name]) != 1 for name in names):
        return None  # loaded as a set (several builds' values): count at read time instead
    if values[BUILD_MARKER_COUNTS_OF] != values[BUILD_MARKER_DIGEST]:
        return None  # an earlier build's counts, under a build that did not count
    counts: dict[str, int] = {}
    for name in BUILD_MARKER_COUNTS:
        (count,) = values[name]
        if isinstance(count, bool) or not isinstance(count, int):
            return None  # not a Long the build wrote (a hand-edited marker)
        counts[_COUNTED_LABELS[name]] = count
    return counts


# The marker's property names, and the labels `label_counts` answers with.
_COUNTED_LABELS = dict(
    zip(
        BUILD_MARKER_COUNTS,
        (VertexLabel.JOB, VertexLabel.DATASET, VertexLabel.PLAN, VertexLabel.RUN),
        strict=True,
    )
)


def label_counts(client: GraphClient, cap: int) -> dict[str, int]:
    """Jobs, datasets, plans and runs, each counted up to `cap`, in one round trip.

    Plans and runs are the ones a job has (`HAS_PLAN`, `HAS_RUN`): the runs list shows those, so
    the inner runs of a statement (no job edge) are not counted. `built_counts` gives the same
    counts, exact, from the build's marker; this is for graphs without them.
    """
    from gremlin_python.process.graph_traversal import __

    def listed(label: VertexLabel) -> Any:  # a fresh traversal each time: steps append in place
        return __.V(*shard_ids(label)).out(EdgeLabel.CATALOGS)

    counted = {
        VertexLabel.JOB: listed(VertexLabel.JOB),
        VertexLabel.DATASET: listed(VertexLabel.DATASET),
        VertexLabel.PLAN: listed(VertexLabel.JOB).out(EdgeLabel.HAS_PLAN),
        VertexLabel.RUN: listed(VertexLabel.JOB).out(EdgeLabel.HAS_RUN),
    }
    t = client.source().inject(1).project(*counted)
    for walk in counted.values():
        t = t.by(walk.limit(cap).count())
    return {str(k): int(v) for k, v in client.run(t)[0].items()}
