"""The local Apache TinkerPop Gremlin Server that stands in for Amazon Neptune.

`start` / `stop` / `status` manage one server per state folder; `ServerSettings` holds what a
user may change, and `config` documents how the rest is fixed to behave like Neptune.
"""

from local_neptune.config import (
    DEFAULT_PORT,
    ServerLayout,
    ServerSettings,
    project_root,
)
from local_neptune.errors import (
    GraphServerError,
    PortInUseError,
    PrerequisiteError,
    ServerStartError,
    ServerStopError,
)
from local_neptune.probe import GraphCounts
from local_neptune.server import (
    ServerStatus,
    StartResult,
    StopResult,
    start,
    status,
    stop,
)
from local_neptune.state import ServerState

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
