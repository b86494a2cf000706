"""The kinds of Spark job a lake runs, each as the operators and expressions of its plan.

Modelled on the recorded jobs in `tests/events/spline/`: `ingest` (raw -> curated: casts,
trim/upper, to_date, a filter, a dedupe, a derived column), `append` (a daily raw partition
appended to a curated table), `enrich` (joins of curated and reference data, `coalesce` with
constants) and `aggregate` (curated -> aggregated: `date_format`, grouped count/sum/avg/max,
sort, repartition). Each function adds the job's operations to a `PlanBuilder` and returns the
top operation and the schema it writes, so the next job in the chain reads the same columns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lineage.spline import JsonValue
from lineage_bench.plan_builder import (
    Col,
    OpHandle,
    PlanBuilder,
    attr_param,
    attr_ref,
    expr_param,
    expr_ref,
)

__all__ = ["MAX_COLUMNS", "Dataset", "aggregate", "append", "enrich", "ingest", "intended_type"]

MAX_COLUMNS = 400
_NUMERIC = ("bigint", "int", "double", "decimal(10,2)")
_CAST = {"timeZoneId": "Etc/UTC", "evalMode": "LEGACY"}


@dataclass(frozen=True, slots=True)
class Dataset:
    """A location in the lake, its storage format and the columns its writer produced."""

    uri: str
    format: str
    layer: str
    schema: tuple[Col, ...]


def intended_type(name: str) -> str:
    """The type a curated table gives a raw column, guessed from its name as engineers do."""
    if name.endswith("_id") or name.endswith("_count") or name.endswith("_number"):
        return "bigint"
    if name.endswith("_date") or name == "date":
        return "date"
    if name.endswith("_at") or name.endswith("_time") or name.endswith("_ts"):
        return "timestamp"
    if name.endswith(("amount", "price", "total", "cost", "revenue", "balance")):
        return "decimal(10,2)"
    if name.endswith(("quantity", "qty", "units", "age", "score")):
        return "int"
    if name.endswith(("rate", "ratio", "weight", "latitude", "longitude")):
        return "double"
    if name.startswith(("is_", "has_")):
        return "boolean"
    return "string"


Bound = list[tuple[str, Col]]  # (attribute id, column) in output order


def _read(b: PlanBuilder, ds: Dataset) -> tuple[OpHandle, Bound]:
    bound = [(b.attr(c.name, c.type), c) for c in ds.schema]
    options = {"header": "true"} if ds.format == "csv" else {}
    return b.read(ds.uri, ds.format, [a for a, _ in bound], options), bound


def _project(b: PlanBuilder, child: OpHandle, items: list[tuple[str, bool]]) -> OpHandle:
    """A `Project`; items are (id, is_expression) in the projection's order."""
    refs: list[JsonValue] = [expr_param(i) if is_expr else attr_param(i) for i, is_expr in items]
    return b.op("Project", [child], [], {"projectList": refs})


def _finish_project(op: OpHandle, bound: Bound) -> Bound:
    op.output = [a for a, _ in bound]
    return bound


def _convert(
    b: PlanBuilder, rng: random.Random, attr: str, col: Col
) -> tuple[str, str, Col] | None:
    """The expression an ingest job applies to one raw column, or None to pass it through."""
    target = intended_type(col.name)
    if target == "date" and col.type != "date":
        inner = b.function(
            "to_date",
            "ParseToDate",
            "date",
            [attr_ref(attr)],
            params={"timeZoneId": "Etc/UTC", "ansiEnabled": False},
        )
    elif target != "string" and target != col.type:
        inner = b.function("cast", "Cast", target, [attr_ref(attr)], params=_CAST)
    elif target == "string":
        roll = rng.random()
        if roll < 0.35:
            return None
        trim = b.function("trim", "StringTrim", "string", [attr_ref(attr)])
        if roll < 0.6:
            inner = trim
        elif roll < 0.85:
            inner = b.function("upper", "Upper", "string", [expr_ref(trim)])
        else:
            inner = b.function("initcap", "InitCap", "string", [expr_ref(trim)])
    else:
        return None
    alias, new_attr = b.alias(col.name, inner, target)
    return alias, new_attr, Col(col.name, target)


def _filter(b: PlanBuilder, rng: random.Random, child: OpHandle, bound: Bound) -> OpHandle:
    key = bound[0][0]
    condition = b.function("isnotnull", "IsNotNull", "boolean", [attr_ref(key)], nullable=False)
    numeric = [a for a, c in bound if c.type in _NUMERIC]
    if numeric:
        zero = b.constant(0, "int")
        positive = b.function(
            "greaterthan",
            "GreaterThan",
            "boolean",
            [attr_ref(rng.choice(numeric)), expr_ref(zero)],
            hint="expr.Binary",
            symbol=">",
        )
        condition = b.function(
            "and",
            "And",
            "boolean",
            [expr_ref(condition), expr_ref(positive)],
            hint="expr.Binary",
            symbol="&&",
        )
    return b.op("Filter", [child], [a for a, _ in bound], {"condition": expr_param(condition)})


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _derived(b: PlanBuilder, rng: random.Random, bound: Bound) -> tuple[str, str, Col] | None:
    """A computed column over two inputs: `a * CAST(b)` or `concat_ws('-', a, b)`."""
    taken = {c.name for _, c in bound}
    numeric = [(a, c) for a, c in bound if c.type in _NUMERIC]
    strings = [(a, c) for a, c in bound if c.type == "string"]
    if len(numeric) >= 2:
        (left, lcol), (right, rcol) = rng.sample(numeric, 2)
        cast = b.function("cast", "Cast", "decimal(10,2)", [attr_ref(right)], params=_CAST)
        value = b.function(
            "multiply",
            "Multiply",
            "decimal(21,2)",
            [attr_ref(left), expr_ref(cast)],
            hint="expr.Binary",
            symbol="*",
            params={"evalMode": "LEGACY"},
        )
        name, kind = _unique(f"{lcol.name}_x_{rcol.name}", taken), "decimal(21,2)"
    elif len(strings) >= 2:
        (left, lcol), (right, rcol) = rng.sample(strings, 2)
        dash = b.constant("-", "string")
        value = b.function(
            "concat_ws",
            "ConcatWs",
            "string",
            [expr_ref(dash), attr_ref(left), attr_ref(right)],
        )
        name, kind = _unique(f"{lcol.name}_{rcol.name}_key", taken), "string"
    else:
        return None
    alias, attr = b.alias(name, value, kind)
    return alias, attr, Col(name, kind)


def ingest(b: PlanBuilder, rng: random.Random, source: Dataset) -> tuple[OpHandle, tuple[Col, ...]]:
    """Raw -> curated: typed and cleaned columns, a filter, maybe a dedupe and a derived column."""
    top, bound = _read(b, source)
    items: list[tuple[str, bool]] = []
    cleaned: Bound = []
    for attr, col in bound:
        converted = _convert(b, rng, attr, col)
        if converted is None:
            items.append((attr, False))
            cleaned.append((attr, col))
        else:
            alias, new_attr, new_col = converted
            items.append((alias, True))
            cleaned.append((new_attr, new_col))
    top = _project(b, top, items)
    bound = _finish_project(top, cleaned)
    top = _filter(b, rng, top, bound)
    if rng.random() < 0.5:
        top = b.op("Deduplicate", [top], [a for a, _ in bound], {"keys": [attr_param(bound[0][0])]})
    if rng.random() < 0.6:
        derived = _derived(b, rng, bound)
        if derived is not None:
            alias, attr, col = derived
            items = [(a, False) for a, _ in bound] + [(alias, True)]
            top = _project(b, top, items)
            bound = _finish_project(top, [*bound, (attr, col)])
    return top, tuple(c for _, c in bound)


def append(b: PlanBuilder, rng: random.Random, source: Dataset) -> tuple[OpHandle, tuple[Col, ...]]:
    """A daily raw partition appended to a curated table: casts and cleaning, no filter."""
    top, bound = _read(b, source)
    items: list[tuple[str, bool]] = []
    cleaned: Bound = []
    for attr, col in bound:
        converted = _convert(b, rng, attr, col)
        if converted is None:
            items.append((attr, False))
            cleaned.append((attr, col))
        else:
            alias, new_attr, new_col = converted
            items.append((alias, True))
            cleaned.append((new_attr, new_col))
    top = _project(b, top, items)
    bound = _finish_project(top, cleaned)
    return top, tuple(c for _, c in bound)


def _join_key(left: Bound, right: Bound) -> tuple[str, str]:
    """Join on the right side's key column, matched by name on the left when it is there."""
    right_attr, right_col = right[0]
    for attr, col in left:
        if col.name == right_col.name:
            return attr, right_attr
    return left[0][0], right_attr


def enrich(
    b: PlanBuilder, rng: random.Random, left: Dataset, rights: list[Dataset]
) -> tuple[OpHandle, tuple[Col, ...]]:
    """Left joins of a curated table with other curated or reference tables, then `coalesce`."""
    top, bound = _read(b, left)
    for right in rights:
        right_op, right_bound = _read(b, right)
        left_key, right_key = _join_key(bound, right_bound)
        condition = b.function(
            "equalto",
            "EqualTo",
            "boolean",
            [attr_ref(left_key), attr_ref(right_key)],
            hint="expr.Binary",
            symbol="=",
        )
        joined = [*bound, *right_bound]
        top = b.op(
            "Join",
            [top, right_op],
            [a for a, _ in joined],
            {
                "joinType": rng.choice(("LEFT OUTER", "LEFT OUTER", "INNER")),
                "condition": expr_param(condition),
                "hint": "",
            },
        )
        # Keep the left columns and a few new ones from the right (never a duplicate name).
        taken = {c.name for _, c in bound}
        extra = [(a, c) for a, c in right_bound[1:] if c.name not in taken]
        keep = rng.randint(1, 6)
        chosen = extra[:keep]
        bound = [*bound, *chosen][:MAX_COLUMNS]
        top = _project(b, top, [(a, False) for a, _ in bound])
        bound = _finish_project(top, bound)
    # Fill the gaps the outer joins leave with a default, as reporting tables do.
    final: list[tuple[str, bool]] = []
    final_bound: Bound = []
    fills = rng.randint(1, 3)
    for attr, col in reversed(bound):
        if fills and col.type == "string":
            fills -= 1
            unknown = b.constant("Unknown", "string")
            value = b.function(
                "coalesce", "Coalesce", "string", [attr_ref(attr), expr_ref(unknown)]
            )
            alias, new_attr = b.alias(col.name, value, "string")
            final.append((alias, True))
            final_bound.append((new_attr, col))
        else:
            final.append((attr, False))
            final_bound.append((attr, col))
    final.reverse()
    final_bound.reverse()
    top = _project(b, top, final)
    bound = _finish_project(top, final_bound)
    return top, tuple(c for _, c in bound)


def _aggregate_expr(
    b: PlanBuilder, function: str, simple: str, attr: str, kind: str, distinct: bool = False
) -> str:
    inner = b.function(
        function,
        f"aggregate.{simple}",
        kind,
        [attr_ref(attr)],
        params=None if function == "count" else {"evalMode": "LEGACY"},
        nullable=function != "count",
    )
    return b.function(
        "aggregateexpression",
        "aggregate.AggregateExpression",
        kind,
        [expr_ref(inner)],
        params={"mode": "Complete", "isDistinct": distinct},
        nullable=function != "count",
    )


def aggregate(
    b: PlanBuilder, rng: random.Random, source: Dataset
) -> tuple[OpHandle, tuple[Col, ...]]:
    """Curated -> aggregated: a month column, grouped measures, a sort, maybe a repartition."""
    top, bound = _read(b, source)
    items: list[tuple[str, bool]] = [(a, False) for a, _ in bound]
    projected = list(bound)
    dates = [(a, c) for a, c in bound if c.type in ("date", "timestamp")]
    if dates and "month" not in {c.name for _, c in bound}:
        attr, _col = rng.choice(dates)
        cast = b.function("cast", "Cast", "timestamp", [attr_ref(attr)], params=_CAST)
        pattern = b.constant("yyyy-MM", "string")
        month = b.function(
            "date_format",
            "DateFormatClass",
            "string",
            [expr_ref(cast), expr_ref(pattern)],
            params={"timeZoneId": "Etc/UTC"},
        )
        alias, month_attr = b.alias("month", month, "string")
        items.append((alias, True))
        projected.append((month_attr, Col("month", "string")))
    top = _project(b, top, items)
    bound = _finish_project(top, projected)

    strings = [(a, c) for a, c in bound if c.type == "string"]
    extra_groups = min(max(len(strings) - 1, 0), rng.randint(0, 2))
    groups = strings[-1:] + rng.sample(strings[:-1], extra_groups)
    if not groups:
        groups = [bound[0]]
    group_names = {c.name for _, c in groups}
    numeric = [(a, c) for a, c in bound if c.type in _NUMERIC and c.name not in group_names]
    measures: Bound = []
    aggregate_items: list[JsonValue] = [attr_param(a) for a, _ in groups]
    key_attr, key_col = bound[0]
    counted = _aggregate_expr(b, "count", "Count", key_attr, "bigint", distinct=True)
    alias, attr = b.alias(f"{key_col.name}_count", counted, "bigint")
    aggregate_items.append(expr_param(alias))
    measures.append((attr, Col(f"{key_col.name}_count", "bigint")))
    taken = group_names | {f"{key_col.name}_count"}
    for value_attr, value_col in rng.sample(numeric, min(len(numeric), rng.randint(1, 4))):
        kind = rng.choice(("sum", "avg", "max"))
        if kind == "sum":
            expr = _aggregate_expr(b, "sum", "Sum", value_attr, "decimal(20,2)")
            out_type = "decimal(20,2)"
        elif kind == "max":
            expr = _aggregate_expr(b, "max", "Max", value_attr, value_col.type)
            out_type = value_col.type
        else:
            mean = _aggregate_expr(b, "avg", "Average", value_attr, "double")
            two = b.constant(2, "int")
            expr = b.function(
                "round",
                "Round",
                "double",
                [expr_ref(mean), expr_ref(two)],
                params={"ansiEnabled": False},
            )
            out_type = "double"
        name = _unique(f"{kind}_{value_col.name}", taken)
        taken.add(name)
        alias, attr = b.alias(name, expr, out_type)
        aggregate_items.append(expr_param(alias))
        measures.append((attr, Col(name, out_type)))
    out = [*groups, *measures]
    top = b.op(
        "Aggregate",
        [top],
        [a for a, _ in out],
        {
            "groupingExpressions": [attr_param(a) for a, _ in groups],
            "aggregateExpressions": aggregate_items,
        },
    )
    order: list[JsonValue] = [
        {"expression": attr_param(a), "direction": "ASC", "nullOrdering": "NULLS FIRST"}
        for a, _ in groups
    ]
    top = b.op("Sort", [top], [a for a, _ in out], {"order": order, "global": True})
    if rng.random() < 0.5:
        top = b.op(
            "Repartition", [top], [a for a, _ in out], {"numPartitions": 1, "shuffle": False}
        )
    return top, tuple(c for _, c in out)
