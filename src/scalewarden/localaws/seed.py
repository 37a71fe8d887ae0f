"""Seeding: realistic accounts in the local AWS, built through boto3 as a user would build them.

The collector then reads what it would read from AWS. Scaling activities are the exception:
AWS creates them when it scales, so ``add_scaling_activity()`` writes them into the patched
backend directly (``patches.py`` serves them).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from scalewarden.localaws.patches import activities_of, install_patches
from scalewarden.localaws.server import DEFAULT_ACCOUNT_ID


def add_scaling_activity(
    *,
    account_id: str,
    region: str,
    namespace: str,
    resource_id: str,
    dimension: str,
    status_code: str,
    status_message: str = "",
    cause: str = "monitor alarm triggered",
    start_time: float | None = None,
    not_scaled: bool = False,
) -> None:
    """Record a scaling activity in the local AWS (AWS creates these when it scales)."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.moto_api._internal import mock_random

    install_patches()
    backend = applicationautoscaling_backends[account_id][region]
    started = time.time() if start_time is None else start_time
    activities_of(backend).append(
        {
            "ActivityId": str(mock_random.uuid4()),
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "Description": f"Setting desired capacity for {resource_id}.",
            "Cause": cause,
            "StartTime": started,
            "EndTime": started + 30,
            "StatusCode": status_code,
            "StatusMessage": status_message,
            "_not_scaled": not_scaled,
        }
    )


#: One scalable dimension per namespace and how its resource ids look in AWS.
RESOURCE_ID_FORMATS: dict[str, tuple[str, str]] = {
    "dynamodb": ("dynamodb:table:ReadCapacityUnits", "table/{name}"),
    "ecs": ("ecs:service:DesiredCount", "service/prod-cluster/{name}"),
    "ec2": ("ec2:spot-fleet-request:TargetCapacity", "spot-fleet-request/sfr-{name}"),
    "custom-resource": (
        "custom-resource:ResourceType:Property",
        "https://abcdef0123.execute-api.{region}.amazonaws.com/prod/scalableTargetDimensions/{name}",
    ),
    "lambda": ("lambda:function:ProvisionedConcurrency", "function:{name}:live"),
    "sagemaker": ("sagemaker:variant:DesiredInstanceCount", "endpoint/{name}/variant/AllTraffic"),
    "elasticache": ("elasticache:replication-group:Replicas", "replication-group/{name}"),
    "neptune": ("neptune:cluster:ReadReplicaCount", "cluster:{name}"),
    "rds": ("rds:cluster:ReadReplicaCount", "cluster:{name}"),
    "appstream": ("appstream:fleet:DesiredCapacity", "fleet/{name}"),
    "cassandra": ("cassandra:table:ReadCapacityUnits", "keyspace/app/table/{name}"),
    "elasticmapreduce": (
        "elasticmapreduce:instancegroup:InstanceCount",
        "instancegroup/j-{name}/ig-{name}",
    ),
    "workspaces": ("workspaces:workspacespool:DesiredUserSessions", "workspacespool/wspool-{name}"),
}


def _client(service: str, region: str, session: Any = None) -> Any:
    import boto3

    return (session or boto3).client(service, region_name=region)


def register_targets(
    region: str,
    namespace: str,
    count: int,
    *,
    session: Any = None,
    prefix: str = "res",
    min_capacity: int = 2,
    max_capacity: int = 10,
    tags: dict[str, str] | None = None,
) -> list[str]:
    """Register ``count`` targets of ``namespace``; returns their resource ids."""
    dimension, pattern = RESOURCE_ID_FORMATS[namespace]
    aas = _client("application-autoscaling", region, session)
    ids = []
    for i in range(count):
        resource_id = pattern.format(name=f"{prefix}-{i:04d}", region=region)
        params: dict[str, Any] = {
            "ServiceNamespace": namespace,
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "MinCapacity": min_capacity,
            "MaxCapacity": max_capacity,
        }
        if tags:
            params["Tags"] = tags
        aas.register_scalable_target(**params)
        ids.append(resource_id)
    return ids


def create_managed_policies(count: int, *, session: Any = None, prefix: str = "app") -> list[str]:
    """``count`` customer-managed policies with realistic (mostly harmless) documents."""
    iam = _client("iam", "us-east-1", session)
    arns = []
    for i in range(count):
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{prefix}-bucket-{i}/*",
        }
        doc = {"Version": "2012-10-17", "Statement": [statement]}
        resp = iam.create_policy(
            PolicyName=f"{prefix}-policy-{i:04d}", PolicyDocument=json.dumps(doc)
        )
        arns.append(resp["Policy"]["Arn"])
    return arns


@dataclass
class SeededRegion:
    """What ``seed_scenario`` created in one region (tests assert against it)."""

    region: str
    target_ids: dict[str, list[str]] = field(default_factory=dict)
    fixed_capacity: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    missing_alarm_policy: str | None = None
    vpc_id: str | None = None
    endpoint_id: str | None = None
    open_group_id: str | None = None


def seed_scenario(
    region: str,
    *,
    session: Any = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    dynamodb_tables: int = 3,
    ecs_services: int = 3,
    scheduled_actions: int = 2,
    with_endpoint: bool = True,
    with_trail: bool = True,
) -> SeededRegion:
    """A realistic region: several namespaces, policies, schedules, tags, network and logging.

    It holds both sides of most checks: healthy targets next to a fixed-capacity one, a
    suspended one, a single-task ECS service, a policy whose alarm was deleted, a failed
    scaling activity, an endpoint with the default policy and an open security group, a
    trail, an alerting rule, a recorder and Security Hub.
    """
    seeded = SeededRegion(region=region)
    aas = _client("application-autoscaling", region, session)
    ddb = _client("dynamodb", region, session)

    # DynamoDB: provisioned tables with read scaling (write left unscaled) + one on-demand.
    tables = []
    for i in range(dynamodb_tables):
        name = f"orders-{i:03d}"
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        )
        tables.append(name)
    ddb.create_table(
        TableName="sessions-ondemand",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dyn_ids = []
    for name in tables:
        rid = f"table/{name}"
        aas.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            MinCapacity=5,
            MaxCapacity=100,
            Tags={"team": "orders", "env": "prod"},
        )
        aas.put_scaling_policy(
            PolicyName=f"{name}-read-tt",
            ServiceNamespace="dynamodb",
            ResourceId=rid,
            ScalableDimension="dynamodb:table:ReadCapacityUnits",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "DynamoDBReadCapacityUtilization"
                },
            },
        )
        dyn_ids.append(rid)
    seeded.target_ids["dynamodb"] = dyn_ids

    # A policy whose CloudWatch alarms were deleted by hand.
    if tables:
        policy = aas.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId=dyn_ids[0])[
            "ScalingPolicies"
        ][0]
        alarm_names = [a["AlarmName"] for a in policy.get("Alarms", [])]
        _client("cloudwatch", region, session).delete_alarms(AlarmNames=alarm_names[:1])
        seeded.missing_alarm_policy = policy["PolicyName"]

    # ECS services: one runs a single task minimum, one is fixed, one is suspended.
    ecs_ids = register_targets(
        region,
        "ecs",
        ecs_services,
        session=session,
        prefix="web",
        min_capacity=2,
        tags={"team": "web"},
    )
    if ecs_ids:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[0],
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=4,
        )
    if len(ecs_ids) > 1:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[1],
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=3,
            MaxCapacity=3,
        )
        seeded.fixed_capacity.append(ecs_ids[1])
    if len(ecs_ids) > 2:
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=ecs_ids[2],
            ScalableDimension="ecs:service:DesiredCount",
            SuspendedState={"DynamicScalingInSuspended": True},
        )
        seeded.suspended.append(ecs_ids[2])
    for rid in ecs_ids:
        aas.put_scaling_policy(
            PolicyName="cpu-step",
            ServiceNamespace="ecs",
            ResourceId=rid,
            ScalableDimension="ecs:service:DesiredCount",
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={
                "AdjustmentType": "ChangeInCapacity",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
            },
        )
    seeded.target_ids["ecs"] = ecs_ids

    # Other namespaces: Lambda with a schedule, SageMaker, ElastiCache (a 2024 namespace
    # moto did not know), and a custom resource.
    lambda_ids = register_targets(region, "lambda", 1, session=session, prefix="checkout")
    for i in range(scheduled_actions):
        aas.put_scheduled_action(
            ServiceNamespace="lambda",
            ScheduledActionName=f"business-hours-{i:03d}",
            ResourceId=lambda_ids[0],
            ScalableDimension="lambda:function:ProvisionedConcurrency",
            Schedule="cron(0 8 * * ? *)",
            ScalableTargetAction={"MinCapacity": 5, "MaxCapacity": 50},
        )
    seeded.target_ids["lambda"] = lambda_ids
    seeded.target_ids["sagemaker"] = register_targets(
        region, "sagemaker", 1, session=session, prefix="recommender", min_capacity=1
    )
    seeded.target_ids["elasticache"] = register_targets(
        region, "elasticache", 1, session=session, prefix="cache"
    )
    seeded.target_ids["custom-resource"] = register_targets(
        region, "custom-resource", 1, session=session, prefix="1-23456789"
    )

    # A failed scaling activity in the last day.
    add_scaling_activity(
        account_id=account_id,
        region=region,
        namespace="ecs",
        resource_id=ecs_ids[0] if ecs_ids else "service/prod-cluster/web-0000",
        dimension="ecs:service:DesiredCount",
        status_code="Failed",
        status_message="Service is not in ACTIVE state",
        start_time=time.time() - 3600,
    )

    # Network: a VPC with an AAS interface endpoint, default policy, 443 open to the world.
    ec2 = _client("ec2", region, session)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    seeded.vpc_id = vpc_id
    if with_endpoint:
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(
            GroupName="aas-endpoint", Description="AAS endpoint", VpcId=vpc_id
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        endpoint = ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{region}.application-autoscaling",
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            SecurityGroupIds=[sg],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]
        seeded.endpoint_id = endpoint["VpcEndpointId"]
        seeded.open_group_id = sg

    if with_trail:
        s3 = _client("s3", region, session)
        bucket = f"trail-logs-{account_id}-{region}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        ct = _client("cloudtrail", region, session)
        ct.create_trail(
            Name=f"org-trail-{region}",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            EnableLogFileValidation=False,
        )
        ct.start_logging(Name=f"org-trail-{region}")

    events = _client("events", region, session)
    events.put_rule(
        Name="aas-destructive-changes",
        EventPattern=json.dumps(
            {
                "source": ["aws.autoscaling"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["autoscaling.amazonaws.com"],
                    "eventName": ["DeregisterScalableTarget", "DeleteScalingPolicy"],
                },
            }
        ),
        State="ENABLED",
    )

    config = _client("config", region, session)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/config-recorder",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False},
        }
    )
    _client("securityhub", region, session).enable_security_hub()
    return seeded


def seed_iam(*, session: Any = None, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """IAM that the IAM checks care about: an over-broad AAS policy on a role, an
    unscoped ``CreateServiceLinkedRole``, and the DynamoDB service-linked role."""
    iam = _client("iam", "us-east-1", session)
    broad = iam.create_policy(
        PolicyName="scaling-admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName="deployer", PolicyArn=broad)
    slr_trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "dynamodb.application-autoscaling.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(
        RoleName="AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        Path="/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/",
        AssumeRolePolicyDocument=slr_trust,
    )
