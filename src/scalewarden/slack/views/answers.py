"""Answers from the knowledge base, and the honest "I don't know" with the closest topics.

Every answer in Slack goes through here, so these views are built as plain dicts: rendering the
SDK's model objects cost as much as the search itself (about 0.3 ms an answer) and shows under
a burst of questions. The shapes are the same: a test renders the same answers through
``slack_sdk.models.blocks`` (which validates them) and compares.
"""

from __future__ import annotations

from collections.abc import Mapping

from scalewarden.knowledge.answer import Answer, Result
from scalewarden.knowledge.mrkdwn import table_rows
from scalewarden.knowledge.snippets import blocks as snippet_blocks
from scalewarden.slack.usertext import escape, inert
from scalewarden.slack.views.buttons import (
    ACTION_ACCOUNT_FINDINGS,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SHARE,
    AccountPayload,
    AnswerPayload,
    button,
)
from scalewarden.slack.views.text import (
    MAX_SECTION_CHARS,
    MAX_SOURCES,
    Blocks,
    article_mrkdwn,
    clip,
    fallback,
    md_dict,
    source_links,
)


def result_text(result: Result, prefix: str = "") -> str:
    """A result as one mrkdwn section: its article and heading, then its snippet rendered for
    Slack (tables, emphasis, links), within the section limit and with no identifier cut."""
    head = f"*{prefix}{escape(result.title)}* — _{escape(result.section)}_\n"
    return head + article_mrkdwn(result.snippet, MAX_SECTION_CHARS - len(head))


def _feedback_actions(answer: Answer, *, shareable: bool) -> dict[str, object]:
    """👍/👎 (and "Share to channel") carrying the question and the articles shown."""
    value = AnswerPayload(
        answer.question, tuple(r.article_id for r in answer.results[:MAX_SOURCES])
    ).encode()
    buttons = [
        button("👍 Helpful", ACTION_FEEDBACK_UP, value),
        button("👎 Not helpful", ACTION_FEEDBACK_DOWN, value),
    ]
    if shareable:
        buttons.append(button("Share to channel", ACTION_SHARE, value, style="primary"))
    return {"type": "actions", "block_id": "answer_actions", "elements": buttons}


def answer_blocks(answer: Answer, *, shareable: bool = True) -> Blocks:
    """The answer (or an honest no-answer) with sources and feedback buttons."""
    if not answer.answered or not answer.results:
        return no_answer_blocks(answer)
    best = answer.results[0]
    blocks: Blocks = [{"type": "section", "text": md_dict(result_text(best))}]
    links = source_links(best.sources)
    if links:
        blocks.append({"type": "context", "elements": [md_dict(f"Sources: {links}")]})
    others = answer.results[1:3]
    if others:
        also = "; ".join(f"{escape(r.title)} — {escape(r.section)}" for r in others)
        blocks.append({"type": "context", "elements": [md_dict(f"See also: {also}")]})
    blocks.append(_feedback_actions(answer, shareable=shareable))
    return blocks


def _suggestion_titles(answer: Answer) -> list[str]:
    titles: list[str] = []
    for item in getattr(answer, "suggestions", None) or []:
        if isinstance(item, str):
            titles.append(item)
        elif isinstance(item, Mapping):
            titles.append(str(item.get("title") or item.get("article_id") or ""))
        else:
            titles.append(str(getattr(item, "title", "") or getattr(item, "article_id", "")))
    titles.extend(r.title for r in answer.results)
    return [t for t in dict.fromkeys(titles) if t][:5]


def no_answer_blocks(answer: Answer) -> Blocks:
    """An honest "I don't know", offering the closest topics we do cover."""
    blocks: Blocks = [
        {
            "type": "section",
            "text": md_dict(
                "I don't have a good answer to "
                f"“{inert(clip(answer.question, 300))}” in the knowledge base."
            ),
        }
    ]
    titles = _suggestion_titles(answer)
    if titles:
        lines = "\n".join(f"• {escape(t)}" for t in titles)
        blocks.append(
            {"type": "section", "text": md_dict(f"Closest topics I do know about:\n{lines}")}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                md_dict(
                    "Try rephrasing with a service name (ECS, DynamoDB…) or `/scalewarden help`."
                )
            ],
        }
    )
    blocks.append(_feedback_actions(answer, shareable=False))
    return blocks


def answer_text(answer: Answer) -> str:
    """Notification fallback text for an answer message, escaped like the blocks."""
    if answer.answered and answer.results:
        best = answer.results[0]
        return fallback(f"{best.title} — {best.section}:", _tables_as_rows(best.snippet))
    return "I don't have a good answer to that yet."


def _tables_as_rows(snippet: str) -> str:
    """The snippet with each pipe table written as its rows ("name: value; …", the header
    row and the ``---`` rule dropped): a notification is one line, where a table read as
    "| item | value | | --- | --- | | scalable dimensions | …"."""
    parts: list[str] = []
    for block in snippet_blocks(snippet):
        if block.kind != "table":
            parts.append(block.text)
            continue
        header, *rows = table_rows(block.text) or [[]]
        for first, *rest in rows:
            if len(header) == 2 and rest:
                parts.append(f"{first}: {rest[0]};")
            else:
                # Rows may be shorter or longer than the header in hand-written Markdown.
                named = zip(header[1:], rest, strict=False)
                pairs = [f"{name}: {value}" for name, value in named if value]
                parts.append(f"{first} — {'; '.join(pairs)};" if pairs else f"{first};")
    return " ".join(parts).removesuffix(";")


def account_blocks(line: str, payload: AccountPayload | None) -> Blocks:
    """The line that ends an answer for its asker (``account_answers.note_text`` or
    ``non_admin_text``, already mrkdwn-safe), with "List them" when findings fail."""
    block: dict[str, object] = {
        "type": "section",
        "block_id": "account_note",
        "text": md_dict(line),
    }
    if payload is not None:
        block["accessory"] = button("List them", ACTION_ACCOUNT_FINDINGS, payload.encode())
    return [block]
