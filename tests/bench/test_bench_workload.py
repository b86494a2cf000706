"""The benchmark workload generator: deterministic, valid Spline v1.2, and lineage-rich."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.dataset_identity import LayerRules
from lineage.graph_schema import DerivesFromEdge, ReadsEdge, WritesEdge
from lineage.plan_graph import RawSource, plan_graph
from lineage.raw_zone_layout import (
    PlanIndexEntry,
    RawObjectMetadata,
    parse_raw_key,
    plan_index_key,
    sha256_hex,
    sidecar_key,
)
from lineage.spline import ApiVersion, load_execution_events, load_execution_plan
from lineage_bench.workload import MANIFEST_NAME, WorkloadError, generate_workload, shuffles

pytestmark = pytest.mark.unit

PLANS = 300
SEED = 11


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME  # the manifest records the elapsed time
    }


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workload")
    generate_workload(root, PLANS, SEED)
    return root


def test_same_plans_and_seed_give_identical_bytes(lake: Path, tmp_path: Path) -> None:
    generate_workload(tmp_path / "again", PLANS, SEED)
    assert _digest(tmp_path / "again") == _digest(lake)


def test_another_seed_gives_another_lake(lake: Path, tmp_path: Path) -> None:
    generate_workload(tmp_path / "other", PLANS, SEED + 1)
    assert _digest(tmp_path / "other") != _digest(lake)


def test_regenerating_in_place_replaces_the_workload(tmp_path: Path) -> None:
    generate_workload(tmp_path / "lake", 40, 1)
    generate_workload(tmp_path / "lake", 20, 1)
    assert len(list((tmp_path / "lake").glob("plans/*/*.json"))) == 20


def test_refuses_a_folder_that_holds_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(WorkloadError, match="not empty"):
        generate_workload(tmp_path, 5, 1)


def test_every_payload_parses_and_is_stored_as_the_producer_stores_it(lake: Path) -> None:
    plan_ids = set()
    for path in sorted(lake.glob("plans/*/*.json")):
        key = path.relative_to(lake).as_posix()
        body = path.read_bytes()
        meta = RawObjectMetadata.from_json((lake / sidecar_key(key)).read_bytes())
        assert (meta.kind, meta.sha256, meta.size) == ("plan", sha256_hex(body), len(body))
        plan = load_execution_plan(body, ApiVersion(meta.api_version))
        assert parse_raw_key(key).plan_id == plan.id == meta.plan_id
        index = PlanIndexEntry.from_json((lake / plan_index_key(plan.id)).read_bytes())
        assert (index.key, index.sha256) == (key, meta.sha256)
        plan_ids.add(plan.id)
    assert len(plan_ids) == PLANS
    named = Counter()
    for path in sorted(lake.glob("events/*/*.json")):
        key = path.relative_to(lake).as_posix()
        body = path.read_bytes()
        meta = RawObjectMetadata.from_json((lake / sidecar_key(key)).read_bytes())
        assert parse_raw_key(key).sha256_prefix == sha256_hex(body) == meta.sha256
        for event in load_execution_events(body, ApiVersion(meta.api_version)):
            named[event.plan_id] += 1
    assert set(named) == plan_ids  # every plan ran, and every event names a stored plan
    assert max(named.values()) >= 3  # plans resent across runs: several events per plan id


def test_failed_runs_and_gzip_sized_bodies_are_present(lake: Path) -> None:
    failed = 0
    for path in lake.glob("events/*/*.json"):
        failed += sum(1 for e in orjson.loads(path.read_bytes()) if "error" in e)
    assert failed > 0
    encodings = Counter(
        RawObjectMetadata.from_json(p.read_bytes()).content_encoding
        for p in lake.glob("plans/*/*.json.meta")
    )
    assert encodings["gzip"] > 0


def test_plans_have_the_shapes_of_a_real_lake(lake: Path) -> None:
    operators: Counter[str] = Counter()
    widest = 0
    layers: Counter[str] = Counter()
    for path in lake.glob("plans/*/*.json"):
        doc = orjson.loads(path.read_bytes())
        operators.update(op["name"] for op in doc["operations"]["other"])
        widest = max(widest, *(len(r["output"]) for r in doc["operations"]["reads"]))
        layers[doc["operations"]["write"]["outputSource"].split("/")[3]] += 1
    assert {"Project", "Filter", "Join", "Aggregate", "Sort", "Deduplicate"} <= set(operators)
    assert widest > 60
    assert {"curated", "aggregated"} <= set(layers)


def test_column_lineage_finds_derivations_that_cross_jobs(lake: Path) -> None:
    rules = LayerRules.default()
    kinds: Counter[str] = Counter()
    written: set[str] = set()
    read: set[str] = set()
    for path in sorted(lake.glob("plans/*/*.json")):
        plan = load_execution_plan(path.read_bytes(), ApiVersion.V1_2)
        rows = plan_graph(plan, RawSource(path.name, "x"), rules).rows
        derivations = [r for r in rows if isinstance(r, DerivesFromEdge)]
        assert derivations, f"{path.name}: no column derivation found"
        kinds.update(d.kind for d in derivations)
        written.update(r.to_id for r in rows if isinstance(r, WritesEdge))
        read.update(r.to_id for r in rows if isinstance(r, ReadsEdge))
    assert {"direct", "cast", "expression", "aggregate"} <= set(kinds)
    # Jobs chain: most datasets some job writes are read by another job.
    assert len(written & read) > len(written) // 3


RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
KeyShapes = dict[str, set[tuple[str, ...]]]


def _key_shapes(doc: dict[str, Any]) -> KeyShapes:
    """The ordered key tuples of each kind of object in a plan document."""
    ops = doc["operations"]
    expressions = doc["expressions"]
    return {
        "plan": {tuple(doc)},
        "operations": {tuple(ops)},
        "write": {tuple(ops["write"])},
        "write.extra": {tuple(ops["write"]["extra"])},
        "read": {tuple(r) for r in ops.get("reads", [])},
        "read.extra": {tuple(r["extra"]) for r in ops.get("reads", [])},
        "other": {tuple(o) for o in ops.get("other", [])},
        "attribute": {tuple(a) for a in doc["attributes"]},
        "expressions": {tuple(expressions)},
        "function": {tuple(f) for f in expressions.get("functions", [])},
        "function.extra": {tuple(f["extra"]) for f in expressions.get("functions", [])},
        "constant": {tuple(c) for c in expressions.get("constants", [])},
        "systemInfo": {tuple(doc["systemInfo"])},
        "agentInfo": {tuple(doc["agentInfo"])},
        "extraInfo": {tuple(doc["extraInfo"])},
        "dataType": {tuple(t) for t in doc["extraInfo"]["dataTypes"]},
    }


def _merged(docs: list[dict[str, Any]]) -> KeyShapes:
    merged: KeyShapes = {}
    for doc in docs:
        for kind, shapes in _key_shapes(doc).items():
            merged.setdefault(kind, set()).update(shapes)
    return merged


def _real_plans() -> list[dict[str, Any]]:
    return [orjson.loads(p.read_bytes()) for p in sorted(RECORDED.glob("*.plan.json"))]


def _generated_plans(lake: Path) -> list[dict[str, Any]]:
    return [orjson.loads(p.read_bytes()) for p in sorted(lake.glob("plans/*/*.json"))]


def test_generated_plans_have_the_real_agents_keys_in_its_order(lake: Path) -> None:
    real = _merged(_real_plans())
    generated = _merged(_generated_plans(lake))
    assert real["plan"] == {
        (
            "id",
            "name",
            "operations",
            "attributes",
            "expressions",
            "systemInfo",
            "agentInfo",
            "extraInfo",
        )
    }  # no `labels`, no `discriminator`
    for kind, shapes in generated.items():
        assert shapes <= real[kind], f"{kind}: {shapes - real[kind]} never sent by the agent"
    # The common shapes are all there, not only a corner of them.
    for kind in ("plan", "write", "read", "dataType", "agentInfo"):
        assert generated[kind] & real[kind], kind


def test_generated_plans_write_as_op_0_and_number_types_per_plan(lake: Path) -> None:
    for docs in (_real_plans(), _generated_plans(lake)):
        ordinal_ids: dict[int, str] = {}
        names_of_first_id: set[str] = set()
        for doc in docs:
            assert doc["operations"]["write"]["id"] == "op-0"
            assert doc["agentInfo"] == {"name": "spline", "version": "2.2.0"}
            types = doc["extraInfo"]["dataTypes"]
            for ordinal, data_type in enumerate(types):
                # The n-th type of every plan has the same id, whatever type it is.
                assert ordinal_ids.setdefault(ordinal, data_type["id"]) == data_type["id"]
            names_of_first_id.add(types[0]["name"])
            used = {a["dataType"] for a in doc["attributes"]}
            assert used <= {t["id"] for t in types}
        assert len(names_of_first_id) > 1  # one id, several types: resolve per plan only


def test_generated_events_are_shaped_like_the_agents(lake: Path) -> None:
    real_events = [orjson.loads(p.read_bytes()) for p in sorted(RECORDED.glob("*.events.json"))]
    assert {len(batch) for batch in real_events} == {1}
    real_keys = {tuple(e) for batch in real_events for e in batch}
    real_extra = {tuple(e["extra"]) for batch in real_events for e in batch}
    plans = {doc["id"]: doc for doc in _generated_plans(lake)}
    seen_empty = seen_metrics = 0
    for path in sorted(lake.glob("events/*/*.json")):
        (event,) = orjson.loads(path.read_bytes())  # one-element arrays, as the agent sends
        assert tuple(event) in real_keys
        assert tuple(event["extra"]) in real_extra
        assert ("durationNs" in event) != ("error" in event)
        empty = event["extra"]["readMetrics"] == event["extra"]["writeMetrics"] == {}
        assert empty == shuffles(plans[event["planId"]])
        seen_empty += empty
        seen_metrics += not empty
    assert seen_empty and seen_metrics


def test_the_empty_metrics_rule_is_what_the_real_agent_does() -> None:
    # The generator's rule, checked on the recordings: a file write reports row metrics unless
    # its plan shuffles (CTAS commands report none either; the generator writes no CTAS).
    checked = 0
    for path in sorted(RECORDED.glob("*.plan.json")):
        doc = orjson.loads(path.read_bytes())
        if doc["operations"]["write"]["name"] != "InsertIntoHadoopFsRelationCommand":
            continue
        (event,) = orjson.loads((RECORDED / path.name.replace(".plan.", ".events.")).read_bytes())
        empty = event["extra"]["readMetrics"] == event["extra"]["writeMetrics"] == {}
        assert empty == shuffles(doc), path.name
        checked += 1
    assert checked >= 20
