"""`lineage serve`: one root app with the producer at /producer, on a real local port."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lineage_cli.commands.serve import build_root_app
from lineage_cli.main import app as cli
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
V12 = "application/vnd.absa.spline.producer.v1.2+json"


def test_root_app_mounts_the_producer(tmp_path: Path) -> None:
    client = TestClient(
        build_root_app(str(tmp_path / "lake"), fsync=False), base_url="http://localhost"
    )
    status = client.head("/producer/status")
    assert status.headers.get_list("absa-spline-api-version") == ["1.2", "1.1", "1"]
    posted = client.post("/producer/execution-plans", content=PLAN, headers={"Content-Type": V12})
    assert posted.status_code == 201
    assert list((tmp_path / "lake" / "plans").rglob("*.json"))


def test_unsupported_lake_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(cli, ["serve", "--lake", "ftp://somewhere/lake"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "only s3:// and directories are supported" in result.output


def test_busy_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--lake", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in result.output


@pytest.fixture
def served_lake(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real `lineage serve` process on a free port; stopped afterwards."""
    port = free_port()
    lake = tmp_path / "lake"
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_cli.main", "serve", "--lake", str(lake),
         "--port", str(port), "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/producer"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.head(f"{url}/status", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(
                        process.stderr.read().decode() if process.stderr else ""
                    ) from None
                time.sleep(0.1)
        yield url, lake
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_served_producer_accepts_a_gzip_plan(served_lake: tuple[str, Path]) -> None:
    url, lake = served_lake
    status = httpx.head(f"{url}/status")
    assert status.headers.get_list("ABSA-Spline-API-Version") == ["1.2", "1.1", "1"]
    response = httpx.post(
        f"{url}/execution-plans",
        content=gzip.compress(PLAN),
        headers={"Content-Type": V12, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201
    (stored,) = lake.glob("plans/date=*/*.json")
    assert stored.read_bytes() == PLAN
