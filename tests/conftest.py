"""Session-wide fixtures: one SparkSession and one Gremlin Server for the whole run."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from gremlin_python.process.graph_traversal import GraphTraversalSource

# `--hypothesis-profile=nightly`: many more generated examples, for a scheduled run. The default
# profile keeps every property test at a size `make test` affords on a small machine.
settings.register_profile("nightly", max_examples=2000)

REPO = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"

# Spark's Python workers must run this interpreter, or they miss the project's packages.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """A local SparkSession shared by every `spark` test."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("lineage-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def gremlin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """WebSocket URL of one local Gremlin Server, configured like Neptune, for every `graph` test.

    It runs on a free port with its own state folder, so a `lineage graph start` of the user
    (port 8182, `.lineage/graph`) is neither disturbed nor reused.
    """
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = REPO / ".cache" / "gremlin-server"
    layout = ServerLayout(
        lib_dir=cache / "lib",
        build_dir=cache / "ext",
        state_dir=tmp_path_factory.mktemp("gremlin-server"),
    )
    started = start(ServerSettings(port=0, heap="1g"), layout)
    try:
        yield started.state.endpoint
    finally:
        stop(layout)


@pytest.fixture
def g(gremlin_server: str) -> Iterator[GraphTraversalSource]:
    """A bytecode traversal source on the session Gremlin Server (graph not emptied)."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(gremlin_server, "g")
    try:
        yield traversal().with_remote(connection)
    finally:
        connection.close()


@pytest.fixture
def clean_graph(gremlin_server: str) -> str:
    """The session Gremlin Server's URL, its graph emptied first (for tests that count elements)."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(gremlin_server, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()
    return gremlin_server
