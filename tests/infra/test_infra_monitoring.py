"""Alarms for the three ways lineage goes missing, and the URLs operators need."""

from __future__ import annotations

from typing import Any

import pytest
from infra_synth import Synth
from lineage_infra.config import RUNTIME

pytestmark = pytest.mark.unit


def _alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in synth.resources("AWS::CloudWatch::Alarm").items()}


def _topic(synth: Synth) -> str:
    [topic] = synth.resources("AWS::SNS::Topic")
    return topic


def test_failed_nightly_job_alarm_counts_glue_failure_events(synth: Synth) -> None:
    rule_id, rule = next(iter(synth.resources("AWS::Events::Rule").items()))
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail"]["jobName"] == [synth.only("AWS::Glue::Job")["Name"]]
    assert set(pattern["detail"]["state"]) >= {"FAILED", "TIMEOUT"}
    [alarm] = [a for a in _alarms(synth).values() if a["Namespace"] == "AWS/Events"]
    assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": {"Ref": rule_id}}]
    assert alarm["Threshold"] == 1


def test_producer_5xx_alarm_watches_the_http_api(synth: Synth) -> None:
    [api_id] = synth.resources("AWS::ApiGatewayV2::Api")
    [alarm] = [a for a in _alarms(synth).values() if a.get("MetricName") == "5xx"]
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert {"Name": "ApiId", "Value": {"Ref": api_id}} in alarm["Dimensions"]


def test_failed_load_alarm_is_fed_by_the_loader_marker_in_job_logs(synth: Synth) -> None:
    filters = [f["Properties"] for f in synth.resources("AWS::Logs::MetricFilter").values()]
    assert filters and all(RUNTIME.load_failed_marker in f["FilterPattern"] for f in filters)
    groups = {f["LogGroupName"]["Ref"] for f in filters}
    names = {synth.json["Resources"][g]["Properties"]["LogGroupName"] for g in groups}
    job = synth.only("AWS::Glue::Job")
    prefix = job["DefaultArguments"]["--custom-logGroup-prefix"]
    assert names == {f"{prefix}/output", f"{prefix}/error"}
    metric = filters[0]["MetricTransformations"][0]
    [alarm] = [a for a in _alarms(synth).values() if a.get("MetricName") == metric["MetricName"]]
    assert alarm["Namespace"] == metric["MetricNamespace"]


def test_every_alarm_notifies_the_encrypted_topic(synth: Synth) -> None:
    topic = _topic(synth)
    assert "KmsMasterKeyId" in synth.json["Resources"][topic]["Properties"]
    for name, alarm in _alarms(synth).items():
        assert alarm["AlarmActions"] == [{"Ref": topic}], name


def test_alarm_email_subscribes_when_configured(synth_with: Any) -> None:
    paged = synth_with(alarmEmail="oncall@example.com")
    subscription = paged.only("AWS::SNS::Subscription")
    assert subscription == {
        "Protocol": "email",
        "Endpoint": "oncall@example.com",
        "TopicArn": {"Ref": _topic(paged)},
    }


def test_outputs_give_the_producer_url_and_ui_url(synth: Synth) -> None:
    outputs = synth.json["Outputs"]
    producer = outputs["ProducerUrl"]["Value"]["Fn::Join"][1]
    assert producer[-1].endswith("/producer")
    ui = outputs["UiUrl"]["Value"]["Fn::Join"][1]
    assert ui[0] == "https://"
    [distribution] = synth.resources("AWS::CloudFront::Distribution")
    assert ui[1] == {"Fn::GetAtt": [distribution, "DomainName"]}
    for needed in (
        "TokenUrl",
        "AgentClientIdagents1",
        "AgentScope",
        "UiBucket",
        "DistributionId",
    ):
        assert needed in outputs
