"""Quarantine: what became of each raw payload, why one was not normalized, and the report.

Bad payloads never stop a rebuild; each is listed with its key and a precise reason, and the counts
reconcile: payloads read = normalized + quarantined (+ excluded by an as-of selection). The job
records one `PayloadStatus` per payload it read; `reconcile` settles the event batches by the fate
of their plans and turns the statuses into the report and the manifest's list of inputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import orjson

from lineage import column_lineage as cl
from lineage import integrity
from lineage import spline as sm
from lineage.errors import LineageError
from lineage.graph_schema import GraphModelError
from lineage.manifest import InputObject
from lineage.raw_zone_layout import InvalidMetadataError, parse_raw_key

__all__ = [
    "Accounts",
    "EventBatch",
    "Outcome",
    "PayloadStatus",
    "QuarantineEntry",
    "QuarantineReport",
    "QuarantinedError",
    "Reason",
    "TooManyBadPayloadsError",
    "classify",
    "reconcile",
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
    # Not a quarantine either: normalized, and how an odd input was read (listed under "notes")
    NOTED = "noted"


class TooManyBadPayloadsError(LineageError):
    """More payloads were quarantined than the configured share allows."""


class QuarantinedError(LineageError):
    """One payload is refused for a known reason (raised by the job, read by `classify`)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


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
    if isinstance(exc, QuarantinedError):
        return exc.reason, exc.detail
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
    # Normalized plans with a note on how odd input was read (one entry per note).
    notes: tuple[QuarantineEntry, ...] = ()

    @classmethod
    def build(
        cls,
        read: int,
        normalized: int,
        excluded: int,
        entries: Iterable[QuarantineEntry],
        partial: Iterable[QuarantineEntry] = (),
        notes: Iterable[QuarantineEntry] = (),
    ) -> QuarantineReport:
        """A report with entries sorted by key; checks that the counts reconcile."""
        ordered = tuple(sorted(entries))
        if read != normalized + len(ordered) + excluded:
            raise LineageError(
                f"counts do not reconcile: read {read} != normalized {normalized} + "
                f"quarantined {len(ordered)} + excluded {excluded}"
            )
        return cls(
            read, normalized, excluded, ordered, tuple(sorted(partial)), tuple(sorted(notes))
        )

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
        if self.notes:  # absent when empty, like `partial`
            doc["notes"] = [{"key": e.key, "detail": e.detail} for e in self.notes]
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


class Outcome(StrEnum):
    """What became of one payload the job looked at."""

    NOT_LANDED = "not_landed"  # received after the build's --landed-before: outside the build
    PARSED = "parsed"  # an event batch that was read; its plans decide what it becomes
    NORMALIZED = "normalized"
    EXCLUDED = "excluded"  # read and judged, but left out by an as-of selection
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class PayloadStatus:
    """The fate of one payload, with every raw object read for it (payload, sidecar).

    A quarantined status has a `reason` and `detail`; a normalized plan has its `plan_id`, its
    number of `runs`, and `partial` naming the references it lacked, if any.
    """

    key: str
    outcome: Outcome
    inputs: tuple[InputObject, ...] = ()
    reason: Reason | None = None
    detail: str = ""
    plan_id: str | None = None
    runs: int = 0
    partial: str | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def quarantined(
        cls, key: str, exc: Exception, inputs: Iterable[InputObject] = ()
    ) -> PayloadStatus:
        """The status of a payload that `exc` stopped (any exception: one payload, one fate)."""
        reason, detail = classify(exc)
        return cls(key, Outcome.QUARANTINED, tuple(inputs), reason, detail)

    def to_json(self) -> bytes:
        """Compact JSON, for the trip between Spark tasks and the driver."""
        doc: dict[str, Any] = {
            "key": self.key,
            "outcome": self.outcome.value,
            "inputs": [[i.key, i.size, i.sha256] for i in self.inputs],
            "reason": None if self.reason is None else self.reason.value,
            "detail": self.detail,
            "plan_id": self.plan_id,
            "runs": self.runs,
            "partial": self.partial,
            "notes": list(self.notes),
        }
        return orjson.dumps(doc)

    @classmethod
    def from_json(cls, raw: bytes | str) -> PayloadStatus:
        """Read what `to_json` wrote."""
        doc = orjson.loads(raw)
        return cls(
            key=doc["key"],
            outcome=Outcome(doc["outcome"]),
            inputs=tuple(InputObject(k, size, sha) for k, size, sha in doc["inputs"]),
            reason=None if doc["reason"] is None else Reason(doc["reason"]),
            detail=doc["detail"],
            plan_id=doc["plan_id"],
            runs=doc["runs"],
            partial=doc["partial"],
            notes=tuple(doc.get("notes", ())),
        )


@dataclass(frozen=True, slots=True)
class EventBatch:
    """What the job learned from one event batch: its status and the plans its events name.

    `plans` lists the plan id of every event kept in the build; `excluded` counts the events an
    as-of selection left out.
    """

    status: PayloadStatus
    plans: tuple[str, ...] = ()
    excluded: int = 0


@dataclass(frozen=True, slots=True)
class Accounts:
    """The reconciled outcome of a build: the quarantine report and every raw object read."""

    report: QuarantineReport
    inputs: tuple[InputObject, ...]


_UNPROCESSED = "event batch was not processed"


def _settle(
    batch: EventBatch, normalized: set[str], quarantined: Mapping[str, Reason]
) -> PayloadStatus:
    """An event batch's fate, from its plans': normalized when one of them is."""
    status = batch.status
    if status.outcome is not Outcome.PARSED:
        return status
    if not batch.plans and batch.excluded:
        return replace(status, outcome=Outcome.EXCLUDED)
    if any(plan in normalized for plan in batch.plans):
        return replace(status, outcome=Outcome.NORMALIZED)
    missing = sorted(set(batch.plans) - normalized)
    bad = [plan for plan in missing if plan in quarantined]
    if bad:
        reason = Reason.PLAN_QUARANTINED
        detail = f"plan {bad[0]} was quarantined ({quarantined[bad[0]].value})"
    else:
        reason = Reason.ORPHAN_EVENTS
        named = missing[0] if missing else "?"
        detail = f"names plan {named}, which is not in the raw zone selection"
    return replace(status, outcome=Outcome.QUARANTINED, reason=reason, detail=detail)


def reconcile(
    plans: Iterable[PayloadStatus],
    batches: Mapping[str, EventBatch],
    event_keys: Iterable[str],
    unknown_keys: Iterable[str],
) -> Accounts:
    """Account for every payload of a build: each one normalized, quarantined or excluded.

    `plans` has one status per plan payload read, `batches` one entry per event batch read
    (keyed by its raw-zone key); an event key without one was never processed and is
    quarantined. Payloads that had not landed are outside the build: neither read nor counted,
    so a build as of a past instant stays byte-identical as the lake grows.
    """
    plan_statuses = list(plans)
    normalized_plans = {
        s.plan_id for s in plan_statuses if s.outcome is Outcome.NORMALIZED and s.plan_id
    }
    quarantined_plans = {
        str(parse_raw_key(s.key).plan_id): s.reason
        for s in plan_statuses
        if s.outcome is Outcome.QUARANTINED and s.reason is not None
    }
    settled = [s for s in plan_statuses if s.outcome is not Outcome.NOT_LANDED]
    for key in event_keys:
        batch = batches.get(key)
        if batch is None:
            unprocessed = PayloadStatus(
                key, Outcome.QUARANTINED, reason=Reason.INVALID_PAYLOAD, detail=_UNPROCESSED
            )
            batch = EventBatch(unprocessed)
        if batch.status.outcome is not Outcome.NOT_LANDED:
            settled.append(_settle(batch, normalized_plans, quarantined_plans))
    # Unknown keys are read in the sense that they are judged: each one is a quarantine entry.
    entries = [
        QuarantineEntry(key, Reason.UNKNOWN_KEY, "not a key the raw-zone layout produces")
        for key in unknown_keys
    ]
    read = len(settled) + len(entries)
    inputs: dict[str, InputObject] = {}
    normalized = excluded = 0
    for status in settled:
        for item in status.inputs:
            inputs[item.key] = item
        if status.outcome is Outcome.NORMALIZED:
            normalized += 1
        elif status.outcome is Outcome.EXCLUDED:
            excluded += 1
        else:
            assert status.reason is not None, status
            entries.append(QuarantineEntry(status.key, status.reason, status.detail))
    partial = [
        QuarantineEntry(s.key, Reason.PARTIAL_LINEAGE, s.partial)
        for s in settled
        if s.outcome is Outcome.NORMALIZED and s.partial
    ]
    notes = [
        QuarantineEntry(s.key, Reason.NOTED, note)
        for s in settled
        if s.outcome is Outcome.NORMALIZED
        for note in s.notes
    ]
    report = QuarantineReport.build(read, normalized, excluded, entries, partial, notes)
    return Accounts(report, tuple(sorted(inputs.values())))
