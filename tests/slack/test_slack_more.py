"""Behaviour with the real check catalogue, Web API timeouts, Socket Mode and empty storage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ADMIN, APP_TOKEN, CHANNEL, USER, event_body, mention

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
    """A Web API call that times out is counted and sent again; the user gets the reply once."""
    from scalewarden.slack.metrics import Metrics

    metrics = Metrics()
    client = build_web_client(
        "xoxb-test-token-value", fake_slack.api_url, metrics, timeout=1, backoff=0.01
    )
    async with make_harness(slack_client=client) as h:
        # Slack stalls past the client's timeout on the first post (the stall ends at stop).
        h.fake.fail("chat.postMessage", 200, delay=60, body={"ok": True, "ts": "1.0"})
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
        first, second = h.fake.api_calls("chat.postMessage")
        assert second.params == first.params  # the same reply, sent again
        assert second.params["thread_ts"] == "5.2" and "TLS" in json.dumps(second.params)
        assert len(h.fake.api_calls("chat.postMessage")) == 2
    errors = "scalewarden_slack_api_errors_total"
    assert metrics.registry.get_sample_value(errors, {"kind": "timeout"}) == 1


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


async def test_a_socket_mode_message_is_acknowledged_and_answered(make_harness: Any) -> None:
    """Over Socket Mode, as `scalewarden serve --socket-mode` runs it: the app opens the
    connection with its app token, acknowledges the envelope and answers in the thread; the
    same event delivered again is not answered twice."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    async with make_harness(
        settings_env={"SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": APP_TOKEN},
        socket_mode=True,
    ) as h:
        handler = AsyncSocketModeHandler(h.app.state.bolt, APP_TOKEN)
        await handler.connect_async()
        try:
            body = json.loads(
                event_body(mention("<@UBOT0001> which TLS version?", ts="7.1"), "EvS1")
            )
            for envelope_id in ("env-1", "env-2"):  # Slack's redelivery has a new envelope
                await h.fake.push(
                    {
                        "envelope_id": envelope_id,
                        "type": "events_api",
                        "accepts_response_payload": False,
                        "payload": body,
                    }
                )
                await h.fake.wait_for(
                    lambda e=envelope_id: {"envelope_id": e} in h.fake.socket_received
                )
            await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
            await h.settle()
        finally:
            await handler.close_async()
    (opened,) = h.fake.api_calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    (post,) = h.fake.api_calls("chat.postMessage")
    assert post.params["channel"] == CHANNEL and post.params["thread_ts"] == "7.1"
    assert "TLS" in json.dumps(post.params)
