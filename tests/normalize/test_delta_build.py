"""Delta builds are exact: load(full(T1)) + load(delta(T1 -> T2)) == load(full(T2)).

The lake grows over three days from the real agent's recorded payloads (tests/support/
delta_lake.py), with the cases that make deltas hard: events whose plan landed days earlier, a
batch that lands before its plan, the same batch posted again later (one `Run`, two raw keys),
another body under a known plan id, datasets, columns and jobs shared across plans. Hypothesis
picks the cut-offs. Graphs are compared whole (every vertex, edge and property) as the loader
builds them from CSVs (`loader.graph_check.expected_graph`, Neptune's merge rules), and once
through the real Gremlin Server and the real loader.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from delta_lake import Landed, build_growing_lake
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from raw_zone_builder import put

from glue_jobs import entrypoint
from glue_jobs.audit import run_verify
from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from glue_jobs.normalize.delta import prepare_delta, run_delta
from glue_jobs.normalize.scheduled import read_pointer
from lineage.build_pointer import BuildKind, BuildPointerError
from lineage.delta_selection import ForeignParentError, NotABuildError, ParentTooNewError
from lineage.delta_state import FullRebuildNeededError
from lineage.graph_schema import BUILD_MARKER_COUNTS, BUILD_MARKER_ID
from lineage.verification import Outcome, VerifyError
from loader.graph_check import expected_graph, graph_elements
from stores import LocalStore

pytestmark = pytest.mark.spark


class Builds:
    """One growing lake and the builds made from it, each made once per test session."""

    def __init__(self, spark: Any, root: Path) -> None:
        self.spark = spark
        self.root = root
        self.lake = root / "lake"
        self.landed: list[Landed] = build_growing_lake(self.lake)
        self._made: dict[str, BuildResult] = {}

    def params(self, out: Path, cutoff: int) -> NormalizeParams:
        return NormalizeParams(str(self.lake), str(out), max_bad_share=1.0, landed_before_ms=cutoff)

    def full(self, cutoff: int) -> Path:
        out = self.root / f"full-{cutoff}"
        if out.name not in self._made:
            out.mkdir()
            store = LocalStore(out)
            self._made[out.name] = run_normalize(
                self.spark, LocalStore(self.lake), store, self.params(out, cutoff)
            )
        return out

    def delta(self, parent: Path, cutoff: int) -> Path:
        out = self.root / f"{parent.name}+{cutoff}"
        if out.name not in self._made:
            out.mkdir()
            self._made[out.name] = run_delta(
                self.spark,
                LocalStore(self.lake),
                LocalStore(parent),
                LocalStore(out),
                self.params(out, cutoff),
            )
        return out

    def result(self, build: Path) -> BuildResult:
        return self._made[build.name]

    def cutoff(self, index: int) -> int:
        """Just after the `index`-th payload landed (so it is in, the next one out)."""
        return self.landed[index].ms + 1


@pytest.fixture(scope="module")
def builds(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    root = tmp_path_factory.mktemp("delta")
    yield Builds(spark, root)
    shutil.rmtree(root, ignore_errors=True)


def _differences(chain: dict[str, Any], full: dict[str, Any]) -> list[str]:
    return [
        f"{key}: chain {chain.get(key)} / full {full.get(key)}"
        for key in sorted(set(chain) | set(full))
        if chain.get(key) != full.get(key)
    ][:10]


# The second batch to land is the one whose plan lands later (tests/support/delta_lake.py).
_BEFORE_ITS_PLAN = 2


def test_the_lake_holds_the_hard_cases(builds: Builds) -> None:
    keys = [item.key for item in builds.landed]
    assert any("~" in key for key in keys), "a variant body"
    batches = [key.rsplit("/", 1)[1] for key in keys if key.startswith("events/")]
    assert len(batches) > len(set(batches)), "one batch posted on two days"
    assert keys[_BEFORE_ITS_PLAN].startswith("events/"), "a batch that lands before its plan"
    assert len({item.received_at.date() for item in builds.landed}) >= 3


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
@example(data=None)
def test_full_plus_deltas_is_the_full_rebuild(builds: Builds, data: Any) -> None:
    last = len(builds.landed) - 1
    if data is None:
        # Deterministic split points that straddle every hard case of the lake.
        first = _BEFORE_ITS_PLAN  # in before the cut, its plan after it
        cuts = [first, last // 2, last]
    else:
        first = data.draw(st.integers(0, last - 2), label="first cut")
        middle = data.draw(st.integers(first + 1, last - 1), label="second cut")
        cuts = [first, middle, last]
    cutoffs = [builds.cutoff(i) for i in cuts]
    chain = [builds.full(cutoffs[0])]
    first_graph = expected_graph(chain[0])
    assert _marker_counts(first_graph) == _counted(first_graph)
    for cutoff in cutoffs[1:]:
        chain.append(builds.delta(chain[-1], cutoff))
        chained = expected_graph(*chain)
        loaded = _lineage(chained)
        full_graph = expected_graph(builds.full(cutoff))
        full = _lineage(full_graph)
        assert loaded == full, _differences(loaded, full)
        # The marker's counts (lineage.graph_counts) are those of the graph it ends up on.
        assert _marker_counts(chained) == _counted(chained) == _marker_counts(full_graph)


def test_a_delta_reads_only_what_landed_since_its_parent(builds: Builds) -> None:
    half = len(builds.landed) // 2
    parent = builds.full(builds.cutoff(half))
    delta = builds.delta(parent, builds.cutoff(len(builds.landed) - 1))
    manifest = builds.result(delta).manifest
    read = {item.key for item in manifest.inputs if not item.key.endswith(".meta")}
    newer = {item.key for item in builds.landed[half + 1 :]}
    older_plans_named = read - newer
    # Everything newer is read; of the older objects only plans (named by new events, or
    # pending batches of a plan that landed now), never an older payload of any other kind.
    assert newer <= read
    assert all(key.startswith(("plans/", "events/")) for key in older_plans_named)
    parent_sha = hashlib.sha256((parent / "manifest.json").read_bytes()).hexdigest()
    assert manifest.parameters["since_manifest_sha256"] == parent_sha
    assert manifest.parameters["since_landed_before_ms"] == builds.cutoff(half)


@pytest.mark.graph
def test_the_real_loader_gives_the_full_rebuilds_graph(builds: Builds, clean_graph: str) -> None:
    from loader import LocalTarget, run_load

    first = _BEFORE_ITS_PLAN
    parent = builds.full(builds.cutoff(first))
    middle = builds.delta(parent, builds.cutoff(len(builds.landed) // 2))
    delta = builds.delta(middle, builds.cutoff(len(builds.landed) - 1))
    # The batch that landed before its plan is read again once its plan has landed.
    pending = builds.landed[_BEFORE_ITS_PLAN].key
    assert pending in {item.key for item in builds.result(middle).manifest.inputs}
    for build in (parent, middle, delta):
        # The build folder: its graph files load first, then its marker.
        report = run_load(str(build), LocalTarget(url=clean_graph))
        assert report.succeeded, report.summary()
    actual = graph_elements(clean_graph)
    # The marker names the last build loaded (the read API's caches key on it).
    assert actual[_MARKER] == expected_graph(delta)[_MARKER]
    assert _marker_counts(actual) == _counted(actual)
    full = _lineage(expected_graph(builds.full(builds.cutoff(len(builds.landed) - 1))))
    assert _lineage(actual) == full, _differences(_lineage(actual), full)


_MARKER = f"v:{BUILD_MARKER_ID}"


def _counted(graph: dict[str, Any]) -> dict[str, int]:
    """What `GET /status?counts=true` counts, counted in the graph itself."""
    kinds = Counter((element["kind"], element["label"]) for element in graph.values())
    wanted = [("v", "Job"), ("v", "Dataset"), ("e", "HAS_PLAN"), ("e", "HAS_RUN")]
    return dict(zip(BUILD_MARKER_COUNTS, (kinds[kind] for kind in wanted), strict=True))


def _marker_counts(graph: dict[str, Any]) -> dict[str, int]:
    props = graph[_MARKER]["props"]
    found = {name: props[name] for name in BUILD_MARKER_COUNTS}
    assert all(len(values) == 1 and values[0][0] == "int" for values in found.values()), found
    return {name: values[0][1] for name, values in found.items()}


def _lineage(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph without the build marker: a chain and a full rebuild hold the same lineage,
    but each names the build loaded last."""
    assert _MARKER in graph
    return {key: element for key, element in graph.items() if key != _MARKER}


# ------------------------------------------------------------------------------------ refusals


def _prepare(builds: Builds, parent: Path, cutoff: int, lake: Path | None = None) -> None:
    out = builds.root / "refused"
    out.mkdir(exist_ok=True)
    prepare_delta(
        LocalStore(lake or builds.lake),
        LocalStore(parent),
        LocalStore(out),
        builds.params(out, cutoff),
    )


def test_a_folder_that_is_not_a_build_is_refused(builds: Builds, tmp_path: Path) -> None:
    with pytest.raises(NotABuildError, match="is not a build"):
        _prepare(builds, tmp_path, builds.cutoff(3))
    (tmp_path / "manifest.json").write_text('{"format": 1')
    with pytest.raises(NotABuildError, match="not a build manifest"):
        _prepare(builds, tmp_path, builds.cutoff(3))


def test_a_parent_not_older_than_the_cutoff_is_refused(builds: Builds) -> None:
    parent = builds.full(builds.cutoff(10))
    with pytest.raises(ParentTooNewError, match="not before this build's cut-off"):
        _prepare(builds, parent, builds.cutoff(10))
    with pytest.raises(ParentTooNewError):
        _prepare(builds, parent, builds.cutoff(4))


def test_a_parent_of_another_lake_is_refused(builds: Builds, tmp_path: Path) -> None:
    parent = builds.full(builds.cutoff(10))
    other = tmp_path / "other"
    (other / "plans").mkdir(parents=True)
    with pytest.raises(ForeignParentError, match="was not built from"):
        _prepare(builds, parent, builds.cutoff(20), lake=other)


def test_an_older_object_added_later_needs_a_full_rebuild(builds: Builds, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(builds.lake, lake)
    index = 10
    parent = builds.full(builds.cutoff(index))
    # Landed (by its sidecar) before the parent's cut-off, on its day, but not read by it.
    late = builds.landed[index].received_at
    key = put(lake, b"[]", kind="events", received_at=late)
    with pytest.raises(FullRebuildNeededError, match=f"not read by.*{key}.*full rebuild"):
        _prepare(builds, parent, builds.cutoff(20), lake=lake)


def test_a_changed_object_needs_a_full_rebuild(builds: Builds, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(builds.lake, lake)
    index = 10
    parent = builds.full(builds.cutoff(index))
    day = builds.landed[index].key.split("/")[1]
    read = builds.result(parent).manifest.inputs
    key = next(i.key for i in read if f"/{day}/" in i.key and not i.key.endswith(".meta"))
    (lake / key).write_bytes((lake / key).read_bytes() + b" ")
    with pytest.raises(FullRebuildNeededError, match="changed since") as refused:
        _prepare(builds, parent, builds.cutoff(20), lake=lake)
    assert key in str(refused.value)
    assert "a full rebuild is needed" in str(refused.value)


def test_a_state_file_changed_after_its_build_needs_a_full_rebuild(
    builds: Builds, tmp_path: Path
) -> None:
    parent = tmp_path / "parent"
    shutil.copytree(builds.full(builds.cutoff(10)), parent)
    # The same lines compressed otherwise: a delta that copied it unread would pass it on.
    column = parent / "state" / "v" / "Column.jsonl.gz"
    column.write_bytes(gzip.compress(gzip.decompress(column.read_bytes()), compresslevel=9))
    out = tmp_path / "delta"
    out.mkdir()
    with pytest.raises(
        FullRebuildNeededError, match=r"Column\.jsonl\.gz is not the file its build"
    ):
        run_delta(
            builds.spark,
            LocalStore(builds.lake),
            LocalStore(parent),
            LocalStore(out),
            builds.params(out, builds.cutoff(20)),
        )
    assert not (out / "manifest.json").exists()


# --------------------------------------------------------------------------- verifying a chain


def test_a_chain_verifies_link_by_link(builds: Builds) -> None:
    parent = builds.full(builds.cutoff(_BEFORE_ITS_PLAN))
    delta = builds.delta(parent, builds.cutoff(len(builds.landed) // 2))
    lake = str(builds.lake)
    full_report = run_verify(lambda: builds.spark, lake, str(parent))
    delta_report = run_verify(lambda: builds.spark, lake, str(delta), parent=str(parent))
    assert full_report.outcome is Outcome.VERIFIED, full_report.findings
    assert delta_report.outcome is Outcome.VERIFIED, delta_report.findings
    assert delta_report.manifest_identical


def test_a_delta_is_verified_only_with_the_parent_it_names(builds: Builds) -> None:
    parent = builds.full(builds.cutoff(_BEFORE_ITS_PLAN))
    other = builds.full(builds.cutoff(10))
    delta = builds.delta(parent, builds.cutoff(len(builds.landed) // 2))
    lake = str(builds.lake)
    with pytest.raises(VerifyError, match="is a delta build: give the chain"):
        run_verify(lambda: builds.spark, lake, str(delta))
    with pytest.raises(VerifyError, match="built on a parent whose manifest"):
        run_verify(lambda: builds.spark, lake, str(delta), parent=str(other))
    with pytest.raises(VerifyError, match="is a full build: it has no parent"):
        run_verify(lambda: builds.spark, lake, str(other), parent=str(parent))


# ---------------------------------------------------------------------------- scheduled runs


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def test_scheduled_runs_continue_from_the_pointer(builds: Builds, tmp_path: Path) -> None:
    prefix = tmp_path / "builds"
    cuts = [builds.cutoff(i) for i in (_BEFORE_ITS_PLAN, len(builds.landed) // 2)]
    base = ["--lake", str(builds.lake), "--out", str(prefix), "--scheduled", "true"]
    base += ["--max_bad_share", "1"]
    kinds = []
    for cutoff, extra in ((cuts[0], []), (cuts[1], []), (cuts[1] + 1, ["--full", "true"])):
        assert entrypoint.main([*base, "--landed_before", _iso(cutoff), *extra]) == 0
        pointer = read_pointer(str(prefix))
        assert pointer is not None and pointer.landed_before_ms == cutoff
        kinds.append(pointer.kind)
    assert kinds == [BuildKind.FULL, BuildKind.DELTA, BuildKind.FULL]
    folders = sorted(p.name for p in (prefix / "builds").iterdir())
    assert [f.rsplit("-", 1)[1] for f in folders] == ["full", "delta", "full"]
    chain = _lineage(expected_graph(*(prefix / "builds" / f for f in folders[:2])))
    assert chain == _lineage(expected_graph(builds.full(cuts[1])))


def test_a_broken_pointer_is_named(tmp_path: Path) -> None:
    (tmp_path / "LATEST.json").write_text(
        '{"build": "../elsewhere", "kind": "full", "landed_before_ms": 1}'
    )
    with pytest.raises(BuildPointerError, match="not a folder under builds/"):
        read_pointer(str(tmp_path))
    (tmp_path / "LATEST.json").write_text("{" * 100_000)
    with pytest.raises(BuildPointerError, match="not a build pointer"):
        read_pointer(str(tmp_path))
