"""After a failure that retrying cannot fix, the collector stops asking that API there.

Trails and Security Hub once made their calls outside the collector's call wrapper, so an
AccessDenied was neither remembered nor honoured. Each test injects the failure at the local
AWS and counts, at the server, how often the operation was asked for.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from scalewarden.aws.calls import KnownFailures
from scalewarden.aws.collector import CollectorOptions, collect_accounts
from scalewarden.aws.inventory import REGIONAL_SOURCES, RegionInventory, Source
from scalewarden.aws.session import ClientFactory, ClientSettings, make_config, make_session
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=1, read_timeout=5)


def collect(regions: list[str], sources: set[str]) -> dict[str, RegionInventory]:
    """One sequential worker: every call after the first failure is a call the rule forbids."""
    factory = ClientFactory(make_session(), make_config(FAST))
    [inv] = collect_accounts(
        [(factory, DEFAULT_ACCOUNT_ID, "test")],
        regions,
        options=CollectorOptions(max_workers=1, sources=frozenset(sources), namespaces=()),
    )
    return inv.regions


def create_trails(region: str, count: int, *, multi_region: bool = False) -> list[str]:
    s3 = boto3.client("s3", region_name=region)
    trails = boto3.client("cloudtrail", region_name=region)
    bucket = f"trail-logs-{region}"
    config: dict[str, Any] = {}
    if region != "us-east-1":
        config = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **config)
    names = []
    for i in range(count):
        name = f"trail-{region}-{i}"
        trails.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region)
        trails.start_logging(Name=name)
        names.append(name)
    return names


def test_trail_status_denied_is_asked_once_per_region(aws_env: str, local_aws: LocalAws) -> None:
    create_trails("us-east-1", 3)
    create_trails("eu-west-1", 2)
    denied = local_aws.inject_fault(
        "cloudtrail",
        "GetTrailStatus",
        "AccessDeniedException",
        "not authorized to perform: cloudtrail:GetTrailStatus",
        region="us-east-1",
    )
    regions = collect(["us-east-1", "eu-west-1"], {Source.TRAILS})

    # Three trails live in us-east-1: the first refusal stands for the other two.
    assert denied.hits == 1
    us = regions["us-east-1"]
    assert us.errors[Source.TRAILS].startswith("AccessDenied on GetTrailStatus")
    assert "cloudtrail:GetTrailStatus" in us.errors[Source.TRAILS]
    assert us.trails == []
    # Another region is another scope: its own trails are read in full.
    eu = regions["eu-west-1"]
    assert eu.errors == {}
    assert sorted(t.name for t in eu.trails) == ["trail-eu-west-1-0", "trail-eu-west-1-1"]
    assert all(t.is_logging for t in eu.trails)


def test_event_selectors_denied_is_asked_once(aws_env: str, local_aws: LocalAws) -> None:
    create_trails("us-east-1", 3)
    denied = local_aws.inject_fault(
        "cloudtrail", "GetEventSelectors", "AccessDeniedException", "no selectors for you"
    )
    [us] = collect(["us-east-1"], {Source.TRAILS}).values()
    assert denied.hits == 1
    assert us.errors[Source.TRAILS].startswith("AccessDenied on GetEventSelectors")


def test_a_multi_region_trail_denied_at_home_is_an_error_everywhere(
    aws_env: str, local_aws: LocalAws
) -> None:
    create_trails("us-east-1", 1, multi_region=True)
    denied = local_aws.inject_fault("cloudtrail", "GetTrailStatus", "AccessDeniedException")
    regions = collect(["eu-west-1", "us-east-1"], {Source.TRAILS})
    assert denied.hits == 1  # asked of its home region, once for the account
    for region in ("eu-west-1", "us-east-1"):
        assert regions[region].errors[Source.TRAILS].startswith("AccessDenied on GetTrailStatus")
        assert regions[region].trails == []


def test_securityhub_denied_is_an_error_and_not_asked_again(
    aws_env: str, local_aws: LocalAws
) -> None:
    denied = local_aws.inject_fault(
        "securityhub",
        "DescribeHub",
        "AccessDeniedException",
        "not authorized to perform: securityhub:DescribeHub",
        region="eu-west-1",
    )
    regions = collect(["eu-west-1", "us-east-1"], {Source.SECURITY_HUB})
    assert denied.hits == 1
    eu = regions["eu-west-1"]
    assert eu.securityhub_enabled is None
    assert eu.errors[Source.SECURITY_HUB].startswith("AccessDenied on DescribeHub")
    assert "securityhub:DescribeHub" in eu.errors[Source.SECURITY_HUB]
    assert regions["us-east-1"].errors == {}


def test_securityhub_not_subscribed_through_the_wrapper(aws_env: str, local_aws: LocalAws) -> None:
    local_aws.inject_fault(
        "securityhub", "DescribeHub", "InvalidAccessException", "not subscribed", region="eu-west-1"
    )
    regions = collect(["eu-west-1"], {Source.SECURITY_HUB})
    assert regions["eu-west-1"].securityhub_enabled is False
    assert regions["eu-west-1"].errors == {}


def test_which_failures_stick_and_where() -> None:
    known = KnownFailures()
    aas = "application-autoscaling"
    known.remember("us-east-1", aas, "list_tags_for_resource", "AccessDenied on X: no", "ecs")
    known.remember("us-east-1", "dynamodb", "list_tables", "Throttled on ListTables: slow", None)
    known.remember("eu-west-1", "sts", "get_caller_identity", "RegionDisabled on Y: off", None)
    known.remember("us-east-1", "events", "list_rules", "NotImplemented on ListRules", "ecs")

    # AccessDenied naming a namespace stays with that namespace.
    assert known.reason("us-east-1", aas, "list_tags_for_resource", "ecs") is not None
    assert known.reason("us-east-1", aas, "list_tags_for_resource", "dynamodb") is None
    # Throttling may clear: it is asked again.
    assert known.reason("us-east-1", "dynamodb", "list_tables", None) is None
    # A disabled region refuses everything there, and nothing elsewhere.
    assert known.reason("eu-west-1", "securityhub", "describe_hub", None) == (
        "RegionDisabled on Y: off"
    )
    assert known.reason("us-west-2", "securityhub", "describe_hub", None) is None
    # An operation the endpoint lacks is lacking for every namespace.
    assert known.reason("us-east-1", "events", "list_rules", "lambda") is not None


def test_sources_are_their_names() -> None:
    assert Source.TRAILS == "cloudtrail_trails" and f"{Source.TAGS}:x" == "tags:x"
    assert json.dumps({Source.SECURITY_HUB: 1}) == '{"securityhub": 1}'
    assert Source.IAM_AUTHORIZATION not in REGIONAL_SOURCES
    assert set(REGIONAL_SOURCES) | {Source.IAM_AUTHORIZATION} == set(Source)
