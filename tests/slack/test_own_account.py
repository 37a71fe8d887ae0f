"""The single-account set-up: the service learns its own account through STS (moto's server
on loopback), and every path that names an account allows that one and no other.

The Slack paths run through the real app with signed requests; STS failing (refused, slow)
is injected in the local AWS, never stubbed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ADMIN, sample_check

from scalewarden.aws.identity import OwnAccount
from scalewarden.aws.session import ClientSettings
from scalewarden.localaws import DEFAULT_ACCOUNT_ID, LocalAws
from scalewarden.service_scope import ServiceScope
from scalewarden.settings import Settings
from scalewarden.slack.views.buttons import ACTION_ALERT_SCAN, AlertTargetPayload

CHECK = "target_without_scaling_policy"
OTHER = "111111111111"
FAST = ClientSettings(max_attempts=1, connect_timeout=2.0, read_timeout=5.0)
SHORT = ClientSettings(max_attempts=1, connect_timeout=2.0, read_timeout=0.5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _own(clock: Clock | None = None, client: ClientSettings = FAST) -> OwnAccount:
    options: dict[str, Any] = {"clock": clock} if clock else {}
    return OwnAccount.from_settings(Settings(), client=client, **options)


def test_the_own_account_is_learned_once(aws_env: str, local_aws: LocalAws) -> None:
    own = _own()
    assert own.known() is None
    assert "not been asked" in own.reason()
    assert own.resolve(10) == DEFAULT_ACCOUNT_ID
    assert own.partition == "aws" and own.reason() == ""
    before = local_aws.request_count
    assert own.resolve(10) == DEFAULT_ACCOUNT_ID
    assert own.request() is None
    assert local_aws.request_count == before  # cached: STS is not asked again


def test_a_refused_sts_is_reported_and_retried_after_the_back_off(
    aws_env: str, local_aws: LocalAws
) -> None:
    clock = Clock()
    fault = local_aws.inject_fault(
        "sts", "GetCallerIdentity", "AccessDenied", "no <!channel> for you"
    )
    own = _own(clock)
    assert own.resolve(10) is None
    assert "AccessDenied" in own.reason() and "GetCallerIdentity" in own.reason()
    assert fault.hits == 1
    # Within the back-off nothing is asked again, however often the account is needed.
    for _ in range(5):
        assert own.request() is None
    assert own.resolve(10) is None
    assert fault.hits == 1
    clock.now += 31
    local_aws.clear_faults()
    assert own.resolve(10) == DEFAULT_ACCOUNT_ID


def test_an_sts_answering_for_another_partition_is_refused_with_the_reason(
    aws_env: str, local_aws: LocalAws
) -> None:
    """Asked in us-isof-south-1 (partition aws-iso-f), the local STS answers with an ``aws``
    ARN, as a misconfigured endpoint would: the account is not taken, and whoever names one
    is told why."""
    own = OwnAccount.from_settings(Settings(aws_region="us-isof-south-1"), client=FAST)
    assert own.resolve(10) is None
    reason = own.reason()
    assert "partition 'aws'" in reason and "partition 'aws-iso-f'" in reason
    refused = ServiceScope(own=own).problem(accounts=[DEFAULT_ACCOUNT_ID])
    assert refused is not None and "partition 'aws-iso-f'" in refused


def test_a_slow_sts_times_out_with_a_reason(aws_env: str, local_aws: LocalAws) -> None:
    local_aws.latency = 2.0
    own = _own(client=SHORT)
    assert own.resolve(10) is None
    assert "Timeout" in own.reason()


def test_the_single_account_rule() -> None:
    """Pure: what ``problem`` says for each state of the own account, all paths' one rule."""

    def fetch() -> tuple[str, str]:
        return DEFAULT_ACCOUNT_ID, "aws"

    known = OwnAccount(fetch)
    assert known.resolve(5) == DEFAULT_ACCOUNT_ID
    scope = ServiceScope(own=known)
    assert scope.problem(accounts=[DEFAULT_ACCOUNT_ID]) is None
    assert scope.problem() is None
    refused = scope.problem(accounts=[DEFAULT_ACCOUNT_ID, OTHER])
    assert refused is not None
    assert f"account {OTHER} is not this service's own account ({DEFAULT_ACCOUNT_ID})" in refused
    assert "SCALEWARDEN_SCAN_ACCOUNTS" in refused
    # Configured accounts: those, and the own account only when listed.
    listed = ServiceScope(accounts=(OTHER,), own=known)
    assert listed.problem(accounts=[OTHER]) is None
    assert listed.problem(accounts=[DEFAULT_ACCOUNT_ID]) is not None

    def broken() -> tuple[str, str]:
        raise RuntimeError("boom")

    failing = OwnAccount(broken)
    assert failing.resolve(5) is None
    unknown = ServiceScope(own=failing).problem(accounts=[DEFAULT_ACCOUNT_ID])
    assert unknown is not None
    assert "does not know its id yet" in unknown and "RuntimeError: boom" in unknown

    def not_an_id() -> tuple[str, str]:
        return "12345<!here>", "aws"

    odd = OwnAccount(not_an_id)
    assert odd.resolve(5) is None
    assert "not 12 digits" in odd.reason()


async def _reply(h: Any, hook: str) -> str:
    await h.fake.wait_for(lambda: h.fake.webhook_calls(hook))
    await h.settle()
    return " ".join(str(c.params.get("text")) for c in h.fake.webhook_calls(hook))


def _target(account: str) -> str:
    resource = "ecs service/prod-cluster/api ecs:service:DesiredCount"
    return AlertTargetPayload(CHECK, account, "us-west-2", resource).encode()


@pytest.mark.asyncio
async def test_scan_this_target_in_the_default_set_up(
    make_harness: Any, scanner: Any, aws_env: str
) -> None:
    """No ``SCALEWARDEN_SCAN_ACCOUNTS``: the own account's target is scanned through the
    shared runner; another account's is refused, naming the account and the setting."""
    async with make_harness(checks=lambda: [sample_check(CHECK)]) as h:
        await h.action(ACTION_ALERT_SCAN, _target(OTHER), user=ADMIN, hook="other")
        reply = await _reply(h, "other")
        assert f"account {OTHER} is not this service's own account ({DEFAULT_ACCOUNT_ID})" in reply
        assert "SCALEWARDEN_SCAN_ACCOUNTS" in reply
        assert scanner.calls == []

        await h.action(ACTION_ALERT_SCAN, _target(DEFAULT_ACCOUNT_ID), user=ADMIN, hook="own")
        await h.fake.wait_for(lambda: scanner.calls)
        await h.settle()
        (scope,) = scanner.calls
        assert scope.accounts == [DEFAULT_ACCOUNT_ID] and scope.regions == ["us-west-2"]
        assert scope.checks == CHECK
        assert h.services.scans.runs()[0].source == "slack"


@pytest.mark.asyncio
async def test_scan_this_target_when_sts_refuses(
    make_harness: Any, scanner: Any, aws_env: str, local_aws: LocalAws
) -> None:
    local_aws.inject_fault("sts", "GetCallerIdentity", "AccessDenied", "not allowed")
    async with make_harness(checks=lambda: [sample_check(CHECK)]) as h:
        await h.action(ACTION_ALERT_SCAN, _target(DEFAULT_ACCOUNT_ID), user=ADMIN, hook="scan")
        reply = await _reply(h, "scan")
        assert "does not know its id yet" in reply and "AccessDenied" in reply
        assert "SCALEWARDEN_SCAN_ACCOUNTS" in reply
        await h.settle()
        assert scanner.calls == []


@pytest.mark.asyncio
async def test_api_scans_follow_the_same_rule(
    make_harness: Any, scanner: Any, aws_env: str
) -> None:
    token = "api-token-0123456789abcdef0123456789"
    auth = {"Authorization": f"Bearer {token}"}
    async with make_harness(settings_env={"SCALEWARDEN_API_TOKEN": token}) as h:
        response = await h.client.post("/api/v1/scans", json={"accounts": [OTHER]}, headers=auth)
        assert response.status_code == 400
        assert f"account {OTHER} is not this service's own account" in response.json()["error"]
        response = await h.client.post(
            "/api/v1/scans", json={"accounts": [DEFAULT_ACCOUNT_ID]}, headers=auth
        )
        assert response.status_code == 202, response.text
        assert json.loads(response.text)["scope"]["accounts"] == [DEFAULT_ACCOUNT_ID]
