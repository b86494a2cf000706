"""`lineage demo` as `make demo` runs it: every stage, the follower's delta, then a clean stop.

The one test of the demo command itself (the stage functions are covered by
test_e2e_pipeline.py): eight sample jobs with the real Spline agent, a full build by
`lineage serve --follow`, a late job whose run must reach the read API as a delta within the
follower's minute, and every server stopped afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lineage.build_pointer import POINTER_FILE, BuildKind, BuildPointer
from local_neptune.ports import free_port

pytestmark = pytest.mark.e2e


def test_the_demo_runs_every_stage_and_shows_a_late_job_within_a_minute(tmp_path: Path) -> None:
    port, graph_port = free_port(), free_port()
    argv = [sys.executable, "-m", "lineage_cli.main", "demo", "--no-wait", "--workdir"]
    argv += [str(tmp_path), "--port", str(port), "--graph-port", str(graph_port)]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=1_800,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr[-4_000:]
    out = done.stderr
    for stage in range(1, 7):
        assert f"{stage}/6" in out
    visible = re.search(r"visible in the read API ([0-9.]+) s after the job ended", out)
    assert visible is not None, out[-2_000:]
    assert float(visible.group(1)) <= 60.0
    assert "stopped the servers the demo started" in out

    builds = sorted(p.name for p in (tmp_path / "builds" / "builds").iterdir())
    assert builds[0].endswith("-full") and any(b.endswith("-delta") for b in builds[1:])
    pointer = BuildPointer.from_json((tmp_path / "builds" / POINTER_FILE).read_bytes())
    assert pointer.kind is BuildKind.DELTA
    # Nothing the demo started still listens.
    for p in (port, graph_port):
        assert free_port_is(p)


def free_port_is(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0
