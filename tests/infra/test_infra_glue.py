"""Glue: the nightly normalize job, its schedule, its VPC connection and its arguments."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

import pytest
from infra_synth import Synth
from lineage_infra.config import RUNTIME, ConfigError, DeploymentConfig
from lineage_infra.glue_sizing import glue_workers_for

pytestmark = pytest.mark.unit

LAUNCHER = Path(__file__).resolve().parents[2] / "infra" / "glue" / "launcher.py"


def test_job_is_glue_5_with_project_packages_and_pipeline_arguments(synth: Synth) -> None:
    job = synth.only("AWS::Glue::Job")
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["PythonVersion"] == "3"
    args = job["DefaultArguments"]
    assert "--extra-py-files" in args
    for name in (
        RUNTIME.glue_arg_raw_uri,
        RUNTIME.glue_arg_output_uri,
        RUNTIME.glue_arg_neptune_endpoint,
        RUNTIME.glue_arg_loader_role,
    ):
        assert f"--{name}" in args, name
    assert args["--lineage-entry-module"] == RUNTIME.glue_entry_module
    assert args[f"--{RUNTIME.glue_arg_on_built}"] == RUNTIME.glue_load_hook
    raw = args[f"--{RUNTIME.glue_arg_raw_uri}"]["Fn::Join"][1]
    assert raw[0] == "s3://" and raw[2] == "/raw"
    loader_role = args[f"--{RUNTIME.glue_arg_loader_role}"]["Fn::GetAtt"][0]
    cluster = synth.only("AWS::Neptune::DBCluster")
    assert cluster["AssociatedRoles"][0]["RoleArn"] == {"Fn::GetAtt": [loader_role, "Arn"]}
    endpoint = args[f"--{RUNTIME.glue_arg_neptune_endpoint}"]["Fn::GetAtt"]
    assert endpoint[1] == "Endpoint"
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert "SecurityConfiguration" in job


def test_extra_py_files_zip_holds_the_packages(synth: Synth) -> None:
    url = synth.only("AWS::Glue::Job")["DefaultArguments"]["--extra-py-files"]["Fn::Sub"]
    asset_hash = url.rsplit("/", 1)[1].removesuffix(".zip")
    staged = synth.outdir / f"asset.{asset_hash}"
    assert sorted(p.name for p in staged.iterdir()) == sorted(RUNTIME.glue_packages)
    assert (staged / "lineage" / "__init__.py").is_file()


def test_job_runs_inside_the_vpc(synth: Synth) -> None:
    connection = synth.only("AWS::Glue::Connection")["ConnectionInput"]
    assert connection["ConnectionType"] == "NETWORK"
    job = synth.only("AWS::Glue::Job")
    assert job["Connections"]["Connections"] == [connection["Name"]]


def _triggers(synth: Synth) -> dict[str, Any]:
    found = [r["Properties"] for r in synth.resources("AWS::Glue::Trigger").values()]
    return {str(t["Name"]).rsplit("-", 1)[1]: t for t in found}


def test_a_weekly_full_rebuild_and_hourly_deltas_are_scheduled(synth: Synth) -> None:
    triggers = _triggers(synth)
    job = synth.only("AWS::Glue::Job")
    assert set(triggers) == {"full", "delta"}
    assert all(t["Type"] == "SCHEDULED" and t["StartOnCreation"] is True for t in triggers.values())
    assert triggers["full"]["Schedule"] == "cron(0 2 ? * SUN *)"
    assert triggers["full"]["Actions"] == [
        {"JobName": job["Name"], "Arguments": {"--full": "true"}}
    ]
    assert triggers["delta"]["Schedule"] == "cron(10 * * * ? *)"
    assert triggers["delta"]["Actions"] == [{"JobName": job["Name"]}]
    # The job continues from the pointer under its build prefix.
    assert job["DefaultArguments"]["--scheduled"] == "true"


@pytest.mark.parametrize(
    ("minutes", "cron"),
    [(15, "cron(10/15 * * * ? *)"), (30, "cron(10/30 * * * ? *)"), (180, "cron(10 0/3 * * ? *)")],
)
def test_the_delta_interval_is_configurable(synth_with: Any, minutes: int, cron: str) -> None:
    later = synth_with(fullRebuildCron="cron(30 4 ? * SAT *)", deltaIntervalMinutes=minutes)
    triggers = _triggers(later)
    assert triggers["full"]["Schedule"] == "cron(30 4 ? * SAT *)"
    assert triggers["delta"]["Schedule"] == cron


@pytest.mark.parametrize("cron", ["0 2 * * *", "rate(1 day)", "cron(0 2 * *)"])
def test_malformed_cron_is_refused(cron: str) -> None:
    with pytest.raises(ConfigError, match="fullRebuildCron"):
        DeploymentConfig(full_rebuild_cron=cron)


@pytest.mark.parametrize("minutes", [0, 7, 45, 90, -15, 10**9])
def test_an_uneven_delta_interval_is_refused(minutes: int) -> None:
    with pytest.raises(ConfigError, match="deltaIntervalMinutes"):
        DeploymentConfig(delta_interval_minutes=minutes)


def test_launcher_runs_the_named_module_without_its_own_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fake_entry.py").write_text(
        "import sys, pathlib\npathlib.Path(sys.argv[-1]).write_text(' '.join(sys.argv[1:]))\n"
    )
    out = tmp_path / "argv.txt"
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = [
        "script.py",
        "--raw-uri",
        "s3://b/raw",
        "--lineage-entry-module",
        "fake_entry",
        str(out),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(LAUNCHER), run_name="__main__")
    assert out.read_text() == f"--raw-uri s3://b/raw {out}"


def test_launcher_without_module_flag_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["script.py", "--raw-uri", "s3://b/raw"])
    with pytest.raises(SystemExit, match="--lineage-entry-module"):
        runpy.run_path(str(LAUNCHER), run_name="__main__")


def test_job_is_sized_from_the_expected_plans(synth: Synth, synth_with: Any) -> None:
    # The default (100k plans in 30 minutes on G.1X) by the rule of thumb in glue_sizing: bound by
    # the GETs (8 in flight per task), it needs one executor worker beside the driver.
    job = synth.only("AWS::Glue::Job")
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.1X", 2)
    bigger = synth_with(glueExpectedPlans="1000000").only("AWS::Glue::Job")
    assert bigger["NumberOfWorkers"] == 6
    wider = synth_with(glueExpectedPlans="1000000", glueWorkerType="G.2X").only("AWS::Glue::Job")
    assert (wider["WorkerType"], wider["NumberOfWorkers"]) == ("G.2X", 4)
    fixed = synth_with(glueWorkers="7", glueExpectedPlans="1000000").only("AWS::Glue::Job")
    assert fixed["NumberOfWorkers"] == 7


def test_sizing_grows_with_plans_and_shrinks_with_time() -> None:
    assert glue_workers_for(1000, "G.1X", 30) == 2  # never fewer than driver + one executor
    assert glue_workers_for(10**6, "G.1X", 60) < glue_workers_for(10**6, "G.1X", 30)
    assert glue_workers_for(10**7, "G.1X", 30) > glue_workers_for(10**6, "G.1X", 30)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"glue_workers": 1}, "glueWorkers"),
        ({"glue_worker_type": "Standard"}, "glueWorkerType"),
        ({"glue_expected_plans": 0}, "glueExpectedPlans"),
        ({"glue_target_minutes": 0}, "glueTargetMinutes"),
    ],
)
def test_bad_glue_sizing_is_refused(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        DeploymentConfig(**kwargs)
