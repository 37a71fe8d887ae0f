"""Regression tests for secrets that used to leak, and ordinary names that used to be flagged.

Scaling policy and scheduled action ARNs embed the target's resource id, so a
custom-resource URL with credentials travels inside them; status messages can quote a URL;
query parameters have compound names; and CloudFormation names mix cases and digits like a key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from inventory_builders import account, region, run, target

from scalewarden.aws.inventory import ScalingActivity, ScalingPolicy, ScheduledAction
from scalewarden.checks.engine import evaluate
from scalewarden.checks.lib.redact import audit_url, is_secret_param, redact, safe_arn, secret_kinds
from scalewarden.checks.model import Finding, Status
from scalewarden.checks.registry import all_checks

PASSWORD = "p4ss!w0rd"
SIG = "q1w2e3"
URL = (
    f"https://admin:{PASSWORD}@abc123.execute-api.us-east-1.amazonaws.com/prod/"
    f"scalableTargetDimensions/1-23456789?sig={SIG}"
)
DIMENSION = "custom-resource:ResourceType:Property"


def _arn(kind: str, name: str) -> str:
    """The ARN shape AWS gives policies and scheduled actions: it embeds the resource id."""
    key = "policyName" if kind == "scalingPolicy" else "scheduledActionName"
    return (
        f"arn:aws:autoscaling:us-east-1:111122223333:{kind}:6d8972f3-efc8-437c-92d1-"
        f"6270f29a66e7:resource/custom-resource/{URL}:{key}/{name}"
    )


def _dump(findings: list[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], default=str)


def _leaky_region() -> object:
    policy = ScalingPolicy(
        "owner-alice@example.com",
        _arn("scalingPolicy", "owner-alice@example.com"),
        "custom-resource",
        URL,
        DIMENSION,
        "StepScaling",
        ("gone-alarm",),
    )
    action = ScheduledAction(
        "nightly",
        _arn("scheduledAction", "nightly"),
        "custom-resource",
        URL,
        DIMENSION,
        "cron(0 1 * * ? *)",
    )
    activity = ScalingActivity(
        "a-1",
        "custom-resource",
        URL,
        DIMENSION,
        "Failed",
        status_message=f"Failed to set capacity: could not reach {URL}",
        start_time=datetime.now(UTC),
    )
    return region(
        targets=[target("custom-resource", URL, DIMENSION, 1, 4)],
        policies=[policy],
        scheduled_actions=[action],
        activities=[activity],
    )


def test_no_check_repeats_a_url_secret_held_in_arns_or_messages() -> None:
    findings = evaluate([account(_leaky_region())], all_checks())  # type: ignore[arg-type]
    dumped = _dump(findings)
    assert "custom-resource" in dumped and "execute-api" in dumped
    for secret in (PASSWORD, "p4ss", SIG, "alice@example.com"):
        assert secret not in dumped
    by_check = {f.check_id: f for f in findings if f.status is Status.FAIL}
    names = by_check["sensitive_data_in_scaling_names"]
    assert names.resource_arn is not None and names.resource_arn.endswith(
        "policyName/[REDACTED:email]"
    )
    alarms = by_check["scaling_policy_alarms_missing"]
    assert alarms.resource_arn is not None and "REDACTED@abc123" in alarms.resource_arn


def test_safe_arn_keeps_what_is_not_secret() -> None:
    arn = _arn("scalingPolicy", "cpu75")
    safe = safe_arn(arn, "custom-resource", URL)
    assert PASSWORD not in safe and SIG not in safe
    assert safe.endswith(":policyName/cpu75")
    ecs = "arn:aws:autoscaling:us-east-1:1:scalingPolicy:x:resource/ecs/service/a/b:policyName/p"
    assert safe_arn(ecs, "ecs", "service/a/b") == ecs


def test_free_text_hides_whole_url_user_info_and_secret_parameters() -> None:
    text = "could not reach https://bob:hunt3r!x@host.example/x?page=2&apiToken=zz9 today"
    out = redact(text)
    assert "hunt3r" not in out and "bob" not in out and "zz9" not in out
    assert "page=2" in out and out.endswith(" today")


@pytest.mark.parametrize(
    "name",
    ["apiToken", "client-secret", "X-Api-Key", "sessionToken", "private_key", "AccessKey", "pass"],
)
def test_compound_secret_parameter_names(name: str) -> None:
    assert is_secret_param(name)
    audit = audit_url(f"https://h.example/p?{name}=abc&page=2")
    assert audit.unsafe and audit.secret_params == (name,)
    assert "abc" not in audit.redacted and "page=2" in audit.redacted


@pytest.mark.parametrize("name", ["monkey", "keyword", "page", "region", "stage", "passenger"])
def test_ordinary_parameter_names(name: str) -> None:
    assert not is_secret_param(name)


@pytest.mark.parametrize(
    "name",
    [
        "MyStack-ScalingPolicy-1ABCDEFGHIJ2K",
        "TargetTrackingScalingPolicyForProd2024Service",
        "ecs-ProdWebService-cpu75-TargetTracking",
        "prod-OrdersTable-ReadScaling-ABC123DEF456",
        "DynamoDBWriteCapacityUtilization2024Q3Orders",
    ],
)
def test_ordinary_generated_names_are_not_secrets(name: str) -> None:
    assert secret_kinds(name) == []
    policy = ScalingPolicy(
        name,
        f"arn:x:{name}",
        "ecs",
        "service/a/b",
        "ecs:service:DesiredCount",
        "TargetTrackingScaling",
    )
    findings = run(
        "sensitive_data_in_scaling_names", account(region(targets=[target()], policies=[policy]))
    )
    assert [f.status for f in findings] == [Status.PASS]


@pytest.mark.parametrize(
    "token",
    [
        "aB3xK9mQ2pL7vN4wR8tY1zC6hJ5gF0dS",
        "Zq8Lr2Wx5Nc9Vb3Mk7Jh1Gf4Dt6Sy0Pu",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
)
def test_random_keys_are_still_secrets(token: str) -> None:
    assert secret_kinds(f"policy-{token}")


def test_target_tracking_alarm_names_are_shown_as_they_are() -> None:
    alarm = "TargetTracking-table/Orders-AlarmHigh-2f3e4d5c-6b7a-8901-2345-6789abcdef01"
    assert secret_kinds(alarm) == []
    policy = ScalingPolicy(
        "orders-write",
        "arn:aws:autoscaling:x",
        "dynamodb",
        "table/Orders",
        "dynamodb:table:WriteCapacityUnits",
        "TargetTrackingScaling",
        (alarm,),
    )
    reg = region(targets=[target()], policies=[policy])
    (finding,) = run("scaling_policy_alarms_missing", account(reg))
    assert finding.status is Status.FAIL and alarm in finding.message
    # A key next to a UUID is still a key.
    assert secret_kinds("x-aB3xK9mQ2pL7vN4wR8tY1zC6hJ5gF0dS-2f3e4d5c-6b7a-8901-2345-6789abcdef01")


def test_tag_named_for_a_secret_is_found_and_never_shown() -> None:
    tags = {
        "db-password": "hunter2x!",
        "ApiToken": "k9-live-2024",
        "SecretArn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
        "KeyName": "prod-keypair",
        "token-rotation": "enabled",
    }
    reg = region(targets=[target(tags=tags)])
    findings = evaluate([account(reg)], all_checks())
    dumped = _dump(findings)
    for secret in ("hunter2x!", "k9-live-2024"):
        assert secret not in dumped
    assert "prod-keypair" in dumped and "secret:db-AbCdEf" in dumped
    flagged = sorted(
        f.evidence["tag_key"]
        for f in findings
        if f.check_id == "sensitive_data_in_scaling_names" and f.status is Status.FAIL
    )
    assert flagged == ["ApiToken", "db-password"]


def test_alarm_names_are_redacted_in_the_message_and_the_evidence() -> None:
    """Alarm names are free text from the account: a key or an address in one is never shown."""
    key = "AKIAIOSFODNN7EXAMPLE"
    kept = "cpu-high-owner-bob@example.com"
    gone = f"cpu-low-{key}"
    policy = ScalingPolicy(
        "web-steps",
        "arn:aws:autoscaling:x",
        "ecs",
        "service/prod/web",
        "ecs:service:DesiredCount",
        "StepScaling",
        (kept, gone),
    )
    reg = region(targets=[target()], policies=[policy], existing_alarm_names={kept})
    (finding,) = run("scaling_policy_alarms_missing", account(reg))
    assert finding.status is Status.FAIL
    assert finding.message == (
        "Scaling policy web-steps is wired to 1 alarm(s) that no longer exist: "
        "cpu-low-[REDACTED:aws-access-key-id]."
    )
    assert finding.evidence["missing_alarms"] == ["cpu-low-[REDACTED:aws-access-key-id]"]
    assert finding.evidence["alarms"] == [
        "[REDACTED:email]",
        "cpu-low-[REDACTED:aws-access-key-id]",
    ]
    assert key not in _dump([finding]) and "bob@example.com" not in _dump([finding])
