"""KMS-encrypted CloudWatch log groups with a retention from the deployment config."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .config import DeploymentConfig

__all__ = ["encrypted_log_group", "retention"]

_RETENTION = {
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    """The longest CloudWatch retention not above `days` (the service takes fixed values)."""
    fitting = [value for value in _RETENTION if value <= days]
    return _RETENTION[max(fitting)] if fitting else logs.RetentionDays.ONE_MONTH


def encrypted_log_group(
    scope: Construct,
    cid: str,
    *,
    config: DeploymentConfig,
    key: kms.IKey,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group encrypted with the data key, kept for `logRetentionDays`."""
    return logs.LogGroup(
        scope,
        cid,
        log_group_name=name,
        retention=retention(config.log_retention_days),
        encryption_key=key,
        removal_policy=RemovalPolicy.RETAIN,
    )
