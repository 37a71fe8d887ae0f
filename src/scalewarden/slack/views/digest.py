"""A posture digest as Block Kit: the message, its thread overflow, and the full list.

Laid out from the pure outline (``digests/compose.py``) within Slack's limits (50 blocks,
3,000 characters per section, about 12k characters per message): the new findings worst
first, each with its "Remediation" button (the check's knowledge-base explanation), then what
was resolved. What does not fit goes into the thread, and the whole scan into a file. Every
text read from an account is escaped and redacted as in the scan views.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.checks.model import Finding, Severity
from scalewarden.digests.compose import DigestOutline
from scalewarden.slack.redact import plain_masks, redact_resource
from scalewarden.slack.usertext import code, escape
from scalewarden.slack.views.buttons import ACTION_DIGEST_FULL
from scalewarden.slack.views.scan import MAX_THREAD_MESSAGES, Packer, finding_block
from scalewarden.slack.views.text import SEVERITY_EMOJI, Blocks, SplitMessages, clip, md, render

#: Lapsed mutes and unchecked checks listed by name; more are counted.
MAX_LISTED = 10
#: Longest fallback ``text`` (notifications, clients without Block Kit).
MAX_FALLBACK_CHARS = 3000
#: Ephemeral replies the "full list" button may send (a ``response_url`` takes five).
MAX_FULL_LIST_MESSAGES = 5


def _fallback(outline: DigestOutline) -> str:
    """The plain-text digest as mrkdwn-safe fallback text: escaped, the checks' masks shown
    as the channel's, so a resource name can neither ping nor disguise a link."""
    return clip(escape(plain_masks(outline.summary)), MAX_FALLBACK_CHARS)


def _resolved_block(finding: Finding) -> SectionBlock:
    return SectionBlock(
        text=md(
            f":white_check_mark: ~{escape(finding.title)}~\n"
            f"{code(redact_resource(finding.resource_id))} · account "
            f"{escape(finding.account_id)} · {escape(finding.region)}"
        )
    )


def _blocks_of(finding: Finding, resolved: set[int]) -> Blocks:
    block = _resolved_block(finding) if id(finding) in resolved else finding_block(finding)
    return [block.to_dict()]


def _counts_line(outline: DigestOutline) -> str:
    parts = [
        f"{SEVERITY_EMOJI[s]} {n} {s.value}"
        for s in Severity
        if (n := outline.failing_by_severity.get(s, 0))
    ]
    failing = " · ".join(parts) if parts else "nothing failing"
    return (
        f"*Failing now:* {failing}\n*Still open:* {outline.open_count} · *Muted:* "
        f"{outline.muted_count}"
        + (
            f" · *Gone but not verified:* {outline.unverified_count}"
            if outline.unverified_count
            else ""
        )
    )


def _notes(outline: DigestOutline) -> list[Block]:
    blocks: list[Block] = []
    if outline.lapsed_mutes:
        lines = [
            f"• #{m.id} {code(m.check_id)} {escape(m.resource_pattern or '*')}: "
            f"{escape(clip(m.reason, 200))}"
            for m in outline.lapsed_mutes[:MAX_LISTED]
        ]
        more = len(outline.lapsed_mutes) - MAX_LISTED
        if more > 0:
            lines.append(f"…and {more} more")
        blocks.append(
            SectionBlock(
                text=md(
                    ":alarm_clock: *Mutes that lapsed* (their findings count again)\n"
                    + "\n".join(lines)
                )
            )
        )
    if outline.unchecked:
        lines = [
            f"• {code(c.check_id)} ({c.places} place{'s' if c.places != 1 else ''}): "
            f"{escape(clip(c.reason, 200))}"
            for c in outline.unchecked[:MAX_LISTED]
        ]
        more = len(outline.unchecked) - MAX_LISTED
        if more > 0:
            lines.append(f"…and {more} more")
        blocks.append(
            SectionBlock(
                text=md(
                    ":warning: *Could not be checked* (never counted as fixed)\n" + "\n".join(lines)
                )
            )
        )
    return blocks


def digest_messages(
    outline: DigestOutline, *, title: str, button_value: str | None = None
) -> SplitMessages:
    """The digest's message (and thread replies). ``button_value``, when given, adds the
    "Show the full list" button (a ``DigestPayload``)."""
    if outline.quiet:
        line = f":zzz: {title}: {outline.headline}"
        return SplitMessages(
            text=_fallback(outline),
            blocks=render([SectionBlock(text=md(escape(line)))]),
            thread=[],
            in_message=0,
            in_thread=0,
            total_shown=0,
        )
    head: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, 150))),
        SectionBlock(text=md(escape(outline.headline))),
        SectionBlock(text=md(_counts_line(outline))),
        *_notes(outline),
    ]
    tail: list[Block] = []
    if button_value is not None:
        tail.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Show the full list",
                        action_id=ACTION_DIGEST_FULL,
                        value=button_value,
                    )
                ]
            )
        )
    findings = outline.findings_shown
    resolved = {id(f) for f in outline.resolved}
    packer = Packer(reserve_blocks=1 + len(tail) + 1)
    packer.add(render(head))
    in_message = _pack(findings, outline, resolved, packer, heading_from=0)
    thread: list[Blocks] = []
    in_thread = 0
    while in_message + in_thread < len(findings) and len(thread) < MAX_THREAD_MESSAGES:
        reply = Packer()
        start = in_message + in_thread
        n = _pack(findings[start:], outline, resolved, reply, heading_from=start)
        if n == 0:
            break
        thread.append(reply.blocks)
        in_thread += n
    blocks = packer.blocks
    blocks.extend(render(tail))
    if in_message < len(findings):
        note = (
            f"Showing {in_message} of {len(findings)} new and resolved findings here; "
            f"{in_thread} more in the thread, and the whole scan in the attached file."
        )
        blocks.append(ContextBlock(elements=[md(note)]).to_dict())
    return SplitMessages(
        text=_fallback(outline),
        blocks=blocks,
        thread=thread,
        in_message=in_message,
        in_thread=in_thread,
        total_shown=len(findings),
    )


def _pack(
    findings: Sequence[Finding],
    outline: DigestOutline,
    resolved: set[int],
    packer: Packer,
    *,
    heading_from: int,
) -> int:
    """Add findings in order, with a "New"/"Resolved" heading where each list starts (or
    resumes); returns how many fitted."""
    new_count = len(outline.new)
    for i, finding in enumerate(findings):
        position = heading_from + i
        new: Blocks = []
        if i == 0 or position in (0, new_count):
            label = (
                f"*New* ({new_count})"
                if position < new_count
                else f"*Resolved* ({len(outline.resolved)})"
            )
            new.append(SectionBlock(text=md(label)).to_dict())
        new.extend(_blocks_of(finding, resolved))
        if not packer.fits(new):
            return i
        packer.add(new)
    return len(findings)


def full_list_messages(outline: DigestOutline, *, title: str) -> list[Blocks]:
    """Every new and resolved finding for the admin who clicked, in at most
    :data:`MAX_FULL_LIST_MESSAGES` messages (the file holds the rest)."""
    findings = outline.findings_shown
    resolved = {id(f) for f in outline.resolved}
    messages: list[Blocks] = []
    done = 0
    while len(messages) < MAX_FULL_LIST_MESSAGES:
        packer = Packer(reserve_blocks=1)
        if not messages:
            packer.add(render([HeaderBlock(text=PlainTextObject(text=clip(title, 150)))]))
        n = _pack(findings[done:], outline, resolved, packer, heading_from=done)
        done += n
        messages.append(packer.blocks)
        if done >= len(findings) or n == 0:
            break
    if done < len(findings):
        messages[-1].append(
            ContextBlock(
                elements=[md(f"{len(findings) - done} more: see the file in the digest's thread.")]
            ).to_dict()
        )
    if not findings:
        messages[-1].append(SectionBlock(text=md(escape(outline.headline))).to_dict())
    return messages
