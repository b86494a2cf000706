"""One statement the agent reports twice, shown as one logical write.

A CTAS or `saveAsTable` reaches the agent as two lineages of one statement: the command that
creates the table (`CreateTableAsSelect`, `CreateDataSourceTableAsSelectCommand`, ...) and the
write it runs inside (`AppendData`, `InsertIntoHadoopFsRelationCommand`), each with its own plan
and event. Both payloads are kept as plans; the graph links them:

- the two lineages share `Plan.statement_key` (lineage.plan_identity);
- an execution of the inner write is *part of* an execution of the table-creating command when
  both plans have one statement key and their events come from one application with
  overlapping run intervals (the inner command runs while the outer one does);
- such an inner run gets a `PART_OF` edge to the outer run and no `HAS_RUN` edge from its job
  (so the run views count the statement once), and its plan a `PART_OF` edge to the outer plan
  and the outer plan's write mode (the statement's, not the inner half's `append` flag).

Everything here is a function of the set of members: the order they arrive in and repeats do
not change the answer. Plans the grouping cannot concern (any other write) never become members.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lineage.graph_schema import (
    GraphRow,
    HasRunEdge,
    PartOfEdge,
    PlanVertex,
    RunVertex,
    WriteMode,
    WritesEdge,
    job_id,
)
from lineage.neptune_csv import epoch_millis

__all__ = [
    "CREATING_WRITES",
    "INNER_WRITES",
    "Execution",
    "StatementMember",
    "split_member",
    "statement_rows",
]

# The commands that create (or replace) the table of a statement run as two lineages...
CREATING_WRITES = frozenset(
    {
        "CreateTableAsSelect",
        "ReplaceTableAsSelect",
        "AtomicCreateTableAsSelect",
        "AtomicReplaceTableAsSelect",
        "CreateDataSourceTableAsSelectCommand",
        "CreateHiveTableAsSelectCommand",
        "OptimizedCreateHiveTableAsSelectCommand",
    }
)
# ... and the writes they run inside, reported as a lineage of their own.
INNER_WRITES = frozenset({"AppendData", "InsertIntoHadoopFsRelationCommand", "InsertIntoHiveTable"})


@dataclass(frozen=True, order=True)
class Execution:
    """One run of a member plan: its `Run` id, application and interval (epoch milliseconds)."""

    run_id: str
    app_id: str | None
    started_ms: int
    ended_ms: int

    def overlap_ms(self, other: Execution) -> int | None:
        """How long both ran at once (0 when they only touch); None when they never did."""
        if self.app_id is None or self.app_id != other.app_id:
            return None
        start = max(self.started_ms, other.started_ms)
        end = min(self.ended_ms, other.ended_ms)
        return end - start if start <= end else None


@dataclass(frozen=True)
class StatementMember:
    """A plan that may be one half of a statement, with the rows the grouping decides.

    `plan` and `write` are the rows the plan pass would have written as they are; `job_id` and
    `executions` give each run's `HAS_RUN` edge (kept unless the run is part of another).
    """

    statement_key: str
    creates_table: bool
    plan: PlanVertex
    write: WritesEdge
    job_id: str
    executions: tuple[Execution, ...]

    def to_json(self) -> str:
        """A compact JSON line (how the plan pass hands a member to the grouping)."""
        return json.dumps(
            {
                "key": self.statement_key,
                "creates": self.creates_table,
                "plan": dataclasses.asdict(self.plan),
                "write": [self.write.to_id, self.write.append, self.write.write_mode],
                "job": self.job_id,
                "runs": [dataclasses.astuple(e) for e in self.executions],
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> StatementMember:
        """The member `to_json` wrote."""
        data = json.loads(text)
        plan = PlanVertex(**data["plan"])
        to_id, append, mode = data["write"]
        return cls(
            statement_key=data["key"],
            creates_table=data["creates"],
            plan=plan,
            write=WritesEdge(plan.id, to_id, append, None if mode is None else WriteMode(mode)),
            job_id=data["job"],
            executions=tuple(Execution(*e) for e in data["runs"]),
        )


def split_member(
    write_name: str | None, rows: Sequence[GraphRow]
) -> tuple[list[GraphRow], StatementMember | None]:
    """A plan's rows without those the grouping decides, and its member; or all rows and None.

    Only a plan whose write is a table-creating command or the kind of write one runs inside
    becomes a member; its `Plan` vertex, `WRITES` edge and `HAS_RUN` edges travel in the member.
    """
    creates = write_name in CREATING_WRITES
    if not creates and write_name not in INNER_WRITES:
        return list(rows), None
    plans = [r for r in rows if isinstance(r, PlanVertex)]
    writes = [r for r in rows if isinstance(r, WritesEdge)]
    if len(plans) != 1 or len(writes) != 1 or plans[0].statement_key is None:
        return list(rows), None
    plan, write, key = plans[0], writes[0], plans[0].statement_key
    has_run = [r for r in rows if isinstance(r, HasRunEdge)]
    runs = {r.id: r for r in rows if isinstance(r, RunVertex)}
    if {e.to_id for e in has_run} != set(runs) or len({e.from_id for e in has_run}) > 1:
        return list(rows), None  # not the shape run_rows gives: leave the plan alone
    executions = tuple(
        sorted(
            Execution(run_id, run.app_id, epoch_millis(run.started_at), epoch_millis(run.ended_at))
            for run_id, run in runs.items()
        )
    )
    job = has_run[0].from_id if has_run else job_id(plan.job_name)
    taken = {id(plan), id(write), *(id(e) for e in has_run)}
    kept = [r for r in rows if id(r) not in taken]
    return kept, StatementMember(key, creates, plan, write, job, executions)


def statement_rows(members: Iterable[StatementMember]) -> list[GraphRow]:
    """The rows of members (of one or more statement keys), linked where they are one statement.

    Deterministic in the set of members: sorted, deduplicated by plan id (the smallest member of
    a plan id wins, as the writer keeps the smallest line of an id), grouped by statement key.
    """
    listed = list(members)
    if len(listed) == 1:  # the common case: a plan no other lineage shares a statement with
        return _one_statement(listed)
    by_plan: dict[str, StatementMember] = {}
    for member in sorted(listed, key=StatementMember.to_json):
        by_plan.setdefault(member.plan.plan_id, member)
    by_key: dict[str, list[StatementMember]] = defaultdict(list)
    for member in by_plan.values():
        by_key[member.statement_key].append(member)
    rows: list[GraphRow] = []
    for key in sorted(by_key):
        rows.extend(_one_statement(by_key[key]))
    return rows


def _one_statement(members: list[StatementMember]) -> list[GraphRow]:
    outer = [m for m in members if m.creates_table]
    # inner run id -> (outer member, outer run id); the outer run that overlaps it longest
    # (ties: the smallest run id), so the choice is the same whatever the order.
    part_of: dict[str, tuple[StatementMember, Execution]] = {}
    for member in members:
        if member.creates_table:
            continue
        for run in member.executions:
            best: tuple[int, str, StatementMember, Execution] | None = None
            for candidate in outer:
                for other in candidate.executions:
                    overlap = run.overlap_ms(other)
                    if overlap is None:
                        continue
                    rank = (-overlap, other.run_id, candidate, other)
                    if best is None or rank[:2] < best[:2]:
                        best = rank
            if best is not None:
                part_of[run.run_id] = (best[2], best[3])
    rows: list[GraphRow] = []
    for member in members:
        linked = [(run, part_of[run.run_id]) for run in member.executions if run.run_id in part_of]
        plan, write = member.plan, member.write
        if linked:
            # The statement's mode: the outer plan's, of the latest linked run (ties: run id).
            _, (outer_member, _) = max(linked, key=lambda x: (x[0].started_ms, x[0].run_id))
            mode = WriteMode(outer_member.plan.write_mode)
            plan = dataclasses.replace(plan, write_mode=mode.value)
            write = dataclasses.replace(write, write_mode=mode)
            for outer_plan in sorted({o.plan.id for _, (o, _) in linked}):
                rows.append(PartOfEdge(plan.id, outer_plan))
        rows.append(plan)
        rows.append(write)
        for run in member.executions:
            if run.run_id in part_of:
                rows.append(PartOfEdge(run.run_id, part_of[run.run_id][1].run_id))
            else:
                rows.append(HasRunEdge(member.job_id, run.run_id))
    return rows
