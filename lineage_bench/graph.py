"""A throwaway local Gremlin Server for a benchmark, and emptying a graph between runs."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from local_neptune import ServerLayout, ServerSettings, project_root, start, stop

__all__ = ["clear_graph", "graph_server"]


@contextmanager
def graph_server(heap: str, say: Callable[[str], None] = lambda _m: None) -> Iterator[str]:
    """A Gremlin Server on a free port with its own state folder; yields its ws:// endpoint.

    It uses the jars and extension `make install` put in the checkout (`ServerLayout.under`)."""
    installed = ServerLayout.under(project_root())
    with tempfile.TemporaryDirectory(prefix="lineage-bench-graph-") as state:
        layout = replace(installed, state_dir=Path(state))
        say(f"graph: starting a Gremlin Server (heap {heap})")
        started = start(ServerSettings(port=0, heap=heap), layout)
        try:
            yield started.state.endpoint
        finally:
            stop(layout)


def clear_graph(url: str) -> None:
    """Drop every vertex (and so every edge) of the graph at `url`."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()
