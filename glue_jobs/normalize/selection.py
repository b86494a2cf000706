"""Which raw-zone payloads one build reads: the listing, the date range, one body per plan id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from glue_jobs.normalize.params import NormalizeParams
from lineage.raw_zone_layout import (
    EVENTS_PREFIX,
    PLANS_PREFIX,
    SIDECAR_SUFFIX,
    RawKey,
    RawZoneKeyError,
    is_temporary,
    parse_raw_key,
)
from lineage.store import RawZoneStore

__all__ = ["Selection", "plans_to_read", "select_inputs"]


@dataclass(frozen=True)
class Selection:
    """The raw-zone keys one build considers."""

    plan_keys: tuple[str, ...]
    event_keys: tuple[str, ...]
    # Objects under plans/ or events/ that the layout does not produce (never read).
    unknown_keys: tuple[str, ...]
    # Plan keys whose plan id has an earlier stored body: key -> the key that is used.
    duplicates: Mapping[str, str]


def _in_range(day: str, first: dt.date | None, last: dt.date | None) -> bool:
    return (first is None or day >= first.isoformat()) and (last is None or day <= last.isoformat())


def _payloads(store: RawZoneStore, prefix: str, unknown: list[str]) -> Iterator[tuple[str, RawKey]]:
    """The payload keys under `prefix` with what they say; keys the layout lacks go to `unknown`."""
    for key, _ in store.list(prefix):
        if key.endswith(SIDECAR_SUFFIX) or is_temporary(key):
            continue
        try:
            yield key, parse_raw_key(key)
        except RawZoneKeyError:
            unknown.append(key)


def select_inputs(store: RawZoneStore, params: NormalizeParams) -> Selection:
    """List the raw zone and keep what the date range selects.

    Events: those received in the range. Plans: those received in the range, plus (found later
    from the events, see `plans_to_read`) plans received earlier that the selected events name;
    every plan received after the range is left out. One body per plan id is used: the first
    one stored.
    """
    unknown: list[str] = []
    event_keys = [
        key
        for key, raw in _payloads(store, EVENTS_PREFIX, unknown)
        if _in_range(raw.date, params.date_from, params.date_to)
    ]
    by_plan: dict[str, list[tuple[bool, str, str]]] = {}
    for key, raw in _payloads(store, PLANS_PREFIX, unknown):
        if not _in_range(raw.date, None, params.date_to):
            continue
        assert raw.plan_id is not None
        # The first stored body is the one without a `~variant`; among variants, the earliest day.
        by_plan.setdefault(raw.plan_id, []).append((raw.sha256_prefix is not None, raw.date, key))
    plan_keys: list[str] = []
    duplicates: dict[str, str] = {}
    for variants in by_plan.values():
        variants.sort()
        chosen = variants[0][2]
        plan_keys.append(chosen)
        for _, _, key in variants[1:]:
            plan_keys.append(key)
            duplicates[key] = chosen
    return Selection(
        tuple(sorted(plan_keys)), tuple(sorted(event_keys)), tuple(sorted(unknown)), duplicates
    )


def plans_to_read(
    selection: Selection, params: NormalizeParams, named: Collection[str]
) -> list[str]:
    """The plan keys to normalize: those in the range, plus earlier ones `named` by events."""
    if params.date_from is None:
        return list(selection.plan_keys)
    first = params.date_from.isoformat()
    keys = []
    for key in selection.plan_keys:
        raw = parse_raw_key(key)
        if raw.date >= first or raw.plan_id in named:
            keys.append(key)
    return keys
