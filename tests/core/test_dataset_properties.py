"""Dataset properties merged across plans: each precedence rule, and independence of the build."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glue_jobs.normalize import NormalizeParams, write_partition
from lineage.dataset_identity import CatalogName, DatasetIdentityError
from lineage.dataset_properties import (
    DatasetClaims,
    FormatClaim,
    Role,
    TableClaim,
    merge_claims,
)
from lineage.graph_csv import csv_line
from lineage.graph_schema import DatasetVertex
from stores import LocalStore

pytestmark = pytest.mark.unit

URI = "s3://lake/curated/customers"


def _claims(
    table: str | None = None,
    explicit: bool = True,
    fmt: str | None = None,
    role: Role = Role.READ,
    uri: str = URI,
) -> DatasetClaims:
    return DatasetClaims(
        uri,
        "curated",
        None if table is None else TableClaim.of(CatalogName(table, explicit), role),
        None if fmt is None else FormatClaim.of(fmt, role),
    )


def _vertex(*claims: DatasetClaims) -> DatasetVertex:
    return merge_claims(claims).vertex()


def test_any_catalog_name_beats_none_and_the_name_is_displayed() -> None:
    merged = _vertex(_claims(role=Role.WRITE), _claims("spark_catalog.sales.customers"))
    assert merged.catalog_table == "spark_catalog.sales.customers"
    assert merged.name == "sales.customers"
    # Without any name, the last path segment.
    assert _vertex(_claims(fmt="parquet")).name == "customers"


def test_an_explicit_catalog_beats_an_implied_one_even_from_a_read() -> None:
    # Iceberg CTAS names `db.t` without its catalog; the AppendData lineage names `lake.db.t`.
    implied = _claims("spark_catalog.db.t", explicit=False, role=Role.WRITE)
    explicit = _claims("lake.db.t", explicit=True, role=Role.READ)
    assert _vertex(implied, explicit).catalog_table == "lake.db.t"
    assert _vertex(implied, explicit).name == "lake.db.t"


def test_a_write_name_beats_a_read_name_then_the_smallest_name() -> None:
    read = _claims("spark_catalog.a.t", role=Role.READ)
    write = _claims("spark_catalog.z.t", role=Role.WRITE)
    assert _vertex(read, write).catalog_table == "spark_catalog.z.t"
    other_read = _claims("spark_catalog.b.t", role=Role.READ)
    assert _vertex(other_read, read).catalog_table == "spark_catalog.a.t"


def test_a_write_format_beats_a_read_format() -> None:
    # A Delta table read by path reports parquet; the write says delta.
    assert _vertex(_claims(fmt="parquet"), _claims(fmt="delta", role=Role.WRITE)).format == "delta"
    # A write's format wins even when it is a file format.
    write_parquet = _claims(fmt="parquet", role=Role.WRITE)
    assert _vertex(write_parquet, _claims(fmt="delta")).format == "parquet"


def test_among_reads_a_table_format_beats_a_file_format_then_the_smallest() -> None:
    assert _vertex(_claims(fmt="parquet"), _claims(fmt="iceberg")).format == "iceberg"
    assert _vertex(_claims(fmt="parquet"), _claims(fmt="csv")).format == "csv"
    assert _vertex(_claims(fmt="delta"), _claims(fmt="hudi")).format == "delta"


def test_properties_merge_independently() -> None:
    named_read = _claims("spark_catalog.sales.customers", fmt="parquet")
    anonymous_write = _claims(fmt="delta", role=Role.WRITE)
    merged = _vertex(named_read, anonymous_write)
    assert (merged.catalog_table, merged.format) == ("spark_catalog.sales.customers", "delta")


def test_claims_on_different_datasets_do_not_merge() -> None:
    with pytest.raises(DatasetIdentityError, match="s3://other"):
        _claims().merge(_claims(uri="s3://other"))
    with pytest.raises(DatasetIdentityError):
        merge_claims([])


# ---- generated claims: the merged properties are a function of the set of claims

_roles = st.sampled_from(list(Role))
_tables = st.one_of(
    st.none(),
    st.builds(
        TableClaim.of,
        st.builds(
            CatalogName,
            st.sampled_from(["spark_catalog.sales.customers", "lake.db.customers", "x.y.z"]),
            st.booleans(),
        ),
        _roles,
    ),
)
_formats = st.one_of(
    st.none(),
    st.builds(FormatClaim.of, st.sampled_from(["parquet", "delta", "iceberg", "csv"]), _roles),
)
_claim = st.builds(DatasetClaims, st.just(URI), st.just("curated"), _tables, _formats)
_claim_lists = st.lists(_claim, min_size=1, max_size=8)


def _best(claims: list[DatasetClaims]) -> tuple[str | None, str | None]:
    """The expected properties, stated directly: the minimum claim per property."""
    tables = [c.table for c in claims if c.table is not None]
    formats = [c.format for c in claims if c.format is not None]
    return (min(tables).name if tables else None, min(formats).value if formats else None)


@given(_claim_lists, st.randoms(use_true_random=False))
def test_merge_is_the_same_for_every_order_and_grouping(
    claims: list[DatasetClaims], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    expected = merge_claims(claims)
    shuffled = claims[:]
    rnd.shuffle(shuffled)
    assert merge_claims(shuffled) == expected
    # Tasks merge their own plans first, the writer merges the tasks' results.
    cut = rnd.randint(1, len(shuffled))
    groups = [shuffled[:cut], shuffled[cut:]] if cut < len(shuffled) else [shuffled]
    assert merge_claims(merge_claims(g) for g in groups) == expected
    # Repeats (a plan replayed, two tasks seeing one dataset) change nothing.
    assert merge_claims([*claims, *claims]) == expected
    vertex = expected.vertex()
    assert (vertex.catalog_table, vertex.format) == _best(claims)


@settings(max_examples=50)
@given(_claim_lists)
def test_every_subset_gets_the_best_claim_of_that_subset(claims: list[DatasetClaims]) -> None:
    for size in range(1, len(claims) + 1):
        for subset in itertools.combinations(claims, size):
            vertex = merge_claims(subset).vertex()
            assert (vertex.catalog_table, vertex.format) == _best(list(subset))
            if size > 3:
                break


@given(_claim)
def test_claims_survive_their_encoding(claim: DatasetClaims) -> None:
    assert DatasetClaims.from_json(claim.to_json()) == claim


# ---- the normalize writer merges every claim on one id, whatever the tasks saw


def _write(tmp: Path, lines: list[str]) -> bytes:
    row_id = _claims().vertex().id
    rows = sorted(("v/Dataset", row_id, line) for line in lines)
    batch = pa.RecordBatch.from_arrays(
        [pa.array([r[i] for r in rows], pa.string()) for i in range(3)],
        names=["group", "id", "line"],
    )
    store = LocalStore(str(tmp))
    params = NormalizeParams(lake=str(tmp), out=str(tmp))
    list(write_partition(store, params)(iter([batch])))
    (written,) = sorted(tmp.rglob("Dataset-*.csv"))
    data = written.read_bytes()
    written.unlink()
    return data


@settings(max_examples=30, deadline=None)
@given(_claim_lists, st.randoms(use_true_random=False))
def test_the_writer_writes_one_merged_line_for_any_split_into_tasks(
    tmp_path_factory: pytest.TempPathFactory, claims: list[DatasetClaims], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    tmp = tmp_path_factory.mktemp("out")
    whole = _write(tmp, [c.to_json() for c in claims])
    shuffled = claims[:]
    rnd.shuffle(shuffled)
    cut = rnd.randint(1, len(shuffled))
    tasks = [shuffled[:cut], shuffled[cut:]] if cut < len(shuffled) else [shuffled]
    split = _write(tmp, [merge_claims(t).to_json() for t in tasks])
    assert split == whole
    lines = whole.decode().splitlines()
    assert len(lines) == 2  # header and one Dataset line
    assert lines[1] == csv_line(merge_claims(claims).vertex())
