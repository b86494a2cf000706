"""S3 buckets and the customer-managed KMS key that protects the data at rest."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .compliance import skip_checkov
from .config import DeploymentConfig

__all__ = ["Storage"]


class Storage(Construct):
    """Raw zone (immutable, audited), build bucket (short-lived load files), UI bucket, logs."""

    def __init__(self, scope: Construct, cid: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, cid)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "DataKey",
            description=f"{config.project_name}: raw zone, build files, Neptune, logs, alarms",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts our log groups with this key; scoped to this account's groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsUse",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                        )
                    }
                },
            )
        )
        # Alarms and the job-failure rule publish to the encrypted SNS topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging cannot deliver to an SSE-KMS bucket.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(config.log_retention_days),
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checkov(
            self.logs_bucket,
            ("CKV_AWS_18", "This is the access-log target; logging it to itself would loop."),
        )

        self.raw_bucket = s3.Bucket(
            self,
            "RawZone",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=(
                s3.ObjectLockRetention.compliance(Duration.days(config.object_lock_days))
                if config.object_lock_mode == "COMPLIANCE"
                else s3.ObjectLockRetention.governance(Duration.days(config.object_lock_days))
            ),
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3-access/raw/",
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.build_bucket = s3.Bucket(
            self,
            "Build",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-build-files",
                    expiration=Duration.days(config.build_expiry_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3-access/build/",
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.ui_bucket = s3.Bucket(
            self,
            "Ui",
            # Static UI assets, no data: SSE-S3 lets CloudFront OAC read them without a KMS key
            # policy naming the distribution (which would close a dependency cycle).
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-ui-versions",
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3-access/ui/",
            removal_policy=RemovalPolicy.RETAIN,
        )
