"""Finding the load files of a folder, in the order Neptune loads them (vertices, then edges).

Every file is read through once before the load writes anything (decompressed and decoded as
UTF-8): a truncated `.gz`, a corrupt `.bz2` or undecodable bytes are reported for that file, with
the line where the readable text ends, instead of half of the file being committed.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from loader.csv_reader import FileLayout, NeptuneCsvError, read_layout
from loader.errors import SourceError

__all__ = ["Discovery", "LoadFile", "check_readable", "discover", "is_load_file"]

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class LoadFile:
    """One CSV file of a load, with the layout its header declares."""

    path: Path
    name: str
    layout: FileLayout


@dataclass(frozen=True, slots=True)
class Discovery:
    """The loadable files in load order, and the files that cannot be loaded with the reason."""

    files: list[LoadFile]
    unreadable: list[NeptuneCsvError]


def is_load_file(relative: Path) -> bool:
    """False for the bookkeeping files Spark and Hadoop leave (`_SUCCESS`, `.crc`, hidden)."""
    return not any(part.startswith(("_", ".")) for part in relative.parts) and not (
        relative.name.endswith(".crc")
    )


def _raw_stream(path: Path) -> io.BufferedIOBase:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def check_readable(path: Path, name: str) -> None:
    """Read `path` through (decompressing by its name, decoding UTF-8); NeptuneCsvError if not.

    The error names the file and the line at which the readable text ends.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        stream = _raw_stream(path)
        with stream:
            while True:
                try:
                    chunk = stream.read1(_CHUNK)  # what is there: a truncation ends late
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    line += chunk.count(b"\n", 0, exc.start)
                    reason = f"not UTF-8 ({exc.reason})"
                    raise NeptuneCsvError(reason, file=name, line=line) from exc
                if not chunk:
                    return
                line += chunk.count(b"\n")
    except (EOFError, OSError, zlib.error, ValueError) as exc:
        kind = {".gz": "gzip", ".bz2": "bzip2"}.get(path.suffix.lower(), "file")
        raise NeptuneCsvError(
            f"truncated or corrupt {kind} ({exc}); nothing of this file was loaded",
            file=name,
            line=line,
        ) from exc


def discover(folder: Path) -> Discovery:
    """Every load file under `folder` (recursively), vertex files first, each group by name.

    Raises SourceError for a missing or empty folder. A file that cannot be read through, or
    whose header is not a Neptune Gremlin CSV header, is listed in `unreadable` (Neptune would
    fail that feed); the others are returned to load.
    """
    if not folder.exists():
        raise SourceError(f"source folder does not exist: {folder}")
    if folder.is_file():
        candidates = [folder]
        root = folder.parent
    else:
        root = folder
        try:
            candidates = sorted(
                p for p in folder.rglob("*") if p.is_file() and is_load_file(p.relative_to(folder))
            )
        except OSError as exc:
            raise SourceError(f"cannot list {folder}: {exc}") from exc
    files: list[LoadFile] = []
    unreadable: list[NeptuneCsvError] = []
    for path in candidates:
        name = str(path.relative_to(root))
        try:
            check_readable(path, name)
            layout = read_layout(path, name=name)
        except NeptuneCsvError as exc:
            unreadable.append(exc)
            continue
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            unreadable.append(NeptuneCsvError(f"cannot read the header ({exc})", file=name, line=1))
            continue
        files.append(LoadFile(path, name, layout))
    if not files and not unreadable:
        raise SourceError(f"no load files in {folder} (only _SUCCESS, .crc or hidden files?)")
    return Discovery(
        sorted(files, key=lambda f: (f.layout.kind != "vertex", f.name)),
        sorted(unreadable, key=lambda e: e.file),
    )
