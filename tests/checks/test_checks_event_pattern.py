"""The EventBridge pattern matcher, operator by operator."""

from __future__ import annotations

from typing import Any

import pytest

from scalewarden.checks.lib.event_pattern import (
    PatternError,
    cloudtrail_api_event,
    matches,
    parse_pattern,
)

EVENT = cloudtrail_api_event("DeleteScalingPolicy", "111122223333", "us-east-1")
EC2_AS_EVENT = cloudtrail_api_event(
    "DeleteScalingPolicy", "111122223333", "us-east-1", service="autoscaling"
)
DOC_PATTERN = {
    "source": ["aws.autoscaling"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["autoscaling.amazonaws.com"],
        "eventName": ["DeleteScalingPolicy", "DeregisterScalableTarget"],
        "additionalEventData": {"service": ["application-autoscaling"]},
    },
}


def test_documented_pattern_matches_and_tells_services_apart() -> None:
    assert matches(DOC_PATTERN, EVENT)
    assert not matches(DOC_PATTERN, EC2_AS_EVENT)
    other = cloudtrail_api_event("PutScalingPolicy", "111122223333", "us-east-1")
    assert not matches(DOC_PATTERN, other)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": [{"prefix": "aws."}]}, True),
        ({"source": [{"prefix": "aws.application"}]}, False),
        ({"source": [{"prefix": {"equals-ignore-case": "AWS.AUTO"}}]}, True),
        ({"detail": {"eventName": [{"suffix": "Policy"}]}}, True),
        ({"detail": {"eventName": [{"equals-ignore-case": "deletescalingpolicy"}]}}, True),
        ({"detail": {"eventName": [{"anything-but": "PutScalingPolicy"}]}}, True),
        ({"detail": {"eventName": [{"anything-but": ["DeleteScalingPolicy"]}]}}, False),
        ({"detail": {"eventName": [{"anything-but": {"prefix": "Describe"}}]}}, True),
        ({"detail": {"eventName": [{"anything-but": {"prefix": "Delete"}}]}}, False),
        ({"detail": {"eventName": [{"wildcard": "Delete*"}]}}, True),
        ({"detail": {"eventName": [{"wildcard": "*Target"}]}}, False),
        ({"detail": {"errorCode": [{"exists": False}]}}, True),
        ({"detail": {"errorCode": [{"exists": True}]}}, False),
        ({"detail": {"eventName": [{"exists": True}]}}, True),
        ({"detail": {"readOnly": [False]}}, True),
        ({"detail": {"readOnly": ["false"]}}, False),
        ({"detail": {"managementEvent": [1]}}, False),
        ({"detail": {"responseElements": [None]}}, True),
        ({"detail": {"eventVersion": [{"numeric": [">", 1]}]}}, False),  # a string, not a number
        ({"detail": {"userIdentity": {"type": ["AssumedRole"]}}}, True),
        ({"detail": {"requestParameters": {"serviceNamespace": ["dynamodb"]}}}, False),
        ({"resources": [{"exists": False}]}, True),  # empty array counts as absent
        ({"detail": {"eventName": [{"cidr": "10.0.0.0/24"}]}}, False),  # not evaluated
        ({"detail": {"eventName": [{"some-future-operator": 1}]}}, False),
        ({"source": "aws.autoscaling"}, False),  # bare scalar is not a pattern
    ],
)
def test_operators(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_numeric() -> None:
    event = {"detail": {"n": 5}}
    assert matches({"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}, event)
    assert not matches({"detail": {"n": [{"numeric": [">", 5]}]}}, event)
    assert not matches({"detail": {"n": [{"numeric": ["~", 5]}]}}, event)


def test_arrays_in_events_match_any_element() -> None:
    assert matches({"resources": ["b"]}, {"resources": ["a", "b"]})
    assert not matches({"resources": ["c"]}, {"resources": ["a", "b"]})


def test_or() -> None:
    pattern = {
        "source": ["aws.autoscaling"],
        "$or": [
            {"detail": {"eventName": ["DeregisterScalableTarget"]}},
            {"detail": {"eventName": [{"prefix": "Delete"}]}},
        ],
    }
    assert matches(pattern, EVENT)
    assert not matches({"$or": [{"detail": {"eventName": ["X"]}}]}, EVENT)


def test_nested_pattern_against_missing_object() -> None:
    assert not matches({"detail": {"nope": {"deeper": ["x"]}}}, EVENT)
    assert matches({"detail": {"nope": {"deeper": [{"exists": False}]}}}, EVENT)


def test_parse_pattern_errors() -> None:
    assert parse_pattern('{"source": ["a"]}') == {"source": ["a"]}
    with pytest.raises(PatternError):
        parse_pattern("{nope")
    with pytest.raises(PatternError):
        parse_pattern("[1]")
