"""What determines a build's output: the job's parameters, recorded in the manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from lineage.dataset_identity import LayerRules

__all__ = ["NormalizeParams"]


@dataclass(frozen=True)
class NormalizeParams:
    """Everything that determines a build's output (recorded in the manifest)."""

    lake: str
    out: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    max_bad_share: float = 0.05
    gzip: bool = False
    target_file_bytes: int = 64 * 1024 * 1024
    layer_rules: LayerRules = field(default_factory=LayerRules.default)
    layer_rules_source: str = "default"
    # A build as of a past instant: only executions whose event time is <= this.
    as_of_ms: int | None = None
    # A build as the lake stood at a past instant: only payloads received before this.
    landed_before_ms: int | None = None
    # A delta build: its parent's manifest (SHA-256) and cut-off (glue_jobs/normalize/delta.py).
    since_manifest_sha256: str | None = None
    since_landed_before_ms: int | None = None

    def manifest_parameters(self) -> dict[str, str | int | float | bool | None]:
        """Parameters that shape the output (locations excluded: a copied lake builds the same)."""
        since: dict[str, str | int | float | bool | None] = (
            {
                "since_manifest_sha256": self.since_manifest_sha256,
                "since_landed_before_ms": self.since_landed_before_ms,
            }
            if self.since_manifest_sha256 is not None
            else {}  # absent from full builds: their manifests keep their bytes
        )
        return since | {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "max_bad_share": self.max_bad_share,
            "gzip": self.gzip,
            "target_file_bytes": self.target_file_bytes,
            "layer_rules": self.layer_rules_source,
            "layer_rules_sha256": hashlib.sha256(repr(self.layer_rules).encode()).hexdigest(),
            "as_of_ms": self.as_of_ms,
            "landed_before_ms": self.landed_before_ms,
        }
