"""The REAL Spline agent through `lineage spark-submit --agent-jar` (only where the jar exists).

The agent bundle `za.co.absa.spline.agent.spark:spark-3.5-spline-agent-bundle_2.12` cannot be
resolved from this project's build machine (its Maven registry serves no `za.co.absa` artifacts),
so this test runs only when SPLINE_AGENT_JAR points at a downloaded jar.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from spline_capture import CaptureServer

REPO = Path(__file__).resolve().parent.parent
JAR = os.environ.get("SPLINE_AGENT_JAR", "")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (JAR and Path(JAR).is_file()),
        reason=(
            "SPLINE_AGENT_JAR does not point at a jar: the real Spline agent "
            "(za.co.absa.spline.agent.spark:spark-3.5-spline-agent-bundle_2.12) is not "
            "obtainable from this machine's Maven registry (no za.co.absa artifacts)"
        ),
    ),
]


def test_the_real_agent_sends_a_v12_plan_and_event(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "examples"))
    from generate_raw_data import generate

    lake = tmp_path / "lake"
    generate(lake)
    lineage = str(Path(sys.executable).parent / "lineage")
    script = str(REPO / "examples" / "ingest_orders.py")
    with CaptureServer() as producer:
        done = subprocess.run(
            [
                lineage,
                "spark-submit",
                "--agent-jar",
                JAR,
                "--producer-url",
                producer.url,
                script,
                "--lake",
                str(lake),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert producer.requests[0].method == "HEAD"
    (plan,) = producer.posts("execution-plans")
    (events,) = producer.posts("execution-events")
    assert plan.headers["Content-Type"] == "application/vnd.absa.spline.producer.v1.2+json"
    body = plan.json()
    assert body["agentInfo"]["name"] == "spline"
    assert body["operations"]["write"]["outputSource"] == f"file:{lake}/curated/orders"
    assert events.json()[0]["planId"] == body["id"]
