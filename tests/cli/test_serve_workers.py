"""`lineage serve --workers`: the options each worker process rebuilds its app from."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lineage_cli.main import app as cli
from lineage_cli.serve_app import ServeOptions

pytestmark = pytest.mark.unit


def test_options_survive_the_trip_through_the_environment(tmp_path: Path) -> None:
    options = ServeOptions(
        lake=str(tmp_path),
        graph="ws://127.0.0.1:1/gremlin",
        fsync=True,
        hosts=("localhost", "lineage.internal"),
        auth=True,
        auth_issuer="https://issuer.example",
        auth_audience=("client-a",),
        auth_scope=None,
        auth_read_scope=("lineage/read",),
        auth_jwks_url=None,
    )
    assert ServeOptions.from_env(options.to_env()) == options


def test_a_worker_count_outside_the_range_is_refused(tmp_path: Path) -> None:
    for bad in ("0", "65", "x"):
        result = CliRunner().invoke(cli, ["serve", "--lake", str(tmp_path), "--workers", bad])
        assert result.exit_code == 2, result.output
        assert "--workers" in result.output
