"""The record of a running server (pid, port, files) kept in the state folder between commands."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from local_neptune.config import ServerLayout

__all__ = ["ServerState", "clear_state", "read_state", "write_state"]


@dataclass(frozen=True)
class ServerState:
    """What `start` wrote about the server it launched."""

    pid: int
    port: int
    endpoint: str
    log_path: str
    config_path: str
    persist_path: str | None
    started_at: str


def read_state(layout: ServerLayout) -> ServerState | None:
    """The recorded server, or None when there is none or the record is unreadable."""
    try:
        raw = json.loads(layout.state_file.read_text(encoding="utf-8"))
        return ServerState(**raw)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        # A torn or foreign file cannot describe a server we can manage; treat it as absent.
        return None


def write_state(layout: ServerLayout, state: ServerState) -> None:
    """Record `state` atomically, so a concurrent reader sees the old or the new record."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    staged = layout.state_file.with_suffix(".json.tmp")
    staged.write_text(json.dumps(asdict(state), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(staged, layout.state_file)


def clear_state(layout: ServerLayout) -> None:
    """Forget the recorded server."""
    layout.state_file.unlink(missing_ok=True)
