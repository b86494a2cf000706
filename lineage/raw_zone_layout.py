"""Raw-zone object keys and the metadata sidecar: deterministic, partitioned by UTC receive date.

Keys are relative to the raw-zone root (an S3 `s3://bucket/prefix/` or a local directory):

    plans/date=YYYY-MM-DD/<plan-id>.json                first body received for a plan id
    plans/date=YYYY-MM-DD/<plan-id>~<sha256[:16]>.json  a different body under a known id
    events/date=YYYY-MM-DD/<sha256>.json                one event batch (the JSON array as sent)
    <any payload key>.meta                              its sidecar (JSON, `RawObjectMetadata`)
    _index/plans/<plan-id>                              `{"key", "sha256"}` of the first body
    _index/plans/<plan-id>~<sha256[:16]>                `{"key", "sha256"}` of a variant

- Payload objects hold exactly the request body after removing transport gzip; their names end
  in `.json`, sidecars in `.json.meta`, so the glob `*.json` selects payloads only.
- `date=` is the UTC date the producer received the body (`received_at` in the sidecar).
- A plan id is stored once: the agent resends the same plan (same UUIDv5 id, same bytes) on every
  run, and a repeat on any later day finds `_index/plans/<plan-id>` (same SHA-256) and stores
  nothing. Different bytes under a known id are kept as a `~<sha256[:16]>` variant, never
  overwritten. Index entries are written last, so an entry proves its payload and sidecar exist.
- An event batch is stored once per (receive date, SHA-256 of the body).
- A file name starting with `.` is a writer's temporary (`is_temporary`), never a payload: a
  killed producer may leave `.<name>.<random>.tmp` behind; readers skip it.
- Nothing is ever updated or deleted. A reader selecting a date range lists
  `events/date=<d>/` for each day `d` and reads the plans its events name from `plans/` (all
  dates up to the end of the range, since a recurring job's plan was stored on its first day).
  Spark skips `_index/` (a leading underscore marks a hidden path).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import orjson

from lineage.errors import LineageError

__all__ = [
    "EVENTS_PREFIX",
    "INDEX_PREFIX",
    "PAYLOAD_SUFFIX",
    "PLANS_PREFIX",
    "SIDECAR_SUFFIX",
    "InvalidMetadataError",
    "PayloadKind",
    "PlanIndexEntry",
    "RawKey",
    "RawObjectMetadata",
    "RawZoneKeyError",
    "date_partition_prefixes",
    "events_key",
    "format_received_at",
    "is_temporary",
    "parse_raw_key",
    "parse_received_at",
    "partition_date",
    "plan_index_key",
    "plan_key",
    "plan_variant_index_key",
    "plan_variant_key",
    "sha256_hex",
    "sidecar_key",
]

PLANS_PREFIX = "plans/"
EVENTS_PREFIX = "events/"
INDEX_PREFIX = "_index/plans/"
PAYLOAD_SUFFIX = ".json"
SIDECAR_SUFFIX = ".meta"
VARIANT_HASH_CHARS = 16

PayloadKind = Literal["plan", "events"]

# Matched with fullmatch: `$` would let a trailing newline through into a file name.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(
    r"(?P<kind>plans|events)/date=(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<name>[0-9a-f-]+)(?:~(?P<variant>[0-9a-f]{16}))?\.json(?P<meta>\.meta)?"
)


class RawZoneKeyError(LineageError):
    """A value cannot be part of a raw-zone key, or a key is not one this layout produces."""


class InvalidMetadataError(RawZoneKeyError):
    """A sidecar is JSON of the right shape, but a field has the wrong type or form."""


def sha256_hex(body: bytes) -> str:
    """The SHA-256 of a body as 64 lower-case hex digits."""
    return hashlib.sha256(body).hexdigest()


def is_temporary(key: str) -> bool:
    """True for a writer's temporary object: its file name starts with `.` (the producer's
    local store writes `.<name>.<random>.tmp` and links it into place). Never a payload; a
    killed producer may leave one behind, and readers skip it."""
    return key.rsplit("/", 1)[-1].startswith(".")


def partition_date(received_at: datetime) -> str:
    """The `YYYY-MM-DD` UTC partition of a receive time (which must carry a time zone)."""
    if received_at.tzinfo is None:
        raise RawZoneKeyError(f"receive time {received_at.isoformat()} has no time zone")
    return received_at.astimezone(UTC).date().isoformat()


def _plan_id(plan_id: str) -> str:
    if not _UUID.fullmatch(plan_id):
        raise RawZoneKeyError(f"plan id {plan_id!r} is not a lower-case UUID")
    return plan_id


def _sha(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise RawZoneKeyError(f"{sha256!r} is not a lower-case hex SHA-256")
    return sha256


def plan_key(plan_id: str, received_at: datetime) -> str:
    """Key of the first body received for `plan_id`."""
    return f"{PLANS_PREFIX}date={partition_date(received_at)}/{_plan_id(plan_id)}{PAYLOAD_SUFFIX}"


def plan_variant_key(plan_id: str, sha256: str, received_at: datetime) -> str:
    """Key of a body whose bytes differ from what is already stored under `plan_id`."""
    suffix = _sha(sha256)[:VARIANT_HASH_CHARS]
    return (
        f"{PLANS_PREFIX}date={partition_date(received_at)}/"
        f"{_plan_id(plan_id)}~{suffix}{PAYLOAD_SUFFIX}"
    )


def events_key(sha256: str, received_at: datetime) -> str:
    """Key of an event batch."""
    return f"{EVENTS_PREFIX}date={partition_date(received_at)}/{_sha(sha256)}{PAYLOAD_SUFFIX}"


def sidecar_key(object_key: str) -> str:
    """Key of the metadata sidecar beside a payload object."""
    return object_key + SIDECAR_SUFFIX


def plan_index_key(plan_id: str) -> str:
    """Index entry of the first body stored for `plan_id` (flat: no folder per plan id)."""
    return f"{INDEX_PREFIX}{_plan_id(plan_id)}"


def plan_variant_index_key(plan_id: str, sha256: str) -> str:
    """Index entry of a variant: a body of `plan_id` whose bytes differ from the first."""
    return f"{INDEX_PREFIX}{_plan_id(plan_id)}~{_sha(sha256)[:VARIANT_HASH_CHARS]}"


@dataclass(frozen=True)
class PlanIndexEntry:
    """What an index entry records: where a plan body is stored and its SHA-256."""

    key: str
    sha256: str

    def to_json(self) -> bytes:
        """Deterministic JSON."""
        return orjson.dumps({"key": self.key, "sha256": self.sha256}, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, body: bytes) -> PlanIndexEntry:
        """Read an entry written by `to_json`."""
        try:
            data = orjson.loads(body)
            return cls(key=str(data["key"]), sha256=str(data["sha256"]))
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise RawZoneKeyError(f"unreadable plan index entry: {exc}") from exc


def date_partition_prefixes(kind: PayloadKind, first: date, last: date) -> list[str]:
    """Prefixes `plans/date=.../` or `events/date=.../` for every day from `first` to `last`."""
    if last < first:
        raise RawZoneKeyError(f"date range ends ({last}) before it starts ({first})")
    root = PLANS_PREFIX if kind == "plan" else EVENTS_PREFIX
    days = (last - first).days + 1
    return [f"{root}date={(first + timedelta(days=i)).isoformat()}/" for i in range(days)]


@dataclass(frozen=True)
class RawKey:
    """What a raw-zone key says about its object."""

    kind: PayloadKind
    date: str
    plan_id: str | None  # plans only
    sha256_prefix: str | None  # events: the full SHA-256; plan variants: its first 16 digits
    is_sidecar: bool


def parse_raw_key(key: str) -> RawKey:
    """Parse a key produced by this module (relative to the raw-zone root)."""
    match = _KEY.fullmatch(key)
    if not match:
        raise RawZoneKeyError(f"{key!r} is not a raw-zone payload or sidecar key")
    kind: PayloadKind = "plan" if match["kind"] == "plans" else "events"
    name = match["name"]
    if kind == "plan" and not _UUID.fullmatch(name):
        raise RawZoneKeyError(f"{key!r}: {name!r} is not a plan id")
    if kind == "events" and (not _SHA256.fullmatch(name) or match["variant"]):
        raise RawZoneKeyError(f"{key!r}: {name!r} is not a SHA-256")
    return RawKey(
        kind=kind,
        date=match["date"],
        plan_id=name if kind == "plan" else None,
        sha256_prefix=match["variant"] if kind == "plan" else name,
        is_sidecar=match["meta"] is not None,
    )


@dataclass(frozen=True)
class RawObjectMetadata:
    """The sidecar stored beside each payload: how and when the body arrived."""

    kind: PayloadKind
    received_at: str  # ISO-8601 UTC with a Z suffix, millisecond precision
    api_version: str  # "1", "1.1" or "1.2"
    content_type: str
    sha256: str  # of the stored bytes (the body after removing transport gzip)
    size: int  # of the stored bytes
    content_encoding: str | None = None  # as sent ("gzip" or absent)
    client_address: str | None = None
    plan_id: str | None = None  # plans only
    event_count: int | None = None  # event batches only
    headers: dict[str, str] = field(default_factory=dict)  # agent headers, lower-case names

    def to_json(self) -> bytes:
        """Deterministic JSON (sorted keys, no nulls)."""
        return orjson.dumps(
            {k: v for k, v in asdict(self).items() if v is not None},
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, body: bytes) -> RawObjectMetadata:
        """Read a sidecar written by `to_json`; raises `RawZoneKeyError` naming what is off
        (not JSON, unknown or missing fields, a field of the wrong type or form)."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise RawZoneKeyError(f"sidecar is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise RawZoneKeyError("a sidecar must be a JSON object")
        try:
            meta = cls(**data)
        except TypeError as exc:
            raise RawZoneKeyError(f"sidecar does not match RawObjectMetadata: {exc}") from exc
        meta._check()
        return meta

    def _check(self) -> None:
        # Sidecars are read back by every rebuild: a wrong type here must be a named problem,
        # not an exception deep inside the job.
        texts = ("received_at", "api_version", "content_type", "sha256")
        for name in texts:
            if not isinstance(getattr(self, name), str):
                raise InvalidMetadataError(f"sidecar field {name!r} is not a string")
        for name in ("content_encoding", "client_address", "plan_id"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise InvalidMetadataError(f"sidecar field {name!r} is not a string")
        if self.kind not in ("plan", "events"):
            raise InvalidMetadataError(f"sidecar kind {self.kind!r} is neither 'plan' nor 'events'")
        for name in ("size", "event_count"):
            value = getattr(self, name)
            if value is None and name == "event_count":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidMetadataError(f"sidecar field {name!r} is not a count: {value!r}")
        if not _SHA256.fullmatch(self.sha256):
            raise InvalidMetadataError(f"sidecar sha256 {self.sha256[:80]!r} is not a hex SHA-256")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise InvalidMetadataError("sidecar headers are not an object of strings")
        parse_received_at(self.received_at)

    @property
    def received_ms(self) -> int:
        """`received_at` as epoch milliseconds."""
        return int(parse_received_at(self.received_at).timestamp() * 1000)


def parse_received_at(text: str) -> datetime:
    """The instant of a sidecar's `received_at` (`2026-11-22T01:30:00.123Z`, any ISO-8601 with
    a zone); raises `RawZoneKeyError` for anything else (e.g. `"yesterday"`)."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise InvalidMetadataError(
            f"received_at {str(text)[:80]!r} is not an ISO-8601 instant"
        ) from exc
    if stamp.tzinfo is None:
        raise InvalidMetadataError(f"received_at {text[:80]!r} has no time zone")
    return stamp


def format_received_at(received_at: datetime) -> str:
    """`2026-11-22T01:30:00.123Z`: the sidecar's time format."""
    if received_at.tzinfo is None:
        raise RawZoneKeyError(f"receive time {received_at.isoformat()} has no time zone")
    utc = received_at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
