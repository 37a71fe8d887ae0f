"""The audit covers more than slash commands: buttons, mentions, DMs and the Home tab, each
with who, what and how it ended, and every field of the log line is escaped."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fake_slack import TEAM_ID
from harness import CHANNEL, USER, command_body, mention

from scalewarden.slack.views.buttons import (
    ACTION_FEEDBACK_UP,
    ACTION_REMEDIATION,
    ACTION_SHARE,
    AnswerPayload,
    RemediationPayload,
)

FORM = "application/x-www-form-urlencoded"


def _entries(h: Any) -> dict[str, dict[str, Any]]:
    return {e["command"]: e for e in h.store.audit_entries(limit=50)}


async def test_button_clicks_are_audited_with_their_outcome(make_harness: Any) -> None:
    async with make_harness() as h:
        question = AnswerPayload("which TLS version?", ("data-protection",)).encode()
        await h.action(ACTION_SHARE, question, hook="share")
        await h.action(ACTION_FEEDBACK_UP, question, hook="vote")
        remediation = RemediationPayload("dynamodb_table_autoscaling_enabled", "table/x")
        await h.action(ACTION_REMEDIATION, remediation.encode(), hook="fix")
        await h.action(ACTION_REMEDIATION, RemediationPayload("no_such_check", "").encode())
        await h.settle()
        rows = h.store.audit_entries(limit=50)
        by_action = {(r["command"], r["outcome"]) for r in rows}
        assert (ACTION_SHARE, "shared_answered") in by_action
        assert (ACTION_FEEDBACK_UP, "recorded") in by_action
        assert (ACTION_REMEDIATION, "shown") in by_action
        assert (ACTION_REMEDIATION, "unknown_check") in by_action
        assert {r["user_id"] for r in rows} == {USER}
        assert {r["team_id"] for r in rows} == {TEAM_ID}
        assert {r["channel_id"] for r in rows} == {CHANNEL}
        share = next(r for r in rows if r["command"] == ACTION_SHARE)
        assert "which TLS version?" in share["arguments"]


async def test_mentions_dms_and_home_opens_are_audited(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.event(mention("<@UBOT0001> which TLS version?", ts="1.1"), event_id="EvAUD1")
        dm = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0000DM01",
            "user": USER,
            "text": "what is a service-linked role?",
            "ts": "1.2",
        }
        await h.event(dm, event_id="EvAUD2")
        await h.event({"type": "app_home_opened", "user": USER, "tab": "home"}, event_id="EvAUD3")
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 3)
        entries = _entries(h)
        assert entries["mention"]["outcome"] == "answered"
        assert entries["mention"]["arguments"] == "which TLS version?"
        assert entries["mention"]["channel_id"] == CHANNEL
        assert entries["dm"]["channel_id"] == "D0000DM01"
        assert entries["dm"]["outcome"] in ("answered", "no_answer")
        assert entries["home_opened"]["outcome"] == "published"
        assert all(e["user_id"] == USER and e["team_id"] == TEAM_ID for e in entries.values())


async def test_every_field_of_the_audit_line_is_escaped(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Ids come from the request as much as the text does: a line separator, a paragraph
    separator or a control character in any of them is written escaped, never raw."""
    hostile = "U1\u2028forged\u2029line\x00\x1b[31m"
    caplog.set_level(logging.INFO, logger="scalewarden.audit")
    async with make_harness() as h:
        body = command_body(
            "help me\u2028now", user=hostile, channel="C1\u2029", response_url=h.fake.response_url()
        )
        assert (await h.post(body, FORM)).status_code == 200
        await h.settle()
        lines = [r.getMessage() for r in caplog.records if r.name == "scalewarden.audit"]
        assert lines
        for line in lines:
            for raw in ("\u2028", "\u2029", "\x00", "\x1b"):
                assert raw not in line, (raw, line)
            entry = json.loads(line)
            assert entry["user_id"] == "U1\\u2028forged\\u2029line\\u0000\\u001b[31m"
            assert entry["channel_id"] == "C1\\u2029"
            assert entry["arguments"] == "help me\\u2028now"
        stored = h.store.audit_entries()[0]
        assert stored["user_id"] == "U1\\u2028forged\\u2029line\\u0000\\u001b[31m"


async def test_messages_from_an_app_without_a_bot_id_are_ignored(make_harness: Any) -> None:
    async with make_harness() as h:
        from_app = mention("<@UBOT0001> which TLS version?", ts="1.3", app_id="A0OTHERAPP")
        await h.event(from_app, event_id="EvAPP1")
        dm = {
            "type": "message",
            "channel_type": "im",
            "channel": "D0000DM01",
            "user": USER,
            "app_id": "A0OTHERAPP",
            "text": "which TLS version?",
            "ts": "1.4",
        }
        await h.event(dm, event_id="EvAPP2")
        await h.settle()
        assert h.fake.api_calls("chat.postMessage") == []
        assert h.store.audit_entries() == []


async def test_characters_beyond_four_hex_digits_are_escaped_unambiguously(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Invisible tag characters (U+E0000 block, used to smuggle hidden text) are escaped with
    all their digits: ``\\ue0041`` would read back as U+E004 followed by a "1"."""
    from scalewarden.slack.audit import AuditLog

    caplog.set_level(logging.INFO, logger="scalewarden.audit")
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ADMIN")
    await AuditLog(lambda: None).record(
        user_id="U1" + hidden,
        team_id=None,
        channel_id=None,
        command="ask",
        arguments="tls\U000f0001",
        outcome="answered",
    )
    (line,) = [r.getMessage() for r in caplog.records if r.name == "scalewarden.audit"]
    entry = json.loads(line)
    assert entry["user_id"] == "U1\\U000e0041\\U000e0044\\U000e004d\\U000e0049\\U000e004e"
    assert entry["arguments"] == "tls\\U000f0001"


async def test_a_home_open_shed_under_a_flood_is_still_audited(make_harness: Any) -> None:
    """Every Home tab opened leaves a row, also when the quick jobs are full and the tab is
    not published: the audit says who and that it was shed."""
    import asyncio

    from scalewarden.slack.background import BackgroundTasks

    async with make_harness() as h:
        h.services.tasks = BackgroundTasks(quick_slots=1, max_waiting=1)
        release = asyncio.Event()
        for _ in range(2):
            h.services.tasks.spawn(release.wait(), limited=True)
            await asyncio.sleep(0.01)
        opened = {"type": "app_home_opened", "user": USER, "tab": "home"}
        assert (await h.event(opened, event_id="EvHOMEBUSY")).status_code == 200
        await h.fake.wait_for(lambda: h.store.audit_entries())
        release.set()
        (entry,) = h.store.audit_entries()
        assert (entry["command"], entry["outcome"], entry["user_id"]) == (
            "home_opened",
            "busy",
            USER,
        )
        assert h.fake.api_calls("views.publish") == []
