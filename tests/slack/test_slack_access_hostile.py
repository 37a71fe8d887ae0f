"""Who may scan and read findings, when the admin list is odd or the group lookup fails."""

from __future__ import annotations

from typing import Any

import pytest
from harness import (
    ADMIN,
    BOT_TOKEN,
    USER,
    RecordingScanner,
    build_report,
)

pytestmark = pytest.mark.asyncio

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# -- access -------------------------------------------------------------------------------


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
        {"status": 200, "delay": 3.0},
    ],
)
async def test_admin_group_lookup_failures_refuse_and_say_why(
    make_harness: Any, scanner: RecordingScanner, failure: dict[str, Any]
) -> None:
    env = {"SCALEWARDEN_ADMIN_USERS": "", "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS"}
    async with make_harness(settings_env=env) as h:
        h.fake.usergroups["S0ADMINS"] = [USER]
        h.fake.fail("usergroups.users.list", times=5, **failure)
        response = await h.command("scan", user=USER)
        assert response.status_code == 200
        assert "could not check your membership" in response.json()["text"]
        await h.settle()
        assert scanner.calls == []


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
        response = await h.command("scan", user=USER)
        assert response.status_code == 200
        assert "could not check your membership" in response.json()["text"]
        findings = await h.command("findings", user=USER)
        assert "could not check your membership" in findings.json()["text"]
        await h.settle()
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
