"""`GET /api/runs`: run history, newest first, filtered by job, time window and status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lambdas.consumer.elements import require_vertex
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import newest_first, run_item
from lambdas.consumer.models import RunList
from lambdas.consumer.vis import epoch_ms
from lineage.catalog import run_catalog_root
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
    from gremlin_python.process.traversal import Order, P
    from gremlin_python.statics import long

    since_ms = None if since is None else long(epoch_ms(since))
    until_ms = None if until is None else long(epoch_ms(until))

    def kept(runs: Any) -> Any:
        if status is not None:
            runs = runs.has("status", status)
        if since_ms is not None:
            runs = runs.has("started_at_ms", P.gte(since_ms))
        if until_ms is not None:
            runs = runs.has("started_at_ms", P.lt(until_ms))
        return runs

    if job is not None:
        require_vertex(client, job_id(job), VertexLabel.JOB, job)
        runs = kept(client.source().V(job_id(job)).out(EdgeLabel.HAS_RUN))
        t = newest_first(runs, limit + 1, stable=True)
    else:
        # Hours newest first, and in each only the runs whose stored start falls in it: a run
        # whose start a later payload moved is listed under its earlier hour too (lineage.catalog).
        hours = client.source().V(run_catalog_root().id).out(EdgeLabel.CATALOGS)
        if since_ms is not None:
            hours = hours.has("until_ms", P.gt(since_ms))
        if until_ms is not None:
            hours = hours.has("from_ms", P.lt(until_ms))
        in_hour = (
            __.as_("hour")
            .out(EdgeLabel.CATALOGS)
            .where(P.gte("hour"))
            .by("started_at_ms")
            .by("from_ms")
            .where(P.lt("hour"))
            .by("started_at_ms")
            .by("until_ms")
            # A run that is part of another (one statement reported twice) hangs off no job:
            # the views count the statement once, through the run of its table-creating half.
            .where(__.in_(EdgeLabel.HAS_RUN))
        )
        t = (
            hours.order()
            .by("from_ms", Order.desc)
            .flat_map(newest_first(kept(in_hour), limit + 1, stable=True))
            .limit(limit + 1)
        )
    rows: list[dict[str, Any]] = client.run(t.element_map())
    return RunList(items=[run_item(r) for r in rows[:limit]], capped=len(rows) > limit)
