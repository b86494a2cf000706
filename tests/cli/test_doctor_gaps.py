"""`lineage doctor --gaps`: the writes whose lineage the agent never sends, without Spark."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage.agent_gaps import AGENT_GAPS
from lineage_cli.commands.doctor import gap_lines
from lineage_cli.doctor import Doctor, Finding, Verdict
from lineage_cli.main import app

pytestmark = pytest.mark.unit


def test_gaps_lists_every_gap_and_runs_nothing() -> None:
    # A producer URL nothing listens on: --gaps must not reach it.
    result = CliRunner().invoke(app, ["doctor", "--gaps", "--producer-url", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(AGENT_GAPS)
    for gap, line in zip(AGENT_GAPS, lines, strict=True):
        assert line.startswith(gap.table_format.value)
        assert gap.spark_node in line
    assert any("Iceberg MERGE INTO" in line for line in lines)


def test_gaps_the_built_plugin_closes_are_marked_closed_and_only_then() -> None:
    plugin = Path("/opt/jars/lineage-spline-plugin.jar")
    closed = gap_lines(AGENT_GAPS, plugin)
    open_ = gap_lines(AGENT_GAPS, None)
    for gap, with_plugin, without in zip(AGENT_GAPS, closed, open_, strict=True):
        assert ("closed here" in with_plugin) is gap.closed_by_plugin
        assert "closed here" not in without


def test_doctor_help_names_the_gap_check() -> None:
    result = CliRunner().invoke(app, ["doctor", "--help"])
    assert result.exit_code == 0
    assert "--gaps" in result.output


def _gap_findings(conf: dict[str, str], plugin_attached: bool = False) -> list[Finding]:
    found: list[Finding] = []
    doctor = Doctor("http://127.0.0.1:9/producer", None, conf, None, found.append)
    doctor._known_gaps(plugin_attached)  # the last check of a run whose lineage arrived
    return found


def test_a_job_loading_iceberg_without_the_plugin_is_warned_about_each_iceberg_gap() -> None:
    conf = {"spark.sql.catalog.lake": "org.apache.iceberg.spark.SparkCatalog"}
    findings = _gap_findings(conf)
    assert [f.verdict for f in findings] == [Verdict.WARN] * len(AGENT_GAPS)
    assert any("ReplaceData" in f.line() for f in findings)


def test_with_the_plugin_attached_only_the_gaps_it_leaves_are_warned() -> None:
    conf = {"spark.sql.catalog.lake": "org.apache.iceberg.spark.SparkCatalog"}
    left = [g for g in AGENT_GAPS if not g.closed_by_plugin]
    assert len(_gap_findings(conf, plugin_attached=True)) == len(left)


def test_a_job_without_iceberg_gets_no_gap_warning() -> None:
    assert _gap_findings({"spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension"}) == []
    assert _gap_findings({}) == []
