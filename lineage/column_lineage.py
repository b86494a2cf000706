"""Column lineage inside one plan: from each written column back to the read columns it comes from.

The walk reads the Spline model (`lineage.spline`) directly: operations with their output
attribute ids, attributes with `childRefs`, and expressions with `childRefs`. Spline's agent gives
every computed attribute a `childRefs` list pointing at the expression (or attribute) it comes from;
an attribute that passes through a `Project`, `Join` or `Filter` keeps its id. So the walk starts at
the attributes the write operation receives and follows references until it reaches attributes
listed in a read operation's output. An operation without a stated output passes its children's
attributes on; a `CTERelationRef`'s attributes follow the `CTERelationDef` they stand for.

Kinds, strongest wins along every path: `direct` (renames, pass-through, union branches), `cast`,
`expression` (any other function), `aggregate` (an aggregate function anywhere on the path, window
aggregates included). Columns used only in a filter or join condition are reported separately as
`ConditionUse`, never as derivations; window partition and order keys are neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import orjson

from lineage import spline as sm
from lineage.graph_schema import GraphModelError
from lineage.spline.errors import DanglingReferenceError

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "ColumnLineage",
    "ConditionUse",
    "Derivation",
    "DerivationKind",
    "PlanCycleError",
    "PlanStructureError",
    "PlanWalker",
    "SourceColumn",
    "trace_columns",
]

MAX_EXPRESSION_CHARS = 400

# Spark aggregate function class names (simpleClassName) and pretty names, lower-cased.
AGGREGATE_FUNCTIONS = frozenset(
    {
        "aggregateexpression",
        "sum",
        "count",
        "average",
        "avg",
        "mean",
        "max",
        "min",
        "first",
        "last",
        "collectlist",
        "collect_list",
        "collectset",
        "collect_set",
        "stddevsamp",
        "stddev_samp",
        "stddevpop",
        "stddev_pop",
        "variancesamp",
        "var_samp",
        "variancepop",
        "var_pop",
        "approximatepercentile",
        "percentile_approx",
        "percentile",
        "hyperloglogplusplus",
        "approx_count_distinct",
        "countdistinct",
        "maxby",
        "max_by",
        "minby",
        "min_by",
        "countif",
        "count_if",
        "bitandagg",
        "bitoragg",
        "boolor",
        "booland",
        "bool_and",
        "bool_or",
        "any_value",
        "anyvalue",
        "median",
        "mode",
        "skewness",
        "kurtosis",
        "corr",
        "covpopulation",
        "covsample",
    }
)
_CASTS = frozenset({"cast", "upcast", "ansicast", "trycast", "try_cast"})
# Wrappers that neither compute nor rename data. `union` is the agent's synthetic expression that
# merges the union branches' attributes position by position: each branch passes straight through.
_TRANSPARENT = frozenset({"alias", "attributereference", "attrref", "outerreference", "union"})
# A window's partition and order keys choose the rows a window function sees; like group-by keys
# they give the result no value, so the walk does not derive from them.
_NOT_A_SOURCE = frozenset({"windowspecdefinition"})
# Operators whose `condition` parameter selects rows instead of computing columns.
_CONDITION_ROLES = {"filter": "filter", "join": "join"}


class PlanStructureError(GraphModelError):
    """A plan's operation/attribute/expression graph cannot be walked."""


class PlanCycleError(PlanStructureError):
    """The plan's operations or attribute/expression references form a cycle."""


class DerivationKind(IntEnum):
    """How a written column is computed from a read column; higher values dominate."""

    # A DML target column keeping its own value in rows the statement leaves (lineage.dml_lineage);
    # the walk never gives it.
    KEPT = -1
    DIRECT = 0
    CAST = 1
    EXPRESSION = 2
    AGGREGATE = 3

    @property
    def label(self) -> str:
        """The `kind` property value in the graph."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class SourceColumn:
    """A column as read by one read operation."""

    read_op_id: str
    name: str
    data_type: str | None


@dataclass(frozen=True, slots=True)
class Derivation:
    """Written column `target` is computed from `source`."""

    target: str
    source: SourceColumn
    kind: DerivationKind
    expression: str


@dataclass(frozen=True, slots=True)
class ConditionUse:
    """Operation `op_id` uses `source` in a condition (`role`: `filter` or `join`)."""

    op_id: str
    role: str
    source: SourceColumn


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """The result of the walk over one plan."""

    written: tuple[tuple[str, str | None], ...]
    derivations: tuple[Derivation, ...]
    uses: tuple[ConditionUse, ...]


def _own_kind(expr: sm.FunctionalExpression) -> DerivationKind | None:
    """The kind a function contributes by itself (None for transparent wrappers)."""
    names = {expr.class_name.lower(), expr.name.lower()}
    if names & _TRANSPARENT:
        return None
    if names & AGGREGATE_FUNCTIONS:
        return DerivationKind.AGGREGATE
    if names & _CASTS:
        return DerivationKind.CAST
    return DerivationKind.EXPRESSION


def _constant_text(value: sm.JsonValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _cte_links(plan: sm.ExecutionPlan) -> dict[str, str]:
    """Attribute of a `CTERelationRef` -> the attribute at the same position of its definition.

    Spark gives a CTE reference fresh attribute ids and no children, so without this link the
    columns of a `WITH name AS (...)` query would come from nowhere.
    """
    defs: dict[int | str, tuple[str, ...]] = {}
    for op in plan.operations.other:
        key = op.params.get("id")
        # Only scalar ids can name a CTE (a hostile payload may put anything here).
        if op.name == "CTERelationDef" and op.output and isinstance(key, int | str):
            defs.setdefault(key, op.output)
    links: dict[str, str] = {}
    for op in plan.operations.other:
        key = op.params.get("cteId")
        if op.name != "CTERelationRef" or not op.output or not isinstance(key, int | str):
            continue
        defined = defs.get(key)
        if defined is not None and len(defined) == len(op.output):
            links.update(zip(op.output, defined, strict=True))
    return links


def _conditions(op: sm.DataOperation) -> tuple[tuple[str, sm.ChildRef], ...]:
    """(role, reference) of every column a filter or join condition uses."""
    role = _CONDITION_ROLES.get((op.name or "").lower())
    if role is None or "condition" not in op.params:
        return ()
    return tuple((role, ref) for ref in sm.find_refs(op.params["condition"]))


class PlanWalker:
    """Memoized depth-first walk of one plan's reference graph with cycle detection.

    `tolerant`: a reference to an attribute or expression the plan does not define (the real
    agent sends such Delta MERGE plans) contributes nothing instead of raising; what it could
    not resolve is collected in `unresolved`, and everything else keeps its lineage. Missing
    operations and cycles still raise: without them there is no plan to walk.
    """

    def __init__(self, plan: sm.ExecutionPlan, *, tolerant: bool = False) -> None:
        self.plan = plan
        self.tolerant = tolerant
        self.unresolved: set[sm.ChildRef] = set()
        self.read_attrs: dict[str, str] = {}
        for read in sorted(plan.operations.reads, key=lambda o: o.id):
            for attr_id in read.output:
                self.read_attrs.setdefault(attr_id, read.id)
        self._cte_links = _cte_links(plan)
        self._memo: dict[sm.ChildRef, dict[str, DerivationKind]] = {}
        self._active: set[sm.ChildRef] = set()
        self._text: dict[tuple[sm.ChildRef, bool], str] = {}
        self._outputs: dict[str, tuple[str, ...]] = {}
        self._op_active: set[str] = set()

    def output_of(self, op_id: str) -> tuple[str, ...]:
        """Attribute ids an operation outputs; inherited from its children when not stated."""
        if op_id in self._outputs:
            return self._outputs[op_id]
        op = self.plan.operation_by_id.get(op_id)
        if op is None:
            raise DanglingReferenceError(
                "$.operations", f"operation id {op_id!r} is referenced but not defined"
            )
        if op_id in self._op_active:
            raise PlanCycleError(f"operation {op_id!r} is its own descendant")
        self._op_active.add(op_id)
        try:
            # A read states its output; a write, or a transformation that states none, passes
            # its children's attributes on.
            if isinstance(op, sm.ReadOperation) or op.output:
                result = op.output
            else:
                collected: list[str] = []
                for child in op.child_ids:
                    collected.extend(self.output_of(child))
                result = tuple(collected)
        finally:
            self._op_active.discard(op_id)
        self._outputs[op_id] = result
        return result

    def _unresolved(self, ref: sm.ChildRef) -> None:
        if not self.tolerant:
            if isinstance(ref, sm.AttrRef):
                where, kind = "$.attributes", "attribute"
            else:
                where, kind = "$.expressions", "expression"
            raise DanglingReferenceError(
                where, f"{kind} id {ref.id!r} is referenced but not defined"
            )
        self.unresolved.add(ref)

    def attribute(self, attr_id: str) -> sm.Attribute:
        """The attribute `attr_id` (tolerant: a named placeholder when the plan lacks it)."""
        attr = self.plan.attribute_by_id.get(attr_id)
        if attr is None:
            self._unresolved(sm.AttrRef(attr_id))
            return sm.Attribute(attr_id, f"?{attr_id}")
        return attr

    def type_of(self, attr: sm.Attribute) -> str | None:
        """The readable type of an attribute."""
        return self.plan.type_name(attr.data_type)

    def _children(self, attr: sm.Attribute) -> tuple[sm.ChildRef, ...]:
        if attr.child_refs:
            return attr.child_refs
        linked = self._cte_links.get(attr.id)
        return (sm.AttrRef(linked),) if linked is not None else ()

    def sources(self, ref: sm.ChildRef) -> dict[str, DerivationKind]:
        """Read attribute ids reachable from `ref`, each with the strongest kind on the way."""
        cached = self._memo.get(ref)
        if cached is not None:
            return cached
        if ref in self._active:
            raise PlanCycleError(f"{ref.kind} {ref.id!r} refers back to itself")
        self._active.add(ref)
        try:
            result: dict[str, DerivationKind] = {}
            own: DerivationKind | None = None
            children: tuple[sm.ChildRef, ...] = ()
            if isinstance(ref, sm.AttrRef):
                if ref.id in self.read_attrs:
                    result[ref.id] = DerivationKind.DIRECT
                else:
                    children = self._children(self.attribute(ref.id))
            else:
                expr = self.plan.expression_by_id.get(ref.id)
                if expr is None:
                    self._unresolved(ref)
                elif (
                    isinstance(expr, sm.FunctionalExpression)
                    and expr.class_name.lower() not in _NOT_A_SOURCE
                ):
                    children = expr.child_refs
                    own = _own_kind(expr)
            for child in children:
                for src, kind in self.sources(child).items():
                    merged = kind if own is None else max(kind, own)
                    if merged > result.get(src, DerivationKind.DIRECT) or src not in result:
                        result[src] = merged
        finally:
            self._active.discard(ref)
        self._memo[ref] = result
        return result

    def text(self, ref: sm.ChildRef, expand: bool = False) -> str:
        """A readable rendering of the expression behind `ref`, with names instead of ids.

        With `expand`, computed attributes are replaced by what they compute, so the text is in
        terms of read columns (used for derivations); without, they show by name (parameters).
        """
        key = (ref, expand)
        cached = self._text.get(key)
        if cached is not None:
            return cached
        if isinstance(ref, sm.AttrRef):
            attr = self.attribute(ref.id)
            children = self._children(attr)
            if expand and ref.id not in self.read_attrs and len(children) == 1:
                rendered = self.text(children[0], expand)
            else:
                rendered = attr.name
        else:
            found = self.plan.expression_by_id.get(ref.id)
            if found is None:
                self._unresolved(ref)
                self._text[key] = f"?{ref.id}"
                return self._text[key]
            if isinstance(found, sm.Constant):
                rendered = _constant_text(found.value)
            else:
                args = [self.text(c, expand) for c in found.child_refs]
                lowered = found.class_name.lower()
                if lowered in _TRANSPARENT or lowered == "aggregateexpression":
                    rendered = ", ".join(args)
                elif lowered in _CASTS:
                    data_type = self.plan.type_name(found.data_type) or "?"
                    rendered = f"CAST({', '.join(args)} AS {data_type})"
                else:
                    rendered = f"{found.name}({', '.join(args)})"
        if len(rendered) > MAX_EXPRESSION_CHARS:
            rendered = rendered[: MAX_EXPRESSION_CHARS - 1] + "…"
        self._text[key] = rendered
        return rendered

    def source_column(self, attr_id: str) -> SourceColumn:
        """The read column an attribute id of a read operation stands for."""
        attr = self.attribute(attr_id)
        return SourceColumn(self.read_attrs[attr_id], attr.name, self.type_of(attr))

    def trace(self) -> ColumnLineage:
        """The column lineage of the whole plan (see `trace_columns`)."""
        walker, plan = self, self.plan
        written_ids = walker.output_of(plan.operations.write.id)
        written: list[tuple[str, str | None]] = []
        derivations: list[Derivation] = []
        seen_names: set[str] = set()
        for attr_id in written_ids:
            if attr_id not in plan.attribute_by_id:
                walker.attribute(attr_id)  # raises, or (tolerant) records it: no column
                continue
            attr = walker.attribute(attr_id)
            if attr.name in seen_names:
                continue  # Spark allows duplicate names; the dataset has one column per name.
            seen_names.add(attr.name)
            written.append((attr.name, walker.type_of(attr)))
            found = walker.sources(sm.AttrRef(attr_id))  # first: it detects cycles before `text`
            children = walker._children(attr)
            if attr_id in walker.read_attrs:
                expression = attr.name
            elif len(children) == 1:
                expression = walker.text(children[0], expand=True)
            else:
                expression = ", ".join(walker.text(c, expand=True) for c in children) or attr.name
            for src_id, kind in sorted(found.items()):
                derivations.append(
                    Derivation(attr.name, walker.source_column(src_id), kind, expression)
                )
        uses: list[ConditionUse] = []
        for op in sorted(plan.operation_by_id.values(), key=lambda o: o.id):
            walker.output_of(op.id)  # surfaces operation cycles and dangling child ids
            if not isinstance(op, sm.DataOperation):
                continue
            for role, cond in _conditions(op):
                for src_id in sorted(walker.sources(cond)):
                    uses.append(ConditionUse(op.id, role, walker.source_column(src_id)))
        return ColumnLineage(tuple(written), tuple(derivations), tuple(uses))


def trace_columns(plan: sm.ExecutionPlan) -> ColumnLineage:
    """Walk one plan from its written columns back to its read columns.

    Raises DanglingReferenceError or PlanCycleError for an inconsistent plan; the normalize job
    quarantines such payloads with the message as the reason.
    """
    return PlanWalker(plan).trace()
