"""The thin Glue/local entrypoint: job arguments -> NormalizeParams, hooks by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from glue_jobs.entrypoint import build_params, parse_instant, resolve_hook, with_nightly_cutoff
from lineage.store import StorageError

pytestmark = pytest.mark.unit


def test_instants_are_utc_milliseconds() -> None:
    assert parse_instant("2026-11-20T00:00:00Z") == 1795132800000
    assert parse_instant("2026-11-20T01:00:00+01:00") == 1795132800000
    assert parse_instant("2026-11-20") == 1795132800000


def test_glue_arguments_become_params(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"prefix_rules": [{"prefix": "s3://lake/in/", "layer": "raw"}]}')
    params = build_params(
        {
            "lake": "s3://lake/raw-zone",
            "out": "s3://lake/builds/x",
            "date_from": "2026-11-01",
            "date_to": "2026-11-20",
            "gzip": "true",
            "max_bad_share": "0.2",
            "layer_rules": str(rules),
            "as_of": "2026-11-20T12:00:00Z",
        }
    )
    assert params.date_from == dt.date(2026, 11, 1) and params.date_to == dt.date(2026, 11, 20)
    assert params.gzip and params.max_bad_share == 0.2
    assert params.layer_rules.layer_of("s3://lake/in/orders") == "raw"
    assert params.as_of_ms == parse_instant("2026-11-20T12:00:00Z")
    assert params.manifest_parameters()["layer_rules"] == str(rules)


def test_defaults_and_bad_rules() -> None:
    params = build_params({"lake": "/tmp/l", "out": "/tmp/o"})
    assert not params.gzip and params.max_bad_share == 0.05 and params.date_from is None
    with pytest.raises(StorageError, match=r"/nonexistent/r\.json"):
        build_params({"lake": "/tmp/l", "out": "/tmp/o", "layer_rules": "/nonexistent/r.json"})


def test_hooks_resolve_by_module_and_name() -> None:
    assert resolve_hook("json:dumps")({"a": 1}) == '{"a": 1}'
    with pytest.raises(AttributeError):
        resolve_hook("json:nope")


def test_nightly_run_records_its_start_as_cutoff() -> None:
    started = dt.datetime(2026, 11, 22, 2, 0, 5, 123000, tzinfo=dt.UTC)
    args = with_nightly_cutoff({"lake": "s3://raw", "out": "s3://build"}, started)
    assert args["landed_before"] == "2026-11-22T02:00:05.123Z"
    assert parse_instant(args["landed_before"]) == int(started.timestamp() * 1000)
    given = {"lake": "s3://raw", "out": "s3://build", "landed_before": "2026-11-20T00:00:00Z"}
    assert with_nightly_cutoff(given, started) == given
