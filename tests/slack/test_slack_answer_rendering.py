"""Answers as Slack shows them, through the app: article Markdown rendered as mrkdwn (tables,
emphasis, links labelled with page titles, identifiers whole) and fallback text escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import USER

from scalewarden.knowledge.answer import KnowledgeBase
from scalewarden.knowledge.mrkdwn import escape
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

KNOWLEDGE = DEFAULT_KNOWLEDGE_DIR

pytestmark = pytest.mark.asyncio


async def ask(h: Any, question: str) -> dict[str, Any]:
    """The reply the app posts (through ``response_url``) to ``/scalewarden ask QUESTION``."""
    before = len(h.fake.webhook_calls("cmd"))
    await h.command(f"ask {question}", user=USER)
    await h.fake.wait_for(lambda: len(h.fake.webhook_calls("cmd")) > before)
    params: dict[str, Any] = h.fake.webhook_calls("cmd")[before].params
    return params


def answer_text(reply: dict[str, Any]) -> str:
    return str(reply["blocks"][0]["text"]["text"])


async def test_a_table_row_is_shown_as_a_field_list_not_pipes(make_harness: Any) -> None:
    """The role table is too wide for an aligned code block (full role names), so its row
    comes as a field list, the role name whole (narrow tables: the mrkdwn unit tests)."""
    async with make_harness() as h:
        text = answer_text(await ask(h, "which slr does the kafka namespace use"))
    assert "|" not in text.split("\n", 1)[1]  # no Markdown pipe table
    assert (
        "• `kafka` — Scaled resource: MSK broker storage; "
        "Role name: `AWSServiceRoleForApplicationAutoScaling_KafkaCluster`"
    ) in text
    assert "_ECSService" not in text


async def test_emphasis_is_slack_bold_and_links_carry_page_titles(make_harness: Any) -> None:
    async with make_harness() as h:
        reply = await ask(h, "security hub control for dynamodb autoscaling")
    text = answer_text(reply)
    assert "*DynamoDB.1*" in text and "**" not in text
    sources = json.dumps(reply["blocks"][1])
    assert (
        "<https://docs.aws.amazon.com/autoscaling/application/userguide/"
        "application-auto-scaling-compliance.html|Compliance validation for Application Auto "
        "Scaling>"
    ) in sources


async def test_identifiers_are_whole_escaped_and_on_one_line(make_harness: Any) -> None:
    async with make_harness() as h:
        text = answer_text(await ask(h, "what is the endpoint service name"))
        role = answer_text(await ask(h, "name of the DynamoDB service-linked role"))
    assert "`com.amazonaws.&lt;region&gt;.application-autoscaling`" in text
    assert "<region>" not in text
    assert "`AWSServiceRoleForApplicationAutoScaling_DynamoDBTable`" in role
    # paragraphs are reflowed: the article's hard line breaks (three lines here) are gone
    paragraph = role.split("\n")[1]
    assert "one service-linked role, named `AWSServiceRoleForApplicationAutoScaling_" in paragraph
    assert "passed as `RoleARN`). The role for each namespace:" in paragraph


async def test_the_fallback_text_is_escaped_one_line_and_cut_between_words(
    make_harness: Any,
) -> None:
    async with make_harness() as h:
        reply = await ask(h, "what is the endpoint service name")
    fallback = reply["text"]
    assert "com.amazonaws.&lt;region&gt;.application-autoscaling" in fallback
    assert "<" not in fallback and ">" not in fallback and "\n" not in fallback
    assert len(fallback) <= 300 and fallback.endswith(" …")
    best = KnowledgeBase(KNOWLEDGE).answer("what is the endpoint service name").results[0]
    whole = escape(" ".join(f"{best.title} — {best.section}: {best.snippet}".split()))
    assert whole.startswith(fallback.removesuffix(" …"))  # cut between words, never inside


async def test_a_table_in_the_fallback_text_is_its_rows_not_pipes(make_harness: Any) -> None:
    """The notification of an answer whose section starts with a table reads as its rows."""
    async with make_harness() as h:
        fallback = (await ask(h, "dimensions for dynamodb"))["text"]
    assert "|" not in fallback and "---" not in fallback
    assert "scalable dimensions: `dynamodb:table:ReadCapacityUnits`" in fallback
