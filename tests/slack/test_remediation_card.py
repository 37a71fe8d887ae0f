"""The remediation card explains a check from the section it links to (``kb_section``) and never
shows a check's data sources as links."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from harness import sample_check

from scalewarden.knowledge.answer import Answer, KnowledgeBase, Result
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR
from scalewarden.slack.views.buttons import ACTION_REMEDIATION, RemediationPayload
from scalewarden.slack.views.checks import check_blocks

#: The shipped articles, as the service loads them by default.
SHIPPED = KnowledgeBase(DEFAULT_KNOWLEDGE_DIR)


def test_explain_fetches_the_linked_section_or_a_section_of_the_named_article() -> None:
    from scalewarden.checks.registry import all_checks

    for check in all_checks():
        explanation = SHIPPED.explain(check.kb_section, "words of some other section")
        assert explanation is not None, check.id
        assert explanation.section_id == check.kb_section and explanation.snippet
    assert SHIPPED.explain("resilience#no-such-anchor", "suspended") is None
    title = "Scaling suspended on a target"
    explanation = SHIPPED.explain("resilience", title)
    assert explanation is not None
    assert explanation.title == "Resilience of Application Auto Scaling"
    assert SHIPPED.explain("no-such-article", title) is None


def test_card_without_explanation_shows_no_data_sources_as_links() -> None:
    check = replace(sample_check(), requires=("dynamodb_tables", "scalable_targets"))
    text = json.dumps(check_blocks(check, explanation=None))
    assert "dynamodb_tables" not in text and "Sources:" not in text
    assert "How to fix it" in text


async def test_remediation_button_explains_from_the_checks_own_article(make_harness: Any) -> None:
    from scalewarden.checks.registry import get_check

    check = get_check("target_scaling_suspended")
    assert check.kb_article == "resilience"

    def searched_elsewhere(question: str, top: int) -> Answer:
        """A search that ranks another article first (as one did for this very title)."""
        other = Result("service-linked-roles", "Service-linked roles", "Which?", "x", 9.0, ())
        return Answer(question, True, (other,))

    async with make_harness(checks=None, answerer=searched_elsewhere) as h:
        value = RemediationPayload(check.id, "table/orders", "123456789012", "us-east-1").encode()
        await h.action(ACTION_REMEDIATION, value)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("act"))
        text = json.dumps(h.fake.webhook_calls("act")[0].params, ensure_ascii=False)
        assert "From the knowledge base: Resilience of Application Auto Scaling" in text
        assert "Service-linked roles" not in text
        assert "table/orders" in text and "How to fix it" in text


async def test_remediation_without_an_article_shows_no_data_sources(make_harness: Any) -> None:
    check = replace(sample_check(), kb_section="no-such-article#x", requires=("dynamodb_tables",))
    async with make_harness(checks=lambda: [check]) as h:
        await h.action(ACTION_REMEDIATION, RemediationPayload(check.id).encode())
        await h.fake.wait_for(lambda: h.fake.webhook_calls("act"))
        text = json.dumps(h.fake.webhook_calls("act")[0].params)
        assert "How to fix it" in text and "From the knowledge base" not in text
        assert "dynamodb_tables" not in text and "Sources:" not in text


def test_the_remediation_command_is_escaped_and_never_cut_inside_a_word() -> None:
    """Placeholders like ``<policy-arn>`` and shell ``&&`` reach Slack escaped: in mrkdwn,
    a code block included, ``<policy-arn>`` is read as a link and the pasted command loses
    its brackets. A long command is cut between words, never inside an argument."""
    placeholder = "aws cloudwatch put-metric-alarm --alarm-actions <policy-arn> && echo ok"
    check = replace(sample_check(), remediation_snippet=placeholder)
    text = json.dumps(check_blocks(check))
    assert "--alarm-actions &lt;policy-arn&gt; &amp;&amp; echo ok" in text
    assert "<policy-arn>" not in text
    long = replace(
        sample_check(), remediation_snippet="--resource-id table/" + "x" * 30 + " " + "y" * 3000
    )
    fix = next(b["text"]["text"] for b in check_blocks(long) if "How to fix it" in str(b))
    assert "table/" + "x" * 30 + " …```" in fix and "yyy" not in fix
