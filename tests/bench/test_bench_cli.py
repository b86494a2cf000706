"""`lineage bench generate` and the target checks of `lineage bench`, without running stages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_bench.results import StageResult, Target, check_targets
from lineage_bench.workload import MANIFEST_NAME
from lineage_cli.main import app

pytestmark = pytest.mark.unit


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.json*"))
        if p.name != MANIFEST_NAME  # records the elapsed time
    }


def test_generate_writes_the_same_raw_zone_for_the_same_seed(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        done = runner.invoke(
            app,
            ["bench", "generate", "--plans", "25", "--seed", "4", "--out", str(tmp_path / name)],
        )
        assert done.exit_code == 0, done.output
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first == second
    assert sum(1 for k in first if k.startswith("plans/") and k.endswith(".json")) == 25


def test_generate_refuses_a_folder_with_other_files_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("not a workload")
    done = CliRunner().invoke(app, ["bench", "generate", "--plans", "3", "--out", str(tmp_path)])
    assert done.exit_code == 2
    assert done.output.count("\n") == 1 and str(tmp_path) in done.output
    assert (tmp_path / "keep.txt").read_text() == "not a workload"


def test_bench_refuses_an_unknown_stage_to_skip(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["bench", "--skip", "nightly", "--work", str(tmp_path)])
    assert done.exit_code == 2
    assert "'nightly' is not a stage" in done.output
    # A comma list is split like the size flags': the unknown name is the one reported.
    listed = CliRunner().invoke(
        app, ["bench", "--skip", "producer, nightly", "--work", str(tmp_path)]
    )
    assert listed.exit_code == 2
    assert "'nightly' is not a stage" in listed.output
    # An empty value is refused too, instead of skipping nothing (the full run, hours long).
    for empty in ("", " , "):
        done = CliRunner().invoke(app, ["bench", "--skip", empty, "--work", str(tmp_path)])
        assert done.exit_code == 2
        assert "names no stage" in done.output


def test_targets_report_met_missed_by_how_much_and_not_measured() -> None:
    producer = StageResult("producer")
    producer.add("requests_per_s", 250, "req/s")
    load = StageResult("load")
    load.add("elements_per_s", 10_000, "elements/s", "10k plans")
    load.add("elements_per_s", 30_000, "elements/s", "100k plans")
    targets = (
        Target("producer", "requests_per_s", "", ">=", 500, "req/s", "producer"),
        Target("load", "elements_per_s", "", ">=", 20_000, "elements/s", "load"),
        Target("normalize", "seconds", "100k plans", "<=", 180, "s", "normalize"),
    )
    checks = {c.target: c for c in check_targets([producer, load], targets)}
    assert checks["producer"].met is False
    assert "0.50x" in checks["producer"].margin
    # A stage measured at several sizes is judged at its largest one.
    assert checks["load"].met is True and checks["load"].measured == 30_000
    assert checks["normalize"].met is None and checks["normalize"].measured is None


def test_skipped_stages_generate_and_normalize_nothing_at_their_sizes() -> None:
    from lineage_bench.runner import BenchOptions, planned_sizes

    def sizes(skip: set[str]) -> tuple[list[int], list[int]]:
        options = BenchOptions.preset(
            False,
            Path("w"),
            normalize_sizes=(2_000,),
            graph_sizes=(10_000,),
            delta_sizes=(10_000, 100_000),
            follow_sizes=(50_000,),
            skip=frozenset(skip),
        )
        return planned_sizes(options)

    assert sizes(set()) == ([2_000, 10_000], [2_000, 10_000, 50_000, 100_000])
    assert sizes({"delta"}) == ([2_000, 10_000], [2_000, 10_000, 50_000])
    assert sizes({"follow"}) == ([2_000, 10_000], [2_000, 10_000, 100_000])
    # Without normalize the graph stages have no builds: only delta and follow need a lake.
    assert sizes({"normalize"}) == ([], [10_000, 50_000, 100_000])
    assert sizes({"normalize", "delta", "follow"}) == ([], [])


def test_the_same_night_pairs_histories_by_their_new_payloads_not_their_share() -> None:
    from lineage_bench.delta import DeltaFigures, Timed
    from lineage_bench.stages import same_night

    def night(plans: int, share: float, new: int, build_s: float) -> DeltaFigures:
        timed = Timed(build_s, build_s, "1.0")
        return DeltaFigures(plans, share, new, timed, Timed(1.0, 1.0, "1.0"), timed, timed)

    result = StageResult("delta")
    same_night(
        result,
        [
            night(10_000, 0.01, 267, 4.0),
            night(10_000, 0.1, 2_673, 9.0),
            night(100_000, 0.01, 2_672, 14.0),
            night(100_000, 0.1, 26_720, 60.0),
        ],
    )
    # Only 10 % of 10k and 1 % of 100k hold the same night: (14 + 1) / (9 + 1).
    assert [(m.scale, m.value) for m in result.measurements] == [("10k->100k plans", 1.5)]
    assert "2,673 and 2,672 new payloads" in result.notes[0]


def test_bench_refuses_a_bad_follow_size_in_one_line(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["bench", "--follow-sizes", "0", "--work", str(tmp_path)])
    assert done.exit_code == 2
    assert "--follow-sizes '0'" in done.output


def test_bench_refuses_a_bad_delta_size_in_one_line(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["bench", "--delta-sizes", "ten", "--work", str(tmp_path)])
    assert done.exit_code == 2
    assert "--delta-sizes 'ten'" in done.output
