"""Deployment settings: context parsing and refusing settings that would deploy something wrong."""

from __future__ import annotations

import pytest
from lineage_infra.config import ConfigError, DeploymentConfig

pytestmark = pytest.mark.unit


def test_defaults_are_production_safe() -> None:
    config = DeploymentConfig()
    assert config.deletion_protection is True
    assert config.object_lock_days >= 1
    assert config.neptune_parameter_family == "neptune1.4"


def test_existing_vpc_needs_its_subnets_and_zones() -> None:
    with pytest.raises(ConfigError, match="vpc-123"):
        DeploymentConfig(vpc_id="vpc-123")
    with pytest.raises(ConfigError, match="privateRouteTableIds"):
        DeploymentConfig(
            vpc_id="vpc-123", private_subnet_ids=("subnet-1",), availability_zones=("eu-west-1a",)
        )
    ok = DeploymentConfig(
        vpc_id="vpc-123",
        private_subnet_ids=("subnet-1",),
        availability_zones=("eu-west-1a",),
        create_s3_endpoint=False,
    )
    assert ok.vpc_id == "vpc-123"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"object_lock_mode": "OFF"}, "objectLockMode"),
        ({"object_lock_days": 0}, "objectLockDays"),
        ({"lambda_architecture": "sparc"}, "lambdaArchitecture"),
        ({"project_name": "Has Spaces"}, "projectName"),
        ({"neptune_backup_retention_days": 1}, "neptuneBackupRetentionDays"),
    ],
)
def test_bad_settings_name_the_key(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        DeploymentConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_context_value_names_the_key(synth_with) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="objectLockDays"):
        synth_with(objectLockDays="many")
