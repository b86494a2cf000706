"""The pure half of delta builds: merging the parent's state with new values, the index files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.dataset_properties import DatasetClaims, FormatClaim, Role, TableClaim
from lineage.delta_state import (
    DATASET_GROUP,
    STATE_GZIP_LEVEL,
    FullRebuildNeededError,
    StateFile,
    decode_lines,
    encode_lines,
    index_files,
    merge_group,
    merge_state,
    reduce_values,
    state_path,
)
from lineage.manifest import is_build_file
from lineage.raw_zone_layout import RawZoneKeyError, parse_raw_key

pytestmark = pytest.mark.unit

URI = "s3://lake/curated/orders"


def _claims(fmt: str | None, role: Role, table: str | None = None) -> str:
    return DatasetClaims(
        URI,
        "curated",
        None if table is None else TableClaim(False, role, table),
        None if fmt is None else FormatClaim.of(fmt, role),
    ).to_json()


def test_a_changed_line_is_emitted_and_an_unchanged_one_is_not() -> None:
    old = [("job:a", "job:a,a,,spark"), ("job:b", "job:b,b,b,spark")]
    result = merge_group("v/Job", old, {"job:b": ["job:b,b,b,spark"], "job:c": ["job:c,c,,spark"]})
    assert result.emitted == (("job:c", "job:c,c,,spark"),)
    assert [row_id for row_id, _ in result.state] == ["job:a", "job:b", "job:c"]


def test_the_smallest_line_wins_over_old_and_new() -> None:
    old = [("col:x#a", "col:x#a,a,string,x")]
    result = merge_group("v/Column", old, {"col:x#a": ["col:x#a,a,long,x"]})
    assert result.emitted == (("col:x#a", "col:x#a,a,long,x"),)
    kept = merge_group("v/Column", old, {"col:x#a": ["col:x#a,a,timestamp,x"]})
    assert kept.emitted == ()


def test_a_value_that_drops_a_loaded_property_needs_a_full_rebuild() -> None:
    old = [("col:x#a", "col:x#a,a,string,x")]
    with pytest.raises(FullRebuildNeededError, match=r"col:x#a.*cannot remove"):
        merge_group("v/Column", old, {"col:x#a": ["col:x#a,a,,x"]})


def test_dataset_claims_merge_with_the_old_claims() -> None:
    old = [(f"ds:{URI}", _claims("parquet", Role.READ))]
    result = merge_group(DATASET_GROUP, old, {f"ds:{URI}": [_claims("delta", Role.WRITE, "c.d.t")]})
    merged = DatasetClaims.from_json(result.emitted[0][1]).vertex()
    assert (merged.format, merged.catalog_table) == ("delta", "c.d.t")


@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "parquet", "delta", "csv"]),
            st.sampled_from(list(Role)),
            st.sampled_from([None, "a.b.c", "a.b.d"]),
        ),
        min_size=2,
        max_size=8,
    ),
    st.integers(1, 7),
)
def test_the_merged_value_does_not_depend_on_where_the_split_is(
    claims: list[tuple[str | None, Role, str | None]], split: int
) -> None:
    values = [_claims(*c) for c in claims]
    split = min(split, len(values) - 1)
    whole = reduce_values(DATASET_GROUP, values)
    parts = reduce_values(
        DATASET_GROUP,
        [
            reduce_values(DATASET_GROUP, values[:split]),
            reduce_values(DATASET_GROUP, values[split:]),
        ],
    )
    assert whole == parts


def test_state_files_round_trip_and_are_deterministic() -> None:
    pairs = [("a", 'line "with" quotes, and\nnewline'), ("b", "é")]
    made = encode_lines("state/v/Job.jsonl.gz", pairs)
    assert list(decode_lines(made.data, "x")) == pairs
    assert encode_lines("state/v/Job.jsonl.gz", pairs).data == made.data
    with pytest.raises(FullRebuildNeededError, match="not a readable state file"):
        list(decode_lines(b"not gzip", "x"))


def test_pending_events_are_those_naming_a_plan_not_seen() -> None:
    e, f = "events/date=2026-11-20/" + "e" * 64 + ".json", "events/date=2026-11-19/f.json"
    plans, pending, recent = index_files(
        {"p1": "plans/date=2026-11-20/p1.json"},
        {e: ["p1", "p2", "p2"]},
        [(e, 10), (e + ".meta", 3), (f, 5)],
        1795132800000,  # 2026-11-20T00:00Z
    )
    assert list(decode_lines(pending.data, "x")) == [("p2", e)]
    assert list(decode_lines(recent.data, "x")) == [(e, "10"), (e + ".meta", "3")]
    assert plans.rows == 1


def test_state_paths_are_build_files_and_long_names_are_judged_fast() -> None:
    assert is_build_file("state/v/Run.jsonl.gz")
    assert is_build_file("state/pending.jsonl.gz")
    assert not is_build_file("state/v/../x.jsonl.gz")
    assert not is_build_file("state/v/" + "A" * 100_000 + ".jsonl")
    assert not is_build_file("state/" + "v/" * 50_000)


_DAYS = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))
_PAYLOAD_KEYS = st.builds(
    lambda kind, day, name, meta: f"{kind}/date={day.isoformat()}/{name}.json{meta}",
    st.sampled_from(["plans", "events"]),
    _DAYS,
    st.sampled_from(["0f" * 32, "3b9a1d1e-1111-4aaa-8bbb-123456789abc", "not-hex!", ""]),
    st.sampled_from(["", ".meta"]),
)
_ANY_KEYS = st.one_of(
    _PAYLOAD_KEYS,
    st.text(max_size=40),
    st.builds(lambda a, b: f"{a}/date={b}", st.text(max_size=12), st.text(max_size=20)),
)


@given(st.lists(_ANY_KEYS, max_size=20), _DAYS)
def test_recent_objects_are_the_payload_keys_of_the_cutoff_day_or_later(
    keys: list[str], day: dt.date
) -> None:
    cutoff = int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp() * 1000)
    _, _, recent = index_files({}, {}, [(key, 1) for key in keys], cutoff)

    def on_or_after(key: str) -> bool:
        try:
            return parse_raw_key(key).date >= day.isoformat()
        except RawZoneKeyError:
            return False

    assert {key for key, _ in decode_lines(recent.data, "x")} == set(filter(on_or_after, keys))


@given(
    st.lists(st.tuples(st.text(max_size=20), st.text(max_size=300)), max_size=5000),
)
def test_a_state_file_streamed_in_chunks_has_the_bytes_of_one_written_line_by_line(
    pairs: list[tuple[str, str]],
) -> None:
    import gzip
    import io

    import orjson

    raw = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=STATE_GZIP_LEVEL
    ) as zipped:
        for key, value in pairs:
            zipped.write(orjson.dumps([key, value]) + b"\n")
    made = encode_lines("state/v/Job.jsonl.gz", pairs)
    assert made.data == raw.getvalue()
    assert made.rows == len(pairs)
    assert list(decode_lines(made.data, made.path)) == pairs


# Ids with the characters that order differently once JSON-encoded (a quote is escaped, a
# backslash too) and values a CSV parser splits, so that bisecting the stored lines and
# dropping a property both meet their hard cases.
_IDS = st.text(alphabet='ab"\\,é\n', max_size=4)
_LINES = st.text(alphabet="xy,", max_size=6)


@given(
    st.dictionaries(_IDS, _LINES, max_size=40),
    st.dictionaries(_IDS, st.lists(_LINES, min_size=1, max_size=3), max_size=15),
)
def test_merging_a_stored_state_file_is_merging_its_lines(
    old: dict[str, str], new: dict[str, list[str]]
) -> None:
    group = "v/Job"
    stored = encode_lines(state_path(group), sorted(old.items()))
    try:
        want = merge_group(group, sorted(old.items()), new)
    except FullRebuildNeededError:
        with pytest.raises(FullRebuildNeededError, match="cannot remove"):
            merge_state(group, stored.data, new, stored.path)
        return
    emitted, made = merge_state(group, stored.data, new, stored.path)
    assert emitted == want.emitted
    assert made == encode_lines(state_path(group), want.state)
    first, _ = merge_state(group, None, new, stored.path)
    assert first == merge_group(group, (), new).emitted


def test_a_state_nothing_new_touches_keeps_the_parents_bytes() -> None:
    stored = encode_lines(state_path("v/Run"), [("run:a", "run:a,1"), ("run:b", "run:b,2")])
    assert merge_state("v/Run", stored.data, {}, stored.path) == ((), stored)


def test_a_state_nothing_new_touches_is_not_decompressed_when_its_rows_are_known() -> None:
    # Bytes that are no gzip at all: kept as they are, since nothing had to be looked up.
    assert merge_state("v/Column", b"not gzip", {}, "x", old_rows=7) == (
        (),
        StateFile(state_path("v/Column"), b"not gzip", 7),
    )
    with pytest.raises(FullRebuildNeededError, match="not a readable state file"):
        merge_state("v/Column", b"not gzip", {}, "x")


def test_a_state_file_that_is_not_one_needs_a_full_rebuild() -> None:
    with pytest.raises(FullRebuildNeededError, match="not a readable state file"):
        merge_state("v/Run", b"not gzip", {"run:a": ["run:a,1"]}, "x")
    broken = encode_lines(state_path("v/Run"), [("run:a", "run:a,1")]).data[:-9] + bytes(9)
    with pytest.raises(FullRebuildNeededError, match="x"):
        merge_state("v/Run", broken, {"run:b": ["run:b,1"]}, "x")


def test_a_manifest_summary_keeps_the_code_parameters_and_first_checked_inputs() -> None:
    from lineage.manifest import InputObject, Manifest, ManifestError, ManifestSummary

    inputs = (
        InputObject("plans/b", 2, "bb"),
        InputObject("plans/a.meta", 1, ""),
        InputObject("plans/c", 3, "cc"),
        InputObject("plans/a", 1, "aa"),
    )
    manifest = Manifest("code", {"landed_before_ms": 5}, inputs, (), {}, {})
    summary = ManifestSummary.from_json(manifest.to_json(), "m", 2)
    assert summary.code_version == "code"
    assert summary.parameters == {"landed_before_ms": 5}
    assert summary.sampled == (InputObject("plans/a", 1, "aa"), InputObject("plans/b", 2, "bb"))
    with pytest.raises(ManifestError, match="m is not a build manifest"):
        ManifestSummary.from_json(b'{"code_version": "c"}', "m", 2)


@given(
    st.lists(
        st.tuples(st.text(max_size=8), st.integers(0, 9), st.sampled_from(["", "ab", '"\n'])),
        max_size=60,
    ),
    st.integers(1, 9),
)
def test_a_manifest_summary_read_from_the_layout_is_the_one_read_whole(
    rows: list[tuple[str, int, str]], sample: int
) -> None:
    from lineage.manifest import InputObject, Manifest, ManifestSummary, OutputFile

    inputs = tuple({key: InputObject(key, size, sha) for key, size, sha in rows}.values())
    state = OutputFile("state/v/Run.jsonl.gz", "state", "state/v/Run.jsonl.gz", 4, 90, "ab")
    outputs = (OutputFile("csv/v/Run.csv", "vertex", "Run", 3, 80, "cd"), state)
    manifest = Manifest("code", {"p": '\n  ],\n  "outputs": '}, inputs, outputs, {"read": 1}, {})
    checked = sorted(i for i in inputs if i.sha256)[:sample]
    summary = ManifestSummary.from_json(manifest.to_json(), "m", sample)
    assert summary.sampled == tuple(checked)
    assert summary.parameters == manifest.parameters
    assert summary.state == {state.path: state}
    # Bytes laid out otherwise (one line) are read whole, to the same summary.
    import orjson

    assert (
        ManifestSummary.from_json(orjson.dumps(orjson.loads(manifest.to_json())), "m", sample)
        == summary
    )


@given(st.randoms(use_true_random=False))
def test_merging_a_large_state_file_finds_ids_far_apart(random: Any) -> None:
    group = "v/Run"
    old = {f"run:{random.randrange(10**6):06d}": "run,b" for _ in range(3000)}
    ids = [
        *random.sample(sorted(old), min(100, len(old))),
        *(f"run:{random.randrange(10**6):06d}" for _ in range(100)),
    ]
    new = {row_id: [random.choice(["run,a", "run,b", "run,c"])] for row_id in ids}
    stored = encode_lines(state_path(group), sorted(old.items()))
    want = merge_group(group, sorted(old.items()), new)
    emitted, made = merge_state(group, stored.data, new, stored.path)
    assert emitted == want.emitted
    assert made == encode_lines(state_path(group), want.state)
