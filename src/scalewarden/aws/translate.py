"""From AWS API answers to inventory records: pure functions, one per record type.

The collector (``collector.py``) decides what to call and when; these functions only read one
answer (a page item, or a response) and build the immutable record the checks read. They do
no I/O and keep no state, so each is unit-tested with hand-written API shapes, and a change
of an API shape touches one function here and nothing in the scheduler.

Everything read from a scanned account is hostile: fields are read with defaults, and a
missing *required* key (``KeyError``) is a bug the collector turns into a coverage gap for
that region, never a PASS.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scalewarden.aws.inventory import (
    ConfigRecorder,
    DynamoDBTable,
    EventRule,
    IngressRule,
    ScalableTarget,
    ScalingActivity,
    ScalingPolicy,
    ScheduledAction,
    SecurityGroup,
    SuspendedState,
    Trail,
    VpcEndpoint,
)


def aware(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (botocore gives naive ones for some services)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def to_target(raw: Mapping[str, Any], tags: Mapping[str, str] | None) -> ScalableTarget:
    """A ``DescribeScalableTargets`` item with its tags (``None``: the tags are unknown)."""
    state = raw.get("SuspendedState") or {}
    return ScalableTarget(
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        min_capacity=int(raw.get("MinCapacity", 0)),
        max_capacity=int(raw.get("MaxCapacity", 0)),
        role_arn=raw.get("RoleARN"),
        suspended=SuspendedState(
            dynamic_scaling_in=bool(state.get("DynamicScalingInSuspended")),
            dynamic_scaling_out=bool(state.get("DynamicScalingOutSuspended")),
            scheduled_scaling=bool(state.get("ScheduledScalingSuspended")),
        ),
        arn=raw.get("ScalableTargetARN"),
        created_at=aware(raw.get("CreationTime")),
        tags=None if tags is None else dict(tags),
    )


def to_policy(raw: Mapping[str, Any]) -> ScalingPolicy:
    """A ``DescribeScalingPolicies`` item; only the alarm *names* are kept."""
    return ScalingPolicy(
        name=raw["PolicyName"],
        arn=raw["PolicyARN"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        policy_type=raw.get("PolicyType", ""),
        alarm_names=tuple(a["AlarmName"] for a in raw.get("Alarms") or [] if "AlarmName" in a),
    )


def to_scheduled_action(raw: Mapping[str, Any]) -> ScheduledAction:
    """A ``DescribeScheduledActions`` item."""
    return ScheduledAction(
        name=raw["ScheduledActionName"],
        arn=raw["ScheduledActionARN"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw.get("ScalableDimension", ""),
        schedule=raw.get("Schedule", ""),
        start_time=aware(raw.get("StartTime")),
        end_time=aware(raw.get("EndTime")),
    )


def to_activity(raw: Mapping[str, Any]) -> ScalingActivity:
    """A ``DescribeScalingActivities`` item."""
    return ScalingActivity(
        activity_id=raw["ActivityId"],
        namespace=raw["ServiceNamespace"],
        resource_id=raw["ResourceId"],
        scalable_dimension=raw["ScalableDimension"],
        status_code=raw.get("StatusCode", ""),
        status_message=raw.get("StatusMessage"),
        cause=raw.get("Cause"),
        start_time=aware(raw.get("StartTime")),
    )


def to_table(raw: Mapping[str, Any]) -> DynamoDBTable:
    """``DescribeTable``'s ``Table``; a table without a billing summary is provisioned."""
    billing = (raw.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    return DynamoDBTable(
        name=raw["TableName"],
        arn=raw.get("TableArn", ""),
        billing_mode=billing,
        gsi_names=tuple(g["IndexName"] for g in raw.get("GlobalSecondaryIndexes") or []),
    )


def to_security_group(raw: Mapping[str, Any]) -> SecurityGroup:
    """A ``DescribeSecurityGroups`` item, its inbound permissions flattened."""
    rules = tuple(
        IngressRule(
            protocol=str(p.get("IpProtocol", "-1")),
            from_port=p.get("FromPort"),
            to_port=p.get("ToPort"),
            ipv4_ranges=tuple(r["CidrIp"] for r in p.get("IpRanges") or [] if "CidrIp" in r),
            ipv6_ranges=tuple(r["CidrIpv6"] for r in p.get("Ipv6Ranges") or [] if "CidrIpv6" in r),
        )
        for p in raw.get("IpPermissions") or []
    )
    return SecurityGroup(group_id=raw["GroupId"], vpc_id=raw.get("VpcId"), ingress=rules)


def to_endpoint(raw: Mapping[str, Any]) -> VpcEndpoint:
    """A ``DescribeVpcEndpoints`` item."""
    return VpcEndpoint(
        endpoint_id=raw["VpcEndpointId"],
        vpc_id=raw.get("VpcId", ""),
        service_name=raw.get("ServiceName", ""),
        endpoint_type=raw.get("VpcEndpointType", ""),
        state=raw.get("State", ""),
        policy_document=raw.get("PolicyDocument"),
        private_dns_enabled=bool(raw.get("PrivateDnsEnabled")),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups") or []),
    )


def records_write_management_events(selectors: Mapping[str, Any]) -> bool:
    """Whether a trail's basic or advanced selectors record write management events."""
    for sel in selectors.get("EventSelectors") or []:
        if sel.get("IncludeManagementEvents", True) and sel.get("ReadWriteType", "All") in (
            "All",
            "WriteOnly",
        ):
            return True
    for adv in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in adv.get("FieldSelectors") or []}
        category = fields.get("eventCategory") or {}
        if "Management" not in (category.get("Equals") or []):
            continue
        read_only = fields.get("readOnly") or {}
        if "true" in [str(v).lower() for v in read_only.get("Equals") or []]:
            continue
        return True
    return False


def to_trail(
    raw: Mapping[str, Any],
    status: Mapping[str, Any],
    selectors: Mapping[str, Any],
    seen_from: str,
) -> Trail:
    """A ``DescribeTrails`` item with its ``GetTrailStatus`` and ``GetEventSelectors`` answers.

    ``seen_from`` is the region that listed the trail: its home when AWS does not say.
    """
    return Trail(
        name=raw.get("Name", ""),
        arn=raw.get("TrailARN", ""),
        home_region=raw.get("HomeRegion", seen_from),
        is_multi_region=bool(raw.get("IsMultiRegionTrail")),
        is_logging=bool(status.get("IsLogging")),
        log_file_validation=bool(raw.get("LogFileValidationEnabled")),
        records_write_management_events=records_write_management_events(selectors),
    )


def to_event_rule(raw: Mapping[str, Any], bus: str) -> EventRule:
    """A ``ListRules`` item of event bus ``bus`` (the item's own bus name wins)."""
    return EventRule(
        name=raw["Name"],
        arn=raw.get("Arn", ""),
        state=raw.get("State", ""),
        event_bus=raw.get("EventBusName", bus),
        event_pattern=raw.get("EventPattern"),
    )


def to_config_recorders(resp: Mapping[str, Any]) -> list[ConfigRecorder]:
    """``DescribeConfigurationRecorderStatus``: every recorder and whether it records."""
    return [
        ConfigRecorder(name=r.get("name", ""), recording=bool(r.get("recording")))
        for r in resp.get("ConfigurationRecordersStatus") or []
    ]


def alarm_names(page: Mapping[str, Any]) -> set[str]:
    """The names of the metric and composite alarms of a ``DescribeAlarms`` page."""
    return {
        a["AlarmName"] for kind in ("MetricAlarms", "CompositeAlarms") for a in page.get(kind) or []
    }
