"""Read API views against a real Gremlin Server holding the fixture lake (support/api_graph.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_graph import (
    CURATED,
    DAILY,
    LTV,
    PLAN_DAILY,
    PLAN_ENRICH,
    RAW_CUSTOMERS,
    RAW_ORDERS,
    build_lake,
    load_lake,
)
from fastapi.testclient import TestClient

from lambdas.consumer.app import create_app

pytestmark = pytest.mark.graph


@pytest.fixture(scope="module")
def api(gremlin_server: str) -> Iterator[TestClient]:
    """The read API over the fixture lake, loaded once for this module."""
    load_lake(gremlin_server, build_lake())
    app = create_app(gremlin_server)
    with TestClient(app) as client:
        yield client
    app.state.graph_client.close()


def ok(api: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids_of(body: dict[str, Any], type_: str | None = None) -> set[str]:
    return {n["id"] for n in body["nodes"] if type_ is None or n["type"] == type_}


def flows(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["from"], e["label"], e["to"]) for e in body["edges"]}


def test_status_counts_each_label(api: TestClient) -> None:
    assert ok(api, "/status")["counts"] == {}  # a ping by default: counting scans
    body = ok(api, "/status", counts="true")
    assert body["status"] == "ok"
    assert body["counts"] == {"Job": 3, "Dataset": 5, "Plan": 3, "Run": 5}


def test_overview_has_every_job_dataset_and_flow(api: TestClient) -> None:
    body = ok(api, "/overview")
    assert body["capped"] is False
    assert ids_of(body, "Job") == {"job:enrich_orders", "job:daily_revenue", "job:customer_ltv"}
    assert ids_of(body, "Dataset") == {
        f"ds:{u}" for u in (RAW_ORDERS, RAW_CUSTOMERS, CURATED, DAILY, LTV)
    }
    assert (f"ds:{RAW_CUSTOMERS}", "READS", "job:enrich_orders") in flows(body)
    assert ("job:daily_revenue", "WRITES", f"ds:{DAILY}") in flows(body)
    assert len(body["edges"]) == 7
    groups = {n["id"]: n["group"] for n in body["nodes"]}
    assert groups[f"ds:{RAW_ORDERS}"] == "dataset:raw"
    assert groups[f"ds:{LTV}"] == "dataset:aggregated"
    assert groups["job:enrich_orders"] == "job:SUCCEEDED"  # the latest of its three runs


def test_overview_cap_sets_the_flag_and_keeps_edges_consistent(api: TestClient) -> None:
    body = ok(api, "/overview", limit=1)
    assert body["capped"] is True
    assert len(ids_of(body, "Job")) == 1
    present = ids_of(body)
    assert all(e["from"] in present and e["to"] in present for e in body["edges"])


def test_jobs_list_counts_runs_and_latest_status(api: TestClient) -> None:
    items = {j["name"]: j for j in ok(api, "/jobs")["items"]}
    assert set(items) == {"enrich_orders", "daily_revenue", "customer_ltv"}
    assert items["enrich_orders"]["runs"] == 3
    assert items["enrich_orders"]["plans"] == 1
    assert items["enrich_orders"]["last_started_at"] == "2026-01-12T02:00:00.000Z"


def test_job_detail_inputs_outputs_and_runs_newest_first(api: TestClient) -> None:
    body = ok(api, "/jobs/enrich_orders")
    assert set(body["inputs"]) == {f"ds:{RAW_ORDERS}", f"ds:{RAW_CUSTOMERS}"}
    assert body["outputs"] == [f"ds:{CURATED}"]
    statuses = [r["status"] for r in body["runs"]]
    assert statuses == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    newest = body["runs"][0]
    assert (newest["duration_ms"], newest["rows_read"], newest["rows_written"]) == (
        45000,
        1100,
        1080,
    )
    assert body["plans"][0]["plan_id"] == PLAN_ENRICH
    assert body["plans"][0]["raw_key"] == f"raw/plans/{PLAN_ENRICH}.json"
    assert ("job:enrich_orders", "WRITES", f"ds:{CURATED}") in flows(body)


def test_job_detail_limits_runs(api: TestClient) -> None:
    assert len(ok(api, "/jobs/enrich_orders", runs=1)["runs"]) == 1


def test_runs_filter_by_status_window_and_job(api: TestClient) -> None:
    failed = ok(api, "/runs", status="FAILED")["items"]
    assert [(r["job_name"], r["started_at"]) for r in failed] == [
        ("enrich_orders", "2026-01-11T02:00:00.000Z")
    ]
    assert failed[0]["error"].startswith("java.io.FileNotFoundException")
    window = ok(api, "/runs", since="2026-01-12T00:00:00Z", until="2026-01-13T00:00:00Z")["items"]
    assert [r["job_name"] for r in window] == ["daily_revenue", "enrich_orders"]
    of_job = ok(api, "/runs", job="customer_ltv")["items"]
    assert [r["started_at"] for r in of_job] == ["2026-01-20T03:00:00.000Z"]
    page = ok(api, "/runs", limit=2)
    assert page["capped"] is True
    assert [r["started_at"] for r in page["items"]] == [
        "2026-01-20T03:00:00.000Z",
        "2026-01-12T03:00:00.000Z",
    ]


def test_plan_operations_levels_params_and_data_flow(api: TestClient) -> None:
    body = ok(api, f"/plans/{PLAN_ENRICH}")
    ops = {n["op_id"]: n for n in body["nodes"]}
    assert {k: (v["label"], v["level"]) for k, v in ops.items()} == {
        "0": ("InsertIntoHadoopFsRelationCommand", 0),
        "1": ("Project", 1),
        "2": ("Join", 2),
        "3": ("LogicalRelation", 3),
        "4": ("LogicalRelation", 3),
    }
    assert body["max_level"] == 3
    assert ops["2"]["params"] == {"joinType": "Inner"}
    assert ops["4"]["schema"] == [{"name": "country", "type": "string"}]
    prefix = f"op:{PLAN_ENRICH}:"
    assert {
        (e["from"].removeprefix(prefix), e["to"].removeprefix(prefix)) for e in body["edges"]
    } == {
        ("1", "0"),
        ("2", "1"),
        ("3", "2"),
        ("4", "2"),
    }
    assert {d["uri"] for d in body["reads"]} == {RAW_ORDERS, RAW_CUSTOMERS}
    assert [d["uri"] for d in body["writes"]] == [CURATED]
    assert len(body["runs"]) == 3
    assert body["plan"]["raw_sha256"]


def test_dataset_search_by_substring_and_layer(api: TestClient) -> None:
    found = ok(api, "/datasets", q="orders")["items"]
    assert [d["uri"] for d in found] == [CURATED, RAW_ORDERS]
    assert (found[1]["name"], found[1]["layer"], found[1]["format"]) == ("orders", "raw", "parquet")
    assert {d["name"] for d in ok(api, "/datasets", layer="aggregated")["items"]} == {
        "daily_revenue",
        "customer_ltv",
    }
    assert ok(api, "/datasets", q="Customer")["items"][0]["uri"] == LTV  # lower-cased too
    assert ok(api, "/datasets", q="no-such-thing")["items"] == []
    assert ok(api, "/datasets", limit=2)["capped"] is True


def test_dataset_upstream_one_hop_then_two(api: TestClient) -> None:
    one = ok(api, "/datasets/lineage", uri=DAILY, direction="upstream", depth=1)
    assert ids_of(one) == {f"ds:{DAILY}", f"ds:{CURATED}", "job:daily_revenue"}
    assert flows(one) == {
        (f"ds:{CURATED}", "READS", "job:daily_revenue"),
        ("job:daily_revenue", "WRITES", f"ds:{DAILY}"),
    }
    two = ok(api, "/datasets/lineage", uri=DAILY, direction="upstream", depth=2)
    assert ids_of(two, "Dataset") == {
        f"ds:{u}" for u in (DAILY, CURATED, RAW_ORDERS, RAW_CUSTOMERS)
    }
    assert ids_of(two, "Job") == {"job:daily_revenue", "job:enrich_orders"}
    root = next(n for n in two["nodes"] if n["root"])
    assert root["id"] == f"ds:{DAILY}"


def test_dataset_downstream_and_both(api: TestClient) -> None:
    down = ok(api, "/datasets/lineage", uri=RAW_ORDERS, direction="downstream", depth=5)
    assert ids_of(down, "Dataset") == {f"ds:{u}" for u in (RAW_ORDERS, CURATED, DAILY, LTV)}
    assert f"ds:{RAW_CUSTOMERS}" not in ids_of(down)  # a sibling input is not impact
    both = ok(api, "/datasets/lineage", uri=CURATED, direction="both", depth=1)
    assert ids_of(both, "Dataset") == {
        f"ds:{u}" for u in (CURATED, RAW_ORDERS, RAW_CUSTOMERS, DAILY, LTV)
    }


def test_dataset_lineage_as_of_drops_plans_not_yet_run(api: TestClient) -> None:
    body = ok(
        api, "/datasets/lineage", uri=CURATED, direction="downstream", depth=2, as_of="2026-01-15"
    )
    assert ids_of(body, "Dataset") == {f"ds:{CURATED}", f"ds:{DAILY}"}
    assert body["as_of"] == "2026-01-15T23:59:59.999Z"
    before = ok(
        api, "/datasets/lineage", uri=CURATED, direction="upstream", depth=1, as_of="2026-01-09"
    )
    assert ids_of(before) == {f"ds:{CURATED}"}


def test_column_provenance_across_two_jobs_with_kinds(api: TestClient) -> None:
    body = ok(api, "/columns/lineage", uri=DAILY, column="revenue", direction="upstream", depth=5)
    assert ids_of(body) == {
        f"col:{DAILY}#revenue",
        f"col:{CURATED}#amount_eur",
        f"col:{RAW_ORDERS}#amount",
    }
    edges = {(e["from"], e["to"]): e for e in body["edges"]}
    agg = edges[(f"col:{CURATED}#amount_eur", f"col:{DAILY}#revenue")]
    assert (agg["label"], agg["expression"], agg["job_name"]) == (
        "aggregate",
        "sum(amount_eur)",
        "daily_revenue",
    )
    expr = edges[(f"col:{RAW_ORDERS}#amount", f"col:{CURATED}#amount_eur")]
    assert (expr["label"], expr["plan_id"], expr["job_name"]) == (
        "expression",
        PLAN_ENRICH,
        "enrich_orders",
    )
    groups = {n["id"]: n["group"] for n in body["nodes"]}
    assert groups[f"col:{RAW_ORDERS}#amount"] == "column:raw"


def test_column_impact_and_depth_bound(api: TestClient) -> None:
    impact = ok(
        api, "/columns/lineage", uri=RAW_ORDERS, column="amount", direction="downstream", depth=5
    )
    assert ids_of(impact) == {
        f"col:{RAW_ORDERS}#amount",
        f"col:{CURATED}#amount_eur",
        f"col:{DAILY}#revenue",
        f"col:{LTV}#ltv",
    }
    one = ok(
        api, "/columns/lineage", uri=RAW_ORDERS, column="amount", direction="downstream", depth=1
    )
    assert ids_of(one) == {f"col:{RAW_ORDERS}#amount", f"col:{CURATED}#amount_eur"}
    cast = ok(
        api, "/columns/lineage", uri=CURATED, column="order_date", direction="upstream", depth=1
    )
    assert [e["label"] for e in cast["edges"]] == ["cast"]


def test_plan_of_another_job_is_found_by_its_id(api: TestClient) -> None:
    body = ok(api, f"/plans/{PLAN_DAILY}")
    assert {n["label"] for n in body["nodes"]} == {
        "InsertIntoHadoopFsRelationCommand",
        "Aggregate",
        "LogicalRelation",
    }


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/jobs/no_such_job", {}, "no_such_job"),
        ("/plans/00000000-0000-0000-0000-000000000000", {}, "00000000"),
        ("/runs", {"job": "no_such_job"}, "no_such_job"),
        ("/datasets/lineage", {"uri": "s3://lake/nowhere"}, "s3://lake/nowhere"),
        ("/columns/lineage", {"uri": DAILY, "column": "nope"}, "nope"),
        ("/columns/lineage", {"uri": "s3://lake/nowhere", "column": "x"}, "s3://lake/nowhere"),
    ],
)
def test_unknown_ids_are_404_naming_them(
    api: TestClient, path: str, params: dict[str, str], needle: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 404
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/datasets/lineage", {"uri": DAILY, "depth": 0}, "depth"),
        ("/datasets/lineage", {"uri": DAILY, "depth": 21}, "depth"),
        ("/datasets/lineage", {"uri": DAILY, "depth": "deep"}, "depth"),
        ("/datasets/lineage", {"uri": DAILY, "direction": "sideways"}, "direction"),
        ("/datasets/lineage", {"uri": DAILY, "as_of": "yesterday"}, "as_of"),
        ("/datasets/lineage", {}, "uri"),
        ("/columns/lineage", {"uri": DAILY}, "column"),
        ("/runs", {"status": "RUNNING"}, "status"),
        ("/runs", {"since": "2026-02-01", "until": "2026-01-01"}, "since"),
        ("/runs", {"limit": 0}, "limit"),
        ("/overview", {"limit": 10**9}, "limit"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(
    api: TestClient, path: str, params: dict[str, Any], needle: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 400, response.text
    assert needle in response.json()["detail"]


def test_uri_is_normalized_like_the_normalize_job_does(api: TestClient) -> None:
    typed = "s3a://lake/aggregated/daily_revenue/"
    body = ok(api, "/datasets/lineage", uri=typed, direction="upstream", depth=1)
    assert body["root"] == f"ds:{DAILY}"
    cols = ok(api, "/columns/lineage", uri=typed, column="revenue", direction="upstream", depth=1)
    assert cols["root"] == f"col:{DAILY}#revenue"


def test_relative_uri_is_400_naming_it(api: TestClient) -> None:
    response = api.get("/datasets/lineage", params={"uri": "daily_revenue"})
    assert response.status_code == 400
    assert "daily_revenue" in response.json()["detail"]
