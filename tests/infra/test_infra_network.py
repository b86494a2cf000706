"""Network: new or existing VPC, private subnets, S3 gateway endpoint, tight security groups."""

from __future__ import annotations

import pytest
from infra_synth import Synth

pytestmark = pytest.mark.unit

EXISTING = {
    "vpcId": "vpc-0123456789abcdef0",
    "availabilityZones": "eu-west-1a,eu-west-1b",
    "privateSubnetIds": "subnet-aaaa1111,subnet-bbbb2222",
    "privateRouteTableIds": "rtb-aaaa1111,rtb-bbbb2222",
}


def test_new_vpc_has_private_subnets_and_no_auto_public_ips(synth: Synth) -> None:
    assert len(synth.resources("AWS::EC2::VPC")) == 1
    subnets = synth.resources("AWS::EC2::Subnet").values()
    private = [s for s in subnets if _tag(s, "aws-cdk:subnet-type") == "Private"]
    assert len(private) == 2
    assert all(s["Properties"].get("MapPublicIpOnLaunch") is False for s in subnets)


def test_s3_gateway_endpoint_serves_the_private_route_tables(synth: Synth) -> None:
    endpoint = synth.only("AWS::EC2::VPCEndpoint")
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert "s3" in str(endpoint["ServiceName"])
    private_tables = {
        k
        for k, v in synth.resources("AWS::EC2::RouteTable").items()
        if "private" in _tag(v, "Name").lower()
    }
    assert {ref["Ref"] for ref in endpoint["RouteTableIds"]} == private_tables


def test_vpc_flow_logs_are_on(synth: Synth) -> None:
    flow = synth.only("AWS::EC2::FlowLog")
    assert flow["TrafficType"] == "ALL"
    assert flow["LogDestinationType"] == "s3"


def test_neptune_accepts_8182_only_from_read_lambdas_and_glue(synth: Synth) -> None:
    groups = synth.resources("AWS::EC2::SecurityGroup")
    neptune_sg = next(
        k for k, v in groups.items() if "Neptune" in v["Properties"]["GroupDescription"]
    )
    ingress = [
        v["Properties"]
        for v in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if v["Properties"]["GroupId"] == {"Fn::GetAtt": [neptune_sg, "GroupId"]}
    ]
    assert len(ingress) == 2
    assert all(rule["FromPort"] == rule["ToPort"] == 8182 for rule in ingress)
    assert all("SourceSecurityGroupId" in rule for rule in ingress)
    # No security group may egress everywhere on every port.
    for group in groups.values():
        for rule in group["Properties"].get("SecurityGroupEgress", []):
            assert not (rule.get("IpProtocol") == "-1" and rule.get("CidrIp") == "0.0.0.0/0"), group


def test_existing_vpc_by_id_creates_no_vpc_and_uses_its_subnets(synth_with) -> None:  # type: ignore[no-untyped-def]
    existing = synth_with(**EXISTING)
    assert existing.resources("AWS::EC2::VPC") == {}
    assert existing.only("AWS::Neptune::DBSubnetGroup")["SubnetIds"] == [
        "subnet-aaaa1111",
        "subnet-bbbb2222",
    ]
    assert existing.only("AWS::EC2::VPCEndpoint")["RouteTableIds"] == [
        "rtb-aaaa1111",
        "rtb-bbbb2222",
    ]
    connection = existing.only("AWS::Glue::Connection")["ConnectionInput"]
    requirements = connection["PhysicalConnectionRequirements"]
    assert requirements["SubnetId"] == "subnet-aaaa1111"
    assert requirements["AvailabilityZone"] == "eu-west-1a"
    for function in existing.resources("AWS::Lambda::Function").values():
        assert function["Properties"]["VpcConfig"]["SubnetIds"] == [
            "subnet-aaaa1111",
            "subnet-bbbb2222",
        ]


def _tag(resource: dict, key: str) -> str:  # type: ignore[type-arg]
    for tag in resource["Properties"].get("Tags", []):
        if tag["Key"] == key:
            return str(tag["Value"])
    return ""
