"""The column-lineage walk: written columns back to read columns, with kinds and conditions."""

from __future__ import annotations

import pytest
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, plan

from lineage import spline as sm
from lineage.column_lineage import DerivationKind, PlanCycleError, trace_columns
from lineage.spline import Attribute, AttrRef, DanglingReferenceError, ExprRef

pytestmark = pytest.mark.unit


def _derivations(name: str) -> set[tuple[str, str, str, str]]:
    lineage = trace_columns(plan(name))
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
    lineage = trace_columns(plan(SALES_PLAN))
    uses = {(u.op_id, u.role, u.source.read_op_id, u.source.name) for u in lineage.uses}
    assert uses == {
        ("op-3", "join", "op-5", "customer_id"),
        ("op-3", "join", "op-6", "customer_id"),
        ("op-4", "filter", "op-5", "amount"),
    }
    assert all(d.source.name != "customer_id" for d in lineage.derivations)


def test_written_columns_keep_names_and_types() -> None:
    lineage = trace_columns(plan(SALES_PLAN))
    assert lineage.written == (("country_u", "string"), ("total", "double"), ("n_orders", "bigint"))


def test_rename_is_direct_cast_is_cast_literal_has_no_source() -> None:
    assert _derivations(REPORT_PLAN) == {
        ("country", "op-2", "country_u", "direct"),
        ("total_int", "op-2", "total", "cast"),
    }


def test_expression_text_is_in_terms_of_read_columns() -> None:
    lineage = trace_columns(plan(SALES_PLAN))
    texts = {d.target: d.expression for d in lineage.derivations}
    assert texts["total"] == "sum(CAST(amount AS double))"
    assert texts["country_u"] == "upper(country)"


_PLAN_ID = "6b1d7e0c-3f5a-4c2e-9a8b-1d2e3f4a5b6c"


def _plan(
    attributes: list[Attribute],
    functions: list[sm.FunctionalExpression],
    project_out: tuple[str, ...],
    *,
    other: tuple[sm.DataOperation, ...] | None = None,
) -> sm.ExecutionPlan:
    operations = sm.Operations(
        write=sm.WriteOperation("w", "s3://lake/out", False, ("p",), "Write"),
        reads=()
        if other is not None
        else (sm.ReadOperation("r", ("s3://lake/in",), "Read", ("a",)),),
        other=other
        if other is not None
        else (sm.DataOperation("p", "Project", ("r",), project_out),),
    )
    return sm.ExecutionPlan(
        _PLAN_ID,
        sm.ApiVersion.V1_2,
        operations,
        sm.NameAndVersion("spark", "3.5.4"),
        attributes=tuple(attributes),
        expressions=sm.Expressions(tuple(functions)),
    )


def test_strongest_kind_wins_when_a_column_mixes_paths() -> None:
    attrs = [
        Attribute("a", "x", "int"),
        Attribute("b", "y", "bigint", (ExprRef("e1"),)),
    ]
    exprs = [
        sm.FunctionalExpression(
            "e1", "add", "bigint", (ExprRef("e2"), ExprRef("e3")), extra={"simpleClassName": "Add"}
        ),
        sm.FunctionalExpression(
            "e2", "cast", "bigint", (AttrRef("a"),), extra={"simpleClassName": "Cast"}
        ),
        sm.FunctionalExpression(
            "e3", "max", "bigint", (AttrRef("a"),), extra={"simpleClassName": "aggregate.Max"}
        ),
    ]
    lineage = trace_columns(_plan(attrs, exprs, ("b",)))
    assert [(d.target, d.kind) for d in lineage.derivations] == [("y", DerivationKind.AGGREGATE)]
    assert lineage.written == (("y", "bigint"),)


def test_reference_cycle_is_reported() -> None:
    attrs = [
        Attribute("a", "x", "int"),
        Attribute("b", "y", "int", (ExprRef("e1"),)),
    ]
    exprs = [
        sm.FunctionalExpression(
            "e1", "abs", "int", (AttrRef("b"),), extra={"simpleClassName": "Abs"}
        )
    ]
    with pytest.raises(PlanCycleError, match=r"'b'|'e1'"):
        trace_columns(_plan(attrs, exprs, ("b",)))


def test_dangling_reference_names_the_id() -> None:
    attrs = [Attribute("a", "x", "int"), Attribute("b", "y", "int", (ExprRef("nope"),))]
    with pytest.raises(DanglingReferenceError, match="'nope'"):
        trace_columns(_plan(attrs, [], ("b",)))


def test_operation_cycle_is_reported() -> None:
    other = (
        sm.DataOperation("p", "Project", ("q",)),
        sm.DataOperation("q", "Project", ("p",)),
    )
    with pytest.raises(PlanCycleError):
        trace_columns(_plan([], [], (), other=other))
