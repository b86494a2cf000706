"""`lineage doctor`: a good producer passes every check, a bad one is named with its cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from spline_capture import CaptureServer
from typer.testing import CliRunner, Result

from lineage_cli.agent_jar import locate
from lineage_cli.agent_launch import ADD_OPENS
from lineage_cli.agent_plugin import locate_plugin
from lineage_cli.main import app as cli
from lineage_cli.pipeline import Workdir, start_serve, stop_process
from local_neptune.ports import free_port

LINEAGE = str(Path(sys.executable).parent / "lineage")
V12 = "application/vnd.absa.spline.producer.v1.2+json"


def _doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINEAGE, "doctor", "--conf", "spark.ui.enabled=false", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["doctor", *args])


def _lines(output: str) -> list[str]:
    return output.strip().splitlines()


@pytest.mark.spark
def test_a_good_producer_passes_every_check_and_the_payloads_land(tmp_path: Path) -> None:
    workdir = Workdir(tmp_path)
    port = free_port()
    # The read API is not used here; nothing needs to listen at the graph URL.
    serve = start_serve(workdir, port, f"ws://127.0.0.1:{free_port()}/gremlin")
    try:
        url = f"http://127.0.0.1:{port}/producer"
        done = _doctor("--producer-url", url, "--lake", str(workdir.raw_zone))
    finally:
        stop_process(serve)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    checks = [line.split(":", 1)[0] for line in _lines(done.stdout)]
    assert [c.split()[0] for c in checks[:-1]] == ["ok"] * 6
    jar, plugin, options, shake, job, raw = _lines(done.stdout)[:6]
    assert jar == f"ok   agent jar: {locate()}"
    # `make install` built the project's agent plugin; the doctor attaches it like spark-submit.
    assert plugin == f"ok   agent plugin: {locate_plugin()}"
    assert options == f"ok   driver options: spark.driver.extraJavaOptions has {ADD_OPENS}"
    assert shake == (
        f"ok   producer handshake: HEAD {url}/status 200: 1.2, 1.1, 1 -> the agent sends v1.2, "
        "gzip for bodies over 2 KB"
    )
    assert job.startswith("ok   test job lineage-doctor-")
    assert job.endswith(f"(HTTP 201) and its event (HTTP 201), sent as {V12}")
    assert raw.startswith("ok   raw zone: plan ")
    assert _lines(done.stdout)[-1] == f"lineage doctor: lineage arrives at {url}"
    # Independently of the doctor's word: its plan is in the raw zone under its unique name.
    (plan_file,) = workdir.raw_zone.glob("plans/date=*/*.json")
    plan = json.loads(plan_file.read_bytes())
    app = job.split()[3].rstrip(":")
    assert plan["name"] == app
    assert f"plan {plan['id']} and its event are in" in raw


@pytest.mark.spark
def test_no_version_header_and_a_refused_plan_are_named(tmp_path: Path) -> None:
    # A producer that sends no ABSA-Spline-API-Version header and refuses what then arrives.
    with CaptureServer(versions=(), post_status=415) as producer:
        done = _doctor("--producer-url", producer.url)
        plan_types = [r.headers.get("Content-Type") for r in producer.posts("execution-plans")]
    assert done.returncode == 1, done.stdout + done.stderr[-2000:]
    lines = _lines(done.stdout)
    assert lines[3].startswith("warn producer handshake: ")
    assert "no ABSA-Spline-API-Version header -> the agent sends v1 (the old layout" in lines[3]
    assert lines[4].startswith("FAIL test job lineage-doctor-")
    assert lines[4].endswith(
        "the producer refused the plan: HTTP 415 rejected by the capture server; the agent sent "
        "the old v1.0 layout because the status reply had no ABSA-Spline-API-Version header; "
        "the agent drops it and does not retry"
    )
    assert len(lines) == 5  # nothing is checked after the first failure
    assert plan_types == ["application/json"]  # the real agent's v1.0 fallback
    assert _lines(done.stderr)[-1].startswith("lineage doctor: lineage would not arrive: the ")


@pytest.mark.unit
@pytest.mark.parametrize("status", [404, 500])
def test_a_status_reply_that_disables_the_agent(status: int) -> None:
    with CaptureServer(status_code=status) as producer:
        result = _invoke("--producer-url", producer.url)
    assert result.exit_code == 1
    fail = [line for line in _lines(result.output) if line.startswith("FAIL")]
    assert fail == [
        f"FAIL producer handshake: HEAD {producer.url}/status answered {status} "
        f"{'Not Found' if status == 404 else 'Internal Server Error'}: the agent disables "
        "lineage for the whole job on any non-2xx status (the job itself still runs)"
    ]
    assert _lines(result.output)[-1].startswith("lineage doctor: lineage would not arrive: HEAD")


@pytest.mark.unit
def test_a_producer_that_does_not_answer() -> None:
    url = f"http://127.0.0.1:{free_port()}/producer"
    result = _invoke("--producer-url", url)
    assert result.exit_code == 1
    assert f"FAIL producer handshake: producer does not answer: HEAD {url}/status" in (
        result.output
    )


@pytest.mark.unit
def test_own_driver_options_without_add_opens() -> None:
    with CaptureServer() as producer:
        result = _invoke(
            "--producer-url", producer.url, "--conf", "spark.driver.extraJavaOptions=-Dx=1"
        )
        assert producer.requests == []
    assert result.exit_code == 1
    (fail,) = [line for line in _lines(result.output) if line.startswith("FAIL")]
    assert fail.startswith("FAIL driver options: your --conf spark.driver.extraJavaOptions=")
    assert f"lacks {ADD_OPENS}" in fail
    assert "the SparkSession itself fails" in fail


@pytest.mark.unit
def test_a_missing_agent_jar() -> None:
    result = _invoke("--agent-jar", "/nonexistent/agent.jar")
    assert result.exit_code == 1
    assert _lines(result.output)[0] == (
        "FAIL agent jar: Spline agent jar /nonexistent/agent.jar (from --agent-jar): not found"
    )


@pytest.mark.unit
def test_a_bad_conf_is_a_usage_error() -> None:
    result = _invoke("--conf", "novalue")
    assert result.exit_code == 2
    assert _lines(result.output) == ["lineage doctor: --conf 'novalue': expected KEY=VALUE"]


@pytest.mark.unit
def test_help_explains_the_checks_and_the_exit_codes() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for expected in (
        "HEAD URL/status must answer 2xx",
        "old v1.0 layout",
        ADD_OPENS,
        "lineage-doctor-<id>",
        "--lake",
        "Exit code: 0 when lineage arrives, 1 when it would not",
    ):
        assert expected in text, expected
