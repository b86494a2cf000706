"""The nightly normalize job on Glue 5.0, its schedule, and its way into the VPC."""

from __future__ import annotations

from aws_cdk import AssetHashType, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from .config import RUNTIME, DeploymentConfig
from .log_groups import encrypted_log_group
from .packaging import REPO_ROOT, bundled_source

__all__ = ["NightlyJob"]


class NightlyJob(Construct):
    """Glue job (project packages as extra Python files), SCHEDULED trigger, VPC connection."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: DeploymentConfig,
        key: kms.IKey,
        subnets: ec2.SelectedSubnets,
        security_group: ec2.ISecurityGroup,
        raw_bucket: s3.IBucket,
        build_bucket: s3.IBucket,
        neptune_endpoint: str,
        neptune_data_arn: str,
        loader_role: iam.IRole,
    ) -> None:
        super().__init__(scope, cid)
        stack = Stack.of(self)
        self.job_name = f"{config.project_name}-normalize"

        script = s3_assets.Asset(
            self, "Script", path=str(REPO_ROOT / "infra" / "glue" / "launcher.py")
        )
        packages = s3_assets.Asset(
            self,
            "Packages",
            path=str(REPO_ROOT / RUNTIME.glue_packages[0]),
            bundling=bundled_source(RUNTIME.glue_packages),
            asset_hash_type=AssetHashType.OUTPUT,
        )

        log_prefix = f"/aws-glue/{self.job_name}"
        # Glue 5.0 writes to <prefix>/output (stdout/stderr) and <prefix>/error (Glue logger).
        self.log_groups = [
            encrypted_log_group(
                self, f"{kind.title()}Logs", config=config, key=key, name=f"{log_prefix}/{kind}"
            )
            for kind in ("output", "error")
        ]

        selected = subnets
        connection_name = f"{config.project_name}-vpc"
        connection = glue.CfnConnection(
            self,
            "Connection",
            catalog_id=stack.account,
            connection_input=glue.CfnConnection.ConnectionInputProperty(
                name=connection_name,
                description="Private subnets for the normalize job (Neptune loader, S3 endpoint)",
                connection_type="NETWORK",
                physical_connection_requirements=glue.CfnConnection.PhysicalConnectionRequirementsProperty(
                    subnet_id=selected.subnet_ids[0],
                    availability_zone=selected.availability_zones[0],
                    security_group_id_list=[security_group.security_group_id],
                ),
            ),
        )
        security = glue.CfnSecurityConfiguration(
            self,
            "Security",
            name=f"{config.project_name}-glue",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                    )
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key.key_arn
                ),
            ),
        )

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"{self.job_name}: read raw zone, write build files, run the loader",
            # Glue's ENI management in the VPC connection needs ec2 Describe* on "*"; this AWS
            # policy is the documented minimum for a Glue job role.
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSGlueServiceRole")
            ],
        )
        statements = [
            iam.PolicyStatement(
                sid="ReadRawZone",
                actions=["s3:GetObject"],
                resources=[raw_bucket.arn_for_objects(f"{RUNTIME.raw_prefix}*")],
            ),
            iam.PolicyStatement(
                sid="ListRawZone",
                actions=["s3:ListBucket"],
                resources=[raw_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{RUNTIME.raw_prefix}*"]}},
            ),
            iam.PolicyStatement(
                sid="WriteBuild",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[
                    build_bucket.arn_for_objects(f"{RUNTIME.build_prefix}*"),
                    build_bucket.arn_for_objects("glue-temp/*"),
                ],
            ),
            iam.PolicyStatement(
                sid="ListBuild",
                actions=["s3:ListBucket"],
                resources=[build_bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ReadJobCode",
                actions=["s3:GetObject"],
                resources=[
                    f"arn:{stack.partition}:s3:::{asset.s3_bucket_name}/{asset.s3_object_key}"
                    for asset in (script, packages)
                ],
            ),
            iam.PolicyStatement(
                sid="DataKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"],
                resources=[key.key_arn],
            ),
            iam.PolicyStatement(
                sid="NeptuneLoader",
                actions=[
                    "neptune-db:connect",
                    "neptune-db:StartLoaderJob",
                    "neptune-db:GetLoaderJobStatus",
                    "neptune-db:ListLoaderJobs",
                    "neptune-db:CancelLoaderJob",
                    "neptune-db:ResetDatabase",
                    "neptune-db:GetEngineStatus",
                ],
                resources=[neptune_data_arn],
            ),
            iam.PolicyStatement(
                sid="JobLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
                resources=[f"{group.log_group_arn}:*" for group in self.log_groups]
                + [group.log_group_arn for group in self.log_groups],
            ),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)

        build_uri = f"s3://{build_bucket.bucket_name}"
        self.job = glue.CfnJob(
            self,
            "Job",
            name=self.job_name,
            description="Nightly rebuild: raw Spline payloads -> Neptune bulk-load CSVs -> loader",
            role=self.role.role_arn,
            glue_version="5.0",
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            worker_type=config.glue_worker_type,
            number_of_workers=config.glue_job_workers,
            timeout=config.glue_timeout_minutes,
            max_retries=0,  # a rebuild is idempotent; a failure should page, not loop
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=1),
            connections=glue.CfnJob.ConnectionsListProperty(connections=[connection_name]),
            security_configuration=security.name,
            default_arguments={
                "--job-language": "python",
                "--extra-py-files": packages.s3_object_url,
                "--additional-python-modules": ",".join(RUNTIME.glue_python_modules),
                "--lineage-entry-module": RUNTIME.glue_entry_module,
                f"--{RUNTIME.glue_arg_raw_uri}": (
                    f"s3://{raw_bucket.bucket_name}/{RUNTIME.raw_prefix.rstrip('/')}"
                ),
                f"--{RUNTIME.glue_arg_output_uri}": (
                    f"{build_uri}/{RUNTIME.build_prefix.rstrip('/')}"
                ),
                f"--{RUNTIME.glue_arg_on_built}": RUNTIME.glue_load_hook,
                # --out is a build prefix: a delta on top of LATEST.json, or a full rebuild.
                "--scheduled": "true",
                f"--{RUNTIME.glue_arg_neptune_endpoint}": neptune_endpoint,
                f"--{RUNTIME.glue_arg_loader_role}": loader_role.role_arn,
                "--TempDir": f"{build_uri}/glue-temp/",
                "--enable-metrics": "true",
                "--enable-observability-metrics": "true",
                "--custom-logGroup-prefix": log_prefix,
            },
        )
        self.job.node.add_dependency(connection)
        self.job.node.add_dependency(security)

        # Deltas on a short interval, a full rebuild weekly (docs/deploy.md, "Schedules"):
        # the job keeps LATEST.json under the build prefix and continues from it.
        self.trigger = glue.CfnTrigger(
            self,
            "FullRebuild",
            name=f"{self.job_name}-full",
            description="Weekly full lineage rebuild",
            type="SCHEDULED",
            schedule=config.full_rebuild_cron,
            start_on_creation=True,
            actions=[
                glue.CfnTrigger.ActionProperty(job_name=self.job_name, arguments={"--full": "true"})
            ],
        )
        self.trigger.node.add_dependency(self.job)
        self.delta_trigger = glue.CfnTrigger(
            self,
            "Delta",
            name=f"{self.job_name}-delta",
            description=f"Delta lineage build every {config.delta_interval_minutes} minutes",
            type="SCHEDULED",
            schedule=config.delta_cron,
            start_on_creation=True,
            actions=[glue.CfnTrigger.ActionProperty(job_name=self.job_name)],
        )
        self.delta_trigger.node.add_dependency(self.job)
