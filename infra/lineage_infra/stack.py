"""The whole deployment as one stack: network, data, graph, API, UI, nightly job, alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from .api import Api, ApiFunctions
from .auth import Auth
from .config import RUNTIME, DeploymentConfig
from .frontend import Frontend
from .graph_db import GraphDatabase
from .monitoring import Monitoring
from .network import Network
from .nightly import NightlyJob
from .storage import Storage

__all__ = ["LineageStack"]


class LineageStack(Stack):
    """Environment-agnostic: account and region come from the deploying credentials."""

    def __init__(
        self, scope: Construct, cid: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, cid, **kwargs)
        Tags.of(self).add("project", config.project_name)

        storage = Storage(self, "Storage", config=config)
        network = Network(self, "Network", config=config, flow_log_bucket=storage.logs_bucket)
        graph = GraphDatabase(
            self,
            "Graph",
            config=config,
            subnets=network.selected,
            security_group=network.neptune_sg,
            key=storage.key,
            build_bucket=storage.build_bucket,
        )
        functions = ApiFunctions(
            self,
            "Functions",
            config=config,
            key=storage.key,
            vpc=network.vpc,
            subnets=network.private_subnets,
            producer_sg=network.producer_sg,
            consumer_sg=network.consumer_sg,
            raw_bucket=storage.raw_bucket,
            neptune_endpoint=graph.endpoint,
            neptune_port=graph.port,
            neptune_data_arn=graph.data_arn,
        )
        api = Api(self, "Api", config=config, key=storage.key)
        frontend = Frontend(
            self,
            "Frontend",
            config=config,
            ui_bucket=storage.ui_bucket,
            logs_bucket=storage.logs_bucket,
            api_endpoint=api.url,
        )
        auth = Auth(self, "Auth", config=config, ui_url=frontend.url)
        api.add_routes(auth=auth, functions=functions)
        nightly = NightlyJob(
            self,
            "Nightly",
            config=config,
            key=storage.key,
            subnets=network.selected,
            security_group=network.glue_sg,
            raw_bucket=storage.raw_bucket,
            build_bucket=storage.build_bucket,
            neptune_endpoint=graph.endpoint,
            neptune_data_arn=graph.data_arn,
            loader_role=graph.loader_role,
        )
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            key=storage.key,
            http_api=api.http_api,
            producer=functions.producer,
            job_name=nightly.job_name,
            job_log_groups=list(nightly.log_groups),
        )

        outputs = {
            "ProducerUrl": (api.producer_url, "spark.spline.producer.url for the Spline agent"),
            "UiUrl": (frontend.url, "The lineage UI"),
            "ApiUrl": (api.url, "HTTP API base URL (read API under /api)"),
            "TokenUrl": (auth.token_url, "OAuth token endpoint for the agent (client credentials)"),
            "AgentScope": (auth.write_scope_name, "OAuth scope the agent requests"),
            "UiClientId": (auth.ui_client.user_pool_client_id, "Cognito client of the UI"),
            "UserPoolId": (auth.user_pool.user_pool_id, "Cognito user pool"),
            "RawBucket": (storage.raw_bucket.bucket_name, "Raw zone bucket"),
            "BuildBucket": (storage.build_bucket.bucket_name, "Bulk-load files bucket"),
            "UiBucket": (storage.ui_bucket.bucket_name, "Upload ui/ here"),
            "DistributionId": (frontend.distribution.distribution_id, "CloudFront distribution"),
            "NeptuneEndpoint": (graph.endpoint, "Neptune cluster endpoint"),
            "LoaderRoleArn": (graph.loader_role.role_arn, "Neptune bulk loader role"),
            "NormalizeJobName": (nightly.job_name, "Glue nightly job"),
            "AlarmTopicArn": (monitoring.topic.topic_arn, "SNS topic of the alarms"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
        for client_name, client in auth.agent_clients.items():
            CfnOutput(
                self,
                f"AgentClientId-{client_name}",
                value=client.user_pool_client_id,
                description=f"Cognito client id of agent client {client_name}",
            )
        self.template_options.description = (
            f"{config.project_name}: Spark lineage (Spline producer, raw zone, nightly Neptune "
            f"rebuild, read API, UI); producer routes under {RUNTIME.producer_base_path}"
        )
