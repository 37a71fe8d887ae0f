"""A sample scan report with every status, severity and a planted secret."""

from __future__ import annotations

from datetime import UTC, datetime

from scalewarden.aws.inventory import (
    AccountInventory,
    IamAuthorization,
    RegionInventory,
    ScalableTarget,
    ScalingPolicy,
)
from scalewarden.checks.engine import evaluate
from scalewarden.checks.model import ScanReport
from scalewarden.checks.mutelist import Mutelist
from scalewarden.checks.registry import all_checks

#: Secrets planted in the inventory; no output format may contain any of them.
SECRETS = ("Pa55w0rdX", "tok-999", "jane.doe@example.com", "AKIAIOSFODNN7EXAMPLE")

URL = (
    "https://svc:Pa55w0rdX@abc.execute-api.us-east-1.amazonaws.com/prod/"
    "scalableTargetDimensions/1-2?token=tok-999"
)


def build_report() -> ScanReport:
    targets = [
        ScalableTarget(
            "ecs", "service/prod/web", "ecs:service:DesiredCount", 1, 1, tags={"env": "prod"}
        ),
        ScalableTarget(
            "custom-resource",
            URL,
            "custom-resource:ResourceType:Property",
            1,
            5,
            arn="arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target/0abc",
            tags={"owner": "jane.doe@example.com"},
        ),
    ]
    policies = [
        ScalingPolicy(
            "scale-AKIAIOSFODNN7EXAMPLE",
            "arn:aws:autoscaling:us-east-1:111122223333:scalingPolicy:u:resource/ecs/"
            "service/prod/web:policyName/scale-AKIAIOSFODNN7EXAMPLE",
            "ecs",
            "service/prod/web",
            "ecs:service:DesiredCount",
            "StepScaling",
            ("missing-alarm",),
        )
    ]
    region = RegionInventory(
        "111122223333",
        "us-east-1",
        targets=targets,
        policies=policies,
        vpc_ids=["vpc-1"],
        securityhub_enabled=False,
        errors={"scaling_activities": "DescribeScalingActivities is not implemented"},
    )
    account = AccountInventory(
        "111122223333", "prod | main", iam=IamAuthorization(), regions={"us-east-1": region}
    )
    findings = evaluate([account], all_checks())
    findings = Mutelist.parse(
        "mutes:\n  - checks: [config_recorder_enabled]\n    reason: Config is managed centrally\n"
    ).apply(findings, datetime(2026, 1, 1, tzinfo=UTC))
    return ScanReport(
        scan_id="scan-0001",
        started_at=datetime(2026, 1, 1, 10, 0, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, 10, 0, 5, 250000, tzinfo=UTC),
        accounts=[{"id": "111122223333", "name": "prod | main"}],
        regions=["us-east-1"],
        findings=findings,
        coverage=[
            {
                "account_id": "111122223333",
                "region": "us-east-1",
                "source": "scaling_activities",
                "reason": "DescribeScalingActivities is not implemented",
            }
        ],
    )
