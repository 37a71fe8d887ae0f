"""End-to-end behaviour in Slack: ask, mentions, DMs, scans, findings, buttons, Home, audit."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

import pytest
from harness import (
    ADMIN,
    APP_TOKEN,
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    USER,
    RecordingScanner,
    build_report,
    mention,
)

from database_fixtures import BACKENDS
from scalewarden.scan import ScanError
from scalewarden.slack.listeners.commands import CHECKING_ACCESS
from scalewarden.slack.views.buttons import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_REMEDIATION,
    ACTION_SHARE,
    AnswerPayload,
)
from scalewarden.slack.views.text import MAX_MESSAGE_CHARS, block_text_length

pytestmark = pytest.mark.asyncio


def _dump(call: Any) -> str:
    return json.dumps(call.params)


def _field(call: Any, name: str) -> Any:
    """A JSON-valued parameter, whether the client sent JSON or form data."""
    value = call.params[name]
    return json.loads(value) if isinstance(value, str) else value


async def test_ask_acks_at_once_then_answers_via_response_url(make_harness: Any) -> None:
    async with make_harness() as h:
        response = await h.command("ask which TLS version does the API require?", user=USER)
        assert response.status_code == 200
        assert response.json()["text"] == "Looking that up…"
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        await h.settle()
        reply = h.fake.webhook_calls("cmd")[0].params
        assert reply["response_type"] == "ephemeral" and reply["replace_original"] is True
        actions = reply["blocks"][-1]["elements"]
        assert [a["action_id"] for a in actions] == [
            ACTION_FEEDBACK_UP,
            ACTION_FEEDBACK_DOWN,
            ACTION_SHARE,
        ]
        assert "TLS" in json.dumps(reply["blocks"])
        audit = h.store.audit_entries()
        assert audit[0]["command"] == "ask" and audit[0]["outcome"] == "answered"
        assert audit[0]["user_id"] == USER and audit[0]["channel_id"] == CHANNEL
        assert audit[0]["team_id"] and audit[0]["at"] is not None
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_answers_total{outcome="answered",source="command"} 1.0' in metrics
        assert "scalewarden_slack_ack_seconds_count" in metrics


async def test_help_and_unknown_input_get_help_not_errors(make_harness: Any) -> None:
    async with make_harness() as h:
        plain = await h.command("help", user=USER)
        unknown = await h.command("deploy everything", user=USER)
        assert "Usage" in json.dumps(plain.json()["blocks"])
        text = json.dumps(unknown.json()["blocks"])
        assert "Usage" in text and "deploy" in text
        await h.settle()
        outcomes = sorted(e["outcome"] for e in h.store.audit_entries())
        assert outcomes == ["help", "usage_error"]


async def test_mention_is_answered_in_the_thread(make_harness: Any) -> None:
    async with make_harness() as h:
        event = {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "text": "<@UBOT0001> which TLS version does the API require?",
            "ts": "1700000000.000300",
            "thread_ts": "1700000000.000100",
        }
        await h.event(event, event_id="EvMENTION1")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        call = h.fake.api_calls("chat.postMessage")[0]
        assert call.params["channel"] == CHANNEL
        assert call.params["thread_ts"] == "1700000000.000100"
        assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
        assert h.fake.api_calls("auth.test"), "Bolt's auth.test went to the stand-in"


async def test_dm_is_answered_in_the_dm_and_check_questions_get_the_check(
    make_harness: Any,
) -> None:
    async with make_harness() as h:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0000DM01",
            "user": USER,
            "text": "why did dynamodb_table_autoscaling_enabled fail?",
            "ts": "1.1",
        }
        await h.event(event, event_id="EvDM1")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        call = h.fake.api_calls("chat.postMessage")[0]
        assert call.params["channel"] == "D0000DM01" and "thread_ts" not in call.params
        text = _dump(call)
        assert "How to fix it" in text and "register-scalable-target" in text


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_admin_scan_progress_results_storage_and_audit(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness() as h:
        response = await h.command("scan region=us-east-1,eu-west-1")
        assert response.json()["text"] == "Scanning 2 regions…"
        await h.fake.wait_for(lambda: h.store.audit_entries())
        assert scanner.calls[0].regions == ["us-east-1", "eu-west-1"]
        posted = h.fake.api_calls("chat.postMessage")
        assert "Scanning 2 regions" in _dump(posted[0])
        updates = h.fake.api_calls("chat.update")
        assert updates and "Scan results" in _dump(updates[-1])
        assert all(u.params["ts"] == updates[-1].params["ts"] for u in updates)
        stored = h.store.latest_scan()
        assert stored is not None and stored["scan_id"] == scanner.report.scan_id
        entry = h.store.audit_entries()[0]
        assert entry["command"] == "scan" and entry["outcome"] == "completed"
        assert entry["arguments"] == "scan region=us-east-1,eu-west-1"


async def test_300_findings_overflow_to_thread_and_file(make_harness: Any) -> None:
    big = RecordingScanner(build_report(300, errors=2))
    async with make_harness(scanner=big) as h:
        await h.command("scan")
        await h.fake.wait_for(lambda: h.fake.api_calls("files.completeUploadExternal"))
        await h.settle()
        main = h.fake.api_calls("chat.update")[-1]
        blocks = _field(main, "blocks")
        assert len(blocks) <= 50 and block_text_length(blocks) <= MAX_MESSAGE_CHARS
        thread = [c for c in h.fake.api_calls("chat.postMessage") if c.params.get("thread_ts")]
        assert thread and all(c.params["thread_ts"] == main.params["ts"] for c in thread)
        upload = next(c for c in h.fake.calls if c.path.startswith("/upload/"))
        report = json.loads(upload.raw)
        assert len(report["findings"]) == 302
        complete = h.fake.api_calls("files.completeUploadExternal")[0]
        assert complete.params["thread_ts"] == main.params["ts"]


async def test_non_admins_are_refused_without_any_aws_call(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness() as h:
        response = await h.command("scan", user=USER)
        assert "only scalewarden admins" in response.json()["text"]
        await h.settle()
        assert scanner.calls == []
        assert h.fake.api_calls("chat.postMessage") == []
        assert h.store.audit_entries()[0]["outcome"] == "denied"


async def test_nobody_may_scan_when_no_admin_is_configured(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness(settings_env={"SCALEWARDEN_ADMIN_USERS": ""}) as h:
        response = await h.command("scan")
        text = response.json()["text"]
        assert "SCALEWARDEN_ADMIN_USERS" in text and "SCALEWARDEN_ADMIN_USERGROUP" in text
        await h.settle()
        assert scanner.calls == []


async def test_admin_user_group_membership_allows_scans(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    env = {"SCALEWARDEN_ADMIN_USERS": "", "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS"}
    async with make_harness(settings_env=env) as h:
        h.fake.usergroups["S0ADMINS"] = [USER]
        # The first decision reads the group from Slack, after the ack; the answer follows.
        allowed = await h.command("scan", user=USER, hook="first")
        assert allowed.json()["text"] == CHECKING_ACCESS
        await h.settle()
        assert any("Scanning" in str(c.params.get("text")) for c in h.fake.webhook_calls("first"))
        # The next ones come from the cache, in the ack itself.
        refused = await h.command("scan", user="UNOTINGROUP")
        assert "only scalewarden admins" in refused.json()["text"]
        await h.settle()
        assert len(scanner.calls) == 1
        assert len(h.fake.api_calls("usergroups.users.list")) == 1  # cached


async def test_scan_that_cannot_run_says_why(make_harness: Any) -> None:
    failing = RecordingScanner(build_report(1), error=ScanError("no AWS credentials found"))
    async with make_harness(scanner=failing) as h:
        await h.command("scan")
        await h.fake.wait_for(lambda: h.store.audit_entries())
        assert "no AWS credentials found" in _dump(h.fake.api_calls("chat.update")[-1])
        assert h.store.audit_entries()[0]["outcome"] == "failed"


async def test_unknown_check_ids_are_refused_before_scanning(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness() as h:
        response = await h.command("scan no_such_check")
        assert "no_such_check" in response.json()["text"]
        await h.settle()
        assert scanner.calls == []


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_findings_lists_the_latest_stored_results(make_harness: Any) -> None:
    async with make_harness() as h:
        h.store.save_scan(build_report(10).to_dict())
        await h.command("findings high", user=ADMIN)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        text = _dump(h.fake.webhook_calls("cmd")[0])
        assert "Critical" in text and "High" in text and "Medium" not in text


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_feedback_is_stored_with_the_question(make_harness: Any) -> None:
    async with make_harness() as h:
        value = AnswerPayload("which TLS version?", tuple(["data-protection"])).encode()
        response = await h.action(ACTION_FEEDBACK_DOWN, value)
        assert response.status_code == 200
        await h.fake.wait_for(lambda: h.fake.webhook_calls("act"))
        entry = h.store.feedback_entries()[0]
        assert entry["question"] == "which TLS version?" and entry["vote"] == "down"
        assert entry["article_ids"] == ["data-protection"] and entry["user_id"] == USER


async def test_share_to_channel_posts_publicly(make_harness: Any) -> None:
    async with make_harness() as h:
        value = AnswerPayload("which TLS version does the API require?", tuple([])).encode()
        await h.action(ACTION_SHARE, value)
        await h.fake.wait_for(lambda: len(h.fake.webhook_calls("act")) == 2)
        first, second = (c.params for c in h.fake.webhook_calls("act"))
        assert first.get("delete_original") is True
        assert second["response_type"] == "in_channel"
        assert f"<@{USER}> asked" in json.dumps(second["blocks"])


async def test_remediation_button_shows_fix_and_knowledge(make_harness: Any) -> None:
    async with make_harness() as h:
        finding = build_report(1).findings[0]
        value = json.dumps(
            {
                "c": finding.check_id,
                "r": finding.resource_id,
                "a": finding.account_id,
                "g": finding.region,
            }
        )
        await h.action(ACTION_REMEDIATION, value)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("act"))
        text = _dump(h.fake.webhook_calls("act")[0])
        assert "How to fix it" in text and "table/orders-0000" in text


async def test_app_home_is_published(make_harness: Any) -> None:
    async with make_harness() as h:
        h.store.save_scan(build_report(4).to_dict())
        await h.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"}, event_id="EvHOME1")
        await h.fake.wait_for(lambda: h.fake.api_calls("views.publish"))
        call = h.fake.api_calls("views.publish")[0]
        assert call.params["user_id"] == ADMIN
        view = _field(call, "view")
        assert view["type"] == "home" and "Run a scan" in json.dumps(view)


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_app_home_of_a_non_admin_never_shows_failing_resources(make_harness: Any) -> None:
    """The Home tab is visible to anyone in the workspace; which resources fail is for admins
    (as `/scalewarden findings` is). Both users open it after the same scan."""
    async with make_harness() as h:
        h.store.save_scan(build_report(4).to_dict())
        for user, event_id in ((USER, "EvHOMEU"), (ADMIN, "EvHOMEA")):
            await h.event(
                {"type": "app_home_opened", "user": user, "tab": "home"}, event_id=event_id
            )
            await h.fake.wait_for(
                lambda u=user: any(
                    c.params["user_id"] == u for c in h.fake.api_calls("views.publish")
                )
            )
        views = {
            c.params["user_id"]: json.dumps(_field(c, "view"))
            for c in h.fake.api_calls("views.publish")
        }
    assert "4 failing" in views[USER] and "4 failing" in views[ADMIN]
    assert "table/orders-" not in views[USER] and "Worst findings" not in views[USER]
    assert "Run a scan" not in views[USER]
    assert "table/orders-0000" in views[ADMIN] and "Worst findings" in views[ADMIN]


async def test_rate_limits_are_retried_after_retry_after(make_harness: Any) -> None:
    async with make_harness() as h:
        h.fake.fail(
            "chat.postMessage",
            429,
            headers={"Retry-After": "0"},
            body={"ok": False, "error": "ratelimited"},
        )
        event = {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "text": "<@UBOT0001> which TLS version?",
            "ts": "1.9",
        }
        await h.event(event, event_id="EvRATE1")
        await h.fake.wait_for(lambda: len(h.fake.api_calls("chat.postMessage")) == 2)
        await h.settle()
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_slack_api_errors_total{kind="rate_limited"} 1.0' in metrics


async def test_server_errors_are_retried_then_logged_and_the_service_lives_on(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with make_harness() as h:
        h.fake.fail("chat.postMessage", 503, times=10)
        event = {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "text": "<@UBOT0001> which TLS version?",
            "ts": "2.0",
        }
        await h.event(event, event_id="EvFAIL1")
        await h.fake.wait_for(lambda: len(h.fake.api_calls("chat.postMessage")) == 3)
        await h.settle()
        assert "Slack call chat.postMessage failed: status=503" in caplog.text
        assert (await h.client.get("/healthz")).status_code == 200


async def test_work_in_flight_is_drained_on_shutdown(make_harness: Any) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    async with make_harness(scanner=slow) as h:
        await h.command("scan")
        await h.fake.wait_for(lambda: slow.calls)
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, gate.set)
    # The lifespan has exited: the scan finished and was delivered before shutdown completed.
    assert "Scan results" in _dump(h.fake.api_calls("chat.update")[-1])
    assert h.store.audit_entries()[0]["outcome"] == "completed"


async def test_secrets_never_reach_logs_or_messages(
    make_harness: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws_secret)
    caplog.set_level(logging.DEBUG)
    failing = RecordingScanner(build_report(1), error=ScanError(f"bad key {aws_secret}"))
    async with make_harness(scanner=failing) as h:
        await h.command(f"ask is {BOT_TOKEN} safe to paste?", user=USER)
        await h.command("scan")
        await h.post(b"forged", "application/x-www-form-urlencoded", signed=False)
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 2)
        await h.settle()
        messages = json.dumps([c.params for c in h.fake.calls])
        audit = json.dumps(h.store.audit_entries(), default=str)
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, aws_secret):
        assert secret not in caplog.text
        assert secret not in messages
        assert secret not in audit
    assert "[redacted]" in audit
    assert '"event": "slack_command"' in caplog.text


async def test_scans_take_turns(make_harness: Any) -> None:
    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    async with make_harness(scanner=slow) as h:
        await h.command("scan region=us-east-1", hook="first")
        await h.fake.wait_for(lambda: len(slow.calls) == 1)
        await h.command("scan region=eu-west-1", hook="second")
        await h.fake.wait_for(
            lambda: any("Waiting for the scan" in _dump(c) for c in h.fake.api_calls("chat.update"))
        )
        assert len(slow.calls) == 1  # the second scan has not started
        gate.set()
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 2)
        assert [c.regions for c in slow.calls] == [["us-east-1"], ["eu-west-1"]]


async def _fill_the_queue(h: Any) -> asyncio.Event:
    """One slot, one waiting place, both taken by jobs that wait for the returned event."""
    from scalewarden.slack.background import BackgroundTasks

    h.services.tasks = BackgroundTasks(quick_slots=1, max_waiting=1)
    release = asyncio.Event()
    for _ in range(2):
        h.services.tasks.spawn(release.wait(), limited=True)
        await asyncio.sleep(0.01)
    assert h.services.tasks.waiting == 1
    return release


async def test_the_service_runs_two_quick_jobs_and_queues_five_thousand(make_harness: Any) -> None:
    """The bound `create_app()` gives its queue: two quick jobs at once, 5,000 waiting; the
    next question is shed. Every job still runs, and the lifespan drains them on shutdown."""
    from scalewarden.slack.background import DEFAULT_MAX_WAITING, DEFAULT_QUICK_SLOTS

    assert (DEFAULT_QUICK_SLOTS, DEFAULT_MAX_WAITING) == (2, 5000)
    release = asyncio.Event()
    finished: list[int] = []

    async def job(i: int) -> None:
        await release.wait()
        finished.append(i)

    async with make_harness() as h:
        tasks = h.services.tasks
        try:
            for i in range(5000):  # a spawned job waits until it has taken a slot
                assert tasks.spawn(job(i), limited=True) is not None
            await asyncio.sleep(0)  # two of them take the slots
            assert tasks.waiting == 4998
            for i in range(5000, 5002):
                assert tasks.spawn(job(i), limited=True) is not None
            assert tasks.spawn(job(-1), limited=True) is None
            assert tasks.shed == 1
        finally:
            release.set()
    # The lifespan has exited: it waited for every queued job.
    assert sorted(finished) == list(range(5002))


async def test_a_question_shed_under_a_flood_is_told_so_and_audited(make_harness: Any) -> None:
    from scalewarden.slack.listeners.replies import BUSY

    async with make_harness() as h:
        release = await _fill_the_queue(h)
        response = await h.command("ask which TLS version does the API require?", user=USER)
        assert response.status_code == 200
        # Shed at the door: the ack itself says so, ephemerally.
        assert response.json() == {"text": BUSY, "response_type": "ephemeral"}
        await h.fake.wait_for(lambda: h.store.audit_entries())
        assert [e["outcome"] for e in h.store.audit_entries()] == ["busy"]
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_answers_total{outcome="busy",source="command"} 1.0' in metrics
        release.set()
        await h.settle()
        # The question was not answered later as well.
        assert h.fake.webhook_calls("cmd") == []


async def test_while_questions_are_shed_the_checks_before_them_still_hold(
    make_harness: Any,
) -> None:
    """Questions are shed before Bolt matches a listener, but after the checks every request
    passes: a question from another workspace is refused (and audited so), not told "busy";
    a shed question is audited with who asked what; other subcommands are still served."""
    from urllib.parse import parse_qsl, urlencode

    from harness import command_body

    from scalewarden.slack.listeners.replies import BUSY

    async with make_harness() as h:
        release = await _fill_the_queue(h)
        foreign = dict(
            parse_qsl(
                command_body(
                    "ask which TLS version?",
                    user=USER,
                    channel=CHANNEL,
                    response_url=h.fake.response_url("cmd"),
                ).decode()
            )
        )
        foreign["team_id"] = "T0OTHER01"
        refused = await h.post(urlencode(foreign).encode(), "application/x-www-form-urlencoded")
        assert "installed in another Slack workspace" in refused.json()["text"]
        shed = await h.command("ask which TLS version does the API require?", user=USER)
        assert shed.json() == {"text": BUSY, "response_type": "ephemeral"}
        usage = await h.command("help", user=USER)
        assert "How to use /scalewarden" in json.dumps(usage.json())
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 3)
        entries = {e["outcome"]: e for e in h.store.audit_entries()}
        assert set(entries) == {"refused", "busy", "help"}
        busy = entries["busy"]
        assert (busy["user_id"], busy["channel_id"], busy["command"]) == (USER, CHANNEL, "ask")
        assert busy["arguments"] == "ask which TLS version does the API require?"
        assert h.services.tasks.shed == 1
        release.set()
        await h.settle()
        assert h.fake.webhook_calls("cmd") == []


async def test_a_mention_shed_under_a_flood_gets_a_busy_reply_in_its_thread(
    make_harness: Any,
) -> None:
    from scalewarden.slack.listeners.replies import BUSY

    async with make_harness() as h:
        release = await _fill_the_queue(h)
        event = mention(
            "<@UBOT0001> which TLS version does the API require?", ts="1700000000.000900"
        )
        await h.event(event, event_id="EvBUSY1")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        call = h.fake.api_calls("chat.postMessage")[0]
        assert call.params["text"] == BUSY
        assert call.params["thread_ts"] == "1700000000.000900"
        release.set()
        await h.settle()
        assert len(h.fake.api_calls("chat.postMessage")) == 1


async def test_a_scan_stopped_by_shutdown_says_so_and_is_audited(make_harness: Any) -> None:
    from scalewarden.slack.scan.flow import SCAN_INTERRUPTED

    gate = threading.Event()
    slow = RecordingScanner(build_report(2), gate=gate)
    try:
        async with make_harness(scanner=slow) as h:
            await h.command("scan")
            await h.fake.wait_for(lambda: slow.calls)
            # Shutdown, with less time to drain than the scan needs.
            assert await h.services.tasks.close(0.2) == 1
            # The scan ran in a daemon thread, so it cannot keep the stopping process alive.
            assert slow.threads == [(True, "scalewarden-scan")]
            last = h.fake.api_calls("chat.update")[-1]
            assert last.params["text"] == SCAN_INTERRUPTED
            entries = h.store.audit_entries()
            assert [(e["command"], e["outcome"]) for e in entries] == [("scan", "cancelled")]
            metrics = (await h.client.get("/metrics")).text
            assert 'scalewarden_scans_total{outcome="cancelled"} 1.0' in metrics
    finally:
        gate.set()  # let the scanner's thread end


async def test_an_empty_mention_gets_the_greeting_in_its_thread(make_harness: Any) -> None:
    from scalewarden.slack.listeners.events import GREETING

    async with make_harness() as h:
        await h.event(mention("<@UBOT0001>", ts="1700000000.000700"), event_id="EvHELLO1")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        call = h.fake.api_calls("chat.postMessage")[0]
        assert call.params["text"] == GREETING and "blocks" not in call.params
        assert call.params["thread_ts"] == "1700000000.000700"


async def test_a_member_removed_from_the_admin_group_loses_access_at_once(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    env = {"SCALEWARDEN_ADMIN_USERS": "", "SCALEWARDEN_ADMIN_USERGROUP": "S0ADMINS"}
    async with make_harness(settings_env=env) as h:
        h.fake.usergroups["S0ADMINS"] = [USER]
        # Three scopes: a repeat of a scope still running would join it instead of scanning.
        first = await h.command("scan region=us-east-1", user=USER, hook="first")
        assert first.json()["text"] == CHECKING_ACCESS  # the group is read after the ack
        await h.fake.wait_for(lambda: h.fake.webhook_calls("first"))
        h.fake.usergroups["S0ADMINS"] = []  # removed in Slack; the cache still says admin
        second = await h.command("scan region=eu-west-1", user=USER)
        assert second.json()["text"].startswith("Scanning")
        # A change to another group leaves the cache alone.
        other = {"type": "subteam_members_changed", "subteam_id": "S0OTHERS"}
        await h.event(other, event_id="EvGROUP0")
        third = await h.command("scan region=us-west-2", user=USER)
        assert third.json()["text"].startswith("Scanning")
        changed = {
            "type": "subteam_members_changed",
            "subteam_id": "S0ADMINS",
            "removed_users": [USER],
            "removed_users_count": "1",
        }
        assert (await h.event(changed, event_id="EvGROUP1")).status_code == 200
        # The cache was dropped: the group is read again (after the ack), and says no.
        refused = await h.command("scan", user=USER, hook="last")
        assert refused.json()["text"] == CHECKING_ACCESS
        await h.settle()
        (reply,) = h.fake.webhook_calls("last")
        assert "only scalewarden admins" in reply.params["text"]
        assert len(scanner.calls) == 3


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


async def test_findings_before_any_scan_says_so(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.command("findings", user=ADMIN)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        assert "No scan has been stored yet" in json.dumps(h.fake.webhook_calls("cmd")[0].params)
