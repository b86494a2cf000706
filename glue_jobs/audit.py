"""Verifying a build against the raw zone: re-read what its manifest names, re-run the job.

The build's `manifest.json` names every raw object the build read (key, size, SHA-256), the
parameters and the code version. `run_verify` re-reads those objects, re-runs the normalization
with the recorded parameters into a temporary folder, and hands what it saw to the pure
comparison in `lineage.verification`, which decides what differs. `lineage verify` prints it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from glue_jobs.normalize import QUARANTINE_FILE, NormalizeParams, run_normalize
from glue_jobs.normalize.delta import run_delta
from lineage.dataset_identity import LayerRules
from lineage.delta_selection import DeltaError
from lineage.delta_state import FullRebuildNeededError
from lineage.manifest import (
    MANIFEST_FILE,
    RUN_INFO_FILE,
    InputObject,
    Manifest,
    OutputFile,
    code_fingerprint,
)
from lineage.raw_zone_layout import EVENTS_PREFIX, PLANS_PREFIX, SIDECAR_SUFFIX
from lineage.store import RawZoneStore, StorageError
from lineage.verification import (
    Area,
    Finding,
    VerificationReport,
    VerifyError,
    compare_outputs,
    integrity_finding,
    observe,
    parameter_differences,
    raw_zone_findings,
    rerun_findings,
    same_manifest,
)
from stores import LocalStore, open_store

__all__ = ["Progress", "VerifyError", "params_from_manifest", "read_manifest", "run_verify"]

Progress = Callable[[str], None]
_READERS = 16  # parallel reads: S3 latency, not CPU, bounds reading many small objects


def _quiet(_: str) -> None:
    return None


def read_manifest(build: RawZoneStore) -> tuple[Manifest, bytes]:
    """The build's manifest and its exact bytes."""
    try:
        raw = build.read(MANIFEST_FILE)
    except StorageError as exc:
        raise VerifyError(f"no readable {MANIFEST_FILE} in {build.root}: {exc}") from exc
    return Manifest.from_json(raw, f"{build.root}/{MANIFEST_FILE}"), raw


def _layer_rules(recorded: str, override: Path | None) -> LayerRules:
    if override is not None:
        return LayerRules.from_file(override)
    if recorded == "default":
        return LayerRules.default()
    # Read the way the job read them (a local path or an s3:// URI, see glue_jobs.entrypoint).
    root, _, name = recorded.rpartition("/")
    try:
        raw = open_store(root or ".").read(name)
    except StorageError as exc:
        raise VerifyError(
            f"the build used layer rules {recorded!r}, which are not readable here ({exc}): "
            "pass the same file with --layer-rules"
        ) from exc
    return LayerRules.from_json_bytes(raw, recorded)


def params_from_manifest(
    manifest: Manifest, lake: str, out: str, layer_rules: Path | None = None
) -> NormalizeParams:
    """The job parameters the build recorded, for a run from `lake` into `out`.

    The reconstruction is checked: its `manifest_parameters()` must equal the recorded ones, so
    a parameter this code does not know (or layer rules with other content) is an error.
    """
    p = manifest.parameters
    try:
        date_from, date_to = p.get("date_from"), p.get("date_to")
        params = NormalizeParams(
            lake=lake,
            out=out,
            date_from=dt.date.fromisoformat(str(date_from)) if date_from else None,
            date_to=dt.date.fromisoformat(str(date_to)) if date_to else None,
            max_bad_share=float(p["max_bad_share"]),  # type: ignore[arg-type]
            gzip=bool(p["gzip"]),
            target_file_bytes=int(p["target_file_bytes"]),  # type: ignore[arg-type]
            layer_rules=_layer_rules(str(p["layer_rules"]), layer_rules),
            layer_rules_source=str(p["layer_rules"]),
            as_of_ms=int(p["as_of_ms"]) if p.get("as_of_ms") is not None else None,  # type: ignore[arg-type]
            landed_before_ms=(
                int(p["landed_before_ms"])  # type: ignore[arg-type]
                if p.get("landed_before_ms") is not None
                else None
            ),
            since_manifest_sha256=(
                str(p["since_manifest_sha256"]) if p.get("since_manifest_sha256") else None
            ),
            since_landed_before_ms=(
                int(p["since_landed_before_ms"])  # type: ignore[arg-type]
                if p.get("since_landed_before_ms") is not None
                else None
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyError(f"the manifest's parameters cannot be read: {exc!r}") from exc
    differing = parameter_differences(p, params.manifest_parameters())
    if differing:
        raise VerifyError(f"cannot reproduce the build's parameters ({', '.join(differing)})")
    return params


def _read_inputs(
    lake: RawZoneStore, expected: Iterable[InputObject], quarantined: set[str], progress: Progress
) -> tuple[dict[str, InputObject], list[Finding]]:
    """What the named objects are now, by key (absent keys are left out), and the payloads
    among them that disagree with their sidecar or key (unless the build quarantined them)."""
    present: set[str] = set()
    try:
        for prefix in (PLANS_PREFIX, EVENTS_PREFIX):
            present.update(key for key, _ in lake.list(prefix))
    except StorageError as exc:
        raise VerifyError(f"cannot list the raw zone: {exc}") from exc
    keys = [i.key for i in expected if i.key in present]
    progress(f"hashing {len(keys)} raw objects in {lake.root}")

    def one(key: str) -> tuple[InputObject, Finding | None]:
        try:
            data = lake.read(key)
            sidecar = key + SIDECAR_SUFFIX
            if key.endswith(SIDECAR_SUFFIX) or key in quarantined or sidecar not in present:
                return observe(key, data), None
            return observe(key, data), integrity_finding(key, data, lake.read(sidecar))
        except StorageError as exc:  # listed a moment ago: a read failure is not "missing"
            raise VerifyError(str(exc)) from exc

    with ThreadPoolExecutor(_READERS) as pool:
        results = list(pool.map(one, keys))
    return {o.key: o for o, _ in results}, sorted(f for _, f in results if f is not None)


def _build_files(build: RawZoneStore) -> list[OutputFile]:
    """Every file of the build folder except the manifest and the wall-clock run info."""
    found = []
    try:
        for key, _ in build.list(""):
            if key not in (MANIFEST_FILE, RUN_INFO_FILE):
                seen = observe(key, build.read(key))  # one file in memory at a time
                found.append(OutputFile(key, "", "", 0, seen.size, seen.sha256))
    except StorageError as exc:
        raise VerifyError(f"cannot read the build: {exc}") from exc
    return found


def _quarantined_keys(build: RawZoneStore) -> set[str]:
    """Keys the build's quarantine report lists (unknown keys are named only there)."""
    try:
        doc = orjson.loads(build.read(QUARANTINE_FILE))
        return {str(e["key"]) for e in doc["entries"]}
    except (StorageError, orjson.JSONDecodeError, KeyError, TypeError):
        return set()  # a missing or altered report is itself a build finding


def _parent_of(manifest: Manifest, build: str, parent: str | None) -> RawZoneStore | None:
    """The parent build of a delta (checked against the sha the delta names), else None."""
    named = manifest.parameters.get("since_manifest_sha256")
    if named is None:
        if parent is not None:
            raise VerifyError(f"{build} is a full build: it has no parent, {parent} precedes it")
        return None
    if parent is None:
        raise VerifyError(
            f"{build} is a delta build: give the chain, its parent's --build before it"
        )
    store = open_store(parent)
    _, raw = read_manifest(store)
    if hashlib.sha256(raw).hexdigest() != named:
        raise VerifyError(
            f"{build} was built on a parent whose manifest has SHA-256 {str(named)[:16]}…, "
            f"not {parent}'s"
        )
    return store


def run_verify(
    spark: Callable[[], Any],
    lake: str,
    build: str,
    *,
    layer_rules: Path | None = None,
    rerun: bool = True,
    parent: str | None = None,
    progress: Progress = _quiet,
) -> VerificationReport:
    """Verify the build folder `build` against the raw zone `lake`.

    `spark` gives the SparkSession for the re-run; it is called only when one is needed, after
    the manifest and its parameters proved readable. A delta build is re-run from `parent`, the
    build before it in its chain (whose manifest must be the one the delta names).
    """
    lake_store, build_store = open_store(lake), open_store(build)
    manifest, manifest_bytes = read_manifest(build_store)
    # Parameters first: a build this code cannot re-run fails before any reading.
    params = params_from_manifest(manifest, lake, "", layer_rules) if rerun else None
    parent_store = _parent_of(manifest, build, parent)

    quarantined = _quarantined_keys(build_store)
    observed, inconsistent = _read_inputs(lake_store, manifest.inputs, quarantined, progress)
    findings = raw_zone_findings(manifest.inputs, observed, inconsistent)

    progress(f"comparing the files of {build_store.root} with the manifest")
    findings += compare_outputs(manifest.outputs, _build_files(build_store), Area.BUILD)

    identical: bool | None = None
    if params is not None:
        with tempfile.TemporaryDirectory(prefix="lineage-verify-") as tmp:
            # The share check only decides whether a run fails, never what it writes: run to
            # the end whatever is bad now, then apply the recorded limit in the comparison.
            tolerant = replace(params, out=tmp, max_bad_share=1.0)
            progress(f"re-running the normalization into {tmp}")
            try:
                again = (
                    run_normalize(spark(), lake_store, LocalStore(tmp), tolerant, progress)
                    if parent_store is None
                    else run_delta(
                        spark(), lake_store, parent_store, LocalStore(tmp), tolerant, progress
                    )
                )
            except StorageError as exc:
                raise VerifyError(f"the re-run could not read or write: {exc}") from exc
            except (DeltaError, FullRebuildNeededError) as exc:
                raise VerifyError(f"the delta cannot be re-run: {exc}") from exc
            findings += rerun_findings(
                manifest,
                again.manifest,
                again.report,
                quarantined,
                params.max_bad_share,
                QUARANTINE_FILE,
            )
            identical = same_manifest(again.manifest, params.manifest_parameters(), manifest_bytes)
    return VerificationReport(
        manifest=manifest,
        current_code_version=code_fingerprint(["lineage", "glue_jobs"]),
        inputs_checked=len(manifest.inputs),
        outputs_checked=len(manifest.outputs),
        rerun=rerun,
        manifest_identical=identical,
        findings=tuple(sorted(findings)),
    )
