"""Which folder a load reads: a build folder's `csv/`, or a folder of Neptune Gremlin CSV files.

The loader API (Neptune's or the local graph's) reads every file under the source it is given,
so a folder holding anything else (a manifest, a report, a README) would fail as a CSV parse
error on that file. Such a folder is refused before the load with one line naming the files.

A build folder holds two load sources: its graph files (`csv/`) and its build marker
(`marker/`, lineage.build_marker), which is loaded second, once the first load completed.
"""

from __future__ import annotations

from pathlib import Path

from lineage.graph_csv import MARKER_PREFIX
from lineage.manifest import MANIFEST_FILE
from loader.errors import SourceError

__all__ = ["LOAD_SUFFIXES", "is_load_file", "load_folder_of", "load_folders_of", "marker_folder_of"]

LOAD_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
"""Names of the files a load reads (plain, gzip or bzip2 compressed)."""

_SHOWN = 5


def is_load_file(relative: Path) -> bool:
    """False for the bookkeeping files Spark and Hadoop leave (`_SUCCESS`, `.crc`, hidden)."""
    return not any(part.startswith(("_", ".")) for part in relative.parts) and not (
        relative.name.endswith(".crc")
    )


def load_folder_of(source: Path) -> Path:
    """The folder (or single file) whose CSVs a load of `source` reads.

    A build folder (it holds `manifest.json`) loads its `csv/`. Raises SourceError for a missing
    source, a build folder without `csv/`, a folder without load files, or a folder holding
    files that are not load files (named, at most five of them).
    """
    if not source.exists():
        raise SourceError(f"source folder does not exist: {source}")
    if source.is_file():
        return source
    if (source / MANIFEST_FILE).is_file():
        csv = source / "csv"
        if not csv.is_dir():
            raise SourceError(f"{source} is a build folder (it has {MANIFEST_FILE}) without csv/")
        source = csv
    _check_load_files(source)
    return source


def load_folders_of(source: Path) -> tuple[Path, Path | None]:
    """The folder a load of `source` reads first, and the one it reads after it (or None).

    A build's graph files, then its marker (`load_folder_of`, `marker_folder_of`); a build that
    wrote no graph file (nothing to normalize) loads its marker alone.
    """
    build = source.parent if source.name == "csv" else source
    if (build / MANIFEST_FILE).is_file() and not (build / "csv").exists():
        marker = marker_folder_of(build)
        if marker is not None:
            return marker, None
    return load_folder_of(source), marker_folder_of(source)


def marker_folder_of(source: Path) -> Path | None:
    """The build marker folder a load of `source` loads after its graph files, if any.

    Only a build has one: its `marker/`, when present (a build written before the marker moved
    out of `csv/` has none, its marker loads with the rest), whether `source` is the build folder
    (it holds `manifest.json`) or that folder's `csv/`. Raises SourceError when the marker folder
    holds anything but load files.
    """
    if source.is_file():
        return None
    if source.name == "csv" and (source.parent / MANIFEST_FILE).is_file():
        source = source.parent
    if not (source / MANIFEST_FILE).is_file():
        return None
    marker = source / MARKER_PREFIX.rstrip("/")
    if not marker.is_dir():
        return None
    _check_load_files(marker)
    return marker


def _check_load_files(source: Path) -> None:
    """Raise SourceError unless the folder `source` holds load files and nothing else."""
    try:
        files = sorted(
            path.relative_to(source)
            for path in source.rglob("*")
            if path.is_file() and is_load_file(path.relative_to(source))
        )
    except OSError as exc:
        raise SourceError(f"cannot list {source}: {exc}") from exc
    if not files:
        raise SourceError(f"no load files in {source} (only _SUCCESS, .crc or hidden files?)")
    others = [str(path) for path in files if not path.name.lower().endswith(LOAD_SUFFIXES)]
    if others:
        more = f" and {len(others) - _SHOWN} more" if len(others) > _SHOWN else ""
        raise SourceError(
            f"{source} holds files that are not load files (.csv, .csv.gz, .csv.bz2): "
            f"{', '.join(others[:_SHOWN])}{more}; pass a build folder (with {MANIFEST_FILE}) "
            "or a folder of CSVs only"
        )
