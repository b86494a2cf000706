"""A load's `parallelism` changes its speed, never its outcome.

The server parses files on `parallelism` threads and one thread writes the graph. Whatever the
setting, the same folder must give the same graph, the same counts (duplicates exactly) and the
same error log with the same files and lines, through the real boto3 client and the local
server's loader API. On this project's 2-CPU machines LOW and MEDIUM run on one thread, HIGH on
two and OVERSUBSCRIBE on four; the folder has files larger than one parse batch (2,048 records),
more files than are parsed ahead, gzip and plain text, merges across files, duplicates and every
kind of error.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal

from loader.graph_check import graph_elements
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph

PARALLELISMS = ("LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE")
VERTEX_HEADER = "~id,~label,n:Int(single),tag:String[]\n"
EDGE_HEADER = "~id,~from,~to,~label,w:Double\n"
VERTEX_FILES = 4
PER_VERTEX_FILE = 2_500
OVERLAP = 400  # each vertex file repeats the last ids of the one before


@dataclass
class Expected:
    """What the folder holds by construction: the counts a correct load reports."""

    records: int = 0
    duplicates: int = 0
    parsing: int = 0
    datatype: int = 0
    insert: int = 0
    vertices: dict[str, tuple[int, set[str]]] = field(default_factory=dict)


def _vertex_rows(file: int, expected: Expected) -> list[str]:
    rows = []
    first = file * (PER_VERTEX_FILE - OVERLAP)
    for i in range(first, first + PER_VERTEX_FILE):
        repeat = file > 0 and i < first + OVERLAP
        expected.records += 1
        if i % 977 == 5 and not repeat:
            rows.append(f"v{i},Node,not-a-number,t{i}\n")
            expected.datatype += 1
            continue
        n = i % 50
        tags = {f"t{i}"}
        if repeat and i % 3 == 1:
            tags = {f"t{i}", f"u{i}"}  # a new set value: merges, not a duplicate
        if repeat and i % 101 == 0:
            n += 1  # a different (single) value: refused, updateSingleCardinality is off
        rows.append(f"v{i},Node,{n},{';'.join(sorted(tags))}\n")
        known = expected.vertices.get(f"v{i}")
        if known is None:
            expected.vertices[f"v{i}"] = (n, tags)
        elif known[0] != n:
            expected.insert += 1
        elif tags <= known[1]:
            expected.duplicates += 1
        else:
            known[1].update(tags)
    return rows


def _folder(root: Path) -> tuple[Path, Expected]:
    expected = Expected()
    for file in range(VERTEX_FILES):
        rows = _vertex_rows(file, expected)
        if file == 1:
            rows.insert(700, 'vq,Node,1,"quoted"after\n')  # text after a closing quote
            rows.insert(1_500, "vw,Node,1\n")  # a field short
            expected.records += 2
            expected.parsing += 2
        text = (VERTEX_HEADER + "".join(rows)).encode()
        if file % 2:
            (root / f"v-{file:02d}.csv.gz").write_bytes(gzip.compress(text))
        else:
            (root / f"v-{file:02d}.csv").write_bytes(text)
    for small in range(8):  # more files than the parsers read ahead of the writer
        ids = [f"s{small}-{k}" for k in range(5)]
        (root / f"vs-{small:02d}.csv").write_text(
            VERTEX_HEADER + "".join(f"{i},Small,{small},\n" for i in ids)
        )
        expected.records += 5
        for i in ids:
            expected.vertices[i] = (small, set())
    vertex_ids = sorted(expected.vertices)
    edges: list[str] = []
    for j in range(2_300):
        expected.records += 1
        source = vertex_ids[(j * 7) % len(vertex_ids)]
        target = vertex_ids[(j * 31 + 3) % len(vertex_ids)]
        if j % 450 == 7:
            target = f"ghost{j}"  # an edge to a missing vertex: an insert error
            expected.insert += 1
        edges.append(f"e{j},{source},{target},LINK,{j / 4}\n")
    (root / "e-00.csv.gz").write_bytes(gzip.compress((EDGE_HEADER + "".join(edges)).encode()))
    again = []
    for line in edges[:2_100]:
        expected.records += 1
        if "ghost" in line:
            expected.insert += 1
            again.append(line)
            continue
        j = int(line.split(",", 1)[0][1:])
        if j % 250 == 0:
            again.append(line.replace(f",{j / 4}\n", f",{j / 4 + 1}\n"))  # changed: refused
            expected.insert += 1
        else:
            again.append(line)  # the same edge again: a duplicate
            expected.duplicates += 1
    (root / "e-01.csv").write_text(EDGE_HEADER + "".join(again))
    return root, expected


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    return _folder(tmp_path_factory.mktemp("parallel-load"))


def _empty(url: str) -> None:
    connection = DriverRemoteConnection(url, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()


def _load(url: str, source: Path, parallelism: str, fail_on_error: bool) -> tuple[Any, Any]:
    _empty(url)
    report = run_load(
        str(source),
        LocalTarget(url=url, parallelism=parallelism),  # type: ignore[arg-type]
        fail_on_error=fail_on_error,
        update_single_cardinality=False,
    )
    assert report.stopped_by is None or report.stopped_by == "source", report
    assert not report.errors_truncated
    errors = [(e.code, e.message, e.file, e.line) for e in report.errors]
    return (report.status, report.totals, errors), graph_elements(url)


def test_every_parallelism_loads_the_same_graph_counts_and_errors(
    clean_graph: str, folder: tuple[Path, Expected]
) -> None:
    source, expected = folder
    outcomes = {p: _load(clean_graph, source, p, fail_on_error=False) for p in PARALLELISMS}
    (status, totals, errors), graph = outcomes["LOW"]
    assert status == "LOAD_COMPLETED"  # as Neptune: the refused records are counted, not fatal
    assert totals.records == expected.records
    assert totals.duplicates == expected.duplicates
    assert totals.parsing_errors == expected.parsing
    assert totals.datatype_mismatch_errors == expected.datatype
    assert totals.insert_errors == expected.insert
    assert len(errors) == expected.parsing + expected.datatype + expected.insert
    assert ("PARSING_ERROR", "expected 4 fields as in the header, found 3") in {
        (code, message) for code, message, _, _ in errors
    }
    assert all(file and line for _, _, file, line in errors), errors
    vertices = {k: v for k, v in graph.items() if k.startswith("v:")}
    assert len(vertices) == len(expected.vertices)
    for parallelism in PARALLELISMS[1:]:
        assert outcomes[parallelism][0] == outcomes["LOW"][0], parallelism
        assert outcomes[parallelism][1] == graph, parallelism


def test_fail_on_error_stops_at_the_same_record_for_every_parallelism(
    clean_graph: str, folder: tuple[Path, Expected]
) -> None:
    source, _ = folder
    outcomes = {p: _load(clean_graph, source, p, fail_on_error=True) for p in PARALLELISMS}
    (status, totals, errors), graph = outcomes["LOW"]
    assert status == "LOAD_FAILED"
    assert len(errors) == 1
    code, _, file, line = errors[0]
    assert (code, Path(file or "").name, line) == ("DATA_TYPE_CONVERSION_FAIL", "v-00.csv", 7)
    assert totals.records == 6  # the five records before it and itself
    assert len(graph) == 5
    for parallelism in PARALLELISMS[1:]:
        assert outcomes[parallelism][0] == outcomes["LOW"][0], parallelism
        assert outcomes[parallelism][1] == graph, parallelism
