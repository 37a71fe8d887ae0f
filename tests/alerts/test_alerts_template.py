"""deploy/aws/alerts.yaml: valid CloudFormation, and its rules send what the classifier needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alert_samples import BENIGN, RISKY, aas_event, ec2_autoscaling_event
from cfnlint.api import ManualArgs, lint
from cfnlint.decode.cfn_yaml import loads

from scalewarden.checks.lib.event_pattern import matches
from scalewarden.checks.lib.iam_policy import aas_write_actions

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "aws" / "alerts.yaml"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def _template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(loads(TEMPLATE.read_text(encoding="utf-8"))))
    return data


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in _template()["Resources"].items() if v["Type"] == kind}


def _patterns() -> dict[str, dict[str, Any]]:
    return {k: v["Properties"]["EventPattern"] for k, v in _resources("AWS::Events::Rule").items()}


def test_cfn_lint_finds_nothing() -> None:
    assert lint(TEMPLATE.read_text(encoding="utf-8"), config=ManualArgs(regions=REGIONS)) == []


def test_cfn_lint_would_catch_a_broken_template() -> None:
    broken = TEMPLATE.read_text(encoding="utf-8").replace("HttpMethod: POST", "HttpMethod: SEND")
    assert lint(broken, config=ManualArgs(regions=REGIONS))


def test_the_connection_sends_the_key_header_from_a_no_echo_parameter() -> None:
    template = _template()
    assert template["Parameters"]["ApiKey"]["NoEcho"] is True
    (connection,) = _resources("AWS::Events::Connection").values()
    props = connection["Properties"]
    assert props["AuthorizationType"] == "API_KEY"
    key = props["AuthParameters"]["ApiKeyAuthParameters"]
    assert key == {"ApiKeyName": "X-Scalewarden-Key", "ApiKeyValue": {"Ref": "ApiKey"}}


def test_the_destination_is_rate_limited_and_every_rule_delivers_to_it_with_the_role() -> None:
    (destination,) = _resources("AWS::Events::ApiDestination").values()
    props = destination["Properties"]
    assert props["HttpMethod"] == "POST"
    assert props["InvocationRateLimitPerSecond"] == {"Ref": "RateLimitPerSecond"}
    assert _template()["Parameters"]["EndpointUrl"]["AllowedPattern"].startswith("^https://")
    (role_name,) = _resources("AWS::IAM::Role")
    role = _resources("AWS::IAM::Role")[role_name]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "events:InvokeApiDestination"
    assert statement["Resource"] == {"Fn::GetAtt": ["Destination", "Arn"]}
    for name, rule in _resources("AWS::Events::Rule").items():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["Destination", "Arn"]}, name
        assert target["RoleArn"] == {"Fn::GetAtt": [role_name, "Arn"]}, name


@pytest.mark.parametrize(("rule_id", "event"), RISKY, ids=[r for r, _ in RISKY])
def test_every_risky_sample_is_sent_by_some_rule(rule_id: str, event: dict[str, Any]) -> None:
    assert any(matches(p, event) for p in _patterns().values()), rule_id


@pytest.mark.parametrize(
    "label",
    ["read", "root read", "read denied", "trail read", "endpoint read", "not at max"],
)
def test_reads_are_not_sent(label: str) -> None:
    event = dict(BENIGN)[label]
    assert not any(matches(p, event) for p in _patterns().values())


def test_ec2_auto_scaling_calls_are_not_sent() -> None:
    for name in ("DeleteAutoScalingGroup", "UpdateAutoScalingGroup", "DeleteScalingPolicy"):
        event = ec2_autoscaling_event(name, {"autoScalingGroupName": "web"})
        assert not any(matches(p, event) for p in _patterns().values()), name


def test_denied_and_root_calls_are_sent_for_exactly_the_write_operations() -> None:
    pattern = _patterns()["AasDeniedOrRootRule"]
    writes = sorted(a.split(":", 1)[1] for a in aas_write_actions())
    assert sorted(pattern["detail"]["eventName"]) == writes
    for name in writes:
        denied = aas_event(name, {}, errorCode="AccessDeniedException")
        assert matches(pattern, denied), name
    assert not matches(pattern, aas_event("PutScalingPolicy", {}, errorCode="ValidationException"))
