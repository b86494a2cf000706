"""Manifest bytes, manifest comparison and quarantine accounting (pure, no Spark)."""

from __future__ import annotations

import pytest

from lineage import spline_model as sm
from lineage.column_lineage import PlanCycleError
from lineage.dataset_identity import DatasetIdentityError
from lineage.manifest import InputObject, Manifest, OutputFile
from lineage.quarantine import (
    QuarantineEntry,
    QuarantineReport,
    Reason,
    TooManyBadPayloadsError,
    classify,
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
