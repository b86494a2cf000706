"""Vertex ids: each label's prefix, as docs/graph-model.md states it, kept by every id function.

The read API looks vertices up by these ids and reads a URI or name back from them, so a prefix
is part of the graph contract: changing one changes every id already loaded in Neptune.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.graph_schema import (
    EdgeLabel,
    IdPrefix,
    VertexLabel,
    column_id,
    dataset_id,
    job_id,
    operation_id,
    plan_vertex_id,
    run_id,
)
from lineage.limits import MAX_ID_CHARS

pytestmark = pytest.mark.unit

# Any text a name may hold, up to well past the id bound (so `bound_id` shortens some).
names = st.text(min_size=1, max_size=3 * MAX_ID_CHARS) | st.text(
    alphabet="ab/:#", min_size=MAX_ID_CHARS - 8, max_size=MAX_ID_CHARS + 8
)


def test_the_prefixes_are_those_of_the_graph_model_document() -> None:
    assert job_id("nightly_orders") == "job:nightly_orders"
    assert plan_vertex_id("53a6244c-b31a-5616-9f83-03fdbabe820b") == (
        "plan:53a6244c-b31a-5616-9f83-03fdbabe820b"
    )
    assert operation_id("p1", "op-3") == "op:p1:op-3"
    assert dataset_id("s3://lake/curated/orders") == "ds:s3://lake/curated/orders"
    assert column_id("s3://lake/curated/orders", "id") == "col:s3://lake/curated/orders#id"
    assert run_id("p1", 1_700_000_000_000, None).startswith("run:")


def test_each_vertex_label_has_one_prefix_that_no_other_id_can_start_with() -> None:
    assert {p.name for p in IdPrefix} == {label.name for label in VertexLabel}
    starts = [p.value for p in IdPrefix] + [f"{label.value}:" for label in EdgeLabel]
    for one in starts:
        others = [other for other in starts if other != one]
        assert not [o for o in others if o.startswith(one) or one.startswith(o)], one


@given(name=names, op=names)
def test_ids_built_from_any_name_keep_their_label_prefix(name: str, op: str) -> None:
    built = {
        IdPrefix.JOB: job_id(name),
        IdPrefix.PLAN: plan_vertex_id(name),
        IdPrefix.OPERATION: operation_id(name, op),
        IdPrefix.DATASET: dataset_id(name),
        IdPrefix.COLUMN: column_id(name, op),
        IdPrefix.RUN: run_id(name, 0, op),
    }
    for prefix, ident in built.items():
        assert ident.startswith(prefix), (prefix, ident[:40])
    for prefix in (IdPrefix.JOB, IdPrefix.OPERATION, IdPrefix.DATASET, IdPrefix.COLUMN):
        assert len(built[prefix]) <= MAX_ID_CHARS


@given(uri=st.text(min_size=1, max_size=MAX_ID_CHARS - len(IdPrefix.DATASET)))
def test_a_dataset_uri_within_the_bound_reads_back_from_its_id(uri: str) -> None:
    assert dataset_id(uri).removeprefix(IdPrefix.DATASET) == uri
