"""One raw payload on its way in: read with its sidecar, checked, decoded once into the model.

The only module of the job that calls the Spline model (`lineage.spline`): a payload's bytes
are decoded and validated here, once, into the typed plan or events the graph rows are built from.
Every refusal is a `QuarantinedError` (or an error `lineage.quarantine.classify` knows).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lineage import integrity
from lineage import spline as sm
from lineage.manifest import InputObject
from lineage.plan_graph import RawSource
from lineage.quarantine import QuarantinedError, Reason
from lineage.raw_zone_layout import (
    SIDECAR_SUFFIX,
    InvalidMetadataError,
    RawObjectMetadata,
    RawZoneKeyError,
)
from lineage.store import RawZoneStore, StorageError

__all__ = ["ExecutionEvent", "ExecutionPlan", "Payload", "decode_events", "decode_plan", "read"]

# The model types the rest of the job names (kept here so one module imports the model).
ExecutionEvent = sm.ExecutionEvent
ExecutionPlan = sm.ExecutionPlan


@dataclass(frozen=True, slots=True)
class Payload:
    """A payload's bytes and the sidecar that vouches for them, checked against each other."""

    key: str
    body: bytes
    meta: RawObjectMetadata
    sha256: str

    @property
    def source(self) -> RawSource:
        """Where the payload came from, as the graph rows record it."""
        return RawSource(self.key, self.sha256)


def _input(key: str, data: bytes) -> InputObject:
    return InputObject(key, len(data), hashlib.sha256(data).hexdigest())


def read(
    store: RawZoneStore, key: str, landed_before_ms: int | None, inputs: list[InputObject]
) -> Payload | None:
    """Read a payload and its sidecar and check one against the other.

    None when the payload had not landed by `landed_before_ms`. Appends both objects to
    `inputs` (the manifest's record) as they are read, so a refused payload is named with its
    bytes.
    """
    try:
        body = store.read(key)
    except StorageError as exc:
        raise QuarantinedError(Reason.NORMALIZE_FAILED, f"cannot read the payload: {exc}") from exc
    inputs.append(_input(key, body))
    try:
        meta_bytes = store.read(key + SIDECAR_SUFFIX)
    except StorageError as exc:
        raise QuarantinedError(
            Reason.MISSING_METADATA, f"no sidecar {key}{SIDECAR_SUFFIX}"
        ) from exc
    inputs.append(_input(key + SIDECAR_SUFFIX, meta_bytes))
    try:
        meta = RawObjectMetadata.from_json(meta_bytes)
    except InvalidMetadataError as exc:
        raise QuarantinedError(Reason.INVALID_METADATA, f"invalid sidecar: {exc}") from exc
    except RawZoneKeyError as exc:
        raise QuarantinedError(Reason.MISSING_METADATA, f"unreadable sidecar: {exc}") from exc
    # A payload that had not landed by then is out of the picture, whatever is wrong with it.
    if landed_before_ms is not None and meta.received_ms >= landed_before_ms:
        return None
    # Trust nothing read back: the bytes must be those the producer acknowledged.
    integrity.check_payload(key, body, meta)
    return Payload(key, body, meta, inputs[0].sha256)


def _version(payload: Payload) -> sm.ApiVersion:
    try:
        return sm.ApiVersion(payload.meta.api_version)
    except ValueError as exc:
        raise QuarantinedError(
            Reason.UNKNOWN_VERSION,
            f"producer API version {payload.meta.api_version!r} in the sidecar of {payload.key} "
            "is not 1, 1.1 or 1.2",
        ) from exc


def decode_plan(payload: Payload) -> sm.ExecutionPlan:
    """The validated plan of a plan payload whose id matches its key.

    References to attributes and expressions the plan lacks are left for the lineage walk
    (partial lineage); every other broken reference refuses the plan.
    """
    plan = sm.load_execution_plan(payload.body, _version(payload), check_references=False)
    integrity.check_plan_id(payload.key, plan.id)
    sm.check_plan_references(plan, attributes=False)
    return plan


def decode_events(payload: Payload) -> tuple[sm.ExecutionEvent, ...]:
    """The validated events of an event batch payload, in their order in the batch."""
    return sm.load_execution_events(payload.body, _version(payload))
