"""Writes the build marker file beside the graph files (see lineage.build_marker)."""

from __future__ import annotations

from collections.abc import Iterable

from lineage.build_marker import marker_file
from lineage.manifest import OutputFile
from lineage.store import BuildStore

__all__ = ["write_marker"]


def write_marker(
    out: BuildStore, files: Iterable[OutputFile], *, gzip: bool, base: str | None = None
) -> OutputFile:
    """Write `marker/Build-00000.csv` for the graph files written; its manifest entry.

    Outside `csv/`, so the graph files' load does not pick it up: the loader loads it after.
    """
    made = marker_file(files, base=base, gzip=gzip)
    out.write(made.path, made.data)
    return OutputFile(made.path, made.kind, made.label, made.rows, len(made.data), made.sha256)
