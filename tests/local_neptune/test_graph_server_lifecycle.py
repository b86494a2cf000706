"""`lineage graph start|stop|status` as a user runs them: real processes, real ports, real logs.

Every test uses its own LINEAGE_HOME (state folder) whose `.cache` points at the project's
resolved jars, and free ports, so it neither sees nor disturbs a user's server on 8182.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import T

from local_neptune import (
    PrerequisiteError,
    ServerLayout,
    ServerSettings,
    ServerStartError,
    start,
    stop,
)
from local_neptune.probe import port_accepts

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A project home with the real jar cache and an empty state folder; stops what it started."""
    (tmp_path / ".cache").symlink_to(CACHE, target_is_directory=True)
    yield tmp_path
    # A failed assertion must not leave a JVM behind.
    stop(ServerLayout.under(tmp_path), timeout_s=10)


def lineage(home: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINEAGE_HOME": str(home)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "lineage_cli.main", "graph", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _port_of(output: str) -> int:
    match = re.search(r"ws://localhost:(\d+)/gremlin", output)
    assert match, output
    return int(match.group(1))


def _tags(port: int, vid: str) -> list[str]:
    connection = DriverRemoteConnection(f"ws://localhost:{port}/gremlin", "g")
    try:
        g = traversal().with_remote(connection)
        return sorted(g.V(vid).values("tag").to_list())
    finally:
        connection.close()


@pytest.mark.graph
def test_start_add_stop_restart_from_the_persistence_file(home: Path) -> None:
    saved = home / "graph.gryo"
    started = lineage(home, "start", "--port", "0", "--persist", str(saved))
    assert started.returncode == 0, started.stderr
    port = _port_of(started.stdout)
    assert "0 vertices, 0 edges" in started.stdout

    # The server outlives the CLI process that started it.
    connection = DriverRemoteConnection(f"ws://localhost:{port}/gremlin", "g")
    try:
        g = traversal().with_remote(connection)
        g.add_v("Job").property(T.id, "job:nightly").iterate()
        g.V("job:nightly").property("tag", "raw").property("tag", "curated").iterate()
        g.V("job:nightly").property("tag", "raw").iterate()
    finally:
        connection.close()
    assert _tags(port, "job:nightly") == ["curated", "raw"]

    status = lineage(home, "status")
    assert status.returncode == 0, status.stderr
    assert "1 vertices, 0 edges" in status.stdout
    again = lineage(home, "start", "--port", str(port))
    assert again.returncode == 0 and "already running" in again.stdout

    stopped = lineage(home, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert f"port {port} is free" in stopped.stdout
    assert not port_accepts("127.0.0.1", port)
    assert saved.stat().st_size > 0
    assert lineage(home, "status").returncode == 3
    assert lineage(home, "stop").stdout.strip() == "not running"

    restarted = lineage(home, "start", "--port", "0", "--persist", str(saved))
    assert restarted.returncode == 0, restarted.stderr
    assert "1 vertices, 0 edges" in restarted.stdout
    assert _tags(_port_of(restarted.stdout), "job:nightly") == ["curated", "raw"]
    assert lineage(home, "stop").returncode == 0


@pytest.mark.graph
def test_an_occupied_port_is_one_line_and_exit_4(home: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        began = time.monotonic()
        result = lineage(home, "start", "--port", str(port))
        elapsed = time.monotonic() - began
    assert result.returncode == 4
    assert result.stderr.strip().splitlines() == [
        f"lineage graph: port {port} on 127.0.0.1 is already in use by another process "
        "(choose another with --port)"
    ]
    assert elapsed < 15
    assert not (home / ".lineage" / "graph" / "server.json").exists()


@pytest.mark.graph
def test_a_server_that_dies_on_start_is_reported_with_its_log(home: Path) -> None:
    # A 1 KB heap makes the JVM exit at once: a real death during start-up.
    result = lineage(home, "start", "--port", "0", "--heap", "1k")
    assert result.returncode == 1
    first, *rest = result.stderr.splitlines()
    assert first.startswith("lineage graph: Gremlin Server exited with code 1 during start-up: ")
    assert "heap" in first.lower()
    assert rest[0] == "log tail:" and all(line.startswith("  | ") for line in rest[1:])
    assert not (home / ".lineage" / "graph" / "server.json").exists()


@pytest.mark.graph
def test_an_unreadable_graph_file_fails_fast_and_leaves_nothing_running(tmp_path: Path) -> None:
    layout = ServerLayout(
        lib_dir=CACHE / "gremlin-server" / "lib",
        build_dir=CACHE / "gremlin-server" / "ext",
        state_dir=tmp_path / "state",
    )
    broken = tmp_path / "broken.gryo"
    broken.write_bytes(b"this is not a gryo file")
    began = time.monotonic()
    with pytest.raises(ServerStartError, match="cannot run a traversal") as failure:
        start(ServerSettings(port=0, heap="256m", persist_path=broken), layout)
    assert time.monotonic() - began < 30  # not the 60 s start timeout
    assert str(broken) in str(failure.value)  # the log's own cause: could not load the file
    assert failure.value.log_tail
    assert not layout.state_file.exists()
    assert stop(layout).state is None


@pytest.mark.graph
def test_a_graph_that_could_not_be_saved_is_reported(tmp_path: Path) -> None:
    layout = ServerLayout(
        lib_dir=CACHE / "gremlin-server" / "lib",
        build_dir=CACHE / "gremlin-server" / "ext",
        state_dir=tmp_path / "state",
    )
    target = tmp_path / "gone" / "graph.gryo"
    start(ServerSettings(port=0, heap="256m", persist_path=target), layout)
    (tmp_path / "gone").write_text("a file where the folder should be", encoding="utf-8")
    result = stop(layout)
    assert result.state is not None and not result.forced
    assert result.save_error is not None
    assert result.save_error.startswith(f"Could not save graph at {target} with gryo")


@pytest.mark.unit
def test_missing_jars_say_make_install(tmp_path: Path) -> None:
    result = lineage(tmp_path, "start", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lineage graph: Gremlin Server jars not found in {tmp_path / '.cache/gremlin-server/lib'}"
        ": run `make install` first"
    ]


@pytest.mark.unit
def test_two_server_versions_in_the_jar_folder_are_refused(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("gremlin-server-3.7.4.jar", "gremlin-server-3.7.5.jar", "gremlin-core-3.7.5.jar"):
        (lib / name).write_bytes(b"")
    layout = ServerLayout(lib_dir=lib, build_dir=tmp_path / "ext", state_dir=tmp_path / "state")
    with pytest.raises(
        PrerequisiteError, match=r"several Gremlin Server versions .*3\.7\.4.*3\.7\.5"
    ):
        start(ServerSettings(port=0), layout)
    assert not layout.state_file.exists()


@pytest.mark.unit
def test_missing_java_is_one_line_and_exit_2(home: Path) -> None:
    result = lineage(home, "start", "--port", "0", path=str(Path(sys.executable).parent))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lineage graph: java not found: install a Java 17 JDK and retry"
    ]


@pytest.mark.unit
def test_a_record_of_a_dead_process_is_not_a_running_server(home: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    state_dir = home / ".lineage" / "graph"
    state_dir.mkdir(parents=True)
    record = {
        "pid": gone.pid,
        "port": 8182,
        "endpoint": "ws://localhost:8182/gremlin",
        "log_path": str(state_dir / "gremlin-server.log"),
        "config_path": str(state_dir / "gremlin-server.yaml"),
        "persist_path": None,
        "started_at": "2025-01-01T00:00:00Z",
    }
    (state_dir / "server.json").write_text(json.dumps(record), encoding="utf-8")
    assert lineage(home, "status").returncode == 3
    stopped = lineage(home, "stop")
    assert stopped.returncode == 0
    assert (
        stopped.stdout.strip() == f"not running (pid {gone.pid} had already exited; record removed)"
    )
    assert not (state_dir / "server.json").exists()
