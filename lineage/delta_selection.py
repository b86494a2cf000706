"""What a delta build reads: its parent build, and the payloads that landed after its cut-off.

Only the date partitions that can hold such payloads are listed: a payload's partition is its
UTC receive date, so everything received at or after the parent's cut-off `T1` lies in
`date(T1)` or later. In `date(T1)` itself the parent's own inputs are told apart by its manifest;
any other object there received before `T1` (added late, or a copy) and any object the parent
read whose size changed means the parent no longer describes the lake: the delta refuses and
says a full rebuild is needed. Objects in earlier partitions are not listed; `lineage verify`
of the chain re-reads them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lineage.delta_state import (
    PENDING_FILE,
    PLANS_FILE,
    RECENT_FILE,
    FullRebuildNeededError,
    decode_lines,
    state_path,
)
from lineage.errors import LineageError
from lineage.manifest import (
    MANIFEST_FILE,
    InputObject,
    ManifestError,
    ManifestSummary,
    OutputFile,
    Param,
)
from lineage.raw_zone_layout import (
    SIDECAR_SUFFIX,
    InvalidMetadataError,
    PayloadKind,
    RawObjectMetadata,
    RawZoneKeyError,
    date_partition_prefixes,
    is_temporary,
    parse_raw_key,
)
from lineage.store import RawZoneStore, StorageError, read_optional

__all__ = [
    "DeltaError",
    "DeltaSelection",
    "ForeignParentError",
    "NotABuildError",
    "ParentBuild",
    "ParentTooNewError",
    "any_landed_before",
    "check_parent",
    "read_parent",
    "select_delta",
]

# Parent inputs re-read to tell a build of this lake from one of another lake.
_SAMPLED_INPUTS = 8
_SHOWN = 5


class DeltaError(LineageError):
    """A delta build cannot start from the given parent (the message names why)."""


class NotABuildError(DeltaError):
    """The parent folder holds no readable build manifest, or no delta state."""


class ForeignParentError(DeltaError):
    """The parent was built from another lake, or with parameters a delta cannot continue."""


class ParentTooNewError(DeltaError):
    """The parent's cut-off is not before the delta's."""


@dataclass(frozen=True)
class ParentBuild:
    """A previous build, as a delta build starts from it.

    Only what a delta needs, so that reading it costs little on a long history: the manifest's
    code and parameters (not its inputs, half a million at 100k plans), the objects read in the
    partitions a delta lists again (`state/recent.jsonl.gz`, which a build writes for that),
    the plan index and the pending events; the stateful groups' files are read when merged.
    """

    store: RawZoneStore
    manifest_sha256: str
    code_version: str
    parameters: Mapping[str, Param]
    sampled: tuple[InputObject, ...]  # a few inputs with their checksums (same-lake check)
    plans: Mapping[str, str]  # plan id -> key of the body used
    pending: Mapping[str, tuple[str, ...]]  # plan id not seen yet -> batches naming it
    recent: Mapping[str, int]  # key -> size of every object read from date(cut-off) on
    state: Mapping[str, OutputFile] = field(default_factory=dict)  # the manifest's state files

    @property
    def cutoff_ms(self) -> int:
        """The parent's `landed_before` (checked present by `check_parent`)."""
        value = self.parameters.get("landed_before_ms")
        assert isinstance(value, int)
        return value

    def state_data(self, group: str) -> bytes | None:
        """The stored state file of one stateful group (None when the parent had none).

        `FullRebuildNeededError` when its bytes are not those the parent's manifest lists: a
        delta may copy an unchanged state file without decompressing it."""
        path = state_path(group)
        data = read_optional(self.store, path)
        listed = self.state.get(path)
        if (
            data is not None
            and listed is not None
            and hashlib.sha256(data).hexdigest() != (listed.sha256)
        ):
            raise FullRebuildNeededError(
                f"{self.state_source(group)} is not the file its build's manifest lists "
                "(its SHA-256 differs): the state was changed after the build"
            )
        return data

    def state_rows(self, group: str) -> int | None:
        """The rows of one stateful group's file, as the parent's manifest lists them."""
        listed = self.state.get(state_path(group))
        return None if listed is None else listed.rows

    def state_source(self, group: str) -> str:
        """Where `state_data(group)` comes from, for messages."""
        return f"{self.store.root}/{state_path(group)}"


def read_parent(store: RawZoneStore) -> ParentBuild:
    """Read the parent build in `store`; `NotABuildError` when it is none."""
    where = store.root
    try:
        raw = read_optional(store, MANIFEST_FILE)
        plans_data = read_optional(store, PLANS_FILE)
        pending_data = read_optional(store, PENDING_FILE)
        recent_data = read_optional(store, RECENT_FILE)
    except StorageError as exc:
        raise NotABuildError(f"cannot read the parent build {where}: {exc}") from exc
    if raw is None:
        raise NotABuildError(f"{where} is not a build: it has no {MANIFEST_FILE}")
    try:
        manifest = ManifestSummary.from_json(raw, f"{where}/{MANIFEST_FILE}", _SAMPLED_INPUTS)
    except ManifestError as exc:
        raise NotABuildError(str(exc)) from exc
    if plans_data is None or pending_data is None or recent_data is None:
        raise NotABuildError(
            f"{where} has no delta state ({PLANS_FILE}): it was written by an older version; "
            "run a full rebuild first"
        )
    # Every input of the parent's manifest in date(cut-off) or later is in its recent objects
    # (`index_files`), and only those partitions are listed again.
    recent = {key: int(size) for key, size in decode_lines(recent_data, f"{where}/{RECENT_FILE}")}
    pending: dict[str, list[str]] = {}
    for plan_id, batch in decode_lines(pending_data, f"{where}/{PENDING_FILE}"):
        pending.setdefault(plan_id, []).append(batch)
    return ParentBuild(
        store,
        hashlib.sha256(raw).hexdigest(),
        manifest.code_version,
        manifest.parameters,
        manifest.sampled,
        dict(decode_lines(plans_data, f"{where}/{PLANS_FILE}")),
        {plan_id: tuple(batches) for plan_id, batches in pending.items()},
        recent,
        manifest.state,
    )


def check_parent(
    parent: ParentBuild,
    cutoff_ms: int,
    layer_rules_sha256: object,
    code_version: str,
) -> None:
    """Refuse a parent a delta up to `cutoff_ms` cannot continue (one line: why, what to do)."""
    where = parent.store.root
    params = parent.parameters
    for name in ("date_from", "date_to", "as_of_ms"):
        if params.get(name) is not None:
            raise ForeignParentError(
                f"{where} is a build with {name}={params[name]}; a delta continues a build of "
                "the whole lake only"
            )
    if not isinstance(params.get("landed_before_ms"), int):
        raise ForeignParentError(
            f"{where} has no landed_before cut-off, so what it read is not known; rebuild it "
            "with --landed-before"
        )
    if parent.cutoff_ms >= cutoff_ms:
        raise ParentTooNewError(
            f"{where} is as of {_iso(parent.cutoff_ms)}, not before this build's cut-off "
            f"{_iso(cutoff_ms)}"
        )
    if params.get("layer_rules_sha256") != layer_rules_sha256:
        raise ForeignParentError(
            f"{where} was built with other layer rules ({params.get('layer_rules')}); a delta "
            "must use the same rules"
        )
    if parent.code_version != code_version:
        raise FullRebuildNeededError(
            f"the normalize code changed since {where} was built; a full rebuild is needed"
        )


def _iso(ms: int) -> str:
    return (
        dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    )


@dataclass(frozen=True)
class DeltaSelection:
    """The raw-zone keys one delta build reads."""

    plan_keys: tuple[str, ...]  # new plan bodies, and their duplicates (quarantined)
    event_keys: tuple[str, ...]  # new event batches
    pending_keys: tuple[str, ...]  # older batches naming a plan that has now landed
    unknown_keys: tuple[str, ...]
    duplicates: Mapping[str, str]  # plan key -> the key whose body is used
    new_plans: Mapping[str, str]  # plan id first seen in this delta -> key used


def _received_ms(store: RawZoneStore, key: str) -> int | None:
    data = read_optional(store, key + SIDECAR_SUFFIX)
    if data is None:
        return None
    try:
        return RawObjectMetadata.from_json(data).received_ms
    except (InvalidMetadataError, RawZoneKeyError):
        return None  # the job quarantines it with the precise reason


def any_landed_before(lake: RawZoneStore, keys: Iterable[str], cutoff_ms: int) -> bool:
    """Whether a build with cut-off `cutoff_ms` would read any of `keys`: one received before
    it by its sidecar, or one whose sidecar is missing or unreadable (the build quarantines it).

    `select_delta` lists what landed up to the moment it runs, which includes objects received
    after the cut-off; the build leaves those out. A caller deciding whether a build is worth
    starting asks this first (one sidecar read per key, stopping at the first hit)."""
    for key in keys:
        received = _received_ms(lake, key)
        if received is None or received < cutoff_ms:
            return True
    return False


def _check_same_lake(lake: RawZoneStore, parent: ParentBuild) -> None:
    sample = parent.sampled
    found = differs = 0
    for item in sample:
        data = read_optional(lake, item.key)
        if data is None:
            continue
        found += 1
        if hashlib.sha256(data).hexdigest() != item.sha256:
            differs += 1
            changed = item.key
    if sample and not found:
        raise ForeignParentError(
            f"{parent.store.root} was not built from {lake.root}: none of {len(sample)} objects "
            f"it read is there (first: {sample[0].key})"
        )
    if differs:
        raise FullRebuildNeededError(
            f"{changed} changed since {parent.store.root} read it; a full rebuild is needed"
        )


def _refuse(what: str, keys: list[str], parent: ParentBuild) -> None:
    if keys:
        shown = ", ".join(sorted(keys)[:_SHOWN]) + (
            f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
        )
        raise FullRebuildNeededError(
            f"{len(keys)} raw objects {what} {parent.store.root}'s cut-off "
            f"{_iso(parent.cutoff_ms)} ({shown}); a full rebuild is needed"
        )


def select_delta(lake: RawZoneStore, parent: ParentBuild, cutoff_ms: int) -> DeltaSelection:
    """List the partitions that can hold payloads landed in [parent cut-off, `cutoff_ms`)."""
    _check_same_lake(lake, parent)
    first = dt.datetime.fromtimestamp(parent.cutoff_ms / 1000, tz=dt.UTC).date()
    last = dt.datetime.fromtimestamp((cutoff_ms - 1) / 1000, tz=dt.UTC).date()
    first_prefix = f"date={first.isoformat()}/"
    new: dict[PayloadKind, list[str]] = {"plan": [], "events": []}
    unknown: list[str] = []
    changed: list[str] = []
    late: list[str] = []
    for kind in ("plan", "events"):
        for prefix in date_partition_prefixes(kind, first, last):
            for key, size in lake.list(prefix):
                if is_temporary(key):
                    continue
                seen = parent.recent.get(key)
                if seen is not None:
                    if seen != size:
                        changed.append(key)
                    continue
                if key.endswith(SIDECAR_SUFFIX):
                    continue
                try:
                    parse_raw_key(key)
                except RawZoneKeyError:
                    unknown.append(key)
                    continue
                if first_prefix in key:
                    received = _received_ms(lake, key)
                    if received is not None and received < parent.cutoff_ms:
                        late.append(key)
                        continue
                new[kind].append(key)
    _refuse("changed since they were read by", changed, parent)
    _refuse("landed before, but were not read by,", late, parent)
    return _plans(lake, parent, cutoff_ms, sorted(new["plan"]), sorted(new["events"]), unknown)


def _plans(
    lake: RawZoneStore,
    parent: ParentBuild,
    cutoff_ms: int,
    plan_keys: list[str],
    event_keys: list[str],
    unknown: list[str],
) -> DeltaSelection:
    by_plan: dict[str, list[tuple[bool, str, str]]] = {}
    for key in plan_keys:
        raw = parse_raw_key(key)
        assert raw.plan_id is not None
        by_plan.setdefault(raw.plan_id, []).append((raw.sha256_prefix is not None, raw.date, key))
    duplicates: dict[str, str] = {}
    new_plans: dict[str, str] = {}
    for plan_id, variants in by_plan.items():
        variants.sort()
        known = parent.plans.get(plan_id)
        if known is not None:
            if not variants[0][0] and parse_raw_key(known).sha256_prefix is not None:
                _refuse("replace the body used for a plan id by", [variants[0][2]], parent)
            duplicates.update({key: known for _, _, key in variants})
            continue
        chosen = variants[0][2]
        new_plans[plan_id] = chosen
        duplicates.update({key: chosen for _, _, key in variants[1:]})
    pending: set[str] = set()
    for plan_id, key in new_plans.items():
        batches = parent.pending.get(plan_id, ())
        if batches:
            received = _received_ms(lake, key)
            if received is not None and received < cutoff_ms:
                pending.update(batches)
    return DeltaSelection(
        tuple(plan_keys),
        tuple(event_keys),
        tuple(sorted(pending - set(event_keys))),
        tuple(sorted(unknown)),
        duplicates,
        new_plans,
    )
