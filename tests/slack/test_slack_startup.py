"""Slack at start-up: the bot token is checked once with ``auth.test``; ``/readyz`` says when
Slack is unreachable, refuses the token or has not answered yet; the log says why in one line;
and no request waits on Slack's Web API meanwhile (each is refused at once, in its ack).

Against the Slack stand-in: unreachable (nothing listens), an invalid token, and a slow Slack
(its Web API held until the test releases it). No timing is asserted: "at once" means the ack
arrived while the stand-in still held every Web API call.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from harness import ADMIN, USER, RecordingScanner, mention

from scalewarden.slack.workspace import NOT_CONNECTED, SlackStatus

#: Nothing listens on port 9 of loopback: every connection is refused.
DEAD_SLACK = {"SCALEWARDEN_SLACK_API_URL": "http://127.0.0.1:9/api/"}


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


def _slack_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the service logged at WARNING or above (Bolt's and the SDK's loggers included)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_unreachable_slack_is_reported_once_and_requests_are_refused_at_once(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_harness(settings_env=DEAD_SLACK) as h:
        workspace = h.app.state.workspace
        assert workspace.status is SlackStatus.UNREACHABLE
        ready = (await h.client.get("/readyz")).json()
        assert ready["slack"] == "unreachable"
        assert "auth.test failed" in ready["slack_error"]
        assert "ClientConnectorError" in ready["slack_error"]
        for _ in range(3):
            response = await h.command("help", user=USER)
            assert response.status_code == 200
            assert response.json()["text"] == NOT_CONNECTED[SlackStatus.UNREACHABLE]
        event = await h.event(mention("<@UBOT0001> hi", ts="1.1"), event_id="EvDOWN")
        assert event.status_code == 503  # Slack delivers the event again later
        await _until(lambda: workspace.attempts >= 3)  # asked again in the background
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_slack_status{status="unreachable"} 1.0' in metrics
        assert 'scalewarden_slack_status{status="on"} 0.0' in metrics
    lines = _slack_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    (line,) = lines
    assert line.name == "scalewarden.slack.workspace" and line.exc_info is None
    message = line.getMessage()
    assert "\n" not in message and "Slack's Web API is unreachable" in message
    assert "Traceback" not in caplog.text


async def test_a_refused_token_fails_readiness_and_is_not_retried(
    make_harness: Any, fake_slack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.fail("auth.test", 200, body={"ok": False, "error": "invalid_auth"})
    async with make_harness() as h:
        await h.settle()
        ready = await h.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["slack"] == "unauthorised"
        assert "invalid_auth" in ready.json()["slack_error"]
        response = await h.command("scan", user=ADMIN)
        assert "SLACK_BOT_TOKEN" in response.json()["text"]
        await h.settle()
        assert len(fake_slack.api_calls("auth.test")) == 1  # only a new token can fix it
        assert fake_slack.webhook_calls() == []
    lines = _slack_lines(caplog)
    assert [r.getMessage().split(" (")[0] for r in lines] == ["Slack refused the bot token"]
    assert "SLACK_BOT_TOKEN" in lines[0].getMessage() and lines[0].exc_info is None
    assert "Traceback" not in caplog.text


async def test_a_slow_slack_answers_acks_while_it_is_held(
    make_harness: Any, fake_slack: Any
) -> None:
    fake_slack.hold()
    async with make_harness(wait_for_slack=False) as h:
        await _until(lambda: fake_slack.held)  # the start-up auth.test is waiting on Slack
        ready = await h.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["slack"] == "checking"
        response = await h.command("help", user=USER)
        assert response.json()["text"] == NOT_CONNECTED[SlackStatus.CHECKING]
        assert [c.path for c in fake_slack.held] == ["/api/auth.test"]  # still held
        fake_slack.release()
        await _until(lambda: h.app.state.workspace.status is SlackStatus.ON)
        ready = await h.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["slack"] == "on"
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_slack_status{status="on"} 1.0' in metrics
        answered = await h.command("help", user=USER)
        assert "/scalewarden" in answered.text
        assert len(fake_slack.api_calls("auth.test")) == 1


async def test_slack_answering_later_is_picked_up_in_the_background(
    make_harness: Any, fake_slack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.fail("auth.test", 500, times=3)  # the start-up call and the client's 2 retries
    async with make_harness() as h:
        workspace = h.app.state.workspace
        assert [c.path for c in fake_slack.startup_calls] == ["/api/auth.test"] * 3
        await _until(lambda: workspace.status is SlackStatus.ON)
        assert workspace.installation.team_id == "T0000001"
        response = await h.command("help")
        assert response.status_code == 200 and "/scalewarden" in response.text
    messages = [r.getMessage() for r in caplog.records if r.name == "scalewarden.slack.workspace"]
    assert messages[0].startswith("Slack's Web API is unreachable (auth.test answered 500")
    assert "Slack answered after 2 attempts" in messages[-1]


async def test_a_start_logs_no_bolt_token_warning(
    make_harness: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that it "will be
    unused" (a client is given) or "ignored" (an authorize is given): neither is logged."""
    import os

    caplog.set_level(logging.DEBUG)
    async with make_harness() as h:
        assert os.environ["SLACK_BOT_TOKEN"]  # the set-up that made Bolt warn
        assert h.app.state.bolt is not None
    texts = [r.getMessage() for r in caplog.records]
    assert not [t for t in texts if "will be unused" in t or "will be ignored" in t]
    assert logging.getLogger("scalewarden.slack.bolt").filters == []  # nothing else filtered


# Acks while Slack's Web API is slow: an admin group must be read from Slack ------------------

GROUP_ENV = {"SCALEWARDEN_ADMIN_USERS": "", "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS"}


async def test_an_admin_command_is_acked_while_the_group_lookup_is_held(
    make_harness: Any, fake_slack: Any, scanner: RecordingScanner
) -> None:
    async with make_harness(settings_env=GROUP_ENV) as h:
        fake_slack.usergroups["S0ADMINS"] = [USER]
        fake_slack.hold()
        response = await h.command("scan", user=USER)
        assert response.status_code == 200
        assert response.json()["text"] == "Checking that you are a scalewarden admin…"
        await _until(lambda: fake_slack.held)
        assert [c.path for c in fake_slack.held] == ["/api/usergroups.users.list"]
        event = await h.event(mention("<@UBOT0001> which tls version?", ts="2.1"), event_id="Ev1")
        assert event.status_code == 200  # acked; its answer is posted once Slack answers
        assert scanner.calls == []
        fake_slack.release()
        await h.fake.wait_for(lambda: scanner.calls and h.fake.webhook_calls("cmd"))
        await h.settle()
        (reply,) = [c for c in h.fake.webhook_calls("cmd") if "Scanning" in str(c.params)]
        assert reply.params["replace_original"] is True
        assert len(scanner.calls) == 1
        assert len(fake_slack.api_calls("usergroups.users.list")) == 1


async def test_a_non_member_learns_the_refusal_after_the_ack(
    make_harness: Any, fake_slack: Any, scanner: RecordingScanner
) -> None:
    async with make_harness(settings_env=GROUP_ENV) as h:
        fake_slack.usergroups["S0ADMINS"] = [USER]
        fake_slack.hold()
        response = await h.command("findings", user="UNOTINGROUP")
        assert response.json()["text"] == "Checking that you are a scalewarden admin…"
        fake_slack.release()
        await h.settle()
        (reply,) = h.fake.webhook_calls("cmd")
        assert "only scalewarden admins" in reply.params["text"]
        assert [e["outcome"] for e in h.store.audit_entries()] == ["denied"]
        # Now the group is cached: the next decision needs no Web API call, so it is the ack.
        again = await h.command("findings", user="UNOTINGROUP")
        assert "only scalewarden admins" in again.json()["text"]
        assert scanner.calls == []
