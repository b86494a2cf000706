"""`GET /api/jobs` and `GET /api/jobs/{name}`."""

from __future__ import annotations

from typing import Any

from lambdas.consumer.catalogs import listing, page
from lambdas.consumer.elements import fetch_vertices, project_vertex
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.models import JobDetail, JobList, JobSummary, RunItem
from lambdas.consumer.vis import element_props, job_flows, node
from lineage.graph_schema import EdgeLabel, IdPrefix, VertexLabel, job_id

__all__ = ["job_detail", "list_jobs", "newest_first", "run_item"]


def newest_first(runs: Any, limit: int, stable: bool = False) -> Any:
    """The `Run` vertices `runs` reaches, newest start first, at most `limit` of them.

    `stable` orders runs started in the same millisecond by id, so that a list's pages and
    repeats agree; the one-run lookups (a job's latest run, hundreds per overview) skip the
    second comparison.
    """
    from gremlin_python.process.traversal import Order, T

    # The Long twin of `started_at`: the Date holds whole seconds, so it cannot order two runs
    # started within one second.
    ordered = runs.order().by("started_at_ms", Order.desc)
    return (ordered.by(T.id) if stable else ordered).limit(limit)


def run_item(element_map: dict[Any, Any]) -> RunItem:
    """A `Run` vertex's elementMap as a run list item."""
    vid, _, props = element_props(element_map)
    return RunItem.model_validate({**props, "id": vid})


def list_jobs(client: GraphClient, limit: int) -> JobList:
    """Jobs (in catalog order, shown by name) with plan and run counts and their latest run."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    t = (
        listing(client, VertexLabel.JOB, limit)
        .project("job", "plans", "runs", "last")
        .by(__.element_map())
        .by(__.out(EdgeLabel.HAS_PLAN).count())
        .by(__.out(EdgeLabel.HAS_RUN).count())
        .by(newest_first(__.out(EdgeLabel.HAS_RUN), 1).element_map().fold())
    )
    rows, capped = page(client.run(t), limit, lambda row: str(row["job"][T.id]))
    items = []
    for row in rows:
        vid, _, props = element_props(row["job"])
        last = element_props(row["last"][0])[2] if row["last"] else {}
        items.append(
            JobSummary(
                name=str(props.get("name") or vid.removeprefix(IdPrefix.JOB)),
                plans=int(row["plans"]),
                runs=int(row["runs"]),
                last_status=last.get("status"),
                last_started_at=last.get("started_at"),
            )
        )
    return JobList(items=items, capped=capped)


def job_detail(client: GraphClient, name: str, runs_limit: int, max_plans: int) -> JobDetail:
    """One job: inputs and outputs (as a graph), its plans and its latest runs."""
    from gremlin_python.process.graph_traversal import __

    job_vid = job_id(name)
    projection = {
        "job": __.element_map(),
        "plans": __.out(EdgeLabel.HAS_PLAN)
        .limit(max_plans)
        .project("plan", "reads", "writes")
        .by(__.element_map())
        .by(__.out(EdgeLabel.READS).id_().fold())
        .by(__.out(EdgeLabel.WRITES).id_().fold())
        .fold(),
        "runs": newest_first(__.out(EdgeLabel.HAS_RUN), runs_limit).element_map().fold(),
    }
    row = project_vertex(
        client, job_vid, VertexLabel.JOB, projection, f"no job {name!r} in the graph"
    )
    _, _, job_props = element_props(row["job"])
    runs = [run_item(r) for r in row["runs"]]
    job_props["last_status"] = runs[0].status if runs else None

    plans: list[dict[str, Any]] = []
    inputs: list[str] = []
    outputs: list[str] = []
    for p in row["plans"]:
        plan_vid, _, plan_props = element_props(p["plan"])
        plans.append({**plan_props, "id": plan_vid, "reads": p["reads"], "writes": p["writes"]})
        inputs.extend(d for d in p["reads"] if d not in inputs)
        outputs.extend(d for d in p["writes"] if d not in outputs)

    nodes = [node(job_vid, VertexLabel.JOB, job_props)]
    nodes += [node(v, lbl, pr) for v, (lbl, pr) in fetch_vertices(client, inputs + outputs).items()]
    edges = job_flows(job_vid, inputs, outputs)
    return JobDetail.model_validate(
        {
            "nodes": nodes,
            "edges": edges,
            "capped": len(row["plans"]) >= max_plans,
            "job": {**job_props, "id": job_vid},
            "inputs": inputs,
            "outputs": outputs,
            "plans": plans,
            "runs": runs,
        }
    )
