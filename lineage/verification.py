"""Comparing a build's manifest with what the raw zone and a re-run show now.

Pure functions over manifest records: the caller reads the objects and re-runs the job; this
module decides what differs and how bad it is. Every finding names the object by its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from lineage.errors import LineageError
from lineage.integrity import IntegrityError, check_payload
from lineage.manifest import InputObject, Manifest, OutputFile, Param
from lineage.quarantine import QuarantineReport, TooManyBadPayloadsError
from lineage.raw_zone_layout import RawObjectMetadata, RawZoneKeyError

__all__ = [
    "Area",
    "Finding",
    "Outcome",
    "Problem",
    "VerificationReport",
    "VerifyError",
    "compare_inputs",
    "compare_outputs",
    "integrity_finding",
    "observe",
    "parameter_differences",
    "raw_zone_findings",
    "rerun_findings",
    "same_manifest",
    "unexpected_keys",
]


class VerifyError(LineageError):
    """The build cannot be verified at all (unreadable manifest, lake or layer rules)."""


class Area(StrEnum):
    """Where a difference was seen."""

    RAW_ZONE = "raw zone"  # the inputs the manifest names, and objects it should have named
    BUILD = "build"  # the files in the build folder, against the manifest
    RERUN = "re-run"  # the outputs of the normalization re-run now, against the manifest


class Outcome(StrEnum):
    """What a verification concludes; `lineage verify` gives each its exit code."""

    VERIFIED = "verified"
    RAW_ZONE_DIFFERS = "raw zone differs"  # a changed record comes first, whatever else differs
    OUTPUTS_DIFFER = "outputs differ"  # the raw zone matches, the build or the re-run does not
    OUTPUTS_DIFFER_CODE_CHANGED = "outputs differ, code changed"  # as above, under other code


class Problem(StrEnum):
    """What kind of difference."""

    ALTERED = "altered"  # present, but other bytes than recorded
    MISSING = "missing"  # recorded, but absent
    UNEXPECTED = "unexpected"  # present where the build would have named it, but not named
    FAILED = "failed"  # under the build's parameters the re-run would fail (too many bad payloads)
    INCONSISTENT = "inconsistent"  # the bytes disagree with their sidecar or their key


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One difference, naming the object by its key (or output path)."""

    area: Area
    problem: Problem
    key: str
    detail: str


def observe(key: str, data: bytes) -> InputObject:
    """The manifest record of `data` stored under `key` (size and SHA-256)."""
    return InputObject(key, len(data), hashlib.sha256(data).hexdigest())


def _short(sha: str) -> str:
    return sha[:12]


def _difference(size: tuple[int, int], sha: tuple[str, str]) -> str:
    parts = []
    if size[0] != size[1]:
        parts.append(f"size {size[0]} -> {size[1]}")
    parts.append(f"sha256 {_short(sha[0])}… -> {_short(sha[1])}…")
    return ", ".join(parts)


def compare_inputs(
    expected: Iterable[InputObject], observed: Mapping[str, InputObject]
) -> list[Finding]:
    """Altered and missing raw-zone objects: `observed` holds what was read now, by key."""
    findings = []
    for want in expected:
        got = observed.get(want.key)
        if got is None:
            findings.append(
                Finding(Area.RAW_ZONE, Problem.MISSING, want.key, "named by the manifest, absent")
            )
        elif (got.size, got.sha256) != (want.size, want.sha256):
            detail = _difference((want.size, got.size), (want.sha256, got.sha256))
            findings.append(Finding(Area.RAW_ZONE, Problem.ALTERED, want.key, detail))
    return sorted(findings)


def raw_zone_findings(
    expected: Iterable[InputObject],
    observed: Mapping[str, InputObject],
    inconsistent: Iterable[Finding],
) -> list[Finding]:
    """Altered and missing inputs, then the payloads that disagree with their sidecar or key.

    Same bytes as at build time is not enough: they must also be what was acknowledged. An
    object already altered or missing gets no second finding (one finding per object).
    """
    findings = compare_inputs(expected, observed)
    seen = {f.key for f in findings}
    return findings + [f for f in inconsistent if f.key not in seen]


def integrity_finding(key: str, body: bytes, sidecar: bytes) -> Finding | None:
    """A finding when a payload's bytes disagree with its sidecar or key (`lineage.integrity`).

    A build that normalized such a payload trusted altered bytes; the caller leaves out the
    payloads the build quarantined.
    """
    try:
        check_payload(key, body, RawObjectMetadata.from_json(sidecar))
    except (IntegrityError, RawZoneKeyError) as exc:
        return Finding(Area.RAW_ZONE, Problem.INCONSISTENT, key, str(exc))
    return None


def unexpected_keys(named: Iterable[str], selected: Iterable[str]) -> list[Finding]:
    """Raw-zone objects a selection reads now (`selected`) that the build did not name."""
    known = set(named)
    return sorted(
        Finding(
            Area.RAW_ZONE,
            Problem.UNEXPECTED,
            key,
            "in the build's selection now, not named by its manifest",
        )
        for key in set(selected) - known
    )


def parameter_differences(
    recorded: Mapping[str, object], rebuilt: Mapping[str, object]
) -> list[str]:
    """One line per parameter whose reconstruction differs from what the build recorded."""
    differing = sorted(
        k for k in rebuilt.keys() | recorded.keys() if rebuilt.get(k) != recorded.get(k)
    )
    return [f"{k}: recorded {recorded.get(k)!r}, here {rebuilt.get(k)!r}" for k in differing]


def compare_outputs(
    expected: Iterable[OutputFile], actual: Iterable[OutputFile], area: Area
) -> list[Finding]:
    """Output files by path: altered (other bytes), missing, unexpected (not in the manifest)."""
    want = {o.path: o for o in expected}
    have = {o.path: o for o in actual}
    findings = []
    for path, out in want.items():
        got = have.get(path)
        if got is None:
            findings.append(Finding(area, Problem.MISSING, path, "in the manifest, not written"))
        elif (got.size, got.sha256) != (out.size, out.sha256):
            detail = _difference((out.size, got.size), (out.sha256, got.sha256))
            findings.append(Finding(area, Problem.ALTERED, path, detail))
    for path in have.keys() - want.keys():
        findings.append(Finding(area, Problem.UNEXPECTED, path, "not in the manifest"))
    return sorted(findings)


def rerun_findings(
    manifest: Manifest,
    rerun: Manifest,
    rerun_report: QuarantineReport,
    quarantined: Iterable[str],
    max_bad_share: float,
    quarantine_file: str,
) -> list[Finding]:
    """What a re-run that went to the end shows against the build's manifest.

    Its outputs compared with the recorded ones; the raw objects it selected that the build did
    not name (neither as input nor in its quarantine report, `quarantined`); and whether the
    recorded `max_bad_share` would now refuse the run (reported against `quarantine_file`).
    """
    findings = compare_outputs(manifest.outputs, rerun.outputs, Area.RERUN)
    named = {i.key for i in manifest.inputs} | set(quarantined)
    selected = {i.key for i in rerun.inputs} | {e.key for e in rerun_report.entries}
    findings += unexpected_keys(named, selected)
    try:
        rerun_report.check_share(max_bad_share)
    except TooManyBadPayloadsError as exc:
        findings.append(Finding(Area.RERUN, Problem.FAILED, quarantine_file, str(exc)))
    return findings


def same_manifest(rerun: Manifest, parameters: Mapping[str, Param], recorded: bytes) -> bool:
    """The re-run's manifest, with the build's own parameters, has the recorded bytes.

    The re-run runs with a tolerant share limit, so its parameters are put back first.
    """
    return replace(rerun, parameters=parameters).to_json() == recorded


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The outcome of one verification: what was checked and every difference found."""

    manifest: Manifest
    current_code_version: str
    inputs_checked: int
    outputs_checked: int
    rerun: bool
    manifest_identical: bool | None  # the re-run's manifest.json has the build's bytes
    findings: tuple[Finding, ...]

    @property
    def code_changed(self) -> bool:
        """The code running now is not the code that made the build."""
        return self.current_code_version != self.manifest.code_version

    @property
    def ok(self) -> bool:
        """No difference at all."""
        return not self.findings

    def of(self, area: Area) -> list[Finding]:
        """The findings of one area."""
        return [f for f in self.findings if f.area is area]

    @property
    def outcome(self) -> Outcome:
        """The conclusion: raw zone first, then outputs (with or without a code change)."""
        if self.of(Area.RAW_ZONE):
            return Outcome.RAW_ZONE_DIFFERS
        if self.findings:
            if self.code_changed:
                return Outcome.OUTPUTS_DIFFER_CODE_CHANGED
            return Outcome.OUTPUTS_DIFFER
        return Outcome.VERIFIED
