"""Generated CSV folders against a real Gremlin Server: the loader always ends in a report.

Hypothesis writes folders of vertex and edge files whose cells mix good values with broken
quoting, values their column type refuses, undocumented Date forms, unicode, cells too large for
one request, and whose files may be gzip (sometimes truncated) or bzip2. Whatever it writes,
`run_load` returns a report (it never raises), the exit code is one the CLI documents, every
error names a file of the folder and a line, and the graph holds no more than the report says was
committed.
"""

from __future__ import annotations

import bz2
import gzip
from typing import Any

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lineage_cli.commands.load import (
    EXIT_COMPLETED_WITH_ERRORS,
    EXIT_LOAD_FAILED,
    EXIT_OK,
    exit_code,
)
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph

IDS = st.sampled_from(["a", "b", "c", "d", "é", "x,y", 'q"t', "line\nbreak", ""])
UNICODE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
HUGE = st.integers(min_value=100_000, max_value=300_000).map(lambda n: "h" * n)
CELL = st.one_of(
    st.sampled_from(
        [
            "",
            '""',
            "1",
            "-2147483649",
            "12O",
            "true",
            "NaN",
            "2026-01-02",
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.678Z",
            "2026-01-02T03:04:05+01:00",
            "a;b\\;c",
            '"open',
            'in"side',
            '"closed"tail',
            '"multi\nline"',
            '"a,b"',
        ]
    ),
    UNICODE,
    HUGE,
)
VERTEX_COLUMNS = ["n:Int", "t:Date(single)", "s:String", "tags:String[]", "f:Float"]
EDGE_COLUMNS = ["w:Double", "t:Date", "note"]


TRUNCATED_GZIP = (lambda data: data[: len(data) // 2])(
    gzip.compress(b"~id,~label\n" + b"".join(b"v%d,L\n" % i for i in range(5000)), mtime=0)
)


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def csv_file(draw: st.DrawFn, kind: str) -> str:
    columns = VERTEX_COLUMNS if kind == "vertex" else EDGE_COLUMNS
    header = ["~id", "~label"] if kind == "vertex" else ["~id", "~from", "~to", "~label"]
    header += draw(st.lists(st.sampled_from(columns), unique=True, max_size=len(columns)))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(UNICODE))  # a line that is no record at all
            continue
        cells = [quoted(draw(IDS))]
        if kind == "edge":
            cells += [quoted(draw(IDS)), quoted(draw(IDS))]
        cells.append(draw(st.sampled_from(["L", "M", "L;M", ""])))
        cells += [draw(CELL) for _ in header[len(cells) :]]
        lines.append(",".join(cells))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\r\n", ""]))


@st.composite
def folders(draw: st.DrawFn) -> list[tuple[str, bytes, bool]]:
    """(file name, bytes, truncated) for one to three files."""
    files = []
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["vertex", "edge"]))
        data = draw(csv_file(kind)).encode("utf-8", "surrogatepass")
        packing = draw(st.sampled_from(["plain", "gz", "gz-truncated", "bz2"]))
        name = f"{kind}-{index}.csv"
        truncated = packing == "gz-truncated"
        if packing.startswith("gz"):
            name += ".gz"
            data = gzip.compress(data, mtime=0)
            if truncated:
                data = data[: draw(st.integers(1, max(1, len(data) - 1)))]
        elif packing == "bz2":
            name += ".bz2"
            data = bz2.compress(data)
        files.append((name, data, truncated))
    return files


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=folders(), fail_on_error=st.booleans())
# Always tried, whatever hypothesis draws: each of the failures the loader must survive.
@example(
    files=[
        (
            "vertex-0.csv",
            ("~id,~label,s\nbig,L," + "h" * 300_000 + '\nok,L,1\nq,L,"open\n').encode(),
            False,
        ),
        ("vertex-1.csv.gz", TRUNCATED_GZIP, True),
        ("edge-2.csv", b"~id,~from,~to,~label,t:Date\ne,ok,ok,E,2026-01-02T03:04:05.678Z\n", False),
    ],
    fail_on_error=False,
)
def test_any_folder_ends_in_a_report_and_a_documented_exit_code(
    gremlin_server: str, tmp_path_factory: pytest.TempPathFactory, files: Any, fail_on_error: bool
) -> None:
    connection = DriverRemoteConnection(gremlin_server, "g")
    g = traversal().with_remote(connection)
    try:
        g.V().drop().iterate()
        folder = tmp_path_factory.mktemp("generated")
        for name, data, _ in files:
            (folder / name).write_bytes(data)

        report = run_load(
            str(folder),
            LocalTarget(url=gremlin_server),
            fail_on_error=fail_on_error,
        )

        code = exit_code(report)
        assert code in (EXIT_OK, EXIT_LOAD_FAILED, EXIT_COMPLETED_WITH_ERRORS), report
        assert report.stopped_by is None, report.errors
        assert (code == EXIT_COMPLETED_WITH_ERRORS) <= (not fail_on_error)
        report.to_json()  # always serializable
        names = {name for name, _, _ in files}
        for error in report.errors:
            assert error.file in names and error.line is not None and error.line >= 1, error
        failed = {result.file: result for result in report.failed_files}
        for name, _, truncated in files:
            if truncated:  # read through before any write: the file fails whole
                assert failed[name].status == "LOAD_FAILED", report
                assert failed[name].totals.records == 0, report
        # Nothing but the records read is in the graph.
        assert g.V().count().next() + g.E().count().next() <= report.totals.records
        if code == EXIT_OK:
            assert not report.errors and not report.failed_files
    finally:
        connection.close()
