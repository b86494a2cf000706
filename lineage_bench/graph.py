"""A throwaway local Gremlin Server for a benchmark, and emptying a graph between runs."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from lineage_bench.machine import listener_pid
from local_neptune import ServerLayout, ServerSettings, project_root, start, stop

__all__ = ["clear_graph", "graph_counts", "graph_server", "server_heap_bytes", "url_port"]


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


def graph_counts(url: str) -> tuple[int, int]:
    """(vertices, edges) of the graph at `url`."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        return int(g.V().count().next()), int(g.E().count().next())
    finally:
        connection.close()


def url_port(url: str) -> int:
    """The port of a graph URL (`ws://host:port/gremlin`, `http://host:port`)."""
    port = urlsplit(url).port
    if port is None:
        raise ValueError(f"graph URL {url!r} names no port")
    return port


def server_heap_bytes(url: str) -> int | None:
    """Used heap of the server listening on `url`'s port after a full GC (`jcmd`), if readable."""
    pid = listener_pid(url_port(url))
    if pid is None or shutil.which("jcmd") is None:
        return None
    subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, check=False, timeout=120)
    info = subprocess.run(
        ["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    # "garbage-first heap   total 1048576K, used 123456K [...]"
    for line in info.splitlines():
        if " used " in line and "total" in line:
            used = line.split(" used ", 1)[1].split("K", 1)[0].strip()
            if used.isdigit():
                return int(used) * 1024
    return None
