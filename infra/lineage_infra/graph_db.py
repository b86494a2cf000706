"""Amazon Neptune: IAM-authenticated, encrypted, backed up, with the bulk-loader role attached."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_neptune as neptune
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .config import RUNTIME, DeploymentConfig

__all__ = ["GraphDatabase"]


class GraphDatabase(Construct):
    """The Neptune cluster the nightly job loads and the read API queries."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: DeploymentConfig,
        subnets: ec2.SelectedSubnets,
        security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        build_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, cid)
        stack = Stack.of(self)

        # Neptune assumes this role to read bulk-load files (it is passed as `iamRoleArn`).
        self.loader_role = iam.Role(
            self,
            "LoaderRole",
            assumed_by=iam.ServicePrincipal("rds.amazonaws.com"),
            description="Neptune bulk loader: read the build bucket's load files",
        )
        self.loader_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[build_bucket.arn_for_objects(f"{RUNTIME.build_prefix}*")],
            )
        )
        self.loader_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[build_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{RUNTIME.build_prefix}*"]}},
            )
        )
        self.loader_role.add_to_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn])
        )

        subnet_ids = subnets.subnet_ids
        subnet_group = neptune.CfnDBSubnetGroup(
            self,
            "Subnets",
            db_subnet_group_description=f"{config.project_name} Neptune private subnets",
            subnet_ids=subnet_ids,
        )
        cluster_params = neptune.CfnDBClusterParameterGroup(
            self,
            "ClusterParams",
            description=f"{config.project_name}: audit log on, 120 s query timeout",
            family=config.neptune_parameter_family,
            parameters={"neptune_enable_audit_log": "1", "neptune_query_timeout": "120000"},
        )
        self.cluster = neptune.CfnDBCluster(
            self,
            "Cluster",
            engine_version=config.neptune_engine_version,
            iam_auth_enabled=True,
            storage_encrypted=True,
            kms_key_id=key.key_arn,
            backup_retention_period=config.neptune_backup_retention_days,
            preferred_backup_window="00:00-01:00",
            deletion_protection=config.deletion_protection,
            copy_tags_to_snapshot=True,
            db_subnet_group_name=subnet_group.ref,
            db_cluster_parameter_group_name=cluster_params.ref,
            vpc_security_group_ids=[security_group.security_group_id],
            enable_cloudwatch_logs_exports=["audit"],
            associated_roles=[
                neptune.CfnDBCluster.DBClusterRoleProperty(role_arn=self.loader_role.role_arn)
            ],
        )
        # The cluster holds only a projection of S3, but a snapshot makes a rebuild unnecessary.
        self.cluster.apply_removal_policy(RemovalPolicy.SNAPSHOT)
        for index in range(config.neptune_instances):
            neptune.CfnDBInstance(
                self,
                f"Instance{index + 1}",
                db_instance_class=config.neptune_instance_class,
                db_cluster_identifier=self.cluster.ref,
                auto_minor_version_upgrade=True,
            )

        self.endpoint = self.cluster.attr_endpoint
        self.port = self.cluster.attr_port
        # IAM resource for neptune-db:* actions: this cluster's resource id, every path.
        self.data_arn = (
            f"arn:{stack.partition}:neptune-db:{stack.region}:{stack.account}:"
            f"{self.cluster.attr_cluster_resource_id}/*"
        )
