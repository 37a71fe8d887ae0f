"""Failure paths: a failed call becomes ``errors[source]`` with a reason, never a crash or PASS."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError
from botocore.stub import Stubber

from scalewarden.aws.collector import CollectorOptions, collect_accounts
from scalewarden.aws.errors import about_the_account, describe_error
from scalewarden.aws.inventory import Source
from scalewarden.aws.session import ClientFactory, ClientSettings, make_config, make_session
from scalewarden.checks.model import Status
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws, register_targets, seed_scenario
from scalewarden.scan import ScanOptions, ScanScope, run_scan

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=1, read_timeout=5)


def collect(regions: list[str], calls: list[str] | None = None, **options: Any) -> Any:
    def on_client(client: Any) -> None:
        if calls is not None:
            client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

    factory = ClientFactory(make_session(), make_config(FAST), on_client=on_client)
    [inv] = collect_accounts(
        [(factory, DEFAULT_ACCOUNT_ID, None)], regions, options=CollectorOptions(**options)
    )
    return inv


def scan(checks: str, regions: list[str] | None = None) -> Any:
    return run_scan(
        ScanScope(regions=regions or ["us-east-1"], checks=checks),
        options=ScanOptions(client_settings=FAST),
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_access_denied_is_recorded_and_checks_report_error(
    aws_env: str, local_aws: LocalAws
) -> None:
    seed_scenario("us-east-1")
    local_aws.inject_fault(
        "dynamodb", "ListTables", "AccessDeniedException", "User is not authorized"
    )
    inv = collect(["us-east-1"])
    reason = inv.regions["us-east-1"].errors[Source.DYNAMODB_TABLES]
    assert reason.startswith("AccessDenied on ListTables")
    assert "not authorized" in reason

    report = scan("dynamodb_table_autoscaling_enabled")
    statuses = {f.status for f in report.findings}
    assert statuses == {Status.ERROR}
    assert "AccessDenied" in report.findings[0].message
    assert {c["source"] for c in report.coverage} == {Source.DYNAMODB_TABLES}


def test_access_denied_is_not_retried_for_every_target(aws_env: str, local_aws: LocalAws) -> None:
    register_targets("us-east-1", "ecs", 40, prefix="svc")
    fault = local_aws.inject_fault(
        "application-autoscaling", "ListTagsForResource", "AccessDeniedException"
    )
    calls: list[str] = []
    inv = collect(["us-east-1"], calls)
    ri = inv.regions["us-east-1"]
    assert ri.errors[Source.TAGS].startswith("AccessDenied")
    assert all(t.tags is None for t in ri.targets)  # unknown, not "no tags"
    # Concurrent workers may each hit it once before it is known; never once per target.
    assert fault.hits < 40
    assert calls.count("ListTagsForResource") == fault.hits


@pytest.mark.usefixtures("tiny_aws_backoff")
def test_throttling_past_retries(aws_env: str, local_aws: LocalAws) -> None:
    register_targets("us-east-1", "ecs", 3, prefix="svc")
    fault = local_aws.inject_fault(
        "application-autoscaling", "DescribeScalableTargets", "ThrottlingException", "Rate exceeded"
    )
    inv = collect(["us-east-1"])
    errors = inv.regions["us-east-1"].errors
    target_errors = {k: v for k, v in errors.items() if k.startswith(Source.SCALABLE_TARGETS)}
    assert len(target_errors) == 15
    assert all(v.startswith("Throttled on DescribeScalableTargets") for v in target_errors.values())
    assert fault.hits == 15 * FAST.max_attempts  # retried, then given up

    report = scan("target_fixed_capacity,target_scaling_suspended")
    assert report.findings and all(f.status is Status.ERROR for f in report.findings)


def test_throttling_that_clears_is_retried_transparently(aws_env: str, local_aws: LocalAws) -> None:
    register_targets("us-east-1", "ecs", 3, prefix="svc")
    local_aws.inject_fault(
        "application-autoscaling", "DescribeScalableTargets", "ThrottlingException", times=5
    )
    inv = collect(["us-east-1"])
    assert inv.regions["us-east-1"].errors == {}
    assert len(inv.regions["us-east-1"].targets) == 3


def test_dead_endpoint_for_one_service(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_scenario("us-east-1", with_endpoint=False, with_trail=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port()}")
    report = scan("dynamodb_table_autoscaling_enabled,target_fixed_capacity")
    by_check: dict[str, set[Status]] = {}
    for f in report.findings:
        by_check.setdefault(f.check_id, set()).add(f.status)
    assert by_check["dynamodb_table_autoscaling_enabled"] == {Status.ERROR}
    assert Status.FAIL in by_check["target_fixed_capacity"]  # the rest of the scan went on
    [gap] = report.coverage
    assert gap["source"] == Source.DYNAMODB_TABLES
    assert gap["reason"].startswith("EndpointUnreachable")


def test_dead_endpoint_everywhere_still_completes(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    settings = ClientSettings(max_attempts=1, connect_timeout=0.5, read_timeout=0.5)
    factory = ClientFactory(make_session(), make_config(settings))
    [inv] = collect_accounts([(factory, DEFAULT_ACCOUNT_ID, None)], ["us-east-1"])
    assert inv.iam is None and inv.errors[Source.IAM_AUTHORIZATION].startswith(
        "EndpointUnreachable"
    )
    errors = inv.regions["us-east-1"].errors
    for source in (Source.DYNAMODB_TABLES, Source.VPCS, Source.TRAILS, Source.SECURITY_HUB):
        assert errors[source].startswith("EndpointUnreachable"), source


def test_unimplemented_operation_is_reported_as_such(aws_env: str) -> None:
    client = boto3.client("cloudtrail", config=make_config(FAST))
    with pytest.raises(ClientError) as info:
        client.lookup_events()  # moto answers 500 for operations it lacks
    assert describe_error(info.value, "LookupEvents").startswith("NotImplemented on LookupEvents")


# ---- botocore Stubber, for answers moto cannot give -------------------------------------


class StubbedFactory(ClientFactory):
    """Hands out real clients wired to ``Stubber``s (one per service) instead of HTTP."""

    def __init__(self) -> None:
        super().__init__(
            boto3.Session(aws_access_key_id="x", aws_secret_access_key="x"), make_config(FAST)
        )
        self.stubs: dict[str, Stubber] = {}

    def stub(self, service: str) -> Stubber:
        client = super().client(service, "us-east-1")
        stubber = self.stubs.setdefault(service, Stubber(client))
        stubber.activate()
        return stubber

    def client(self, service: str, region: str) -> Any:
        if service not in self.stubs:
            raise EndpointConnectionError(endpoint_url=f"https://{service}.stub")
        return super().client(service, region)


def stubbed_collect(factory: StubbedFactory, sources: set[str], namespaces: tuple[str, ...]) -> Any:
    [inv] = collect_accounts(
        [(factory, DEFAULT_ACCOUNT_ID, "stubbed")],
        ["us-east-1"],
        options=CollectorOptions(max_workers=1, sources=frozenset(sources), namespaces=namespaces),
    )
    return inv.regions["us-east-1"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("InvalidAccessException", False), ("ResourceNotFoundException", False)],
)
def test_securityhub_not_subscribed_means_disabled(code: str, expected: bool) -> None:
    factory = StubbedFactory()
    factory.stub("securityhub").add_client_error("describe_hub", code, "not subscribed", 401)
    ri = stubbed_collect(factory, {Source.SECURITY_HUB}, ())
    assert ri.securityhub_enabled is expected
    assert ri.errors == {}


def test_securityhub_access_denied_is_an_error_not_disabled() -> None:
    factory = StubbedFactory()
    factory.stub("securityhub").add_client_error("describe_hub", "AccessDeniedException", "no", 403)
    ri = stubbed_collect(factory, {Source.SECURITY_HUB}, ())
    assert ri.securityhub_enabled is None
    assert ri.errors[Source.SECURITY_HUB].startswith("AccessDenied on DescribeHub")


def test_activities_listing_stops_at_the_window() -> None:
    now = datetime.now(UTC)
    target = {
        "ServiceNamespace": "ecs",
        "ResourceId": "service/c/s",
        "ScalableDimension": "ecs:service:DesiredCount",
        "MinCapacity": 1,
        "MaxCapacity": 2,
        "RoleARN": "arn:aws:iam::123456789012:role/x",
        "CreationTime": now,
    }

    def activity(i: int, age: timedelta) -> dict[str, Any]:
        return {
            "ActivityId": f"a{i}",
            "ServiceNamespace": "ecs",
            "ResourceId": "service/c/s",
            "ScalableDimension": "ecs:service:DesiredCount",
            "Description": "d",
            "Cause": "c",
            "StartTime": now - age,
            "StatusCode": "Failed",
        }

    factory = StubbedFactory()
    stub = factory.stub("application-autoscaling")
    stub.add_response("describe_scalable_targets", {"ScalableTargets": [target]})
    stub.add_response(
        "describe_scaling_activities",
        {"ScalingActivities": [activity(1, timedelta(days=1))], "NextToken": "p2"},
    )
    stub.add_response(
        "describe_scaling_activities",
        {
            "ScalingActivities": [activity(2, timedelta(days=6)), activity(3, timedelta(days=8))],
            "NextToken": "p3",
        },
    )
    # No third page is stubbed: asking for it would fail the test.
    ri = stubbed_collect(factory, {Source.SCALABLE_TARGETS, Source.SCALING_ACTIVITIES}, ("ecs",))
    stub.assert_no_pending_responses()
    assert ri.errors == {}
    assert [a.activity_id for a in ri.activities] == ["a1", "a2"]


@pytest.mark.parametrize(
    ("exc", "prefix"),
    [
        (ClientError({"Error": {"Code": "AccessDenied", "Message": "m"}}, "Op"), "AccessDenied"),
        (ClientError({"Error": {"Code": "Throttling", "Message": "m"}}, "Op"), "Throttled"),
        (ClientError({"Error": {"Code": "OptInRequired", "Message": "m"}}, "Op"), "RegionDisabled"),
        (
            ClientError({"Error": {"Code": "UnrecognizedClientException", "Message": "m"}}, "Op"),
            "RegionDisabled",
        ),
        (
            ClientError(
                {
                    "Error": {"Code": "500", "Message": "x"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "Op",
            ),
            "NotImplemented",
        ),
        (ConnectTimeoutError(endpoint_url="http://x"), "Timeout"),
        (EndpointConnectionError(endpoint_url="http://x"), "EndpointUnreachable"),
        (
            ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "Op"),
            "ValidationException",
        ),
    ],
)
def test_error_reasons_are_categorised(exc: Exception, prefix: str) -> None:
    reason = describe_error(exc, "Op")
    assert reason.startswith(prefix)
    assert "\n" not in reason and len(reason) <= 200


def test_disabled_region_is_recognised_once_and_skipped(aws_env: str, local_aws: LocalAws) -> None:
    seed_scenario("us-east-1", with_endpoint=False, with_trail=False)
    fault = local_aws.inject_fault(
        "*",
        "*",
        "UnrecognizedClientException",
        "The security token is invalid",
        region="eu-west-1",
    )
    calls: list[str] = []
    inv = collect(["eu-west-1", "us-east-1"], calls, max_workers=1)
    eu = inv.regions["eu-west-1"]
    assert eu.errors and all(r.startswith("RegionDisabled") for r in eu.errors.values()), {
        k: v for k, v in eu.errors.items() if not v.startswith("RegionDisabled")
    }
    assert {k.split(":")[0] for k in eu.errors} >= {
        Source.SCALABLE_TARGETS,
        Source.DYNAMODB_TABLES,
        Source.VPCS,
        Source.TRAILS,
        Source.EVENT_RULES,
        Source.CONFIG_RECORDERS,
        Source.SECURITY_HUB,
    }
    # One sequential worker: the first refusal marks the region, nothing else is sent there.
    assert fault.hits == 1, calls
    # IAM is global: the disabled (first) region does not take it down.
    assert inv.errors == {} and inv.iam is not None
    assert inv.regions["us-east-1"].errors == {}


def test_a_collector_bug_costs_coverage_not_the_scan(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scalewarden.aws.sources import application_autoscaling

    seed_scenario("us-east-1", with_endpoint=False, with_trail=False)

    def broken(raw: dict[str, Any]) -> Any:
        raise KeyError("PolicyName")

    monkeypatch.setattr(application_autoscaling, "to_policy", broken)
    report = scan("target_without_scaling_policy,target_fixed_capacity")
    statuses = {
        f.check_id: {x.status for x in report.findings if x.check_id == f.check_id}
        for f in report.findings
    }
    assert statuses["target_without_scaling_policy"] == {Status.ERROR}
    assert any("internal collector error" in c["reason"] for c in report.coverage)


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Op",
    )


@pytest.mark.parametrize(
    ("exc", "wide"),
    [
        (_client_error("AccessDeniedException", 403), True),
        (_client_error("ThrottlingException"), True),
        (_client_error("ExpiredToken", 403), True),
        (_client_error("InternalFailure", 500), True),
        (EndpointConnectionError(endpoint_url="https://x"), True),
        (ConnectTimeoutError(endpoint_url="https://x"), True),
        (_client_error("ValidationException"), False),
        (_client_error("ObjectNotFoundException"), False),
        (_client_error("InvalidVpcEndpointId.Malformed"), False),
        (ValueError("a parameter botocore refused"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_failures_about_the_account_are_told_from_failures_about_one_resource(
    exc: BaseException, wide: bool
) -> None:
    """What a caller may remember for a whole account and region, and what only for the one
    resource a call named (a hostile name must not block genuine calls)."""
    assert about_the_account(exc) is wide
