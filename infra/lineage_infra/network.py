"""The VPC everything that talks to Neptune lives in: new, or an existing one by id (no lookups)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .config import DeploymentConfig

__all__ = ["Network"]


class Network(Construct):
    """Private subnets for Neptune, the Lambdas and the Glue connection, plus security groups."""

    def __init__(
        self, scope: Construct, cid: str, *, config: DeploymentConfig, flow_log_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, cid)
        self.vpc: ec2.IVpc
        if config.vpc_id is None:
            vpc = ec2.Vpc(
                self,
                "Vpc",
                max_azs=None if config.availability_zones else config.max_azs,
                availability_zones=list(config.availability_zones) or None,
                nat_gateways=config.nat_gateways,
                subnet_configuration=self._subnets(config),
                # Flow logs to the access-log bucket: no extra IAM role, one place for audit logs.
                flow_logs={
                    "all": ec2.FlowLogOptions(
                        destination=ec2.FlowLogDestination.to_s3(flow_log_bucket, "vpc-flow-logs/"),
                        traffic_type=ec2.FlowLogTrafficType.ALL,
                    )
                },
            )
            self.vpc = vpc
        else:
            # From attributes, not Vpc.from_lookup: synth must not call AWS.
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=config.vpc_id,
                availability_zones=list(config.availability_zones),
                private_subnet_ids=list(config.private_subnet_ids),
                private_subnet_route_table_ids=list(config.private_route_table_ids) or None,
            )
        self.private_subnets = ec2.SubnetSelection(
            subnets=self.vpc.private_subnets if config.vpc_id else None,
            subnet_type=None if config.vpc_id else self._private_type(config),
        )
        self.selected = self.vpc.select_subnets(
            subnets=self.vpc.private_subnets if config.vpc_id else None,
            subnet_type=None if config.vpc_id else self._private_type(config),
        )
        if config.create_s3_endpoint:
            # The Neptune bulk loader reads the build bucket through this endpoint.
            self.vpc.add_gateway_endpoint(
                "S3Endpoint",
                service=ec2.GatewayVpcEndpointAwsService.S3,
                subnets=[self.private_subnets],
            )

        self.neptune_sg = ec2.SecurityGroup(
            self,
            "NeptuneSg",
            vpc=self.vpc,
            description="Neptune cluster: Gremlin/loader port from the read Lambdas and Glue only",
            allow_all_outbound=False,
        )
        self.consumer_sg = ec2.SecurityGroup(
            self,
            "ConsumerSg",
            vpc=self.vpc,
            description="Read API Lambdas: HTTPS to AWS APIs and 8182 to Neptune",
            allow_all_outbound=False,
        )
        self.producer_sg = ec2.SecurityGroup(
            self,
            "ProducerSg",
            vpc=self.vpc,
            description="Producer Lambda: HTTPS to S3 only",
            allow_all_outbound=False,
        )
        self.glue_sg = ec2.SecurityGroup(
            self,
            "GlueSg",
            vpc=self.vpc,
            description="Glue normalize job: Spark peers, HTTPS to AWS APIs, 8182 to Neptune",
            allow_all_outbound=False,
        )
        https = ec2.Port.tcp(443)
        gremlin = ec2.Port.tcp(8182)
        for sg, who in ((self.consumer_sg, "read Lambdas"), (self.glue_sg, "Glue job")):
            self.neptune_sg.add_ingress_rule(sg, gremlin, f"Gremlin and loader API from the {who}")
            sg.add_egress_rule(self.neptune_sg, gremlin, "Neptune Gremlin and loader API")
        for sg in (self.consumer_sg, self.producer_sg, self.glue_sg):
            sg.add_egress_rule(ec2.Peer.any_ipv4(), https, "HTTPS to AWS service endpoints")
        # Glue requires a self-referencing rule so its driver and executors can talk.
        self.glue_sg.add_ingress_rule(
            self.glue_sg, ec2.Port.all_tcp(), "Glue Spark driver/executors"
        )
        self.glue_sg.add_egress_rule(
            self.glue_sg, ec2.Port.all_tcp(), "Glue Spark driver/executors"
        )

    @staticmethod
    def _private_type(config: DeploymentConfig) -> ec2.SubnetType:
        return (
            ec2.SubnetType.PRIVATE_WITH_EGRESS
            if config.nat_gateways > 0
            else ec2.SubnetType.PRIVATE_ISOLATED
        )

    @classmethod
    def _subnets(cls, config: DeploymentConfig) -> list[ec2.SubnetConfiguration]:
        private = ec2.SubnetConfiguration(
            name="private", subnet_type=cls._private_type(config), cidr_mask=20
        )
        if config.nat_gateways == 0:
            return [private]
        # Public subnets only host the NAT gateways; nothing launched there gets a public IP.
        public = ec2.SubnetConfiguration(
            name="public",
            subnet_type=ec2.SubnetType.PUBLIC,
            cidr_mask=24,
            map_public_ip_on_launch=False,
        )
        return [public, private]
