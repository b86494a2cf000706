"""HTTP API with JWT authorization in front of the producer and read Lambdas."""

from __future__ import annotations

from aws_cdk import Annotations, AssetHashType, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .auth import Auth
from .compliance import skip_checkov
from .config import RUNTIME, DeploymentConfig
from .log_groups import encrypted_log_group
from .packaging import REPO_ROOT, bundled_source, deps_layer_present

__all__ = ["Api", "ApiFunctions"]

_SYNC_DLQ_REASON = (
    "Invoked synchronously by API Gateway: the caller gets the error, so an async DLQ never fires."
)


class ApiFunctions(Construct):
    """The producer and read Lambdas (source asset + dependency layer), each with its own role."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: DeploymentConfig,
        key: kms.IKey,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        producer_sg: ec2.ISecurityGroup,
        consumer_sg: ec2.ISecurityGroup,
        raw_bucket: s3.IBucket,
        neptune_endpoint: str,
        neptune_port: str,
        neptune_data_arn: str,
    ) -> None:
        super().__init__(scope, cid)
        arch = (
            lambda_.Architecture.ARM_64
            if config.lambda_architecture == "arm64"
            else lambda_.Architecture.X86_64
        )
        layers: list[lambda_.ILayerVersion] = []
        deps_dir = REPO_ROOT / config.lambda_deps_dir
        if deps_layer_present(deps_dir):
            layers.append(
                lambda_.LayerVersion(
                    self,
                    "Deps",
                    code=lambda_.Code.from_asset(str(deps_dir)),
                    compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
                    compatible_architectures=[arch],
                    description="Third-party dependencies of the producer and read API",
                )
            )
        elif config.require_packaged_dependencies:
            raise FileNotFoundError(
                f"{deps_dir}/python is missing: run `make package` before deploying"
            )
        else:
            Annotations.of(self).add_warning_v2(
                "lineage:no-deps-layer",
                "Lambda dependency layer not built (run `make package`); synthesized without it.",
            )

        self.producer = self._function(
            "Producer",
            config=config,
            key=key,
            arch=arch,
            layers=layers,
            handler=RUNTIME.producer_handler,
            packages=RUNTIME.producer_packages,
            memory=config.producer_memory_mb,
            reserved=config.producer_reserved_concurrency,
            vpc=vpc,
            subnets=subnets,
            sg=producer_sg,
            environment={
                RUNTIME.producer_lake_env: (
                    f"s3://{raw_bucket.bucket_name}/{RUNTIME.raw_prefix.rstrip('/')}"
                )
            },
            description="Spline producer API: stores every payload verbatim in the raw zone",
        )
        # Write-once: put, and read back for idempotent plan writes; never delete.
        self.producer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[raw_bucket.arn_for_objects(f"{RUNTIME.raw_prefix}*")],
            )
        )
        # Without ListBucket S3 answers a missing key (the plan index probe) with 403, not 404,
        # and every new plan would fail with 503. Scoped to the raw prefix.
        self.producer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[raw_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{RUNTIME.raw_prefix}*"]}},
            )
        )
        self.producer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}
                },
            )
        )

        self.consumer = self._function(
            "Consumer",
            config=config,
            key=key,
            arch=arch,
            layers=layers,
            handler=RUNTIME.consumer_handler,
            packages=RUNTIME.consumer_packages,
            memory=config.consumer_memory_mb,
            reserved=config.consumer_reserved_concurrency,
            vpc=vpc,
            subnets=subnets,
            sg=consumer_sg,
            environment={
                RUNTIME.consumer_graph_url_env: f"wss://{neptune_endpoint}:{neptune_port}/gremlin",
                RUNTIME.consumer_iam_auth_env: "true",
            },
            description="Lineage read API: bounded Gremlin traversals on Neptune",
        )
        self.consumer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["neptune-db:connect", "neptune-db:ReadDataViaQuery"],
                resources=[neptune_data_arn],
            )
        )

    def _function(
        self,
        cid: str,
        *,
        config: DeploymentConfig,
        key: kms.IKey,
        arch: lambda_.Architecture,
        layers: list[lambda_.ILayerVersion],
        handler: str,
        packages: tuple[str, ...],
        memory: int,
        reserved: int,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        sg: ec2.ISecurityGroup,
        environment: dict[str, str],
        description: str,
    ) -> lambda_.Function:
        log_group = encrypted_log_group(self, f"{cid}Logs", config=config, key=key)
        role = iam.Role(
            self,
            f"{cid}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{config.project_name} {cid.lower()} Lambda",
            # ENI management in the VPC; its actions only work on "*" (AWS's documented minimum).
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaVPCAccessExecutionRole"
                )
            ],
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group.log_group_arn}:*"],
            )
        )
        function = lambda_.Function(
            self,
            cid,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=arch,
            handler=handler,
            code=lambda_.Code.from_asset(
                str(REPO_ROOT / packages[0]),
                bundling=bundled_source(packages),
                asset_hash_type=AssetHashType.OUTPUT,
            ),
            layers=layers,
            memory_size=memory,
            timeout=Duration.seconds(29),  # under API Gateway's 30 s integration limit
            reserved_concurrent_executions=reserved,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[sg],
            role=role,
            log_group=log_group,
            environment=environment,
            environment_encryption=key,
            tracing=lambda_.Tracing.ACTIVE,
            description=description,
        )
        skip_checkov(function, ("CKV_AWS_116", _SYNC_DLQ_REASON))
        return function


class Api(Construct):
    """HTTP API: producer routes for agents (client credentials), read routes for people."""

    def __init__(
        self, scope: Construct, cid: str, *, config: DeploymentConfig, key: kms.IKey
    ) -> None:
        super().__init__(scope, cid)
        self.access_logs = encrypted_log_group(self, "AccessLogs", config=config, key=key)
        self.http_api = apigw.HttpApi(
            self,
            "Http",
            api_name=f"{config.project_name}-api",
            description="Spline producer API and lineage read API",
            create_default_stage=False,
            # Same-origin through CloudFront, so no CORS: the UI calls /api on its own host.
        )
        self.stage = apigw.HttpStage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst
            ),
        )
        stage_resource = self.stage.node.default_child
        assert isinstance(stage_resource, apigw.CfnStage)
        stage_resource.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn,
            format=(
                '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                '"time":"$context.requestTime","method":"$context.httpMethod",'
                '"path":"$context.path","status":"$context.status",'
                '"latencyMs":"$context.responseLatency","bytes":"$context.responseLength",'
                '"authError":"$context.authorizer.error",'
                '"integrationError":"$context.integrationErrorMessage"}'
            ),
        )
        self.url = self.http_api.api_endpoint
        self.producer_url = f"{self.http_api.api_endpoint}{RUNTIME.producer_base_path}"

    def add_routes(self, *, auth: Auth, functions: ApiFunctions) -> None:
        """Wire the routes once Cognito (which needs the UI URL) exists."""
        issuer = f"https://cognito-idp.{Stack.of(self).region}.amazonaws.com/{auth.user_pool.user_pool_id}"
        agent_authorizer = authorizers.HttpJwtAuthorizer(
            "AgentJwt",
            issuer,
            jwt_audience=[c.user_pool_client_id for c in auth.agent_clients.values()],
            authorizer_name="spline-agents",
        )
        reader_authorizer = authorizers.HttpJwtAuthorizer(
            "ReaderJwt",
            issuer,
            jwt_audience=[auth.ui_client.user_pool_client_id],
            authorizer_name="signed-in-readers",
        )
        producer = integrations.HttpLambdaIntegration(
            "ProducerIntegration",
            functions.producer,
            payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
        )
        consumer = integrations.HttpLambdaIntegration(
            "ConsumerIntegration",
            functions.consumer,
            payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
        )
        base = RUNTIME.producer_base_path
        producer_routes = (
            (f"{base}/status", [apigw.HttpMethod.HEAD, apigw.HttpMethod.GET]),
            (f"{base}/execution-plans", [apigw.HttpMethod.POST]),
            (f"{base}/execution-events", [apigw.HttpMethod.POST]),
        )
        for path, methods in producer_routes:
            self.http_api.add_routes(
                path=path,
                methods=methods,
                integration=producer,
                authorizer=agent_authorizer,
                authorization_scopes=[auth.write_scope_name],
            )
        self.http_api.add_routes(
            path=f"{RUNTIME.read_api_base_path}/{{proxy+}}",
            methods=[apigw.HttpMethod.GET],
            integration=consumer,
            authorizer=reader_authorizer,
            authorization_scopes=[auth.read_scope_name],
        )
