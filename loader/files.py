"""Finding the load files of a folder, in the order Neptune loads them (vertices, then edges)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lineage.neptune_csv import FileLayout, NeptuneCsvError, read_layout
from loader.errors import SourceError

__all__ = ["LoadFile", "discover", "is_load_file"]


@dataclass(frozen=True, slots=True)
class LoadFile:
    """One CSV file of a load, with the layout its header declares."""

    path: Path
    name: str
    layout: FileLayout


def is_load_file(relative: Path) -> bool:
    """False for the bookkeeping files Spark and Hadoop leave (`_SUCCESS`, `.crc`, hidden)."""
    return not any(part.startswith(("_", ".")) for part in relative.parts) and not (
        relative.name.endswith(".crc")
    )


def discover(folder: Path) -> list[LoadFile]:
    """Every load file under `folder` (recursively), vertex files first, each group by name.

    Raises SourceError for a missing or empty folder; a file whose header is not a Neptune
    Gremlin CSV header raises NeptuneCsvError naming it (Neptune would fail that feed).
    """
    if not folder.exists():
        raise SourceError(f"source folder does not exist: {folder}")
    if folder.is_file():
        candidates = [folder]
        root = folder.parent
    else:
        root = folder
        candidates = sorted(
            p for p in folder.rglob("*") if p.is_file() and is_load_file(p.relative_to(folder))
        )
    files: list[LoadFile] = []
    for path in candidates:
        name = str(path.relative_to(root))
        try:
            layout = read_layout(path, name=name)
        except NeptuneCsvError:
            raise
        except (OSError, EOFError) as exc:
            raise SourceError(f"cannot read {name}: {exc}") from exc
        files.append(LoadFile(path, name, layout))
    if not files:
        raise SourceError(f"no load files in {folder} (only _SUCCESS, .crc or hidden files?)")
    return sorted(files, key=lambda f: (f.layout.kind != "vertex", f.name))
