"""The classifier's look-ups as the service wires them: stored scans first, then a live read
within the service scope (moto's server on loopback), failures shown on the alert.

Stored scans are real scans of the local AWS, stored in a real database; AWS failing
(refused, slow) is injected in the local AWS."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import boto3
import pytest
from alert_samples import ECS_TARGET, aas_event, ec2_event

from scalewarden.alerts import AlertContext, LookupFailed, TargetRef, classify
from scalewarden.aws.identity import OwnAccount
from scalewarden.aws.lookups import AlertLookups
from scalewarden.aws.session import ClientSettings
from scalewarden.checks.model import Severity
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws
from scalewarden.scan import ScanOptions, ScanScope, run_scan
from scalewarden.service_scope import ServiceScope
from scalewarden.settings import Settings
from scalewarden.store import Store

REGION = "us-east-1"
#: One attempt; timeouts generous for a loaded test machine, except where a test wants one.
FAST = ClientSettings(max_attempts=1, connect_timeout=2.0, read_timeout=5.0)
SHORT = ClientSettings(max_attempts=1, connect_timeout=2.0, read_timeout=0.5)
PRODUCTION = {"environment": "production", "team": "orders"}
AAS_SERVICE = f"com.amazonaws.{REGION}.application-autoscaling"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.open(f"sqlite:///{tmp_path / 'lookups.db'}")
    yield s
    s.close()


def _scope(**kwargs: Any) -> ServiceScope:
    """The service scope with its own account asked of STS first (a loaded test machine may
    take longer than the classifier's bounded wait; the wait itself is tested elsewhere)."""
    own = OwnAccount.from_settings(Settings(), client=FAST)
    own.resolve(10)
    return ServiceScope(own=own, **kwargs)


def _lookups(store: Any, scope: ServiceScope | None = None, **kwargs: Any) -> AlertLookups:
    kwargs.setdefault("client", FAST)
    return AlertLookups(store=lambda: store, scope=scope or _scope(), region=REGION, **kwargs)


def _context(lookups: AlertLookups) -> AlertContext:
    lookups.start_batch()
    return AlertContext(target_tags=lookups.target_tags, endpoint_service=lookups.endpoint_service)


def _in_region(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["region"] = event["detail"]["awsRegion"] = REGION
    return event


def _policy_deleted() -> dict[str, Any]:
    return _in_region(aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu"}))


def _register_protected_target(tags: dict[str, str] = PRODUCTION) -> str:
    aas = boto3.client("application-autoscaling", region_name=REGION)
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=ECS_TARGET["resourceId"],
        ScalableDimension=ECS_TARGET["scalableDimension"],
        MinCapacity=2,
        MaxCapacity=10,
        Tags=tags,
    )
    (target,) = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    return str(target["ScalableTargetARN"])


def _aas_endpoint(service: str = AAS_SERVICE) -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=service, VpcEndpointType="Interface", PrivateDnsEnabled=False
    )
    return str(endpoint["VpcEndpoint"]["VpcEndpointId"])


def _scan_and_store(store: Any) -> None:
    # Tags are collected when a chosen check needs them (a full scan, the digests' and
    # Slack's default, always does): the sensitive-names check does.
    checks = (
        "target_scaling_suspended,sensitive_data_in_scaling_names,"
        "vpc_endpoint_aas_private_dns_disabled"
    )
    report = run_scan(ScanScope(regions=[REGION], checks=checks), options=ScanOptions())
    store.save_scan(report.to_dict(), checks=checks.split(","))


def _endpoint_event(name: str, endpoint_id: str) -> dict[str, Any]:
    request = {"VpcEndpointId": {"tag": 1, "content": endpoint_id}}
    return _in_region(ec2_event(name, {f"{name}Request": request}))


# --- Tags ------------------------------------------------------------------------------


def test_tags_known_only_from_the_stored_scan_raise_a_deregistration(
    aws_env: str, store: Any
) -> None:
    """The target is gone from AWS (the event deregistered it); the stored scan still knows
    it carried the protection tag."""
    _register_protected_target()
    _scan_and_store(store)
    boto3.client("application-autoscaling", region_name=REGION).deregister_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=ECS_TARGET["resourceId"],
        ScalableDimension=ECS_TARGET["scalableDimension"],
    )
    event = _in_region(aas_event("DeregisterScalableTarget", dict(ECS_TARGET)))
    alert = classify(event, _context(_lookups(store)))
    assert alert is not None
    assert alert.severity is Severity.MEDIUM  # the check's low, raised
    assert "protection tag" in alert.severity_note
    assert alert.unknowns == ()


def test_tags_from_the_store_by_arn(aws_env: str, store: Any) -> None:
    arn = _register_protected_target()
    _scan_and_store(store)
    # No live read is allowed for this scope (another account configured), so only the
    # store can answer.
    lookups = _lookups(store, _scope(accounts=("111111111111",)))
    lookups.start_batch()
    assert lookups.target_tags(TargetRef(DEFAULT_ACCOUNT_ID, REGION, arn=arn)) == PRODUCTION


def test_tags_known_only_from_a_live_read_raise_the_alert(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    _register_protected_target()  # never scanned: the store knows nothing
    before = local_aws.request_count
    alert = classify(_policy_deleted(), _context(_lookups(store)))
    assert alert is not None
    assert alert.severity is Severity.MEDIUM and alert.unknowns == ()
    assert local_aws.request_count > before


def test_an_untagged_target_is_not_raised_and_nothing_is_unknown(aws_env: str, store: Any) -> None:
    boto3.client("application-autoscaling", region_name=REGION).register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=ECS_TARGET["resourceId"],
        ScalableDimension=ECS_TARGET["scalableDimension"],
        MinCapacity=2,
        MaxCapacity=10,
    )
    alert = classify(_policy_deleted(), _context(_lookups(store)))
    assert alert is not None
    assert alert.severity is Severity.LOW and alert.unknowns == ()


@pytest.mark.parametrize(
    ("operation", "code", "category"),
    [
        ("ListTagsForResource", "AccessDeniedException", "AccessDenied"),
        ("DescribeScalableTargets", "ThrottlingException", "Throttled"),
    ],
)
def test_an_account_that_refuses_still_alerts_says_why_and_is_not_asked_again(
    aws_env: str, store: Any, local_aws: LocalAws, operation: str, code: str, category: str
) -> None:
    _register_protected_target()
    fault = local_aws.inject_fault("application-autoscaling", operation, code, "<!channel> no")
    lookups = _lookups(store)
    alert = classify(_policy_deleted(), _context(lookups))
    assert alert is not None and alert.severity is Severity.LOW
    (unknown,) = alert.unknowns
    assert unknown.startswith(f"protection tag unknown: {category} on {operation}")
    # Another target of the account within a minute: the failure is about the account, so
    # it is remembered, AWS is not asked again (no storm), and the alert still says why.
    other = _in_region(
        aas_event("DeleteScalingPolicy", {**ECS_TARGET, "resourceId": "service/prod/other"})
    )
    again = classify(other, _context(lookups))
    assert again is not None and category in again.unknowns[0]
    assert fault.hits == 1


def test_a_slow_account_times_out_and_the_alert_is_still_made(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    _register_protected_target()
    scope = _scope()
    assert scope.own is not None and scope.own.known() == DEFAULT_ACCOUNT_ID
    lookups = _lookups(store, scope, client=SHORT)
    local_aws.latency = 2.0
    alert = classify(_policy_deleted(), _context(lookups))
    assert alert is not None
    assert "Timeout" in alert.unknowns[0]


def test_an_account_outside_the_scope_is_not_read_and_the_alert_says_so(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    event = _policy_deleted()
    event["account"] = event["detail"]["recipientAccountId"] = "222222222222"
    lookups = _lookups(store, _scope(accounts=("111111111111",)))
    before = local_aws.request_count
    alert = classify(event, _context(lookups))
    assert alert is not None
    (unknown,) = alert.unknowns
    assert "not read live" in unknown and "222222222222" in unknown
    assert local_aws.request_count == before


def test_when_sts_refuses_no_account_is_read_and_the_alert_says_why(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    local_aws.inject_fault("sts", "GetCallerIdentity", "AccessDenied", "no")
    alert = classify(_policy_deleted(), _context(_lookups(store)))
    assert alert is not None
    assert "does not know its id yet" in alert.unknowns[0]
    assert "AccessDenied" in alert.unknowns[0]


# --- Endpoints ---------------------------------------------------------------------------


def test_a_deleted_endpoint_is_recognised_from_the_stored_scan(aws_env: str, store: Any) -> None:
    endpoint = _aas_endpoint()
    _scan_and_store(store)
    boto3.client("ec2", region_name=REGION).delete_vpc_endpoints(VpcEndpointIds=[endpoint])
    alert = classify(_endpoint_event("DeleteVpcEndpoints", endpoint), _context(_lookups(store)))
    assert alert is not None
    assert alert.summary == f"Application Auto Scaling endpoint {endpoint} deleted."
    assert alert.severity is Severity.LOW and alert.unknowns == ()


def test_an_endpoint_is_recognised_by_a_live_read(aws_env: str, store: Any) -> None:
    endpoint = _aas_endpoint()
    alert = classify(_endpoint_event("ModifyVpcEndpoint", endpoint), _context(_lookups(store)))
    assert alert is not None
    assert alert.summary == f"Application Auto Scaling endpoint {endpoint} modified."
    assert alert.severity is Severity.LOW


def test_another_services_endpoint_is_not_an_alert(aws_env: str, store: Any) -> None:
    endpoint = _aas_endpoint(f"com.amazonaws.{REGION}.s3")
    assert (
        classify(_endpoint_event("ModifyVpcEndpoint", endpoint), _context(_lookups(store))) is None
    )


def test_a_refused_endpoint_read_is_a_lower_alert_that_says_why(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    endpoint = _aas_endpoint()
    local_aws.inject_fault("ec2", "DescribeVpcEndpoints", "UnauthorizedOperation", "no")
    alert = classify(_endpoint_event("ModifyVpcEndpoint", endpoint), _context(_lookups(store)))
    assert alert is not None
    assert alert.severity is Severity.INFORMATIONAL
    (unknown,) = alert.unknowns
    assert unknown.startswith(
        f"service of {endpoint} unknown: AccessDenied on DescribeVpcEndpoints"
    )


def test_the_batch_budget_skips_further_live_reads(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    """Once a batch has spent its look-up time, the rest are skipped with a reason."""
    endpoint = _aas_endpoint()
    scope = _scope()
    assert scope.own is not None and scope.own.known() == DEFAULT_ACCOUNT_ID
    lookups = _lookups(store, scope, budget=0.0)
    lookups.start_batch()
    before = local_aws.request_count
    import time

    time.sleep(0.01)  # past the zero budget
    context = AlertContext(endpoint_service=lookups.endpoint_service)
    alert = classify(_endpoint_event("ModifyVpcEndpoint", endpoint), context)
    assert alert is not None and "skipped" in alert.unknowns[0]
    assert local_aws.request_count == before


def test_a_burst_about_one_deleted_target_reads_aws_once(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    """A deregistered target no stored scan knows: said on every alert, asked of AWS once."""
    lookups = _lookups(store)
    event = _in_region(aas_event("DeregisterScalableTarget", dict(ECS_TARGET)))
    first = classify(event, _context(lookups))
    assert first is not None and "not registered (any more)" in first.unknowns[0]
    before = local_aws.request_count
    for _ in range(5):
        again = classify(event, _context(lookups))
        assert again is not None and again.unknowns == first.unknowns
    assert local_aws.request_count == before


def test_a_refused_target_search_names_its_own_operation(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    _register_protected_target()
    local_aws.inject_fault(
        "application-autoscaling", "DescribeScalableTargets", "AccessDeniedException", "no"
    )
    alert = classify(_policy_deleted(), _context(_lookups(store)))
    assert alert is not None and alert.severity is Severity.LOW
    assert alert.unknowns[0].startswith(
        "protection tag unknown: AccessDenied on DescribeScalableTargets"
    )


# --- Hostile names and answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            TargetRef(DEFAULT_ACCOUNT_ID, REGION, "ecs", "service/" + "x" * 1_000_000, "d"),
            "more characters than AWS allows",
        ),
        (
            TargetRef(DEFAULT_ACCOUNT_ID, REGION, arn="arn:" + "a" * 1_000_000),
            "more characters than AWS allows",
        ),
        (
            TargetRef(DEFAULT_ACCOUNT_ID, REGION, arn="not-an-arn <!channel>"),
            "is not a scalable target of the event's own account and region",
        ),
        (
            TargetRef(
                DEFAULT_ACCOUNT_ID,
                REGION,
                arn="arn:aws:application-autoscaling:us-east-1:999999999999:scalable-target/x",
            ),
            "is not a scalable target of the event's own account and region",
        ),
        (
            TargetRef(
                DEFAULT_ACCOUNT_ID,
                REGION,
                arn=f"arn:aws:application-autoscaling:eu-west-1:{DEFAULT_ACCOUNT_ID}:"
                "scalable-target/x",
            ),
            "is not a scalable target of the event's own account and region",
        ),
    ],
)
def test_a_hostile_target_name_is_refused_before_any_cache_or_call(
    aws_env: str, local_aws: LocalAws, store: Any, target: TargetRef, reason: str
) -> None:
    """An event's target name longer than AWS allows would pin up to a mebibyte per cache
    entry; an ARN of another account or region would read another resource's tags."""
    fault = local_aws.inject_fault(
        "application-autoscaling", "ListTagsForResource", "AccessDeniedException", "called"
    )
    lookups = _lookups(store)
    lookups.start_batch()
    with pytest.raises(LookupFailed, match=reason):
        lookups.target_tags(target)
    assert fault.hits == 0
    assert lookups._answers._items == {} and lookups._resource_failures._items == {}  # nothing kept


def test_tags_longer_than_aws_allows_are_dropped_from_a_live_answer(
    aws_env: str, store: Any
) -> None:
    """The local AWS keeps tags AWS would refuse; what a live read returns is bounded."""
    _register_protected_target(
        {"environment": "production", "k" * 129: "v", "big": "v" * 257, "ok": "x" * 256}
    )
    lookups = _lookups(store)
    lookups.start_batch()
    target = TargetRef(
        DEFAULT_ACCOUNT_ID,
        REGION,
        "ecs",
        ECS_TARGET["resourceId"],
        ECS_TARGET["scalableDimension"],
    )
    assert lookups.target_tags(target) == {"environment": "production", "ok": "x" * 256}


# --- What a failure is about -----------------------------------------------------------------


def test_a_malformed_target_name_does_not_block_the_accounts_genuine_tag_reads(
    aws_env: str, store: Any, local_aws: LocalAws
) -> None:
    """AWS refusing one event's target name (a validation error) is about that target: it is
    remembered for that target only, and a genuine target of the same account, region and
    operation is still read within the minute."""
    _register_protected_target()
    lookups = _lookups(store)
    malformed = _in_region(
        aas_event(
            "DeleteScalingPolicy",
            {**ECS_TARGET, "scalableDimension": "ecs:service:NotADimension", "policyName": "x"},
        )
    )
    first = classify(malformed, _context(lookups))
    assert first is not None
    (unknown,) = first.unknowns
    assert unknown.startswith("protection tag unknown: ValidationException on Describe")
    before = local_aws.request_count
    again = classify(malformed, _context(lookups))  # the same target: remembered, not re-read
    assert again is not None and again.unknowns == first.unknowns
    assert local_aws.request_count == before
    genuine = classify(_policy_deleted(), _context(lookups))
    assert genuine is not None
    assert genuine.unknowns == ()
    assert genuine.severity is Severity.MEDIUM  # the protection tag was read live
