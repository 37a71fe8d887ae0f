"""IAM checks on hand-made GetAccountAuthorizationDetails data."""

from __future__ import annotations

from typing import Any

from inventory_builders import (
    ACCOUNT,
    account,
    aws_managed_policy,
    by_resource,
    managed_policy,
    policy_doc,
    run,
    url_encoded,
)

from scalewarden.aws.inventory import GLOBAL_REGION, IamAuthorization
from scalewarden.checks.iam import inline_resource_id
from scalewarden.checks.model import Status

WIDE = policy_doc({"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"})
SCOPED = policy_doc(
    {
        "Effect": "Allow",
        "Action": "application-autoscaling:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"application-autoscaling:service-namespace": "ecs"}},
    }
)
READ = policy_doc(
    {"Effect": "Allow", "Action": "application-autoscaling:Describe*", "Resource": "*"}
)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/deployer"


def role(name: str = "deployer", **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "Path": "/",
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
    }
    data.update(kw)
    return data


def test_unrestricted_customer_policy_fails_and_scoped_passes() -> None:
    iam = IamAuthorization(
        policies=[
            managed_policy("wide", WIDE),
            managed_policy("scoped", url_encoded(SCOPED)),
            aws_managed_policy(
                "AdministratorAccess",
                policy_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ),
        ]
    )
    findings = by_resource(run("iam_policy_aas_write_unrestricted", account(iam=iam)))
    wide = findings[f"arn:aws:iam::{ACCOUNT}:policy/wide"]
    assert wide.status is Status.FAIL and wide.region == GLOBAL_REGION
    assert wide.resource_arn == f"arn:aws:iam::{ACCOUNT}:policy/wide"
    assert "RegisterScalableTarget" in wide.message
    assert len(wide.evidence["actions"]) == 8
    scoped = findings[f"arn:aws:iam::{ACCOUNT}:policy/scoped"]
    assert scoped.status is Status.PASS and "scoped by resource or condition" in scoped.message
    # AWS managed policies are not this check's business (customers cannot edit them).
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in findings


def test_default_version_is_the_one_evaluated() -> None:
    entry = managed_policy("versions", READ)
    entry["PolicyVersionList"][0]["Document"] = WIDE  # old, non-default version
    findings = run(
        "iam_policy_aas_write_unrestricted", account(iam=IamAuthorization(policies=[entry]))
    )
    assert [f.status for f in findings] == [Status.PASS]


def test_inline_policies_of_users_groups_and_roles() -> None:
    iam = IamAuthorization(
        users=[
            {
                "UserName": "alice",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "UserPolicyList": [{"PolicyName": "scale", "PolicyDocument": WIDE}],
            }
        ],
        groups=[
            {
                "GroupName": "ops",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops",
                "GroupPolicyList": [{"PolicyName": "read", "PolicyDocument": READ}],
            }
        ],
        roles=[
            role(RolePolicyList=[{"PolicyName": "deploy", "PolicyDocument": url_encoded(WIDE)}])
        ],
    )
    findings = by_resource(run("iam_policy_aas_write_unrestricted", account(iam=iam)))
    assert (
        findings[inline_resource_id(f"arn:aws:iam::{ACCOUNT}:user/alice", "scale")].status
        is Status.FAIL
    )
    assert (
        findings[inline_resource_id(f"arn:aws:iam::{ACCOUNT}:group/ops", "read")].status
        is Status.PASS
    )
    deploy = findings[inline_resource_id(ROLE_ARN, "deploy")]
    assert deploy.status is Status.FAIL and deploy.resource_arn == ROLE_ARN
    assert deploy.evidence["policy_kind"] == "inline"


def test_unreadable_policy_is_an_error_for_that_policy_only() -> None:
    iam = IamAuthorization(
        policies=[managed_policy("broken", "%7Bnot json"), managed_policy("wide", WIDE)]
    )
    findings = by_resource(run("iam_policy_aas_write_unrestricted", account(iam=iam)))
    assert findings[f"arn:aws:iam::{ACCOUNT}:policy/broken"].status is Status.ERROR
    assert findings[f"arn:aws:iam::{ACCOUNT}:policy/wide"].status is Status.FAIL


def test_no_policies_passes_with_one_finding() -> None:
    findings = run("iam_policy_aas_write_unrestricted", account(iam=IamAuthorization()))
    assert [f.status for f in findings] == [Status.PASS]


def test_iam_missing_is_error() -> None:
    acct = account(errors={"iam_authorization": "AccessDenied: iam:GetAccountAuthorizationDetails"})
    for check_id in (
        "iam_policy_aas_write_unrestricted",
        "iam_principal_aas_write_access",
        "iam_create_slr_unscoped",
    ):
        findings = run(check_id, acct)
        assert [f.status for f in findings] == [Status.ERROR]
        assert "GetAccountAuthorizationDetails" in findings[0].message


def _principal_iam(**role_kw: Any) -> IamAuthorization:
    power = aws_managed_policy(
        "PowerUserAccess",
        policy_doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
    )
    return IamAuthorization(
        users=[
            {
                "UserName": "alice",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "GroupList": ["ops"],
                "UserPolicyList": [],
                "AttachedManagedPolicies": [],
            },
            {
                "UserName": "bob",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
                "GroupList": [],
                "UserPolicyList": [{"PolicyName": "read", "PolicyDocument": READ}],
                "AttachedManagedPolicies": [],
            },
        ],
        groups=[
            {
                "GroupName": "ops",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "PowerUserAccess", "PolicyArn": power["Arn"]}
                ],
            }
        ],
        roles=[role(**role_kw)],
        policies=[power, managed_policy("scoped", SCOPED)],
    )


def test_principal_access_through_aws_managed_and_group_policies() -> None:
    iam = _principal_iam(
        AttachedManagedPolicies=[
            {"PolicyName": "scoped", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/scoped"}
        ]
    )
    findings = by_resource(run("iam_principal_aas_write_access", account(iam=iam)))
    alice = findings[f"arn:aws:iam::{ACCOUNT}:user/alice"]
    assert alice.status is Status.FAIL and "on every target" in alice.message
    assert alice.evidence["unrestricted_actions"]  # via the group's PowerUserAccess
    group = findings[f"arn:aws:iam::{ACCOUNT}:group/ops"]
    assert group.status is Status.FAIL
    deployer = findings[ROLE_ARN]
    assert deployer.status is Status.FAIL and "within the policies' limits" in deployer.message
    assert deployer.evidence["unrestricted_actions"] == []
    bob = findings[f"arn:aws:iam::{ACCOUNT}:user/bob"]
    assert bob.status is Status.PASS


def test_principal_deny_in_another_policy_removes_access() -> None:
    deny = policy_doc({"Effect": "Deny", "Action": "application-autoscaling:*", "Resource": "*"})
    iam = _principal_iam(
        RolePolicyList=[
            {"PolicyName": "allow", "PolicyDocument": WIDE},
            {"PolicyName": "deny", "PolicyDocument": deny},
        ]
    )
    findings = by_resource(run("iam_principal_aas_write_access", account(iam=iam)))
    assert findings[ROLE_ARN].status is Status.PASS


def test_principal_with_missing_managed_document_says_so() -> None:
    missing_arn = "arn:aws:iam::aws:policy/AmazonECS_FullAccess"
    iam = _principal_iam(AttachedManagedPolicies=[{"PolicyName": "x", "PolicyArn": missing_arn}])
    deployer = by_resource(run("iam_principal_aas_write_access", account(iam=iam)))[ROLE_ARN]
    assert deployer.status is Status.ERROR
    assert deployer.evidence["missing_policy_documents"] == [missing_arn]
    assert "not available" in deployer.message
    # With another grant the principal is still reported, with the gap in evidence.
    iam = _principal_iam(
        AttachedManagedPolicies=[{"PolicyName": "x", "PolicyArn": missing_arn}],
        RolePolicyList=[{"PolicyName": "allow", "PolicyDocument": WIDE}],
    )
    deployer = by_resource(run("iam_principal_aas_write_access", account(iam=iam)))[ROLE_ARN]
    assert deployer.status is Status.FAIL
    assert deployer.evidence["missing_policy_documents"] == [missing_arn]


def test_managed_policy_name_derived_from_arn_when_missing() -> None:
    entry = managed_policy("wide", WIDE)
    del entry["PolicyName"]
    findings = run(
        "iam_policy_aas_write_unrestricted", account(iam=IamAuthorization(policies=[entry]))
    )
    assert "policy wide allows" in findings[0].message.lower()


def test_create_slr_unscoped() -> None:
    unscoped = policy_doc(
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"}
    )
    scoped = policy_doc(
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {
                "StringLike": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}
            },
        }
    )
    iam = IamAuthorization(
        policies=[managed_policy("slr-any", unscoped), managed_policy("slr-ecs", scoped)]
    )
    findings = by_resource(run("iam_create_slr_unscoped", account(iam=iam)))
    assert findings[f"arn:aws:iam::{ACCOUNT}:policy/slr-any"].status is Status.FAIL
    assert findings[f"arn:aws:iam::{ACCOUNT}:policy/slr-ecs"].status is Status.PASS
