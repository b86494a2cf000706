"""Verify a build against the raw zone: recorded input hashes, then a re-run compared file-wise."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glue_jobs.normalize import NormalizeParams, run_normalize
from glue_jobs.storage import LocalStore, StorageError, Store
from lineage.dataset_identity import LayerRules
from lineage.errors import LineageError
from lineage.manifest import MANIFEST_FILE, Difference, Manifest, compare
from lineage.quarantine import TooManyBadPayloadsError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["VerifyError", "VerifyResult", "params_from_manifest", "verify_build"]


class VerifyError(LineageError):
    """The build cannot be verified at all (no manifest, rules that do not match)."""


@dataclass(frozen=True)
class VerifyResult:
    """The differences found; empty means the build is exactly what the raw zone gives."""

    manifest: Manifest
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences


def params_from_manifest(
    manifest: Manifest, lake: str, out: str, rules: LayerRules, rules_source: str
) -> NormalizeParams:
    """The parameters a build was made with (locations are the caller's: a copied lake works)."""
    p = manifest.parameters

    def date(name: str) -> dt.date | None:
        value = p.get(name)
        return dt.date.fromisoformat(str(value)) if value else None

    def integer(name: str) -> int | None:
        value = p.get(name)
        return int(value) if value is not None else None

    params = NormalizeParams(
        lake=lake,
        out=out,
        date_from=date("date_from"),
        date_to=date("date_to"),
        max_bad_share=float(p.get("max_bad_share") or 0.05),
        gzip=bool(p.get("gzip")),
        target_file_bytes=int(p.get("target_file_bytes") or 64 * 1024 * 1024),
        layer_rules=rules,
        layer_rules_source=str(p.get("layer_rules") or rules_source),
        as_of_ms=integer("as_of_ms"),
        landed_before_ms=integer("landed_before_ms"),
    )
    recorded = p.get("layer_rules_sha256")
    if recorded and params.manifest_parameters()["layer_rules_sha256"] != recorded:
        raise VerifyError(
            f"the layer rules given ({rules_source}) are not the ones the build used "
            f"({p.get('layer_rules')}); pass the same file with --layer-rules"
        )
    return params


def verify_build(
    spark: SparkSession,
    lake: Store,
    build: Store,
    rules: LayerRules | None = None,
    rules_source: str = "default",
) -> VerifyResult:
    """Check every recorded input's bytes, re-run the normalization, and compare the outputs."""
    try:
        manifest = Manifest.from_json(build.read(MANIFEST_FILE), f"{build.root}/{MANIFEST_FILE}")
    except StorageError as exc:
        raise VerifyError(f"{build.root} has no readable {MANIFEST_FILE}: {exc}") from exc
    found: dict[tuple[str, str], Difference] = {}
    # 1. The recorded inputs, byte for byte.
    for item in manifest.inputs:
        try:
            data = lake.read(item.key)
        except StorageError:
            found[("missing", item.key)] = Difference("missing", item.key, "not in the raw zone")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if (digest, len(data)) != (item.sha256, item.size):
            found[("altered", item.key)] = Difference(
                "altered",
                item.key,
                f"sha256 {item.sha256[:16]}… ({item.size} B) is now {digest[:16]}… ({len(data)} B)",
            )
    # 2. The recorded outputs are still what the manifest says.
    for out in manifest.outputs:
        try:
            data = build.read(out.path)
        except StorageError:
            found[("output_missing", out.path)] = Difference(
                "output_missing", out.path, "listed in the manifest, not in the build"
            )
            continue
        if hashlib.sha256(data).hexdigest() != out.sha256:
            found[("output_altered", out.path)] = Difference(
                "output_altered", out.path, "the build's file no longer matches its manifest"
            )
    # 3. A re-run with the same parameters must give the same manifest.
    with tempfile.TemporaryDirectory(prefix="lineage-verify-") as scratch:
        params = params_from_manifest(
            manifest, lake.root, scratch, rules or LayerRules.default(), rules_source
        )
        try:
            again = run_normalize(spark, lake, LocalStore(scratch), params).manifest
        except TooManyBadPayloadsError as exc:
            found[("rerun_failed", MANIFEST_FILE)] = Difference(
                "rerun_failed", MANIFEST_FILE, str(exc)
            )
        else:
            for diff in compare(manifest, again):
                found.setdefault((diff.kind, diff.name), diff)
    return VerifyResult(manifest, tuple(sorted(found.values())))
