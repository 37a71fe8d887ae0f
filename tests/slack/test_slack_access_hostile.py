"""Who may scan and read findings, when the admin list is odd or the group lookup fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import (
    ADMIN,
    BOT_TOKEN,
    USER,
    RecordingScanner,
    build_report,
)

from scalewarden.slack.listeners.commands import CHECKING_ACCESS
from scalewarden.slack.views.buttons import ACTION_FEEDBACK_UP, ACTION_REMEDIATION, ACTION_SHARE

pytestmark = pytest.mark.asyncio


async def test_findings_are_for_admins_only(make_harness: Any) -> None:
    async with make_harness() as h:
        h.store.save_scan(build_report(3).to_dict())
        refused = await h.command("findings", user=USER)
        assert "only scalewarden admins" in refused.json()["text"]
        allowed = await h.command("findings", user=ADMIN, hook="admin")
        assert allowed.json()["text"].startswith("Fetching")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("admin"))
        await h.settle()
        assert h.fake.webhook_calls("cmd") == []
        outcomes = sorted(e["outcome"] for e in h.store.audit_entries())
        assert outcomes == ["completed", "denied"]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 200, "body": {"ok": False, "error": "missing_scope"}},
        {"status": 500},
        {"status": 200, "body": {"ok": True, "users": "UUSER0001"}},
        # A lookup that stalls (the stand-in answers only when it stops) outlives the
        # deadline (10 s in production, after the ack): the refusal must not wait for it. The
        # deadline is shortened to keep this fast; the stall is still far longer than it.
        {"status": 200, "delay": 60.0},
    ],
    ids=["refused", "server-error", "not-a-list", "stalled"],
)
async def test_admin_group_lookup_failures_refuse_and_say_why(
    make_harness: Any, scanner: RecordingScanner, failure: dict[str, Any]
) -> None:
    env = {"SCALEWARDEN_ADMIN_USERS": "", "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS"}
    deadline = {"admin_lookup_timeout": 0.05} if failure.get("delay") else {}
    async with make_harness(settings_env=env, **deadline) as h:
        h.fake.usergroups["S0ADMINS"] = [USER]
        h.fake.fail("usergroups.users.list", times=5, **failure)
        response = await h.command("scan", user=USER)
        assert response.status_code == 200
        assert response.json()["text"] == CHECKING_ACCESS  # the lookup runs after the ack
        # The guard (below the app client's own 10 s timeout, which would also refuse) fails
        # a decision that does not apply the deadline.
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"), timeout=5)
        await h.settle()
        (reply,) = h.fake.webhook_calls("cmd")
        assert "could not check your membership" in reply.params["text"]
        assert scanner.calls == []
        # The refusal followed a lookup that was asked for (not a shortcut around it).
        assert h.fake.api_calls("usergroups.users.list")


async def test_admin_group_lookup_that_drops_the_connection_refuses(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    env = {
        "SCALEWARDEN_ADMIN_USERS": "",
        "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS",
        # Nothing listens on port 9 of loopback: every connection is refused.
        "SCALEWARDEN_SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    from slack_bolt.authorization import AuthorizeResult

    async def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: only the lookup fails
        return AuthorizeResult(
            enterprise_id=None,
            team_id="T0000001",
            bot_user_id="UBOT0001",
            bot_id="BBOT0001",
            bot_token=BOT_TOKEN,
        )

    async with make_harness(settings_env=env, authorize=authorize) as h:
        response = await h.command("scan", user=USER, hook="scan")
        assert response.status_code == 200
        findings = await h.command("findings", user=USER, hook="findings")
        assert response.json()["text"] == findings.json()["text"] == CHECKING_ACCESS
        await h.settle()
        for hook in ("scan", "findings"):
            (reply,) = h.fake.webhook_calls(hook)
            assert "could not check your membership" in reply.params["text"]
        assert scanner.calls == []


async def test_admin_list_with_spaces_and_empty_items(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness(settings_env={"SCALEWARDEN_ADMIN_USERS": f" , {ADMIN} ,, "}) as h:
        assert (await h.command("scan", user=ADMIN)).json()["text"].startswith("Scanning")
        refused = await h.command("scan", user="")
        assert "only scalewarden admins" in refused.json()["text"]
        await h.settle()
        assert len(scanner.calls) == 1


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (ACTION_REMEDIATION, {"c": "dynamodb_table_autoscaling_enabled", "r": "table/mine"}),
        (ACTION_REMEDIATION, {"c": "scan", "r": "findings"}),
        (ACTION_SHARE, {"q": "scan region=us-east-1"}),
        (ACTION_SHARE, {"q": "findings critical"}),
        (ACTION_FEEDBACK_UP, {"q": "scan", "a": ["findings"]}),
        ("scan", {"q": "x"}),
    ],
)
async def test_buttons_cannot_start_a_scan_or_reveal_stored_findings(
    make_harness: Any, scanner: RecordingScanner, action_id: str, value: dict[str, Any]
) -> None:
    """Button values are user input: whatever a non-admin puts in one, no scan starts and no
    stored finding comes back; a Remediation click shows the catalogue's fix and only the
    resource text the value itself carried."""
    async with make_harness() as h:
        h.store.save_scan(build_report(6).to_dict())
        response = await h.action(action_id, json.dumps(value), user=USER)
        assert response.status_code in (200, 404)
        await h.settle()
        sent = json.dumps([c.params for c in h.fake.calls])
        assert scanner.calls == []
        assert "orders-0001" not in sent and "123456789012" not in sent
        assert h.fake.api_calls("chat.postMessage") == []
