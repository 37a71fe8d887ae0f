"""The remediation card: what a check looks for, why it matters, how to fix it.

The explanation below the fix is the check's own section (``kb_section``), fetched by id
(``SlackServices.explain``), never a search for the check's title, which could return another
article. Without one the card simply ends with the fix: a check's ``requires`` names inventory
data sources, not pages anyone could follow.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.checks.model import Check
from scalewarden.knowledge.answer import Result
from scalewarden.knowledge.mrkdwn import truncate
from scalewarden.slack.redact import redact, redact_resource
from scalewarden.slack.usertext import code, escape, inert, unescape
from scalewarden.slack.views.answers import result_text
from scalewarden.slack.views.text import SEVERITY_EMOJI, Blocks, clip, md, render, source_links


def check_blocks(
    check: Check,
    *,
    finding: Mapping[str, str] | None = None,
    explanation: Result | None = None,
) -> Blocks:
    """A check's explanation and remediation; with ``finding``, the resource it is about."""
    emoji = SEVERITY_EMOJI.get(check.severity, "")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(check.title, 150))),
        SectionBlock(
            text=md(
                f"{emoji} *{check.severity.value.capitalize()}* · `{check.id}` · "
                f"{escape(check.topic)}\n{escape(check.description)}"
            )
        ),
    ]
    if finding:
        where = " · ".join(
            part
            for part in (
                # Button values are user input: everything here is shown as inert text.
                code(redact(unescape(redact_resource(finding.get("resource", "")))))
                if finding.get("resource")
                else "",
                f"account {inert(clip(finding['account'], 64))}" if finding.get("account") else "",
                inert(clip(finding.get("region", ""), 64)),
            )
            if part
        )
        if where:
            blocks.append(ContextBlock(elements=[md(f"Resource: {where}")]))
    if check.risk:
        blocks.append(SectionBlock(text=md(f"*Why it matters*\n{escape(check.risk)}")))
    fix = f"*How to fix it*\n{escape(check.remediation)}"
    if check.remediation_snippet:
        # Escaped like any mrkdwn (a code block too: Slack reads ``<policy-arn>`` there as a
        # link and shows "policy-arn"), and cut between words: people paste this command.
        fix += f"\n```{truncate(escape(check.remediation_snippet), 2000)}```"
    blocks.append(SectionBlock(text=md(fix)))
    if explanation is not None:
        blocks.append(SectionBlock(text=md(result_text(explanation, "From the knowledge base: "))))
        links = source_links(explanation.sources)
        if links:
            blocks.append(ContextBlock(elements=[md(f"Sources: {links}")]))
    return render(blocks)
