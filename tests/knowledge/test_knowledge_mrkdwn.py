"""Slack rendering of article Markdown: what a reader sees in Slack, and what they can copy."""

from __future__ import annotations

import re

import pytest

from scalewarden.knowledge.mrkdwn import escape, fallback_text, to_mrkdwn, truncate
from scalewarden.knowledge.pages import page_title

GUIDE = "https://docs.aws.amazon.com/autoscaling/application/userguide/"


def test_paragraphs_are_reflowed_and_emphasis_converted() -> None:
    text = "AWS\nrecommends **PrivateLink** for\nisolated subnets, *not* NAT."
    assert to_mrkdwn(text) == "AWS recommends *PrivateLink* for isolated subnets, _not_ NAT."


def test_markup_characters_are_escaped_but_code_stays_code() -> None:
    out = to_mrkdwn("Use `a<b>&c` when x < y & z > 0.")
    assert out == "Use `a&lt;b&gt;&amp;c` when x &lt; y &amp; z &gt; 0."
    assert "`**literal**`" in to_mrkdwn("keep `**literal**` stars")


def test_links_become_slack_links_labelled_with_the_page_title() -> None:
    url = GUIDE + "resource-tagging-support.html"
    assert to_mrkdwn(f"See [resource-tagging-support]({url}).") == (
        f"See <{url}|Tagging support for Application Auto Scaling>."
    )
    assert to_mrkdwn(f"See [the tagging page]({url}).") == f"See <{url}|the tagging page>."
    assert page_title(GUIDE + "application-auto-scaling-quotas.html") == (
        "Quotas for Application Auto Scaling"
    )


def test_a_wide_table_becomes_a_field_list() -> None:
    table = (
        "| Condition key | Checks | Typical use |\n"
        "| --- | --- | --- |\n"
        "| `aws:ResourceTag/environment` | tag on the target being acted on | deny deletes on production |\n"  # noqa: E501
        "| `aws:TagKeys` | tag keys in the request | allow removing only the `temporary` key |"
    )
    out = to_mrkdwn(table)
    assert "|" not in out and "---" not in out
    assert out.split("\n") == [
        "• `aws:ResourceTag/environment` — Checks: tag on the target being acted on; "
        "Typical use: deny deletes on production",
        "• `aws:TagKeys` — Checks: tag keys in the request; "
        "Typical use: allow removing only the `temporary` key",
    ]


def test_a_narrow_table_stays_aligned_in_a_code_block() -> None:
    out = to_mrkdwn("| a | b |\n| --- | --- |\n| **ecs** | `x<y` |")
    assert out == "```\na    b\necs  x&lt;y\n```"


def test_two_column_tables_read_as_key_and_value() -> None:
    table = (
        "| field | value |\n| --- | --- |\n| severity | Medium |\n| category | a > b |" + " " * 0
    )
    out = to_mrkdwn(table, narrow_table=5)
    assert out == "• *severity*: Medium\n• *category*: a &gt; b"


def test_code_blocks_lose_their_language_tag_and_lists_get_bullets() -> None:
    out = to_mrkdwn('Policy:\n\n```json\n{"a": "<b>"}\n```\n\n- one\n  continued\n- two')
    assert out == 'Policy:\n\n```\n{"a": "&lt;b&gt;"}\n```\n\n• one continued\n• two'


@pytest.mark.parametrize(
    "identifier",
    [
        "lambda:DeleteProvisionedConcurrencyConfig",
        "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
        '"application-autoscaling:service-namespace"',
    ],
)
def test_truncation_never_cuts_an_identifier(identifier: str) -> None:
    text = f"Grant these: {identifier} {identifier} and then some more words"
    for limit in range(10, len(text)):
        cut = truncate(text, limit)
        assert len(cut) <= limit
        for token in cut.replace("…", " ").split():
            assert token in text.split(), (limit, token)


def test_truncation_closes_open_code() -> None:
    text = (
        "Policy:\n```\n"
        + "\n".join(f'"application-autoscaling:Action{i}",' for i in range(40))
        + "\n```"
    )
    cut = truncate(text, 200)
    assert len(cut) <= 200 and cut.count("```") == 2
    span = truncate("use `application-autoscaling:RegisterScalableTarget` now please", 30)
    assert span.count("`") % 2 == 0


def test_fallback_text_is_escaped_and_cut_safely() -> None:
    text = fallback_text(["<!channel> Q&A:", "deny `iam:PassRole` for a > b"], limit=40)
    assert "<" not in text and ">" not in text and "&amp;" in text
    assert escape("<@U123>") == "&lt;@U123&gt;"
    assert len(text) <= 40 and re.search(r"iam:PassRol(?!e)", text) is None
