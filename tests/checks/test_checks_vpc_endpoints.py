"""Interface endpoint checks for com.amazonaws.<region>.application-autoscaling."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inventory_builders import account, by_resource, region, run, target

from scalewarden.aws.inventory import IngressRule, SecurityGroup, VpcEndpoint
from scalewarden.checks.model import Status
from scalewarden.checks.vpc_endpoints import is_full_access_policy, rule_allows_https_from_anywhere

SERVICE = "com.amazonaws.us-east-1.application-autoscaling"
FULL = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
)
ORG_ONLY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
            }
        ]
    }
)


def endpoint(endpoint_id: str = "vpce-1", **kw: Any) -> VpcEndpoint:
    values: dict[str, Any] = {
        "vpc_id": "vpc-1",
        "service_name": SERVICE,
        "endpoint_type": "Interface",
        "state": "available",
        "policy_document": ORG_ONLY,
        "private_dns_enabled": True,
        "security_group_ids": ("sg-1",),
    }
    values.update(kw)
    return VpcEndpoint(endpoint_id, **values)


def test_missing_endpoint_fails_only_with_targets_and_vpcs() -> None:
    fail = run("vpc_endpoint_aas_missing", account(region(targets=[target()], vpc_ids=["vpc-1"])))
    assert [f.status for f in fail] == [Status.FAIL]
    assert fail[0].resource_id == "111122223333/us-east-1"
    no_vpc = run("vpc_endpoint_aas_missing", account(region(targets=[target()])))
    assert [f.status for f in no_vpc] == [Status.PASS]
    no_targets = run("vpc_endpoint_aas_missing", account(region(vpc_ids=["vpc-1"])))
    assert [f.status for f in no_targets] == [Status.PASS]


def test_endpoint_present_passes_but_other_services_and_pending_do_not_count() -> None:
    good = region(targets=[target()], vpc_ids=["vpc-1", "vpc-2"], vpc_endpoints=[endpoint()])
    findings = run("vpc_endpoint_aas_missing", account(good))
    assert [f.status for f in findings] == [Status.PASS]
    assert findings[0].evidence["vpcs_with_endpoint"] == ["vpc-1"]
    wrong = region(
        targets=[target()],
        vpc_ids=["vpc-1"],
        vpc_endpoints=[
            endpoint(service_name="com.amazonaws.us-east-1.autoscaling"),
            endpoint("vpce-2", state="pendingAcceptance"),
            endpoint("vpce-3", service_name="com.amazonaws.eu-west-1.application-autoscaling"),
        ],
    )
    assert [f.status for f in run("vpc_endpoint_aas_missing", account(wrong))] == [Status.FAIL]


def test_missing_endpoint_inputs_give_error() -> None:
    reg = region(targets=[target()], errors={"vpc_endpoints": "UnauthorizedOperation"})
    findings = run("vpc_endpoint_aas_missing", account(reg))
    assert [f.status for f in findings] == [Status.ERROR]


def test_full_access_policy_detection() -> None:
    assert is_full_access_policy(None)
    assert is_full_access_policy(FULL)
    assert not is_full_access_policy(ORG_ONLY)
    named = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::1:root"},
                    "Action": "*",
                    "Resource": "*",
                }
            ]
        }
    )
    assert not is_full_access_policy(named)
    reads_only = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "application-autoscaling:Describe*",
                    "Resource": "*",
                }
            ]
        }
    )
    assert not is_full_access_policy(reads_only)


def test_policy_check() -> None:
    reg = region(
        vpc_endpoints=[
            endpoint("vpce-full", policy_document=FULL),
            endpoint("vpce-org"),
            endpoint("vpce-bad", policy_document="{oops"),
        ]
    )
    findings = by_resource(run("vpc_endpoint_aas_policy_full_access", account(reg)))
    assert findings["vpce-full"].status is Status.FAIL
    assert findings["vpce-org"].status is Status.PASS
    assert findings["vpce-bad"].status is Status.ERROR


def test_private_dns() -> None:
    reg = region(
        vpc_endpoints=[endpoint("vpce-on"), endpoint("vpce-off", private_dns_enabled=False)]
    )
    findings = by_resource(run("vpc_endpoint_aas_private_dns_disabled", account(reg)))
    assert findings["vpce-on"].status is Status.PASS
    assert findings["vpce-off"].status is Status.FAIL


@pytest.mark.parametrize(
    ("rule", "open_"),
    [
        (IngressRule("tcp", 443, 443, ("0.0.0.0/0",)), True),
        (IngressRule("tcp", 0, 65535, (), ("::/0",)), True),
        (IngressRule("-1", None, None, ("0.0.0.0/0",)), True),
        (IngressRule("tcp", 443, 443, ("10.0.0.0/16",)), False),
        (IngressRule("tcp", 80, 80, ("0.0.0.0/0",)), False),
        (IngressRule("udp", 443, 443, ("0.0.0.0/0",)), False),
        (IngressRule("tcp", 443, 443, ("not-a-cidr",)), False),
    ],
)
def test_open_rule(rule: IngressRule, open_: bool) -> None:
    assert rule_allows_https_from_anywhere(rule) is open_


def test_sg_check() -> None:
    reg = region(
        vpc_endpoints=[
            endpoint("vpce-open", security_group_ids=("sg-open", "sg-ok")),
            endpoint("vpce-ok", security_group_ids=("sg-ok",)),
            endpoint("vpce-unknown", security_group_ids=("sg-gone",)),
        ],
        security_groups={
            "sg-open": SecurityGroup(
                "sg-open", "vpc-1", (IngressRule("tcp", 443, 443, ("0.0.0.0/0",)),)
            ),
            "sg-ok": SecurityGroup(
                "sg-ok", "vpc-1", (IngressRule("tcp", 443, 443, ("10.0.0.0/8",)),)
            ),
        },
    )
    findings = by_resource(run("vpc_endpoint_aas_sg_open", account(reg)))
    assert findings["vpce-open"].status is Status.FAIL
    assert findings["vpce-open"].evidence["open_groups"] == ["sg-open"]
    assert findings["vpce-ok"].status is Status.PASS
    assert findings["vpce-unknown"].status is Status.ERROR
    blocked = region(vpc_endpoints=[endpoint()], errors={"security_groups": "AccessDenied"})
    assert [f.status for f in run("vpc_endpoint_aas_sg_open", account(blocked))] == [Status.ERROR]


def test_china_endpoint_with_the_cn_prefix_counts_as_present() -> None:
    cn = "cn-north-1"
    prefixed = endpoint(service_name=f"cn.com.amazonaws.{cn}.application-autoscaling")
    reg = region(cn, targets=[target()], vpc_ids=["vpc-1"], vpc_endpoints=[prefixed])
    findings = run("vpc_endpoint_aas_missing", account(reg))
    assert [f.status for f in findings] == [Status.PASS]
    # The same prefix outside China is some other service's name, not ours.
    elsewhere = endpoint(service_name="cn.com.amazonaws.us-east-1.application-autoscaling")
    reg = region(targets=[target()], vpc_ids=["vpc-1"], vpc_endpoints=[elsewhere])
    assert [f.status for f in run("vpc_endpoint_aas_missing", account(reg))] == [Status.FAIL]
