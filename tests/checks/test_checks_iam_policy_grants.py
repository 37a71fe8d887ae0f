"""Regression tests for IAM findings that used to be wrong.

Each case is one way a policy grant was misjudged: resources written for the account itself,
service-name conditions that name every service, permissions boundaries, and policies that
only serve as boundaries.
"""

from __future__ import annotations

from typing import Any

import pytest
from inventory_builders import ACCOUNT, account, by_resource, managed_policy, policy_doc, run

from scalewarden.aws.inventory import IamAuthorization
from scalewarden.checks.lib.iam_policy import (
    aas_write_actions,
    aas_write_grant,
    create_slr_grant,
    parse_statements,
)
from scalewarden.checks.model import Status

ALL_WRITES = frozenset(aas_write_actions())
OWN_TARGETS = f"arn:aws:application-autoscaling:*:{ACCOUNT}:scalable-target/*"
WIDE = policy_doc({"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"})


def _policy_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def test_resource_naming_the_scanned_account_covers_every_target() -> None:
    doc = policy_doc(
        {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": OWN_TARGETS}
    )
    statements = parse_statements(doc)
    assert aas_write_grant(statements, ACCOUNT).unrestricted == ALL_WRITES
    one_region = OWN_TARGETS.replace(":*:", ":us-east-1:", 1)
    narrow = parse_statements(
        policy_doc(
            {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": one_region}
        )
    )
    assert aas_write_grant(narrow, ACCOUNT).unrestricted == frozenset()
    iam = IamAuthorization(policies=[managed_policy("own", doc)])
    finding = by_resource(run("iam_policy_aas_write_unrestricted", account(iam=iam)))[
        _policy_arn("own")
    ]
    assert finding.status is Status.FAIL


def test_partition_comes_from_the_accounts_own_arns() -> None:
    doc = policy_doc(
        {
            "Effect": "Allow",
            "Action": "application-autoscaling:*",
            "Resource": "arn:aws-cn:application-autoscaling:*:*:scalable-target/*",
        }
    )
    entry = managed_policy("cn", doc)
    entry["Arn"] = f"arn:aws-cn:iam::{ACCOUNT}:policy/cn"
    findings = run(
        "iam_policy_aas_write_unrestricted", account(iam=IamAuthorization(policies=[entry]))
    )
    assert [f.status for f in findings] == [Status.FAIL]


def test_create_slr_on_the_accounts_own_roles_is_unscoped() -> None:
    doc = policy_doc(
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*",
        }
    )
    assert create_slr_grant(parse_statements(doc), ACCOUNT).unrestricted
    iam = IamAuthorization(policies=[managed_policy("slr-own", doc)])
    finding = by_resource(run("iam_create_slr_unscoped", account(iam=iam)))[_policy_arn("slr-own")]
    assert finding.status is Status.FAIL


def _slr(condition: dict[str, Any]) -> bool:
    doc = policy_doc(
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": condition,
        }
    )
    return bool(create_slr_grant(parse_statements(doc)).unrestricted)


ECS_SLR = "ecs.application-autoscaling.amazonaws.com"


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"iam:AWSServiceName": "*"}},
        {"StringLike": {"iam:AWSServiceName": "*.amazonaws.com"}},
        {"StringLike": {"iam:AWSServiceName": ["*.amazonaws.com", ECS_SLR]}},
        {"StringNotEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        {"StringNotLike": {"iam:AWSServiceName": "*.elasticloadbalancing.amazonaws.com"}},
        {"ForAnyValue:StringLike": {"iam:AWSServiceName": "*"}},
        {"Null": {"iam:AWSServiceName": "false"}},
        {"Null": {"iam:AWSServiceName": False}},
        {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    ],
)
def test_service_name_conditions_that_let_any_service_through(
    condition: dict[str, Any],
) -> None:
    assert _slr(condition)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"iam:AWSServiceName": ECS_SLR}},
        {"StringEquals": {"iam:awsservicename": [ECS_SLR, "dynamodb.amazonaws.com"]}},
        {"StringEqualsIgnoreCase": {"iam:AWSServiceName": ECS_SLR.upper()}},
        {"StringLike": {"iam:AWSServiceName": "*.application-autoscaling.amazonaws.com"}},
        {"ForAnyValue:StringEquals": {"iam:AWSServiceName": ECS_SLR}},
        {"ForAllValues:StringEquals": {"iam:AWSServiceName": ECS_SLR}},
        {"StringEqualsIfExists": {"iam:AWSServiceName": ECS_SLR}},
        {"Null": {"iam:AWSServiceName": True}},
        # Both blocks must hold: the second narrows what the first lets through.
        {
            "StringLike": {"iam:AWSServiceName": "*"},
            "StringEquals": {"iam:AWSServiceName": ECS_SLR},
        },
    ],
)
def test_service_name_conditions_that_restrict(condition: dict[str, Any]) -> None:
    assert not _slr(condition)


def _principal_iam(**role_fields: Any) -> IamAuthorization:
    boundary = policy_doc(
        {
            "Effect": "Allow",
            "Action": ["s3:*", "application-autoscaling:Describe*"],
            "Resource": "*",
        }
    )
    boundary_entry = managed_policy("boundary", boundary)
    boundary_entry["AttachmentCount"] = 0
    boundary_entry["PermissionsBoundaryUsageCount"] = 1
    role = {
        "RoleName": "deployer",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
        "Path": "/",
        "RolePolicyList": [{"PolicyName": "wide", "PolicyDocument": WIDE}],
        "AttachedManagedPolicies": [],
    }
    role.update(role_fields)
    return IamAuthorization(roles=[role], policies=[boundary_entry])


def test_permissions_boundary_caps_principal_write_access() -> None:
    bounded = {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": _policy_arn("boundary"),
    }
    iam = _principal_iam(PermissionsBoundary=bounded)
    finding = run("iam_principal_aas_write_access", account(iam=iam))[0]
    assert finding.status is Status.PASS
    assert "permissions boundary allows none" in finding.message
    assert finding.evidence["permissions_boundary"] == _policy_arn("boundary")
    assert finding.evidence["actions"] == []
    # Without the boundary the same role can change scaling.
    unbounded = run("iam_principal_aas_write_access", account(iam=_principal_iam()))[0]
    assert unbounded.status is Status.FAIL


def test_unreadable_permissions_boundary_is_said_and_not_applied() -> None:
    bounded = {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/not-collected",
    }
    finding = run(
        "iam_principal_aas_write_access", account(iam=_principal_iam(PermissionsBoundary=bounded))
    )[0]
    assert finding.status is Status.FAIL
    assert "permissions boundary could not be read" in finding.message
    assert "permissions_boundary_unread" in finding.evidence


def test_policy_used_only_as_a_boundary_grants_nothing() -> None:
    entry = managed_policy("boundary-wide", WIDE)
    entry["AttachmentCount"] = 0
    entry["PermissionsBoundaryUsageCount"] = 3
    attached = managed_policy("attached-wide", WIDE)
    iam = IamAuthorization(policies=[entry, attached])
    findings = by_resource(run("iam_policy_aas_write_unrestricted", account(iam=iam)))
    boundary = findings[_policy_arn("boundary-wide")]
    assert boundary.status is Status.PASS
    assert boundary.evidence["used_as_permissions_boundary"] is True
    assert findings[_policy_arn("attached-wide")].status is Status.FAIL
