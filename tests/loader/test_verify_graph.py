"""`lineage verify --graph`: the loaded graph holds exactly what the build says."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Cardinality
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lineage_cli.main import app
from loader.graph_check import check_graph
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


# --- the server's Java reader and the strict Python reader agree ------------------------------

CELLS = {
    "n:Int": st.integers(-(2**31), 2**31 - 1).map(str),
    "l:Long(single)": st.integers(-(2**63), 2**63 - 1).map(str),
    "f:Float": st.floats(width=32, allow_nan=False, allow_infinity=False).map(repr),
    "d:Double(single)": st.floats(allow_nan=False, allow_infinity=False).map(repr),
    "b:Bool": st.sampled_from(["true", "false", "TRUE", "False"]),
    "t:Date(single)": st.sampled_from(
        ["2026-01-02", "2026-01-02T03:04", "2026-01-02T03:04:05", "1999-12-31T23:59:59Z"]
    ),
    "tags:String[]": st.lists(
        st.text(alphabet='ab;c,"é\n', min_size=1, max_size=4), max_size=3
    ).map(lambda parts: ";".join(p.replace(";", "\\;") for p in parts if not p.endswith("\\"))),
    "s": st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
        max_size=8,
    ),
}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def vertex_files(draw: st.DrawFn) -> str:
    columns = draw(st.lists(st.sampled_from(sorted(CELLS)), unique=True, max_size=len(CELLS)))
    lines = [",".join(["~id", "~label", *columns])]
    for _ in range(draw(st.integers(1, 8))):
        vertex_id = draw(st.sampled_from(sorted(LABELS)))
        cells = [_quoted(vertex_id), LABELS[vertex_id]]
        cells += [_quoted(draw(st.one_of(st.just(""), CELLS[c]))) for c in columns]
        lines.append(",".join(cells))
    # The edge file's endpoints exist whatever was drawn.
    lines += [",".join(["a", LABELS["a"], *[""] * len(columns)])]
    lines += [",".join(["b", LABELS["b"], *[""] * len(columns)])]
    return "\n".join(lines) + "\n"


# One label per id: a reload cannot relabel a vertex (LABEL_CONFLICT), which is not what this
# test is about.
LABELS = {"a": "Run", "b": "Job", "c": "Run;Job", "é,1": "Run", 'q"2': "Job"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=vertex_files())
def test_what_the_server_loads_is_what_the_strict_reader_reads(
    gremlin_server: str, tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("generated")
    (folder / "v.csv").write_text(text, encoding="utf-8")
    (folder / "e.csv").write_text("~id,~from,~to,~label,w:Double\ne1,a,b,E,0.5\n")
    connection = DriverRemoteConnection(gremlin_server, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()
    report = run_load(str(folder), LocalTarget(url=gremlin_server), fail_on_error=False)
    assert report.succeeded, report.errors
    result = check_graph(gremlin_server, folder)
    assert result.matches, result.differences
