"""The benchmark workload generator: deterministic, valid Spline v1.2, and lineage-rich."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

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
from lineage.spline_model import ApiVersion, load_execution_events, load_execution_plan
from lineage_cli.bench.workload import MANIFEST_NAME, WorkloadError, generate_workload

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
