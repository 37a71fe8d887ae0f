"""Hostile IAM policies in a real scan of the local AWS: little work, and ERROR past the limit."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from scalewarden.aws.session import ClientSettings
from scalewarden.checks import iam
from scalewarden.checks.lib import iam_policy
from scalewarden.checks.lib.wildcard import WorkBudget
from scalewarden.checks.model import Status
from scalewarden.localaws import seed_iam
from scalewarden.scan import ScanOptions, ScanScope, run_scan

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=2, read_timeout=10)
IAM_CHECKS = ",".join(
    (
        "iam_policy_aas_write_unrestricted",
        "iam_principal_aas_write_access",
        "iam_create_slr_unscoped",
    )
)


class Meter:
    """Records every work allowance the IAM checks take, to add up the steps they spent."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.budgets: list[WorkBudget] = []
        real = iam_policy.new_budget

        def metered(documents: int = 1) -> WorkBudget:
            budget = real(documents)
            self.budgets.append(budget)
            return budget

        monkeypatch.setattr(iam_policy, "new_budget", metered)
        monkeypatch.setattr(iam, "new_budget", metered)

    def take(self) -> int:
        spent = sum(b.spent for b in self.budgets)
        self.budgets.clear()
        return spent


def scan() -> Any:
    return run_scan(
        ScanScope(regions=["us-east-1"], checks=IAM_CHECKS),
        options=ScanOptions(client_settings=FAST),
    )


def hostile_document() -> dict[str, Any]:
    """The shape that ran for hours: StringLike on iam:AWSServiceName, ``*?*?…#n`` values."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "iam:AWSServiceName": [
                            "*?*?*?*?*?*?*?*?*?*?#0",
                            "*?*?*?*?*?*?*?*?*?*?#1",
                            "*?*?*?*?*?*?*?*?*?*?#2",
                        ]
                    }
                },
            }
        ],
    }


def test_the_hostile_policy_costs_about_nothing_in_a_scan(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_iam()
    meter = Meter(monkeypatch)
    before = scan()
    without = meter.take()
    document = json.dumps(hostile_document(), separators=(",", ":"))
    assert 200 <= len(document) <= 300
    boto3.client("iam").create_policy(PolicyName="slr-guard", PolicyDocument=document)
    after = scan()
    with_policy = meter.take()
    # The policy is judged, rightly (its values let no unlisted service through) ...
    verdicts = {
        (f.check_id, f.status)
        for f in after.findings
        if f.resource_id.endswith(":policy/slr-guard")
    }
    assert verdicts == {
        ("iam_create_slr_unscoped", Status.PASS),
        ("iam_policy_aas_write_unrestricted", Status.PASS),
    }
    # ... and costs a sliver of what the rest of the account costs: the scan's work is
    # about what it is without the policy.
    assert without > 0
    assert with_policy - without < 1_000
    assert with_policy < 1.2 * without
    assert len(after.findings) == len(before.findings) + 2


def test_a_policy_past_the_work_limit_is_an_error_naming_it_redacted(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_iam()
    patterns = [f"*{'?' * 20}#{'?' * (i % 5)}*" for i in range(150)]
    wild = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [*(f"a:{p}" for p in patterns), "application-autoscaling:*"],
                "Resource": [*(f"arn:aws:{p}" for p in patterns), "*"],
            }
        ],
    }
    name = "wild-token=ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    client = boto3.client("iam")
    arn = client.create_policy(PolicyName=name, PolicyDocument=json.dumps(wild))["Policy"]["Arn"]
    client.create_user(UserName="builder")
    client.attach_user_policy(UserName="builder", PolicyArn=arn)
    # Lowered so that a policy AWS accepts crosses it; the real limit is for documents far
    # past AWS's size limits (a stored or forged inventory), tested in test_checks_wildcard.
    monkeypatch.setattr(iam_policy, "POLICY_WORK_LIMIT", 20_000)
    report = scan()
    mine = {f.check_id: f for f in report.findings if "wild-token" in f.resource_id}
    # The write question tries every pattern on every write action: past the limit, ERROR.
    # The service-linked role question is one action that no "a:" pattern names: judged.
    assert mine["iam_policy_aas_write_unrestricted"].status is Status.ERROR
    assert mine["iam_create_slr_unscoped"].status is Status.PASS
    for finding in [mine["iam_policy_aas_write_unrestricted"]]:
        assert "wild-token=[REDACTED:github-token]" in finding.message
        assert "20,000 wildcard matching steps" in finding.message
        assert "AbCdEfGh" not in json.dumps(finding.to_dict())
    # The user holding it is not PASS: it is ERROR, naming the policy it could not judge.
    builder = next(f for f in report.findings if f.resource_id.endswith(":user/builder"))
    assert builder.status is Status.ERROR
    assert builder.evidence["unreadable_policies"] == ["wild-token=[REDACTED:github-token]"]
    # Everything else was still judged: the seeded broad policy is a FAIL.
    assert any(
        f.status is Status.FAIL and f.resource_id.endswith(":policy/scaling-admin")
        for f in report.findings
    )
