"""Credentials the scan cannot use, organizations it cannot list, and long multi-account runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from scalewarden.aws.accounts import assume_role_session
from scalewarden.cli import app
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws, seed_scenario

runner = CliRunner()


def scan(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", "--format", "json", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("InvalidClientTokenId", "The security token included in the request is invalid."),
        ("ExpiredToken", "The security token included in the request is expired"),
        ("SignatureDoesNotMatch", "The request signature we calculated does not match"),
    ],
)
def test_rejected_credentials_exit_4_naming_the_credentials(
    aws_env: str, local_aws: LocalAws, code: str, message: str
) -> None:
    local_aws.inject_fault("sts", "GetCallerIdentity", code, message)
    status, out, err = scan("--checks", "target_fixed_capacity")
    assert status == 4 and out == ""  # the local set-up's credentials, not the scan, failed
    assert "InvalidCredentials" in err and code in err
    assert "RegionDisabled" not in err  # not a region problem: the credentials were refused
    assert "Traceback" not in err and "testing" not in err


def test_organization_not_in_use_is_a_clear_exit_3(aws_env: str, local_aws: LocalAws) -> None:
    local_aws.inject_fault(
        "organizations",
        "ListAccounts",
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )
    status, out, err = scan("--organization", "--role-name", "ScalewardenReadOnly")
    assert status == 3 and out == ""
    assert "AWSOrganizationsNotInUseException" in err and "management account" in err


def test_organization_not_management_account(aws_env: str, local_aws: LocalAws) -> None:
    local_aws.inject_fault(
        "organizations", "ListAccounts", "AccessDeniedException", "not the management account"
    )
    status, _, err = scan("--organization", "--role-name", "ScalewardenReadOnly")
    assert status == 3
    assert "AccessDenied" in err and "Traceback" not in err


def test_organization_with_no_account_never_passes(aws_env: str) -> None:
    # moto lists no account for an account outside any organization; a scan of nothing
    # used to print an empty report and exit 0.
    status, out, err = scan("--organization", "--role-name", "ScalewardenReadOnly")
    assert status == 3 and out == ""
    assert "no ACTIVE account" in err


def test_organization_filter_names_accounts_outside_it(aws_env: str) -> None:
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    status, out, err = scan(
        "--organization", "--role-name", "R", "--accounts", f"{DEFAULT_ACCOUNT_ID},999999999999"
    )
    assert status == 2 and out == ""
    assert "999999999999" in err


class FakeSts:
    """Answers AssumeRole with credentials that expire ``lifetime`` after each call."""

    def __init__(self, lifetime: timedelta) -> None:
        self.lifetime = lifetime
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        n = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{n:016d}",
                "SecretAccessKey": f"secret-{n}",
                "SessionToken": f"token-{n}",
                "Expiration": datetime.now(UTC) + self.lifetime,
            }
        }


def test_assumed_role_credentials_are_renewed_before_they_expire() -> None:
    # A large organization is entered up front and collected later: credentials assumed at
    # the start must not expire under the accounts collected last.
    sts = FakeSts(lifetime=timedelta(seconds=60))  # inside botocore's refresh window
    session = assume_role_session(sts, "111111111111", "team/Scanner", "ext-id-1", "us-east-1")
    assert len(sts.calls) == 1  # assumed once up front: failures are known before collecting
    assert sts.calls[0] == {
        "RoleArn": "arn:aws:iam::111111111111:role/team/Scanner",
        "RoleSessionName": "scalewarden-scan",
        "ExternalId": "ext-id-1",
    }
    frozen = session.get_credentials().get_frozen_credentials()
    assert len(sts.calls) == 2  # about to expire: assumed again instead of used stale
    assert frozen.access_key == "ASIA0000000000000002"


def test_fresh_assumed_credentials_are_reused() -> None:
    sts = FakeSts(lifetime=timedelta(hours=1))
    session = assume_role_session(sts, "111111111111", "Scanner", None, "us-east-1")
    for _ in range(3):
        session.get_credentials().get_frozen_credentials()
    assert len(sts.calls) == 1
    assert "ExternalId" not in sts.calls[0]


def test_many_accounts_each_reached_with_their_own_role(aws_env: str) -> None:
    others = [f"{n:012d}" for n in range(111111111111, 111111111111 + 5)]
    for account in others:
        seed_scenario("us-east-1", session=_assumed(account), account_id=account)
    status, out, _ = scan(
        "--accounts",
        ",".join(others),
        "--role-name",
        "ScalewardenReadOnly",
        "--checks",
        "target_fixed_capacity",
        "--fail-on",
        "critical",
    )
    report = json.loads(out)
    assert status == 0
    assert [a["id"] for a in report["accounts"]] == others  # requested order kept
    failing = {f["account_id"] for f in report["findings"] if f["status"] == "FAIL"}
    assert failing == set(others)
    assert report["coverage"] == []


def _assumed(account_id: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/seeder", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def test_assumed_sessions_share_one_model_loader_but_not_credentials() -> None:
    # Parsing the service models again for every account cost ~0.2 s of CPU per account.
    sts = FakeSts(lifetime=timedelta(hours=1))
    sessions = [
        assume_role_session(sts, account, "Scanner", None, "us-east-1")
        for account in ("111111111111", "222222222222", "333333333333")
    ]
    loaders = {id(s._session.get_component("data_loader")) for s in sessions}
    assert len(loaders) == 1
    paths = sessions[0]._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths))  # boto3's per-session append did not pile up
    keys = {s.get_credentials().get_frozen_credentials().access_key for s in sessions}
    assert len(keys) == 3
    client = sessions[1].client("ec2", region_name="eu-west-1")
    assert client.meta.region_name == "eu-west-1"
