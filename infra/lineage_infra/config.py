"""Deployment settings read from CDK context, and the names the app code must agree on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any

from constructs import Node

from .glue_sizing import MIN_WORKERS, SLOTS_PER_WORKER, glue_workers_for

__all__ = ["RUNTIME", "ConfigError", "DeploymentConfig", "RuntimeNames"]


class ConfigError(ValueError):
    """A context value is missing, malformed or inconsistent; the message names the key."""


@dataclass(frozen=True)
class RuntimeNames:
    """Every name the infrastructure borrows from the application code, in one place.

    Align these with `lambdas/`, `glue_jobs/`, `loader/` and `stores/` when they change.
    """

    producer_handler: str = "lambdas.producer.handler.handler"
    consumer_handler: str = "lambdas.consumer.handler.handler"
    # Packages copied into each Lambda's code asset (source only; third-party deps are a layer).
    producer_packages: tuple[str, ...] = (
        "lineage",
        "stores",
        "lambdas/__init__.py",
        "lambdas/producer",
    )
    consumer_packages: tuple[str, ...] = ("lineage", "lambdas/__init__.py", "lambdas/consumer")
    # Packages zipped into the Glue job's --extra-py-files.
    glue_packages: tuple[str, ...] = ("lineage", "stores", "glue_jobs", "loader")
    # Module the Glue job runs as `__main__` (via infra/glue/launcher.py, the job's script).
    glue_entry_module: str = "glue_jobs.entrypoint"
    # `module:function` the normalize job calls with its BuildResult: the Neptune bulk load.
    glue_load_hook: str = "loader.glue_hook:load_build"
    # Third-party modules the Glue job needs that Glue 5.0 does not ship (pip-installed by Glue).
    glue_python_modules: tuple[str, ...] = (
        "orjson>=3.10",
        "pydantic>=2.7",
        "gremlinpython>=3.7.5,<3.8",
    )
    # Environment variables the Lambdas read.
    producer_lake_env: str = "RAW_ZONE_URI"
    consumer_graph_url_env: str = "LINEAGE_GRAPH_URL"
    consumer_iam_auth_env: str = "LINEAGE_GRAPH_IAM_AUTH"
    # Glue job arguments (without the leading `--`): the entrypoint reads lake/out/on_built,
    # the load hook reads the Neptune endpoint and the loader role.
    glue_arg_raw_uri: str = "lake"
    glue_arg_output_uri: str = "out"
    glue_arg_on_built: str = "on_built"
    glue_arg_neptune_endpoint: str = "neptune_endpoint"
    glue_arg_loader_role: str = "loader_role_arn"
    # A line the loader logs when a Neptune bulk load ends in a failed state; a metric filter
    # on the job's log groups turns it into the "failed load" alarm.
    load_failed_marker: str = "LINEAGE_LOAD_FAILED"
    # Key prefixes inside the buckets.
    raw_prefix: str = "raw/"
    build_prefix: str = "builds/"
    # Spline producer routes (the agent's producer URL is `<api>/producer`) and the read API.
    producer_base_path: str = "/producer"
    read_api_base_path: str = "/api"
    # OAuth scopes of the Cognito resource server.
    resource_server_id: str = "lineage"
    write_scope: str = "producer.write"
    read_scope: str = "graph.read"


RUNTIME = RuntimeNames()

_NEPTUNE_VERSION = re.compile(r"^1\.(3|4)\.(\d+)\.(\d+)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
# Delta schedules Glue's cron can express evenly: minutes dividing an hour, hours dividing a day.
DELTA_INTERVALS = (15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440)
_NAME = re.compile(r"^[a-z][a-z0-9-]{2,30}$")


@dataclass(frozen=True)
class DeploymentConfig:
    """Knobs a platform team sets per account; defaults are safe for production."""

    project_name: str = "spark-lineage"
    # Network: a new VPC unless `vpc_id` is given (then the subnet and route table ids too).
    vpc_id: str | None = None
    availability_zones: tuple[str, ...] = ()
    private_subnet_ids: tuple[str, ...] = ()
    private_route_table_ids: tuple[str, ...] = ()
    create_s3_endpoint: bool = True
    max_azs: int = 2
    nat_gateways: int = 1
    # Neptune: 1.3.2-1.4.x speak TinkerPop 3.7, the minor gremlinpython is pinned to.
    neptune_engine_version: str = "1.4.5.0"
    neptune_instance_class: str = "db.r6g.large"
    neptune_instances: int = 1
    neptune_backup_retention_days: int = 7
    deletion_protection: bool = True
    # Raw zone: Object Lock default retention, so nothing an auditor relies on can be deleted.
    object_lock_mode: str = "GOVERNANCE"
    object_lock_days: int = 365
    build_expiry_days: int = 30
    log_retention_days: int = 365
    # Full rebuild (Glue cron, UTC), weekly; delta builds in between, every N minutes.
    full_rebuild_cron: str = "cron(0 2 ? * SUN *)"
    delta_interval_minutes: int = 60
    glue_worker_type: str = "G.1X"
    # 0: sized from glueExpectedPlans and glueTargetMinutes (`glue_sizing`); else this many.
    glue_workers: int = 0
    # Plans a nightly build reads (the raw zone's selection), and the wall time to aim for.
    glue_expected_plans: int = 100_000
    glue_target_minutes: int = 30
    glue_timeout_minutes: int = 120
    # API and Lambdas.
    lambda_architecture: str = "arm64"
    producer_memory_mb: int = 512
    consumer_memory_mb: int = 1024
    producer_reserved_concurrency: int = 20
    consumer_reserved_concurrency: int = 10
    api_throttle_rate: int = 200
    api_throttle_burst: int = 400
    # Names of the agents' OAuth clients; all are trusted. Rotating the secret = add a name,
    # move jobs to the new client, remove the old name (Cognito secrets cannot be changed).
    agent_clients: tuple[str, ...] = ("agents-1",)
    # Cognito hosted domain prefix (globally unique per region); default adds the account id.
    cognito_domain_prefix: str | None = None
    ui_callback_urls: tuple[str, ...] = ()
    # Optional custom domain for the UI (certificate must be in us-east-1 for CloudFront).
    ui_domain_names: tuple[str, ...] = ()
    ui_certificate_arn: str | None = None
    alarm_email: str | None = None
    # Where `make package` puts the Lambda dependency layer (repo-relative or absolute).
    lambda_deps_dir: str = "infra/build/lambda-deps"
    # True in `infra/deploy.sh`: refuse to synthesize Lambdas without their dependency layer.
    require_packaged_dependencies: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.project_name):
            raise ConfigError(
                f"projectName {self.project_name!r}: use 3-31 lowercase letters, digits, '-'"
            )
        match = _NEPTUNE_VERSION.match(self.neptune_engine_version)
        if not match or (match.group(1) == "3" and int(match.group(2)) < 2):
            raise ConfigError(
                f"neptuneEngineVersion {self.neptune_engine_version!r}: need 1.3.2.x-1.4.x "
                "(TinkerPop 3.7, the minor gremlinpython is pinned to)"
            )
        if not _CRON.match(self.full_rebuild_cron):
            raise ConfigError(
                f"fullRebuildCron {self.full_rebuild_cron!r}: need a six-field cron(...) expression"
            )
        if self.delta_interval_minutes not in DELTA_INTERVALS:
            raise ConfigError(
                f"deltaIntervalMinutes {self.delta_interval_minutes!r}: need one of "
                f"{', '.join(map(str, DELTA_INTERVALS))} (minutes that divide an hour or a day)"
            )
        if self.object_lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise ConfigError(
                f"objectLockMode {self.object_lock_mode!r}: need GOVERNANCE or COMPLIANCE"
            )
        if self.object_lock_days < 1:
            raise ConfigError(f"objectLockDays {self.object_lock_days}: need at least 1")
        if self.lambda_architecture not in ("arm64", "x86_64"):
            raise ConfigError(
                f"lambdaArchitecture {self.lambda_architecture!r}: need arm64 or x86_64"
            )
        if self.vpc_id is not None:
            if not self.private_subnet_ids or len(self.private_subnet_ids) != len(
                self.availability_zones
            ):
                raise ConfigError(
                    f"vpcId {self.vpc_id!r}: also set privateSubnetIds and availabilityZones "
                    "(one zone per subnet)"
                )
            if self.create_s3_endpoint and len(self.private_route_table_ids) != len(
                self.private_subnet_ids
            ):
                raise ConfigError(
                    f"vpcId {self.vpc_id!r}: set privateRouteTableIds (one per subnet) or "
                    "createS3Endpoint=false if the VPC already has an S3 gateway endpoint"
                )
        if not self.agent_clients or any(not _NAME.match(n) for n in self.agent_clients):
            raise ConfigError(
                f"agentClients {self.agent_clients!r}: need 1+ names of 3-31 lowercase "
                "letters, digits, '-'"
            )
        if self.glue_worker_type not in SLOTS_PER_WORKER:
            raise ConfigError(
                f"glueWorkerType {self.glue_worker_type!r}: need one of "
                f"{', '.join(SLOTS_PER_WORKER)}"
            )
        if self.glue_workers != 0 and self.glue_workers < MIN_WORKERS:
            raise ConfigError(
                f"glueWorkers {self.glue_workers}: need 0 (sized from glueExpectedPlans) or "
                f"at least {MIN_WORKERS}"
            )
        if self.glue_expected_plans < 1 or self.glue_target_minutes < 1:
            raise ConfigError(
                f"glueExpectedPlans {self.glue_expected_plans}, glueTargetMinutes "
                f"{self.glue_target_minutes}: need at least 1 each"
            )
        if self.neptune_backup_retention_days < 7:
            raise ConfigError(
                f"neptuneBackupRetentionDays {self.neptune_backup_retention_days}: need >= 7"
            )

    @property
    def glue_job_workers(self) -> int:
        """The Glue job's number of workers: `glueWorkers`, or the rule of thumb's figure."""
        if self.glue_workers:
            return self.glue_workers
        return glue_workers_for(
            self.glue_expected_plans, self.glue_worker_type, self.glue_target_minutes
        )

    @property
    def neptune_parameter_family(self) -> str:
        """Parameter group family of the engine version: neptune1.3 or neptune1.4."""
        major_minor = ".".join(self.neptune_engine_version.split(".")[:2])
        return f"neptune{major_minor}"

    @property
    def delta_cron(self) -> str:
        """The Glue cron of the delta builds: ten minutes into each slot, so a delta never
        starts in the same minute as a full rebuild on the hour (Glue refuses a second
        concurrent run of the job; that delta is skipped, the next one catches up)."""
        minutes = self.delta_interval_minutes
        if minutes < 60:
            return f"cron(10/{minutes} * * * ? *)"
        hours = minutes // 60
        return "cron(10 * * * ? *)" if hours == 1 else f"cron(10 0/{hours} * * ? *)"

    @classmethod
    def from_context(cls, node: Node) -> DeploymentConfig:
        """Read every field from CDK context (camelCase keys); unset keys keep their default."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            key = _camel(f.name)
            raw = node.try_get_context(key)
            if raw is None:
                continue
            values[f.name] = _coerce(key, raw, str(f.type))
        return cls(**values)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _coerce(key: str, raw: Any, type_name: str) -> Any:
    """Turn a context value (cdk.json or `-c key=value`, often a string) into the field type."""
    try:
        if type_name.startswith("tuple"):
            if isinstance(raw, str):
                raw = json.loads(raw) if raw.strip().startswith("[") else raw.split(",")
            return tuple(str(item).strip() for item in raw if str(item).strip())
        if type_name == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("true", "1", "yes"):
                return True
            if str(raw).lower() in ("false", "0", "no"):
                return False
            raise ValueError("not a boolean")
        if type_name == "int":
            return int(raw)
        if type_name in ("str | None",) and str(raw) == "":
            return None
        return str(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"context {key}={raw!r}: {exc}") from exc
