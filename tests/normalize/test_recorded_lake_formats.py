"""Iceberg and Delta Lake writes recorded from the real Spline agent -> producer -> normalize job.

Every request of `tests/events/lake_formats/transcript.json` (recorded by
`tests/support/record_lake_format_fixtures.py`) is replayed in order against the producer app over
a local raw zone; the normalize job (Spark) builds the Neptune CSVs, read back with the project's
reader, and compared with the lineage written by hand in `lake_format_expectations.py`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lake_format_expectations import EXPECTED, KNOWN_WRONG, PARTIAL, LakeWrite

from glue_jobs.normalize import NormalizeParams, run_normalize
from lambdas.producer.app import create_app
from lineage.agent_gaps import AGENT_GAPS
from lineage.graph_schema import column_id, dataset_id, job_id, plan_vertex_id
from lineage.quarantine import QuarantineReport
from loader.csv_reader import EdgeRecord, VertexRecord, iter_records
from stores import LocalStore

RECORDED = Path(__file__).resolve().parent.parent / "events" / "lake_formats"
TRANSCRIPT: list[dict[str, Any]] = json.loads((RECORDED / "transcript.json").read_text())
JOB_SCRIPTS = Path(__file__).resolve().parent.parent / "spline_jobs"
LAKE = "file:///tmp/lineage-lake-formats"
START = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


def _uri(relative: str) -> str:
    return f"{LAKE}/{relative}"


def _plan(write: str) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((RECORDED / f"{write}.plan.json").read_bytes())
    return plan


def _requests() -> list[dict[str, Any]]:
    return [request for job in TRANSCRIPT for request in job["requests"]]


@dataclass
class Graph:
    """The normalize job's output, read back: vertices by id, edges by label."""

    vertices: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)

    def out(self, label: str, from_id: str) -> set[str]:
        return {to for frm, to, _ in self.edges.get(label, []) if frm == from_id}


@dataclass
class Replay:
    statuses: dict[str, int]
    graph: Graph
    report: QuarantineReport
    keys: dict[str, str]  # fixture file -> raw-zone key the producer stored it under
    marker: dict[str, Any]  # the build marker's properties


def _props(record: VertexRecord | EdgeRecord) -> dict[str, Any]:
    return {p.column.name: p.values[0] for p in record.properties}


@pytest.fixture(scope="module")
def replay(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    lake = tmp_path_factory.mktemp("lake-formats-raw")
    out = tmp_path_factory.mktemp("lake-formats-out")
    ticks = iter(range(10_000))
    app = create_app(LocalStore(lake), clock=lambda: START + dt.timedelta(seconds=next(ticks)))
    statuses: dict[str, int] = {}
    with TestClient(app) as client:
        for request in _requests():
            path = request["path"].removeprefix("/producer")
            if request["method"] == "HEAD":
                assert client.head(path).status_code == 200
                continue
            body = (RECORDED / request["file"]).read_bytes()
            headers = {"Content-Type": request["headers"]["Content-Type"]}
            if request["headers"].get("Content-Encoding") == "gzip":
                headers["Content-Encoding"] = "gzip"
                body = gzip.compress(body)
            answer = client.post(path, content=body, headers=headers)
            statuses[request["file"]] = answer.status_code
    keys = {
        f"{write}.plan.json": str(p.relative_to(lake))
        for write in EXPECTED
        for p in lake.rglob(f"{_plan(write)['id']}.json")
    }
    result = run_normalize(
        spark, LocalStore(str(lake)), LocalStore(str(out)), NormalizeParams(str(lake), str(out))
    )
    graph = Graph()
    for csv_file in sorted((out / "csv").rglob("*.csv")):
        for record in iter_records(csv_file):
            if isinstance(record, VertexRecord):
                graph.vertices[record.id] = {"~label": record.labels[0], **_props(record)}
            else:
                graph.edges.setdefault(record.label, []).append(
                    (record.from_id, record.to_id, _props(record))
                )
    (marker,) = (r for f in (out / "marker").iterdir() for r in iter_records(f))
    return Replay(statuses, graph, result.report, keys, _props(marker))


def _cases(aspect: str) -> list[Any]:
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[(name, aspect)]),
            id=name,
        )
        if (name, aspect) in KNOWN_WRONG
        else pytest.param(name, id=name)
        for name in sorted(EXPECTED)
    ]


# ------------------------------------------------------------------ the recording itself


@pytest.mark.unit
def test_every_recorded_write_has_a_hand_written_expectation() -> None:
    recorded = {
        r["file"].removesuffix(".plan.json")
        for r in _requests()
        if r["file"] and r["file"].endswith(".plan.json")
    }
    assert recorded == set(EXPECTED)
    assert {p.name.removesuffix(".plan.json") for p in RECORDED.glob("*.plan.json")} == recorded


@pytest.mark.unit
@pytest.mark.parametrize("request_", [r for r in _requests() if r["file"]], ids=lambda r: r["file"])
def test_recorded_bodies_are_what_the_agent_sent(request_: dict[str, Any]) -> None:
    body = (RECORDED / request_["file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == request_["sha256"]
    assert len(body) == request_["bytes"]


@pytest.mark.unit
def test_iceberg_row_level_writes_are_sent_through_the_agent_plugin() -> None:
    """The Iceberg job runs MERGE, UPDATE, DELETE ... WHERE (copy-on-write and merge-on-read) and
    a whole-table DELETE: with the project's plugin the agent sends each as a write of the
    table, named by Spark's node, with the command; the gap list marks them closed by it."""
    script = (JOB_SCRIPTS / "iceberg_tables.py").read_text()
    for statement in ("MERGE INTO lake.db.orders ", "UPDATE lake.db.orders ", "DELETE FROM"):
        assert statement in script
    sent = {
        write: _plan(write)["operations"]["write"]
        for write in EXPECTED
        if write.startswith("iceberg_")
        and ("_merge" in write or "_update" in write or "_delete" in write)
    }
    nodes = {name: (w["name"], w["params"]["command"]) for name, w in sent.items()}
    assert nodes == {
        "iceberg_merge": ("ReplaceData", "MERGE"),
        "iceberg_update": ("ReplaceData", "UPDATE"),
        "iceberg_delete": ("ReplaceData", "DELETE"),
        "iceberg_delete_all": ("DeleteFromTable", "DELETE"),
        "iceberg_mor_merge": ("WriteDelta", "MERGE"),
        "iceberg_mor_update": ("WriteDelta", "UPDATE"),
        "iceberg_mor_delete": ("WriteDelta", "DELETE"),
    }
    closed = {gap.spark_node.split(",")[0] for gap in AGENT_GAPS if gap.closed_by_plugin}
    assert closed == {"ReplaceData", "WriteDelta", "DeleteFromTable"}


# ------------------------------------------------------------------ through producer and rebuild


@pytest.mark.spark
@pytest.mark.parametrize("write", sorted(EXPECTED))
def test_the_producer_accepts_every_real_payload(replay: Replay, write: str) -> None:
    assert replay.statuses[f"{write}.plan.json"] == 201
    assert replay.statuses[f"{write}.events.json"] == 201


@pytest.mark.spark
def test_nothing_is_quarantined_and_the_computed_merges_are_listed_as_partial(
    replay: Replay,
) -> None:
    assert replay.report.quarantined == 0, replay.report
    partial = {e.key for e in replay.report.partial}
    wanted = {write for write in EXPECTED if any(_plan(write)["id"] in k for k in partial)}
    assert wanted == PARTIAL
    assert len(partial) == len(PARTIAL)
    for entry in replay.report.partial:
        assert "expr-" in entry.detail  # names the references the plan does not define
    # The agent's own spellings (paths, `PathIdentifier@hash`, Delta reads as parquet, the
    # catalog-less Iceberg CTAS name resolved by its sibling) are read without a note.
    assert replay.report.notes == ()


@pytest.mark.spark
@pytest.mark.parametrize("write", _cases("datasets"))
def test_dataset_lineage_and_write_mode(replay: Replay, write: str) -> None:
    expected: LakeWrite = EXPECTED[write]
    graph, plan = replay.graph, plan_vertex_id(_plan(write)["id"])
    assert plan in graph.out("HAS_PLAN", job_id(expected.job))
    assert graph.out("READS", plan) == {dataset_id(_uri(i)) for i in expected.inputs}
    writes = [(to, p) for frm, to, p in graph.edges["WRITES"] if frm == plan]
    output = dataset_id(_uri(expected.output))
    assert writes == [(output, {"append": expected.append, "write_mode": expected.mode})]
    assert graph.vertices[plan]["write_mode"] == expected.mode


@pytest.mark.spark
@pytest.mark.parametrize("write", _cases("table"))
def test_output_dataset_format_and_catalog_table(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    dataset = replay.graph.vertices[dataset_id(_uri(expected.output))]
    assert dataset.get("format") == expected.fmt
    assert dataset.get("catalog_table") == expected.table


@pytest.mark.spark
@pytest.mark.parametrize("write", _cases("columns"))
def test_column_lineage(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    plan_id = _plan(write)["id"]
    out_uri = _uri(expected.output)
    found = {
        (frm, to, props["kind"])
        for frm, to, props in replay.graph.edges.get("DERIVES_FROM", [])
        if props["plan_id"] == plan_id
    }
    wanted = {
        (column_id(out_uri, name), column_id(_uri(s.dataset), s.column), s.kind)
        for name, sources in expected.columns.items()
        for s in sources
    }
    assert found == wanted


@pytest.mark.spark
@pytest.mark.parametrize("write", _cases("uses"))
def test_condition_uses(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    prefix = f"op:{_plan(write)['id']}:"
    found = {
        (props["role"], to)
        for frm, to, props in replay.graph.edges.get("USES", [])
        if frm.startswith(prefix)
    }
    assert found == {
        (role, column_id(_uri(dataset), column)) for role, dataset, column in expected.uses
    }


@pytest.mark.spark
def test_the_two_lineages_of_one_iceberg_ctas_are_linked_by_their_statement_key(
    replay: Replay,
) -> None:
    halves = [
        replay.graph.vertices[plan_vertex_id(_plan(write)["id"])]
        for write in ("iceberg_ctas_append", "iceberg_ctas")
    ]
    assert halves[0]["statement_key"] == halves[1]["statement_key"]
    plans = [v for v in replay.graph.vertices.values() if v["~label"] == "Plan"]
    assert len(plans) == len(EXPECTED)  # both payloads kept, as two plans
    assert len({p["statement_key"] for p in plans}) == len(EXPECTED) - 1
    assert len({p["content_key"] for p in plans}) == len(EXPECTED)


@pytest.mark.spark
def test_an_iceberg_ctas_is_one_logical_write_with_one_counted_run(replay: Replay) -> None:
    """The AppendData half is `PART_OF` the CreateTableAsSelect half (plan and run); its run is
    kept (EXECUTED by its own plan) but hangs off no job, so the run views count one run."""
    inner, outer = (plan_vertex_id(_plan(w)["id"]) for w in ("iceberg_ctas_append", "iceberg_ctas"))
    graph = replay.graph
    assert graph.out("PART_OF", inner) == {outer}
    assert graph.out("PART_OF", outer) == set()
    (inner_run,) = {frm for frm, to, _ in graph.edges["EXECUTED"] if to == inner}
    (outer_run,) = {frm for frm, to, _ in graph.edges["EXECUTED"] if to == outer}
    assert graph.out("PART_OF", inner_run) == {outer_run}
    job_runs = graph.out("HAS_RUN", job_id("iceberg_tables"))
    assert outer_run in job_runs
    assert inner_run not in job_runs
    assert graph.vertices[inner_run]["~label"] == "Run"
    # Every other run is counted: one HAS_RUN per run but the linked half's.
    runs = {v for v, props in graph.vertices.items() if props["~label"] == "Run"}
    counted = {to for _, to, _ in graph.edges["HAS_RUN"]}
    assert runs - counted == {inner_run}
    assert {frm for frm, _, _ in graph.edges["PART_OF"]} == {inner, inner_run}
    # The build's own counts, which `GET /status?counts=true` shows, count it once too.
    labels = Counter(props["~label"] for props in graph.vertices.values())
    assert {name: replay.marker[name] for name in ("jobs", "datasets", "plans", "runs")} == {
        "jobs": labels["Job"],
        "datasets": labels["Dataset"],
        "plans": labels["Plan"],
        "runs": len(runs) - 1,
    }
