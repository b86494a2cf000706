"""Neptune: IAM auth, encryption, backups, deletion protection, TinkerPop 3.7, loader role."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra_synth import Synth
from lineage_infra.config import ConfigError, DeploymentConfig

pytestmark = pytest.mark.unit


def test_cluster_is_iam_authenticated_encrypted_and_backed_up(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Neptune::DBCluster",
        {
            "IamAuthEnabled": True,
            "StorageEncrypted": True,
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("DataKey"), "Arn"]},
            "BackupRetentionPeriod": 7,
            "DeletionProtection": True,
            "EnableCloudwatchLogsExports": ["audit"],
        },
    )
    cluster = synth.resources("AWS::Neptune::DBCluster")
    assert [c["DeletionPolicy"] for c in cluster.values()] == ["Snapshot"]


def test_engine_speaks_tinkerpop_37(synth: Synth) -> None:
    version = synth.only("AWS::Neptune::DBCluster")["EngineVersion"]
    major, minor, patch, _ = (int(part) for part in version.split("."))
    assert (major, minor) in ((1, 3), (1, 4)) and (minor, patch) >= (3, 2), version
    assert synth.only("AWS::Neptune::DBClusterParameterGroup")["Family"] == f"neptune1.{minor}"


def test_instances_are_private(synth: Synth) -> None:
    instance = synth.only("AWS::Neptune::DBInstance")
    assert instance.get("PubliclyAccessible") in (None, False)


def test_loader_role_is_associated_and_reads_only_build_files(synth: Synth) -> None:
    cluster = synth.only("AWS::Neptune::DBCluster")
    [association] = cluster["AssociatedRoles"]
    role_id = association["RoleArn"]["Fn::GetAtt"][0]
    role = synth.json["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "rds.amazonaws.com"
    }
    actions = _actions_of_role(synth, role_id)
    assert actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}


def test_deletion_protection_is_configurable(synth_with: Any) -> None:
    relaxed = synth_with(deletionProtection="false")
    assert relaxed.only("AWS::Neptune::DBCluster")["DeletionProtection"] is False


@pytest.mark.parametrize("version", ["1.5.0.0", "1.3.1.0", "1.2.1.0", "latest"])
def test_engine_versions_outside_tinkerpop_37_are_refused(version: str) -> None:
    with pytest.raises(ConfigError, match="neptuneEngineVersion"):
        DeploymentConfig(neptune_engine_version=version)


def _actions_of_role(synth: Synth, role_id: str) -> set[str]:
    actions: set[str] = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                found = statement["Action"]
                actions.update([found] if isinstance(found, str) else found)
    return actions
