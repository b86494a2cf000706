"""The normalize job on Spark: each transform (chispa), the whole job, its files, determinism."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, payload
from raw_zone_builder import day, put

from glue_jobs.normalize import (
    EVENT_SCHEMA,
    BuildResult,
    NormalizeParams,
    load,
    parse_events,
    run_normalize,
    transform,
)
from glue_jobs.normalize.selection import select_inputs
from lineage.catalog import run_catalog_root, shard_of
from lineage.graph_schema import EDGE_CLASSES, VERTEX_CLASSES, VertexLabel, catalog_id
from lineage.manifest import Manifest
from lineage.quarantine import Outcome, PayloadStatus, TooManyBadPayloadsError
from lineage.raw_zone_layout import parse_raw_key
from loader.csv_reader import EdgeRecord, VertexRecord, iter_records, read_layout
from stores import LocalStore

pytestmark = pytest.mark.spark

SALES_ID = "6a1f8f3e-2d9b-5c1e-9f00-111111111111"
REPORT_ID = "6a1f8f3e-2d9b-5c1e-9f00-222222222222"
ORPHAN_ID = "00000000-0000-4000-8000-000000000000"


def _json(name: str) -> Any:
    return json.loads(payload(name))


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=1).encode()


@dataclass
class Lake:
    root: Path
    keys: dict[str, str]


def _build_lake(root: Path) -> Lake:
    """Two good jobs on two days, and one payload for each quarantine reason."""
    keys: dict[str, str] = {}
    keys["sales"] = put(root, payload(SALES_PLAN), kind="plan", received_at=day("2025-11-21"))
    keys["sales_ev"] = put(
        root,
        payload("events_sales_by_country.v1_2.json"),
        kind="events",
        received_at=day("2025-11-21"),
    )
    keys["report"] = put(root, payload(REPORT_PLAN), kind="plan", received_at=day("2025-11-22"))
    keys["report_ev"] = put(
        root,
        payload("events_country_report.v1_2.json"),
        kind="events",
        received_at=day("2025-11-22"),
    )
    keys["report_failed"] = put(
        root,
        payload("events_country_report_failed.v1_2.json"),
        kind="events",
        received_at=day("2025-11-22", 15),
    )
    keys["unparsable"] = put(root, b'[{"planId": ', kind="events", received_at=day("2025-11-22"))

    dangling = _json(SALES_PLAN)
    dangling["id"] = "10000000-0000-4000-8000-000000000001"
    dangling["operations"]["write"]["childIds"] = ["op-99"]
    keys["dangling"] = put(root, _bytes(dangling), kind="plan", received_at=day("2025-11-22"))

    cyclic = _json(REPORT_PLAN)
    cyclic["id"] = "10000000-0000-4000-8000-000000000002"
    cyclic["attributes"][3]["childRefs"] = [{"__attrId": "attr-4"}]
    cyclic["attributes"][4]["childRefs"] = [{"__attrId": "attr-3"}]
    keys["cycle"] = put(root, _bytes(cyclic), kind="plan", received_at=day("2025-11-22"))

    future = _json(REPORT_PLAN)
    future["id"] = "10000000-0000-4000-8000-000000000003"
    keys["version"] = put(
        root, _bytes(future), kind="plan", received_at=day("2025-11-22"), version="9.9"
    )
    # Events of the plan with an unknown version: quarantined because their plan is.
    ev = _json("events_country_report.v1_2.json")
    ev[0]["planId"] = future["id"]
    keys["plan_quarantined"] = put(root, _bytes(ev), kind="events", received_at=day("2025-11-22"))

    orphan = _json("events_sales_by_country.v1_2.json")
    orphan[0]["planId"] = ORPHAN_ID
    keys["orphan"] = put(root, _bytes(orphan), kind="events", received_at=day("2025-11-22"))

    no_meta = _json(REPORT_PLAN)
    no_meta["id"] = "10000000-0000-4000-8000-000000000004"
    keys["no_meta"] = put(
        root, _bytes(no_meta), kind="plan", received_at=day("2025-11-22"), sidecar=False
    )
    return Lake(root, keys)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return _build_lake(tmp_path_factory.mktemp("lake"))


def _run(spark: Any, lake: Lake, out: Path, **overrides: Any) -> BuildResult:
    params = NormalizeParams(lake=str(lake.root), out=str(out), max_bad_share=0.9, **overrides)
    return run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), params)


@pytest.fixture(scope="module")
def build(spark: Any, lake: Lake, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return _run(spark, lake, tmp_path_factory.mktemp("build"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------- transforms (chispa)


def test_parse_events_emits_one_row_per_event_and_a_status_per_batch(
    spark: Any, lake: Lake
) -> None:
    keys = spark.createDataFrame(
        [(lake.keys["report_failed"],), (lake.keys["unparsable"],)], "key string"
    )
    params = NormalizeParams(lake=str(lake.root), out="unused")
    got = parse_events(keys, LocalStore(str(lake.root)), params).select(
        "key", "plan_id", "timestamp", "kind"
    )
    expected = spark.createDataFrame(
        [
            (lake.keys["report_failed"], None, None, "batch"),
            (lake.keys["report_failed"], REPORT_ID, 1763776800000, "event"),
            (lake.keys["unparsable"], None, None, "batch"),
        ],
        "key string, plan_id string, timestamp long, kind string",
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_task_that_sends_its_recurring_rows_on_early_writes_the_same_files(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    # A task holds at most `shared_rows` recurring rows; sending them on after every plan
    # (duplicates across plans reach the writer) must not change a single byte written.
    store = LocalStore(str(lake.root))
    params = NormalizeParams(lake=str(lake.root), out="unused")
    selection = select_inputs(store, params)
    plans = [(key, str(parse_raw_key(key).plan_id)) for key in selection.plan_keys]
    keys = spark.createDataFrame(plans, "key string, plan_id string").repartition(1)
    batches = spark.createDataFrame([(k,) for k in selection.event_keys], "key string")
    events = parse_events(batches, store, params)
    files: dict[int, list[tuple[str, str]]] = {}
    rows: dict[int, int] = {}
    for bound in (1, 100_000):
        made = transform(keys, store, events, params, selection.duplicates, shared_rows=bound)
        rows[bound] = made.count()
        written = load(made, LocalStore(str(tmp_path / str(bound))), params).collect()
        files[bound] = sorted((r["path"], r["sha256"]) for r in written if r["kind"] == "file")
    assert rows[1] > rows[100_000]  # the early sending happened
    assert files[1] == files[100_000] and len(files[1]) > 5


def test_transform_emits_encoded_rows_and_a_status(spark: Any, lake: Lake) -> None:
    keys = spark.createDataFrame([(lake.keys["report"], REPORT_ID)], "key string, plan_id string")
    params = NormalizeParams(lake=str(lake.root), out="unused")
    no_events = spark.createDataFrame([], EVENT_SCHEMA)
    rows = transform(keys, LocalStore(str(lake.root)), no_events, params, {})
    datasets = rows.where("group = 'v/Dataset'").select("id")
    expected = spark.createDataFrame(
        [
            ("ds:s3://acme-lake/aggregated/sales_by_country",),
            ("ds:s3://acme-lake/marts/country_report",),
        ],
        "id string",
    )
    assert_df_equality(datasets, expected, ignore_row_order=True, ignore_nullable=True)
    derives = rows.where("group = 'e/DERIVES_FROM'").selectExpr(
        "split(line, ',')[1] as from_id", "split(line, ',')[2] as to_id"
    )
    expected_derives = spark.createDataFrame(
        [
            (
                "col:s3://acme-lake/marts/country_report#country",
                "col:s3://acme-lake/aggregated/sales_by_country#country_u",
            ),
            (
                "col:s3://acme-lake/marts/country_report#total_int",
                "col:s3://acme-lake/aggregated/sales_by_country#total",
            ),
        ],
        "from_id string, to_id string",
    )
    assert_df_equality(derives, expected_derives, ignore_row_order=True, ignore_nullable=True)
    (status,) = rows.where("group = '~status'").collect()
    doc = PayloadStatus.from_json(status["line"])
    assert doc.outcome is Outcome.NORMALIZED and doc.plan_id == REPORT_ID and doc.runs == 0


def test_load_dedupes_sorts_and_writes_exact_files(spark: Any, tmp_path: Path) -> None:
    rows = spark.createDataFrame(
        [
            ("v/Job", "job:b", "job:b,Job,b,,spark"),
            ("v/Job", "job:a", "job:a,Job,a,,spark"),
            ("v/Job", "job:b", "job:b,Job,b,,spark"),
            ("e/HAS_PLAN", "HAS_PLAN:1", "HAS_PLAN:1,job:a,plan:x,HAS_PLAN"),
            ("~status", "k", '{"status":"normalized"}'),
        ],
        "group string, id string, line string",
    )
    out = tmp_path / "out"
    params = NormalizeParams(lake="unused", out=str(out))
    written = load(rows, LocalStore(str(out)), params).select("kind", "label", "path", "rows")
    expected = spark.createDataFrame(
        [
            ("file", "Job", "csv/vertices/Job-00000.csv", 2),
            ("file", "HAS_PLAN", "csv/edges/HAS_PLAN-00000.csv", 1),
            ("status", None, None, None),
        ],
        "kind string, label string, path string, rows long",
    )
    assert_df_equality(written, expected, ignore_row_order=True, ignore_nullable=True)
    assert (out / "csv/vertices/Job-00000.csv").read_text() == (
        "~id,~label,name:String(single),glue_job_name:String(single),system:String(single)\n"
        "job:a,Job,a,,spark\n"
        "job:b,Job,b,,spark\n"
    )
    assert sorted(p.name for p in out.rglob("*")) == [
        "HAS_PLAN-00000.csv",
        "Job-00000.csv",
        "csv",
        "edges",
        "vertices",
    ]


def test_load_rolls_files_at_the_size_limit(spark: Any, tmp_path: Path) -> None:
    rows = spark.createDataFrame(
        [("v/Job", f"job:{i:03d}", f"job:{i:03d},Job,{i:03d},,spark") for i in range(30)],
        "group string, id string, line string",
    )
    out = tmp_path / "out"
    params = NormalizeParams(lake="unused", out=str(out), target_file_bytes=400)
    load(rows, LocalStore(str(out)), params).collect()
    files = sorted((out / "csv" / "vertices").iterdir())
    assert len(files) > 1
    ids = [line.split(",")[0] for f in files for line in f.read_text().splitlines()[1:]]
    assert ids == [f"job:{i:03d}" for i in range(30)]
    assert all(f.stat().st_size <= 400 for f in files)


# ------------------------------------------------------------------------------ the whole job


def test_counts_reconcile_and_each_bad_payload_has_its_reason(
    build: BuildResult, lake: Lake
) -> None:
    report = build.report
    assert report.read == len(lake.keys)
    assert report.read == report.normalized + report.quarantined + report.excluded
    reasons = {e.key: e.reason.value for e in report.entries}
    k = lake.keys
    assert reasons == {
        k["unparsable"]: "unparsable",
        k["dangling"]: "dangling_reference",
        k["cycle"]: "cycle",
        k["version"]: "unknown_version",
        k["plan_quarantined"]: "plan_quarantined",
        k["orphan"]: "orphan_events",
        k["no_meta"]: "missing_metadata",
    }
    details = {e.key: e.detail for e in report.entries}
    assert "op-99" in details[k["dangling"]]
    assert ORPHAN_ID in details[k["orphan"]]
    assert "9.9" in details[k["version"]]


def test_quarantine_file_and_manifest_agree(build: BuildResult) -> None:
    out = Path(build.out)
    doc = json.loads((out / "quarantine.json").read_text())
    assert doc["counts"]["quarantined"] == len(doc["entries"]) == 7
    manifest = Manifest.from_json((out / "manifest.json").read_bytes())
    assert manifest.payloads["quarantined"] == 7
    for item in manifest.outputs:
        data = (out / item.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size


def test_manifest_lists_every_input_with_its_hash(build: BuildResult, lake: Lake) -> None:
    for item in build.manifest.inputs:
        data = (lake.root / item.key).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
    keys = {i.key for i in build.manifest.inputs}
    assert lake.keys["sales"] in keys and lake.keys["sales"] + ".meta" in keys


def _records(out: Path) -> Iterator[VertexRecord | EdgeRecord]:
    csv = out / "csv"
    for path in sorted((csv / "vertices").glob("*.csv*")) + sorted((csv / "edges").glob("*.csv*")):
        yield from iter_records(path)


def test_every_output_file_passes_the_strict_reader_with_consistent_graph(
    build: BuildResult,
) -> None:
    out = Path(build.out)
    assert sorted(p.name for p in out.iterdir()) == [
        "csv",
        "manifest.json",
        "marker",
        "quarantine.json",
        "run-info.json",
        "state",
    ]
    assert sorted(p.name for p in (out / "csv").iterdir()) == ["edges", "vertices"]
    vertices: dict[str, str] = {}
    edges: list[EdgeRecord] = []
    for record in _records(out):
        if isinstance(record, VertexRecord):
            assert record.id not in vertices, f"duplicate vertex {record.id}"
            (label,) = record.labels
            vertices[record.id] = label
        else:
            edges.append(record)
    assert len({e.id for e in edges}) == len(edges)
    prefixes = {
        "Job": "job:",
        "Run": "run:",
        "Plan": "plan:",
        "Operation": "op:",
        "Dataset": "ds:",
        "Column": "col:",
        "Build": "build:",
        "Catalog": "catalog:",
    }
    for vid, label in vertices.items():
        assert vid.startswith(prefixes[label]), vid
    for edge in edges:
        assert edge.from_id in vertices, f"{edge.label} {edge.id}: missing from {edge.from_id}"
        assert edge.to_id in vertices, f"{edge.label} {edge.id}: missing to {edge.to_id}"
        assert edge.id.startswith(edge.label + ":")
    # Headers declare exactly the schema's columns and types, one label per file.
    for path in sorted(out.rglob("*.csv")):
        layout = read_layout(path)
        label = path.name.rsplit("-", 1)[0]
        cls = VERTEX_CLASSES.get(label) or EDGE_CLASSES[label]  # type: ignore[call-overload]
        assert layout.columns == cls.COLUMNS
    # The written run of the failed execution is there with its error.
    runs = [r for r in _records(out) if isinstance(r, VertexRecord) and r.labels == ("Run",)]
    statuses = sorted(
        next(p.values[0] for p in r.properties if p.column.name == "status") for r in runs
    )
    assert statuses == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_every_job_dataset_and_run_is_listed_once_by_its_catalog_shard(
    build: BuildResult,
) -> None:
    records = list(_records(Path(build.out)))
    labels = {r.id: r.labels[0] for r in records if isinstance(r, VertexRecord)}
    catalogs = [
        (r.from_id, r.to_id) for r in records if isinstance(r, EdgeRecord) and r.label == "CATALOGS"
    ]
    root = run_catalog_root().id
    members = sorted(m for shard, m in catalogs if shard != root)
    listed = ("Job", "Dataset", "Run")
    expected = sorted(vid for vid, label in labels.items() if label in listed)
    assert members == expected and {labels[m] for m in members} == set(listed)
    hours = {m for shard, m in catalogs if shard == root}
    values = {
        r.id: {p.column.name: p.values for p in r.properties}
        for r in records
        if isinstance(r, VertexRecord)
    }
    for shard, member in catalogs:
        assert labels[shard] == "Catalog"
        if shard == root:
            continue
        if labels[member] == "Run":  # its start hour, under the root (these runs start once)
            assert shard in hours
            (began,) = values[shard]["from_ms"]
            (ends,) = values[shard]["until_ms"]
            (started,) = values[member]["started_at_ms"]
            assert began <= started < ends  # type: ignore[operator]
        else:
            assert shard == catalog_id(VertexLabel(labels[member]), shard_of(member))
    used = {shard for shard, _ in catalogs} | hours
    assert used == {vid for vid, label in labels.items() if label == "Catalog"}


def test_cross_job_column_lineage_is_connected(build: BuildResult) -> None:
    derives = {
        (r.from_id, r.to_id)
        for r in _records(Path(build.out))
        if isinstance(r, EdgeRecord) and r.label == "DERIVES_FROM"
    }
    report_total = "col:s3://acme-lake/marts/country_report#total_int"
    sales_total = "col:s3://acme-lake/aggregated/sales_by_country#total"
    assert (report_total, sales_total) in derives
    assert (sales_total, "col:s3://acme-lake/raw/orders#amount") in derives


def test_two_runs_are_byte_identical(
    spark: Any, build: BuildResult, lake: Lake, tmp_path: Path
) -> None:
    again = _run(spark, lake, tmp_path / "again")
    first, second = _files(Path(build.out)), _files(Path(again.out))
    first.pop("run-info.json")
    second.pop("run-info.json")
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_date_range_selects_events_and_the_plans_they_name(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    import datetime as dt

    result = _run(
        spark,
        lake,
        tmp_path / "range",
        date_from=dt.date(2025, 11, 21),
        date_to=dt.date(2025, 11, 21),
    )
    assert result.report.read == 2  # the sales plan and its events only
    assert result.report.normalized == 2
    assert result.manifest.counts()["vertices"]["Run"] == 1
    assert "Plan" in result.manifest.counts()["vertices"]


def test_too_many_bad_payloads_fail_loudly_and_leave_no_csv(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    out = tmp_path / "strict"
    params = NormalizeParams(lake=str(lake.root), out=str(out), max_bad_share=0.1)
    with pytest.raises(TooManyBadPayloadsError, match=r"7 of 12 payloads quarantined"):
        run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), params)
    assert (out / "quarantine.json").exists()
    assert not list(out.rglob("*.csv"))


def test_gzip_output_reads_back_identically(
    spark: Any, build: BuildResult, lake: Lake, tmp_path: Path
) -> None:
    zipped = _run(spark, lake, tmp_path / "gz", gzip=True)
    plain = sorted((r.id, r.line) for r in _records(Path(build.out)))
    packed = sorted((r.id, r.line) for r in _records(Path(zipped.out)))
    assert plain == packed
    assert all(p.name.endswith(".csv.gz") for p in Path(zipped.out).rglob("*.csv*"))


def _runs(result: BuildResult) -> list[str]:
    return sorted(
        next(p.values[0] for p in r.properties if p.column.name == "status")
        for r in _records(Path(result.out))
        if isinstance(r, VertexRecord) and r.labels == ("Run",)
    )


def test_as_of_keeps_only_executions_at_or_before_the_instant(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    from glue_jobs.entrypoint import parse_instant

    # Runs: sales 00:00, report 01:00, report (failed) 02:00 on 2025-11-22 UTC.
    early = _run(spark, lake, tmp_path / "early", as_of_ms=parse_instant("2025-11-22T00:30:00Z"))
    assert _runs(early) == ["SUCCEEDED"]
    assert early.manifest.counts()["vertices"]["Plan"] == 1  # the report plan had no run yet
    later = _run(spark, lake, tmp_path / "later", as_of_ms=parse_instant("2025-11-22T01:30:00Z"))
    assert _runs(later) == ["SUCCEEDED", "SUCCEEDED"]
    assert later.manifest.counts()["vertices"]["Plan"] == 2
    assert later.report.excluded >= 1  # the failed run's batch
    for result in (early, later):
        assert result.report.read == result.report.normalized + result.report.quarantined + (
            result.report.excluded
        )


def test_landed_before_ignores_payloads_received_later(
    spark: Any, lake: Lake, tmp_path: Path
) -> None:
    from glue_jobs.entrypoint import parse_instant

    result = _run(
        spark, lake, tmp_path / "landed", landed_before_ms=parse_instant("2025-11-22T00:00:00Z")
    )
    assert _runs(result) == ["SUCCEEDED"]
    assert result.manifest.counts()["vertices"]["Plan"] == 1
    # Only a payload whose landing time is unknown (no sidecar) cannot be placed in time.
    assert {e.reason.value for e in result.report.entries} == {"missing_metadata"}


def test_the_build_marker_names_the_graph_files(build: BuildResult) -> None:
    from lineage.build_marker import marker_digest
    from lineage.graph_schema import BUILD_MARKER_ID

    out = Path(build.out)
    # Outside csv/, which the graph files' load reads: the marker loads second, on its own.
    assert not [r for r in _records(out) if isinstance(r, VertexRecord) and r.labels == ("Build",)]
    assert sorted(p.name for p in (out / "marker").iterdir()) == ["Build-00000.csv"]
    assert Path(build.marker_source) == out / "marker"
    (marker,) = iter_records(out / "marker" / "Build-00000.csv")
    assert isinstance(marker, VertexRecord) and marker.id == BUILD_MARKER_ID
    graph_files = [f for f in build.manifest.outputs if f.path.startswith("csv/")]
    assert len(graph_files) > 5
    found = {p.column.name: p.values for p in marker.properties}
    assert list(found) == ["digest", "counts_of", "jobs", "datasets", "plans", "runs"]
    (digest,) = found["digest"]
    assert digest == marker_digest(graph_files)
    assert found["counts_of"] == (digest,)  # the counts are this build's
    # Counts of what the graph holds (lineage.graph_counts): here, what the build's files hold.
    counts = build.manifest.counts()
    assert found["jobs"] == (counts["vertices"]["Job"],)
    assert found["datasets"] == (counts["vertices"]["Dataset"],)
    assert found["plans"] == (counts["edges"]["HAS_PLAN"],)
    assert found["runs"] == (counts["edges"]["HAS_RUN"],)
    # The manifest lists the marker file too, which does not change the digest.
    (listed,) = [f for f in build.manifest.outputs if f.label == "Build"]
    assert listed.path == "marker/Build-00000.csv"
    assert marker_digest(build.manifest.outputs) == digest
    assert build.manifest.counts()["vertices"]["Build"] == 1
