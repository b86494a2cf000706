"""The one Neptune CSV writing path: graph rows -> header, lines, and files of one label.

Every CSV the project writes comes from the row declarations of `lineage.graph_schema` (each
class's `COLUMNS` in the order its `values()` gives them), encoded by `lineage.neptune_csv`:
the normalize job writes its build with it, tests and benchmarks write their fixtures with it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from lineage.graph_schema import (
    EDGE_CLASSES,
    VERTEX_CLASSES,
    EdgeRow,
    GraphRow,
    VertexRow,
)
from lineage.neptune_csv import (
    LINE_END,
    EdgeHeader,
    VertexHeader,
    format_field,
    header_line,
    quote,
)

_LINE_END_BYTES = LINE_END.encode("utf-8")

__all__ = [
    "EDGES_PREFIX",
    "LOAD_PREFIX",
    "MARKER_PREFIX",
    "VERTICES_PREFIX",
    "CsvFile",
    "LabelFiles",
    "RowClass",
    "csv_files",
    "csv_header",
    "csv_line",
    "file_header",
]

RowClass = type[VertexRow] | type[EdgeRow]

# Everything a loader loads lives under LOAD_PREFIX and nothing else does: Neptune's bulk loader
# and the local loader read every object under the prefix they are given.
LOAD_PREFIX = "csv/"
VERTICES_PREFIX = LOAD_PREFIX + "vertices/"
EDGES_PREFIX = LOAD_PREFIX + "edges/"
# The build marker sits beside LOAD_PREFIX, not under it: it is loaded by a second load that
# waits for the graph files' load to complete (lineage.build_marker).
MARKER_PREFIX = "marker/"


def csv_header(cls: RowClass) -> VertexHeader | EdgeHeader:
    """The Neptune CSV header of one row class (one file set per label)."""
    if issubclass(cls, VertexRow):
        return VertexHeader(cls.COLUMNS)
    return EdgeHeader(cls.COLUMNS)


_ROW_CLASSES: tuple[RowClass, ...] = (*VERTEX_CLASSES.values(), *EDGE_CLASSES.values())
_HEADER_LINES: dict[type, str] = {cls: header_line(csv_header(cls)) for cls in _ROW_CLASSES}
_LABEL_FIELDS: dict[type, str] = {
    **{cls: quote(label.value) for label, cls in VERTEX_CLASSES.items()},
    **{cls: quote(label.value) for label, cls in EDGE_CLASSES.items()},
}


def file_header(cls: RowClass) -> str:
    """The header line of a file of `cls` rows, without `LINE_END`."""
    return _HEADER_LINES[cls]


def csv_line(row: GraphRow, row_id: str | None = None) -> str:
    """One Neptune CSV line for a row, without `LINE_END`.

    `row_id` saves recomputing the id when the caller already has it.
    """
    ident = row.id if row_id is None else row_id
    props = [format_field(col, val) for col, val in zip(row.COLUMNS, row.values(), strict=True)]
    label = _LABEL_FIELDS[type(row)]
    if isinstance(row, VertexRow):
        return ",".join([quote(ident), label, *props])
    return ",".join([quote(ident), quote(row.from_id), quote(row.to_id), label, *props])


@dataclass(frozen=True, slots=True)
class CsvFile:
    """One finished file: its path under the build root, what it holds, and its bytes."""

    path: str
    kind: Literal["vertex", "edge"]
    label: str
    rows: int
    data: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file's bytes (as the manifest records them)."""
        return hashlib.sha256(self.data).hexdigest()


class LabelFiles:
    """Lines of one label, in the order given, cut into files of at most `target_bytes`.

    The size counts characters before compression; a file always holds at least one line.
    File `n` is `csv/vertices/<Label>-0000n.csv` (or `csv/edges/...`), `.gz` when `gzip`:
    names and bytes depend only on the lines, so a rebuild of the same rows is byte-identical.
    """

    def __init__(
        self, cls: RowClass, *, target_bytes: int, gzip: bool = False, first_seq: int = 0
    ) -> None:
        self.kind: Literal["vertex", "edge"] = "vertex" if issubclass(cls, VertexRow) else "edge"
        self.label = cls.LABEL.value
        self._folder = VERTICES_PREFIX if self.kind == "vertex" else EDGES_PREFIX
        self._header = file_header(cls) + LINE_END
        self._target = target_bytes
        self._gzip = gzip
        # A second writer of a label numbers its files from `first_seq` (names never collide).
        self._seq = first_seq
        # Encoded as they come: a 64 MiB file is held once, as the bytes it will be written as
        # (a text buffer held it again as text, then as the text's encoding).
        self._buffer = io.BytesIO()
        self._size = 0
        self._rows = 0

    def add(self, line: str) -> CsvFile | None:
        """Append one line; returns the file it closed when the line did not fit, else None."""
        finished = None
        if self._rows and self._size + len(line) + 1 > self._target:
            finished = self.close()
        if not self._rows:
            self._buffer.write(self._header.encode("utf-8"))
            self._size = len(self._header)
        self._buffer.write(line.encode("utf-8"))
        self._buffer.write(_LINE_END_BYTES)
        self._size += len(line) + 1
        self._rows += 1
        return finished

    def close(self) -> CsvFile | None:
        """Finish the open file (None when it holds no line); the next line starts a new one."""
        if not self._rows:
            return None
        data = self._buffer.getvalue()
        path = f"{self._folder}{self.label}-{self._seq:05d}.csv"
        if self._gzip:
            # mtime=0 and no file name in the gzip header: identical input, identical bytes.
            compressed = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as zipped:
                zipped.write(data)
            data = compressed.getvalue()
            path += ".gz"
        done = CsvFile(path, self.kind, self.label, self._rows, data)
        self._seq += 1
        self._buffer = io.BytesIO()
        self._size = 0
        self._rows = 0
        return done


def csv_files(
    rows: Iterable[GraphRow], *, target_bytes: int = 64 * 1024 * 1024, gzip: bool = False
) -> Iterator[CsvFile]:
    """The files of `rows`, one file set per label, lines in the order given (no dedup)."""
    sets: dict[type, LabelFiles] = {}
    for row in rows:
        files = sets.get(type(row))
        if files is None:
            files = sets[type(row)] = LabelFiles(type(row), target_bytes=target_bytes, gzip=gzip)
        finished = files.add(csv_line(row))
        if finished is not None:
            yield finished
    for files in sets.values():
        last = files.close()
        if last is not None:
            yield last
