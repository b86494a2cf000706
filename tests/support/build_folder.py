"""Writes graph rows as a build folder laid out like the normalize job's, without Spark.

The graph files under `csv/`, the build marker under `marker/` (lineage.build_marker), and a
`manifest.json` listing both, so the loader treats the folder as a build: graph files first,
then the marker in a second load.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lineage.build_marker import marker_digest, marker_file
from lineage.graph_counts import GraphCounts
from lineage.graph_csv import CsvFile, csv_files
from lineage.graph_schema import GraphRow
from lineage.manifest import MANIFEST_FILE, Manifest, OutputFile

__all__ = ["write_build"]


def _entry(made: CsvFile) -> OutputFile:
    return OutputFile(made.path, made.kind, made.label, made.rows, len(made.data), made.sha256)


def write_build(
    folder: Path,
    rows: Iterable[GraphRow],
    *,
    extra: Iterable[CsvFile] = (),
    counts: GraphCounts | None = None,
) -> str:
    """Write `rows` (and the `extra` graph files given as they are) as a build, its marker
    carrying `counts` if given; its digest."""
    written = [*csv_files(rows), *extra]
    outputs = [_entry(made) for made in written]
    marker = marker_file(outputs, counts=counts)
    for made in (*written, marker):
        path = folder / made.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(made.data)
    manifest = Manifest(
        code_version="test",
        parameters={},
        inputs=(),
        outputs=tuple(sorted((*outputs, _entry(marker)))),
        payloads={},
        quarantine_by_reason={},
    )
    (folder / MANIFEST_FILE).write_bytes(manifest.to_json())
    return marker_digest(outputs)
