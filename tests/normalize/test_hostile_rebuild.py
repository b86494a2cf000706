"""The nightly rebuild against a raw zone holding hostile and tampered payloads (one Spark build).

Each bad payload is stored the way an older producer (or someone with write access) could have
left it; the rebuild must quarantine each with its own reason and normalize the rest.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, payload
from raw_zone_builder import day, put

from glue_jobs.normalize import BuildResult, NormalizeParams, OutputFolderError, run_normalize
from lineage import limits
from lineage import raw_zone_layout as rz
from lineage.quarantine import TooManyBadPayloadsError
from lineage.store import StorageError
from loader.csv_reader import iter_records
from stores import LocalStore

pytestmark = pytest.mark.spark

FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01: everything here had landed


def deep(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


def _doc(name: str) -> Any:
    return json.loads(payload(name))


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _plan(plan_id: str, change: Any = None) -> bytes:
    doc = _doc(REPORT_PLAN)
    doc["id"] = plan_id
    if change is not None:
        change(doc)
    return _bytes(doc)


def _events(**changes: Any) -> bytes:
    batch = _doc("events_sales_by_country.v1_2.json")
    batch[0].update(changes)
    return _bytes(batch)


def _sidecar(root: Path, key: str, **changes: Any) -> None:
    path = root / rz.sidecar_key(key)
    doc = json.loads(path.read_bytes())
    doc.update(changes)
    path.write_bytes(json.dumps(doc).encode())


@dataclass
class Lake:
    root: Path
    keys: dict[str, str]
    temp: Path


def _build_lake(root: Path) -> Lake:
    when = day("2025-11-21")
    keys: dict[str, str] = {}
    keys["good_plan"] = put(root, payload(SALES_PLAN), kind="plan", received_at=when)
    keys["good_events"] = put(
        root, payload("events_sales_by_country.v1_2.json"), kind="events", received_at=when
    )
    keys["events_deep_extra"] = put(
        root, _events(extra={"n": deep(300)}), kind="events", received_at=when
    )

    def deep_params(doc: Any) -> None:
        doc["operations"]["write"]["params"] = {"n": deep(300)}

    keys["plan_deep_params"] = put(
        root,
        _plan("20000000-0000-4000-8000-000000000001", deep_params),
        kind="plan",
        received_at=when,
    )
    keys["timestamp_2_63"] = put(
        root, _events(timestamp=2**63 + 5), kind="events", received_at=when
    )
    keys["timestamp_negative"] = put(
        root, _events(timestamp=-(10**15)), kind="events", received_at=when
    )
    keys["received_yesterday"] = put(
        root, _events(timestamp=1_700_000_000_001), kind="events", received_at=when
    )
    _sidecar(root, keys["received_yesterday"], received_at="yesterday")
    keys["sidecar_sha"] = put(
        root, _events(timestamp=1_700_000_000_002), kind="events", received_at=when
    )
    _sidecar(root, keys["sidecar_sha"], sha256="0" * 64)
    # An event batch rewritten in place, its sidecar made to agree: only the key disagrees.
    keys["events_key_hash"] = put(
        root, _events(timestamp=1_700_000_000_003), kind="events", received_at=when
    )
    altered = _events(timestamp=1_700_000_000_004)
    (root / keys["events_key_hash"]).write_bytes(altered)
    _sidecar(root, keys["events_key_hash"], sha256=rz.sha256_hex(altered), size=len(altered))
    # A plan stored under another plan's id.
    keys["plan_key_id"] = put(
        root,
        _plan("20000000-0000-4000-8000-000000000002"),
        kind="plan",
        received_at=when,
        plan_id="20000000-0000-4000-8000-000000000003",
    )

    def huge_name(doc: Any) -> None:
        doc["name"] = "n" * (9 * 1024 * 1024)

    keys["plan_huge_name"] = put(
        root,
        _plan("20000000-0000-4000-8000-000000000004", huge_name),
        kind="plan",
        received_at=when,
    )

    # The real agent's Delta MERGE plans name expressions they do not hold.
    def unresolved(doc: Any) -> None:
        doc["attributes"][4]["childRefs"] = [{"__exprId": "expr-missing"}]

    keys["plan_unresolved"] = put(
        root,
        _plan("20000000-0000-4000-8000-000000000005", unresolved),
        kind="plan",
        received_at=when,
    )
    # What a killed producer leaves: a hidden temporary beside the final name.
    temp = root / "events" / "date=2025-11-21" / f".{'a' * 64}.json.0a1b2c3d4e5f.tmp"
    temp.write_bytes(b'[{"planId": ')
    return Lake(root, keys, temp)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return _build_lake(tmp_path_factory.mktemp("hostile-lake"))


def _params(lake: Lake, out: Path, **overrides: Any) -> NormalizeParams:
    values: dict[str, Any] = {"max_bad_share": 0.9, "landed_before_ms": FAR_FUTURE_MS}
    values.update(overrides)
    return NormalizeParams(lake=str(lake.root), out=str(out), **values)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-build")


@pytest.fixture(scope="module")
def build(spark: Any, lake: Lake, out: Path) -> BuildResult:
    params = _params(lake, out)
    return run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), params)


def test_every_hostile_payload_is_quarantined_with_its_own_reason(
    build: BuildResult, lake: Lake
) -> None:
    k = lake.keys
    reasons = {e.key: e.reason.value for e in build.report.entries}
    assert reasons == {
        k["events_deep_extra"]: "limit_exceeded",
        k["plan_deep_params"]: "limit_exceeded",
        k["timestamp_2_63"]: "limit_exceeded",
        k["timestamp_negative"]: "limit_exceeded",
        k["received_yesterday"]: "invalid_metadata",
        k["sidecar_sha"]: "integrity_mismatch",
        k["events_key_hash"]: "key_mismatch",
        k["plan_key_id"]: "key_mismatch",
    }
    details = {e.key: e.detail for e in build.report.entries}
    assert "yesterday" in details[k["received_yesterday"]]
    assert "deeper than 64" in details[k["plan_deep_params"]]
    assert "20000000-0000-4000-8000-000000000002" in details[k["plan_key_id"]]


def test_the_rest_of_the_night_goes_on_and_temp_files_are_not_payloads(
    build: BuildResult, lake: Lake
) -> None:
    report = build.report
    assert report.read == len(lake.keys)  # the temporary file is neither read nor counted
    # The good plan and its events, the plan with a 9 MiB name, the plan with partial lineage.
    assert report.normalized == 4
    assert all(lake.temp.name not in e.key for e in report.entries)
    assert build.manifest.counts()["vertices"]["Run"] == 1


def test_a_plan_with_unresolved_references_is_normalized_and_named_partial(
    build: BuildResult, lake: Lake
) -> None:
    key = lake.keys["plan_unresolved"]
    assert [(e.key, e.reason.value) for e in build.report.partial] == [(key, "partial_lineage")]
    assert "expr expr-missing" in build.report.partial[0].detail
    doc = json.loads((Path(build.out) / "quarantine.json").read_text())
    assert doc["partial"] == [{"key": key, "detail": build.report.partial[0].detail}]


def test_a_9_mib_name_is_cut_with_a_marker_and_every_line_loadable(build: BuildResult) -> None:
    out = Path(build.out)
    longest = 0
    marked = False
    for path in sorted((out / "csv").rglob("*.csv")):
        for record in iter_records(path, allow_empty_strings=True):
            for prop in record.properties:
                for text in prop.values:
                    if isinstance(text, str):
                        longest = max(longest, len(text.encode()))
                        marked |= text.endswith(" bytes]") and "[cut: " in text
            assert len(record.id) <= limits.MAX_ID_CHARS
    assert marked
    assert longest <= limits.MAX_PROPERTY_BYTES


def test_a_failed_rebuild_leaves_no_stale_manifest(
    spark: Any, lake: Lake, build: BuildResult, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    shutil.copytree(build.out, out)  # a previous build, complete
    assert (out / "manifest.json").exists()
    strict = _params(lake, out, max_bad_share=0.0)
    with pytest.raises(TooManyBadPayloadsError):
        run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), strict)
    assert not (out / "manifest.json").exists() and not (out / "run-info.json").exists()
    assert (out / "quarantine.json").exists()
    assert not list(out.rglob("*.csv"))


class _BrokenLake(LocalStore):
    """A raw zone that fails while being listed (S3 gone mid-run, a disk error)."""

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        raise StorageError(f"cannot list {self.path}/{prefix}: Input/output error")


def test_a_rebuild_that_dies_removes_the_previous_manifest_first(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    (out / "csv" / "vertices").mkdir(parents=True)
    (out / "manifest.json").write_text("{}")
    (out / "run-info.json").write_text("{}")
    (out / "csv" / "vertices" / "Job-00000.csv").write_text("~id,~label\n")
    with pytest.raises(StorageError):
        run_normalize(spark, _BrokenLake(str(lake.root)), LocalStore(str(out)), _params(lake, out))
    assert not (out / "manifest.json").exists() and not (out / "run-info.json").exists()


@pytest.mark.parametrize("stray", ["notes.txt", "csv/mine.csv", "csv/vertices/keep.csv"])
def test_an_output_folder_holding_other_files_is_refused_and_left_alone(
    spark: Any, lake: Lake, tmp_path: Path, stray: str
) -> None:
    out = tmp_path / "build"
    (out / stray).parent.mkdir(parents=True, exist_ok=True)
    (out / stray).write_text("mine")
    (out / "manifest.json").write_text("{}")
    with pytest.raises(OutputFolderError, match=stray):
        run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), _params(lake, out))
    assert (out / stray).read_text() == "mine"
    assert (out / "manifest.json").exists()  # refused before touching anything


def test_verify_skip_rerun_names_payloads_a_build_trusted_against_their_key(
    build: BuildResult, lake: Lake, tmp_path: Path
) -> None:
    from glue_jobs.audit import run_verify
    from lineage.verification import Outcome, Problem

    def no_spark() -> Any:
        raise AssertionError("--skip-rerun must not start Spark")

    # Quarantined tampering is the build being right: nothing to report.
    assert run_verify(no_spark, str(lake.root), build.out, rerun=False).outcome is Outcome.VERIFIED

    # What an older build that trusted the bytes would look like: a normalized event batch
    # rewritten in place, its sidecar and the manifest's record made to agree with it.
    root, out = tmp_path / "lake", tmp_path / "build"
    shutil.copytree(lake.root, root)
    shutil.copytree(build.out, out)
    key = lake.keys["good_events"]
    body = (root / key).read_bytes().replace(b"}", b" }", 1)
    (root / key).write_bytes(body)
    _sidecar(root, key, sha256=rz.sha256_hex(body), size=len(body))
    manifest = json.loads((out / "manifest.json").read_text())
    for item in manifest["inputs"]:
        data = (root / item["key"]).read_bytes()
        item["size"], item["sha256"] = len(data), rz.sha256_hex(data)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    report = run_verify(no_spark, str(root), str(out), rerun=False)
    assert [(f.problem, f.key) for f in report.findings] == [(Problem.INCONSISTENT, key)]
    assert report.outcome is Outcome.RAW_ZONE_DIFFERS
