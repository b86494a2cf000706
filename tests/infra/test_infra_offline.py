"""`make synth` works with no AWS credentials, no network and no Docker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_synth_runs_without_credentials_network_or_docker(tmp_path: Path) -> None:
    # A `docker` first on PATH that leaves a trace: bundling must never call it.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    trace = tmp_path / "docker-was-called"
    (fake_bin / "docker").write_text(f"#!/bin/sh\ntouch {trace}\nexit 97\n")
    (fake_bin / "docker").chmod(0o755)
    out = tmp_path / "cdk.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        PATH=f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        CDK_OUTDIR=str(out),
        HOME=str(tmp_path),  # no ~/.aws config or credentials either
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20",
    )
    command = [sys.executable, str(REPO / "infra" / "app.py")]
    # A fresh network namespace has no interfaces but loopback: any lookup would fail.
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        command = [unshare, "-rn", *command]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not trace.exists(), "synth called docker"
    template = json.loads((out / "SparkLineage.template.json").read_text())
    assert template["Resources"]
    manifest = json.loads((out / "manifest.json").read_text())
    # Environment-agnostic: nothing was pinned to a looked-up account or region.
    environment = manifest["artifacts"]["SparkLineage"]["environment"]
    assert environment == "aws://unknown-account/unknown-region"
    assert "missing" not in manifest  # no context lookups requested
