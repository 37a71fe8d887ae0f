"""Scalable target checks: is scaling actually able to do its job?

These are resilience findings: a target whose scaling is suspended, pinned, unpoliced, one
instance deep, wired to deleted alarms or failing to scale is an outage waiting for traffic.
Every resource id shown goes through ``safe_resource_id`` because custom-resource ids are
URLs that may carry credentials.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from scalewarden.aws.inventory import (
    AccountInventory,
    RegionInventory,
    ScalableTarget,
    ScalingActivity,
    Source,
)
from scalewarden.checks.lib.aas import per_target_findings, safe_tags
from scalewarden.checks.lib.redact import safe_arn, safe_resource_id
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "resilience"

#: Dimensions whose capacity is instances or tasks spread over Availability Zones.
ZONAL_CAPACITY_DIMENSIONS = frozenset(
    {
        "ecs:service:DesiredCount",
        "sagemaker:variant:DesiredInstanceCount",
        "appstream:fleet:DesiredCapacity",
        "ec2:spot-fleet-request:TargetCapacity",
    }
)

ACTIVITY_WINDOW = timedelta(days=7)
FAILED_STATUSES = frozenset({"Failed", "Unfulfilled"})


def _target_evidence(target: ScalableTarget, **extra: Any) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "namespace": target.namespace,
        "scalable_dimension": target.scalable_dimension,
        "min_capacity": target.min_capacity,
        "max_capacity": target.max_capacity,
    }
    tags = safe_tags(target)
    if tags is not None:
        evidence["tags"] = tags
    evidence.update(extra)
    return evidence


def _suspended(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None

    def verdict(t: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        s = t.suspended
        flags = {
            "DynamicScalingInSuspended": s.dynamic_scaling_in,
            "DynamicScalingOutSuspended": s.dynamic_scaling_out,
            "ScheduledScalingSuspended": s.scheduled_scaling,
        }
        on = [k for k, v in flags.items() if v]
        if on:
            return (
                Status.FAIL,
                f"Scaling is suspended ({', '.join(on)}).",
                _target_evidence(t, suspended_state=flags),
            )
        return Status.PASS, "No scaling is suspended.", _target_evidence(t)

    return per_target_findings(check, account, region, region.targets, verdict)


def _fixed(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None

    def verdict(t: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        if t.min_capacity == t.max_capacity:
            return (
                Status.FAIL,
                f"MinCapacity equals MaxCapacity ({t.min_capacity}): the target cannot scale.",
                _target_evidence(t),
            )
        return (
            Status.PASS,
            f"Capacity can range from {t.min_capacity} to {t.max_capacity}.",
            _target_evidence(t),
        )

    return per_target_findings(check, account, region, region.targets, verdict)


def _without_policy(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    policies: dict[tuple[str, str, str], int] = defaultdict(int)
    actions: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in region.policies:
        policies[p.target_key] += 1
    for a in region.scheduled_actions:
        actions[a.target_key] += 1

    def verdict(t: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        n_pol, n_act = policies.get(t.key, 0), actions.get(t.key, 0)
        evidence = _target_evidence(t, scaling_policies=n_pol, scheduled_actions=n_act)
        if n_pol or n_act:
            return (
                Status.PASS,
                f"{n_pol} scaling policy(ies) and {n_act} scheduled action(s).",
                evidence,
            )
        return (
            Status.FAIL,
            "Registered but has neither a scaling policy nor a scheduled action: it never scales.",
            evidence,
        )

    return per_target_findings(check, account, region, region.targets, verdict)


def _single_minimum(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    zonal = [t for t in region.targets if t.scalable_dimension in ZONAL_CAPACITY_DIMENSIONS]

    def verdict(t: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        if t.min_capacity < 2:
            return (
                Status.FAIL,
                f"MinCapacity is {t.min_capacity}: scaling in can leave the workload in a "
                "single Availability Zone (or none).",
                _target_evidence(t),
            )
        return Status.PASS, f"MinCapacity is {t.min_capacity}.", _target_evidence(t)

    return per_target_findings(check, account, region, zonal, verdict)


def _alarms_missing(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    findings: list[Finding] = []
    for policy in region.policies:
        name = policy.name
        label = (
            f"{policy.namespace}:{safe_resource_id(policy.namespace, policy.resource_id)}"
            f":{policy.scalable_dimension}:policy/{name}"
        )
        missing = sorted(set(policy.alarm_names) - region.existing_alarm_names)
        evidence = {
            "policy_type": policy.policy_type,
            "alarms": list(policy.alarm_names),
            "missing_alarms": missing,
        }
        if missing:
            status = Status.FAIL
            message = (
                f"Scaling policy {name} is wired to {len(missing)} alarm(s) that no longer "
                f"exist: {', '.join(missing)}."
            )
        elif not policy.alarm_names and policy.policy_type == "StepScaling":
            status = Status.FAIL
            message = f"Step scaling policy {name} has no alarm: nothing ever triggers it."
        else:
            status = Status.PASS
            message = (
                f"All {len(policy.alarm_names)} alarm(s) of scaling policy {name} exist."
                if policy.alarm_names
                else f"Scaling policy {name} ({policy.policy_type}) needs no alarm."
            )
        findings.append(
            check.finding(
                account,
                region.region,
                status,
                label,
                message,
                resource_arn=safe_arn(policy.arn, policy.namespace, policy.resource_id),
                evidence=evidence,
            )
        )
    return findings


def _recent_failures(
    activities: Iterable[ScalingActivity], now: datetime
) -> dict[tuple[str, str, str], list[ScalingActivity]]:
    out: dict[tuple[str, str, str], list[ScalingActivity]] = defaultdict(list)
    since = now - ACTIVITY_WINDOW
    for a in activities:
        if a.status_code not in FAILED_STATUSES:
            continue
        if a.start_time is not None and a.start_time.astimezone(UTC) < since:
            continue
        out[(a.namespace, a.resource_id, a.scalable_dimension)].append(a)
    return out


def _activity_failures(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    failures = _recent_failures(region.activities, datetime.now(UTC))

    def verdict(t: ScalableTarget) -> tuple[Status, str, dict[str, Any]]:
        bad = failures.get(t.key, [])
        if not bad:
            message = "No failed scaling activity in the last 7 days."
            return Status.PASS, message, _target_evidence(t)
        latest = max(bad, key=lambda a: a.start_time or datetime.min.replace(tzinfo=UTC))
        detail = latest.status_message or latest.cause or latest.status_code
        return (
            Status.FAIL,
            f"{len(bad)} failed or unfulfilled scaling activity(ies) in the last 7 days; "
            f"latest: {detail}",
            _target_evidence(
                t,
                failed_activities=len(bad),
                latest_status=latest.status_code,
                latest_start=latest.start_time.isoformat() if latest.start_time else None,
            ),
        )

    return per_target_findings(check, account, region, region.targets, verdict)


CHECKS: tuple[Check, ...] = (
    Check(
        id="target_scaling_suspended",
        title="Scaling suspended on a target",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description="A scalable target has dynamic scale-in, scale-out or scheduled scaling "
        "suspended.",
        risk="Suspensions made for maintenance are easily forgotten; the target then no longer "
        "follows load.",
        remediation="Resume the suspended scaling once the maintenance is over.",
        remediation_snippet=(
            "aws application-autoscaling register-scalable-target --service-namespace ecs "
            "--scalable-dimension ecs:service:DesiredCount --resource-id service/c/s "
            '--suspended-state \'{"DynamicScalingInSuspended":false,'
            '"DynamicScalingOutSuspended":false,"ScheduledScalingSuspended":false}\''
        ),
        kb_section="resilience#suspended-scaling",
        func=_suspended,
        requires=(Source.SCALABLE_TARGETS,),
    ),
    Check(
        id="target_fixed_capacity",
        title="Target with fixed capacity",
        topic=TOPIC,
        severity=Severity.LOW,
        description="MinCapacity equals MaxCapacity, so no policy can change the capacity.",
        risk="The target looks auto scaled but cannot absorb a traffic peak.",
        remediation="Set a MaxCapacity above MinCapacity sized for peak load.",
        remediation_snippet=(
            "aws application-autoscaling register-scalable-target --service-namespace ecs "
            "--scalable-dimension ecs:service:DesiredCount --resource-id service/c/s "
            "--min-capacity 2 --max-capacity 10"
        ),
        kb_section="resilience#fixed-capacity",
        func=_fixed,
        requires=(Source.SCALABLE_TARGETS,),
    ),
    Check(
        id="target_without_scaling_policy",
        title="Target with no scaling policy or scheduled action",
        topic=TOPIC,
        severity=Severity.LOW,
        description="A registered target has neither a scaling policy nor a scheduled action.",
        risk="Nothing ever changes its capacity: registration alone gives a false sense of "
        "elasticity.",
        remediation="Add a target tracking policy (or a schedule), or deregister the target.",
        remediation_snippet=(
            "aws application-autoscaling put-scaling-policy --policy-name cpu50 "
            "--service-namespace ecs --scalable-dimension ecs:service:DesiredCount "
            "--resource-id service/c/s --policy-type TargetTrackingScaling "
            "--target-tracking-scaling-policy-configuration file://config.json"
        ),
        kb_section="resilience#fixed-capacity",
        func=_without_policy,
        requires=(Source.SCALABLE_TARGETS, Source.SCALING_POLICIES, Source.SCHEDULED_ACTIONS),
    ),
    Check(
        id="target_single_instance_minimum",
        title="Target can scale in to a single instance",
        topic=TOPIC,
        severity=Severity.LOW,
        description=(
            "MinCapacity is below 2 for a target whose capacity is instances or tasks spread "
            "over zones (ECS services, SageMaker variants, AppStream fleets, Spot Fleets)."
        ),
        risk="At minimum capacity a single zone or instance failure takes the workload down.",
        remediation="Set MinCapacity to at least 2 (one per Availability Zone in use).",
        remediation_snippet=(
            "aws application-autoscaling register-scalable-target --service-namespace ecs "
            "--scalable-dimension ecs:service:DesiredCount --resource-id service/c/s "
            "--min-capacity 2"
        ),
        kb_section="resilience#minimum-of-one",
        func=_single_minimum,
        requires=(Source.SCALABLE_TARGETS,),
    ),
    Check(
        id="scaling_policy_alarms_missing",
        title="Scaling policy wired to missing alarms",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A scaling policy's CloudWatch alarms no longer exist (or a step scaling policy "
            "has none), so the policy never triggers."
        ),
        risk="The target stops scaling while its policy still looks configured.",
        remediation=(
            "Recreate the alarms (target tracking: put the policy again to recreate them; "
            "step scaling: create the alarm with the policy ARN as its action)."
        ),
        remediation_snippet=(
            "aws cloudwatch put-metric-alarm --alarm-name web-cpu-high --alarm-actions "
            "<policy-arn> --metric-name CPUUtilization --namespace AWS/ECS --statistic Average "
            "--period 60 --evaluation-periods 3 --threshold 70 "
            "--comparison-operator GreaterThanThreshold"
        ),
        kb_section="resilience#missing-alarms",
        func=_alarms_missing,
        # Policies are only read for namespaces whose targets were read: without the
        # targets, a namespace's policies (and their alarms) were never looked at.
        requires=(Source.SCALABLE_TARGETS, Source.SCALING_POLICIES, Source.ALARMS),
    ),
    Check(
        id="scaling_activity_failures",
        title="Failed scaling activities",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description="A target had failed or unfulfilled scaling activities in the last 7 days.",
        risk=(
            "Scaling is being attempted and refused (quotas, permissions, capacity): the "
            "target does not get the capacity its policy asks for."
        ),
        remediation="Read the activity's status message and fix its cause.",
        remediation_snippet=(
            "aws application-autoscaling describe-scaling-activities --service-namespace ecs "
            "--resource-id service/c/s --include-not-scaled-activities"
        ),
        kb_section="monitoring-health-dashboard#failed-scaling",
        func=_activity_failures,
        requires=(Source.SCALABLE_TARGETS, Source.SCALING_ACTIVITIES),
    ),
)
