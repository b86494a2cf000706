"""`lineage spark-submit`: an example job through the stand-in agent, plus the command's edges."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from spline_capture import CaptureServer
from typer.testing import CliRunner

from lineage_cli.commands.spark_submit import SPLINE_LISTENER, real_agent_command
from lineage_cli.main import app as cli

REPO = Path(__file__).resolve().parent.parent
LINEAGE = str(Path(sys.executable).parent / "lineage")
V12_TYPE = "application/vnd.absa.spline.producer.v1.2+json"
sys.path.insert(0, str(REPO / "examples"))


@pytest.mark.spark
def test_an_example_job_sends_status_probe_plan_and_event(tmp_path: Path) -> None:
    from generate_raw_data import generate

    lake = tmp_path / "lake"
    generate(lake)
    script = REPO / "examples" / "ingest_orders.py"
    with CaptureServer() as producer:
        done = subprocess.run(
            [
                LINEAGE,
                "spark-submit",
                "--producer-url",
                producer.url,
                str(script),
                "--lake",
                str(lake),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "STAND-IN" in done.stderr
    head, plan, events = producer.requests
    assert (head.method, head.path) == ("HEAD", "/producer/status")
    assert (plan.method, plan.path) == ("POST", "/producer/execution-plans")
    assert plan.headers["Content-Type"] == V12_TYPE
    assert plan.headers["Content-Encoding"] == "gzip"  # plans of this job are well over 2 KB
    body = plan.json()
    assert body["name"] == "ingest_orders"
    assert body["operations"]["write"]["outputSource"] == f"file:{lake}/curated/orders"
    assert body["operations"]["reads"][0]["inputSources"] == [f"file:{lake}/raw/orders"]
    assert (events.method, events.path) == ("POST", "/producer/execution-events")
    assert events.headers["Content-Type"] == V12_TYPE
    (event,) = events.json()
    assert event["planId"] == body["id"]
    assert (lake / "curated" / "orders" / "_SUCCESS").exists()


@pytest.mark.unit
def test_the_exit_code_is_the_scripts(tmp_path: Path) -> None:
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(int(sys.argv[1]))\n")
    done = subprocess.run(
        [
            LINEAGE,
            "spark-submit",
            "--producer-url",
            "http://127.0.0.1:9/producer",
            str(script),
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr


@pytest.mark.unit
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothere.py"], "script not found: nothere.py"),
        (["--agent-jar", "/nonexistent/agent.jar", __file__], "agent jar not found"),
    ],
)
def test_bad_paths_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["spark-submit", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.unit
def test_the_real_agent_is_attached_through_spark_conf(tmp_path: Path) -> None:
    jar = tmp_path / "spark-3.5-spline-agent-bundle_2.12-2.2.1.jar"
    command = real_agent_command(jar, "http://h:1/producer", Path("job.py"), ["--lake", "x"])
    assert command[0].endswith("spark-submit")
    assert command[command.index("--jars") + 1] == str(jar)
    assert f"spark.sql.queryExecutionListeners={SPLINE_LISTENER}" in command
    assert "spark.spline.producer.url=http://h:1/producer" in command
    java_options = command[command.index("--driver-java-options") + 1]
    assert "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED" in java_options
    assert command[-3:] == ["job.py", "--lake", "x"]
