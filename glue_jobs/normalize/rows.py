"""The rows the plan pass hands the writer: `(group, id, line)`, one group per label.

A group names the label's file set (`v/Job`, `e/OF`, ...); `~status` rows carry one payload's
status instead of a CSV line; `v/Dataset` rows carry a dataset's claims instead (merged by the
writer, lineage.dataset_properties).
"""

from __future__ import annotations

from lineage.graph_csv import RowClass
from lineage.graph_schema import EDGE_CLASSES, VERTEX_CLASSES, GraphRow
from lineage.neptune_csv import Cardinality

__all__ = ["DATASETS", "GROUPS", "ROW_SCHEMA", "SHARED", "STATUS_GROUP", "dedup_key", "group_of"]

ROW_SCHEMA = "group string, id string, line string"
STATUS_GROUP = "~status"

GROUPS: dict[str, RowClass] = {
    **{f"v/{label.value}": cls for label, cls in VERTEX_CLASSES.items()},
    **{f"e/{label.value}": cls for label, cls in EDGE_CLASSES.items()},
}
_GROUP_OF: dict[type, str] = {cls: group for group, cls in GROUPS.items()}

# Labels whose rows recur across plans; a task keeps the smallest line per id before the shuffle.
SHARED = frozenset(
    {"v/Job", "v/Dataset", "v/Column", "e/OF", "e/HAS_PLAN", "v/Catalog", "e/CATALOGS"}
)
# Dataset rows travel as their plans' claims (lineage.dataset_properties), not as CSV lines: the
# writer merges every claim on one id by the documented precedence, whatever the order.
DATASETS = "v/Dataset"


def group_of(row: GraphRow) -> str:
    """The group (file set) a row belongs to."""
    return _GROUP_OF[type(row)]


def dedup_key(row: GraphRow, row_id: str) -> str:
    """What the job deduplicates `row` by (the `id` of its `(group, id, line)`): the row's id,
    joined with the values of its `set` columns when it has any. Every row for a vertex adds
    its set values (a catalog shard's `member_texts`, lineage.catalog), so two rows of one id
    that differ there are both kept; equal rows still collapse to one.
    """
    columns = _SET_COLUMNS[type(row)]
    if not columns:
        return row_id
    values = row.values()
    return "\t".join([row_id, *(str(values[i]) for i in columns if values[i] is not None)])


# Per row class, the positions of its `set` columns in `values()` (none for most labels).
_SET_COLUMNS: dict[type, tuple[int, ...]] = {
    cls: tuple(i for i, c in enumerate(cls.COLUMNS) if c.cardinality is Cardinality.SET)
    for cls in GROUPS.values()
}
