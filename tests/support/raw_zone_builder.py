"""Builds a raw zone on disk exactly as the producer lays it out (lineage.raw_zone_layout)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from lineage import raw_zone_layout as rz
from lineage import spline as sm


def put(
    root: Path,
    body: bytes,
    *,
    kind: rz.PayloadKind,
    received_at: dt.datetime,
    version: str = "1.2",
    plan_id: str | None = None,
    sidecar: bool = True,
    variant: bool = False,
) -> str:
    """Store one payload (and its sidecar) under `root`; returns its key.

    `variant` stores a plan as the producer stores another body under a known plan id.
    """
    sha = rz.sha256_hex(body)
    if kind == "plan":
        if plan_id is None:
            plan_id = str(orjson.loads(body)["id"])
        key = (
            rz.plan_variant_key(plan_id, sha, received_at)
            if variant
            else rz.plan_key(plan_id, received_at)
        )
    else:
        key = rz.events_key(sha, received_at)
    target = root / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    if sidecar:
        content_type = (
            sm.content_type_for(sm.ApiVersion(version))
            if version in ("1", "1.1", "1.2")
            else "application/x-unknown"
        )
        meta = rz.RawObjectMetadata(
            kind=kind,
            received_at=rz.format_received_at(received_at),
            api_version=version,
            content_type=content_type,
            sha256=sha,
            size=len(body),
            plan_id=plan_id if kind == "plan" else None,
        )
        (root / rz.sidecar_key(key)).write_bytes(meta.to_json())
    return key


def day(text: str, hour: int = 12) -> dt.datetime:
    """A UTC receive time on `YYYY-MM-DD`."""
    return dt.datetime.fromisoformat(text).replace(hour=hour, tzinfo=dt.UTC)
