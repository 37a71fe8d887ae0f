"""The IAM policy evaluator, on hand-written statements and on 1,523 real AWS managed policies."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from inventory_builders import policy_doc, url_encoded

from reference_data import reference_path
from scalewarden.checks.lib.iam_policy import (
    PolicyParseError,
    aas_write_actions,
    aas_write_grant,
    action_matches,
    classify_operation,
    create_slr_grant,
    load_document,
    parse_statements,
)

MANAGED = reference_path("aws-managed-policies") or Path("shared/reference/aws-managed-policies")
ALL_WRITES = frozenset(aas_write_actions())
#: What ``application-autoscaling:*Scal*`` names: ScalingPolicy and ScalableTarget, not Scheduled.
SCAL = frozenset(
    {
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
    }
)


def grant(*statements: dict[str, Any]) -> frozenset[str]:
    return aas_write_grant(parse_statements(policy_doc(*statements))).unrestricted


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_write_actions_come_from_botocore_and_are_classified() -> None:
    names = {a.split(":", 1)[1] for a in ALL_WRITES}
    assert names == {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
        "TagResource",
        "UntagResource",
    }
    assert classify_operation("DescribeScalableTargets") == "read"
    assert classify_operation("GetPredictiveScalingForecast") == "read"
    with pytest.raises(ValueError, match="unclassified"):
        classify_operation("FrobnicateTargets")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", ALL_WRITES),
        ("*:*", ALL_WRITES),
        ("application-autoscaling:*", ALL_WRITES),
        ("Application-AutoScaling:*", ALL_WRITES),
        (
            "Application-AutoScaling:Put*",
            {
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:PutScheduledAction",
            },
        ),
        ("application-autoscaling:*Scal*", SCAL),
        (
            "application-autoscaling:De*",
            {
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeleteScheduledAction",
                "application-autoscaling:DeregisterScalableTarget",
            },
        ),
        ("application-autoscaling:?agResource", {"application-autoscaling:TagResource"}),
        ("application-autoscaling:Describe*", frozenset()),
        ("autoscaling:*", frozenset()),
    ],
)
def test_action_wildcards_in_any_case(pattern: str, expected: frozenset[str]) -> None:
    assert grant(allow(pattern)) == frozenset(expected)


def test_action_matching_is_whole_string() -> None:
    assert not action_matches(
        "application-autoscaling:Put", "application-autoscaling:PutScalingPolicy"
    )
    assert action_matches(
        "APPLICATION-AUTOSCALING:putscalingpolicy", "application-autoscaling:PutScalingPolicy"
    )


def test_not_action() -> None:
    assert grant({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}) == ALL_WRITES
    assert (
        grant({"Effect": "Allow", "NotAction": "application-autoscaling:*", "Resource": "*"})
        == frozenset()
    )
    rest = grant(
        {"Effect": "Allow", "NotAction": "application-autoscaling:*Scal*", "Resource": "*"}
    )
    assert rest == ALL_WRITES - SCAL


@pytest.mark.parametrize(
    ("resource", "unrestricted"),
    [
        ("*", True),
        ("arn:aws:application-autoscaling:*:*:scalable-target/*", True),
        ("arn:*:application-autoscaling:*:*:*", True),
        ("arn:aws:application-autoscaling:us-east-1:*:scalable-target/*", False),
        ("arn:aws:application-autoscaling:*:*:scalable-target/0ec5a0f3", False),
        ("arn:aws:s3:::bucket/*", False),
    ],
)
def test_resource_scope(resource: str, unrestricted: bool) -> None:
    assert bool(grant(allow("application-autoscaling:*", resource))) is unrestricted


def test_resource_scoped_grant_is_still_reachable() -> None:
    scoped = aas_write_grant(
        parse_statements(
            policy_doc(
                allow(
                    "application-autoscaling:*",
                    "arn:aws:application-autoscaling:*:*:scalable-target/abc",
                )
            )
        )
    )
    assert scoped.unrestricted == frozenset()
    assert scoped.reachable == ALL_WRITES
    other = aas_write_grant(parse_statements(policy_doc(allow("*", "arn:aws:s3:::bucket"))))
    assert other.reachable == frozenset()


def test_not_resource() -> None:
    assert (
        grant(
            {
                "Effect": "Allow",
                "Action": "application-autoscaling:*",
                "NotResource": "arn:aws:s3:::*",
            }
        )
        == ALL_WRITES
    )
    assert (
        grant(
            {
                "Effect": "Allow",
                "Action": "application-autoscaling:*",
                "NotResource": "arn:aws:application-autoscaling:*:*:scalable-target/*",
            }
        )
        == frozenset()
    )
    excluded_one = aas_write_grant(
        parse_statements(
            policy_doc(
                {
                    "Effect": "Allow",
                    "Action": "application-autoscaling:*",
                    "NotResource": "arn:aws:application-autoscaling:*:*:scalable-target/secret",
                }
            )
        )
    )
    assert excluded_one.unrestricted == frozenset() and excluded_one.reachable == ALL_WRITES


def test_any_condition_makes_an_allow_restricted() -> None:
    conditioned = allow(
        "application-autoscaling:*",
        Condition={"StringEquals": {"application-autoscaling:service-namespace": "ecs"}},
    )
    result = aas_write_grant(parse_statements(policy_doc(conditioned)))
    assert result.unrestricted == frozenset()
    assert result.reachable == ALL_WRITES


def test_explicit_deny_cancels_only_when_unconditional_and_everywhere() -> None:
    deny_all = {"Effect": "Deny", "Action": "application-autoscaling:*", "Resource": "*"}
    assert grant(allow("*"), deny_all) == frozenset()
    deny_delete = {"Effect": "Deny", "Action": "application-autoscaling:Delete*", "Resource": "*"}
    assert grant(allow("*"), deny_delete) == ALL_WRITES - {
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeleteScheduledAction",
    }
    conditional = dict(deny_all, Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})
    result = aas_write_grant(parse_statements(policy_doc(allow("*"), conditional)))
    assert result.unrestricted == ALL_WRITES
    assert result.partial_denies == ("#1",)
    one_target = dict(deny_all, Resource="arn:aws:application-autoscaling:*:*:scalable-target/x")
    assert grant(allow("*"), one_target) == ALL_WRITES
    not_action_deny = {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}
    assert grant(allow("*"), not_action_deny) == frozenset()


def test_documents_as_dict_json_and_url_encoded() -> None:
    doc = policy_doc(allow("application-autoscaling:*"))
    for form in (doc, json.dumps(doc), url_encoded(doc)):
        assert aas_write_grant(parse_statements(form)).unrestricted == ALL_WRITES
    single = {"Version": "2012-10-17", "Statement": allow("*")}
    assert aas_write_grant(parse_statements(single)).unrestricted == ALL_WRITES


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "missing"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}, "Effect"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "exactly one of Action"),
        ({"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "*"}]}, "Action must be"),
    ],
)
def test_malformed_documents_raise_clear_errors(document: Any, message: str) -> None:
    with pytest.raises(PolicyParseError, match=message):
        parse_statements(document)


def test_load_document_keeps_dicts() -> None:
    assert load_document({"Statement": []}) == {"Statement": []}


def test_create_slr_needs_a_real_service_name_condition() -> None:
    def unscoped(*statements: dict[str, Any]) -> bool:
        return bool(create_slr_grant(parse_statements(policy_doc(*statements))).unrestricted)

    assert unscoped(allow("iam:CreateServiceLinkedRole"))
    assert unscoped(allow("iam:*"))
    assert unscoped(allow("*", Condition={"Bool": {"aws:SecureTransport": "true"}}))
    assert unscoped(
        allow("iam:CreateServiceLinkedRole", Condition={"StringLike": {"iam:AWSServiceName": "*"}})
    )
    assert not unscoped(
        allow(
            "iam:CreateServiceLinkedRole",
            Condition={
                "StringEquals": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}
            },
        )
    )
    assert not unscoped(
        allow(
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::*:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*",
        )
    )


# --- real AWS managed policies -------------------------------------------------------------

# Verified by reading each document: every one allows the listed AAS write actions on
# Resource "*" (or through NotAction on "*") in a statement without a Condition, and no
# unconditional Deny takes them back.
EXPECTED_UNRESTRICTED: dict[str, set[str]] = {
    "AdministratorAccess": set(),  # all eight (empty = all)
    "PowerUserAccess": set(),  # NotAction iam:*, organizations:*, account:* on "*"
    "AmazonAppStreamFullAccess": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
    "AWSThinkboxDeadlineResourceTrackerAdminPolicy": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonDataZoneSageMakerEnvironmentRolePermissionsBoundary": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
    "AmazonDynamoDBFullAccess": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonECS_FullAccess": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonEMRServicePolicy_v2": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonElasticMapReduceRole": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonKeyspacesFullAccess": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
    "AmazonMCSFullAccess": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
    "AmazonRDSFullAccess": {
        "DeleteScalingPolicy",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "AmazonSageMakerFullAccess": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
    "DynamoDBReplicationServiceRolePolicy": {"PutScalingPolicy", "RegisterScalableTarget"},
    "KeyspacesReplicationServiceRolePolicy": {
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "RegisterScalableTarget",
    },
    "SageMakerStudioProjectUserRolePermissionsBoundary": {
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "RegisterScalableTarget",
    },
}

# Grant writes only under a condition or on a scoped resource ARN: reachable, not unrestricted.
EXPECTED_CONDITIONAL = {
    "AWSMcpServiceActionsFullAccess",  # "*" only when aws:IsMcpServiceAction
    "AmazonDynamoDBFullAccess_v2",  # service-namespace = dynamodb
    "AmazonECSInfrastructureRoleforExpressGatewayServices",  # resource tag / namespace
    "AmazonSageMakerCanvasFullAccess",  # namespace + dimension
    "ConsoleFullAccessFromVercel",  # service-namespace = dynamodb
    "DynamoDBGlobalTableSettingsManagementServiceRolePolicy",
    "SageMakerStudioProjectRoleMachineLearningPolicy",  # namespace = sagemaker
}

# Skipped locally without the documents; under CI (``CI`` set) they must be there, so the
# tests run and fail loudly instead of hiding a broken set-up.
needs_reference = pytest.mark.skipif(
    not MANAGED.is_dir() and not os.environ.get("CI"),
    reason="AWS managed policy reference documents are not available",
)


def _managed(name: str) -> Any:
    return json.loads((MANAGED / f"{name}.json").read_text())


@needs_reference
@pytest.mark.parametrize("name", ["AdministratorAccess", "PowerUserAccess"])
def test_admin_and_power_user_grant_every_write(name: str) -> None:
    assert aas_write_grant(parse_statements(_managed(name))).unrestricted == ALL_WRITES


@needs_reference
@pytest.mark.parametrize("name", ["ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit"])
def test_read_only_policies_grant_no_write(name: str) -> None:
    result = aas_write_grant(parse_statements(_managed(name)))
    assert result.unrestricted == frozenset() and result.reachable == frozenset()


@needs_reference
def test_scan_of_every_aws_managed_policy() -> None:
    files = sorted(MANAGED.glob("*.json"))
    assert len(files) == 1523
    unrestricted: dict[str, set[str]] = {}
    conditional: set[str] = set()
    for path in files:
        result = aas_write_grant(parse_statements(json.loads(path.read_text())))
        if result.unrestricted:
            unrestricted[path.stem] = {a.split(":", 1)[1] for a in result.unrestricted}
        elif result.reachable:
            conditional.add(path.stem)
    expected = {
        name: (actions or {a.split(":", 1)[1] for a in ALL_WRITES})
        for name, actions in EXPECTED_UNRESTRICTED.items()
    }
    assert unrestricted == expected
    assert conditional == EXPECTED_CONDITIONAL
