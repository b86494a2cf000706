"""Column lineage inside one plan: from each written column back to the read columns it comes from.

The input is a plan reduced to what the walk needs (`PlanStructure`): operations with their output
attribute ids, attributes with `childRefs`, and expressions with `childRefs`. Spline's agent gives
every computed attribute a `childRefs` list pointing at the expression (or attribute) it comes from;
an attribute that passes through a `Project`, `Join` or `Filter` keeps its id. So the walk starts at
the attributes the write operation receives and follows references until it reaches attributes
listed in a read operation's output.

Kinds, strongest wins along every path: `direct` (renames, pass-through, union branches), `cast`,
`expression` (any other function), `aggregate` (an aggregate function anywhere on the path, window
aggregates included). Columns used only in a filter or join condition are reported separately as
`ConditionUse`, never as derivations; window partition and order keys are neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from lineage.graph_schema import GraphModelError

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "Attribute",
    "ColumnLineage",
    "ConditionUse",
    "DanglingReferenceError",
    "Derivation",
    "DerivationKind",
    "Expression",
    "Operation",
    "PlanCycleError",
    "PlanStructure",
    "PlanStructureError",
    "PlanWalker",
    "Ref",
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


class PlanStructureError(GraphModelError):
    """A plan's operation/attribute/expression graph is inconsistent."""


class DanglingReferenceError(PlanStructureError):
    """A reference points at an attribute, expression or operation the plan does not define."""


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
class Ref:
    """A reference to an attribute (`attr`) or an expression (`expr`) by id."""

    kind: Literal["attr", "expr"]
    id: str


@dataclass(frozen=True, slots=True)
class Attribute:
    """A named, typed column value; computed ones reference what they come from."""

    id: str
    name: str
    data_type: str | None
    child_refs: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Expression:
    """A function or literal. `class_name` is Spark's simple class name (e.g. `Cast`, `Sum`)."""

    id: str
    name: str
    class_name: str
    data_type: str | None
    child_refs: tuple[Ref, ...] = ()
    literal: str | None = None
    is_literal: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation: `kind` is `read`, `write` or `transform`; `output` None = same as child."""

    id: str
    name: str
    kind: Literal["read", "write", "transform"]
    child_ids: tuple[str, ...]
    output: tuple[str, ...] | None
    conditions: tuple[tuple[str, Ref], ...] = ()


@dataclass(frozen=True, slots=True)
class PlanStructure:
    """What the column-lineage walk needs from one plan."""

    operations: Mapping[str, Operation]
    attributes: Mapping[str, Attribute]
    expressions: Mapping[str, Expression]
    write_id: str


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


def _own_kind(expr: Expression) -> DerivationKind | None:
    """The kind an expression contributes by itself (None for transparent wrappers)."""
    names = {expr.class_name.lower(), expr.name.lower()}
    if names & _TRANSPARENT:
        return None
    if names & AGGREGATE_FUNCTIONS:
        return DerivationKind.AGGREGATE
    if names & _CASTS:
        return DerivationKind.CAST
    return DerivationKind.EXPRESSION


class PlanWalker:
    """Memoized depth-first walk of one plan's reference graph with cycle detection.

    `tolerant`: a reference to an attribute or expression the plan does not define (the real
    agent sends such Delta MERGE plans) contributes nothing instead of raising; what it could
    not resolve is collected in `unresolved`, and everything else keeps its lineage. Missing
    operations and cycles still raise: without them there is no plan to walk.
    """

    def __init__(self, plan: PlanStructure, *, tolerant: bool = False) -> None:
        self.plan = plan
        self.tolerant = tolerant
        self.unresolved: set[Ref] = set()
        self.read_attrs: dict[str, str] = {}
        for op in sorted(plan.operations.values(), key=lambda o: o.id):
            if op.kind == "read":
                for attr_id in op.output or ():
                    self.read_attrs.setdefault(attr_id, op.id)
        self._memo: dict[Ref, dict[str, DerivationKind]] = {}
        self._active: set[Ref] = set()
        self._text: dict[tuple[Ref, bool], str] = {}
        self._outputs: dict[str, tuple[str, ...]] = {}
        self._op_active: set[str] = set()

    def output_of(self, op_id: str) -> tuple[str, ...]:
        """Attribute ids an operation outputs; inherited from its children when not stated."""
        if op_id in self._outputs:
            return self._outputs[op_id]
        op = self.plan.operations.get(op_id)
        if op is None:
            raise DanglingReferenceError(f"operation id {op_id!r} is referenced but not defined")
        if op_id in self._op_active:
            raise PlanCycleError(f"operation {op_id!r} is its own descendant")
        self._op_active.add(op_id)
        try:
            if op.output is not None:
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

    def _unresolved(self, ref: Ref) -> None:
        if not self.tolerant:
            kind = "attribute" if ref.kind == "attr" else "expression"
            raise DanglingReferenceError(f"{kind} id {ref.id!r} is referenced but not defined")
        self.unresolved.add(ref)

    def attribute(self, attr_id: str) -> Attribute:
        attr = self.plan.attributes.get(attr_id)
        if attr is None:
            self._unresolved(Ref("attr", attr_id))
            return Attribute(attr_id, f"?{attr_id}", None)  # tolerant: a named placeholder
        return attr

    def sources(self, ref: Ref) -> dict[str, DerivationKind]:
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
            if ref.kind == "attr":
                if ref.id in self.read_attrs:
                    result[ref.id] = DerivationKind.DIRECT
                    children: tuple[Ref, ...] = ()
                else:
                    children = self.attribute(ref.id).child_refs
            else:
                expr = self.plan.expressions.get(ref.id)
                if expr is None:
                    self._unresolved(ref)
                    children = ()
                else:
                    opaque = expr.is_literal or expr.class_name.lower() in _NOT_A_SOURCE
                    children = () if opaque else expr.child_refs
                    own = None if opaque else _own_kind(expr)
            for child in children:
                for src, kind in self.sources(child).items():
                    merged = kind if own is None else max(kind, own)
                    if merged > result.get(src, DerivationKind.DIRECT) or src not in result:
                        result[src] = merged
        finally:
            self._active.discard(ref)
        self._memo[ref] = result
        return result

    def text(self, ref: Ref, expand: bool = False) -> str:
        """A readable rendering of the expression behind `ref`, with names instead of ids.

        With `expand`, computed attributes are replaced by what they compute, so the text is in
        terms of read columns (used for derivations); without, they show by name (parameters).
        """
        key = (ref, expand)
        cached = self._text.get(key)
        if cached is not None:
            return cached
        if ref.kind == "attr":
            attr = self.attribute(ref.id)
            if expand and ref.id not in self.read_attrs and len(attr.child_refs) == 1:
                rendered = self.text(attr.child_refs[0], expand)
            else:
                rendered = attr.name
        else:
            found = self.plan.expressions.get(ref.id)
            if found is None:
                self._unresolved(ref)
                self._text[key] = f"?{ref.id}"
                return self._text[key]
            expr = found
            args = [self.text(c, expand) for c in expr.child_refs]
            lowered = expr.class_name.lower()
            if expr.is_literal:
                rendered = "null" if expr.literal is None else expr.literal
            elif lowered in _TRANSPARENT or lowered == "aggregateexpression":
                rendered = ", ".join(args)
            elif lowered in _CASTS:
                rendered = f"CAST({', '.join(args)} AS {expr.data_type or '?'})"
            else:
                rendered = f"{expr.name}({', '.join(args)})"
        if len(rendered) > MAX_EXPRESSION_CHARS:
            rendered = rendered[: MAX_EXPRESSION_CHARS - 1] + "…"
        self._text[key] = rendered
        return rendered

    def source_column(self, attr_id: str) -> SourceColumn:
        attr = self.attribute(attr_id)
        return SourceColumn(self.read_attrs[attr_id], attr.name, attr.data_type)

    def trace(self) -> ColumnLineage:
        """The column lineage of the whole plan (see `trace_columns`)."""
        walker, plan = self, self.plan
        write = plan.operations.get(plan.write_id)
        if write is None:
            raise DanglingReferenceError(f"write operation {plan.write_id!r} is not defined")
        written_ids = walker.output_of(write.id)
        written: list[tuple[str, str | None]] = []
        derivations: list[Derivation] = []
        seen_names: set[str] = set()
        for attr_id in written_ids:
            if attr_id not in plan.attributes:
                walker.attribute(attr_id)  # raises, or (tolerant) records it: no column
                continue
            attr = walker.attribute(attr_id)
            if attr.name in seen_names:
                continue  # Spark allows duplicate names; the dataset has one column per name.
            seen_names.add(attr.name)
            written.append((attr.name, attr.data_type))
            ref = Ref("attr", attr_id)
            found = walker.sources(ref)  # first: it detects cycles before `text` recurses
            if attr_id in walker.read_attrs:
                expression = attr.name
            elif len(attr.child_refs) == 1:
                expression = walker.text(attr.child_refs[0], expand=True)
            else:
                expression = (
                    ", ".join(walker.text(c, expand=True) for c in attr.child_refs) or attr.name
                )
            for src_id, kind in sorted(found.items()):
                derivations.append(
                    Derivation(attr.name, walker.source_column(src_id), kind, expression)
                )
        uses: list[ConditionUse] = []
        for op in sorted(plan.operations.values(), key=lambda o: o.id):
            walker.output_of(op.id)  # surfaces operation cycles and dangling child ids
            for role, cond in op.conditions:
                for src_id in sorted(walker.sources(cond)):
                    uses.append(ConditionUse(op.id, role, walker.source_column(src_id)))
        return ColumnLineage(tuple(written), tuple(derivations), tuple(uses))


def trace_columns(plan: PlanStructure) -> ColumnLineage:
    """Walk one plan from its written columns back to its read columns.

    Raises DanglingReferenceError or PlanCycleError (both PlanStructureError) for an inconsistent
    plan; the normalize job quarantines such payloads with the message as the reason.
    """
    return PlanWalker(plan).trace()
