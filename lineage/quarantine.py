"""Quarantine: why a raw payload was not normalized, and the report that lists every such payload.

Bad payloads never stop a rebuild; each is listed with its key and a precise reason, and the counts
reconcile: payloads read = normalized + quarantined (+ excluded by an as-of selection).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import orjson

from lineage import column_lineage as cl
from lineage import integrity
from lineage import spline as sm
from lineage.errors import LineageError
from lineage.graph_schema import GraphModelError
from lineage.raw_zone_layout import InvalidMetadataError

__all__ = [
    "QuarantineEntry",
    "QuarantineReport",
    "Reason",
    "TooManyBadPayloadsError",
    "classify",
]


class Reason(StrEnum):
    """Why a payload is quarantined."""

    UNPARSABLE = "unparsable"  # not UTF-8 / not JSON
    INVALID_PAYLOAD = "invalid_payload"  # JSON, but not a Spline plan/event (missing field, type)
    DANGLING_REFERENCE = "dangling_reference"  # an id that the plan does not define
    CYCLE = "cycle"  # operations or attribute/expression references form a cycle
    UNKNOWN_VERSION = "unknown_version"  # sidecar names no producer API version we read
    MISSING_METADATA = "missing_metadata"  # no (or unreadable) sidecar beside the payload
    UNREPRESENTABLE = "unrepresentable"  # e.g. a relative dataset location
    DUPLICATE_PLAN = "duplicate_plan"  # other bytes under a plan id already normalized
    ORPHAN_EVENTS = "orphan_events"  # events name plans that are not in the raw zone
    PLAN_QUARANTINED = "plan_quarantined"  # events of a plan that was itself quarantined
    UNKNOWN_KEY = "unknown_key"  # an object under plans/ or events/ the layout does not produce
    INVALID_METADATA = "invalid_metadata"  # a sidecar field of the wrong type or form
    INTEGRITY_MISMATCH = "integrity_mismatch"  # the bytes differ from the sidecar's sha256/size
    KEY_MISMATCH = "key_mismatch"  # the body differs from its key (events: sha256; plans: id)
    LIMIT_EXCEEDED = "limit_exceeded"  # beyond lineage.limits (nesting, integer or time range)
    NORMALIZE_FAILED = "normalize_failed"  # any other error while normalizing this one payload
    # Not a quarantine: normalized, but some columns' lineage is missing (listed under "partial")
    PARTIAL_LINEAGE = "partial_lineage"


class TooManyBadPayloadsError(LineageError):
    """More payloads were quarantined than the configured share allows."""


@dataclass(frozen=True, slots=True, order=True)
class QuarantineEntry:
    """One quarantined payload: its raw-zone key, the reason, and a detail naming the problem."""

    key: str
    reason: Reason
    detail: str


def classify(exc: Exception) -> tuple[Reason, str]:
    """The reason and detail for any exception raised while reading, checking or normalizing
    one payload."""
    detail = str(exc)
    if isinstance(exc, integrity.SidecarMismatchError):
        return Reason.INTEGRITY_MISMATCH, detail
    if isinstance(exc, integrity.KeyMismatchError):
        return Reason.KEY_MISMATCH, detail
    if isinstance(exc, InvalidMetadataError):
        return Reason.INVALID_METADATA, detail
    if isinstance(exc, sm.MalformedJsonError):
        return Reason.UNPARSABLE, detail
    if isinstance(exc, sm.DanglingReferenceError):
        return Reason.DANGLING_REFERENCE, detail
    if isinstance(exc, cl.PlanCycleError):
        return Reason.CYCLE, detail
    if isinstance(exc, sm.InvalidValueError) and "cycle" in exc.problem:
        return Reason.CYCLE, detail
    if isinstance(exc, sm.LimitExceededError):
        return Reason.LIMIT_EXCEEDED, detail
    if isinstance(exc, sm.UnsupportedContentTypeError):
        return Reason.UNKNOWN_VERSION, detail
    if isinstance(exc, sm.PayloadError):
        return Reason.INVALID_PAYLOAD, detail
    if isinstance(exc, GraphModelError):
        return Reason.UNREPRESENTABLE, detail
    # Whatever else one payload raises quarantines that payload only; the type names the bug.
    return Reason.NORMALIZE_FAILED, f"{type(exc).__name__}: {detail}"[:2000]


@dataclass(frozen=True, slots=True)
class QuarantineReport:
    """All quarantined payloads of one rebuild, and the reconciliation of the counts."""

    read: int
    normalized: int
    excluded: int
    entries: tuple[QuarantineEntry, ...]
    # Normalized plans whose lineage is partial (references the plan does not define).
    partial: tuple[QuarantineEntry, ...] = ()

    @classmethod
    def build(
        cls,
        read: int,
        normalized: int,
        excluded: int,
        entries: Iterable[QuarantineEntry],
        partial: Iterable[QuarantineEntry] = (),
    ) -> QuarantineReport:
        """A report with entries sorted by key; checks that the counts reconcile."""
        ordered = tuple(sorted(entries))
        if read != normalized + len(ordered) + excluded:
            raise LineageError(
                f"counts do not reconcile: read {read} != normalized {normalized} + "
                f"quarantined {len(ordered)} + excluded {excluded}"
            )
        return cls(read, normalized, excluded, ordered, tuple(sorted(partial)))

    @property
    def quarantined(self) -> int:
        """How many payloads are quarantined."""
        return len(self.entries)

    def by_reason(self) -> dict[str, int]:
        """Counts per reason, sorted by reason."""
        return dict(sorted(Counter(e.reason.value for e in self.entries).items()))

    def check_share(self, max_bad_share: float) -> None:
        """Raise TooManyBadPayloadsError when the quarantined share exceeds `max_bad_share`."""
        considered = self.read - self.excluded
        if considered and self.quarantined / considered > max_bad_share:
            raise TooManyBadPayloadsError(
                f"{self.quarantined} of {considered} payloads quarantined "
                f"({self.quarantined / considered:.1%}), more than the allowed "
                f"{max_bad_share:.1%}; by reason: {self.by_reason()}"
            )

    def to_json(self) -> bytes:
        """Deterministic JSON (sorted keys, entries by key)."""
        doc = {
            "counts": {
                "read": self.read,
                "normalized": self.normalized,
                "quarantined": self.quarantined,
                "excluded": self.excluded,
            },
            "by_reason": self.by_reason(),
            "entries": [
                {"key": e.key, "reason": e.reason.value, "detail": e.detail} for e in self.entries
            ],
        }
        if self.partial:  # absent when empty: reports of complete builds keep their bytes
            doc["partial"] = [{"key": e.key, "detail": e.detail} for e in self.partial]
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
