"""Text users control (questions, button values, user ids) echoed back must stay inert."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from harness import ADMIN, USER

from scalewarden.slack.views.buttons import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SHARE,
    AnswerPayload,
    parse_button_value,
)

pytestmark = pytest.mark.asyncio


# -- injection ----------------------------------------------------------------------------


HOSTILE = (
    "hey <!channel> <!here|here> <@U0BOSS> see <http://evil.example|aws.amazon.com> "
    "&lt;!everyone&gt; \u202etxt.exe\u200b\x07 *bold* which TLS version?"
)


def _pings_or_links(text: str) -> list[str]:
    import re

    return re.findall(r"<[!@#][^>]*>|<https?:[^>]*\|[^>]*>", text)


async def test_shared_questions_cannot_ping_or_disguise_links(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.action(ACTION_SHARE, AnswerPayload(HOSTILE, tuple([])).encode())
        await h.fake.wait_for(lambda: len(h.fake.webhook_calls("act")) == 2)
        shared = h.fake.webhook_calls("act")[1].params
        text = json.dumps(shared["blocks"], ensure_ascii=False)
        asked = shared["blocks"][0]["elements"][0]["text"]
        # Only the sharer's own mention survives; everything the question carried is inert.
        assert _pings_or_links(asked) == [f"<@{USER}>"]
        assert "\u202e" not in text and "\u200b" not in text and "\x07" not in text
        assert _pings_or_links(shared.get("text", "")) == []


async def test_echoed_questions_in_no_answer_replies_are_inert(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.command("ask " + HOSTILE.replace("which TLS version?", "zzqx"))
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"))
        reply = h.fake.webhook_calls("cmd")[0].params
        for block in reply["blocks"]:
            if block["type"] == "section":
                assert _pings_or_links(block["text"]["text"]) == []
                assert "\u202e" not in block["text"]["text"]


async def test_long_and_quote_heavy_questions_keep_working_buttons(make_harness: Any) -> None:
    """A button value is cut at 2,000 characters; cutting JSON leaves JSON that no longer
    parses, and the share or feedback click then silently does nothing."""
    question = '"\\' * 700 + " which TLS version?"
    value = AnswerPayload(question, tuple(["data-protection", "vpc-endpoints"])).encode()
    assert len(value) <= 2000
    data = parse_button_value(value)
    assert data["q"] and data["a"] == ["data-protection", "vpc-endpoints"]
    async with make_harness() as h:
        await h.action(ACTION_FEEDBACK_UP, value)
        await h.fake.wait_for(lambda: h.store.feedback_entries())


async def test_a_user_id_from_a_button_payload_is_not_markup(make_harness: Any) -> None:
    async with make_harness() as h:
        value = AnswerPayload("which TLS version?", tuple([])).encode()
        await h.action(ACTION_SHARE, value, user="U1><!channel")
        await h.fake.wait_for(lambda: len(h.fake.webhook_calls("act")) == 2)
        asked = h.fake.webhook_calls("act")[1].params["blocks"][0]["elements"][0]["text"]
        assert "<!channel" not in asked


async def test_feedback_with_a_malformed_article_list_is_stored_without_it(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_harness() as h:
        await h.action(ACTION_FEEDBACK_UP, json.dumps({"q": "which TLS version?", "a": 5}))
        await h.action(ACTION_FEEDBACK_DOWN, json.dumps({"q": "which TLS?", "a": "abc"}))
        await h.fake.wait_for(lambda: len(h.store.feedback_entries()) == 2)
        await h.settle()
        assert [e["article_ids"] for e in h.store.feedback_entries()] == [[], []]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "text",
    ["<!channel> hello", "scan region=<!channel>", "findings <!here>", "scan <@U0BOSS>"],
)
async def test_usage_errors_quote_the_input_inert(make_harness: Any, text: str) -> None:
    async with make_harness() as h:
        response = await h.command(text, user=ADMIN)
        assert response.status_code == 200
        assert _pings_or_links(response.text) == []
        assert "&lt;" in response.text  # quoted, visibly, not dropped


async def test_control_characters_do_not_cost_a_command_its_audit_row(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_harness() as h:
        await h.command("ask \x00\x07 which TLS version?")
        await h.fake.wait_for(lambda: h.store.audit_entries())
        await h.settle()
        [entry] = h.store.audit_entries()
        assert entry["arguments"] == "ask \\u0000\\u0007 which TLS version?"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
