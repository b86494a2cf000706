"""The column-lineage walk: written columns back to read columns, with kinds and conditions."""

from __future__ import annotations

import pytest
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, plan

from lineage.column_lineage import (
    Attribute,
    DanglingReferenceError,
    DerivationKind,
    Expression,
    Operation,
    PlanCycleError,
    PlanStructure,
    Ref,
    trace_columns,
)
from lineage.plan_graph import plan_structure

pytestmark = pytest.mark.unit


def _derivations(name: str) -> set[tuple[str, str, str, str]]:
    lineage = trace_columns(plan_structure(plan(name)))
    return {
        (d.target, d.source.read_op_id, d.source.name, d.kind.label) for d in lineage.derivations
    }


def test_sales_plan_traces_through_join_filter_project_aggregate() -> None:
    assert _derivations(SALES_PLAN) == {
        ("country_u", "op-6", "country", "expression"),
        ("total", "op-5", "amount", "aggregate"),
        ("n_orders", "op-5", "order_id", "aggregate"),
    }


def test_condition_columns_are_uses_not_derivations() -> None:
    lineage = trace_columns(plan_structure(plan(SALES_PLAN)))
    uses = {(u.op_id, u.role, u.source.read_op_id, u.source.name) for u in lineage.uses}
    assert uses == {
        ("op-3", "join", "op-5", "customer_id"),
        ("op-3", "join", "op-6", "customer_id"),
        ("op-4", "filter", "op-5", "amount"),
    }
    assert all(d.source.name != "customer_id" for d in lineage.derivations)


def test_written_columns_keep_names_and_types() -> None:
    lineage = trace_columns(plan_structure(plan(SALES_PLAN)))
    assert lineage.written == (("country_u", "string"), ("total", "double"), ("n_orders", "bigint"))


def test_rename_is_direct_cast_is_cast_literal_has_no_source() -> None:
    assert _derivations(REPORT_PLAN) == {
        ("country", "op-2", "country_u", "direct"),
        ("total_int", "op-2", "total", "cast"),
    }


def test_expression_text_is_in_terms_of_read_columns() -> None:
    lineage = trace_columns(plan_structure(plan(SALES_PLAN)))
    texts = {d.target: d.expression for d in lineage.derivations}
    assert texts["total"] == "sum(CAST(amount AS double))"
    assert texts["country_u"] == "upper(country)"


def _structure(
    attributes: list[Attribute], expressions: list[Expression], project_out: tuple[str, ...]
) -> PlanStructure:
    ops = {
        "w": Operation("w", "Write", "write", ("p",), None),
        "p": Operation("p", "Project", "transform", ("r",), project_out),
        "r": Operation("r", "Read", "read", (), ("a",)),
    }
    return PlanStructure(
        ops, {a.id: a for a in attributes}, {e.id: e for e in expressions}, write_id="w"
    )


def test_strongest_kind_wins_when_a_column_mixes_paths() -> None:
    attrs = [
        Attribute("a", "x", "int"),
        Attribute("b", "y", "bigint", (Ref("expr", "e1"),)),
    ]
    exprs = [
        Expression("e1", "add", "Add", "bigint", (Ref("expr", "e2"), Ref("expr", "e3"))),
        Expression("e2", "cast", "Cast", "bigint", (Ref("attr", "a"),)),
        Expression("e3", "max", "Max", "bigint", (Ref("attr", "a"),)),
    ]
    lineage = trace_columns(_structure(attrs, exprs, ("b",)))
    assert [(d.target, d.kind) for d in lineage.derivations] == [("y", DerivationKind.AGGREGATE)]


def test_reference_cycle_is_reported() -> None:
    attrs = [
        Attribute("a", "x", "int"),
        Attribute("b", "y", "int", (Ref("expr", "e1"),)),
    ]
    exprs = [Expression("e1", "abs", "Abs", "int", (Ref("attr", "b"),))]
    with pytest.raises(PlanCycleError, match=r"'b'|'e1'"):
        trace_columns(_structure(attrs, exprs, ("b",)))


def test_dangling_reference_names_the_id() -> None:
    attrs = [Attribute("a", "x", "int"), Attribute("b", "y", "int", (Ref("expr", "nope"),))]
    with pytest.raises(DanglingReferenceError, match="'nope'"):
        trace_columns(_structure(attrs, [], ("b",)))


def test_operation_cycle_is_reported() -> None:
    ops = {
        "w": Operation("w", "Write", "write", ("p",), None),
        "p": Operation("p", "Project", "transform", ("q",), None),
        "q": Operation("q", "Project", "transform", ("p",), None),
    }
    with pytest.raises(PlanCycleError):
        trace_columns(PlanStructure(ops, {}, {}, "w"))
