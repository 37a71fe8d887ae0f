"""The translators: API answers in, inventory records out, no AWS needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from scalewarden.aws.inventory import ConfigRecorder, IngressRule, SuspendedState
from scalewarden.aws.translate import (
    alarm_names,
    aware,
    records_write_management_events,
    to_activity,
    to_config_recorders,
    to_endpoint,
    to_event_rule,
    to_policy,
    to_scheduled_action,
    to_security_group,
    to_table,
    to_target,
    to_trail,
)

TARGET: dict[str, Any] = {
    "ServiceNamespace": "ecs",
    "ResourceId": "service/prod/web",
    "ScalableDimension": "ecs:service:DesiredCount",
    "MinCapacity": 2,
    "MaxCapacity": 10,
    "RoleARN": "arn:aws:iam::123456789012:role/aas",
    "ScalableTargetARN": "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/x",
    "CreationTime": datetime(2024, 5, 1, 12, 0),  # naive, as botocore gives some services
    "SuspendedState": {"DynamicScalingInSuspended": True},
}


def test_naive_times_become_utc_and_non_times_none() -> None:
    assert aware(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    plus_two = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert aware(plus_two) is plus_two
    assert aware("2024-01-01") is None
    assert aware(None) is None


def test_target_with_and_without_tags() -> None:
    tagged = to_target(TARGET, {"team": "web"})
    assert tagged.key == ("ecs", "service/prod/web", "ecs:service:DesiredCount")
    assert (tagged.min_capacity, tagged.max_capacity) == (2, 10)
    assert tagged.suspended == SuspendedState(dynamic_scaling_in=True)
    assert tagged.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert tagged.tags == {"team": "web"}
    # Unknown tags stay unknown: None, never "no tags".
    assert to_target(TARGET, None).tags is None
    assert to_target(TARGET, {}).tags == {}


def test_target_with_only_the_required_fields() -> None:
    bare = {k: TARGET[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
    target = to_target(bare, None)
    assert (target.min_capacity, target.max_capacity, target.role_arn, target.arn) == (
        0,
        0,
        None,
        None,
    )
    assert not target.suspended.any and target.created_at is None


def test_a_missing_required_key_is_an_error_not_a_default() -> None:
    with pytest.raises(KeyError):
        to_target({"ServiceNamespace": "ecs"}, None)


def test_policy_keeps_alarm_names_only() -> None:
    policy = to_policy(
        {
            "PolicyName": "scale-out",
            "PolicyARN": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:p",
            "ServiceNamespace": "dynamodb",
            "ResourceId": "table/orders",
            "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
            "PolicyType": "StepScaling",
            "Alarms": [{"AlarmName": "high", "AlarmARN": "arn:a"}, {"AlarmARN": "arn:nameless"}],
        }
    )
    assert policy.alarm_names == ("high",)
    assert policy.target_key == ("dynamodb", "table/orders", "dynamodb:table:ReadCapacityUnits")
    assert policy.policy_type == "StepScaling"


def test_scheduled_action_and_activity() -> None:
    action = to_scheduled_action(
        {
            "ScheduledActionName": "nightly",
            "ScheduledActionARN": "arn:sa",
            "ServiceNamespace": "lambda",
            "ResourceId": "function:f:live",
            "Schedule": "cron(0 2 * * ? *)",
            "StartTime": datetime(2024, 1, 1),
        }
    )
    assert action.schedule == "cron(0 2 * * ? *)" and action.scalable_dimension == ""
    assert action.start_time == datetime(2024, 1, 1, tzinfo=UTC) and action.end_time is None

    activity = to_activity(
        {
            "ActivityId": "a1",
            "ServiceNamespace": "ecs",
            "ResourceId": "service/prod/web",
            "ScalableDimension": "ecs:service:DesiredCount",
            "StatusCode": "Failed",
            "StatusMessage": "no capacity",
            "Cause": "alarm",
            "StartTime": datetime(2024, 1, 2, tzinfo=UTC),
        }
    )
    assert (activity.status_code, activity.status_message, activity.cause) == (
        "Failed",
        "no capacity",
        "alarm",
    )


def test_table_billing_mode_defaults_to_provisioned() -> None:
    on_demand = to_table(
        {
            "TableName": "sessions",
            "TableArn": "arn:t",
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
            "GlobalSecondaryIndexes": [{"IndexName": "by-user"}],
        }
    )
    assert on_demand.billing_mode == "PAY_PER_REQUEST" and on_demand.gsi_names == ("by-user",)
    # Tables created provisioned before billing modes existed have no summary at all.
    assert to_table({"TableName": "old"}).billing_mode == "PROVISIONED"


def test_security_group_rules_are_flattened() -> None:
    group = to_security_group(
        {
            "GroupId": "sg-1",
            "VpcId": "vpc-1",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"Description": "no cidr"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                },
                {"IpProtocol": "-1"},
            ],
        }
    )
    assert group.ingress == (
        IngressRule("tcp", 443, 443, ("0.0.0.0/0",), ("::/0",)),
        IngressRule("-1", None, None),
    )


def test_endpoint() -> None:
    endpoint = to_endpoint(
        {
            "VpcEndpointId": "vpce-1",
            "VpcId": "vpc-1",
            "ServiceName": "com.amazonaws.us-east-1.application-autoscaling",
            "VpcEndpointType": "Interface",
            "State": "available",
            "PrivateDnsEnabled": True,
            "Groups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
        }
    )
    assert endpoint.private_dns_enabled and endpoint.policy_document is None
    assert endpoint.security_group_ids == ("sg-1", "sg-2")


@pytest.mark.parametrize(
    ("selectors", "records"),
    [
        ({}, False),
        ({"EventSelectors": [{}]}, True),  # AWS's defaults: management events, read and write
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, False),
        ({"EventSelectors": [{"IncludeManagementEvents": False}]}, False),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ]
            },
            True,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ]
                    }
                ]
            },
            False,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            False,
        ),
    ],
)
def test_write_management_events(selectors: dict[str, Any], records: bool) -> None:
    assert records_write_management_events(selectors) is records


def test_trail_joins_listing_status_and_selectors() -> None:
    raw = {
        "Name": "org",
        "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org",
        "HomeRegion": "us-east-1",
        "IsMultiRegionTrail": True,
        "LogFileValidationEnabled": False,
    }
    trail = to_trail(raw, {"IsLogging": True}, {"EventSelectors": [{}]}, "eu-west-1")
    assert trail.home_region == "us-east-1" and trail.is_multi_region and trail.is_logging
    assert trail.records_write_management_events and not trail.log_file_validation
    # Without a HomeRegion, the region that listed the trail is its home.
    homeless = {k: v for k, v in raw.items() if k != "HomeRegion"}
    stopped = to_trail(homeless, {"IsLogging": False}, {}, "eu-west-1")
    assert stopped.home_region == "eu-west-1"
    assert not stopped.is_logging and not stopped.records_write_management_events


def test_event_rule_bus_and_pattern() -> None:
    rule = to_event_rule({"Name": "r", "State": "ENABLED", "EventPattern": "{}"}, "default")
    assert (rule.event_bus, rule.event_pattern) == ("default", "{}")
    scheduled = to_event_rule({"Name": "s", "EventBusName": "custom"}, "default")
    assert (scheduled.event_bus, scheduled.event_pattern) == ("custom", None)


def test_config_recorders_and_alarm_names() -> None:
    status = {
        "ConfigurationRecordersStatus": [
            {"name": "default", "recording": True},
            {"name": "old"},
        ]
    }
    assert to_config_recorders(status) == [
        ConfigRecorder("default", True),
        ConfigRecorder("old", False),
    ]
    assert to_config_recorders({}) == []
    page = {"MetricAlarms": [{"AlarmName": "a"}], "CompositeAlarms": [{"AlarmName": "c"}]}
    assert alarm_names(page) == {"a", "c"}
    assert alarm_names({}) == set()
