"""The real collector against the local AWS: every source, pagination, several regions."""

from __future__ import annotations

import time
from typing import Any

import boto3

from scalewarden.aws.collector import (
    CollectorOptions,
    ProgressUpdate,
    collect_accounts,
    sources_closure,
)
from scalewarden.aws.inventory import AccountInventory, Source
from scalewarden.aws.session import ClientFactory, ClientSettings, make_config, make_session
from scalewarden.aws.sources.application_autoscaling import aas_namespaces
from scalewarden.localaws import (
    DEFAULT_ACCOUNT_ID,
    add_scaling_activity,
    register_targets,
    seed_iam,
    seed_scenario,
)

REGIONS = ["us-east-1", "eu-west-1"]


def collect(
    regions: list[str] = REGIONS, *, calls: list[str] | None = None, **options: Any
) -> AccountInventory:
    def on_client(client: Any) -> None:
        if calls is not None:
            name = client.meta.service_model.service_name

            def record(model: Any, **_: Any) -> None:
                calls.append(f"{name}:{model.name}")

            client.meta.events.register("before-call", record)

    factory = ClientFactory(
        make_session(),
        make_config(ClientSettings(max_attempts=2, retry_mode="standard")),
        on_client=on_client,
    )
    [inventory] = collect_accounts(
        [(factory, DEFAULT_ACCOUNT_ID, None)], regions, options=CollectorOptions(**options)
    )
    return inventory


def test_namespaces_come_from_botocore_model() -> None:
    namespaces = aas_namespaces()
    assert len(namespaces) == 15
    assert {"ecs", "dynamodb", "elasticache", "neptune", "workspaces"} <= set(namespaces)


def test_full_inventory_of_two_regions(aws_env: str) -> None:
    seeded = {r: seed_scenario(r, with_trail=(r == "us-east-1")) for r in REGIONS}
    seed_iam()
    inv = collect()

    assert inv.errors == {}
    assert inv.iam is not None
    role_names = {r["RoleName"] for r in inv.iam.roles}
    assert {"deployer", "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"} <= role_names
    # moto omits PolicyName on managed policies (the checks derive it from the ARN).
    assert any(p["Arn"].endswith(":policy/scaling-admin") for p in inv.iam.policies)

    for region in REGIONS:
        ri = inv.regions[region]
        seed = seeded[region]
        assert ri.errors == {}, ri.errors
        assert ri.namespaces_with_targets == {
            "dynamodb",
            "ecs",
            "lambda",
            "sagemaker",
            "elasticache",
            "custom-resource",
        }
        ids = {(t.namespace, t.resource_id) for t in ri.targets}
        for ns, rids in seed.target_ids.items():
            assert {(ns, rid) for rid in rids} <= ids
        by_id = {t.resource_id: t for t in ri.targets}
        assert by_id["table/orders-000"].tags == {"team": "orders", "env": "prod"}
        assert by_id[seed.target_ids["lambda"][0]].tags == {}
        assert by_id[seed.suspended[0]].suspended.dynamic_scaling_in
        fixed = by_id[seed.fixed_capacity[0]]
        assert fixed.min_capacity == fixed.max_capacity == 3
        assert all(
            t.arn and t.arn.startswith(f"arn:aws:application-autoscaling:{region}:")
            for t in ri.targets
        )

        assert len(ri.policies) == 3 + 3
        assert len(ri.scheduled_actions) == 2
        assert [a.status_code for a in ri.activities] == ["Failed"]
        # The first table's policy lost one of its four alarms; the others are all there.
        broken = next(p for p in ri.policies if p.name == seed.missing_alarm_policy)
        assert len([n for n in broken.alarm_names if n not in ri.existing_alarm_names]) == 1
        others = [p for p in ri.policies if p.name != seed.missing_alarm_policy]
        assert all(n in ri.existing_alarm_names for p in others for n in p.alarm_names)

        tables = {t.name: t for t in ri.dynamodb_tables}
        assert tables["sessions-ondemand"].billing_mode == "PAY_PER_REQUEST"
        assert tables["orders-000"].billing_mode == "PROVISIONED"
        assert seed.vpc_id in ri.vpc_ids
        [endpoint] = ri.vpc_endpoints
        assert endpoint.service_name == f"com.amazonaws.{region}.application-autoscaling"
        assert endpoint.private_dns_enabled
        assert endpoint.security_group_ids == (seed.open_group_id,)
        sg = ri.security_groups[seed.open_group_id]
        assert any(r.from_port == 443 and "0.0.0.0/0" in r.ipv4_ranges for r in sg.ingress)
        [trail] = ri.trails  # the us-east-1 multi-region trail is seen from both regions
        assert trail.is_multi_region and trail.is_logging and trail.home_region == "us-east-1"
        assert trail.records_write_management_events and not trail.log_file_validation
        assert [r.name for r in ri.event_rules] == ["aas-destructive-changes"]
        assert [c.name for c in ri.config_recorders] == ["default"]
        assert ri.securityhub_enabled is True


def test_pagination_past_100_targets_policies_and_actions(aws_env: str) -> None:
    ids = register_targets("us-east-1", "dynamodb", 130, prefix="bulk")
    aas = boto3.client("application-autoscaling")
    for rid in ids[:120]:
        aas.put_scheduled_action(
            ServiceNamespace="dynamodb",
            ScheduledActionName="nightly",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            Schedule="cron(0 1 * * ? *)",
            ScalableTargetAction={"MinCapacity": 1},
        )
    for rid in ids[:110]:
        aas.put_scaling_policy(
            PolicyName="step",
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity"},
        )
    register_targets("eu-west-1", "ecs", 101, prefix="svc")
    calls: list[str] = []
    inv = collect(calls=calls)

    us = inv.regions["us-east-1"]
    assert sorted(t.resource_id for t in us.targets) == sorted(ids)
    assert len({p.resource_id for p in us.policies}) == 110
    assert len(us.scheduled_actions) == 120
    assert len(inv.regions["eu-west-1"].targets) == 101
    # 130 targets → 3 pages of 50; 120 actions → 3; 110 policies → 3; plus 14 empty namespaces.
    aas_targets = calls.count("application-autoscaling:DescribeScalableTargets")
    assert aas_targets == 2 * 14 + 3 + 3
    assert calls.count("application-autoscaling:DescribeScheduledActions") == 3 + 1
    assert calls.count("application-autoscaling:DescribeScalingPolicies") == 3 + 1
    # Tags: exactly one call per target, nothing for empty namespaces.
    assert calls.count("application-autoscaling:ListTagsForResource") == 130 + 101


def test_no_redundant_calls_for_empty_namespaces_and_shared_trails(aws_env: str) -> None:
    seed_scenario("us-east-1")
    calls: list[str] = []
    collect(calls=calls)
    # Only namespaces with targets get policies/actions/activities listings.
    assert calls.count("application-autoscaling:DescribeScalingPolicies") == 6
    assert calls.count("application-autoscaling:DescribeScalingActivities") == 6
    # The multi-region trail appears in both regions but its status is read once.
    assert calls.count("cloudtrail:DescribeTrails") == 2
    assert calls.count("cloudtrail:GetTrailStatus") == 1
    assert calls.count("cloudtrail:GetEventSelectors") == 1
    # Alarms of all policies of a region in one batch call.
    assert calls.count("cloudwatch:DescribeAlarms") == 1
    assert calls.count("iam:GetAccountAuthorizationDetails") == 1


def test_activities_limited_to_the_last_seven_days(aws_env: str) -> None:
    [rid] = register_targets("us-east-1", "ecs", 1, prefix="api")
    now = time.time()
    for age_days, status in [(1, "Failed"), (3, "Successful"), (9, "Failed")]:
        add_scaling_activity(
            account_id=DEFAULT_ACCOUNT_ID,
            region="us-east-1",
            namespace="ecs",
            resource_id=rid,
            dimension="ecs:service:DesiredCount",
            status_code=status,
            start_time=now - age_days * 86400,
        )
    inv = collect(["us-east-1"])
    assert sorted(a.status_code for a in inv.regions["us-east-1"].activities) == [
        "Failed",
        "Successful",
    ]


def test_only_sources_the_checks_need_are_collected(aws_env: str) -> None:
    seed_scenario("us-east-1")
    boto3.client("iam").create_account_alias(AccountAlias="shop-prod")
    calls: list[str] = []
    inv = collect(["us-east-1"], calls=calls, sources=frozenset({Source.SCALABLE_TARGETS}))
    # The account's alias is always read: findings carry the account name where known.
    assert set(calls) == {
        "application-autoscaling:DescribeScalableTargets",
        "iam:ListAccountAliases",
    }
    assert inv.account_name == "shop-prod"
    assert inv.regions["us-east-1"].targets
    assert sources_closure([Source.ALARMS]) == {
        Source.ALARMS,
        Source.SCALING_POLICIES,
        Source.SCALABLE_TARGETS,
    }


def test_progress_reports_each_region_and_global_once(aws_env: str) -> None:
    seed_scenario("us-east-1", with_endpoint=False)
    updates: list[ProgressUpdate] = []
    factory = ClientFactory(make_session(), make_config())
    collect_accounts([(factory, DEFAULT_ACCOUNT_ID, None)], REGIONS, progress=updates.append)
    finished = [(u.region, u.phase) for u in updates if u.phase != "collecting"]
    assert sorted(finished) == [("eu-west-1", "done"), ("global", "done"), ("us-east-1", "done")]


def test_result_does_not_depend_on_worker_count(aws_env: str) -> None:
    """One worker and several collect the same inventory: every record, not just the count."""
    seed_scenario("us-east-1")
    register_targets("us-east-1", "dynamodb", 60, prefix="many")
    one, several = (collect(["us-east-1"], max_workers=workers) for workers in (1, 4))
    ri = one.regions["us-east-1"]
    assert len(ri.targets) == 3 + 60 + 3 + 4
    assert ri.policies and ri.errors == {}
    assert several == one


def test_trail_status_is_asked_of_its_home_region(aws_env: str) -> None:
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="audit-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    ct = boto3.client("cloudtrail", region_name="eu-west-1")
    ct.create_trail(Name="audit", S3BucketName="audit-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="audit")
    regions_called: list[str] = []

    def on_client(client: Any) -> None:
        if client.meta.service_model.service_name == "cloudtrail":
            region = client.meta.region_name
            client.meta.events.register(
                "before-call", lambda model, **_: regions_called.append(f"{region}:{model.name}")
            )

    factory = ClientFactory(make_session(), make_config(), on_client=on_client)
    [inv] = collect_accounts([(factory, DEFAULT_ACCOUNT_ID, None)], ["us-east-1"])
    [trail] = inv.regions["us-east-1"].trails
    assert trail.home_region == "eu-west-1" and trail.is_logging
    assert sorted(regions_called) == [
        "eu-west-1:GetEventSelectors",
        "eu-west-1:GetTrailStatus",
        "us-east-1:DescribeTrails",
    ]


def _scan_calls(checks: str) -> list[str]:
    from scalewarden.scan import ScanOptions, ScanScope, run_scan

    calls: list[str] = []

    def on_client(client: Any) -> None:
        name = client.meta.service_model.service_name
        client.meta.events.register(
            "before-call", lambda model, **_: calls.append(f"{name}:{model.name}")
        )

    run_scan(
        ScanScope(regions=["us-east-1"], checks=checks), options=ScanOptions(on_client=on_client)
    )
    return calls


def test_alarms_are_read_only_for_checks_that_need_them(aws_env: str) -> None:
    """Policies are read for checks that need no alarms; DescribeAlarms only when a chosen
    check declares ``Source.ALARMS``."""
    seed_scenario("us-east-1")
    without = _scan_calls("target_without_scaling_policy,sensitive_data_in_scaling_names")
    assert "application-autoscaling:DescribeScalingPolicies" in without
    assert "cloudwatch:DescribeAlarms" not in without
    with_alarms = _scan_calls("scaling_policy_alarms_missing")
    assert with_alarms.count("cloudwatch:DescribeAlarms") == 1
