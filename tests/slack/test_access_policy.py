"""Who may scan: the access policy on its own, asking the Slack stand-in over HTTP.

The flows through the whole app are in ``test_slack_flows.py`` and
``test_slack_access_hostile.py``; these pin the decision itself (admin list, group, cache,
cache invalidation, failed lookups) quickly and with a controlled clock.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from fake_slack import FakeSlack
from harness import ADMIN, BOT_TOKEN, USER
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.slack.access import (
    CANNOT_VERIFY,
    NOT_AN_ADMIN,
    NOT_CONFIGURED,
    AccessDecision,
    AccessPolicy,
)

GROUP = "S0ADMINS"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


def group_policy(clock: Clock, admins: frozenset[str] = frozenset()) -> AccessPolicy:
    return AccessPolicy(admins, GROUP, cache_seconds=60.0, clock=clock)


@pytest.mark.parametrize("group", [None, "", "   "])
async def test_nobody_may_scan_when_no_admin_is_configured(
    client: AsyncWebClient, fake_slack: FakeSlack, group: str | None
) -> None:
    policy = AccessPolicy(frozenset(), group)
    assert not policy.configured
    assert await policy.may_scan(ADMIN, client) == AccessDecision(False, NOT_CONFIGURED)
    assert fake_slack.calls == []


async def test_listed_admins_may_scan_without_asking_slack(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    policy = AccessPolicy(frozenset({ADMIN}), None)
    assert policy.configured
    assert await policy.may_scan(ADMIN, client) == AccessDecision(True)
    assert await policy.may_scan(USER, client) == AccessDecision(False, NOT_AN_ADMIN)
    assert fake_slack.calls == []


async def test_group_members_may_scan_and_others_may_not(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    fake_slack.usergroups[GROUP] = [USER]
    policy = group_policy(Clock(), frozenset({ADMIN}))
    assert await policy.may_scan(USER, client) == AccessDecision(True)
    assert await policy.may_scan("UOTHER001", client) == AccessDecision(False, NOT_AN_ADMIN)
    assert await policy.may_scan(ADMIN, client) == AccessDecision(True)
    (call,) = fake_slack.api_calls("usergroups.users.list")
    assert call.params["usergroup"] == GROUP


async def test_the_group_is_read_once_per_minute(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    clock = Clock()
    fake_slack.usergroups[GROUP] = [USER]
    policy = group_policy(clock)
    assert (await policy.may_scan(USER, client)).allowed
    fake_slack.usergroups[GROUP] = []  # removed in Slack; the cache still says admin
    clock.now += 59.0
    assert (await policy.may_scan(USER, client)).allowed
    assert len(fake_slack.api_calls("usergroups.users.list")) == 1
    clock.now += 1.0  # a full minute since the read: read again
    assert await policy.may_scan(USER, client) == AccessDecision(False, NOT_AN_ADMIN)
    assert len(fake_slack.api_calls("usergroups.users.list")) == 2


async def test_a_change_of_the_admin_group_counts_at_once(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    fake_slack.usergroups[GROUP] = [USER]
    policy = group_policy(Clock())
    assert (await policy.may_scan(USER, client)).allowed
    fake_slack.usergroups[GROUP] = []
    assert not policy.forget_group("S0OTHERS")  # another group changed: keep the cache
    assert (await policy.may_scan(USER, client)).allowed
    assert policy.forget_group(GROUP)
    assert await policy.may_scan(USER, client) == AccessDecision(False, NOT_AN_ADMIN)
    assert len(fake_slack.api_calls("usergroups.users.list")) == 2


async def test_the_default_cache_lasts_a_minute_even_on_a_young_clock(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    clock = Clock()
    clock.now = 0.0  # a monotonic clock can start near zero: the first read still happens
    fake_slack.usergroups[GROUP] = [USER]
    policy = AccessPolicy(frozenset(), GROUP, clock=clock)
    assert (await policy.may_scan(USER, client)).allowed
    fake_slack.usergroups[GROUP] = []
    clock.now = 60.5
    assert not (await policy.may_scan(USER, client)).allowed
    assert len(fake_slack.api_calls("usergroups.users.list")) == 2


def test_forgetting_a_group_without_an_admin_group_does_nothing() -> None:
    assert not AccessPolicy(frozenset({ADMIN}), None).forget_group(None)


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        (
            {"status": 200, "body": {"ok": False, "error": "missing_scope"}},
            "SlackApiError missing_scope",
        ),
        ({"status": 200, "body": {"ok": True, "users": USER}}, "GroupLookupError "),
        ({"status": 200, "body": {"ok": True, "users": [USER, 7]}}, "GroupLookupError "),
    ],
)
async def test_a_failed_group_lookup_refuses_and_logs_why(
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, object],
    logged: str,
) -> None:
    fake_slack.usergroups[GROUP] = [USER]
    fake_slack.fail("usergroups.users.list", **failure)  # type: ignore[arg-type]
    policy = group_policy(Clock())
    with caplog.at_level(logging.WARNING, logger="scalewarden.slack.access"):
        assert await policy.may_scan(USER, client) == AccessDecision(False, CANNOT_VERIFY)
    assert caplog.messages == [f"admin group lookup failed: {logged}"]
    # nothing half-read was cached: the next decision asks again and succeeds
    assert await policy.may_scan(USER, client) == AccessDecision(True)


async def test_a_stalled_group_lookup_refuses_at_the_deadline_and_is_asked_again(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    """Every decision (commands, buttons, the Home tab) is bounded by the lookup deadline; a
    lookup cut off there caches nothing, so the next decision asks Slack again."""
    fake_slack.usergroups[GROUP] = [USER]
    fake_slack.fail("usergroups.users.list", 200, delay=60.0)  # answers when the fake stops
    policy = AccessPolicy(frozenset(), GROUP, clock=Clock(), lookup_timeout=0.05)
    # The client's own timeout (30 s) would also refuse, much later: the guard makes a
    # decision that waits for it (the deadline not applied) fail instead of pass.
    decision = await asyncio.wait_for(policy.may_scan(USER, client), 10)
    assert decision == AccessDecision(False, CANNOT_VERIFY)
    assert await policy.may_scan(USER, client) == AccessDecision(True)
    assert len(fake_slack.api_calls("usergroups.users.list")) == 2
