"""The build marker: one `Build` vertex whose digest names what a build wrote.

The read API keys its ETags and its in-process cache by this digest, so it must change whenever
a load changes the graph. It is the SHA-256 of the build's graph files (path and content hash,
in path order): the same files give the same digest, so reloading one build keeps clients'
caches valid. A build loaded on top of another (a delta) passes the digest of the build it
extends as `base`, so equal delta files on top of different graphs still give different digests.
The marker also carries the build's counts of the graph (lineage.graph_counts); they do not
enter the digest, which the graph files already determine.

The marker file lives under `MARKER_PREFIX`, outside the graph files' `LOAD_PREFIX`: the loader
loads it in a second load that starts only once the graph files' load completed, so the marker
never names a build whose files are still loading (or failed to load).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from lineage.graph_counts import GraphCounts
from lineage.graph_csv import LOAD_PREFIX, MARKER_PREFIX, CsvFile, csv_files
from lineage.graph_schema import BuildVertex
from lineage.manifest import OutputFile

__all__ = ["marker_digest", "marker_file"]


def marker_digest(files: Iterable[OutputFile], base: str | None = None) -> str:
    """Hex SHA-256 over the graph files (path, sha256) among `files`, after `base`.

    Only vertex and edge files under `LOAD_PREFIX` count: a marker file among `files` (as in a
    manifest's outputs) does not change the digest.
    """
    digest = hashlib.sha256()
    if base is not None:
        digest.update(f"base\0{base}\n".encode())
    graph = (f for f in files if f.kind in ("vertex", "edge") and f.path.startswith(LOAD_PREFIX))
    for out in sorted(graph):
        digest.update(f"{out.path}\0{out.sha256}\n".encode())
    return digest.hexdigest()


def marker_file(
    files: Iterable[OutputFile],
    *,
    base: str | None = None,
    gzip: bool = False,
    counts: GraphCounts | None = None,
) -> CsvFile:
    """The one CSV file (`marker/Build-00000.csv[.gz]`) holding the `Build` vertex for a build
    that wrote `files`, with what the graph holds once it is loaded (`counts`, when counted)."""
    counted = counts.as_tuple() if counts is not None else None
    (only,) = csv_files([BuildVertex(marker_digest(files, base), counted)], gzip=gzip)
    return replace(only, path=MARKER_PREFIX + only.path.rsplit("/", 1)[-1])
