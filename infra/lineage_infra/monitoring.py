"""Alarms that page when lineage is being lost or the graph is going stale."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .config import RUNTIME, DeploymentConfig

__all__ = ["Monitoring"]

METRIC_NAMESPACE = "SparkLineage"


class Monitoring(Construct):
    """SNS topic plus alarms: failed nightly job, producer 5xx/errors, failed Neptune load."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: DeploymentConfig,
        key: kms.IKey,
        http_api: apigw.IHttpApi,
        producer: lambda_.IFunction,
        job_name: str,
        job_log_groups: list[logs.ILogGroup],
    ) -> None:
        super().__init__(scope, cid)
        self.topic = sns.Topic(
            self,
            "Alarms",
            display_name=f"{config.project_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        notify = actions.SnsAction(self.topic)

        # Glue reports final job states as events; the rule's match count becomes the metric.
        self.job_failed_rule = events.Rule(
            self,
            "NightlyJobFailedRule",
            description=f"{job_name} ended FAILED, TIMEOUT or ERROR",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": [job_name], "state": ["FAILED", "TIMEOUT", "ERROR"]},
            ),
        )
        # Target set on the L1: the L2 SnsTopic target would also grant events.amazonaws.com
        # `kms:GenerateDataKey*` on the key; the key policy already grants the exact actions.
        rule_resource = self.job_failed_rule.node.default_child
        assert isinstance(rule_resource, events.CfnRule)
        rule_resource.targets = [
            events.CfnRule.TargetProperty(id="AlarmTopic", arn=self.topic.topic_arn)
        ]
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GlueJobFailureEvents",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.job_failed_rule.rule_arn}},
            )
        )
        self.job_failed = cloudwatch.Alarm(
            self,
            "NightlyJobFailed",
            alarm_description=f"Nightly lineage rebuild {job_name} failed: the graph is stale.",
            metric=cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="TriggeredRules",
                dimensions_map={"RuleName": self.job_failed_rule.rule_name},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        # The agent never retries: every producer 5xx is lineage lost for good.
        self.producer_5xx = cloudwatch.Alarm(
            self,
            "Producer5xx",
            alarm_description="The API answered 5xx: Spline agents drop lineage they cannot send.",
            metric=http_api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.producer_errors = cloudwatch.Alarm(
            self,
            "ProducerErrors",
            alarm_description="The producer Lambda raised or timed out.",
            metric=producer.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        # The loader logs a fixed marker when a bulk load ends in a failed state.
        load_metric_name = "NeptuneLoadFailed"
        for index, group in enumerate(job_log_groups):
            logs.MetricFilter(
                self,
                f"LoadFailedFilter{index}",
                log_group=group,
                filter_pattern=logs.FilterPattern.literal(f'"{RUNTIME.load_failed_marker}"'),
                metric_namespace=METRIC_NAMESPACE,
                metric_name=load_metric_name,
                metric_value="1",
            )
        self.load_failed = cloudwatch.Alarm(
            self,
            "LoadFailed",
            alarm_description="A Neptune bulk load failed: the graph is stale or partial.",
            metric=cloudwatch.Metric(
                namespace=METRIC_NAMESPACE,
                metric_name=load_metric_name,
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.job_failed, self.producer_5xx, self.producer_errors, self.load_failed):
            alarm.add_alarm_action(notify)
