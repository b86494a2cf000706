"""The local Apache TinkerPop Gremlin Server that stands in for Amazon Neptune.

`start` / `stop` / `status` manage one server per state folder; `ServerSettings` holds what a
user may change, and `config` documents how the rest is fixed to behave like Neptune.
"""

from lineage_cli.graph_server.config import (
    DEFAULT_PORT,
    ServerLayout,
    ServerSettings,
    project_root,
)
from lineage_cli.graph_server.errors import (
    GraphServerError,
    PortInUseError,
    PrerequisiteError,
    ServerStartError,
    ServerStopError,
)
from lineage_cli.graph_server.probe import GraphCounts
from lineage_cli.graph_server.server import (
    ServerStatus,
    StartResult,
    StopResult,
    start,
    status,
    stop,
)
from lineage_cli.graph_server.state import ServerState

__all__ = [
    "DEFAULT_PORT",
    "GraphCounts",
    "GraphServerError",
    "PortInUseError",
    "PrerequisiteError",
    "ServerLayout",
    "ServerSettings",
    "ServerStartError",
    "ServerState",
    "ServerStatus",
    "ServerStopError",
    "StartResult",
    "StopResult",
    "project_root",
    "start",
    "status",
    "stop",
]
