"""Block Kit views: answers, no-answers, checks, and scan results within Slack's limits."""

from __future__ import annotations

import json

from harness import build_report, sample_check
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from scalewarden.checks.model import Severity
from scalewarden.knowledge.answer import Answer, KnowledgeBase, Result
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR
from scalewarden.slack.usertext import escape, inert
from scalewarden.slack.views.answers import answer_blocks, result_text
from scalewarden.slack.views.buttons import (
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SHARE,
    AnswerPayload,
    parse_button_value,
)
from scalewarden.slack.views.checks import check_blocks
from scalewarden.slack.views.home import home_view
from scalewarden.slack.views.scan import MAX_THREAD_MESSAGES, findings_blocks, scan_messages
from scalewarden.slack.views.text import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    block_text_length,
    clip,
    source_links,
)

URL = "https://docs.aws.amazon.com/autoscaling/application/userguide/"
#: The shipped articles, as the service loads them by default.
SHIPPED = KnowledgeBase(DEFAULT_KNOWLEDGE_DIR)


def _answer() -> Answer:
    results = tuple(
        Result(
            f"article-{i}",
            f"Title {i} <b>",
            f"Section {i}",
            f"Snippet {i} & more",
            1.0 - i / 10,
            tuple(f"{URL}page-{i}-{j}.html" for j in range(5)),
        )
        for i in range(3)
    )
    return Answer("How do I encrypt <things>?", True, results)


def _texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_answer_has_snippet_title_three_sources_feedback_and_share() -> None:
    blocks = answer_blocks(_answer())
    text = _texts(blocks)
    assert "Snippet 0 &amp; more" in text and "Title 0 &lt;b&gt;" in text and "Section 0" in text
    context = blocks[1]["elements"][0]["text"]
    assert context.count("<https://") == 3 and "page-0-3" not in context
    actions = blocks[-1]["elements"]
    assert [a["action_id"] for a in actions] == ["feedback_up", "feedback_down", "share_answer"]
    value = parse_button_value(actions[0]["value"])
    assert value == {
        "q": "How do I encrypt <things>?",
        "a": ["article-0", "article-1", "article-2"],
    }


def test_shared_answer_has_no_share_button() -> None:
    actions = answer_blocks(_answer(), shareable=False)[-1]["elements"]
    assert "share_answer" not in [a["action_id"] for a in actions]


def test_no_answer_is_honest_and_offers_closest_topics() -> None:
    answer = Answer("what about kubernetes?", False, (), ("Resilience", "VPC endpoints"))
    text = _texts(answer_blocks(answer))
    assert "don't have a good answer" in text
    assert "Resilience" in text and "VPC endpoints" in text


def test_check_blocks_show_explanation_and_fix() -> None:
    blocks = check_blocks(
        sample_check(),
        finding={"resource": "table/orders", "account": "123456789012", "region": "us-east-1"},
    )
    text = _texts(blocks)
    assert "Why it matters" in text and "How to fix it" in text
    assert "register-scalable-target" in text and "table/orders" in text


def test_300_findings_fit_slack_limits_with_thread_and_file_overflow() -> None:
    report = build_report(300, errors=4)
    messages = scan_messages(report)
    for blocks in [messages.blocks, *messages.thread]:
        assert len(blocks) <= MAX_BLOCKS
        assert block_text_length(blocks) <= MAX_MESSAGE_CHARS
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
    assert messages.total_shown == 304
    assert 0 < messages.in_message < 304 and messages.needs_file
    assert 0 < len(messages.thread) <= MAX_THREAD_MESSAGES
    assert messages.in_message + messages.in_thread <= 304


def test_scan_results_worst_first_grouped_with_remediation_buttons() -> None:
    messages = scan_messages(build_report(10, errors=1))
    assert not messages.needs_file and not messages.thread
    sections = [b for b in messages.blocks if b["type"] == "section"]
    groups = [s["text"]["text"] for s in sections if "accessory" not in s]
    order = [g for g in groups if "—" in g]
    assert order[0].startswith(":red_circle: *Critical*")
    assert "could not be checked" in order[-1]
    ranks = []
    for g in order[:-1]:
        name = g.split("*")[1].lower()
        ranks.append(Severity(name).rank)
    assert ranks == sorted(ranks, reverse=True)
    finding = next(s for s in sections if "accessory" in s)
    assert finding["accessory"]["action_id"] == "show_remediation"
    assert "prod (123456789012)" in finding["text"]["text"]
    assert "table/orders-" in finding["text"]["text"]


def test_resources_with_secrets_are_redacted() -> None:
    report = build_report(1)
    from dataclasses import replace

    leaked = replace(
        report.findings[0], resource_id="https://x?token=xoxb-12345678901-abcdefghijkl"
    )
    report.findings[0] = leaked
    text = _texts(scan_messages(report).blocks)
    assert "xoxb-12345678901" not in text
    assert "[redacted]" in text


def test_home_view_depends_on_access() -> None:
    admin = _texts(home_view(latest=None, may_scan=True, admins_configured=True)["blocks"])
    user = _texts(home_view(latest=None, may_scan=False, admins_configured=True)["blocks"])
    off = _texts(home_view(latest=None, may_scan=False, admins_configured=False)["blocks"])
    assert "Run a scan" in admin and "Run a scan" not in user
    assert "SCALEWARDEN_ADMIN_USERS" in off
    with_scan = home_view(latest=build_report(3), may_scan=False, admins_configured=True)
    assert "3 failing" in _texts(with_scan["blocks"])
    # Which resources fail is for admins only, as `/scalewarden findings` is.
    assert "table/orders-" not in _texts(with_scan["blocks"])
    for_admin = home_view(latest=build_report(3), may_scan=True, admins_configured=True)
    assert "table/orders-" in _texts(for_admin["blocks"])


def _check_limits(blocks: list[dict]) -> None:
    """Every limit Slack enforces on one message's blocks."""
    assert len(blocks) <= MAX_BLOCKS
    assert block_text_length(blocks) <= MAX_MESSAGE_CHARS
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        elements = block.get("elements", []) + (
            [block["accessory"]] if "accessory" in block else []
        )
        buttons = [e for e in elements if e.get("type") == "button"]
        assert len({b["action_id"] for b in buttons}) == len(buttons)
        for button in buttons:
            assert len(button["text"]["text"]) <= 75
            assert len(button["value"]) <= 2000
            assert parse_button_value(button["value"]), button["value"][:80]


def test_hostile_findings_stay_within_every_limit_with_working_buttons() -> None:
    """Long titles and messages, and resource ids full of quotes and control characters
    (JSON escapes them up to six times longer) still give valid, parseable buttons."""
    from dataclasses import replace

    report = build_report(120, errors=2)
    report.findings[:] = [
        replace(
            f,
            title="T" * 400,
            message="m<!channel>" * 500,
            resource_id='"\\\x01' * 200 + str(i),
        )
        for i, f in enumerate(report.findings)
    ]
    messages = scan_messages(report, title="x" * 500)
    for blocks in [messages.blocks, *messages.thread]:
        _check_limits(blocks)
        assert "<!channel>" not in json.dumps(blocks)
    _check_limits(findings_blocks(report.findings, min_severity=None))


def md(text: str) -> MarkdownTextObject:
    """A mrkdwn text object as the SDK builds it, clipped as ours are."""
    return MarkdownTextObject(text=clip(text, MAX_SECTION_CHARS))


def _sdk_feedback_buttons(value: str) -> list[ButtonElement]:
    return [
        ButtonElement(text="👍 Helpful", action_id=ACTION_FEEDBACK_UP, value=value),
        ButtonElement(text="👎 Not helpful", action_id=ACTION_FEEDBACK_DOWN, value=value),
    ]


def _sdk_answer_blocks(answer: Answer, *, shareable: bool) -> list[dict[str, object]]:
    """The answer blocks built with slack_sdk's models, which validate what they render."""
    best = answer.results[0]
    blocks: list[object] = [SectionBlock(text=md(result_text(best)))]
    links = source_links(best.sources)
    if links:
        blocks.append(ContextBlock(elements=[md(f"Sources: {links}")]))
    others = answer.results[1:3]
    if others:
        also = "; ".join(f"{escape(r.title)} — {escape(r.section)}" for r in others)
        blocks.append(ContextBlock(elements=[md(f"See also: {also}")]))
    value = AnswerPayload(
        answer.question, tuple([r.article_id for r in answer.results[:3]])
    ).encode()
    buttons = _sdk_feedback_buttons(value)
    if shareable:
        buttons.append(
            ButtonElement(
                text="Share to channel", action_id=ACTION_SHARE, value=value, style="primary"
            )
        )
    blocks.append(ActionsBlock(block_id="answer_actions", elements=buttons))
    return [b.to_dict() for b in blocks]  # type: ignore[attr-defined]


def _sdk_no_answer_blocks(answer: Answer) -> list[dict[str, object]]:
    """The no-answer blocks built with slack_sdk's models."""
    blocks: list[object] = [
        SectionBlock(
            text=md(
                "I don't have a good answer to "
                f"“{inert(clip(answer.question, 300))}” in the knowledge base."
            )
        )
    ]
    titles = list(dict.fromkeys([*answer.suggestions, *(r.title for r in answer.results)]))[:5]
    if titles:
        lines = "\n".join(f"• {escape(t)}" for t in titles)
        blocks.append(SectionBlock(text=md(f"Closest topics I do know about:\n{lines}")))
    blocks.append(
        ContextBlock(
            elements=[
                md("Try rephrasing with a service name (ECS, DynamoDB…) or `/scalewarden help`.")
            ]
        )
    )
    value = AnswerPayload(
        answer.question, tuple([r.article_id for r in answer.results[:3]])
    ).encode()
    blocks.append(ActionsBlock(block_id="answer_actions", elements=_sdk_feedback_buttons(value)))
    return [b.to_dict() for b in blocks]  # type: ignore[attr-defined]


def test_no_answer_blocks_are_exactly_what_the_sdk_models_render_and_validate() -> None:
    answers = [
        SHIPPED.answer(q, 3)
        for q in (
            "what is the capital of france",
            "how do i bake bread",
            "what does s3 glacier cost",
        )
    ]
    # Declined, but with near misses: their titles join the suggestions, without repeats.
    near = Result("a-1", "T & <b>", "S", "s", 0.1, ())
    answers.append(Answer("near miss", False, (near,), suggestions=("T & <b>", "Other")))
    # Hostile content in the question: mrkdwn control characters and a mention.
    answers.append(Answer("<!channel> *bold* <@U1> & " + "q " * 400, False, ()))
    assert any(a.suggestions for a in answers)
    for answer in answers:
        assert not answer.answered or not answer.results
        assert answer_blocks(answer) == _sdk_no_answer_blocks(answer)


def test_answer_blocks_are_exactly_what_the_sdk_models_render_and_validate() -> None:
    answers = [
        SHIPPED.answer(q, 3)
        for q in (
            "do i need a vpce for aas",
            "whats the slr for ecs autoscaling",
            "which TLS version does the API require?",
            "how do i alert when someone deletes a scaling policy",
        )
    ]
    # Hostile and oversized content: mrkdwn control characters, clipping at 3,000 characters.
    long = Result("a-1", "T <@U1> & <!channel>", "S", "x" * 5000, 1.0, ("https://e/x.html",))
    answers.append(Answer("q " * 600, True, (long,)))
    answers.append(Answer("one result, no sources", True, (Result("a", "T", "S", "s", 1, ()),)))
    for answer in answers:
        assert answer.answered and answer.results
        for shareable in (True, False):
            assert answer_blocks(answer, shareable=shareable) == _sdk_answer_blocks(
                answer, shareable=shareable
            )
