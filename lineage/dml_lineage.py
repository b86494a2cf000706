"""Column lineage of row-level DML writes (Delta `MERGE INTO`, `UPDATE`, `DELETE`).

The generic walk (lineage.column_lineage) reads a DML plan as a query whose output replaces the
target, so every target column derives from itself as `direct` (`amount = amount * 1.1` reads
as a pass-through) and the statement's conditions give no `USES`. What the real agent sends
(tests/events/lake_formats):

- `UpdateCommand`: the write's child is the target; `params.updateExpressions` holds one Spark
  expression string per target column, in column order (`upper(name#5989)`; an unassigned column
  is its own reference `country_code#5990`); `params.condition` is the WHERE string.
- `DeleteCommand`: the target and `params.condition`.
- `MergeIntoCommand`: a synthetic operator whose output attributes reference the target's column
  first and then the clause values (`childRefs`); `params.condition` is the ON string and
  `matchedClauses` / `notMatchedClauses` the clauses as Spark strings. Computed clause values
  reference expressions the agent never sends (the plan stays partial); their lineage is read
  from the clause strings instead (`_clause_values`).

- Spark's row-level writes (`ReplaceData`, `WriteDelta`: Iceberg through the project's agent
  plugin, `agent_plugin/`): the write's child is the rewritten query. `params.condition` is the
  statement's WHERE/ON string. A MERGE's rows come from a `MergeRows` operator and a merge-on-read
  UPDATE's from an `Expand`: their output attributes are new, and the values are in their
  parameters, positional to the output (`MergeRows`: each instruction's children after its
  condition; `Expand`: each projection list). Spark's and Iceberg's row metadata (`_file`,
  `_pos`, `__row_operation`, ...) are not table columns; a merge-on-read DELETE writes only
  them, so its columns are the target's.

Rules (docs/graph-model.md, "DML writes"): a target column derives from the columns of its
assignments with their own kind; from itself with kind `kept` where rows keep its value (a
column no clause assigns, rows an UPDATE's WHERE leaves, target rows a MERGE does not match);
a DELETE keeps every column. Columns named in the conditions are `USES` with role `condition`.
Spark's condition strings name columns with Spark's own ids (`name#12`), which the plan does
not map: a name is resolved among the columns the statement reads, every column of that name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lineage import column_lineage as cl
from lineage import spline as sm
from lineage.dataset_identity import normalize_uri
from lineage.graph_schema import WriteMode

__all__ = ["CONDITION_ROLE", "DML_MODES", "dml_lineage"]

DML_MODES = frozenset({WriteMode.MERGE, WriteMode.UPDATE, WriteMode.DELETE})
CONDITION_ROLE = "condition"
# A column in a Spark expression string: `name#123` (long ids end in L); backticks optional.
# A name starts where no identifier character precedes it, and its length is bounded: from
# inside an identifier-like run every character was a start, rescanning the run (quadratic on
# hostile clause text, and 256 steps a character even when bounded). Spark names stay far below.
_SPARK_COLUMN = re.compile(r"(?<![A-Za-z0-9_])`?([A-Za-z_][A-Za-z0-9_]{0,255})`?#\d+L?")
# Row-level writes carry these beside the table's columns: Iceberg's metadata columns and
# Spark's row-operation column (`RowDeltaUtils`); they are how rows are found, not data.
ROW_METADATA_COLUMNS = frozenset(
    {"_file", "_pos", "_spec_id", "_partition", "_deleted", "__row_operation", "__row_id"}
)
ROW_LEVEL_WRITES = frozenset({"ReplaceData", "WriteDelta"})
# Operators whose output attributes are new and whose values are positional in their parameters.
_POSITIONAL_OPS = frozenset({"MergeRows", "Expand"})
_MERGE_INSTRUCTIONS = (
    "matchedInstructions",
    "notMatchedInstructions",
    "notMatchedBySourceInstructions",
)
_SPARK_CAST = re.compile(r"^cast\(\s*`?[A-Za-z_][A-Za-z0-9_]*`?#\d+L?\s+as\s+[^()]+\)$", re.I)


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _SPARK_COLUMN.finditer(text)))


def _kind_of(text: str) -> cl.DerivationKind:
    """The kind a Spark expression string gives the columns it names."""
    stripped = text.strip()
    if _SPARK_COLUMN.fullmatch(stripped):
        return cl.DerivationKind.DIRECT
    if _SPARK_CAST.match(stripped):
        return cl.DerivationKind.CAST
    return cl.DerivationKind.EXPRESSION


def _readable(text: str) -> str:
    """A Spark expression string without Spark's ids (`upper(name#12)` -> `upper(name)`)."""
    shown = _SPARK_COLUMN.sub(lambda m: m.group(1), text)
    limit = cl.MAX_EXPRESSION_CHARS
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class _Dml:
    """One DML plan: its walker, its target and the columns its statement reads, by name."""

    def __init__(self, plan: sm.ExecutionPlan, walker: cl.PlanWalker) -> None:
        self.plan = plan
        self.walker = walker
        self.write = plan.operations.write
        self.row_level = (self.write.name or "").rsplit(".", 1)[-1] in ROW_LEVEL_WRITES
        self.target_uri = normalize_uri(self.write.output_source)
        self.read_uris: dict[str, frozenset[str]] = {
            r.id: frozenset(normalize_uri(u) for u in r.input_sources)
            for r in plan.operations.reads
        }

    def is_target(self, source: cl.SourceColumn, name: str) -> bool:
        return source.name == name and self.target_uri in self.read_uris.get(source.read_op_id, ())

    def input_attrs(self) -> list[str]:
        """Attributes the statement reads: the write's input, or a MERGE's target and source."""
        ids: list[str] = []
        for child in self.write.child_ids:
            op = self.plan.operation_by_id.get(child)
            if op is not None and (
                (op.name or "").endswith("MergeIntoCommand") or op.name in _POSITIONAL_OPS
            ):
                for side in op.child_ids:
                    ids.extend(self.walker.output_of(side))
            else:
                ids.extend(self.walker.output_of(child))
        if self.row_level:
            # A rewritten query may drop the columns its condition names (a merge-on-read
            # DELETE writes row positions only): the reads are what the statement reads.
            for read in self.plan.operations.reads:
                ids.extend(self.walker.output_of(read.id))
        return list(dict.fromkeys(ids))

    def sources_named(self, name: str) -> list[tuple[cl.SourceColumn, cl.DerivationKind]]:
        found: dict[cl.SourceColumn, cl.DerivationKind] = {}
        for attr_id in self.input_attrs():
            if self.walker.attribute(attr_id).name != name:
                continue
            for src_id, kind in self.walker.sources(sm.AttrRef(attr_id)).items():
                src = self.walker.source_column(src_id)
                found[src] = max(kind, found.get(src, kind))
        return sorted(found.items(), key=lambda item: (item[0].read_op_id, item[0].name))

    def condition_uses(self, text: sm.JsonValue) -> list[cl.ConditionUse]:
        if not isinstance(text, str):
            return []
        uses = {
            cl.ConditionUse(self.write.id, CONDITION_ROLE, src)
            for name in _names(text)
            for src, _kind in self.sources_named(name)
        }
        return sorted(uses, key=lambda u: (u.source.read_op_id, u.source.name))


def _strongest(
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]],
    target: str,
    source: cl.SourceColumn,
    kind: cl.DerivationKind,
    expression: str,
) -> None:
    key = (target, source)
    seen = found.get(key)
    if seen is None or kind > seen[0]:
        found[key] = (kind, expression)


def _update(
    dml: _Dml, traced: cl.ColumnLineage, params: Mapping[str, sm.JsonValue]
) -> dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]]:
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]] = {}
    texts = params.get("updateExpressions")
    names = [name for name, _type in traced.written]
    conditional = params.get("condition") is not None
    aligned = isinstance(texts, list) and len(texts) == len(names)
    for index, name in enumerate(names):
        text = texts[index] if aligned and isinstance(texts, list) else None
        own = [src for src, _k in dml.sources_named(name) if dml.is_target(src, name)]
        if (
            not isinstance(text, str)
            or not text.strip()
            or (_names(text) == [name] and _kind_of(text) is cl.DerivationKind.DIRECT)
        ):
            # Unassigned (its own reference) or not understood: the column keeps its value.
            for src in own:
                _strongest(found, name, src, cl.DerivationKind.KEPT, name)
            continue
        kind = _kind_of(text)
        for ref_name in _names(text):
            for src, src_kind in dml.sources_named(ref_name):
                _strongest(found, name, src, max(kind, src_kind), _readable(text))
        if conditional:  # rows the WHERE leaves keep the old value
            for src in own:
                _strongest(found, name, src, cl.DerivationKind.KEPT, name)
    return found


# "`name` = value" in Spark's clause text (a backtick in a name doubled). Linear: a quoted name
# never starts inside a run of backticks, and its body is possessive, so each start scans only to
# the next lone backtick; the plain alternation rescanned the rest from every backtick (quadratic).
_ACTION = re.compile(r"(?<!`)`((?:[^`]|``)++)` = ")


def _actions(clauses: sm.JsonValue) -> list[tuple[str, str]]:
    """`(column, value)` of every assignment in a MERGE's clause strings (Spark's toString)."""
    actions: list[tuple[str, str]] = []
    for clause in clauses if isinstance(clauses, list) else ():
        if not isinstance(clause, str):
            continue
        marks = list(_ACTION.finditer(clause))
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(clause)
            value = clause[mark.end() : end].rstrip().rstrip(",]").rstrip()
            actions.append((mark.group(1).replace("``", "`"), value))
    return actions


def _clause_values(
    dml: _Dml,
    params: Mapping[str, sm.JsonValue],
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]],
) -> None:
    """Lineage from a MERGE's clause strings, where the agent leaves computed values undefined.

    An INSERT value can only read the source, so its Spark ids (`amount#2275`) are source
    columns; a matched clause's column with one of those ids is the same source column, and a
    column's own name with another id is the target's value kept (already a `kept` edge).
    """
    inserts = _actions(params.get("notMatchedClauses"))
    source_ids = {m.group(0) for _c, value in inserts for m in _SPARK_COLUMN.finditer(value)}
    for clause_key, inserting in (("matchedClauses", False), ("notMatchedClauses", True)):
        for column, value in _actions(params.get(clause_key)):
            kind = _kind_of(value)
            for token in _SPARK_COLUMN.finditer(value):
                from_source = inserting or token.group(0) in source_ids
                if not from_source and token.group(1) == column:
                    continue  # the target's own value: kept
                for src, src_kind in dml.sources_named(token.group(1)):
                    if from_source and dml.is_target(src, token.group(1)):
                        continue
                    _strongest(found, column, src, max(kind, src_kind), _readable(value))


def _derive(
    dml: _Dml,
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]],
    column: str,
    ref: sm.ChildRef,
) -> None:
    """Record what the written `column` derives from through the value `ref`: a direct copy of
    the target's own column is `kept`, anything else keeps the walk's kind and text."""
    walker = dml.walker
    text = walker.text(ref, expand=True)
    for src_id, kind in sorted(walker.sources(ref).items()):
        src = walker.source_column(src_id)
        if dml.is_target(src, column) and kind == cl.DerivationKind.DIRECT:
            _strongest(found, column, src, cl.DerivationKind.KEPT, column)
        else:
            _strongest(found, column, src, kind, text)


def _merge(
    dml: _Dml, traced: cl.ColumnLineage, params: Mapping[str, sm.JsonValue]
) -> dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]]:
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]] = {}
    walker = dml.walker
    written = {name for name, _type in traced.written}
    seen: set[str] = set()
    for attr_id in walker.output_of(dml.write.id):
        attr = walker.attribute(attr_id)
        if attr.name not in written or attr.name in seen:
            continue
        seen.add(attr.name)
        for ref in attr.child_refs or (sm.AttrRef(attr_id),):
            _derive(dml, found, attr.name, ref)
    clause_found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]] = {}
    _clause_values(dml, params, clause_found)
    for (target, src), (kind, text) in clause_found.items():
        if target in written:
            _strongest(found, target, src, kind, text)
    return found


def _refs(value: sm.JsonValue) -> list[sm.ChildRef]:
    """The attribute/expression references in one parameter value, in order (lists flattened,
    iteratively: a hostile payload may nest lists deeper than Python's recursion limit)."""
    found: list[sm.ChildRef] = []
    stack: list[sm.JsonValue] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            attr, expr = item.get("__attrId"), item.get("__exprId")
            if isinstance(attr, str):
                found.append(sm.AttrRef(attr))
            elif isinstance(expr, str):
                found.append(sm.ExprRef(expr))
    return found


def _positional_values(plan: sm.ExecutionPlan, op: sm.Operation) -> dict[str, list[sm.ChildRef]]:
    """Output attribute id -> the value references a `MergeRows` / `Expand` gives it."""
    output = list(getattr(op, "output", ()) or ())
    if not output:
        return {}
    rows: list[list[sm.ChildRef]] = []
    if op.name == "Expand":
        projections = op.params.get("projections")
        rows = [_refs(row) for row in projections] if isinstance(projections, list) else []
    else:
        functions = {f.id: f for f in plan.expressions.functions}
        for ref in _refs([op.params.get(key) for key in _MERGE_INSTRUCTIONS]):
            instruction = functions.get(ref.id) if isinstance(ref, sm.ExprRef) else None
            if instruction is None:
                continue
            values = list(instruction.child_refs[1:])  # the first child is its condition
            # A split instruction lists two rows, one after the other.
            rows.extend(values[i : i + len(output)] for i in range(0, len(values), len(output)))
    found: dict[str, list[sm.ChildRef]] = {attr_id: [] for attr_id in output}
    for row in rows:
        if len(row) == len(output):
            for attr_id, ref in zip(output, row, strict=True):
                found[attr_id].append(ref)
    return found


def _row_level(
    dml: _Dml, traced: cl.ColumnLineage, mode: WriteMode
) -> tuple[
    tuple[tuple[str, str | None], ...],
    dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]],
]:
    """Written columns and derivations of a `ReplaceData` / `WriteDelta` (Iceberg DML)."""
    found: dict[tuple[str, cl.SourceColumn], tuple[cl.DerivationKind, str]] = {}
    walker = dml.walker
    written = tuple(c for c in traced.written if c[0] not in ROW_METADATA_COLUMNS)
    target_columns = [
        attr_id
        for read, uris in dml.read_uris.items()
        if dml.target_uri in uris
        for attr_id in walker.output_of(read)
        if walker.attribute(attr_id).name not in ROW_METADATA_COLUMNS
    ]
    if mode is WriteMode.DELETE:
        # The rows left keep every column; a merge-on-read DELETE writes only row positions,
        # so the columns are the target's.
        if not written:
            types = {
                walker.attribute(a).name: walker.type_of(walker.attribute(a))
                for a in target_columns
            }
            written = tuple(types.items())
        for attr_id in target_columns:
            src = walker.source_column(attr_id)
            _strongest(found, src.name, src, cl.DerivationKind.KEPT, src.name)
        return written, found
    names = {name for name, _type in written}
    positional: dict[str, list[sm.ChildRef]] = {}
    for child in dml.write.child_ids:
        op = dml.plan.operation_by_id.get(child)
        if op is not None and op.name in _POSITIONAL_OPS:
            positional.update(_positional_values(dml.plan, op))
    for attr_id in walker.output_of(dml.write.id):
        attr = walker.attribute(attr_id)
        if attr.name not in names:
            continue
        refs = positional.get(attr_id) or list(attr.child_refs or (sm.AttrRef(attr_id),))
        for ref in (branch for r in refs for branch in _branches(dml.plan, r)):
            _derive(dml, found, attr.name, ref)
    # Rows the statement leaves (unmatched by a MERGE, outside an UPDATE's WHERE) keep every
    # column, whether the table format rewrites them (copy-on-write) or not (merge-on-read).
    for attr_id in target_columns:
        src = walker.source_column(attr_id)
        if src.name in names:
            _strongest(found, src.name, src, cl.DerivationKind.KEPT, src.name)
    return written, found


def _branches(plan: sm.ExecutionPlan, ref: sm.ChildRef) -> list[sm.ChildRef]:
    """A copy-on-write UPDATE's `if(condition, new, old)` as its two values (aliases looked
    through); the condition picks the rows, it is not data. Any other reference as it is."""
    functions = {f.id: f for f in plan.expressions.functions}
    for _depth in range(8):
        expr = functions.get(ref.id) if isinstance(ref, sm.ExprRef) else None
        if expr is None:
            return [ref]
        name = expr.class_name.lower()
        if name == "alias" and len(expr.child_refs) == 1:
            ref = expr.child_refs[0]
            continue
        if name == "if" and len(expr.child_refs) == 3:
            return list(expr.child_refs[1:])
        return [ref]
    return [ref]


def dml_lineage(
    plan: sm.ExecutionPlan, walker: cl.PlanWalker, mode: WriteMode, traced: cl.ColumnLineage
) -> cl.ColumnLineage:
    """The column lineage of a DML write by the rules above; any other write as traced."""
    if mode not in DML_MODES:
        return traced
    dml = _Dml(plan, walker)
    params = dml.write.params
    written = traced.written
    row_level = dml.row_level
    if row_level:
        written, found = _row_level(dml, traced, mode)
    elif mode is WriteMode.MERGE:
        merge_op = next(
            (
                op
                for op in plan.operations.other
                if op.id in dml.write.child_ids and (op.name or "").endswith("MergeIntoCommand")
            ),
            None,
        )
        params = merge_op.params if merge_op is not None else params
        found = _merge(dml, traced, params)
    elif mode is WriteMode.UPDATE:
        found = _update(dml, traced, params)
    else:
        found = {}
        for name, _type in traced.written:
            for src, _kind in dml.sources_named(name):
                if dml.is_target(src, name):
                    _strongest(found, name, src, cl.DerivationKind.KEPT, name)
    derivations = tuple(
        cl.Derivation(target, src, kind, expression)
        for (target, src), (kind, expression) in sorted(
            found.items(), key=lambda item: (item[0][0], item[0][1].read_op_id, item[0][1].name)
        )
    )
    conditions = tuple(dml.condition_uses(params.get("condition")))
    named = {u.source for u in conditions}
    # A row-level write's query is Spark's rewrite of the statement: its filter and join on
    # the condition's columns are that condition, already one `condition` use each.
    uses = tuple(
        u for u in traced.uses if u.op_id != dml.write.id and not (row_level and u.source in named)
    )
    return cl.ColumnLineage(written, derivations, uses + conditions)
