"""Service-linked role checks: matched by path and principal, EMR excepted."""

from __future__ import annotations

from typing import Any

import pytest
from inventory_builders import ACCOUNT, account, by_resource, region, run, target

from scalewarden.aws.inventory import IamAuthorization
from scalewarden.checks.lib.aas import SLR_BY_NAMESPACE, slr_principal_of
from scalewarden.checks.model import Status


def slr(principal: str, name: str = "AnyName") -> dict[str, Any]:
    return {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{principal}/{name}",
        "Path": f"/aws-service-role/{principal}/",
        "AssumeRolePolicyDocument": {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ]
        },
    }


def test_namespace_map_matches_the_reference_table() -> None:
    # From the service's "Service-linked role ARN reference" (plus WorkSpaces pools).
    expected = {
        "appstream": "AppStreamFleet",
        "rds": "RDSCluster",
        "comprehend": "ComprehendEndpoint",
        "dynamodb": "DynamoDBTable",
        "ecs": "ECSService",
        "elasticache": "ElastiCacheRG",
        "cassandra": "CassandraTable",
        "lambda": "LambdaConcurrency",
        "kafka": "KafkaCluster",
        "neptune": "NeptuneCluster",
        "sagemaker": "SageMakerEndpoint",
        "ec2": "EC2SpotFleetRequest",
        "custom-resource": "CustomResource",
        "workspaces": "WorkSpacesPool",
    }
    for namespace, suffix in expected.items():
        role = SLR_BY_NAMESPACE[namespace]
        assert role.principal == f"{namespace}.application-autoscaling.amazonaws.com"
        assert role.role_name == f"AWSServiceRoleForApplicationAutoScaling_{suffix}"
    assert "elasticmapreduce" not in SLR_BY_NAMESPACE


def test_every_botocore_namespace_is_covered() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("application-autoscaling")
    namespaces = set(model.shape_for("ServiceNamespace").enum)
    assert namespaces == set(SLR_BY_NAMESPACE) | {"elasticmapreduce"}


def test_roles_are_recognised_by_path_not_name() -> None:
    assert slr_principal_of(slr("ecs.application-autoscaling.amazonaws.com", "Weird_Ecs")) == (
        "ecs.application-autoscaling.amazonaws.com"
    )
    lookalike = {"RoleName": "AWSServiceRoleForApplicationAutoScaling_ECSService", "Path": "/"}
    assert slr_principal_of(lookalike) is None
    other_service = slr("elasticloadbalancing.amazonaws.com")
    assert slr_principal_of(other_service) is None
    bare_path = dict(slr("kafka.application-autoscaling.amazonaws.com"), Path="/aws-service-role/")
    assert slr_principal_of(bare_path) == "kafka.application-autoscaling.amazonaws.com"


def test_missing_role_fails_present_role_and_emr_pass() -> None:
    reg = region(
        targets=[
            target("ecs"),
            target("dynamodb", "table/orders", "dynamodb:table:ReadCapacityUnits"),
            target(
                "elasticmapreduce",
                "instancegroup/j-1/ig-1",
                "elasticmapreduce:instancegroup:InstanceCount",
            ),
        ]
    )
    iam = IamAuthorization(
        roles=[
            slr(
                "ecs.application-autoscaling.amazonaws.com",
                "AWSServiceRoleForApplicationAutoScaling_Ecs",
            )
        ]
    )
    findings = by_resource(run("slr_missing_for_namespace", account(reg, iam=iam)))
    assert findings["ecs"].status is Status.PASS
    assert findings["elasticmapreduce"].status is Status.PASS
    dynamo = findings["dynamodb"]
    assert dynamo.status is Status.FAIL
    assert (
        dynamo.evidence["expected_role_name"]
        == "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
    )
    assert dynamo.evidence["regions"] == ["us-east-1"]


def test_no_targets_means_nothing_missing() -> None:
    findings = run("slr_missing_for_namespace", account(region(), iam=IamAuthorization()))
    assert [f.status for f in findings] == [Status.PASS]


def test_targets_missing_in_one_region_blocks_the_account_verdict() -> None:
    acct = account(
        region("us-east-1", targets=[target()]),
        region("eu-west-1", errors={"scalable_targets:ecs": "Throttling"}),
    )
    # "Unused" is a claim about every region: nothing but ERROR.
    assert [f.status for f in run("slr_unused", acct)] == [Status.ERROR]
    # ECS targets seen in us-east-1 without their role: that FAIL stands; the unread
    # namespace is the ERROR beside it, and no account-wide PASS.
    missing = run("slr_missing_for_namespace", acct)
    assert [f.status for f in missing] == [Status.FAIL, Status.ERROR]
    assert "targets in namespace ecs could not be listed" in missing[1].message


@pytest.mark.parametrize("namespace", ["ecs", "lambda"])
def test_unused_role(namespace: str) -> None:
    iam = IamAuthorization(
        roles=[
            slr("ecs.application-autoscaling.amazonaws.com"),
            slr("lambda.application-autoscaling.amazonaws.com", "LambdaRole"),
            {"RoleName": "app", "Arn": f"arn:aws:iam::{ACCOUNT}:role/app", "Path": "/"},
        ]
    )
    reg = region(
        targets=[target(namespace, "function:f:live", "lambda:function:ProvisionedConcurrency")]
    )
    findings = {f.evidence["namespace"]: f for f in run("slr_unused", account(reg, iam=iam))}
    assert set(findings) == {"ecs", "lambda"}
    other = "lambda" if namespace == "ecs" else "ecs"
    assert findings[namespace].status is Status.PASS
    assert findings[other].status is Status.FAIL
    assert "no scalable targets" in findings[other].message
