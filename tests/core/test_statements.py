"""One statement reported as two lineages (lineage.statements): linking, and its invariances."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.graph_csv import csv_line
from lineage.graph_schema import (
    HasRunEdge,
    PartOfEdge,
    PlanVertex,
    RunVertex,
    WriteMode,
    WritesEdge,
    job_id,
    plan_vertex_id,
)
from lineage.statements import Execution, StatementMember, split_member, statement_rows

pytestmark = pytest.mark.unit

APP = "local-1"
JOB = job_id("nightly")


def member(
    plan: str,
    *runs: tuple[str, str | None, int, int],
    creates: bool = False,
    key: str = "k1",
    mode: WriteMode = WriteMode.APPEND,
) -> StatementMember:
    vertex = PlanVertex(
        plan, "nightly", "1.2", "3.5.3", "2.2.0", mode.value, "raw", "sha", None, key
    )
    return StatementMember(
        statement_key=key,
        creates_table=creates,
        plan=vertex,
        write=WritesEdge(vertex.id, "ds:file:/t", mode == WriteMode.APPEND, mode),
        job_id=JOB,
        executions=tuple(sorted(Execution(*r) for r in runs)),
    )


CTAS = member("outer", ("run:o1", APP, 100, 900), creates=True, mode=WriteMode.OVERWRITE)
APPEND = member("inner", ("run:i1", APP, 90, 850))


def lines(rows: list[object]) -> list[str]:
    return sorted(csv_line(r) for r in rows)  # type: ignore[arg-type]


def test_the_inner_half_is_part_of_the_table_creating_half() -> None:
    rows = statement_rows([APPEND, CTAS])
    assert PartOfEdge(plan_vertex_id("inner"), plan_vertex_id("outer")) in rows
    assert PartOfEdge("run:i1", "run:o1") in rows
    assert HasRunEdge(JOB, "run:o1") in rows
    assert HasRunEdge(JOB, "run:i1") not in rows  # one run counted
    (inner,) = [r for r in rows if isinstance(r, PlanVertex) and r.plan_id == "inner"]
    assert inner.write_mode == "overwrite"  # the statement's mode, from the CTAS half
    (write,) = [r for r in rows if isinstance(r, WritesEdge) and r.from_id == inner.id]
    assert (write.append, write.write_mode) == (True, WriteMode.OVERWRITE)  # agent's flag kept


@pytest.mark.parametrize(
    "other",
    [
        member("inner", ("run:i1", "local-2", 90, 850)),  # another application
        member("inner", ("run:i1", APP, 901, 950)),  # after the CTAS had ended: a rerun
        member("inner", ("run:i1", APP, 90, 850), key="k2"),  # another statement
        member("inner", ("run:i1", None, 90, 850)),  # no application id: nothing to tie
        member("inner", ("run:i1", APP, 90, 850), creates=True),  # two creating halves
    ],
    ids=["other-app", "not-overlapping", "other-key", "no-app", "both-create"],
)
def test_no_link_without_one_execution_of_one_statement(other: StatementMember) -> None:
    rows = statement_rows([other, CTAS])
    assert not [r for r in rows if isinstance(r, PartOfEdge)]
    assert {HasRunEdge(JOB, "run:i1"), HasRunEdge(JOB, "run:o1")} <= set(rows)
    modes = {r.plan_id: r.write_mode for r in rows if isinstance(r, PlanVertex)}
    assert modes["inner"] == other.plan.write_mode


def test_a_lone_member_keeps_its_rows_unchanged() -> None:
    assert statement_rows([APPEND]) == [APPEND.plan, APPEND.write, HasRunEdge(JOB, "run:i1")]


def test_a_rerun_links_each_execution_to_its_own_outer_run() -> None:
    outer = member("outer", ("run:o1", APP, 100, 900), ("run:o2", "app-2", 0, 50), creates=True)
    inner = member("inner", ("run:i1", APP, 90, 850), ("run:i2", "app-2", 10, 40))
    rows = statement_rows([inner, outer])
    assert {PartOfEdge("run:i1", "run:o1"), PartOfEdge("run:i2", "run:o2")} <= set(rows)
    assert [r for r in rows if isinstance(r, HasRunEdge)] == [
        HasRunEdge(JOB, "run:o1"),
        HasRunEdge(JOB, "run:o2"),
    ]


def test_the_member_json_round_trips() -> None:
    for m in (CTAS, APPEND, member("x", creates=True, mode=WriteMode.MERGE)):
        assert StatementMember.from_json(m.to_json()) == m


def test_split_member_takes_the_mode_dependent_rows_of_a_possible_half() -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    run = RunVertex(
        "inner", 1, None, "nightly", "SUCCEEDED", None, at, at, None, None, None, None,
        APP, None, None, "raw", "sha",
    )  # fmt: skip
    rows = [APPEND.plan, APPEND.write, run, HasRunEdge(JOB, run.id)]
    kept, found = split_member("AppendData", rows)
    assert kept == [run]
    assert found is not None and found.executions[0].run_id == run.id
    assert split_member("OverwriteByExpression", rows) == (rows, None)
    assert split_member(None, rows) == (rows, None)


# ---- invariance: the answer is a function of the set of members ----

_RUN = st.tuples(
    st.sampled_from(["run:a", "run:b", "run:c", "run:d", "run:e"]),
    st.sampled_from([APP, "local-2", None]),
    st.integers(0, 1000),
    st.integers(0, 400),
).map(lambda r: (r[0], r[1], r[2], r[2] + r[3]))
_MEMBER = st.builds(
    lambda plan, runs, creates, key, mode: member(
        plan, *((f"{r[0]}-{plan}", *r[1:]) for r in runs), creates=creates, key=key, mode=mode
    ),
    st.sampled_from(["p1", "p2", "p3", "p4"]),
    st.lists(_RUN, max_size=3, unique_by=lambda r: r[0]),
    st.booleans(),
    st.sampled_from(["k1", "k2"]),
    st.sampled_from([WriteMode.APPEND, WriteMode.OVERWRITE]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_MEMBER, max_size=6), st.randoms(use_true_random=False), st.integers(1, 3))
def test_order_and_repeats_do_not_change_the_rows(
    members: list[StatementMember], rnd: object, copies: int
) -> None:
    expected = lines(statement_rows(members))
    shuffled = members * copies
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert lines(statement_rows(shuffled)) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(_MEMBER, max_size=6))
def test_every_run_is_counted_once_or_part_of_one_counted_run(
    members: list[StatementMember],
) -> None:
    rows = statement_rows(members)
    counted = {r.to_id for r in rows if isinstance(r, HasRunEdge)}
    links = [r for r in rows if isinstance(r, PartOfEdge) and r.from_id.startswith("run:")]
    assert len({r.from_id for r in links}) == len(links)  # a run is part of at most one
    for link in links:
        assert link.from_id not in counted
        assert link.to_id in counted  # ... and that one is counted
    plans = [r for r in rows if isinstance(r, PlanVertex)]
    assert len(plans) == len({p.plan_id for p in plans})  # each plan written once
