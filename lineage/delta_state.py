"""What a build keeps for the next delta build: the merged state of the vertices payloads share.

A delta build reads only the payloads that landed after its parent's cut-off, yet its CSVs, loaded
onto the parent's graph, must give exactly the graph a full rebuild gives. Most rows belong to one
plan (its `Plan`, operations and their edges, keyed by the plan id) and come out the same whoever
writes them. Four labels do not: a `Job`, `Dataset` or `Column` is named by many plans, and a
`Run` by every event batch that repeats its event. For those the full build keeps one value per
id (the smallest line; for a dataset the merge of every plan's claims), so the delta must emit
that value over the old and the new payloads, and needs the old one. Every build therefore
writes, beside its CSVs, the cumulative state of those labels (`state/<group>.jsonl.gz`, one
`[id, value]` per line, sorted by id) plus the plan index (plan id -> the key whose body is used)
and the pending events (event batches naming a plan not seen yet: when it lands, their events
become runs). Everything here is pure; the Spark job feeds it rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import orjson

from lineage.dataset_properties import DatasetClaims
from lineage.errors import LineageError
from lineage.graph_csv import csv_line
from lineage.raw_zone_layout import RawZoneKeyError, parse_raw_key

__all__ = [
    "DATASET_GROUP",
    "PENDING_FILE",
    "PLANS_FILE",
    "PLAN_STATE_GROUPS",
    "RECENT_FILE",
    "STATEFUL_GROUPS",
    "STATE_GZIP_LEVEL",
    "STATE_PREFIX",
    "FullRebuildNeededError",
    "GroupMerge",
    "StateFile",
    "StateLines",
    "chosen_plan_keys",
    "dataset_line",
    "decode_lines",
    "encode_lines",
    "index_files",
    "merge_group",
    "merge_state",
    "reduce_values",
    "state_path",
]

STATE_PREFIX = "state/"
PLANS_FILE = STATE_PREFIX + "plans.jsonl.gz"
PENDING_FILE = STATE_PREFIX + "pending.jsonl.gz"
RECENT_FILE = STATE_PREFIX + "recent.jsonl.gz"
DATASET_GROUP = "v/Dataset"
# Labels whose id can recur across payloads with another value (see the module docstring).
STATEFUL_GROUPS = ("v/Column", "v/Dataset", "v/Job", "v/Run")
# Those a plan's body alone gives (a `Run` comes from an event): a plan a build has read once
# adds nothing to them when read again.
PLAN_STATE_GROUPS = frozenset({"v/Column", "v/Dataset", "v/Job"})


class FullRebuildNeededError(LineageError):
    """The change since the parent build cannot be expressed as a delta; run a full rebuild."""


def state_path(group: str) -> str:
    """The state file of one group (`v/Job` -> `state/v/Job.jsonl.gz`)."""
    return f"{STATE_PREFIX}{group}.jsonl.gz"


@dataclass(frozen=True, slots=True)
class StateFile:
    """One state file's bytes, ready to store (gzip without name or time: deterministic)."""

    path: str
    data: bytes
    rows: int

    @property
    def sha256(self) -> str:
        """SHA-256 of the stored bytes."""
        return hashlib.sha256(self.data).hexdigest()


# State files are read once, by the next delta, and every delta rewrites them whole: the
# fastest gzip level costs a third more bytes than the default and a seventh of its CPU.
STATE_GZIP_LEVEL = 1


class StateLines:
    """A state file written as its lines come: memory bounded by the compressed bytes so far.

    Lines are buffered and compressed in chunks: a write per line cost a fifth of the write
    task's time, and deflate's output does not depend on how its input is split (no flush in
    between), so the bytes are those of one write of the whole text.
    """

    _CHUNK_LINES = 2048

    def __init__(self, path: str) -> None:
        self.path = path
        self._raw = io.BytesIO()
        self._zipped = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=STATE_GZIP_LEVEL
        )
        self._lines: list[bytes] = []
        self._rows = 0

    def add(self, key: str, value: str) -> None:
        """Append the `[key, value]` line (callers add in key order)."""
        self._lines.append(orjson.dumps([key, value]))
        if len(self._lines) >= self._CHUNK_LINES:
            self._flush()

    def close(self) -> StateFile:
        """The finished file."""
        self._flush()
        self._zipped.close()
        return StateFile(self.path, self._raw.getvalue(), self._rows)

    def _flush(self) -> None:
        if self._lines:
            self._zipped.write(b"\n".join(self._lines) + b"\n")
            self._rows += len(self._lines)
            self._lines = []


def encode_lines(path: str, pairs: Iterable[tuple[str, str]]) -> StateFile:
    """A state file of `[key, value]` lines, in the order given (callers sort by key)."""
    lines = StateLines(path)
    for key, value in pairs:
        lines.add(key, value)
    return lines.close()


def _zipped(path: str, text: bytes, rows: int) -> StateFile:
    """A state file of `text` (whole lines): the bytes `encode_lines` gives for the same lines,
    since deflate's output does not depend on how its input is split."""
    raw = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=STATE_GZIP_LEVEL
    ) as zipped:
        zipped.write(text)
    return StateFile(path, raw.getvalue(), rows)


def _unzip(data: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise FullRebuildNeededError(f"{source} is not a readable state file: {exc}") from exc


def decode_lines(data: bytes, source: str) -> Iterator[tuple[str, str]]:
    """The `[key, value]` pairs of a state file written by `encode_lines`."""
    text = _unzip(data, source)
    for number, line in enumerate(text.splitlines(), 1):
        try:
            key, value = orjson.loads(line)
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            raise FullRebuildNeededError(f"{source} line {number} is not a state line") from exc
        yield str(key), str(value)


def reduce_values(group: str, values: Iterable[str]) -> str:
    """The one value the full build keeps for an id seen with `values` (at least one).

    Datasets merge their claims (lineage.dataset_properties); every other label keeps the
    smallest line, the writer's choice. Both are associative, commutative and idempotent, so the
    value over old and new payloads is `reduce(old value, new values)`.
    """
    if group == DATASET_GROUP:
        merged: DatasetClaims | None = None
        for value in values:
            claims = DatasetClaims.from_json(value)
            merged = claims if merged is None else merged.merge(claims)
        if merged is None:
            raise ValueError("no values to reduce")
        return merged.to_json()
    return min(values)


def _fields(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)), [])


def _dropped(old: str, new: str) -> list[int]:
    """Positions of fields `old` has and `new` lacks (a load cannot remove a property)."""
    before, after = _fields(old), _fields(new)
    return [i for i, value in enumerate(before) if value and (i >= len(after) or not after[i])]


@dataclass(frozen=True, slots=True)
class GroupMerge:
    """One group merged: the new cumulative state, and the rows the delta must load."""

    state: tuple[tuple[str, str], ...]
    # (id, row) for the writer: a CSV line, or a dataset's merged claims (the writer encodes them)
    emitted: tuple[tuple[str, str], ...]


def merge_group(
    group: str, old: Iterable[tuple[str, str]], new: Mapping[str, Iterable[str]]
) -> GroupMerge:
    """Merge the parent's state of `group` (sorted by id) with the values the new payloads gave.

    An id is emitted when it is new or its value changed. A changed line that lacks a property
    the old one had cannot be loaded onto the old graph (Neptune's loader adds and replaces
    properties, never removes them): that raises `FullRebuildNeededError` naming the id.
    """
    fresh = {row_id: reduce_values(group, values) for row_id, values in new.items()}
    state: list[tuple[str, str]] = []
    emitted: list[tuple[str, str]] = []
    for row_id, value in old:
        update = fresh.pop(row_id, None)
        if update is None:
            state.append((row_id, value))
            continue
        merged = reduce_values(group, (value, update))
        state.append((row_id, merged))
        if merged == value:
            continue
        if group != DATASET_GROUP and _dropped(value, merged):
            raise FullRebuildNeededError(
                f"{group[2:]} {row_id[:200]!r}: the new payloads give it a value without a "
                "property the loaded graph has, which a delta load cannot remove"
            )
        emitted.append((row_id, merged))
    for row_id, value in fresh.items():
        emitted.append((row_id, value))
        state.append((row_id, value))
    state.sort()
    return GroupMerge(tuple(state), tuple(sorted(emitted)))


def merge_state(
    group: str,
    old: bytes | None,
    new: Mapping[str, Iterable[str]],
    source: str,
    old_rows: int | None = None,
) -> tuple[tuple[tuple[str, str], ...], StateFile]:
    """`merge_group` over a stored state file: the rows to load and the new file's bytes.

    The same result as `merge_group` over the decoded file, at a cost that grows with the new
    values, not with history: the parent's text stays bytes, each new id is found by galloping
    through it from the last one found (decoding only the lines probed), and only the lines of
    new or changed ids are encoded. The text is decompressed whole (and compressed again when a
    value changed), never split or parsed line by line; with no new values and `old_rows` (the
    file's rows, from its build's manifest) it is not decompressed at all.
    """
    path = state_path(group)
    fresh = {row_id: reduce_values(group, values) for row_id, values in new.items()}
    if old is not None and not fresh and old_rows is not None:
        return (), StateFile(path, old, old_rows)
    text = _unzip(old, source) if old is not None else b""
    if text and not text.endswith(b"\n"):
        raise FullRebuildNeededError(f"{source} does not end with a whole line")
    rows = text.count(b"\n")
    if old is not None and not fresh:
        # The parent wrote it with this code (`check_parent`): re-encoding gives these bytes.
        return (), StateFile(path, old, rows)
    lines = _Lines(text, source)
    parts: list[bytes] = []
    emitted: list[tuple[str, str]] = []
    at = 0
    for row_id in sorted(fresh):
        found = lines.gallop(row_id, at)
        parts.append(text[at:found])
        at = found
        update = fresh[row_id]
        if found < len(text):
            at = lines.after(found)
            seen_id, value = _decoded(text[found : at - 1], source)
            if seen_id != row_id:
                at = found
            else:
                merged = reduce_values(group, (value, update))
                if merged == value:
                    parts.append(text[found:at])
                    continue
                if group != DATASET_GROUP and _dropped(value, merged):
                    raise FullRebuildNeededError(
                        f"{group[2:]} {row_id[:200]!r}: the new payloads give it a value without "
                        "a property the loaded graph has, which a delta load cannot remove"
                    )
                update = merged
                rows -= 1
        emitted.append((row_id, update))
        parts.append(orjson.dumps([row_id, update]) + b"\n")
        rows += 1
    if old is not None and not emitted:
        # Every new value was there already (a re-read plan's columns): the file is unchanged,
        # and compressing it again would cost more than all of the rest.
        return (), StateFile(path, old, rows)
    parts.append(text[at:])
    return tuple(emitted), _zipped(path, b"".join(parts), rows)


class _Lines:
    """A state file's text, sorted by id, searched by byte offset (no list of its lines)."""

    _FIRST_STEP = 512  # bytes: a few lines, the usual distance between two ids looked up

    def __init__(self, text: bytes, source: str) -> None:
        self.text, self.source = text, source

    def after(self, start: int) -> int:
        """The start of the line after the one starting at `start`."""
        return self.text.index(b"\n", start) + 1

    def _start(self, offset: int) -> int:
        """The first line start at or after `offset`."""
        if offset >= len(self.text):
            return len(self.text)
        if offset <= 0 or self.text[offset - 1] == 0x0A:
            return offset
        found = self.text.find(b"\n", offset)
        return len(self.text) if found < 0 else found + 1

    def _below(self, start: int, row_id: str) -> bool:
        line = self.text[start : self.after(start) - 1]
        return _decoded(line, self.source)[0] < row_id

    def gallop(self, row_id: str, lo: int) -> int:
        """The first line start from line start `lo` whose id is not below `row_id` (or the
        end): probing ever farther ahead, then bisecting what is left."""
        end, step, hi = len(self.text), self._FIRST_STEP, lo
        while hi < end and self._below(hi, row_id):
            lo = self.after(hi)
            hi = self._start(lo + step)
            step *= 2
        while lo < hi:
            mid = self._start((lo + hi) // 2)
            if mid >= hi:
                mid = lo
            if self._below(mid, row_id):
                lo = self.after(mid)
            else:
                hi = mid
        return lo


def _decoded(line: bytes, source: str) -> tuple[str, str]:
    try:
        key, value = orjson.loads(line)
    except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise FullRebuildNeededError(f"{source} holds a line that is not a state line") from exc
    return str(key), str(value)


def dataset_line(claims_json: str) -> str:
    """The CSV line of a dataset's merged claims."""
    return csv_line(DatasetClaims.from_json(claims_json).vertex())


def chosen_plan_keys(plan_keys: Iterable[str]) -> dict[str, str]:
    """Plan id -> the key whose body a build uses: the one without a `~variant`, else the earliest.

    The same rule as the full build's selection (glue_jobs/normalize/selection.py).
    """
    ranked: dict[str, tuple[bool, str, str]] = {}
    for key in plan_keys:
        raw = parse_raw_key(key)
        assert raw.plan_id is not None
        rank = (raw.sha256_prefix is not None, raw.date, key)
        seen = ranked.get(raw.plan_id)
        if seen is None or rank < seen:
            ranked[raw.plan_id] = rank
    return {plan_id: rank[2] for plan_id, rank in ranked.items()}


def index_files(
    plans: Mapping[str, str],
    named: Mapping[str, Iterable[str]],
    read: Iterable[tuple[str, int]],
    cutoff_ms: int | None,
) -> tuple[StateFile, StateFile, StateFile]:
    """The plan index, the pending events and the recent objects of a build.

    `plans` maps every plan id the lake holds so far to the key whose body is used; `named` maps
    every event batch read to the plan ids its events name. A batch naming a plan id `plans`
    lacks is pending on it: when that plan lands, the batch's events for it become runs. `read`
    is every (key, size) read so far whose partition the next delta lists again (the day of
    `cutoff_ms`): there it tells what was read from what landed since.
    """
    day = (
        ""
        if cutoff_ms is None
        else dt.datetime.fromtimestamp(cutoff_ms / 1000, tz=dt.UTC).date().isoformat()
    )
    kept = ((key, size) for key, size in read if cutoff_ms and _on_or_after(key, day))
    recent = sorted({(key, str(size)) for key, size in kept})
    pending = sorted(
        (plan_id, batch)
        for batch, plan_ids in named.items()
        for plan_id in set(plan_ids)
        if plan_id not in plans
    )
    return (
        encode_lines(PLANS_FILE, sorted(plans.items())),
        encode_lines(PENDING_FILE, pending),
        encode_lines(RECENT_FILE, recent),
    )


def _on_or_after(key: str, day: str) -> bool:
    """Whether `key` is a payload key of `day` or later. Every key a build read passes here
    (half a million at 100k plans): its date segment is compared first, and only a key on or
    after `day` is parsed in full (a payload key's date is that segment)."""
    at = key.find("/date=")
    if at < 0 or key[at + 6 : at + 16] < day:
        return False
    return _day_of(key) >= day


def _day_of(key: str) -> str:
    try:
        return parse_raw_key(key).date
    except RawZoneKeyError:
        return ""  # not a payload key: never listed again by a delta
