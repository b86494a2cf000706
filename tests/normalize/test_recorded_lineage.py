"""The real agent's recorded payloads -> the real producer app -> the normalize job -> the graph,
compared with the lineage written by hand in `recorded_expectations.py`.

Every request of `tests/events/spline/transcript.json` is replayed in order, with the content
type and encoding the agent used (gzip bodies re-compressed), against the producer FastAPI app
over a local raw zone; the normalize job (Spark) builds the Neptune CSVs, and the tests read the
graph back from those files with the project's Neptune CSV reader.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from recorded_expectations import EXPECTED, KNOWN_WRONG, NO_LINEAGE_JOBS, Expected

from glue_jobs.normalize import NormalizeParams, run_normalize
from lambdas.producer.app import create_app
from lineage.graph_schema import column_id, dataset_id, job_id, plan_vertex_id
from loader.csv_reader import EdgeRecord, VertexRecord, iter_records
from stores import LocalStore

pytestmark = [pytest.mark.spark]

RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
TRANSCRIPT: list[dict[str, Any]] = json.loads((RECORDED / "transcript.json").read_text())
LAKE = "file:///tmp/lineage-example-lake"
START = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
GZIP_OVER = 2048  # the agent compresses only bodies longer than this


def _uri(relative: str) -> str:
    return f"{LAKE}/{relative}"


def _requests() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for job in TRANSCRIPT:
        for request in job["requests"]:
            yield job, request


def _plan_id(write: str) -> str:
    plan_id: str = json.loads((RECORDED / f"{write}.plan.json").read_bytes())["id"]
    return plan_id


@dataclass
class Graph:
    """The normalize job's output, read back: vertices by id, edges by label."""

    vertices: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)

    def out(self, label: str, from_id: str) -> set[str]:
        return {to for frm, to, _ in self.edges.get(label, []) if frm == from_id}


@dataclass
class Replay:
    statuses: dict[str, int]  # fixture file -> HTTP status the producer answered
    graph: Graph


def _props(record: VertexRecord | EdgeRecord) -> dict[str, Any]:
    return {p.column.name: p.values[0] for p in record.properties}


@pytest.fixture(scope="module")
def replay(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    lake, out = tmp_path_factory.mktemp("replayed-lake"), tmp_path_factory.mktemp("replayed-out")
    ticks = iter(range(10_000))
    app = create_app(LocalStore(lake), clock=lambda: START + dt.timedelta(seconds=next(ticks)))
    statuses: dict[str, int] = {}
    with TestClient(app) as client:
        for _job, request in _requests():
            path = request["path"].removeprefix("/producer")
            if request["method"] == "HEAD":
                assert client.head(path).status_code == 200
                continue
            body = (RECORDED / request["file"]).read_bytes()
            headers = {"Content-Type": request["headers"]["Content-Type"]}
            if request["headers"].get("Content-Encoding") == "gzip":
                headers["Content-Encoding"] = "gzip"
                body = gzip.compress(body)
            statuses[request["file"]] = client.post(path, content=body, headers=headers).status_code
    result = run_normalize(
        spark, LocalStore(str(lake)), LocalStore(str(out)), NormalizeParams(str(lake), str(out))
    )
    assert result.report.quarantined == 0, result.report
    graph = Graph()
    for csv_file in sorted((out / "csv").rglob("*.csv")):
        for record in iter_records(csv_file):
            if isinstance(record, VertexRecord):
                graph.vertices[record.id] = {"~label": record.labels[0], **_props(record)}
            else:
                graph.edges.setdefault(record.label, []).append(
                    (record.from_id, record.to_id, _props(record))
                )
    return Replay(statuses, graph)


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
        for _, r in _requests()
        if r["file"] and r["file"].endswith(".plan.json")
    }
    assert recorded == set(EXPECTED)
    assert {p.name.removesuffix(".plan.json") for p in RECORDED.glob("*.plan.json")} == recorded


@pytest.mark.unit
@pytest.mark.parametrize("job", sorted(NO_LINEAGE_JOBS))
def test_actions_without_a_write_send_nothing(job: str) -> None:
    (entry,) = [j for j in TRANSCRIPT if j["job"] == job]
    # The agent was attached (it asked the producer's status) and sent no plan and no event for
    # count(), collect(), show(), cache(), temp views, CREATE/DROP TABLE and CREATE DATABASE.
    assert [r["method"] for r in entry["requests"]] == ["HEAD"]


@pytest.mark.unit
def test_the_agent_handshakes_once_per_session_then_sends_plan_and_event_pairs() -> None:
    for job in TRANSCRIPT:
        methods = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in job["requests"]]
        assert methods[0] == ("HEAD", "status"), job["job"]
        pairs = methods[1:]
        assert pairs == [("POST", "execution-plans"), ("POST", "execution-events")] * (
            len(pairs) // 2
        ), job["job"]


@pytest.mark.unit
@pytest.mark.parametrize(
    "request_",
    [r for _, r in _requests() if r["file"]],
    ids=lambda r: r["file"],
)
def test_recorded_bodies_are_what_the_agent_sent(request_: dict[str, Any]) -> None:
    body = (RECORDED / request_["file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == request_["sha256"]
    assert len(body) == request_["bytes"]
    headers = request_["headers"]
    assert headers["Content-Type"] == "application/vnd.absa.spline.producer.v1.2+json"
    assert headers["User-Agent"].startswith("scalaj-http/")
    # Size-gated gzip: compressed exactly when the JSON text is over 2,048 characters.
    compressed = headers.get("Content-Encoding") == "gzip"
    assert compressed == (len(body.decode()) > GZIP_OVER), request_["file"]
    assert (request_["wire_bytes"] < request_["bytes"]) == compressed


@pytest.mark.unit
@pytest.mark.parametrize("write", sorted(EXPECTED))
def test_event_batches_are_one_event_with_duration_unless_failed(write: str) -> None:
    (event,) = json.loads((RECORDED / f"{write}.events.json").read_bytes())
    assert event["planId"] == _plan_id(write)
    assert ("error" in event) == EXPECTED[write].failed
    assert ("durationNs" in event) != EXPECTED[write].failed


# ------------------------------------------------------------------ through producer and rebuild


@pytest.mark.parametrize("write", sorted(EXPECTED))
def test_the_producer_accepts_every_real_payload(replay: Replay, write: str) -> None:
    assert replay.statuses[f"{write}.plan.json"] == 201
    assert replay.statuses[f"{write}.events.json"] == 201


@pytest.mark.parametrize("write", _cases("datasets"))
def test_dataset_lineage(replay: Replay, write: str) -> None:
    expected: Expected = EXPECTED[write]
    graph, plan = replay.graph, plan_vertex_id(_plan_id(write))
    assert plan in graph.out("HAS_PLAN", job_id(expected.job))
    assert graph.out("READS", plan) == {dataset_id(_uri(i)) for i in expected.inputs}
    output = dataset_id(_uri(expected.output))
    writes = [(to, p) for frm, to, p in graph.edges["WRITES"] if frm == plan]
    # Every recorded write is a V1 command: its mode is the agent's append flag.
    mode = "append" if expected.append else "overwrite"
    assert writes == [(output, {"append": expected.append, "write_mode": mode})]


@pytest.mark.parametrize("write", _cases("table"))
def test_output_dataset_format_and_catalog_table(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    dataset = replay.graph.vertices[dataset_id(_uri(expected.output))]
    assert dataset.get("format") == expected.fmt
    assert dataset.get("catalog_table") == expected.table


@pytest.mark.parametrize("write", _cases("columns"))
def test_column_lineage(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    graph, plan_id = replay.graph, _plan_id(write)
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
    for name in expected.columns:
        assert graph.vertices[column_id(out_uri, name)]["~label"] == "Column"


@pytest.mark.parametrize("write", _cases("uses"))
def test_condition_uses(replay: Replay, write: str) -> None:
    expected = EXPECTED[write]
    prefix = f"op:{_plan_id(write)}:"
    found = {
        (props["role"], to)
        for frm, to, props in replay.graph.edges.get("USES", [])
        if frm.startswith(prefix)
    }
    assert found == {
        (role, column_id(_uri(dataset), column)) for role, dataset, column in expected.uses
    }


@pytest.mark.parametrize("write", sorted(EXPECTED))
def test_each_recorded_event_is_one_run_with_its_status(replay: Replay, write: str) -> None:
    plan = plan_vertex_id(_plan_id(write))
    runs = [frm for frm, to, _ in replay.graph.edges["EXECUTED"] if to == plan]
    recorded = sum(1 for name in EXPECTED if _plan_id(name) == _plan_id(write))
    assert len(runs) == recorded  # a rerun resends the same plan: its runs share it
    statuses = {replay.graph.vertices[r]["status"] for r in runs}
    assert statuses == {"FAILED" if EXPECTED[write].failed else "SUCCEEDED"}
