"""``/scalewarden alerts`` and an alert's buttons end to end: signed requests into the real
app, a real database (SQLite and PostgreSQL), the Slack stand-in for the Web API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ADMIN, CHANNEL, USER, sample_check

from database_fixtures import BACKENDS
from scalewarden.slack.views.buttons import (
    ACTION_ALERT_MUTE,
    ACTION_ALERT_SCAN,
    AlertTargetPayload,
)

pytestmark = pytest.mark.asyncio

CHECK = "target_without_scaling_policy"


async def _reply(h: Any, hook: str) -> str:
    await h.fake.wait_for(lambda: h.fake.webhook_calls(hook))
    await h.settle()
    return json.dumps([c.params for c in h.fake.webhook_calls(hook)])


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_subscribe_list_and_unsubscribe(make_harness: Any, aws_env: str) -> None:
    # aws_env: the service's own account (123456789012) is the one subscribed to.
    async with make_harness() as h:
        response = await h.command(
            "alerts subscribe min=high regions=eu-west-1 accounts=123456789012", hook="sub"
        )
        assert response.json()["text"] == "Setting up alerts…"
        reply = await _reply(h, "sub")
        (subscription,) = h.store.alert_subscriptions()
        assert f"Alerts #{subscription.id} subscribed" in reply
        assert (subscription.channel, subscription.min_severity) == (CHANNEL, "high")
        assert subscription.regions == ("eu-west-1",)
        assert subscription.accounts == ("123456789012",)
        assert subscription.created_by == ADMIN
        (info,) = h.fake.api_calls("conversations.info")
        assert info.params["channel"] == CHANNEL

        await h.command("alerts subscribe", hook="default")
        await _reply(h, "default")
        assert [s.min_severity for s in h.store.alert_subscriptions()] == ["high", "medium"]

        await h.command("alerts list", hook="list")
        listed = await _reply(h, "list")
        assert f"#{subscription.id} high and above, eu-west-1, 123456789012" in listed
        assert "medium and above, every region, every account" in listed

        await h.command(f"alerts unsubscribe {subscription.id}", hook="unsub")
        assert f"Alerts #{subscription.id} removed" in await _reply(h, "unsub")
        assert len(h.store.alert_subscriptions()) == 1


@pytest.mark.parametrize(
    ("channel", "reason"),
    [
        ({"is_member": False}, "not a member of this channel"),
        ({"not_found": True}, "not a member of this channel"),
        ({"is_member": True, "is_ext_shared": True}, "shared with another organisation"),
    ],
)
async def test_the_channel_rules_refuse_and_store_nothing(
    make_harness: Any, channel: dict[str, Any], reason: str
) -> None:
    async with make_harness() as h:
        h.fake.channels[CHANNEL] = channel
        await h.command("alerts subscribe", hook="sub")
        assert reason in await _reply(h, "sub")
        assert h.store.alert_subscriptions() == []


@pytest.mark.parametrize(
    ("env", "text", "reason"),
    [
        (
            {"SCALEWARDEN_SCAN_ACCOUNTS": "111111111111"},
            "accounts=111111111111,222222222222",
            "222222222222 are not among the accounts this service scans (111111111111), "
            "set in SCALEWARDEN_SCAN_ACCOUNTS",
        ),
        (
            {},
            "accounts=111111111111",
            "account 111111111111 is not this service's own account (123456789012)",
        ),
        (
            {"SCALEWARDEN_SCAN_REGIONS": "eu-west-1,us-east-1"},
            "regions=eu-west-1,ap-south-1",
            "ap-south-1 are not among the regions this service scans (eu-west-1, us-east-1), "
            "set in SCALEWARDEN_SCAN_REGIONS",
        ),
    ],
)
async def test_a_subscription_outside_the_service_scope_is_refused_and_nothing_is_stored(
    make_harness: Any, aws_env: str, env: dict[str, str], text: str, reason: str
) -> None:
    """The rule of `scan`, `digest subscribe` and `mute`: alerts name only what the service
    scans, and the refusal names the account or region and the setting that decides it."""
    async with make_harness(settings_env=env) as h:
        await h.command(f"alerts subscribe {text}", hook="sub")
        reply = await _reply(h, "sub")
        assert "I cannot subscribe those alerts" in reply and reason in reply
        assert "SCALEWARDEN_SCAN_ACCOUNTS" in reply or "SCALEWARDEN_SCAN_REGIONS" in reply
        assert h.store.alert_subscriptions() == []


async def test_non_admins_may_not_subscribe_and_bad_input_is_usage(make_harness: Any) -> None:
    async with make_harness() as h:
        response = await h.command("alerts subscribe", user=USER)
        assert "admin" in response.json()["text"].lower()
        response = await h.command("alerts subscribe min=loud")
        assert "`loud` is not a severity" in response.json()["text"]
        response = await h.command("alerts subscribe regions=mars-north-1")
        assert "mars-north-1" in response.json()["text"]
        response = await h.command("alerts unsubscribe nine")
        assert "not a subscription id" in response.json()["text"]
        await h.settle()
        assert h.store.alert_subscriptions() == []


def _value(resource: str = "ecs service/prod-cluster/api ecs:service:DesiredCount") -> str:
    return AlertTargetPayload(CHECK, "123456789012", "us-west-2", resource).encode()


async def test_scan_this_target_runs_the_check_in_the_alerts_account_and_region(
    make_harness: Any, scanner: Any
) -> None:
    env = {"SCALEWARDEN_SCAN_ACCOUNTS": "123456789012"}
    async with make_harness(settings_env=env, checks=lambda: [sample_check(CHECK)]) as h:
        await h.action(ACTION_ALERT_SCAN, _value(), user=USER, hook="denied")
        assert "admin" in (await _reply(h, "denied")).lower()
        assert scanner.calls == []
        await h.action(ACTION_ALERT_SCAN, _value(), user=ADMIN, hook="scan")
        await h.fake.wait_for(lambda: scanner.calls)
        await h.settle()
        (scope,) = scanner.calls
        assert scope.regions == ["us-west-2"] and scope.accounts == ["123456789012"]
        assert scope.checks == CHECK


async def test_mute_similar_fills_in_the_mute_command_for_admins(make_harness: Any) -> None:
    async with make_harness(checks=lambda: [sample_check(CHECK)]) as h:
        await h.action(ACTION_ALERT_MUTE, _value(), user=USER, hook="denied")
        assert "admin" in (await _reply(h, "denied")).lower()
        hostile = 'ecs service/"x\\\\"<!channel> ecs:service:DesiredCount'
        await h.action(ACTION_ALERT_MUTE, _value(hostile), user=ADMIN, hook="mute")
        reply = json.loads(await _reply(h, "mute"))[0]["text"]
        assert f'/scalewarden mute {CHECK} "service/x&lt;!channel&gt;" reason="..." until=' in reply
        await h.action(ACTION_ALERT_MUTE, _value(), user=ADMIN, hook="mute2")
        reply = json.loads(await _reply(h, "mute2"))[0]["text"]
        line = reply.split("```")[1]
        assert line.startswith(f'/scalewarden mute {CHECK} "service/prod-cluster/api" reason=')
        # The line, typed as it stands (with a reason), is a valid mute command.
        from scalewarden.slack.commands import MuteCommand, parse_command

        typed = line.removeprefix("/scalewarden ").replace('reason="..."', 'reason="drill"')
        parsed = parse_command(typed)
        assert isinstance(parsed, MuteCommand)
        assert parsed.resource_pattern == "service/prod-cluster/api"
        # Scoped to the alert's account and region, not every account scanned.
        assert parsed.accounts == ("123456789012",) and parsed.regions == ("us-west-2",)
