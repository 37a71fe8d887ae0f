"""The local AWS behaves like AWS where moto does not (each test pins one patched bug)."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from scalewarden.localaws import (
    DEFAULT_ACCOUNT_ID,
    LocalAws,
    add_scaling_activity,
    register_targets,
)

DIM = "dynamodb:table:ReadCapacityUnits"


def aas() -> object:
    return boto3.client("application-autoscaling")


def test_describe_scalable_targets_paginates_past_100(aws_env: str) -> None:
    ids = register_targets("us-east-1", "dynamodb", 130, prefix="t")
    client = boto3.client("application-autoscaling")
    tokens = []
    seen: list[str] = []
    kwargs: dict[str, str] = {}
    while True:
        page = client.describe_scalable_targets(ServiceNamespace="dynamodb", **kwargs)
        seen += [t["ResourceId"] for t in page["ScalableTargets"]]
        assert len(page["ScalableTargets"]) <= 50
        if "NextToken" not in page:
            break
        tokens.append(page["NextToken"])
        kwargs = {"NextToken": page["NextToken"]}
    assert len(tokens) == len(set(tokens)) == 2
    assert seen == ids  # every target once, in order


def test_describe_scaling_policies_matches_resource_id_exactly(aws_env: str) -> None:
    client = boto3.client("application-autoscaling")
    for rid in ("table/t1", "table/t10"):
        client.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension=DIM,
            MinCapacity=1,
            MaxCapacity=5,
        )
        client.put_scaling_policy(
            PolicyName=f"p-{rid[6:]}",
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension=DIM,
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity"},
        )
    # moto matched by substring: "table/t1" is a substring of "table/t10" (and vice versa
    # checks "policy.resource_id in resource_id").
    found = client.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId="table/t10")
    assert [p["PolicyName"] for p in found["ScalingPolicies"]] == ["p-t10"]


def test_describe_scheduled_actions_paginates(aws_env: str) -> None:
    [rid] = register_targets("us-east-1", "lambda", 1, prefix="fn")
    client = boto3.client("application-autoscaling")
    for i in range(70):
        client.put_scheduled_action(
            ServiceNamespace="lambda",
            ScheduledActionName=f"a{i:03d}",
            ResourceId=rid,
            ScalableDimension="lambda:function:ProvisionedConcurrency",
            Schedule="cron(0 8 * * ? *)",
            ScalableTargetAction={"MinCapacity": 1},
        )
    first = client.describe_scheduled_actions(ServiceNamespace="lambda")
    assert len(first["ScheduledActions"]) == 50 and first["NextToken"]
    second = client.describe_scheduled_actions(
        ServiceNamespace="lambda", NextToken=first["NextToken"]
    )
    assert len(second["ScheduledActions"]) == 20 and "NextToken" not in second


def test_tags_round_trip_and_unknown_arn(aws_env: str) -> None:
    client = boto3.client("application-autoscaling")
    arn = client.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/s",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
        Tags={"team": "web"},
    )["ScalableTargetARN"]
    client.tag_resource(ResourceARN=arn, Tags={"env": "prod"})
    client.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "prod"}
    client.deregister_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/s",
        ScalableDimension="ecs:service:DesiredCount",
    )
    with pytest.raises(ClientError) as info:
        client.list_tags_for_resource(ResourceARN=arn)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_scaling_activities_are_listed_newest_first_and_paginated(aws_env: str) -> None:
    now = time.time()
    for i in range(60):
        add_scaling_activity(
            account_id=DEFAULT_ACCOUNT_ID,
            region="us-east-1",
            namespace="ecs",
            resource_id="service/c/s",
            dimension="ecs:service:DesiredCount",
            status_code="Successful",
            start_time=now - i * 60,
        )
    client = boto3.client("application-autoscaling")
    page = client.describe_scaling_activities(ServiceNamespace="ecs")
    starts = [a["StartTime"] for a in page["ScalingActivities"]]
    assert len(starts) == 50 and starts == sorted(starts, reverse=True) and page["NextToken"]
    rest = client.describe_scaling_activities(ServiceNamespace="ecs", NextToken=page["NextToken"])
    assert len(rest["ScalingActivities"]) == 10
    assert client.describe_scaling_activities(ServiceNamespace="rds")["ScalingActivities"] == []


def test_every_namespace_of_the_botocore_model_can_be_registered(aws_env: str) -> None:
    client = boto3.client("application-autoscaling")
    # ECS without an ECS service, and namespaces moto's own enum lacks.
    for ns in ("ecs", "elasticache", "neptune", "workspaces"):
        register_targets("us-east-1", ns, 1, prefix="x")
        assert client.describe_scalable_targets(ServiceNamespace=ns)["ScalableTargets"]
    with pytest.raises(ClientError):
        client.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/c/s",
            ScalableDimension=DIM,
            MinCapacity=1,
            MaxCapacity=2,
        )


def test_new_trail_has_the_default_event_selector(aws_env: str) -> None:
    boto3.client("s3").create_bucket(Bucket="logs")
    ct = boto3.client("cloudtrail")
    ct.create_trail(Name="audit", S3BucketName="logs")
    [selector] = ct.get_event_selectors(TrailName="audit")["EventSelectors"]
    assert selector["ReadWriteType"] == "All" and selector["IncludeManagementEvents"]


def test_faults_are_scoped_and_counted(aws_env: str, local_aws: LocalAws) -> None:
    fault = local_aws.inject_fault(
        "dynamodb", "ListTables", "AccessDeniedException", region="eu-west-1", times=1
    )
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
    eu = boto3.client("dynamodb", region_name="eu-west-1")
    with pytest.raises(ClientError) as info:
        eu.list_tables()
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert eu.list_tables()["TableNames"] == []  # only once
    assert fault.hits == 1
    # Query-protocol services get XML errors botocore understands.
    local_aws.inject_fault("iam", "ListAccountAliases", "AccessDenied", "nope")
    with pytest.raises(ClientError) as info:
        boto3.client("iam").list_account_aliases()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ValueError, match="protocol"):
        local_aws.inject_fault("cloudwatch", "DescribeAlarms", "AccessDenied")


def test_reset_forgets_resources_and_faults(aws_env: str, local_aws: LocalAws) -> None:
    register_targets("us-east-1", "ecs", 2)
    local_aws.inject_fault("dynamodb", "ListTables", "AccessDeniedException")
    local_aws.reset()
    client = boto3.client("application-autoscaling")
    assert client.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
