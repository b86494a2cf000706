"""Whether a parsed plan's ids hold together: unique, every reference defined, no cycle."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from lineage.spline.dialect import dialect_for
from lineage.spline.errors import DanglingReferenceError, DuplicateIdError, InvalidValueError
from lineage.spline.model import AttrRef, ExecutionPlan, ExprRef, Operation, Operations

__all__ = ["check_plan_references"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def _op_path(ops: Operations, op: Operation) -> str:
    if op is ops.write:
        return "$.operations.write"
    for name, group in (("reads", ops.reads), ("other", ops.other)):
        for i, candidate in enumerate(group):
            if candidate is op:
                return f"$.operations.{name}[{i}]"
    raise AssertionError("operation not in plan")  # unreachable: op comes from ops


def _check_unique(items: Sequence[_HasId], what: str, path_of: Callable[[int], str]) -> None:
    # `path_of(index)` names the item; only called when a duplicate is found.
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first = seen.setdefault(item.id, index)
        if first != index:
            raise DuplicateIdError(
                f"{path_of(index)}.id",
                f"{what} id {item.id!r} is already used at {path_of(first)}.id",
            )


def check_plan_references(plan: ExecutionPlan, *, attributes: bool = True) -> None:
    """Raise `DuplicateIdError`, `DanglingReferenceError` or `InvalidValueError` (a cycle) when
    the plan's ids do not hold together (what `parse_execution_plan` checks by default).

    `attributes=False` leaves out references to attributes and expressions (`output`,
    `childRefs`): the nightly job derives partial lineage around those instead.
    """
    dialect = dialect_for(plan.api_version)
    ops = plan.operations
    all_ops = ops.all
    _check_unique(all_ops, "operation", lambda i: _op_path(ops, all_ops[i]))
    attr_base = dialect.attributes_path
    _check_unique(plan.attributes, "attribute", lambda i: f"{attr_base}[{i}]")
    functions, constants = plan.expressions.functions, plan.expressions.constants
    _check_unique(
        (*functions, *constants),
        "expression",
        lambda i: (
            f"$.expressions.functions[{i}]"
            if i < len(functions)
            else f"$.expressions.constants[{i - len(functions)}]"
        ),
    )
    op_ids = plan.operation_by_id
    attr_ids = plan.attribute_by_id
    expr_ids = plan.expression_by_id
    check_output = attributes and (not dialect.attributes_optional or bool(attr_ids))
    for op in all_ops:
        for i, child in enumerate(op.child_ids):
            if child not in op_ids:
                raise DanglingReferenceError(
                    f"{_op_path(ops, op)}.childIds[{i}]", f"no operation has id {child!r}"
                )
        for i, attr in enumerate(op.output if check_output else ()):
            if attr not in attr_ids:
                where = f"{_op_path(ops, op)}.{dialect.output_key}[{i}]"
                raise DanglingReferenceError(where, f"no attribute has id {attr!r}")
    holders = [(a.child_refs, "$.attributes", i) for i, a in enumerate(plan.attributes)]
    holders += [(f.child_refs, "$.expressions.functions", i) for i, f in enumerate(functions)]
    if not attributes:
        holders = []
    for refs, base, index in holders:
        for i, ref in enumerate(refs):
            if isinstance(ref, AttrRef) and ref.id not in attr_ids:
                raise DanglingReferenceError(
                    f"{base}[{index}].childRefs[{i}].__attrId",
                    f"no attribute has id {ref.id!r}",
                )
            if isinstance(ref, ExprRef) and ref.id not in expr_ids:
                raise DanglingReferenceError(
                    f"{base}[{index}].childRefs[{i}].__exprId",
                    f"no expression has id {ref.id!r}",
                )
    _check_acyclic(op_ids)


def _check_acyclic(op_ids: Mapping[str, Operation]) -> None:
    # Iterative DFS with colours: a cycle would make "distance from the write" meaningless.
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in op_ids:
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(op_ids[root].child_ids))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                raise InvalidValueError(
                    "$.operations", f"operations form a cycle through {node!r} -> {child!r}"
                )
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(op_ids[child].child_ids)))
