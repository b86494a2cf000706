"""Catalog shards (lineage.catalog): which shard lists a vertex, and the rows that say so.

A full build and a delta build must write the same catalog rows for a member, and a reader
must find every member from shard ids it computes itself: both rest on these functions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from api_graph import run_started
from hypothesis import given
from hypothesis import strategies as st

from lineage.catalog import (
    CATALOG_SHARDS,
    LISTED,
    catalog_rows,
    run_catalog_root,
    run_hour_shard,
    search_texts,
    shard_ids,
    shard_of,
)
from lineage.graph_schema import (
    CatalogsEdge,
    CatalogVertex,
    ColumnVertex,
    DatasetVertex,
    GraphModelError,
    JobVertex,
    OfEdge,
    VertexLabel,
    h,
)
from lineage.limits import MAX_PROPERTY_BYTES, cut_text
from lineage.neptune_csv import epoch_millis

pytestmark = pytest.mark.unit

names = st.text(min_size=1, max_size=300)


def test_each_listed_label_has_its_own_sorted_shards() -> None:
    jobs, datasets = shard_ids(VertexLabel.JOB), shard_ids(VertexLabel.DATASET)
    assert len(set(jobs)) == len(jobs) == CATALOG_SHARDS == 256
    assert list(jobs) == sorted(jobs) and not set(jobs) & set(datasets)
    assert jobs[0] == "catalog:Job:00" and datasets[-1] == "catalog:Dataset:ff"


def test_an_unlisted_label_is_refused_by_name() -> None:
    with pytest.raises(GraphModelError, match="'Run' has no catalog"):
        shard_ids(VertexLabel.RUN)


@given(names)
def test_a_job_is_listed_by_one_shard_of_its_catalog(name: str) -> None:
    job = JobVertex(name=name, glue_job_name=None)
    shard, edge = catalog_rows(job)
    assert isinstance(shard, CatalogVertex) and isinstance(edge, CatalogsEdge)
    assert shard.id in shard_ids(VertexLabel.JOB)
    assert shard.id.endswith(h(job.id)[:2]) and shard.lists is VertexLabel.JOB
    assert (edge.from_id, edge.to_id) == (shard.id, job.id)
    # Deterministic: a delta build writes the very same rows for the same job.
    assert catalog_rows(JobVertex(name=name, glue_job_name="other")) == (shard, edge)


@given(names)
def test_a_dataset_is_listed_by_one_shard_of_its_catalog(path: str) -> None:
    uri = f"s3://b/{path}"
    ds = DatasetVertex(uri=uri, name=path, format=None, layer="raw", catalog_table=None)
    shard, edge = catalog_rows(ds)
    assert isinstance(edge, CatalogsEdge)
    assert shard.id in shard_ids(VertexLabel.DATASET)
    assert shard.id == f"catalog:Dataset:{shard_of(ds.id)}"
    assert edge.to_id == ds.id
    # The shard carries what a search matches, so a search can skip the shards that cannot match.
    assert isinstance(shard, CatalogVertex) and shard.member_text == f"{path}\t{uri}"
    named = DatasetVertex(uri=uri, name="db.t", format=None, layer="raw", catalog_table="c.db.t")
    other, same_edge = catalog_rows(named)
    assert same_edge == edge and other.id == shard.id and other != shard


@given(names, names)
def test_a_shard_text_holds_whatever_the_members_values_hold(name: str, path: str) -> None:
    uri = f"s3://b/{path}"
    ds = DatasetVertex(uri=uri, name=name, format=None, layer="raw", catalog_table=None)
    texts = [cut_text(t) for t in search_texts(ds)]
    for stored in (cut_text(name), cut_text(uri)):  # what the member's own values hold
        for start, end in ((0, len(stored)), (len(stored) // 3, len(stored) // 2)):
            assert any(stored[start:end] in t for t in texts)


def test_a_pair_too_long_for_one_value_is_kept_apart() -> None:
    uri = "s3://b/" + "é" * MAX_PROPERTY_BYTES
    ds = DatasetVertex(uri=uri, name="t", format=None, layer="raw", catalog_table=None)
    assert search_texts(ds) == ("t", uri)
    shards = [r for r in catalog_rows(ds) if isinstance(r, CatalogVertex)]
    assert [s.member_text for s in shards] == ["t", uri] and len({s.id for s in shards}) == 1


def test_an_empty_name_adds_only_the_uri() -> None:
    ds = DatasetVertex(uri="s3://b/t", name="", format=None, layer="raw", catalog_table=None)
    assert search_texts(ds) == ("s3://b/t",)
    job_shard, _ = catalog_rows(JobVertex(name="j", glue_job_name=None))
    assert isinstance(job_shard, CatalogVertex) and job_shard.member_text is None


def test_other_rows_are_not_listed() -> None:
    column = ColumnVertex(dataset_uri="s3://b/t", name="c", data_type=None)
    assert catalog_rows(column) == ()
    assert catalog_rows(OfEdge(column.id, "ds:s3://b/t")) == ()
    assert set(LISTED) == {VertexLabel.JOB, VertexLabel.DATASET}


def test_shards_spread_members_evenly() -> None:
    used = [shard_of(f"job:etl_{i:05d}") for i in range(25_600)]
    per_shard = [used.count(s) for s in {*used}]
    assert len(per_shard) == CATALOG_SHARDS
    assert min(per_shard) > 50 and max(per_shard) < 150  # about 100 each


# Up to 12 days before the last datetime: the run's end (start + up to 10**9 ms) must exist.
starts = st.datetimes(max_value=dt.datetime(9999, 12, 19), timezones=st.just(dt.UTC))


@given(starts, st.integers(0, 10**9))
def test_a_run_is_listed_by_the_hour_it_started_in(started: dt.datetime, duration: int) -> None:
    run = run_started("p", started, duration)
    root, hour, to_hour, to_run = catalog_rows(run)
    assert root == run_catalog_root() and hour == run_hour_shard(run)
    assert isinstance(hour, CatalogVertex) and hour.lists is VertexLabel.RUN
    assert hour.from_ms is not None and hour.until_ms == hour.from_ms + 3_600_000
    assert hour.from_ms <= epoch_millis(run.started_at) < hour.until_ms
    assert hour.shard == started.strftime("%Y-%m-%dT%H").rjust(13, "0")
    assert (to_hour.from_id, to_hour.to_id) == (root.id, hour.id)
    assert (to_run.from_id, to_run.to_id) == (hour.id, run.id)


@given(starts, starts)
def test_hour_shards_order_as_their_bounds(a: dt.datetime, b: dt.datetime) -> None:
    ha, hb = run_hour_shard(run_started("p", a, 0)), run_hour_shard(run_started("p", b, 0))
    assert (ha.shard < hb.shard) == (ha.from_ms < hb.from_ms)  # type: ignore[operator]
    assert (ha.id == hb.id) == (
        a.replace(minute=0, second=0, microsecond=0) == b.replace(minute=0, second=0, microsecond=0)
    )


def test_a_time_zone_other_than_utc_names_the_utc_hour() -> None:
    started = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert run_hour_shard(run_started("p", started, 0)).shard == "2026-11-30T23"
