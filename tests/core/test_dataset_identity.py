"""Dataset identity: URI normalization, catalog names and layer rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lineage.dataset_identity import (
    CatalogName,
    DatasetIdentityError,
    LayerRules,
    catalog_name,
    dataset_name,
    normalize_uri,
    parse_table_identifier,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("s3a://acme-lake/raw/orders/", "s3://acme-lake/raw/orders"),
        ("s3n://acme-lake/raw/orders", "s3://acme-lake/raw/orders"),
        ("S3://Acme-Lake//raw///orders", "s3://acme-lake/raw/orders"),
        ("s3://acme-lake/raw/my%20orders", "s3://acme-lake/raw/my orders"),
        ("s3://acme-lake/raw/a%2Fb", "s3://acme-lake/raw/a%2Fb"),
        ("s3://acme-lake/raw/100%", "s3://acme-lake/raw/100%25"),
        ("s3://acme-lake/raw/x%2fy%41", "s3://acme-lake/raw/x%2FyA"),
        ("file:/tmp/lake/t", "file:///tmp/lake/t"),
        ("file:///tmp/lake/t/", "file:///tmp/lake/t"),
        ("file://localhost/tmp/lake/t", "file:///tmp/lake/t"),
        ("/tmp/lake/./t", "file:///tmp/lake/t"),
        ("hdfs://NameNode:8020/data/t/", "hdfs://namenode:8020/data/t"),
        ("s3://bucket/", "s3://bucket"),
        ("jdbc:postgresql://db:5432/shop", "jdbc:postgresql://db:5432/shop"),
    ],
)
def test_normalize_uri_folds_spellings_of_one_location(raw: str, expected: str) -> None:
    assert normalize_uri(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "relative/path", "s3://b/%ff%fe"])
def test_normalize_uri_rejects_unidentifiable_locations(raw: str) -> None:
    with pytest.raises(DatasetIdentityError):
        normalize_uri(raw)


_segment = st.text(alphabet="abcXYZ019 _-.%/", min_size=1, max_size=12)


@given(st.sampled_from(["s3a://b/", "s3://b/", "file:/", "/", "hdfs://h/"]), _segment)
def test_normalize_uri_is_idempotent(prefix: str, rest: str) -> None:
    try:
        once = normalize_uri(prefix + rest)
    except DatasetIdentityError:
        return
    assert normalize_uri(once) == once


def test_catalog_and_display_names() -> None:
    assert catalog_name("`Customers`", "Curated") == CatalogName(
        "spark_catalog.curated.customers", False
    )
    assert catalog_name("t") == CatalogName("spark_catalog.default.t", False)
    assert catalog_name(None, "db") is None
    assert dataset_name("s3://b/raw/orders") == "orders"
    # The default catalog is left out of the display name, any other is kept.
    shown = dataset_name("s3://b/raw/orders", CatalogName("spark_catalog.raw.orders_tbl", True))
    assert shown == "raw.orders_tbl"
    assert dataset_name("s3://b/t", CatalogName("lake.db.t", True)) == "lake.db.t"


def test_default_layer_rules_match_whole_segments_not_bucket_names() -> None:
    rules = LayerRules.default()
    assert rules.layer_of("s3://lake/raw/orders") == "raw"
    assert rules.layer_of("s3://lake/silver/orders") == "curated"
    assert rules.layer_of("s3://lake/gold/kpis") == "aggregated"
    # A bucket called "raw" or a segment merely containing "raw" decides nothing.
    assert rules.layer_of("s3://raw/orders") == "unknown"
    assert rules.layer_of("s3://lake/rawdata/orders") == "unknown"


def test_prefix_rules_win_longest_first(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(
        '{"prefix_rules": ['
        '{"prefix": "s3a://acme-landing/", "layer": "raw"},'
        '{"prefix": "s3://acme-landing/promoted/", "layer": "curated"}],'
        '"segment_rules": [{"segment": "gold", "layer": "aggregated"}],'
        '"default_layer": "other"}'
    )
    rules = LayerRules.from_file(path)
    assert rules.layer_of("s3://acme-landing/x") == "raw"
    assert rules.layer_of("s3://acme-landing/promoted/x") == "curated"
    assert rules.layer_of("s3://acme-landingzone/x") == "other"
    assert rules.layer_of("s3://acme-landing/gold/x") == "raw"
    assert rules.layer_of("s3://elsewhere/gold/x") == "aggregated"


def test_malformed_rules_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"prefix_rules": [{"layer": "raw"}]}')
    with pytest.raises(DatasetIdentityError, match=r"bad\.json"):
        LayerRules.from_file(path)


@pytest.mark.parametrize(
    ("identifier", "name", "explicit"),
    [
        ("lake.db.customers", "lake.db.customers", True),
        ("LAKE.Db.CUSTOMERS", "lake.db.customers", True),
        ("`lake`.`db`.`customers`", "lake.db.customers", True),
        ("spark_catalog.default.t", "spark_catalog.default.t", True),
        ("default.t", "spark_catalog.default.t", False),
        ("t", "spark_catalog.default.t", False),
        ("db.region_totals", "spark_catalog.db.region_totals", False),
        ("lake.a.b.t", "lake.a.b.t", True),
        ("`my.db`.t", "spark_catalog.my.db.t", False),
    ],
)
def test_table_identifiers_normalize_to_catalog_namespace_table(
    identifier: str, name: str, explicit: bool
) -> None:
    assert parse_table_identifier(identifier) == CatalogName(name, explicit)


@pytest.mark.parametrize(
    "identifier",
    [
        "",
        " ",
        "a..b",
        ".t",
        "`unbalanced",
        "delta.`/tmp/lake/t`",
        "PathIdentifier@1f2e",
        "a.`b``c`",
    ],
)
def test_identifiers_naming_no_table_give_none(identifier: str) -> None:
    assert parse_table_identifier(identifier) is None


@example("`.`")  # an empty piece inside quotes: once read as `spark_catalog.default..`
@example("`a .b`")  # blanks at a piece's end: once read back as another name
@given(st.text(alphabet="abAB_.` /@1", max_size=20))
def test_any_identifier_gives_a_stable_name_or_none(identifier: str) -> None:
    parsed = parse_table_identifier(identifier)
    if parsed is None:
        return
    assert parsed.name == parsed.name.lower()
    assert len(parsed.name.split(".")) >= 3
    again = parse_table_identifier(parsed.name)
    assert again is not None and again.name == parsed.name
