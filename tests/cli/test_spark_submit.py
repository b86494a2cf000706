"""`lineage spark-submit`: the real agent by default, its pre-flight, and its one-line causes."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from spline_capture import CaptureServer
from typer.testing import CliRunner

from lineage_cli.agent_jar import LISTENER_CLASS, locate
from lineage_cli.agent_launch import ADD_OPENS, AgentLaunch
from lineage_cli.main import app as cli
from local_neptune.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LINEAGE = str(Path(sys.executable).parent / "lineage")
TINY_JOB = """\
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("tiny").getOrCreate()
spark.range(3).write.mode("overwrite").parquet(sys.argv[1])
spark.stop()
"""


def _lineage(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINEAGE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.unit
def test_the_exit_code_is_the_scripts_after_the_handshake(tmp_path: Path) -> None:
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(int(sys.argv[1]))\n")
    with CaptureServer() as producer:
        done = _lineage("spark-submit", "--producer-url", producer.url, str(script), "3")
        methods = [(r.method, r.path) for r in producer.requests]
    assert done.returncode == 3, done.stderr
    assert methods == [("HEAD", "/producer/status")]  # ours; the script built no SparkSession
    assert f"with the Spline agent {locate()}" in done.stderr
    assert "-> the agent sends v1.2, gzip for bodies over 2 KB" in done.stderr


def _one_line_exit_2(args: list[str]) -> str:
    result = CliRunner().invoke(cli, ["spark-submit", *args])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("lineage spark-submit: ")
    return line


@pytest.mark.unit
def test_a_missing_script_is_one_line() -> None:
    assert _one_line_exit_2(["nothere.py"]).endswith("script not found: nothere.py")


@pytest.mark.unit
def test_a_missing_agent_jar_is_one_line() -> None:
    line = _one_line_exit_2(["--agent-jar", "/nonexistent/agent.jar", __file__])
    assert line.endswith("Spline agent jar /nonexistent/agent.jar (from --agent-jar): not found")


@pytest.mark.unit
def test_a_jar_that_is_not_the_agent_is_one_line(tmp_path: Path) -> None:
    jar = tmp_path / "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar"
    with zipfile.ZipFile(jar, "w") as bundle:
        bundle.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    line = _one_line_exit_2(["--agent-jar", str(jar), __file__])
    assert line.endswith(f"not the Spline agent bundle (no {LISTENER_CLASS} class)")


@pytest.mark.unit
def test_a_producer_that_does_not_answer_stops_before_the_job() -> None:
    url = f"http://127.0.0.1:{free_port()}/producer"
    line = _one_line_exit_2(["--producer-url", url, __file__])
    assert f"producer does not answer: HEAD {url}/status: connection refused" in line


@pytest.mark.unit
def test_a_producer_answering_404_stops_before_the_job() -> None:
    with CaptureServer(status_code=404) as producer:
        line = _one_line_exit_2(["--producer-url", producer.url, __file__])
    assert f"HEAD {producer.url}/status answered 404 " in line
    assert "disables lineage for the whole job" in line


@pytest.mark.unit
def test_own_driver_options_without_add_opens_are_refused_with_the_reason() -> None:
    with CaptureServer() as producer:
        line = _one_line_exit_2(
            [
                "--producer-url",
                producer.url,
                "--conf",
                "spark.driver.extraJavaOptions=-Dlog4j.debug=true",
                __file__,
            ]
        )
        assert producer.requests == []
    assert f"lacks {ADD_OPENS}" in line
    assert "the SparkSession itself fails" in line


@pytest.mark.unit
def test_a_conf_without_equals_is_refused() -> None:
    line = _one_line_exit_2(["--conf", "spark.ui.enabled", __file__])
    assert line.endswith("--conf 'spark.ui.enabled': expected KEY=VALUE")


@pytest.mark.unit
def test_the_agent_is_attached_through_spark_conf(tmp_path: Path) -> None:
    jar = tmp_path / "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar"
    command = AgentLaunch(jar, "http://h:1/producer").command(Path("job.py"), ["--lake", "x"])
    assert command[0].endswith("spark-submit")
    confs = [command[i + 1] for i, arg in enumerate(command) if arg == "--conf"]
    assert confs == [
        "spark.driver.host=127.0.0.1",
        "spark.driver.bindAddress=127.0.0.1",
        f"spark.driver.extraJavaOptions={ADD_OPENS}",
        f"spark.jars={jar}",
        f"spark.sql.queryExecutionListeners={LISTENER_CLASS}",
        "spark.spline.lineageDispatcher.http.producer.url=http://h:1/producer",
    ]
    assert command[-3:] == ["job.py", "--lake", "x"]


@pytest.mark.unit
def test_the_agent_plugin_goes_on_spark_jars_beside_the_agent(tmp_path: Path) -> None:
    # The agent discovers plugins on the classpath: the jar beside the agent's is all it takes.
    jar, plugin = tmp_path / "agent.jar", tmp_path / "lineage-spline-plugin.jar"
    launch = AgentLaunch(
        jar, "http://h:1/producer", {"spark.jars": f"/opt/x.jar,{plugin}"}, (plugin,)
    )
    assert launch.conf()["spark.jars"] == f"{jar},{plugin},/opt/x.jar"  # once, agent first


@pytest.mark.unit
def test_user_conf_is_passed_through_and_merged(tmp_path: Path) -> None:
    jar = tmp_path / "agent.jar"
    launch = AgentLaunch(
        jar,
        "http://h:1/producer",
        {
            "spark.spline.lineageDispatcher.http.authentication.type": "OAUTH",
            "spark.jars": "/opt/extra.jar",
            "spark.sql.queryExecutionListeners": "com.acme.Listener",
            "spark.spline.producer.url": "https://api.example/producer",
            "spark.driver.extraJavaOptions": f"-Xss4m {ADD_OPENS}",
        },
    )
    conf = launch.conf()
    assert conf["spark.spline.lineageDispatcher.http.authentication.type"] == "OAUTH"
    assert conf["spark.jars"] == f"{jar},/opt/extra.jar"
    assert conf["spark.sql.queryExecutionListeners"] == f"{LISTENER_CLASS},com.acme.Listener"
    # The user's own producer URL (the legacy key too) is the one the agent and handshake use.
    assert launch.effective_producer_url == "https://api.example/producer"
    assert conf["spark.spline.lineageDispatcher.http.producer.url"] == (
        "https://api.example/producer"
    )
    assert conf["spark.driver.extraJavaOptions"] == f"-Xss4m {ADD_OPENS}"
    assert launch.driver_options_problem() is None


@pytest.mark.spark
def test_an_agent_disabled_during_the_job_is_reported_in_one_line(tmp_path: Path) -> None:
    # The producer answers our handshake, then goes away (503) before the agent's own.
    script = tmp_path / "tiny.py"
    script.write_text(TINY_JOB)
    with CaptureServer(head_statuses=(200,), status_code=503) as producer:
        done = _lineage(
            "spark-submit",
            "--producer-url",
            producer.url,
            "--conf",
            "spark.ui.enabled=false",
            str(script),
            str(tmp_path / "out"),
            timeout=900,
        )
        methods = [r.method for r in producer.requests]
    assert done.returncode == 0, done.stderr[-3000:]
    assert methods == ["HEAD", "HEAD"]
    # Spark's own output still shows (tee), the agent's ERROR among it ...
    assert "Spline initialization failed! Spark Lineage tracking is DISABLED." in done.stderr
    # ... and the cause closes the output in one line.
    assert done.stderr.rstrip().splitlines()[-1] == (
        "lineage spark-submit: the Spline agent was disabled, this job sent no lineage: "
        "Connection to Spline Gateway: OK, but the Gateway is not initialized properly! Check "
        "Gateway logs. HTTP Response: 503"
    )
    assert (tmp_path / "out" / "_SUCCESS").exists()
