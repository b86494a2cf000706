"""Land validated payloads in the raw zone: once per plan id, once per batch, never overwritten."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lineage.raw_zone_layout import (
    PlanIndexEntry,
    RawObjectMetadata,
    events_key,
    format_received_at,
    plan_index_key,
    plan_key,
    plan_variant_index_key,
    plan_variant_key,
    sha256_hex,
    sidecar_key,
)
from lineage.spline import ApiVersion, ExecutionEvent, ExecutionPlan
from lineage.store import RawZoneStore, read_optional

log = logging.getLogger(__name__)

_JSON = "application/json"


@dataclass(frozen=True)
class Receipt:
    """How a body arrived: recorded in its metadata sidecar."""

    received_at: datetime
    api_version: ApiVersion
    content_type: str
    content_encoding: str | None = None
    client_address: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredPayload:
    """Where a body landed; `created` is False when the same bytes were already stored."""

    key: str
    created: bool
    variant: bool = False


class RawZoneWriter:
    """Writes payload, sidecar and (for plans) index entry, in that order.

    An index entry is written last, so its presence proves the payload and sidecar exist; a
    crash in between is repaired by the next identical request, which redoes the missing steps.
    """

    def __init__(self, store: RawZoneStore) -> None:
        self._store = store

    def _index(self, key: str) -> PlanIndexEntry | None:
        raw = read_optional(self._store, key)
        return None if raw is None else PlanIndexEntry.from_json(raw)

    def known_plan(self, plan_id: str, digest: str) -> StoredPayload | None:
        """Where these exact bytes of `plan_id` are already stored, or None (one or two reads)."""
        first = self._index(plan_index_key(plan_id))
        if first is None:
            return None
        if first.sha256 == digest:
            return StoredPayload(key=first.key, created=False)
        variant = self._index(plan_variant_index_key(plan_id, digest))
        return None if variant is None else StoredPayload(variant.key, created=False, variant=True)

    def store_plan(self, body: bytes, plan: ExecutionPlan, receipt: Receipt) -> StoredPayload:
        """Store a plan body once per plan id; other bytes under a known id become a variant."""
        digest = sha256_hex(body)
        first = self._index(plan_index_key(plan.id))
        if first is not None and first.sha256 == digest:
            return StoredPayload(key=first.key, created=False)  # the daily rerun: one read
        if first is None:
            key = plan_key(plan.id, receipt.received_at)
            created = self._store.create(key, body, _JSON)
            # Not created: a concurrent identical request (or our own earlier attempt that
            # crashed before the index) stored it today; other bytes there make this a variant.
            if created or sha256_hex(read_optional(self._store, key) or b"") == digest:
                self._finish(key, plan_index_key(plan.id), body, digest, plan, receipt)
                return StoredPayload(key=key, created=created)
        variant_index = plan_variant_index_key(plan.id, digest)
        known = self._index(variant_index)
        if known is not None:
            return StoredPayload(key=known.key, created=False, variant=True)
        key = plan_variant_key(plan.id, digest, receipt.received_at)
        created = self._store.create(key, body, _JSON)
        if created:
            log.warning(
                "plan %s arrived with different bytes (sha256 %s); kept beside the first as %s",
                plan.id,
                digest,
                key,
            )
        self._finish(key, variant_index, body, digest, plan, receipt)
        return StoredPayload(key=key, created=created, variant=True)

    def _finish(
        self,
        key: str,
        index_key: str,
        body: bytes,
        digest: str,
        plan: ExecutionPlan,
        receipt: Receipt,
    ) -> None:
        metadata = _metadata("plan", body, digest, receipt, plan_id=plan.id)
        self._store.create(sidecar_key(key), metadata.to_json(), _JSON)
        self._store.create(index_key, PlanIndexEntry(key, digest).to_json(), _JSON)

    def store_events(
        self, body: bytes, events: Sequence[ExecutionEvent], receipt: Receipt
    ) -> StoredPayload:
        """Store an event batch once per (receive date, SHA-256)."""
        digest = sha256_hex(body)
        key = events_key(digest, receipt.received_at)
        created = self._store.create(key, body, _JSON)
        metadata = _metadata("events", body, digest, receipt, event_count=len(events))
        # Also attempted when the payload existed: repairs a crash between the two writes.
        self._store.create(sidecar_key(key), metadata.to_json(), _JSON)
        return StoredPayload(key=key, created=created)


def _metadata(
    kind: str,
    body: bytes,
    digest: str,
    receipt: Receipt,
    *,
    plan_id: str | None = None,
    event_count: int | None = None,
) -> RawObjectMetadata:
    return RawObjectMetadata(
        kind="plan" if kind == "plan" else "events",
        received_at=format_received_at(receipt.received_at),
        api_version=receipt.api_version.value,
        content_type=receipt.content_type,
        sha256=digest,
        size=len(body),
        content_encoding=receipt.content_encoding,
        client_address=receipt.client_address,
        plan_id=plan_id,
        event_count=event_count,
        headers=dict(receipt.headers),
    )
