"""`lineage verify --graph`: the loaded graph holds exactly what the build says."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Cardinality
from typer.testing import CliRunner

from lineage_cli.main import app
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph

VERTICES = (
    "~id,~label,name:String(single),rows:Long(single),at:Date(single),ratio:Float,tags:String[]\n"
    "j1,Job,nightly,10,2026-01-02T03:04:05Z,0.1,a;b\n"
    "r1,Run,first,5,2026-01-02,NaN,\n"
    "r1,Run,first,5,2026-01-02,NaN,c\n"
    "m1,A;B,multi,,,,\n"
)
EDGES = "~id,~from,~to,~label,w:Double\ne1,j1,r1,HAS_RUN,0.5\ne2,r1,m1,USES,\n"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    (root / "csv" / "vertices").mkdir(parents=True)
    (root / "csv" / "edges").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"format": 1}))
    (root / "csv" / "vertices" / "Job-00000.csv.gz").write_bytes(gzip.compress(VERTICES.encode()))
    (root / "csv" / "edges" / "HAS_RUN-00000.csv").write_text(EDGES)
    return root


def verify(url: str, build: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", "--graph", url, "--build", str(build)])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def loaded(url: str, build: Path) -> None:
    report = run_load(str(build), LocalTarget(url=url))
    assert report.succeeded, report.errors


def test_a_loaded_build_verifies_with_counts_and_digest(clean_graph: str, build: Path) -> None:
    loaded(clean_graph, build)
    code, output = verify(clean_graph, build)
    assert code == 0, output
    assert "vertices Run: 1 in the graph, 1 in the build" in output
    assert "vertices A::B: 1 in the graph, 1 in the build" in output
    assert "edges HAS_RUN: 1 in the graph, 1 in the build" in output
    assert "GRAPH VERIFIED" in output
    build_digest = next(line for line in output.splitlines() if line.startswith("build digest"))
    graph_digest = next(line for line in output.splitlines() if line.startswith("graph digest"))
    assert build_digest.split()[-1] == graph_digest.split()[-1]


def test_one_changed_property_is_named_and_fails(clean_graph: str, build: Path) -> None:
    loaded(clean_graph, build)
    connection = DriverRemoteConnection(clean_graph, "g")
    try:
        g = traversal().with_remote(connection)
        g.V("r1").property(Cardinality.single, "rows", 6).iterate()
    finally:
        connection.close()
    code, output = verify(clean_graph, build)
    assert code == 5, output
    assert "vertex 'r1' (Run): property 'rows' is 6 in the graph, 5 in the build" in output
    assert "GRAPH DIFFERS: 1 differences" in output


def test_a_missing_edge_and_an_extra_vertex_are_named(clean_graph: str, build: Path) -> None:
    loaded(clean_graph, build)
    connection = DriverRemoteConnection(clean_graph, "g")
    try:
        g = traversal().with_remote(connection)
        g.E("e2").drop().iterate()
        g.add_v("Stray").property("name", "x").iterate()
    finally:
        connection.close()
    code, output = verify(clean_graph, build)
    assert code == 5, output
    assert "missing from the graph: edge 'e2' ('r1'-USES->'m1')" in output
    assert "not in the build: vertex" in output and "(Stray)" in output
    assert "edges USES: 0 in the graph, 1 in the build  <- differs" in output


def test_verify_needs_a_lake_or_a_graph(build: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "--build", str(build)])
    assert result.exit_code == 2 and "--graph" in result.output
