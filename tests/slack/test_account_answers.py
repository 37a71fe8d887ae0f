"""Answers that know the account, through the real Bolt app with signed requests.

An admin who asks about something a check looks for learns how the newest stored scan fares
on it, with a button that lists the failing resources privately; anyone else learns how an
admin can check, and never a finding. Stale scans say how old they are; with no stored scan
nothing about the account is claimed. Resource names come from the account: hostile.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import ADMIN, BOT_TOKEN, CHANNEL, USER, mention

from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.checks.registry import all_checks
from scalewarden.slack.views.buttons import ACTION_ACCOUNT_FINDINGS

pytestmark = pytest.mark.asyncio

QUESTION = "ask how do I resume suspended scaling?"
CHECK = "target_scaling_suspended"
HOSTILE = "service/prod/<!channel> *x* `y` <http://evil|ok> " + BOT_TOKEN


def suspended(resource: str, severity: Severity, status: Status = Status.FAIL) -> Finding:
    return Finding(
        check_id=CHECK,
        title="Scaling is suspended on a scalable target",
        severity=severity,
        status=status,
        account_id="123456789012",
        account_name="prod",
        region="eu-west-1",
        resource_id=resource,
        resource_arn=None,
        message="Dynamic scaling is suspended.",
        remediation="Resume scaling.",
        kb_article="resilience",
    )


def store_scan(store: Any, findings: list[Finding], *, age: timedelta) -> str:
    """Save a scan that finished ``age`` ago and ran the suspended-scaling check."""
    finished = datetime.now(UTC) - age
    report = ScanReport(
        scan_id=f"scan-{int(finished.timestamp() * 1000)}",
        started_at=finished - timedelta(minutes=1),
        finished_at=finished,
        accounts=[{"account_id": "123456789012", "account_name": "prod"}],
        regions=["eu-west-1"],
        findings=findings,
    )
    return str(store.save_scan(report.to_dict(), checks=[c.id for c in all_checks()]))


def three_failing() -> list[Finding]:
    return [
        suspended("service/dev/worker", Severity.MEDIUM),
        suspended("service/prod/api", Severity.HIGH),
        suspended("service/prod/web", Severity.MEDIUM),
        suspended("service/prod/ok", Severity.HIGH, Status.PASS),
    ]


def _dump(call: Any) -> str:
    return json.dumps(call.params, ensure_ascii=False)


def shown_texts(node: Any) -> list[str]:
    """Every text Slack renders in ``node`` (button values are data, never shown)."""
    if isinstance(node, list):
        return [t for item in node for t in shown_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if isinstance(node.get("text"), str) else []
    return own + [t for k, v in node.items() if k != "value" for t in shown_texts(v)]


def account_block(params: dict[str, Any]) -> dict[str, Any]:
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    (block,) = [b for b in blocks if b.get("block_id") == "account_note"]
    assert blocks[-1] is block  # the line ends the answer
    return block


async def ask(h: Any, user: str, hook: str = "cmd") -> dict[str, Any]:
    response = await h.command(QUESTION, user=user, hook=hook)
    assert response.status_code == 200
    await h.fake.wait_for(lambda: h.fake.webhook_calls(hook))
    await h.settle()
    params: dict[str, Any] = h.fake.webhook_calls(hook)[0].params
    assert "suspended" in json.dumps(params).lower()  # the answer itself is there
    return params


async def test_an_admin_learns_how_the_account_fares_and_lists_the_failures_privately(
    make_harness: Any,
) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, three_failing(), age=timedelta(hours=2, minutes=5))
        reply = await ask(h, ADMIN)
        block = account_block(reply)
        assert block["text"]["text"] == (
            "In your account: 3 resources fail this, the worst being `service/prod/api` "
            "(high), scanned 2 h ago."
        )
        assert reply["response_type"] == "ephemeral"
        button = block["accessory"]
        assert button["action_id"] == ACTION_ACCOUNT_FINDINGS
        assert "service/" not in button["value"]  # the value carries nothing from the account

        await h.action(ACTION_ACCOUNT_FINDINGS, button["value"], user=ADMIN, hook="list")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("list"))
        listed = h.fake.webhook_calls("list")[0].params
        assert listed["response_type"] == "ephemeral" and listed["replace_original"] is False
        text = _dump(h.fake.webhook_calls("list")[0])
        for resource in ("service/prod/api", "service/prod/web", "service/dev/worker"):
            assert resource in text
        assert "service/prod/ok" not in text  # a PASS is not a failure
        assert text.index("service/prod/api") < text.index("service/dev/worker")  # worst first


async def test_a_non_admin_is_told_how_an_admin_can_check_and_never_sees_a_finding(
    make_harness: Any,
) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, three_failing(), age=timedelta(hours=2))
        reply = await ask(h, USER)
        block = account_block(reply)
        assert block["text"]["text"] == (f"Admins can check this with `/scalewarden scan {CHECK}`.")
        assert "accessory" not in block
        assert "service/" not in json.dumps(reply) and "In your account" not in json.dumps(reply)

        # The admin's button, clicked by someone else: refused, nothing listed.
        await h.command(QUESTION, user=ADMIN, hook="admin")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("admin"))
        value = account_block(h.fake.webhook_calls("admin")[0].params)["accessory"]["value"]
        await h.action(ACTION_ACCOUNT_FINDINGS, value, user=USER, hook="list")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("list"))
        await h.settle()
        refused = _dump(h.fake.webhook_calls("list")[0])
        assert "only scalewarden admins" in refused and "service/" not in refused
        clicks = [e for e in h.store.audit_entries() if "account_findings" in e["command"]]
        assert [(e["user_id"], e["outcome"]) for e in clicks] == [(USER, "denied")]


async def test_a_stale_scan_says_how_old_it_is(make_harness: Any) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, three_failing(), age=timedelta(days=3, hours=1))
        text = account_block(await ask(h, ADMIN))["text"]["text"]
        assert "scanned 3 days ago" in text
        assert f"That scan may be out of date: `/scalewarden scan {CHECK}` checks again." in text


async def test_with_no_stored_scan_nothing_about_the_account_is_claimed(
    make_harness: Any,
) -> None:
    async with make_harness(checks=all_checks) as h:
        block = account_block(await ask(h, ADMIN))
        assert block["text"]["text"] == (
            f"No scan of your account is stored yet: `/scalewarden scan {CHECK}` checks this."
        )
        assert "accessory" not in block


async def test_a_scan_where_nothing_fails_says_so_and_offers_no_list(make_harness: Any) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(
            h.store,
            [suspended("service/prod/ok", Severity.HIGH, Status.PASS)],
            age=timedelta(minutes=5),
        )
        block = account_block(await ask(h, ADMIN))
        assert block["text"]["text"] == (
            "In your account: nothing failed this in the last scan, scanned 5 min ago."
        )
        assert "accessory" not in block


async def test_hostile_resource_names_are_redacted_and_inert(make_harness: Any) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, [suspended(HOSTILE, Severity.CRITICAL)], age=timedelta(hours=1))
        block = account_block(await ask(h, ADMIN))
        text = block["text"]["text"]
        assert BOT_TOKEN not in text and "xoxb-" not in text
        assert "<!channel>" not in text and "<http" not in text
        # One code span around the whole name: no backtick inside it closes it early.
        assert text.count("`") == 2
        assert "&lt;!channel&gt;" in text and "(critical)" in text

        await h.action(ACTION_ACCOUNT_FINDINGS, block["accessory"]["value"], user=ADMIN, hook="l")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("l"))
        listed = h.fake.webhook_calls("l")[0].params
        shown = " ".join(shown_texts(listed["blocks"])) + listed["text"]
        assert "service/prod/&lt;!channel&gt;" in shown
        assert BOT_TOKEN not in json.dumps(listed)
        assert "<!channel>" not in shown and "<http" not in shown


async def test_mentions_answer_the_channel_and_tell_only_the_admin_about_the_account(
    make_harness: Any,
) -> None:
    """A mention's answer is read by the whole channel: the account line goes to the asker
    alone. In a DM, which only the asker reads, it ends the answer."""
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, three_failing(), age=timedelta(hours=2))
        await h.event(
            mention("<@UBOT0001> how do I resume suspended scaling?", ts="1.1", user=ADMIN),
            event_id="EvM1",
        )
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postEphemeral"))
        await h.settle()
        (public,) = h.fake.api_calls("chat.postMessage")
        assert "service/" not in _dump(public) and "In your account" not in _dump(public)
        (private,) = h.fake.api_calls("chat.postEphemeral")
        assert private.params["user"] == ADMIN and private.params["channel"] == CHANNEL
        assert "In your account: 3 resources fail this" in _dump(private)

        dm = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0000ADMN",
            "user": ADMIN,
            "text": "how do I resume suspended scaling?",
            "ts": "2.2",
        }
        await h.event(dm, event_id="EvD1")
        await h.fake.wait_for(lambda: len(h.fake.api_calls("chat.postMessage")) == 2)
        await h.settle()
        answer = h.fake.api_calls("chat.postMessage")[1]
        assert answer.params["channel"] == "D0000ADMN"
        assert "In your account: 3 resources fail this" in _dump(answer)
        assert len(h.fake.api_calls("chat.postEphemeral")) == 1


async def test_answers_that_explain_no_check_carry_no_account_line(make_harness: Any) -> None:
    async with make_harness(checks=all_checks) as h:
        store_scan(h.store, three_failing(), age=timedelta(hours=2))
        await h.command("ask which TLS version does the API require?", user=ADMIN)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        await h.settle()
        text = _dump(h.fake.webhook_calls("cmd")[0])
        assert "TLS" in text and "account_note" not in text and "In your account" not in text
