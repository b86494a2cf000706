"""The pure comparison behind `lineage verify`, and reading parameters back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from glue_jobs.audit import VerifyError, params_from_manifest
from glue_jobs.normalize import NormalizeParams
from lineage.dataset_identity import LayerRules
from lineage.manifest import InputObject, Manifest, OutputFile
from lineage.quarantine import QuarantineEntry, QuarantineReport, Reason
from lineage.verification import (
    Area,
    Finding,
    Outcome,
    Problem,
    VerificationReport,
    compare_inputs,
    compare_outputs,
    observe,
    parameter_differences,
    raw_zone_findings,
    rerun_findings,
    same_manifest,
    unexpected_keys,
)

pytestmark = pytest.mark.unit

A = "events/date=2025-11-22/" + "a" * 64 + ".json"
B = "plans/date=2025-11-22/6a1f8f3e-2d9b-5c1e-9f00-111111111111.json"


def test_observe_records_size_and_sha256() -> None:
    # SHA-256 of b"abc" (FIPS 180-2 test vector).
    assert observe(A, b"abc") == InputObject(
        A, 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_compare_inputs_names_altered_and_missing() -> None:
    recorded = [observe(A, b"one"), observe(B, b"two"), observe(B + ".meta", b"{}")]
    now = {A: observe(A, b"onE"), B + ".meta": observe(B + ".meta", b"{}")}
    findings = compare_inputs(recorded, now)
    assert [(f.problem, f.key) for f in findings] == [
        (Problem.ALTERED, A),
        (Problem.MISSING, B),
    ]
    assert findings[0].detail.startswith("sha256 ")  # same size: only the hash says so
    grown = compare_inputs([observe(A, b"one")], {A: observe(A, b"one!")})
    assert grown[0].detail.startswith("size 3 -> 4, sha256 ")


def test_unexpected_keys_are_what_is_selected_but_not_named() -> None:
    assert [f.key for f in unexpected_keys([A], [A, B, B + ".meta"])] == [B, B + ".meta"]
    assert unexpected_keys([A, B], [A]) == []


def test_compare_outputs_by_path() -> None:
    def out(path: str, data: bytes) -> OutputFile:
        o = observe(path, data)
        return OutputFile(path, "vertex", "Run", 1, o.size, o.sha256)

    recorded = [out("csv/vertices/Run-00000.csv", b"x"), out("csv/vertices/Job-00000.csv", b"y")]
    now = [out("csv/vertices/Run-00000.csv", b"z"), out("csv/edges/X-00000.csv", b"")]
    assert [(f.problem, f.key) for f in compare_outputs(recorded, now, Area.RERUN)] == [
        (Problem.ALTERED, "csv/vertices/Run-00000.csv"),
        (Problem.MISSING, "csv/vertices/Job-00000.csv"),
        (Problem.UNEXPECTED, "csv/edges/X-00000.csv"),
    ]
    assert compare_outputs(recorded, recorded, Area.BUILD) == []


def _manifest(**parameters: object) -> Manifest:
    return Manifest("c0de", parameters, (), (), {}, {})  # type: ignore[arg-type]


def _report(code: str, *findings: Finding) -> VerificationReport:
    return VerificationReport(_manifest(), code, 0, 0, True, None, findings)


def test_outcome_says_what_differs() -> None:
    raw = Finding(Area.RAW_ZONE, Problem.ALTERED, A, "")
    out = Finding(Area.RERUN, Problem.ALTERED, "csv/vertices/Run-00000.csv", "")
    assert _report("c0de").outcome is Outcome.VERIFIED
    # Other code, same bytes: still reproduced.
    assert _report("other").outcome is Outcome.VERIFIED
    assert _report("c0de", out).outcome is Outcome.OUTPUTS_DIFFER
    assert _report("other", out).outcome is Outcome.OUTPUTS_DIFFER_CODE_CHANGED
    # A changed record comes first.
    assert _report("other", out, raw).outcome is Outcome.RAW_ZONE_DIFFERS


def test_parameters_read_back_from_the_manifest() -> None:
    params = NormalizeParams(
        lake="/lake",
        out="/build",
        date_from=dt.date(2025, 11, 1),
        date_to=dt.date(2025, 11, 21),
        gzip=True,
        target_file_bytes=1024,
        as_of_ms=1763773200000,
        landed_before_ms=1763776800000,
    )
    manifest = _manifest(**params.manifest_parameters())
    again = params_from_manifest(manifest, "/elsewhere", "/tmp/x")
    assert again.manifest_parameters() == params.manifest_parameters()
    assert (again.lake, again.out) == ("/elsewhere", "/tmp/x")


def test_layer_rules_must_be_the_ones_the_build_used(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        '{"prefix_rules": [{"prefix": "s3://b/x/", "layer": "raw"}], "segment_rules": []}'
    )
    params = NormalizeParams(
        lake="/lake",
        out="/b",
        layer_rules=LayerRules.from_file(rules),
        layer_rules_source=str(tmp_path / "gone.json"),
    )
    manifest = _manifest(**params.manifest_parameters())
    with pytest.raises(VerifyError, match=r"gone\.json.*--layer-rules"):
        params_from_manifest(manifest, "/lake", "/b")
    assert params_from_manifest(manifest, "/lake", "/b", rules).layer_rules == params.layer_rules
    with pytest.raises(VerifyError, match="layer_rules_sha256"):
        params_from_manifest(manifest, "/lake", "/b", _packaged_rules_copy(tmp_path))


def _packaged_rules_copy(tmp_path: Path) -> Path:
    """Other rules than the build's: a copy of the packaged ones."""
    packaged = Path(__file__).resolve().parents[2] / "lineage" / "resources" / "layer_rules.json"
    other = tmp_path / "packaged.json"
    other.write_bytes(packaged.read_bytes())
    return other


def test_unknown_parameters_are_refused() -> None:
    params = NormalizeParams(lake="/lake", out="/b")
    manifest = _manifest(**params.manifest_parameters(), partition_count=7)
    with pytest.raises(VerifyError, match="partition_count"):
        params_from_manifest(manifest, "/lake", "/b")


def test_raw_zone_findings_give_one_finding_per_object() -> None:
    recorded = [observe(A, b"one"), observe(B, b"two")]
    now = {A: observe(A, b"onE"), B: observe(B, b"two")}
    inconsistent = [
        Finding(Area.RAW_ZONE, Problem.INCONSISTENT, A, "sidecar says otherwise"),
        Finding(Area.RAW_ZONE, Problem.INCONSISTENT, B, "key says otherwise"),
    ]
    found = raw_zone_findings(recorded, now, inconsistent)
    # A is altered (the stronger finding), B has the same bytes but disagrees with its sidecar.
    assert [(f.problem, f.key) for f in found] == [
        (Problem.ALTERED, A),
        (Problem.INCONSISTENT, B),
    ]


def test_parameter_differences_name_each_parameter() -> None:
    assert parameter_differences({"gzip": True}, {"gzip": True}) == []
    assert parameter_differences({"gzip": True, "x": 1}, {"gzip": False}) == [
        "gzip: recorded True, here False",
        "x: recorded 1, here None",
    ]


def _out(path: str, data: bytes) -> OutputFile:
    o = observe(path, data)
    return OutputFile(path, "vertex", "Run", 1, o.size, o.sha256)


def test_rerun_findings_outputs_unexpected_and_share() -> None:
    run = "csv/vertices/Run-00000.csv"
    build = Manifest("c0de", {}, (observe(A, b"a"),), (_out(run, b"x"),), {}, {})
    quarantined = QuarantineEntry(B, Reason.UNPARSABLE, "not JSON")
    c = "events/date=2025-11-22/" + "c" * 64 + ".json"
    rerun = Manifest("c0de", {}, (observe(A, b"a"), observe(c, b"c")), (_out(run, b"y"),), {}, {})
    report = QuarantineReport.build(3, 2, 0, [quarantined])
    found = rerun_findings(build, rerun, report, [B], 0.5, "quarantine.json")
    assert [(f.area, f.problem, f.key) for f in sorted(found)] == [
        (Area.RAW_ZONE, Problem.UNEXPECTED, c),  # B is named by the build's quarantine report
        (Area.RERUN, Problem.ALTERED, run),
    ]
    strict = rerun_findings(build, build, report, [B], 0.1, "quarantine.json")
    assert [(f.problem, f.key) for f in strict] == [(Problem.FAILED, "quarantine.json")]
    assert "1 of 3 payloads quarantined" in strict[0].detail
    assert rerun_findings(build, build, report, [B], 0.5, "quarantine.json") == []


def test_same_manifest_puts_the_recorded_parameters_back() -> None:
    recorded = Manifest("c0de", {"max_bad_share": 0.05}, (), (), {}, {})
    tolerant = Manifest("c0de", {"max_bad_share": 1.0}, (), (), {}, {})
    assert same_manifest(tolerant, recorded.parameters, recorded.to_json())
    other = Manifest("c0de", {"max_bad_share": 1.0}, (observe(A, b"a"),), (), {}, {})
    assert not same_manifest(other, recorded.parameters, recorded.to_json())
