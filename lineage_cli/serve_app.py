"""The app `lineage serve` runs in each of its worker processes.

uvicorn starts several workers only from an import string, so the command's options travel to
each worker in one environment variable (JSON) and `app_from_env` builds the same root app there.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from starlette.types import ASGIApp

from lambdas.consumer.gc_tuning import freeze_startup_objects

__all__ = ["OPTIONS_ENV", "ServeOptions", "app_from_env"]

OPTIONS_ENV = "LINEAGE_SERVE_OPTIONS"


@dataclass(frozen=True)
class ServeOptions:
    """What a worker needs to build the root app (`lineage_cli.commands.serve.build_root_app`)."""

    lake: str
    graph: str
    fsync: bool
    hosts: tuple[str, ...]
    auth: bool = False
    auth_issuer: str | None = None
    auth_audience: tuple[str, ...] = ()
    auth_scope: tuple[str, ...] | None = None
    auth_read_scope: tuple[str, ...] | None = None
    auth_jwks_url: str | None = None

    def to_env(self) -> str:
        """The JSON value of `OPTIONS_ENV`."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, value: str) -> ServeOptions:
        """Read back `to_env`'s value."""
        doc = json.loads(value)
        for name in ("hosts", "auth_audience", "auth_scope", "auth_read_scope"):
            if doc.get(name) is not None:
                doc[name] = tuple(doc[name])
        return cls(**doc)

    def build(self) -> ASGIApp:
        """The root app for these options (raises LineageError on a bad lake or auth option)."""
        from lineage_cli.commands.serve import authorizer_for, build_root_app

        authorizer = authorizer_for(
            self.auth,
            self.auth_issuer,
            list(self.auth_audience),
            None if self.auth_scope is None else list(self.auth_scope),
            None if self.auth_read_scope is None else list(self.auth_read_scope),
            self.auth_jwks_url,
        )
        return build_root_app(
            self.lake,
            graph_url=self.graph,
            fsync=self.fsync,
            allowed_hosts=self.hosts,
            authorizer=authorizer,
        )


def app_from_env() -> ASGIApp:
    """uvicorn's app factory in a worker process."""
    app = ServeOptions.from_env(os.environ[OPTIONS_ENV]).build()
    freeze_startup_objects()
    return app
