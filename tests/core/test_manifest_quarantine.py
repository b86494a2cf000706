"""Manifest bytes, manifest comparison and quarantine accounting (pure, no Spark)."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage import spline as sm
from lineage.column_lineage import PlanCycleError
from lineage.dataset_identity import DatasetIdentityError
from lineage.manifest import InputObject, Manifest, OutputFile
from lineage.quarantine import (
    EventBatch,
    Outcome,
    PayloadStatus,
    QuarantinedError,
    QuarantineEntry,
    QuarantineReport,
    Reason,
    TooManyBadPayloadsError,
    classify,
    reconcile,
)

pytestmark = pytest.mark.unit


def _manifest(inputs: list[InputObject], outputs: list[OutputFile]) -> Manifest:
    return Manifest(
        code_version="c" * 64,
        parameters={"gzip": False, "date_from": None},
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        payloads={"read": 2, "normalized": 2, "quarantined": 0, "excluded": 0},
        quarantine_by_reason={},
    )


A = InputObject("plans/date=2026-11-20/a.json", 10, "a" * 64)
B = InputObject("events/date=2026-11-20/b.json", 5, "b" * 64)
V = OutputFile("csv/vertices/Job-00000.csv", "vertex", "Job", 3, 120, "1" * 64)
E = OutputFile("csv/edges/HAS_PLAN-00000.csv", "edge", "HAS_PLAN", 2, 90, "2" * 64)


def test_manifest_bytes_do_not_depend_on_input_order_and_round_trip() -> None:
    one = _manifest([A, B], [V, E]).to_json()
    two = _manifest([B, A], [E, V]).to_json()
    assert one == two
    assert one.endswith(b"\n") and b"started" not in one
    back = Manifest.from_json(one)
    assert back.to_json() == one
    assert back.counts() == {"edges": {"HAS_PLAN": 2}, "vertices": {"Job": 3}}


_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
_PARAM = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), _TEXT)


@given(
    inputs=st.lists(st.builds(InputObject, _TEXT, st.integers(0, 2**63 - 1), _TEXT), max_size=20),
    parameters=st.dictionaries(_TEXT, _PARAM, max_size=5),
    code_version=_TEXT,
)
def test_manifest_bytes_are_orjsons_layout_of_the_whole_document(
    inputs: list[InputObject], parameters: dict[str, str | int | bool | None], code_version: str
) -> None:
    # The inputs are written into place by hand; orjson laying out the whole document (inputs
    # as dicts) is the reference, for any text a key, parameter or digest may hold.
    manifest = Manifest(code_version, parameters, tuple(inputs), (V, E), {"read": 1}, {"x": 1})
    doc = {
        "format": 1,
        "code_version": code_version,
        "parameters": parameters,
        "counts": manifest.counts(),
        "payloads": {"read": 1},
        "quarantine_by_reason": {"x": 1},
        "inputs": [{"key": i.key, "size": i.size, "sha256": i.sha256} for i in sorted(inputs)],
        "outputs": [
            {"path": o.path, "kind": o.kind, "label": o.label, "rows": o.rows, "size": o.size}
            | {"sha256": o.sha256}
            for o in sorted((V, E))
        ],
    }
    expected = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    assert manifest.to_json() == expected


def test_classify_maps_errors_to_reasons() -> None:
    assert classify(sm.MalformedJsonError("$", "bad"))[0] is Reason.UNPARSABLE
    assert classify(sm.DanglingReferenceError("$.x", "no"))[0] is Reason.DANGLING_REFERENCE
    cycle = sm.InvalidValueError("$.operations", "operations form a cycle through 'a' -> 'b'")
    assert classify(cycle)[0] is Reason.CYCLE
    assert classify(PlanCycleError("attr 'x' refers back to itself"))[0] is Reason.CYCLE
    assert classify(sm.MissingFieldError("$.id", "required"))[0] is Reason.INVALID_PAYLOAD
    assert classify(DatasetIdentityError("relative dataset location 'x'"))[0] is (
        Reason.UNREPRESENTABLE
    )


def test_report_reconciles_and_enforces_the_bad_share() -> None:
    entries = [
        QuarantineEntry("k2", Reason.CYCLE, "c"),
        QuarantineEntry("k1", Reason.UNPARSABLE, "u"),
    ]
    report = QuarantineReport.build(read=10, normalized=7, excluded=1, entries=entries)
    assert [e.key for e in report.entries] == ["k1", "k2"]
    assert report.by_reason() == {"cycle": 1, "unparsable": 1}
    report.check_share(0.25)
    with pytest.raises(TooManyBadPayloadsError, match="2 of 9"):
        report.check_share(0.2)
    with pytest.raises(Exception, match="do not reconcile"):
        QuarantineReport.build(read=10, normalized=8, excluded=1, entries=entries)


# ---- payload statuses and the reconciliation of a build

PLAN_A = "10000000-0000-4000-8000-00000000000a"
PLAN_B = "10000000-0000-4000-8000-00000000000b"
PLAN_C = "10000000-0000-4000-8000-00000000000c"


def _plan_key(plan_id: str) -> str:
    return f"plans/date=2026-11-20/{plan_id}.json"


def _inputs(key: str) -> tuple[InputObject, ...]:
    return (InputObject(key, 3, "a" * 64), InputObject(key + ".meta.json", 2, "b" * 64))


def _batch(key: str, *plans: str, excluded: int = 0) -> EventBatch:
    return EventBatch(PayloadStatus(key, Outcome.PARSED, _inputs(key)), plans, excluded)


_STATUSES = st.builds(
    PayloadStatus,
    key=st.text(max_size=20),
    outcome=st.sampled_from(Outcome),
    inputs=st.lists(
        st.builds(InputObject, st.text(max_size=10), st.integers(0, 2**40), st.text(max_size=64)),
        max_size=3,
    ).map(tuple),
    reason=st.none() | st.sampled_from(Reason),
    detail=st.text(max_size=40),
    plan_id=st.none() | st.text(max_size=36),
    runs=st.integers(0, 10_000),
    partial=st.none() | st.text(max_size=40),
    notes=st.lists(st.text(max_size=20), max_size=2).map(tuple),
)


@given(_STATUSES)
def test_statuses_survive_their_trip_between_tasks(status: PayloadStatus) -> None:
    assert PayloadStatus.from_json(status.to_json()) == status


def test_a_refusal_names_its_reason_and_any_error_quarantines_one_payload() -> None:
    refused = PayloadStatus.quarantined("k", QuarantinedError(Reason.DUPLICATE_PLAN, "twice"))
    assert (refused.outcome, refused.reason, refused.detail) == (
        Outcome.QUARANTINED,
        Reason.DUPLICATE_PLAN,
        "twice",
    )
    crashed = PayloadStatus.quarantined("k", ZeroDivisionError("boom"), _inputs("k"))
    assert crashed.reason is Reason.NORMALIZE_FAILED and "ZeroDivisionError" in crashed.detail
    assert crashed.inputs == _inputs("k")


def test_reconcile_settles_event_batches_by_their_plans() -> None:
    plans = [
        PayloadStatus(
            _plan_key(PLAN_A), Outcome.NORMALIZED, _inputs(_plan_key(PLAN_A)), plan_id=PLAN_A
        ),
        PayloadStatus(
            _plan_key(PLAN_B),
            Outcome.QUARANTINED,
            _inputs(_plan_key(PLAN_B)),
            Reason.UNKNOWN_VERSION,
            "version 9.9",
        ),
        PayloadStatus(_plan_key(PLAN_C), Outcome.NOT_LANDED),
    ]
    batches = {
        "events/e1.json": _batch("events/e1.json", PLAN_A, PLAN_C),
        "events/e2.json": _batch("events/e2.json", PLAN_B),
        "events/e3.json": _batch("events/e3.json", PLAN_C),
        "events/e4.json": _batch("events/e4.json", excluded=2),
        "events/e5.json": EventBatch(PayloadStatus("events/e5.json", Outcome.NOT_LANDED)),
    }
    event_keys = [*batches, "events/e6.json"]
    accounts = reconcile(plans, batches, event_keys, ["plans/stray.txt"])
    report = accounts.report
    # Not landed: outside the build (one plan, one batch); everything else is read once.
    assert (report.read, report.normalized, report.excluded) == (8, 2, 1)
    assert {(e.key, e.reason) for e in report.entries} == {
        (_plan_key(PLAN_B), Reason.UNKNOWN_VERSION),
        ("events/e2.json", Reason.PLAN_QUARANTINED),
        ("events/e3.json", Reason.ORPHAN_EVENTS),
        ("events/e6.json", Reason.INVALID_PAYLOAD),
        ("plans/stray.txt", Reason.UNKNOWN_KEY),
    }
    details = {e.key: e.detail for e in report.entries}
    assert details["events/e2.json"] == f"plan {PLAN_B} was quarantined (unknown_version)"
    assert PLAN_C in details["events/e3.json"]
    assert details["events/e6.json"] == "event batch was not processed"
    read_keys = {i.key for i in accounts.inputs}
    assert _plan_key(PLAN_C) not in read_keys and "events/e5.json" not in read_keys
    assert {_plan_key(PLAN_A), _plan_key(PLAN_B), "events/e1.json"} <= read_keys
    assert list(accounts.inputs) == sorted(accounts.inputs)


def test_reconcile_lists_partial_lineage_beside_the_normalized_count() -> None:
    key = _plan_key(PLAN_A)
    status = PayloadStatus(key, Outcome.NORMALIZED, plan_id=PLAN_A, partial="attr a-9")
    report = reconcile([status], {}, [], []).report
    assert (report.read, report.normalized, report.quarantined) == (1, 1, 0)
    assert report.partial == (QuarantineEntry(key, Reason.PARTIAL_LINEAGE, "attr a-9"),)


def test_reconcile_lists_notes_beside_the_normalized_count_and_only_then() -> None:
    key = _plan_key(PLAN_A)
    status = PayloadStatus(key, Outcome.NORMALIZED, plan_id=PLAN_A, notes=("b note", "a note"))
    report = reconcile([status], {}, [], []).report
    assert (report.read, report.normalized, report.quarantined) == (1, 1, 0)
    assert [e.detail for e in report.notes] == ["a note", "b note"]
    assert {e.reason for e in report.notes} == {Reason.NOTED}
    assert b'"notes"' in report.to_json()
    plain = reconcile([PayloadStatus(key, Outcome.NORMALIZED, plan_id=PLAN_A)], {}, [], [])
    assert b'"notes"' not in plain.report.to_json()  # complete builds keep their bytes
