"""The real Spline agent's OAuth client-credentials mode against `lineage serve --auth`.

A local issuer (discovery, JWKS, token endpoint; support/oidc_issuer.py) runs on a free loopback
port; `lineage serve`'s app, with the JWT authorizer `--auth` builds, runs under uvicorn on
another. The real agent jar rides a real PySpark job started with the virtualenv's
`spark-submit`, configured with the keys docs/deploy.md gives users
(`spark.spline.lineageDispatcher.http.authentication.*`). Three jobs: the right secret and
scope land the plan and event; a wrong secret is refused by the token endpoint (401) and a wrong
scope by `lineage serve` (403); both leave the raw zone empty and show in the agent's log
(the agent disables lineage for the session; the job itself succeeds).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from oidc_issuer import Issuer, running_issuer

from lineage_cli.commands.serve import build_root_app, trusted_hosts
from lineage_cli.guard import AuthSettings, JwtAuthorizer, RouteScopes
from local_neptune.ports import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
JAR = REPO.parent / "shared" / "spline-agent" / "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar"
CLIENT, SECRET = "spline-agent", "agent-secret"
WRITE_SCOPE = "lineage/producer.write"
AUTH = "spark.spline.lineageDispatcher.http.authentication"

JOB = """
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("oauth_job").getOrCreate()
frame = spark.createDataFrame([(1, "a"), (2, "b")], "id INT, name STRING")
frame.write.mode("overwrite").parquet(sys.argv[1])
spark.stop()
"""


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer({CLIENT: SECRET}) as running:
        yield running


@pytest.fixture(scope="module")
def producer(
    issuer: Issuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """`lineage serve --auth` on a free port: its producer URL and its lake."""
    lake = tmp_path_factory.mktemp("lake")
    authorizer = JwtAuthorizer(
        AuthSettings(
            issuer=issuer.url,
            audiences=(CLIENT,),
            routes=(RouteScopes("/producer", (WRITE_SCOPE,)), RouteScopes("/api", ())),
        )
    )
    port = free_port()
    app = build_root_app(
        str(lake),
        fsync=False,
        allowed_hosts=trusted_hosts("127.0.0.1", None),
        authorizer=authorizer,
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/producer", lake
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _submit(tmp_path: Path, producer_url: str, token_url: str, secret: str, scope: str) -> str:
    script = tmp_path / "job.py"
    script.write_text(JOB, encoding="utf-8")
    spark_submit = str(Path(sys.executable).parent / "spark-submit")
    confs = {
        "spark.sql.queryExecutionListeners": (
            "za.co.absa.spline.harvester.listener.SplineQueryExecutionListener"
        ),
        "spark.spline.lineageDispatcher.http.producer.url": producer_url,
        f"{AUTH}.type": "OAUTH",
        f"{AUTH}.grantType": "client_credentials",
        f"{AUTH}.tokenUrl": token_url,
        f"{AUTH}.clientId": CLIENT,
        f"{AUTH}.clientSecret": secret,
        f"{AUTH}.scope": scope,
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    command = [spark_submit, "--master", "local[1]", "--jars", str(JAR)]
    for key, value in confs.items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "--driver-java-options",
        "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
    ]
    command += [str(script), str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def _landed(lake: Path) -> list[Path]:
    return sorted(p for p in lake.rglob("*.json") if ".sidecar" not in p.name)


def test_the_agent_gets_a_token_and_its_lineage_lands(
    issuer: Issuer, producer: tuple[str, Path], tmp_path: Path
) -> None:
    url, lake = producer
    _submit(tmp_path, url, f"{issuer.url}/oauth2/token", SECRET, WRITE_SCOPE)
    request = issuer.token_requests[-1]
    assert request["grant_type"] == "client_credentials"
    assert request["client_id"] == CLIENT and request["scope"] == WRITE_SCOPE
    landed = [p.relative_to(lake).parts[0] for p in _landed(lake)]
    assert "plans" in landed and "events" in landed, landed


@pytest.mark.parametrize(
    ("secret", "scope", "evidence"),
    [
        # The token endpoint answers 401 invalid_client; the agent's trace names its token fetch.
        ("wrong-secret", WRITE_SCOPE, "OAuthAuthentication.obtainFreshToken"),
        # A token without the producer scope: `lineage serve` answers the status call 403.
        (SECRET, "lineage/graph.read", "HttpLineageDispatcher"),
    ],
)
def test_a_wrong_secret_or_scope_is_refused_and_logged(
    issuer: Issuer,
    producer: tuple[str, Path],
    tmp_path: Path,
    secret: str,
    scope: str,
    evidence: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="lineage.serve")
    url, lake = producer
    before = _landed(lake)
    log = _submit(tmp_path, url, f"{issuer.url}/oauth2/token", secret, scope)
    assert _landed(lake) == before
    agent_lines = "\n".join(line for line in log.splitlines() if "spline" in line.lower())
    # The agent disables itself for the session (the job still succeeds) and says why.
    assert "Spline initialization failed! Spark Lineage tracking is DISABLED." in log, agent_lines
    assert evidence in log, agent_lines[-4000:]
    refusals = [r.getMessage() for r in caplog.records if r.name == "lineage.serve"]
    if secret == SECRET:  # the token was issued, so `lineage serve` itself refused it
        assert any("refused (403)" in m and "lineage/producer.write" in m for m in refusals)
    else:  # no token at all: the agent never called the producer
        assert refusals == []
