"""Socket Mode: the app without a signing secret, and a message over the socket end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import APP_TOKEN, CHANNEL, event_body, mention

pytestmark = pytest.mark.asyncio


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


async def test_over_socket_mode_a_refused_token_is_told_in_the_ack(
    make_harness: Any, fake_slack: Any
) -> None:
    """The start-up check guards Socket Mode too: with the bot token refused, a slash command
    is acknowledged at once with the reason, and nothing else is asked of Slack."""
    from urllib.parse import parse_qsl

    from harness import ADMIN, command_body
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from scalewarden.slack.workspace import NOT_CONNECTED, SlackStatus

    fake_slack.fail("auth.test", 200, body={"ok": False, "error": "token_revoked"})
    async with make_harness(
        settings_env={"SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": APP_TOKEN},
        socket_mode=True,
    ) as h:
        assert h.app.state.workspace.status is SlackStatus.UNAUTHORISED
        handler = AsyncSocketModeHandler(h.app.state.bolt, APP_TOKEN)
        await handler.connect_async()
        try:
            payload = dict(
                parse_qsl(
                    command_body(
                        "scan", user=ADMIN, channel=CHANNEL, response_url=h.fake.response_url()
                    ).decode()
                )
            )
            await h.fake.push(
                {
                    "envelope_id": "env-cmd",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            await h.fake.wait_for(lambda: h.fake.socket_received)
        finally:
            await handler.close_async()
    (ack,) = h.fake.socket_received
    assert ack["envelope_id"] == "env-cmd"
    assert ack["payload"]["text"] == NOT_CONNECTED[SlackStatus.UNAUTHORISED]
    assert len(h.fake.api_calls("auth.test")) == 1 and h.fake.webhook_calls() == []
