"""Secrets in names, tags and custom-resource URLs: found, and never repeated."""

from __future__ import annotations

import json

from inventory_builders import account, region, run, target

from scalewarden.aws.inventory import ScalingPolicy, ScheduledAction
from scalewarden.checks.model import Status

EMAIL = "jane.doe@example.com"
KEY = "AKIAIOSFODNN7EXAMPLE"
URL = "https://svc:Pa55w0rdX@abc.execute-api.us-east-1.amazonaws.com/prod/scalableTargetDimensions/1-2?token=tok-999"


def _dump(findings: list) -> str:
    return json.dumps([f.to_dict() for f in findings])


def test_sensitive_names_fail_and_are_redacted() -> None:
    reg = region(
        targets=[target(tags={"owner": EMAIL, "team": "payments"})],
        policies=[
            ScalingPolicy(
                f"scale-{KEY}",
                f"arn:aws:autoscaling:us-east-1:1:scalingPolicy:u:resource/ecs/service/prod/web:policyName/scale-{KEY}",
                "ecs",
                "service/prod/web",
                "ecs:service:DesiredCount",
                "TargetTrackingScaling",
            ),
            ScalingPolicy(
                "cpu50",
                "arn:p2",
                "ecs",
                "service/prod/web",
                "ecs:service:DesiredCount",
                "TargetTrackingScaling",
            ),
        ],
        scheduled_actions=[
            ScheduledAction(
                f"night-for-{EMAIL}",
                "arn:s1",
                "ecs",
                "service/prod/web",
                "ecs:service:DesiredCount",
                "cron(0 20 * * ? *)",
            ),
        ],
    )
    findings = run("sensitive_data_in_scaling_names", account(reg))
    fails = [f for f in findings if f.status is Status.FAIL]
    assert len(fails) == 3
    assert {f.evidence["where"] for f in fails} == {
        "scaling policy name",
        "scheduled action name",
        "tag of target",
    }
    dumped = _dump(findings)
    assert EMAIL not in dumped and KEY not in dumped
    assert "[REDACTED:email]" in dumped and "[REDACTED:aws-access-key-id]" in dumped
    assert not any(f.status is Status.PASS for f in findings)


def test_clean_names_pass() -> None:
    reg = region(
        targets=[target(tags={"team": "payments"})],
        policies=[
            ScalingPolicy(
                "cpu50",
                "arn:p",
                "ecs",
                "service/prod/web",
                "ecs:service:DesiredCount",
                "TargetTrackingScaling",
            )
        ],
    )
    findings = run("sensitive_data_in_scaling_names", account(reg))
    assert [f.status for f in findings] == [Status.PASS]
    assert findings[0].evidence["checked"] == 2


def test_tags_not_collected_gives_error_never_pass() -> None:
    reg = region(
        targets=[target(tags=None)], errors={"tags": "ListTagsForResource not implemented"}
    )
    findings = run("sensitive_data_in_scaling_names", account(reg))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "not implemented" in findings[0].message


def test_one_target_without_tags_is_an_error_not_a_pass() -> None:
    reg = region(targets=[target(tags=None), target(resource_id="service/prod/api")])
    findings = run("sensitive_data_in_scaling_names", account(reg))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "1 target(s)" in findings[0].message
    reg.policies = [
        ScalingPolicy(
            f"p-{EMAIL}",
            "arn:p",
            "ecs",
            "service/prod/web",
            "ecs:service:DesiredCount",
            "StepScaling",
        )
    ]
    findings = run("sensitive_data_in_scaling_names", account(reg))
    assert sorted(f.status.value for f in findings) == ["ERROR", "FAIL"]


def test_custom_resource_url_credentials() -> None:
    reg = region(
        targets=[
            target(
                "custom-resource",
                URL,
                "custom-resource:ResourceType:Property",
                1,
                5,
                arn="arn:aws:application-autoscaling:us-east-1:1:scalable-target/abc",
            ),
            target(
                "custom-resource",
                "https://abc.execute-api.us-east-1.amazonaws.com/prod/scalableTargetDimensions/9",
                "custom-resource:ResourceType:Property",
                1,
                5,
            ),
            target(),
        ]
    )
    findings = run("custom_resource_url_credentials", account(reg))
    assert sorted(f.status.value for f in findings) == ["FAIL", "PASS"]
    bad = next(f for f in findings if f.status is Status.FAIL)
    assert bad.evidence["user_info"] is True and bad.evidence["secret_parameters"] == ["token"]
    dumped = _dump(findings)
    for secret in ("Pa55w0rdX", "tok-999", "svc:"):
        assert secret not in dumped


def test_other_checks_never_leak_the_url_either() -> None:
    reg = region(
        targets=[target("custom-resource", URL, "custom-resource:ResourceType:Property", 1, 1)]
    )
    from scalewarden.checks.engine import evaluate
    from scalewarden.checks.registry import all_checks

    dumped = _dump(evaluate([account(reg)], all_checks()))
    assert "custom-resource" in dumped
    for secret in ("Pa55w0rdX", "tok-999"):
        assert secret not in dumped
