"""The work pool's ordering and completion, the client config, regions and accounts."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.stub import Stubber

from scalewarden import __version__
from scalewarden.aws.accounts import (
    UnexpectedIdentity,
    assume_role_session,
    caller_identity,
    organization_accounts,
    parse_account_ids,
    role_arn,
)
from scalewarden.aws.regions import enabled_aas_regions, parse_regions
from scalewarden.aws.session import (
    AwsConfigError,
    ClientFactory,
    ClientSettings,
    NoCredentialsError,
    make_config,
    make_session,
    require_credentials,
)
from scalewarden.aws.workpool import CHAIN, LEAF, WorkPool


def test_pool_runs_lower_priority_numbers_first_and_waits_for_nested_tasks() -> None:
    order: list[str] = []
    pool = WorkPool(1)
    pool.submit(lambda: order.append("leaf-1"), LEAF)
    pool.submit(lambda: order.append("leaf-2"), LEAF)

    def chain() -> None:
        order.append("chain-1")
        pool.submit(lambda: order.append("chain-2"), CHAIN)

    pool.submit(chain, CHAIN)
    pool.run()
    assert order == ["chain-1", "chain-2", "leaf-1", "leaf-2"]


def test_pool_survives_a_failing_task_and_bounds_concurrency() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def task() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(0.05)
        with lock:
            running -= 1

    def boom() -> None:
        raise RuntimeError("bug")

    pool = WorkPool(3)
    for _ in range(12):
        pool.submit(task)
    pool.submit(boom)
    pool.run()
    assert peak <= 3
    assert [str(e) for e in pool.failures] == ["bug"]
    with pytest.raises(ValueError):
        WorkPool(0)


def test_client_config_retries_timeouts_and_user_agent() -> None:
    config = make_config(ClientSettings(max_attempts=4, connect_timeout=2, read_timeout=9))
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (2, 9)
    assert config.user_agent_extra == f"scalewarden/{__version__}"


def test_user_agent_is_sent_with_every_request(aws_env: str) -> None:
    sent: list[str] = []
    factory = ClientFactory(
        make_session(),
        make_config(),
        on_client=lambda c: c.meta.events.register(
            "before-send", lambda request, **_: sent.append(str(request.headers["User-Agent"]))
        ),
    )
    factory.client("sts", "us-east-1").get_caller_identity()
    assert sent and f"scalewarden/{__version__}" in sent[0]


def test_endpoint_url_from_environment_is_honoured(aws_env: str) -> None:
    factory = ClientFactory(make_session(), make_config())
    client = factory.client("application-autoscaling", "eu-west-1")
    assert client.meta.endpoint_url == aws_env
    assert factory.client("application-autoscaling", "eu-west-1") is client  # cached


def test_unknown_profile_and_missing_credentials(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AwsConfigError, match="nope"):
        make_session("nope")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    with pytest.raises(NoCredentialsError):
        require_credentials(make_session())


def test_region_parsing() -> None:
    assert parse_regions(None) is None
    assert parse_regions("ALL") == ["all"]
    assert parse_regions("eu-west-1, us-east-1,eu-west-1") == ["eu-west-1", "us-east-1"]
    with pytest.raises(ValueError, match="moon-1"):
        parse_regions("us-east-1,moon-1")
    with pytest.raises(ValueError, match="combined"):
        parse_regions("all,us-east-1")


def test_enabled_regions_exclude_opt_in_regions_not_opted_in() -> None:
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_regions",
            {
                "Regions": [
                    {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
                    {"RegionName": "af-south-1", "OptInStatus": "opted-in"},
                    {"RegionName": "ap-east-1", "OptInStatus": "not-opted-in"},
                    {"RegionName": "cn-north-1", "OptInStatus": "opt-in-not-required"},
                ]
            },
            {"AllRegions": True},
        )
        assert enabled_aas_regions(ec2, "aws") == ["af-south-1", "us-east-1"]


def test_accounts_helpers() -> None:
    assert parse_account_ids(" 111111111111,222222222222,111111111111") == [
        "111111111111",
        "222222222222",
    ]
    assert role_arn("111111111111", "/ops/Scan/", "aws-cn") == (
        "arn:aws-cn:iam::111111111111:role/ops/Scan"
    )
    sts = boto3.client(
        "sts", region_name="us-gov-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with Stubber(sts) as stub:
        stub.add_response(
            "get_caller_identity",
            {"Account": "210987654321", "Arn": "arn:aws-us-gov:iam::210987654321:user/x"},
        )
        assert caller_identity(sts) == ("210987654321", "aws-us-gov")
    org = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with Stubber(org) as stub:
        acct = {
            "Arn": "arn:aws:organizations::1:account/o-1/111111111111",
            "Email": "ops@example.com",
        }
        stub.add_response(
            "list_accounts",
            {
                "Accounts": [{**acct, "Id": "111111111111", "Name": "a", "Status": "ACTIVE"}],
                "NextToken": "n",
            },
        )
        stub.add_response(
            "list_accounts",
            {"Accounts": [{**acct, "Id": "222222222222", "Name": "b", "Status": "SUSPENDED"}]},
            {"NextToken": "n"},
        )
        assert organization_accounts(org) == [("111111111111", "a")]


def test_assume_role_passes_the_external_id_and_uses_the_temporary_credentials() -> None:
    sts = boto3.client(
        "sts", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    creds = {
        "AccessKeyId": "ASIATEMPORARY0000000",
        "SecretAccessKey": "temporary-secret",
        "SessionToken": "temporary-token",
        "Expiration": "2030-01-01T00:00:00Z",
    }
    with Stubber(sts) as stub:
        stub.add_response(
            "assume_role",
            {"Credentials": creds},
            {
                "RoleArn": "arn:aws:iam::111111111111:role/ScalewardenReadOnly",
                "RoleSessionName": "scalewarden-scan",
                "ExternalId": "shared-secret-id",
            },
        )
        session = assume_role_session(
            sts, "111111111111", "ScalewardenReadOnly", "shared-secret-id", "eu-west-1"
        )
    frozen = session.get_credentials().get_frozen_credentials()
    assert frozen.access_key == "ASIATEMPORARY0000000"
    assert frozen.token == "temporary-token"
    assert session.region_name == "eu-west-1"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"Arn": "arn:aws-evil:iam::210987654321:user/x"}, "partition 'aws-evil'"),
        ({"Arn": "arn:aws-cn:iam::210987654321:user/x"}, "partition 'aws-cn'"),
        ({"Arn": "user/x-is-not-an-arn-at-all"}, "not an ARN"),
        ({}, "not an ARN"),
        ({"Arn": "arn:aws:iam::210987654321:user/x", "Account": "2109876543"}, "12 digits"),
    ],
)
def test_an_identity_outside_the_regions_partition_is_refused(
    answer: dict[str, str], reason: str
) -> None:
    """The partition goes into every ARN the service builds: STS's answer must be in the
    partition of the region it was asked in (us-east-1: ``aws``), and say why not."""
    sts = boto3.client(
        "sts", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with Stubber(sts) as stub:
        stub.add_response("get_caller_identity", {"Account": "210987654321", **answer})
        with pytest.raises(UnexpectedIdentity, match=reason):
            caller_identity(sts)
