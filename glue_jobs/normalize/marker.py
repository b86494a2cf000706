"""The build marker beside the graph files (lineage.build_marker), and the counts it carries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from glue_jobs.normalize.write import store_state
from lineage.build_marker import marker_file
from lineage.delta_selection import ParentBuild
from lineage.delta_state import StateFile
from lineage.graph_counts import COUNTED_EDGE_GROUPS, GraphCounts, edge_ids, merge_edge_ids
from lineage.manifest import OutputFile
from lineage.store import BuildStore

__all__ = ["count_graph", "write_marker"]


def count_graph(
    out: BuildStore, files: Sequence[OutputFile], parent: ParentBuild | None = None
) -> tuple[GraphCounts, tuple[OutputFile, ...]]:
    """What the graph holds once `files` are loaded (onto `parent`'s graph); stores the counted
    edge ids' state files in `out` (lineage.graph_counts) and returns their manifest entries.

    `files` must hold the build's `v/Job` and `v/Dataset` state files. The build's `HAS_PLAN` and
    `HAS_RUN` files are read back from `out`: a statement's runs are decided in the write, so the
    files are the one place that holds every edge the load adds.
    """
    states = {f.path: f.rows for f in files if f.kind == "state"}
    made: list[StateFile] = []
    for group in COUNTED_EDGE_GROUPS:
        label = group.removeprefix("e/")
        written = (f for f in files if f.kind == "edge" and f.label == label)
        ids = [edge_id for f in written for edge_id in edge_ids(out.read(f.path), f.path)]
        old = parent.state_data(group) if parent is not None else None
        source = parent.state_source(group) if parent is not None else group
        made.append(merge_edge_ids(group, old, ids, source))
    states.update({f.path: f.rows for f in made})
    # As every state file: none when there is nothing.
    return GraphCounts.from_states(states), store_state(out, [f for f in made if f.rows])


def write_marker(
    out: BuildStore,
    files: Iterable[OutputFile],
    *,
    gzip: bool,
    base: str | None = None,
    counts: GraphCounts | None = None,
) -> OutputFile:
    """Write `marker/Build-00000.csv` for the graph files written; its manifest entry.

    Outside `csv/`, so the graph files' load does not pick it up: the loader loads it after.
    """
    made = marker_file(files, base=base, gzip=gzip, counts=counts)
    out.write(made.path, made.data)
    return OutputFile(made.path, made.kind, made.label, made.rows, len(made.data), made.sha256)
