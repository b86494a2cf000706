"""An Iceberg CTAS table named without its catalog takes its explicitly named sibling's catalog."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.dataset_identity import CatalogName, parse_table_identifier, sibling_catalog

pytestmark = pytest.mark.unit

WAREHOUSE = "file:///lake/iceberg/db"


def _name(text: str) -> CatalogName:
    parsed = parse_table_identifier(text)
    assert parsed is not None
    return parsed


def test_the_ctas_table_joins_the_catalog_of_a_table_beside_it() -> None:
    named = [(_name("lake.db.customers"), f"{WAREHOUSE}/customers")]
    found = sibling_catalog(_name("db.counts"), f"{WAREHOUSE}/counts", named)
    assert found == CatalogName("lake.db.counts", True)


@pytest.mark.parametrize(
    ("sibling", "location"),
    [
        ("lake.crm.customers", f"{WAREHOUSE}/customers"),  # another namespace
        ("lake.db.customers", "file:///elsewhere/db/customers"),  # another folder
        ("spark_catalog.db.customers", f"{WAREHOUSE}/customers"),  # the session catalog
        ("db.customers", f"{WAREHOUSE}/customers"),  # itself implied
    ],
)
def test_no_sibling_evidence_keeps_the_implied_name(sibling: str, location: str) -> None:
    table = _name("db.counts")
    assert sibling_catalog(table, f"{WAREHOUSE}/counts", [(_name(sibling), location)]) == table


def test_an_explicit_name_is_never_changed() -> None:
    table = _name("other.db.counts")
    named = [(_name("lake.db.customers"), f"{WAREHOUSE}/customers")]
    assert sibling_catalog(table, f"{WAREHOUSE}/counts", named) == table


@given(st.permutations(["lake", "alpha", "zeta"]))
def test_two_candidate_catalogs_give_one_answer_in_any_order(catalogs: list[str]) -> None:
    named = [(_name(f"{c}.db.t{i}"), f"{WAREHOUSE}/t{i}") for i, c in enumerate(catalogs)]
    named.sort(key=lambda pair: pair[0].name.split(".")[0] == catalogs[0])
    found = sibling_catalog(_name("db.counts"), f"{WAREHOUSE}/counts", named)
    assert found.name == "alpha.db.counts"
