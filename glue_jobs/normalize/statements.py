"""Statements reported as two lineages, grouped in the write's shuffle (lineage.statements).

The plan pass hands each member plan's statement-dependent rows (its `Plan` vertex, `WRITES` edge
and `HAS_RUN` edges) as one `~statement` row keyed by the statement key instead of as lines. The
write's shuffle by group puts every `~statement` row in one task, sorted by key, so the members of
one statement arrive together: `StatementFiles` decides their rows there (lineage.statements) and
writes them to their labels' files numbered from `FIRST_SEQ` (`Plan-50000.csv`), beside the files
other tasks write (`Plan-00000.csv` up). No shuffle is added; the bytes depend only on the members.
"""

from __future__ import annotations

from lineage.graph_csv import CsvFile, LabelFiles, csv_line
from lineage.graph_schema import GraphRow
from lineage.statements import StatementMember, statement_rows

__all__ = ["FIRST_SEQ", "STATEMENT_GROUP", "StatementFiles", "statement_line"]

STATEMENT_GROUP = "~statement"
# The label's own task would need 50,000 files (3 TiB at the default size) to reach it.
FIRST_SEQ = 50_000


def statement_line(member: StatementMember) -> tuple[str, str, str]:
    """The `(group, id, line)` row that carries `member` to the write."""
    return (STATEMENT_GROUP, member.statement_key, member.to_json())


class StatementFiles:
    """Consumes `~statement` rows sorted by key; writes the rows each statement resolves to."""

    def __init__(self, target_bytes: int, gzip: bool) -> None:
        self._target = target_bytes
        self._gzip = gzip
        self._key: str | None = None
        self._members: list[StatementMember] = []
        self._files: dict[type, LabelFiles] = {}
        self._done: list[CsvFile] = []

    def add(self, key: str, line: str) -> list[CsvFile]:
        """Take one member; returns the files finished meanwhile (to store now)."""
        if key != self._key:
            self._resolve()
            self._key = key
        self._members.append(StatementMember.from_json(line))
        return self._take()

    def close(self) -> list[CsvFile]:
        """Resolve the last statement and finish every open file."""
        self._resolve()
        for files in self._files.values():
            finished = files.close()
            if finished is not None:
                self._done.append(finished)
        self._files.clear()
        return self._take()

    def _resolve(self) -> None:
        if not self._members:
            return
        for row in sorted(statement_rows(self._members), key=_order):
            cls = type(row)
            files = self._files.get(cls)
            if files is None:
                files = LabelFiles(
                    cls,
                    target_bytes=self._target,
                    gzip=self._gzip,
                    first_seq=FIRST_SEQ,
                )
                self._files[cls] = files
            finished = files.add(csv_line(row))
            if finished is not None:
                self._done.append(finished)
        self._members = []

    def _take(self) -> list[CsvFile]:
        done, self._done = self._done, []
        return done


def _order(row: GraphRow) -> tuple[str, str]:
    return (row.LABEL.value, row.id)
