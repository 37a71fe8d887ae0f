"""Behaviour with the real check catalogue, Web API timeouts, Socket Mode and empty storage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ADMIN, CHANNEL, USER

from scalewarden.slack.app import build_web_client

pytestmark = pytest.mark.asyncio


async def test_question_about_a_real_check_gets_its_explanation(make_harness: Any) -> None:
    from scalewarden.checks.registry import get_check

    check = get_check("dynamodb_table_autoscaling_enabled")
    async with make_harness(checks=None) as h:
        event = {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "ts": "5.1",
            "text": "<@UBOT0001> why did dynamodb_table_autoscaling_enabled fail?",
        }
        await h.event(event, event_id="EvREALCHECK")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        text = json.dumps(h.fake.api_calls("chat.postMessage")[0].params)
        assert check.title.split()[0] in text and "How to fix it" in text
        assert "Why it matters" in text


async def test_timeouts_are_retried_with_backoff(make_harness: Any, fake_slack: Any) -> None:
    from scalewarden.slack.metrics import Metrics

    client = build_web_client(
        "xoxb-test-token-value", fake_slack.api_url, Metrics(), timeout=1, backoff=0.01
    )
    async with make_harness(slack_client=client) as h:
        h.fake.fail("chat.postMessage", 200, delay=3, body={"ok": True, "ts": "1.0"})
        event = {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "ts": "5.2",
            "text": "<@UBOT0001> which TLS version?",
        }
        await h.event(event, event_id="EvTIMEOUT")
        await h.fake.wait_for(lambda: len(h.fake.api_calls("chat.postMessage")) == 2)
        await h.settle()


async def test_socket_mode_app_needs_no_signing_secret(make_harness: Any) -> None:
    async with make_harness(
        settings_env={"SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": "xapp-1-A1-1-abcdef"},
        socket_mode=True,
    ) as h:
        bolt = h.app.state.bolt
        assert bolt is not None
        names = [type(m).__name__ for m in bolt._async_middleware_list]
        assert "AsyncRequestVerification" not in names
        assert "EventDeduplication" in names
        # Over HTTP nothing can be verified without a secret: the route stays off.
        assert (await h.post(b"{}", "application/json")).status_code == 503


async def test_findings_before_any_scan_says_so(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.command("findings", user=ADMIN)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        assert "No scan has been stored yet" in json.dumps(h.fake.webhook_calls("cmd")[0].params)
