"""Least privilege: no wildcard actions anywhere, no wildcard resources in our own policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from infra_synth import Synth

pytestmark = pytest.mark.unit

# Documented AWS-managed policies we attach, and why (see docs/deploy.md, "Permissions").
ALLOWED_MANAGED = {
    "service-role/AWSLambdaVPCAccessExecutionRole",  # ENI actions only work on "*"
    "service-role/AWSGlueServiceRole",  # Glue VPC connection ENIs and job metrics
}


# Actions AWS defines without resource-level permissions: "*" is the only valid resource.
RESOURCE_WILDCARD_ONLY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement in IAM, bucket, topic and key policies, with its owner."""
    documents = {
        "AWS::IAM::Policy": "PolicyDocument",
        "AWS::S3::BucketPolicy": "PolicyDocument",
        "AWS::SNS::TopicPolicy": "PolicyDocument",
        "AWS::KMS::Key": "KeyPolicy",
        "AWS::IAM::Role": "AssumeRolePolicyDocument",
    }
    for kind, field in documents.items():
        for logical_id, resource in synth.resources(kind).items():
            for statement in resource["Properties"][field]["Statement"]:
                yield f"{kind} {logical_id}", statement
        if kind == "AWS::IAM::Role":
            for logical_id, resource in synth.resources(kind).items():
                for inline in resource["Properties"].get("Policies", []):
                    for statement in inline["PolicyDocument"]["Statement"]:
                        yield f"{kind} {logical_id} inline", statement


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_key_admin(owner: str, statement: dict[str, Any]) -> bool:
    """CDK's default key policy: the account root administers the key (else it is unmanageable)."""
    principal = statement.get("Principal", {}).get("AWS")
    return (
        owner.startswith("AWS::KMS::Key")
        and statement.get("Action") == "kms:*"
        and isinstance(principal, dict)
        and ":root" in str(principal)
    )


def test_no_allow_statement_grants_a_wildcard_action(synth: Synth) -> None:
    for owner, statement in _statements(synth):
        if statement["Effect"] != "Allow" or _is_key_admin(owner, statement):
            continue
        for action in _listed(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (owner, action)
            assert "*" not in action, (owner, action)


def test_our_identity_policies_name_their_resources(synth: Synth) -> None:
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if set(_listed(statement["Action"])) <= RESOURCE_WILDCARD_ONLY:
                continue
            for resource in _listed(statement["Resource"]):
                assert resource != "*", (logical_id, statement)


def test_only_documented_managed_policies_are_attached(synth: Synth) -> None:
    attached = set()
    for role in synth.resources("AWS::IAM::Role").values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            parts = arn["Fn::Join"][1]
            attached.add(parts[-1].split(":policy/", 1)[1])
    assert attached <= ALLOWED_MANAGED
    assert "AdministratorAccess" not in attached


def test_neptune_access_is_scoped_to_the_cluster_resource_id(synth: Synth) -> None:
    seen = []
    for _owner, statement in _statements(synth):
        actions = _listed(statement.get("Action", []))
        if any(a.startswith("neptune-db:") for a in actions):
            [resource] = _listed(statement["Resource"])
            joined = resource["Fn::Join"][1]
            assert any(
                isinstance(p, dict) and p.get("Fn::GetAtt", [None, None])[1] == "ClusterResourceId"
                for p in joined
            )
            seen.append(set(actions))
    read_only = {"neptune-db:connect", "neptune-db:ReadDataViaQuery"}
    assert read_only in seen  # the read API cannot write or delete
    assert any("neptune-db:StartLoaderJob" in actions for actions in seen)
