"""`lineage doctor --gaps`: the writes whose lineage the agent never sends, without Spark."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lineage.agent_gaps import AGENT_GAPS
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


def test_doctor_help_names_the_gap_check() -> None:
    result = CliRunner().invoke(app, ["doctor", "--help"])
    assert result.exit_code == 0
    assert "--gaps" in result.output


def _gap_findings(conf: dict[str, str]) -> list[Finding]:
    found: list[Finding] = []
    doctor = Doctor("http://127.0.0.1:9/producer", None, conf, None, found.append)
    doctor._known_gaps()  # the last check of a run whose lineage arrived
    return found


def test_a_job_loading_iceberg_is_warned_about_each_iceberg_gap() -> None:
    conf = {"spark.sql.catalog.lake": "org.apache.iceberg.spark.SparkCatalog"}
    findings = _gap_findings(conf)
    assert [f.verdict for f in findings] == [Verdict.WARN] * len(AGENT_GAPS)
    assert any("ReplaceData" in f.line() for f in findings)


def test_a_job_without_iceberg_gets_no_gap_warning() -> None:
    assert _gap_findings({"spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension"}) == []
    assert _gap_findings({}) == []
