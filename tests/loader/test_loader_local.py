"""The local loader against a real Gremlin Server: every rule of Neptune's Gremlin CSV format.

Values are read back with their Java types (a GraphBinary reader that tags Byte, Short, Int,
Long, Float, Double, Boolean and Date), so "typed as the header says" is checked, not assumed.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import T
from gremlin_python.structure.io import graphbinaryV1 as gb
from typer.testing import CliRunner

from lineage_cli.main import app
from loader.report import LoadReport
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph


class Typed(NamedTuple):
    """A value read back with the name of its Java type."""

    type: str
    value: Any


def _tagging(name: str, base: Any) -> type:
    class Tagging:
        @classmethod
        def objectify(cls, buff: Any, reader: Any, nullable: bool = True) -> Any:
            value = base.objectify(buff, reader, nullable)
            return None if value is None else Typed(name, value)

    return Tagging


TYPED_READER = gb.GraphBinaryReader(
    deserializer_map={
        gb.DataType.byte: _tagging("Byte", gb.ByteIO),
        gb.DataType.short: _tagging("Short", gb.ShortIO),
        gb.DataType.int: _tagging("Int", gb.IntIO),
        gb.DataType.long: _tagging("Long", gb.LongIO),
        gb.DataType.float: _tagging("Float", gb.FloatIO),
        gb.DataType.double: _tagging("Double", gb.DoubleIO),
        gb.DataType.boolean: _tagging("Bool", gb.BooleanIO),
        gb.DataType.date: _tagging("Date", gb.DateIO),
    }
)


@pytest.fixture
def graph(clean_graph: str) -> Iterator[tuple[str, GraphTraversalSource]]:
    """The emptied graph's URL and a traversal source reading Java-typed values."""
    connection = DriverRemoteConnection(
        clean_graph, "g", message_serializer=GraphBinarySerializersV1(reader=TYPED_READER)
    )
    try:
        yield clean_graph, traversal().with_remote(connection)
    finally:
        connection.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def load(folder: Path, url: str, **options: Any) -> LoadReport:
    """`run_load` into the local graph: the loader API of the server at `url` reads `folder`."""
    options.setdefault("update_single_cardinality", False)  # Neptune's default
    return run_load(str(folder), LocalTarget(url=url), **options)


def vertex(g: GraphTraversalSource, vertex_id: str) -> dict[str, list[Any]]:
    (values,) = g.V(vertex_id).value_map().to_list()
    return {key: sorted(vs, key=repr) for key, vs in values.items()}


def dump(g: GraphTraversalSource) -> tuple[list[Any], list[Any]]:
    """Every vertex and edge with id, label, endpoints and properties, in a stable order."""
    vertices = (
        g.V().project("id", "label", "props").by(T.id).by(T.label).by(__.value_map()).to_list()
    )
    edges = (
        g.E()
        .project("id", "label", "from", "to", "props")
        .by(T.id)
        .by(T.label)
        .by(__.out_v().id_())
        .by(__.in_v().id_())
        .by(__.value_map())
        .to_list()
    )

    def stable(items: list[dict[str, Any]]) -> list[Any]:
        return sorted(
            (
                {
                    **item,
                    "props": {
                        k: sorted(v, key=repr) if isinstance(v, list) else v
                        for k, v in item["props"].items()
                    },
                }
                for item in items
            ),
            key=lambda item: item["id"],
        )

    return stable(vertices), stable(edges)


def test_every_data_type_is_stored_with_its_java_type(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(
        tmp_path,
        "v.csv",
        "~id,~label,b:Bool,y:Byte,s:Short,i:Int,l:Long,f:Float,d:Double,t:Date,x:String\n"
        "v1,Run,true,-7,300,70000,9000000000,0.1,2.5,2026-01-02T03:04:05Z,hi\n"
        "v2,Run,false,127,-1,5,5,NaN,-Infinity,2026-01-02,\n",
    )
    report = load(tmp_path, url)
    assert report.succeeded, report.errors
    assert vertex(g, "v1") == {
        "b": [Typed("Bool", True)],
        "y": [Typed("Byte", -7)],
        "s": [Typed("Short", 300)],
        "i": [Typed("Int", 70000)],
        "l": [Typed("Long", 9000000000)],
        "f": [Typed("Float", 0.10000000149011612)],
        "d": [Typed("Double", 2.5)],
        "t": [Typed("Date", dt.datetime(2026, 1, 2, 3, 4, 5))],
        "x": ["hi"],
    }
    second = vertex(g, "v2")
    assert second["l"] == [Typed("Long", 5)] and second["i"] == [Typed("Int", 5)]
    assert second["f"][0].type == "Float" and second["f"][0].value != second["f"][0].value
    assert second["d"] == [Typed("Double", float("-inf"))]
    assert "x" not in second  # an empty field is no value


def test_arrays_sets_and_single_cardinality_merge_like_neptune(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(
        tmp_path,
        "1-vertices.csv",
        "~id,~label,tags:String[],n:Int(set)[],name:String(single),seen:String\n"
        "v1,Job,a;b,1;2,first,x\n"
        "v1,Job,b;c,2;3,first,y\n",
    )
    write(
        tmp_path,
        "2-vertices.csv",
        "~id,~label,tags:String[],seen:String\nv1,Job,d,x\n",
    )
    report = load(tmp_path, url)
    assert report.succeeded, report.errors
    values = vertex(g, "v1")
    assert values["tags"] == ["a", "b", "c", "d"]
    assert values["n"] == [Typed("Int", 1), Typed("Int", 2), Typed("Int", 3)]
    assert values["name"] == ["first"]
    assert values["seen"] == ["x", "y"]


def test_a_new_vertex_holds_each_value_once_and_its_lists_and_edge_sets_grow_later(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    """A vertex created by a record takes its values in one step and compact containers: a set
    cell repeating a value keeps it once, later files add values and edges as Neptune does."""
    url, g = graph
    targets = [f"t{i}" for i in range(20)]
    write(
        tmp_path,
        "1-vertices.csv",
        "~id,~label,tags:String[],name:String(single)\n"
        "v1,Job,a;b;a;b;a,first\n" + "".join(f"{t},Job,x,{t}\n" for t in targets),
    )
    write(tmp_path, "2-vertices.csv", "~id,~label,tags:String[]\nv1,Job,c;a;d;e;f;g;h;i;j;k;l\n")
    follows = "".join(f"f-{t},v1,{t},FOLLOWS\n" for t in targets)
    write(tmp_path, "3-edges.csv", "~id,~from,~to,~label\n" + follows + "u-1,t0,v1,USES\n")
    write(tmp_path, "4-edges.csv", "~id,~from,~to,~label\nu-2,t1,v1,USES\nr-1,v1,t0,READS\n")
    report = load(tmp_path, url)
    assert report.succeeded, report.errors
    values = vertex(g, "v1")
    assert values["tags"] == sorted("abcdefghijkl")
    assert values["name"] == ["first"]
    assert sorted(g.V("v1").out("FOLLOWS").id_().to_list()) == sorted(targets)
    counts = g.V("v1").out_e().label().group_count().next()
    assert counts == {"FOLLOWS": Typed("Long", 20), "READS": Typed("Long", 1)}
    assert sorted(g.V("v1").in_("USES").id_().to_list()) == ["t0", "t1"]
    assert g.V("t0").in_("FOLLOWS").id_().to_list() == ["v1"]
    again = load(tmp_path, url)
    assert again.totals.duplicates == again.totals.records


def test_single_cardinality_conflicts_follow_update_single_cardinality(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "v.csv", "~id,~label,status:String(single)\nr1,Run,RUNNING\n")
    write(second, "v.csv", "~id,~label,status:String(single)\nr1,Run,SUCCEEDED\n")
    assert load(first, url).succeeded
    refused = load(second, url)
    assert refused.status == "LOAD_FAILED"
    (error,) = refused.errors
    assert (error.code, error.file, error.line) == ("CARDINALITY_VIOLATION", "v.csv", 2)
    assert "'RUNNING'" in error.message and "'SUCCEEDED'" in error.message
    assert vertex(g, "r1")["status"] == ["RUNNING"]
    replaced = load(second, url, update_single_cardinality=True)
    assert replaced.succeeded
    assert vertex(g, "r1")["status"] == ["SUCCEEDED"]


def test_quoting_escapes_and_empty_strings(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    text = (
        "~id,~label,note,tags:String[],empty\n"
        'v1,Doc,"a, ""quoted""\nnote",semi\\;colon;other,""\n'
        "v2,Doc,,,\n"
    )
    write(tmp_path / "plain", "v.csv", text)
    assert load(tmp_path / "plain", url).succeeded
    assert vertex(g, "v1") == {"note": ['a, "quoted"\nnote'], "tags": ["other", "semi;colon"]}
    assert vertex(g, "v2") == {}
    write(tmp_path / "allow", "v.csv", text.replace("v1,", "w1,").replace("v2,", "w2,"))
    assert load(tmp_path / "allow", url, allow_empty_strings=True).succeeded
    assert vertex(g, "w1")["empty"] == [""]
    assert vertex(g, "w2") == {}


def test_values_across_the_servers_read_buffers_come_back_byte_for_byte(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    # 1.3 MB of CRLF records after a byte order mark: the server reads 64 KiB at a time, so
    # twenty reads end inside a field, some inside a multi-byte character or a doubled quote.
    notes = {}
    rows = []
    for i in range(20_000):
        note = "é中😀" * (i % 5) + "x" * (i % 61) + ('say "hi", twice' if i % 3 == 0 else "")
        notes[f"v{i}"] = note
        cell = '"' + note.replace('"', '""') + '"' if '"' in note else note
        rows.append(f"v{i},Doc,{cell},{i}\r\n")
    header = "~id,~label,note:String(single),n:Int(single)\r\n"
    (tmp_path / "v.csv").write_bytes(b"\xef\xbb\xbf" + (header + "".join(rows)).encode())
    report = load(tmp_path, url)
    assert report.succeeded, report.errors
    stored = g.V().project("id", "note", "n").by(T.id).by(__.values("note").fold()).by("n")
    found = {row["id"]: (row["note"], row["n"]) for row in stored.to_list()}
    assert found == {
        key: ([note] if note else [], Typed("Int", int(key[1:]))) for key, note in notes.items()
    }


def test_dates_load_in_their_four_forms_and_nothing_else(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    cells = [
        "2026-01-02",
        "2026-01-02T03:04",
        "2026-01-02T03:04:05",
        "2026-01-02T03:04:05Z",
        "2026-02-30",
        "2026-1-02",
        "2026-01-02T03:04Z",
        "2026-01-02 03:04:05",
        "2026-01-02T24:00:00Z",
    ]
    rows = "".join(f"d{i},Day,{cell}\n" for i, cell in enumerate(cells))
    write(tmp_path, "days.csv", "~id,~label,t:Date(single)\n" + rows)
    report = load(tmp_path, url, fail_on_error=False)
    loaded = {row["id"]: row["t"] for row in g.V().project("id", "t").by(T.id).by("t").to_list()}
    assert loaded == {
        "d0": Typed("Date", dt.datetime(2026, 1, 2)),
        "d1": Typed("Date", dt.datetime(2026, 1, 2, 3, 4)),
        "d2": Typed("Date", dt.datetime(2026, 1, 2, 3, 4, 5)),
        "d3": Typed("Date", dt.datetime(2026, 1, 2, 3, 4, 5)),
    }
    forms = (
        "not a documented Neptune Date form (yyyy-MM-dd, yyyy-MM-ddTHH:mm, yyyy-MM-ddTHH:mm:ss, "
        "yyyy-MM-ddTHH:mm:ssZ); keep milliseconds in a Long column"
    )
    invalid = {
        6: "not a valid date (Invalid date 'FEBRUARY 30')",
        7: forms,
        8: forms,
        9: forms,
        10: "not a valid date (Invalid value for HourOfDay (valid values 0 - 23): 24)",
    }
    assert sorted((error.line, error.code, error.message) for error in report.errors) == [
        (line, "DATA_TYPE_CONVERSION_FAIL", f"column 't:Date(single)': {why}: '{cells[line - 2]}'")
        for line, why in sorted(invalid.items())
    ]


def test_compressed_files_load_and_bookkeeping_files_are_skipped(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(tmp_path, "part-0.csv.gz", "~id,~label\na,L\n")
    write(tmp_path, "sub/part-1.csv.bz2", "~id,~label\nb,L\n")
    write(tmp_path, "_SUCCESS", "")
    write(tmp_path, ".part-0.csv.gz.crc", "garbage")
    report = load(tmp_path, url)
    assert report.succeeded
    assert sorted(g.V().id_().to_list()) == ["a", "b"]
    assert report.totals.records == 2 and not report.failed_files


def test_vertex_files_load_before_edge_files_whatever_their_names(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(tmp_path, "a-edges.csv", "~id,~from,~to,~label,w:Double\ne1,j,r,HAS_RUN,0.5\n")
    write(tmp_path, "z-vertices.csv", "~id,~label\nj,Job\nr,Run\n")
    report = load(tmp_path, url)
    assert report.succeeded, report.errors  # an edge file first would miss its endpoints
    (edge,) = g.E().element_map().to_list()
    assert edge[T.id] == "e1" and edge[T.label] == "HAS_RUN" and edge["w"] == Typed("Double", 0.5)


def test_multiple_labels_become_neptunes_joined_label(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(tmp_path, "v.csv", "~id,~label\nv1,B;A\nv2,\n")
    assert load(tmp_path, url).succeeded
    assert g.V("v1").label().next() == "A::B"
    assert g.V("v2").label().next() == "vertex"


def test_missing_endpoint_fails_the_load_or_is_skipped(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(tmp_path, "v.csv", "~id,~label\na,L\nb,L\n")
    write(tmp_path, "e.csv", "~id,~from,~to,~label\ne1,a,b,E\ne2,a,ghost,E\ne3,b,a,E\n")
    failed = load(tmp_path, url)
    assert failed.status == "LOAD_FAILED"
    (error,) = failed.errors
    assert (error.code, error.file, error.line) == ("FROM_OR_TO_VERTEX_ARE_MISSING", "e.csv", 3)
    assert "'ghost'" in error.message
    # Records before the bad one stay written, as on Neptune; none after it is read.
    assert g.E().id_().to_list() == ["e1"]
    skipped = load(tmp_path, url, fail_on_error=False)
    assert skipped.status == "LOAD_COMPLETED" and skipped.completed_with_errors
    assert skipped.totals.insert_errors == 1
    assert sorted(g.E().id_().to_list()) == ["e1", "e3"]


def test_edge_id_reused_with_other_endpoints_is_an_insert_error(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, _ = graph
    write(tmp_path, "v.csv", "~id,~label\na,L\nb,L\n")
    write(tmp_path, "e.csv", "~id,~from,~to,~label\ne1,a,b,E\ne1,b,a,E\n")
    report = load(tmp_path, url)
    assert [(e.code, e.line) for e in report.errors] == [("EDGE_ID_CONFLICT", 3)]


def test_a_bad_value_fails_with_a_message_naming_it(clean_graph: str, tmp_path: Path) -> None:
    write(tmp_path, "runs.csv", "~id,~label,rows:Long\nr1,Run,10\nr2,Run,12O\n")
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        ["load", "--from", str(tmp_path), "--graph", clean_graph, "--report", str(report_path)],
    )
    assert result.exit_code == 1, result.output
    assert (
        "runs.csv:3: DATA_TYPE_CONVERSION_FAIL: column 'rows:Long': not an integer (Long): '12O'"
        in result.output
    )
    assert report_path.exists()


def test_skipping_bad_rows_loads_the_rest_and_exits_3(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(tmp_path, "runs.csv", '~id,~label,n:Int\nr1,Run,10\nr2,Run,x\nr3,Run,"3"y\nr4,Run,4\n')
    result = CliRunner().invoke(
        app,
        [
            "load",
            "--from",
            str(tmp_path),
            "--graph",
            url,
            "--no-fail-on-error",
            "--report",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 3, result.output
    assert sorted(g.V().id_().to_list()) == ["r1", "r4"]


def test_loading_the_same_folder_twice_changes_nothing(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    write(
        tmp_path,
        "v.csv.gz",
        "~id,~label,tags:String[],n:Long(single),at:Date(single),f:Float\n"
        "j1,Job,a;b,1,2026-01-01T00:00:00Z,0.3\n"
        "j2,Job,c,2,2026-01-02,NaN\n",
    )
    write(tmp_path, "e.csv", "~id,~from,~to,~label,w:Float\ne1,j1,j2,NEXT,0.7\n")
    first = load(tmp_path, url)
    assert first.succeeded
    before = dump(g)
    second = load(tmp_path, url)
    assert second.succeeded
    assert second.totals.duplicates == second.totals.records == 3
    assert repr(dump(g)) == repr(before)  # repr: NaN equals itself only as text


def test_long_strings_load_whatever_the_servers_request_limit(
    graph: tuple[str, GraphTraversalSource], tmp_path: Path
) -> None:
    url, g = graph
    # 12 MB of 10 KB strings, over the server's 10 MB request limit: the server reads the file
    # itself, so no request carries the data.
    params = "x" * 10_000
    rows = "".join(f"op{i},Operation,{params}\n" for i in range(1200))
    write(tmp_path, "ops.csv", "~id,~label,params:String(single)\n" + rows)
    report = load(tmp_path, url)
    assert report.succeeded, report.errors
    assert g.V().count().next() == Typed("Long", 1200)
