"""DML column semantics on the real agent's Delta payloads, and on hostile variations of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage import spline as sm
from lineage.dataset_identity import LayerRules
from lineage.graph_schema import DerivesFromEdge, UsesEdge
from lineage.limits import MAX_JSON_DEPTH
from lineage.plan_graph import PlanGraph, RawSource, plan_graph

pytestmark = pytest.mark.unit

RECORDED = Path(__file__).resolve().parent.parent / "events" / "lake_formats"
LAKE = "file:///tmp/lineage-lake-formats"


def _doc(write: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((RECORDED / f"{write}.plan.json").read_bytes())
    return doc


def _graph(doc: dict[str, Any]) -> PlanGraph:
    plan = sm.parse_execution_plan(doc, sm.ApiVersion.V1_2, check_references=False)
    return plan_graph(plan, RawSource("k", "0" * 64), LayerRules.default())


def _edges(graph: PlanGraph) -> set[tuple[str, str, str]]:
    short = lambda cid: cid.split(LAKE + "/", 1)[-1]  # noqa: E731
    return {
        (short(r.from_id), short(r.to_id), r.kind)
        for r in graph.rows
        if isinstance(r, DerivesFromEdge)
    }


def _uses(graph: PlanGraph) -> set[tuple[str, str]]:
    return {
        (r.role, r.to_id.split(LAKE + "/", 1)[-1]) for r in graph.rows if isinstance(r, UsesEdge)
    }


def _col(dataset: str, name: str) -> str:
    from lineage.graph_schema import column_id

    return column_id(f"{LAKE}/{dataset}", name).split(LAKE + "/", 1)[-1]


CUSTOMERS = "warehouse/sales.db/customers"


def test_update_assigned_column_is_an_expression_of_itself_and_the_rest_are_kept() -> None:
    graph = _graph(_doc("delta_update"))
    assert _edges(graph) == {
        (_col(CUSTOMERS, "name"), _col(CUSTOMERS, "name"), "expression"),
        (_col(CUSTOMERS, "customer_id"), _col(CUSTOMERS, "customer_id"), "kept"),
        (_col(CUSTOMERS, "country_code"), _col(CUSTOMERS, "country_code"), "kept"),
    }
    assert _uses(graph) == {("condition", _col(CUSTOMERS, "country_code"))}
    assert not graph.unresolved


def test_delete_keeps_every_column_and_its_where_is_a_use() -> None:
    graph = _graph(_doc("delta_delete"))
    assert {kind for _, _, kind in _edges(graph)} == {"kept"}
    assert all(frm == to for frm, to, _ in _edges(graph))  # only self-edges, all `kept`
    assert _uses(graph) == {("condition", _col(CUSTOMERS, "country_code"))}


def test_merge_columns_come_from_the_source_and_are_kept_from_the_target() -> None:
    graph = _graph(_doc("delta_merge"))
    day21, orders = "raw/orders_incoming/day=21", "delta/orders"
    assert (_col(orders, "amount"), _col(day21, "amount"), "cast") in _edges(graph)
    assert (_col(orders, "amount"), _col(orders, "amount"), "kept") in _edges(graph)
    # No identity edge of the target that claims to be a `direct` pass-through.
    assert not any(frm == to and kind == "direct" for frm, to, kind in _edges(graph))
    assert _uses(graph) == {
        ("condition", _col(day21, "order_id")),
        ("condition", _col(orders, "order_id")),
    }


def test_computed_merge_values_are_partial_and_the_known_columns_keep_their_edges() -> None:
    graph = _graph(_doc("delta_merge_computed"))
    assert graph.unresolved  # the agent's dangling expression ids are named
    assert all(ref.startswith("expr ") for ref in graph.unresolved)
    edges = _edges(graph)
    day21, orders = "raw/orders_incoming/day=21", "delta/orders"
    assert (_col(orders, "order_date"), _col(day21, "order_date"), "direct") in edges
    assert (_col(orders, "amount"), _col(orders, "amount"), "kept") in edges
    # The values the agent leaves undefined come from its clause strings: INSERT values read
    # the source, and a SET value with the same Spark id is the same source column.
    assert (_col(orders, "amount"), _col(day21, "amount"), "expression") in edges
    assert (_col(orders, "customer_id"), _col(day21, "customer_id"), "expression") in edges


# Within the 64-bit integers a decoded JSON payload can hold (lineage.limits).
_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_HOSTILE = st.one_of(
    st.none(),
    _INT,
    st.text(max_size=60),
    st.lists(st.one_of(st.text(max_size=40), _INT, st.none()), max_size=5),
    st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=3),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(updates=_HOSTILE, condition=_HOSTILE)
def test_update_params_of_any_shape_give_lineage_never_an_error(
    updates: object, condition: object
) -> None:
    doc = _doc("delta_update")
    doc["operations"]["write"]["params"] = {"updateExpressions": updates, "condition": condition}
    graph = _graph(doc)
    # Lineage stays on the target's columns whatever the params say; a column whose assignment
    # is missing or blank keeps its value. (A constant assignment rightly derives from nothing.)
    columns = ("customer_id", "name", "country_code")
    targets = {frm for frm, _, _ in _edges(graph)}
    assert targets <= {_col(CUSTOMERS, c) for c in columns}
    texts = updates if isinstance(updates, list) and len(updates) == len(columns) else None
    for index, column in enumerate(columns):
        text = texts[index] if texts is not None else None
        if not isinstance(text, str) or not text.strip():
            assert (_col(CUSTOMERS, column), _col(CUSTOMERS, column), "kept") in _edges(graph)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(condition=_HOSTILE, name=st.sampled_from(["MergeIntoCommand", "UpdateCommand", "X"]))
def test_merge_params_and_names_of_any_shape_never_crash(condition: object, name: str) -> None:
    doc = _doc("delta_merge_computed")
    for op in doc["operations"]["other"]:
        if op["id"] == "op-1":
            op["params"] = {
                "condition": condition,
                "matchedClauses": [condition, "Update [actions: [`a` = "],
                "notMatchedClauses": condition,
            }
            op["name"] = name
    _graph(doc)


@pytest.mark.timeout(30)
def test_clause_text_with_a_long_identifier_run_is_read_in_linear_time() -> None:
    from lineage.dml_lineage import _names

    # A MERGE clause is agent text; a long run of name characters without `#` must not hang.
    assert _names("a1" * 200_000) == []
    assert _names("`amount`#12 * 3") == ["amount"]


# ------------------------------------------------------------------ Iceberg row-level writes


ICE_ORDERS = "iceberg/db/orders"
DAY21 = "raw/orders_incoming/day=21"


def test_a_copy_on_write_update_derives_from_its_assignment_and_keeps_the_rest() -> None:
    """UPDATE ... SET amount = amount * 1.1 WHERE customer_id = 'C001' arrives as Spark's
    `if(condition, new, old)` per column: the condition is not data, `old` is the kept value."""
    edges = _edges(_graph(_doc("iceberg_update")))
    assert (_col(ICE_ORDERS, "amount"), _col(ICE_ORDERS, "amount"), "expression") in edges
    for column in ("order_id", "customer_id", "order_date"):
        assert (_col(ICE_ORDERS, column), _col(ICE_ORDERS, column), "kept") in edges
    # customer_id is only in the WHERE: no column derives from it but itself.
    assert {frm for frm, to, _ in edges if to == _col(ICE_ORDERS, "customer_id")} == {
        _col(ICE_ORDERS, "customer_id")
    }
    # Iceberg's row metadata is not a table column.
    assert not {frm for frm, _, _ in edges if frm.endswith(("#_file", "#_pos"))}


def test_copy_on_write_and_merge_on_read_give_one_lineage_per_statement() -> None:
    def lineage(write: str, target: str) -> set[tuple[str, str, str]]:
        return {
            (frm.replace(target, "T"), to.replace(target, "T"), kind)
            for frm, to, kind in _edges(_graph(_doc(write)))
        }

    for statement in ("merge", "update", "delete"):
        cow = lineage(f"iceberg_{statement}", ICE_ORDERS)
        mor = lineage(f"iceberg_mor_{statement}", "iceberg/db/orders_mor")
        assert cow == mor, statement
        assert cow


# No per-example deadline: on a loaded machine one plan graph can take longer than 200 ms.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_HOSTILE, name=st.sampled_from(["MergeRows", "Expand", "Project"]))
def test_row_level_params_of_any_shape_never_crash(value: object, name: str) -> None:
    doc = _doc("iceberg_mor_merge")
    doc["operations"]["write"]["params"]["condition"] = value
    for op in doc["operations"]["other"]:
        if op["id"] == "op-1":
            op["name"] = name
            op["params"] = {"matchedInstructions": value, "projections": [value, [value]]}
    _graph(doc)


@pytest.mark.timeout(30)
def test_deeply_nested_row_level_params_and_a_long_condition_are_read() -> None:
    # As deep as the producer lets a payload nest (lineage.limits.MAX_JSON_DEPTH), and a
    # 100k-character condition against the column regex.
    doc = _doc("iceberg_mor_update")
    nested: list[object] = [{"__exprId": "expr-0"}]
    for _ in range(MAX_JSON_DEPTH - 8):
        nested = [nested]
    for op in doc["operations"]["other"]:
        if op["name"] == "Expand":
            op["params"] = {"projections": nested}
    doc["operations"]["write"]["params"]["condition"] = "(" * 100_000 + "amount#1"
    _graph(doc)
