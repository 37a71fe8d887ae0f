"""Regression tests for coverage verdicts that used to be wrong.

Alerting rules that filter on the service namespace cover only that namespace, and a scaling
policy check must not judge a region whose targets (and so policies) were not read.
"""

from __future__ import annotations

import json
from typing import Any

from inventory_builders import account, region, run, target

from scalewarden.aws.inventory import EventRule, ScalingPolicy
from scalewarden.checks.model import Status

DESTRUCTIVE = ["DeregisterScalableTarget", "DeleteScalingPolicy", "DeleteScheduledAction"]


def _rule(name: str, namespaces: list[str] | None = None) -> EventRule:
    detail: dict[str, Any] = {
        "eventSource": ["autoscaling.amazonaws.com"],
        "eventName": DESTRUCTIVE,
        "additionalEventData": {"service": ["application-autoscaling"]},
    }
    if namespaces is not None:
        detail["requestParameters"] = {"serviceNamespace": namespaces}
    pattern = {"source": ["aws.autoscaling"], "detail": detail}
    return EventRule(
        name,
        f"arn:aws:events:us-east-1:111122223333:rule/{name}",
        "ENABLED",
        "default",
        json.dumps(pattern),
    )


TABLE = target("dynamodb", "table/orders", "dynamodb:table:WriteCapacityUnits", min_capacity=5)


def _verdict(*rules: EventRule, targets: list[Any] | None = None) -> Any:
    reg = region(targets=targets or [target(), TABLE], event_rules=list(rules))
    (finding,) = run("eventbridge_aas_destructive_alerting", account(reg))
    return finding


def test_rule_for_one_namespace_does_not_cover_another() -> None:
    ecs_only = _verdict(_rule("ecs-only", ["ecs"]))
    assert ecs_only.status is Status.FAIL
    assert ecs_only.evidence["matched_only_for_namespaces"]["DeleteScalingPolicy"] == ["ecs"]
    assert "some only for ecs" in ecs_only.message


def test_rules_that_split_the_namespaces_cover_together() -> None:
    both = _verdict(_rule("ecs-only", ["ecs"]), _rule("tables", ["dynamodb"]))
    assert both.status is Status.PASS
    assert both.evidence["covered"]["DeleteScalingPolicy"] == ["ecs-only", "tables"]
    assert _verdict(_rule("all")).status is Status.PASS


def test_rule_for_the_only_namespace_in_use_passes() -> None:
    assert _verdict(_rule("tables", ["dynamodb"]), targets=[TABLE]).status is Status.PASS


def test_alarm_check_is_error_when_a_namespaces_targets_were_not_read() -> None:
    policy = ScalingPolicy(
        "cpu",
        "arn:aws:autoscaling:x",
        "ecs",
        "service/prod/web",
        "ecs:service:DesiredCount",
        "TargetTrackingScaling",
        ("TargetTracking-high",),
    )
    reg = region(
        targets=[target()],
        policies=[policy],
        existing_alarm_names={"TargetTracking-high"},
        errors={"scalable_targets:dynamodb": "AccessDenied"},
    )
    findings = run("scaling_policy_alarms_missing", account(reg))
    # The ECS policy was read whole, so its verdict stands (a FAIL seen is a FAIL, and a
    # resource read whole is judged); what DynamoDB's unread targets could hold is the
    # ERROR, and no region-wide PASS is claimed.
    assert [(f.status, f.resource_id.startswith("ecs:")) for f in findings] == [
        (Status.PASS, True),
        (Status.ERROR, False),
    ]
    assert "scalable_targets:dynamodb" in findings[-1].message


def _max_rule(name: str, namespaces: list[str] | None = None) -> EventRule:
    detail: dict[str, Any] = {"scaledToMax": [True]}
    if namespaces is not None:
        detail["serviceNamespace"] = namespaces
    pattern = {
        "source": ["aws.application-autoscaling"],
        "detail-type": ["Application Auto Scaling Scaling Activity State Change"],
        "detail": detail,
    }
    return EventRule(
        name,
        f"arn:aws:events:us-east-1:111122223333:rule/{name}",
        "ENABLED",
        "default",
        json.dumps(pattern),
    )


def _max_verdict(*rules: EventRule, targets: list[Any] | None = None) -> Any:
    reg = region(targets=targets or [target(), TABLE], event_rules=list(rules))
    (finding,) = run("eventbridge_aas_scaled_to_max_alerting", account(reg))
    return finding


def test_scaled_to_max_alerting_per_namespace() -> None:
    ecs_only = _max_verdict(_max_rule("ecs", ["ecs"]))
    assert ecs_only.status is Status.FAIL
    assert ecs_only.evidence["uncovered_namespaces"] == ["dynamodb"]
    assert _max_verdict(_max_rule("ecs", ["ecs"]), _max_rule("t", ["dynamodb"])).status is (
        Status.PASS
    )
    assert _max_verdict(_max_rule("t", ["dynamodb"]), targets=[TABLE]).status is Status.PASS
    assert _max_verdict(_max_rule("all")).status is Status.PASS
