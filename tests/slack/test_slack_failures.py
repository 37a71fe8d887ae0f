"""Slack refusing our messages, and secrets kept out of every log level and endpoint."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from harness import (
    APP_TOKEN,
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    USER,
    RecordingScanner,
    build_report,
)

from scalewarden.slack.app import build_web_client
from scalewarden.slack.views.buttons import ACTION_SHARE, AnswerPayload

pytestmark = pytest.mark.asyncio


def _dump(call: Any) -> str:
    return json.dumps(call.params, ensure_ascii=False)


# -- Slack API failures -------------------------------------------------------------------


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_too_long", "not_in_channel"])
async def test_results_slack_refuses_still_reach_the_user(make_harness: Any, error: str) -> None:
    gate = threading.Event()
    scanner = RecordingScanner(build_report(5), gate=gate)
    async with make_harness(scanner=scanner, progress_interval=60) as h:
        await h.command("scan")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))  # progress
        refusal = {"status": 200, "times": 5, "body": {"ok": False, "error": error}}
        h.fake.fail("chat.update", **refusal)
        h.fake.fail("chat.postMessage", **refusal)
        gate.set()
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        await h.settle()
        told = " ".join(_dump(c) for c in h.fake.webhook_calls("cmd"))
        assert "could not post the scan results" in told and "5 failing" in told
        assert h.store.audit_entries()[0]["outcome"] == "completed"


async def test_a_command_while_slack_is_unreachable_is_answered_not_a_500(
    make_harness: Any,
) -> None:
    # Nothing listens on port 9 of loopback: auth.test, the first Web API call, is refused.
    env = {"SCALEWARDEN_SLACK_API_URL": "http://127.0.0.1:9/api/"}
    async with make_harness(settings_env=env) as h:
        response = await h.command("help", user=USER)
        assert response.status_code == 200
        assert "cannot reach Slack's Web API" in response.json()["text"]
        # Refused before the installation is known, and still audited: who asked, and why not.
        await h.fake.wait_for(lambda: h.store.audit_entries())
        (entry,) = h.store.audit_entries()
        assert entry["command"] == "/scalewarden" and entry["outcome"] == "refused"
        assert entry["user_id"] == USER and "not connected to Slack" in entry["detail"]


# -- secrets ------------------------------------------------------------------------------


async def test_no_secret_in_debug_logs_metrics_or_readiness(
    make_harness: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws_secret)
    for name in ("slack_bolt", "slack_sdk", "aiohttp", "botocore", "scalewarden", ""):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    async with make_harness() as h:
        await h.command("ask which TLS version?")
        await h.command("scan")
        await h.action(ACTION_SHARE, AnswerPayload("which TLS version?", tuple([])).encode())
        h.fake.fail("chat.postMessage", status=429, headers={"Retry-After": "0"})
        await h.event(
            {
                "type": "app_mention",
                "user": USER,
                "text": "<@UBOT0001> tls",
                "ts": "2.1",
                "channel": CHANNEL,
            },
            event_id="EvSECRET",
        )
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        await h.settle()
        exposed = [
            caplog.text,
            (await h.client.get("/metrics")).text,
            (await h.client.get("/readyz")).text,
            repr(h.app.state.bolt),
            repr(h.services),
        ]
        from scalewarden.settings import Settings

        monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)  # the harness clears it
        assert Settings().slack_app_token is not None
        exposed.append(repr(Settings()))
        exposed.append(str(Settings().model_dump()))
    # The libraries really did log at DEBUG: requests, with their headers, were written out.
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(r.name.startswith("slack_sdk") and "headers" in r.getMessage() for r in debug)
    assert any(r.name.startswith("scalewarden.slack.bolt") for r in debug)
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, aws_secret):
        for place in exposed:
            assert secret not in place


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


async def test_a_malformed_upload_answer_loses_neither_the_results_nor_the_audit(
    make_harness: Any,
) -> None:
    """Slack (or a proxy before it) answering the upload call with ``ok`` but no upload URL
    makes the SDK raise an error of its own, not a Slack one: the results already posted and
    the scan's audit entry must survive it."""
    big = RecordingScanner(build_report(300, errors=2))
    async with make_harness(scanner=big) as h:
        h.fake.fail("files.getUploadURLExternal", 200, body={"ok": True})
        await h.command("scan")
        await h.fake.wait_for(lambda: h.fake.api_calls("files.getUploadURLExternal"))
        await h.fake.wait_for(lambda: h.store.audit_entries())
        await h.settle()
        assert h.store.audit_entries()[0]["outcome"] == "completed"
        assert "Scan results" in _dump(h.fake.api_calls("chat.update")[-1])
        assert not h.fake.api_calls("files.completeUploadExternal")
