"""Does a stored payload still hold what was acknowledged? Sidecar and key against the bytes.

The producer records the SHA-256 and size of every body in its sidecar, names each event batch
by its SHA-256 and each plan by its id. A rebuild checks all three before trusting a payload;
`lineage verify` checks the same, so neither can call an altered object good.
"""

from __future__ import annotations

from lineage.errors import LineageError
from lineage.raw_zone_layout import RawObjectMetadata, parse_raw_key, sha256_hex

__all__ = [
    "IntegrityError",
    "KeyMismatchError",
    "SidecarMismatchError",
    "check_payload",
    "check_plan_id",
]


class IntegrityError(LineageError):
    """A stored payload no longer matches what was recorded when it was acknowledged."""


class SidecarMismatchError(IntegrityError):
    """The bytes differ from the sha256 or size in the payload's sidecar."""


class KeyMismatchError(IntegrityError):
    """The bytes differ from what the key names (an event batch's sha256, a plan's id)."""


def check_payload(key: str, body: bytes, meta: RawObjectMetadata) -> None:
    """Raise when `body` (stored under `key`) differs from its sidecar or from its key's hash."""
    digest = sha256_hex(body)
    if (meta.sha256, meta.size) != (digest, len(body)):
        raise SidecarMismatchError(
            f"{key}: {len(body)} bytes with sha256 {digest[:16]}…, but the sidecar records "
            f"{meta.size} bytes with sha256 {meta.sha256[:16]}…"
        )
    raw = parse_raw_key(key)
    if raw.kind == "events" and raw.sha256_prefix != digest:
        raise KeyMismatchError(f"{key}: the body's sha256 is {digest[:16]}…, not the key's")
    if (
        raw.kind == "plan"
        and raw.sha256_prefix is not None
        and not digest.startswith(raw.sha256_prefix)
    ):
        raise KeyMismatchError(
            f"{key}: the body's sha256 is {digest[:16]}…, not the variant's {raw.sha256_prefix}"
        )


def check_plan_id(key: str, plan_id: str) -> None:
    """Raise when the plan stored under `key` has another id in its body than in its key."""
    named = parse_raw_key(key).plan_id
    if named != plan_id:
        raise KeyMismatchError(f"{key}: the plan's body has id {plan_id}, its key {named}")
