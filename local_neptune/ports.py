"""Checks on local TCP ports, shared by `lineage serve` and the local Gremlin Server."""

from __future__ import annotations

import errno
import socket


def port_problem(host: str, port: int) -> str | None:
    """Why `port` on `host` cannot be listened on now, or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port in TIME_WAIT after a stop is free for a new listener too.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "already in use by another process"
            return exc.strerror or str(exc)
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel considers free now: nothing listens on it once this returns."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
