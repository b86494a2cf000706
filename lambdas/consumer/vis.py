"""Turns gremlinpython `elementMap()` results into JSON-ready vis-network nodes and edges."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

from lineage.graph_schema import EdgeLabel, VertexLabel

__all__ = [
    "element_props",
    "epoch_ms",
    "flow_edge",
    "job_flows",
    "json_value",
    "node",
    "node_group",
    "node_label",
]

# Keys a vis node owns; a stored property of the same name is renamed, never lost.
_RESERVED = frozenset({"id", "label", "group", "type", "from", "to"})
# Operation properties stored as JSON text; the API hands them out parsed.
_JSON_PROPS = frozenset({"params", "schema"})
# Date properties hold whole seconds (Neptune's documented Date forms); each has a Long twin of
# epoch milliseconds, which the API shows in the Date's place.
_MILLIS_TWINS = {"started_at": "started_at_ms", "ended_at": "ended_at_ms"}
_EPOCH = dt.datetime(1970, 1, 1)
# Colour groups are `kind:detail`; ui/app.js styles nodes by these kinds. Each label's detail is
# the property named here (or its fallback); labels absent here are grouped by their lower case.
_GROUPS: dict[str, tuple[str, str, str]] = {
    VertexLabel.DATASET: ("dataset", "layer", "unknown"),
    VertexLabel.COLUMN: ("column", "layer", "unknown"),
    VertexLabel.RUN: ("run", "status", "unknown"),
    VertexLabel.JOB: ("job", "last_status", "unknown"),
    VertexLabel.OPERATION: ("op", "kind", "transform"),
}


def epoch_ms(value: dt.datetime) -> int:
    """Epoch milliseconds of a naive UTC (or aware) datetime: what the `*_ms` properties hold."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _iso_millis(millis: int) -> str:
    return (_EPOCH + dt.timedelta(milliseconds=millis)).isoformat(timespec="milliseconds") + "Z"


def json_value(value: Any) -> Any:
    """A stored property value as JSON: dates become ISO-8601 UTC with `Z`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, list | set | tuple):
        return [json_value(v) for v in value]
    return value


def element_props(element_map: dict[Any, Any]) -> tuple[str, str, dict[str, Any]]:
    """Split an `elementMap()` into (id, vertex/edge label, properties)."""
    from gremlin_python.process.traversal import T

    # One pass over the items, the tokens told apart by identity: looking `T.id` up in the map
    # would hash it in Python (an aenum member), twice per element, thousands of times per view.
    vid = label = None
    props: dict[str, Any] = {}
    for key, value in element_map.items():
        if type(key) is not str:
            if key is T.id:
                vid = value
            elif key is T.label:
                label = value
            continue  # an edge's Direction.IN/OUT
        if type(value) is not str:
            props[key] = json_value(value)
        elif key in _JSON_PROPS:
            # A malformed value keeps its text: it is still worth showing.
            try:
                props[key] = json_value(json.loads(value))
            except ValueError:
                props[key] = value
        else:
            props[key] = value  # most values: a string is its own JSON
    for name, twin in _MILLIS_TWINS.items():
        millis = props.get(twin)
        if isinstance(millis, int) and not isinstance(millis, bool):
            with contextlib.suppress(OverflowError):
                props[name] = _iso_millis(millis)
    if vid is None or label is None:
        # Not from `elementMap()`: the same KeyError a lookup of the missing token gives.
        return str(element_map[T.id]), str(element_map[T.label]), props
    return str(vid), str(label), props


def node_label(vertex_label: str, props: dict[str, Any]) -> str:
    """The caption vis-network prints for a vertex."""
    if vertex_label == VertexLabel.OPERATION:
        return str(props.get("operator") or props.get("kind") or "operation")
    if vertex_label == VertexLabel.RUN:
        return str(props.get("started_at") or props.get("status") or "run")
    if vertex_label == VertexLabel.PLAN:
        return str(props.get("job_name") or props.get("plan_id") or "plan")
    return str(props.get("name") or props.get("uri") or vertex_label)


def node_group(vertex_label: str, props: dict[str, Any]) -> str:
    """The colour group: datasets and columns by layer, runs and jobs by status."""
    group = _GROUPS.get(vertex_label)
    if group is None:
        return vertex_label.lower()
    kind, prop, fallback = group
    return f"{kind}:{props.get(prop) or fallback}"


def node(vertex_id: str, vertex_label: str, props: dict[str, Any]) -> dict[str, Any]:
    """A vis-network node dict from a vertex's id, label and properties."""
    out: dict[str, Any] = {
        "id": vertex_id,
        "label": node_label(vertex_label, props),
        "group": node_group(vertex_label, props),
        "type": str(vertex_label),
    }
    if _RESERVED.isdisjoint(props):
        out.update(props)  # the usual case, without a test per key
        return out
    for key, value in props.items():
        out[f"prop_{key}" if key in _RESERVED else key] = value
    return out


def job_flows(job_vid: str, reads: list[str], writes: list[str]) -> list[dict[str, Any]]:
    """A job's flow edges: `READS` from each input, `WRITES` to each output.

    A dataset the job both reads and writes (the target of a MERGE, UPDATE or DELETE) gets one
    `WRITES` edge marked `reads_too` instead of a `READS` edge back: that 2-cycle would leave the
    layered drawing no order to follow (the plan view still shows the read).
    """
    written = set(writes)
    edges: list[dict[str, Any]] = [
        flow_edge(EdgeLabel.READS, ds, job_vid) for ds in reads if ds not in written
    ]
    read = set(reads)
    for ds in writes:
        edge: dict[str, Any] = flow_edge(EdgeLabel.WRITES, job_vid, ds)
        if ds in read:
            edge["reads_too"] = True
        edges.append(edge)
    return edges


def flow_edge(label: EdgeLabel, source: str, target: str) -> dict[str, str]:
    """A job-level data flow drawn as one vis edge: dataset `READS`-> job, job `WRITES`-> dataset.

    The graph stores these between a plan and a dataset; views summarise them per job, so the
    edge has no stored id: its id names the label and both ends.
    """
    return {"id": f"{label}:{source}>{target}", "from": source, "to": target, "label": str(label)}
