"""What `GET /status?counts=true` shows, counted once by the build instead of at every request.

Counting at read time walks every job's plans and runs: at 100k plans that is a third of a second
on the local graph, at every request. The build counts instead and writes the counts on its
`Build` marker (lineage.build_marker), so the read API answers with one lookup by id. A count is
what the graph holds once the build is loaded, which for a delta is its parent's graph plus what
the delta adds:

- jobs and datasets: one per id in the build's `v/Job` and `v/Dataset` state
  (lineage.delta_state), which is cumulative and holds every vertex of the two labels;
- plans and runs: the `HAS_PLAN` and `HAS_RUN` edges, the ones the job views and `GET /runs`
  follow (the inner half of a statement reported twice has no `HAS_RUN`, lineage.statements).
  Their ids are kept as state too (`state/e/HAS_PLAN.jsonl.gz`, `state/e/HAS_RUN.jsonl.gz`): a
  delta writes again the edges of the earlier plans it reads, which its parent's graph already
  has, so only the ids its parent's state lacks add to the count.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lineage.delta_state import StateFile, merge_state, state_path
from lineage.errors import LineageError

__all__ = [
    "COUNTED_EDGE_GROUPS",
    "COUNTED_VERTEX_GROUPS",
    "GraphCounts",
    "UnreadableEdgeFileError",
    "edge_ids",
    "merge_edge_ids",
]

# The state groups whose sizes are the counts, in `GraphCounts` order.
COUNTED_VERTEX_GROUPS = ("v/Job", "v/Dataset")
COUNTED_EDGE_GROUPS = ("e/HAS_PLAN", "e/HAS_RUN")


class UnreadableEdgeFileError(LineageError):
    """A build's own edge file could not be read back to count its ids."""


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Jobs, datasets, plans (`HAS_PLAN` edges) and runs (`HAS_RUN` edges) in a loaded graph."""

    jobs: int
    datasets: int
    plans: int
    runs: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        """The counts in `lineage.graph_schema.BUILD_MARKER_COUNTS` order."""
        return (self.jobs, self.datasets, self.plans, self.runs)

    @classmethod
    def from_states(cls, state_rows: Mapping[str, int]) -> GraphCounts:
        """The counts from the rows of the counted state files (path -> rows; absent: none)."""
        jobs, datasets = (state_rows.get(state_path(g), 0) for g in COUNTED_VERTEX_GROUPS)
        plans, runs = (state_rows.get(state_path(g), 0) for g in COUNTED_EDGE_GROUPS)
        return cls(jobs, datasets, plans, runs)


def edge_ids(data: bytes, path: str) -> list[str]:
    """The `~id` of every row of one edge CSV file the build wrote (gzip when `path` ends in
    `.gz`); a quoted id may hold commas, quotes and line breaks."""
    try:
        text = (gzip.decompress(data) if path.endswith(".gz") else data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise UnreadableEdgeFileError(f"{path}: cannot read it back to count it: {exc}") from exc
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None or not header or header[0] != "~id":
        raise UnreadableEdgeFileError(f"{path}: no `~id` header to count its rows by")
    return [row[0] for row in rows if row]


def merge_edge_ids(group: str, old: bytes | None, ids: Iterable[str], source: str) -> StateFile:
    """The state file of `group` (one of `COUNTED_EDGE_GROUPS`): the ids of `old` (the parent's
    file, or None) and `ids`, each once, sorted; its `rows` is the count."""
    if group not in COUNTED_EDGE_GROUPS:
        raise ValueError(f"{group!r} is not a counted edge group")
    _, made = merge_state(group, old, {edge_id: ("",) for edge_id in ids}, source)
    return made
