"""Scalable target checks: suspended, fixed, unpoliced, single-instance, alarms, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory_builders import account, by_resource, region, run, target

from scalewarden.aws.inventory import (
    ScalingActivity,
    ScalingPolicy,
    ScheduledAction,
    SuspendedState,
)
from scalewarden.checks.model import Status

WEB = "ecs:service/prod/web:ecs:service:DesiredCount"


def policy(name: str = "cpu50", resource: str = "service/prod/web", **kw: object) -> ScalingPolicy:
    values: dict[str, object] = {
        "arn": (
            "arn:aws:autoscaling:us-east-1:111122223333:scalingPolicy:uuid:"
            f"resource/ecs/{resource}:policyName/{name}"
        ),
        "namespace": "ecs",
        "resource_id": resource,
        "scalable_dimension": "ecs:service:DesiredCount",
        "policy_type": "TargetTrackingScaling",
        "alarm_names": ("TargetTracking-high", "TargetTracking-low"),
    }
    values.update(kw)
    return ScalingPolicy(name, **values)  # type: ignore[arg-type]


def test_suspended() -> None:
    reg = region(
        targets=[
            target(),
            target(
                resource_id="service/prod/api", suspended=SuspendedState(dynamic_scaling_in=True)
            ),
        ]
    )
    findings = by_resource(run("target_scaling_suspended", account(reg)))
    assert findings[WEB].status is Status.PASS
    api = findings["ecs:service/prod/api:ecs:service:DesiredCount"]
    assert api.status is Status.FAIL and "DynamicScalingInSuspended" in api.message
    assert api.evidence["suspended_state"]["DynamicScalingInSuspended"] is True


def test_fixed_capacity() -> None:
    reg = region(
        targets=[target(min_capacity=3, max_capacity=3), target(resource_id="service/prod/api")]
    )
    findings = by_resource(run("target_fixed_capacity", account(reg)))
    assert findings[WEB].status is Status.FAIL
    assert findings["ecs:service/prod/api:ecs:service:DesiredCount"].status is Status.PASS


def test_without_policy_counts_policies_and_scheduled_actions_per_dimension() -> None:
    reg = region(
        targets=[
            target(),
            target(resource_id="service/prod/api"),
            target("dynamodb", "table/t", "dynamodb:table:ReadCapacityUnits"),
        ],
        policies=[policy()],
        scheduled_actions=[
            ScheduledAction(
                "night",
                "arn:x",
                "ecs",
                "service/prod/api",
                "ecs:service:DesiredCount",
                "cron(0 20 * * ? *)",
            ),
            # Same resource, other dimension: does not count for the read dimension.
            ScheduledAction(
                "w",
                "arn:y",
                "dynamodb",
                "table/t",
                "dynamodb:table:WriteCapacityUnits",
                "rate(1 hour)",
            ),
        ],
    )
    findings = by_resource(run("target_without_scaling_policy", account(reg)))
    assert findings[WEB].status is Status.PASS
    assert findings["ecs:service/prod/api:ecs:service:DesiredCount"].status is Status.PASS
    assert findings["dynamodb:table/t:dynamodb:table:ReadCapacityUnits"].status is Status.FAIL


def test_without_policy_needs_both_sources() -> None:
    reg = region(targets=[target()], errors={"scheduled_actions": "Throttling"})
    assert [f.status for f in run("target_without_scaling_policy", account(reg))] == [Status.ERROR]


def test_single_instance_minimum_only_for_zonal_capacity() -> None:
    reg = region(
        targets=[
            target(min_capacity=1),
            target(
                "sagemaker", "endpoint/e/variant/v", "sagemaker:variant:DesiredInstanceCount", 2, 4
            ),
            target("appstream", "fleet/f", "appstream:fleet:DesiredCapacity", 0, 4),
            target(
                "ec2", "spot-fleet-request/sfr-1", "ec2:spot-fleet-request:TargetCapacity", 1, 4
            ),
            target("dynamodb", "table/t", "dynamodb:table:ReadCapacityUnits", 1, 100),
            target("lambda", "function:f:live", "lambda:function:ProvisionedConcurrency", 1, 10),
        ]
    )
    findings = by_resource(run("target_single_instance_minimum", account(reg)))
    assert findings[WEB].status is Status.FAIL
    assert (
        findings["sagemaker:endpoint/e/variant/v:sagemaker:variant:DesiredInstanceCount"].status
        is Status.PASS
    )
    assert findings["appstream:fleet/f:appstream:fleet:DesiredCapacity"].status is Status.FAIL
    assert (
        findings["ec2:spot-fleet-request/sfr-1:ec2:spot-fleet-request:TargetCapacity"].status
        is Status.FAIL
    )
    assert len(findings) == 4  # DynamoDB and Lambda capacity is not instances


def test_alarms_missing() -> None:
    reg = region(
        policies=[
            policy("ok"),
            policy(
                "gone",
                resource="service/prod/api",
                alarm_names=("TargetTracking-high", "deleted-alarm"),
            ),
            policy("step", resource="service/prod/x", policy_type="StepScaling", alarm_names=()),
            policy(
                "predict",
                resource="service/prod/y",
                policy_type="PredictiveScaling",
                alarm_names=(),
            ),
        ],
        existing_alarm_names={"TargetTracking-high", "TargetTracking-low"},
    )
    findings = {
        f.resource_id.rsplit("/", 1)[-1]: f
        for f in run("scaling_policy_alarms_missing", account(reg))
    }
    assert findings["ok"].status is Status.PASS
    assert findings["gone"].status is Status.FAIL
    assert findings["gone"].evidence["missing_alarms"] == ["deleted-alarm"]
    assert findings["step"].status is Status.FAIL and "no alarm" in findings["step"].message
    assert findings["predict"].status is Status.PASS


def test_alarms_source_missing_is_error() -> None:
    reg = region(policies=[policy()], errors={"cloudwatch_alarms": "AccessDenied"})
    assert [f.status for f in run("scaling_policy_alarms_missing", account(reg))] == [Status.ERROR]


def test_activity_failures_last_seven_days() -> None:
    now = datetime.now(UTC)

    def activity(
        i: int, status: str, age: timedelta, resource: str = "service/prod/web"
    ) -> ScalingActivity:
        return ScalingActivity(
            f"a{i}",
            "ecs",
            resource,
            "ecs:service:DesiredCount",
            status,
            status_message=f"msg {i}",
            start_time=now - age,
        )

    reg = region(
        targets=[
            target(),
            target(resource_id="service/prod/api"),
            target(resource_id="service/prod/old"),
        ],
        activities=[
            activity(1, "Failed", timedelta(days=1)),
            activity(2, "Unfulfilled", timedelta(hours=2)),
            activity(3, "Successful", timedelta(hours=1), "service/prod/api"),
            activity(4, "Failed", timedelta(days=8), "service/prod/old"),
        ],
    )
    findings = by_resource(run("scaling_activity_failures", account(reg)))
    web = findings[WEB]
    assert web.status is Status.FAIL and web.evidence["failed_activities"] == 2
    assert "msg 2" in web.message  # the latest one
    assert findings["ecs:service/prod/api:ecs:service:DesiredCount"].status is Status.PASS
    assert findings["ecs:service/prod/old:ecs:service:DesiredCount"].status is Status.PASS


def test_activities_not_collected_is_error() -> None:
    reg = region(
        targets=[target()], errors={"scaling_activities": "UnknownOperation: not implemented"}
    )
    findings = run("scaling_activity_failures", account(reg))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "not implemented" in findings[0].message


def test_target_tags_reach_evidence_for_mutelist_matching() -> None:
    reg = region(targets=[target(min_capacity=1, max_capacity=1, tags={"env": "dev"})])
    finding = run("target_fixed_capacity", account(reg))[0]
    assert finding.evidence["tags"] == {"env": "dev"}
