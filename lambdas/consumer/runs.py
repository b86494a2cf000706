"""`GET /api/runs`: run history, newest first, filtered by job, time window and status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lambdas.consumer.elements import require_vertex
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import newest_first, run_item
from lambdas.consumer.models import RunList
from lambdas.consumer.vis import epoch_ms
from lineage.graph_schema import EdgeLabel, VertexLabel, job_id

__all__ = ["list_runs"]


def list_runs(
    client: GraphClient,
    job: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    status: str | None,
    limit: int,
) -> RunList:
    """Runs started in [since, until) with `status`, of `job` when given (404 if unknown)."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import P
    from gremlin_python.statics import long

    g = client.source()
    if job is not None:
        require_vertex(client, job_id(job), VertexLabel.JOB, job)
        t = g.V(job_id(job)).out(EdgeLabel.HAS_RUN)
    else:
        # A run that is part of another (one statement reported twice) hangs off no job: the
        # views count the statement once, through the run of its table-creating half.
        t = g.V().has_label(VertexLabel.RUN).where(__.in_(EdgeLabel.HAS_RUN))
    if status is not None:
        t = t.has("status", status)
    if since is not None:
        t = t.has("started_at_ms", P.gte(long(epoch_ms(since))))
    if until is not None:
        t = t.has("started_at_ms", P.lt(long(epoch_ms(until))))
    t = newest_first(t, limit + 1).element_map()
    rows: list[dict[str, Any]] = client.run(t)
    return RunList(items=[run_item(r) for r in rows[:limit]], capped=len(rows) > limit)
