"""S3: immutable audited raw zone, short-lived build files, private UI bucket behind CloudFront."""

from __future__ import annotations

from typing import Any

import pytest
from infra_synth import Synth

pytestmark = pytest.mark.unit


def _bucket(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = [
        (k, v) for k, v in synth.resources("AWS::S3::Bucket").items() if name in k
    ]
    return logical_id, resource["Properties"]


def test_raw_zone_is_versioned_and_object_locked(synth: Synth) -> None:
    _, raw = _bucket(synth, "RawZone")
    assert raw["VersioningConfiguration"] == {"Status": "Enabled"}
    assert raw["ObjectLockEnabled"] is True
    assert raw["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
    }


def test_object_lock_retention_is_configurable(synth_with: Any) -> None:
    strict = synth_with(objectLockMode="COMPLIANCE", objectLockDays="2555")
    _, raw = _bucket(strict, "RawZone")
    assert raw["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": 2555,
    }


def test_raw_zone_uses_sse_kms_and_logs_access(synth: Synth) -> None:
    _, raw = _bucket(synth, "RawZone")
    [rule] = raw["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "DataKey" in rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    logs_id, _ = _bucket(synth, "AccessLogs")
    assert raw["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


@pytest.mark.parametrize("name", ["RawZone", "Build", "Ui", "AccessLogs"])
def test_every_bucket_blocks_public_access_and_refuses_plain_http(synth: Synth, name: str) -> None:
    logical_id, bucket = _bucket(synth, name)
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    [statements] = policies
    assert any(
        s["Effect"] == "Deny"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and s["Principal"] == {"AWS": "*"}
        for s in statements
    )


def test_build_files_expire(synth: Synth) -> None:
    _, build = _bucket(synth, "Build")
    [rule] = build["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 30
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_build_expiry_is_configurable(synth_with: Any) -> None:
    _, build = _bucket(synth_with(buildExpiryDays="3"), "Build")
    assert build["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 3


def test_ui_bucket_is_read_only_through_cloudfront_oac(synth: Synth) -> None:
    ui_id, _ = _bucket(synth, "Ui")
    distribution = synth.only("AWS::CloudFront::Distribution")["DistributionConfig"]
    s3_origins = [o for o in distribution["Origins"] if "S3OriginConfig" in o]
    [origin] = s3_origins
    assert "OriginAccessControlId" in origin
    assert origin["DomainName"] == {"Fn::GetAtt": [ui_id, "RegionalDomainName"]}
    oac = synth.only("AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": ui_id}
    ]
    grants = [s for s in policy if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in grants] == [{"Service": "cloudfront.amazonaws.com"}]
    assert grants[0]["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in grants[0]["Condition"]["StringEquals"]


def test_cloudfront_redirects_to_https_and_serves_api_same_origin(synth: Synth) -> None:
    distribution = synth.only("AWS::CloudFront::Distribution")["DistributionConfig"]
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["DefaultRootObject"] == "index.html"
    [api] = distribution["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert "Logging" in distribution


def test_api_behaviour_never_caches_and_forwards_the_bearer_token(synth: Synth) -> None:
    # With caching disabled, CloudFront forwards Authorization under the AllViewer* origin
    # request policies; a cached API behaviour would need it in the cache key instead.
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    distribution = synth.only("AWS::CloudFront::Distribution")["DistributionConfig"]
    [api] = distribution["CacheBehaviors"]
    assert api["CachePolicyId"] == caching_disabled
    assert api["OriginRequestPolicyId"] == all_viewer_except_host
    assert api["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
