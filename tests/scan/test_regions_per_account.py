"""``--regions all`` over many accounts: each account is scanned in the regions *it* enabled.

Opt-in regions are enabled per account. moto answers ``ec2:DescribeRegions`` with one fixed
list for every account, so these tests give its backend per-account opt-in statuses (the
server runs in this process); everything else, including AssumeRole switching moto's
account, is the real collector against the local AWS.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from scalewarden.aws.accounts import role_arn
from scalewarden.aws.session import ClientSettings
from scalewarden.checks.model import Status
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws, register_targets
from scalewarden.scan import ScanError, ScanOptions, ScanScope, run_scan

FAST = ClientSettings(max_attempts=2, retry_mode="standard", connect_timeout=2, read_timeout=10)
MEMBER = "222222222222"
#: Opt-in status per account: each has enabled one opt-in region the other has not.
OPT_IN: dict[str, dict[str, str]] = {
    DEFAULT_ACCOUNT_ID: {
        "us-east-1": "opt-in-not-required",
        "ap-east-1": "opted-in",
        "me-south-1": "not-opted-in",
    },
    MEMBER: {
        "us-east-1": "opt-in-not-required",
        "ap-east-1": "not-opted-in",
        "me-south-1": "opted-in",
    },
}


@pytest.fixture
def per_account_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's DescribeRegions answer per account, as AWS does for opt-in regions."""
    from moto.ec2.models.availability_zones_and_regions import Region, RegionsAndZonesBackend

    def describe_regions(self: Any, region_names: list[str] | None = None) -> list[Region]:
        statuses = OPT_IN.get(self.account_id, {"us-east-1": "opt-in-not-required"})
        return [
            Region(name, f"ec2.{name}.amazonaws.com", status)
            for name, status in statuses.items()
            if not region_names or name in region_names
        ]

    monkeypatch.setattr(RegionsAndZonesBackend, "describe_regions", describe_regions)


def disable_regions_as_aws_does(local_aws: LocalAws) -> None:
    """A region an account has not enabled refuses that account's credentials there."""
    for account, statuses in OPT_IN.items():
        for region, status in statuses.items():
            if status == "not-opted-in":
                local_aws.inject_fault(
                    "*",
                    "*",
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                    account_id=account,
                    region=region,
                )


def member_session() -> boto3.Session:
    creds = boto3.client("sts").assume_role(
        RoleArn=role_arn(MEMBER, "seeder"), RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def scan_all(calls: Counter[str], regions: list[str] | None = None) -> Any:
    def on_client(client: Any) -> None:
        client.meta.events.register(
            "before-call", lambda model, **_: calls.update([model.name]), unique_id="count"
        )

    return run_scan(
        ScanScope(
            regions=regions or ["all"],
            accounts=[DEFAULT_ACCOUNT_ID, MEMBER],
            role_name="ScalewardenReadOnly",
            checks="target_fixed_capacity",
        ),
        options=ScanOptions(client_settings=FAST, on_client=on_client),
    )


@pytest.mark.usefixtures("per_account_regions")
def test_all_means_each_accounts_own_enabled_regions(aws_env: str, local_aws: LocalAws) -> None:
    register_targets("ap-east-1", "dynamodb", 1, prefix="caller", min_capacity=5, max_capacity=5)
    register_targets(
        "me-south-1",
        "dynamodb",
        1,
        session=member_session(),
        prefix="member",
        min_capacity=5,
        max_capacity=5,
    )
    disable_regions_as_aws_does(local_aws)
    calls: Counter[str] = Counter()

    report = scan_all(calls)

    regions = {a["id"]: a["regions"] for a in report.accounts}
    assert regions == {
        DEFAULT_ACCOUNT_ID: ["ap-east-1", "us-east-1"],
        MEMBER: ["me-south-1", "us-east-1"],
    }
    assert report.regions == ["ap-east-1", "me-south-1", "us-east-1"]  # the union
    # No region an account has not enabled was scanned: no RegionDisabled, no gap at all.
    assert report.coverage == []
    assert not [f for f in report.findings if f.status == Status.ERROR]
    # The regions only the member enabled were scanned for it, and the findings say where.
    failing = {(f.account_id, f.region) for f in report.findings if f.status == Status.FAIL}
    assert failing == {(DEFAULT_ACCOUNT_ID, "ap-east-1"), (MEMBER, "me-south-1")}
    # One DescribeRegions per account, nothing more.
    assert calls["DescribeRegions"] == 2


@pytest.mark.usefixtures("per_account_regions")
def test_explicit_regions_stay_the_same_for_every_account(aws_env: str) -> None:
    calls: Counter[str] = Counter()
    report = scan_all(calls, regions=["us-east-1"])
    assert {a["id"]: a["regions"] for a in report.accounts} == {
        DEFAULT_ACCOUNT_ID: ["us-east-1"],
        MEMBER: ["us-east-1"],
    }
    assert calls["DescribeRegions"] == 0


@pytest.mark.usefixtures("per_account_regions")
def test_a_member_whose_regions_cannot_be_read_is_a_gap_not_an_abort(
    aws_env: str, local_aws: LocalAws
) -> None:
    local_aws.inject_fault(
        "ec2", "DescribeRegions", "UnauthorizedOperation", "not allowed", account_id=MEMBER
    )
    report = scan_all(Counter())
    assert report.regions == ["ap-east-1", "us-east-1"]
    member = [f for f in report.findings if f.account_id == MEMBER]
    assert member and {f.status for f in member} == {Status.ERROR}
    assert "could not list the account's enabled regions: AccessDenied" in member[0].message
    # The caller's own account was scanned as usual: every gap belongs to the member.
    assert report.coverage and {c["account_id"] for c in report.coverage} == {MEMBER}


@pytest.mark.usefixtures("per_account_regions")
def test_the_only_account_without_a_region_list_cannot_run(
    aws_env: str, local_aws: LocalAws
) -> None:
    local_aws.inject_fault("ec2", "DescribeRegions", "UnauthorizedOperation", "not allowed")
    with pytest.raises(ScanError, match="enabled regions: AccessDenied"):
        run_scan(ScanScope(regions=["all"]), options=ScanOptions(client_settings=FAST))
