"""The build's counts: edge ids read back from the build's own files, and merged over a chain."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.build_marker import marker_file
from lineage.delta_state import decode_lines
from lineage.graph_counts import (
    GraphCounts,
    UnreadableEdgeFileError,
    edge_ids,
    merge_edge_ids,
)
from lineage.graph_csv import csv_files
from lineage.graph_schema import BUILD_MARKER_COUNTS, HasRunEdge
from loader.csv_reader import VertexRecord, iter_records

pytestmark = pytest.mark.unit

# Job names (and so edge ids) are whatever an application calls itself: commas, quotes, line
# breaks and any letter included.
_names = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1)


@given(st.lists(_names, max_size=20), st.booleans())
def test_edge_ids_read_back_every_id_the_writer_wrote(names: list[str], zipped: bool) -> None:
    rows = [HasRunEdge(f"job:{name}", f"run:{i}") for i, name in enumerate(names)]
    files = csv_files(rows, gzip=zipped)
    read = [i for f in files for i in edge_ids(f.data, f.path)]
    assert read == [row.id for row in rows]


def test_an_unreadable_edge_file_is_named() -> None:
    with pytest.raises(UnreadableEdgeFileError, match=r"HAS_RUN-00000\.csv\.gz"):
        edge_ids(b"not gzip", "csv/edges/HAS_RUN-00000.csv.gz")
    with pytest.raises(UnreadableEdgeFileError, match="no `~id` header"):
        edge_ids(b"", "csv/edges/HAS_RUN-00000.csv")
    with pytest.raises(UnreadableEdgeFileError, match="cannot read"):
        edge_ids(b"\xff\xfe", "csv/edges/HAS_RUN-00000.csv")


_batches = st.lists(st.lists(_names, max_size=12), min_size=1, max_size=5)


@given(_batches)
def test_a_chain_counts_each_id_once(batches: list[list[str]]) -> None:
    """Each link adds its ids to its parent's file: the count is the ids of the whole chain, once
    each, however often a link writes an id again."""
    old: bytes | None = None
    seen: set[str] = set()
    for batch in batches:
        made = merge_edge_ids("e/HAS_RUN", old, batch, "parent")
        seen |= set(batch)
        assert made.rows == len(seen)
        kept = [key for key, _ in decode_lines(made.data, made.path)] if made.rows else []
        assert kept == sorted(seen)
        old = made.data if made.rows else None


def test_only_the_counted_edges_keep_ids() -> None:
    with pytest.raises(ValueError, match="'e/EXECUTED' is not a counted edge group"):
        merge_edge_ids("e/EXECUTED", None, ["x"], "here")


@given(st.tuples(*(st.integers(0, 2**62) for _ in BUILD_MARKER_COUNTS)))
def test_the_marker_carries_the_counts(values: tuple[int, int, int, int]) -> None:
    counts = GraphCounts(*values)
    made = marker_file([], counts=counts, gzip=True)
    (record,) = iter_records_of(made.data)
    found = {p.column.name: p.values for p in record.properties}
    assert {name: found[name] for name in BUILD_MARKER_COUNTS} == {
        name: (value,) for name, value in zip(BUILD_MARKER_COUNTS, values, strict=True)
    }


def test_a_marker_without_counts_has_none() -> None:
    (record,) = iter_records_of(marker_file([]).data)
    assert {p.column.name for p in record.properties} == {"digest"}


def iter_records_of(data: bytes) -> list[VertexRecord]:
    """The records of one marker file, read by the loader's own reader."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Build-00000.csv"
        path.write_bytes(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        return [r for r in iter_records(path) if isinstance(r, VertexRecord)]
