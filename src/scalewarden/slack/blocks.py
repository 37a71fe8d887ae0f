"""Block Kit views of answers, checks, scan reports and the App Home tab.

Renderers decide nothing: they lay out an ``Answer``, a ``Check`` or a ``ScanReport`` built by
the core. Blocks are built with ``slack_sdk.models.blocks`` because those classes validate
Slack's field limits when a message is built, so a limit we forget fails in tests, not in a
customer's channel. Scan results are packed against Slack's message limits (50 blocks, 3,000
characters per section, about 12k characters of block text in all); what does not fit goes
to the thread and to a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.checks.model import (
    Check,
    Finding,
    ScanReport,
    Severity,
    Status,
    sort_findings,
)
from scalewarden.knowledge.answer import Answer, Result
from scalewarden.slack.redact import redact_resource
from scalewarden.slack.usertext import escape, inert

__all__ = ["escape", "inert"]  # re-exported: listeners escape through this module

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
#: Slack refuses messages with roughly 12–13k characters of block text (msg_blocks_too_long).
MAX_MESSAGE_CHARS = 12_000
MAX_SOURCES = 3
#: Thread replies that carry overflow findings; anything beyond is only in the file.
MAX_THREAD_MESSAGES = 3
#: Button values are limited to 2,000 characters; questions are cut well below that.
MAX_VALUE_QUESTION = 1500
MAX_VALUE_CHARS = 2000

ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"
ACTION_REMEDIATION = "show_remediation"

SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.CRITICAL: ":red_circle:",
    Severity.HIGH: ":large_orange_circle:",
    Severity.MEDIUM: ":large_yellow_circle:",
    Severity.LOW: ":large_blue_circle:",
    Severity.INFORMATIONAL: ":white_circle:",
}

Blocks = list[dict[str, Any]]


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, MAX_SECTION_CHARS))


def _render(blocks: Iterable[Block]) -> Blocks:
    return [b.to_dict() for b in blocks]


def block_text_length(blocks: Sequence[Mapping[str, Any]] | Mapping[str, Any] | Any) -> int:
    """Characters of text in a block structure (what Slack counts toward its message limit)."""
    if isinstance(blocks, Mapping):
        total = 0
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                total += len(value)
            elif key != "value":
                total += block_text_length(value)
        return total
    if isinstance(blocks, list | tuple):
        return sum(block_text_length(b) for b in blocks)
    return 0


def source_label(url: str) -> str:
    """A short link label: the documentation page name."""
    path = urlparse(url).path.rstrip("/")
    name = path.rsplit("/", 1)[-1] or urlparse(url).netloc
    return name.removesuffix(".html")


def source_links(sources: Sequence[str], limit: int = MAX_SOURCES) -> str:
    """Up to ``limit`` mrkdwn links, deduplicated, in order."""
    unique = list(dict.fromkeys(s for s in sources if s))[:limit]
    return " · ".join(f"<{s}|{escape(source_label(s))}>" for s in unique)


def _value(data: Mapping[str, Any], shrink: str) -> str:
    """A button value: compact JSON within Slack's 2,000 characters.

    Cutting the JSON itself would leave a value that no longer parses (and a button that
    silently does nothing), and escaping can make the JSON several times longer than the text
    in it (quotes, backslashes, control characters). So the ``shrink`` field is shortened
    until the whole value fits.
    """
    fields = dict(data)
    while True:
        value = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        text = str(fields.get(shrink) or "")
        if len(value) <= MAX_VALUE_CHARS or not text:
            return value
        fields[shrink] = clip(text, max(0, len(text) - (len(value) - MAX_VALUE_CHARS) - 1))


def answer_value(question: str, article_ids: Sequence[str]) -> str:
    """What a feedback or share button carries: the question and the articles shown."""
    data = {"q": clip(question, MAX_VALUE_QUESTION), "a": list(article_ids)[:MAX_SOURCES]}
    return _value(data, "q")


def parse_button_value(value: str | None) -> dict[str, Any]:
    """Read a button value we produced; anything else gives an empty dict, never an error."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def answer_blocks(answer: Answer, *, shareable: bool = True) -> Blocks:
    """The answer (or an honest no-answer) with sources and feedback buttons.

    Every answer in Slack goes through here, so it is built as plain dicts: rendering the SDK's
    model objects cost as much as the search itself (about 0.3 ms an answer) and shows under a
    burst of questions. The shapes are the same: a test renders the same answers through
    ``slack_sdk.models.blocks`` (which validates them) and compares.
    """
    if not answer.answered or not answer.results:
        return no_answer_blocks(answer)
    best = answer.results[0]
    blocks: Blocks = [
        {
            "type": "section",
            "text": _md_dict(
                f"*{escape(best.title)}* — _{escape(best.section)}_\n{escape(best.snippet)}"
            ),
        }
    ]
    links = source_links(best.sources)
    if links:
        blocks.append({"type": "context", "elements": [_md_dict(f"Sources: {links}")]})
    others = answer.results[1:3]
    if others:
        also = "; ".join(f"{escape(r.title)} — {escape(r.section)}" for r in others)
        blocks.append({"type": "context", "elements": [_md_dict(f"See also: {also}")]})
    article_ids = [r.article_id for r in answer.results[:MAX_SOURCES]]
    value = answer_value(answer.question, article_ids)
    buttons = [
        _button_dict("👍 Helpful", ACTION_FEEDBACK_UP, value),
        _button_dict("👎 Not helpful", ACTION_FEEDBACK_DOWN, value),
    ]
    if shareable:
        buttons.append(_button_dict("Share to channel", ACTION_SHARE, value, style="primary"))
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": buttons})
    return blocks


def _md_dict(text: str) -> dict[str, Any]:
    """``_md`` as the dict Slack receives (for the answer path, see ``answer_blocks``)."""
    return {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}


def _button_dict(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


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
    """An honest "I don't know", offering the closest topics we do cover.

    Plain dicts, like :func:`answer_blocks` and for the same reason; the same test checks them
    against the SDK's models.
    """
    blocks: Blocks = [
        {
            "type": "section",
            "text": _md_dict(
                "I don't have a good answer to "
                f"“{inert(clip(answer.question, 300))}” in the knowledge base."
            ),
        }
    ]
    titles = _suggestion_titles(answer)
    if titles:
        lines = "\n".join(f"• {escape(t)}" for t in titles)
        blocks.append(
            {"type": "section", "text": _md_dict(f"Closest topics I do know about:\n{lines}")}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                _md_dict(
                    "Try rephrasing with a service name (ECS, DynamoDB…) or `/scalewarden help`."
                )
            ],
        }
    )
    value = answer_value(answer.question, [r.article_id for r in answer.results[:MAX_SOURCES]])
    buttons = [
        _button_dict("👍 Helpful", ACTION_FEEDBACK_UP, value),
        _button_dict("👎 Not helpful", ACTION_FEEDBACK_DOWN, value),
    ]
    blocks.append({"type": "actions", "block_id": "answer_actions", "elements": buttons})
    return blocks


def answer_text(answer: Answer) -> str:
    """Notification fallback text for an answer message."""
    if answer.answered and answer.results:
        best = answer.results[0]
        return clip(f"{best.title} — {best.section}: {best.snippet}", 300)
    return "I don't have a good answer to that yet."


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
            text=_md(
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
                f"`{inert(redact_resource(finding.get('resource', '')))}`"
                if finding.get("resource")
                else "",
                f"account {inert(clip(finding['account'], 64))}" if finding.get("account") else "",
                inert(clip(finding.get("region", ""), 64)),
            )
            if part
        )
        if where:
            blocks.append(ContextBlock(elements=[_md(f"Resource: {where}")]))
    if check.risk:
        blocks.append(SectionBlock(text=_md(f"*Why it matters*\n{escape(check.risk)}")))
    fix = f"*How to fix it*\n{escape(check.remediation)}"
    if check.remediation_snippet:
        fix += f"\n```{clip(check.remediation_snippet, 2000)}```"
    blocks.append(SectionBlock(text=_md(fix)))
    if explanation is not None:
        text = (
            f"*From the knowledge base: {escape(explanation.title)} — "
            f"{escape(explanation.section)}*\n{escape(explanation.snippet)}"
        )
        blocks.append(SectionBlock(text=_md(text)))
        links = source_links(explanation.sources)
        if links:
            blocks.append(ContextBlock(elements=[_md(f"Sources: {links}")]))
    else:
        sources = list(check.requires)
        if sources:
            blocks.append(ContextBlock(elements=[_md(f"Sources: {source_links(sources)}")]))
    return _render(blocks)


def help_blocks(problem: str | None = None, *, may_scan: bool | None = None) -> Blocks:
    """Usage with examples; ``problem`` (already mrkdwn-safe apart from user text) goes first."""
    blocks: list[Block] = []
    if problem:
        blocks.append(SectionBlock(text=_md(f":warning: {inert(problem)}")))
    usage = (
        "*Usage*\n"
        "• `/scalewarden ask <question>`: an answer from the knowledge base\n"
        "  e.g. `/scalewarden ask how do I encrypt scaling data?`\n"
        "• `/scalewarden scan [check ids | topic] [region=...] [account=...]`: check AWS now "
        "(admins)\n"
        "  e.g. `/scalewarden scan region=us-east-1,eu-west-1` or "
        "`/scalewarden scan identity-and-access-management`\n"
        "• `/scalewarden findings [severity]`: the latest stored results (admins)\n"
        "  e.g. `/scalewarden findings high`\n"
        "• `/scalewarden help`: this message\n"
        "You can also mention me in a channel or send me a direct message with a question."
    )
    blocks.append(SectionBlock(text=_md(usage)))
    if may_scan is False:
        blocks.append(
            ContextBlock(elements=[_md("Scans and findings are for scalewarden admins.")])
        )
    return _render(blocks)


# --------------------------------------------------------------------------------------------
# Scan results


def _finding_block(finding: Finding) -> SectionBlock:
    account = finding.account_name or finding.account_id
    if finding.account_name:
        account = f"{finding.account_name} ({finding.account_id})"
    state = " — _could not be checked_" if finding.status is Status.ERROR else ""
    text = (
        f"*{escape(finding.title)}*{state}\n"
        f"`{escape(redact_resource(finding.resource_id))}` · account {escape(account)} · "
        f"{escape(finding.region)}\n{escape(finding.message)}"
    )
    value = _value(
        {
            "c": finding.check_id,
            "r": redact_resource(finding.resource_id, max_length=300),
            "a": finding.account_id,
            "g": finding.region,
        },
        "r",
    )
    return SectionBlock(
        text=_md(text),
        accessory=ButtonElement(text="Remediation", action_id=ACTION_REMEDIATION, value=value),
    )


def _group_block(severity: Severity, count: int, status: Status) -> SectionBlock:
    label = "could not be checked" if status is Status.ERROR else "failing"
    emoji = SEVERITY_EMOJI[severity] if status is Status.FAIL else ":warning:"
    return SectionBlock(text=_md(f"{emoji} *{severity.value.capitalize()}* — {count} {label}"))


def shown_findings(findings: Iterable[Finding]) -> list[Finding]:
    """What a channel needs to see: FAIL and ERROR findings, worst first."""
    return sort_findings([f for f in findings if f.status in (Status.FAIL, Status.ERROR)])


@dataclass
class _Packer:
    """Fills one message with findings until a Slack limit would be crossed."""

    reserve_blocks: int = 1
    reserve_chars: int = 400
    blocks: Blocks = field(default_factory=list)
    chars: int = 0

    def fits(self, new: Blocks) -> bool:
        return (
            len(self.blocks) + len(new) + self.reserve_blocks <= MAX_BLOCKS
            and self.chars + block_text_length(new) + self.reserve_chars <= MAX_MESSAGE_CHARS
        )

    def add(self, new: Blocks) -> None:
        self.blocks.extend(new)
        self.chars += block_text_length(new)


def _pack(
    findings: Sequence[Finding], counts: Mapping[tuple[Status, Severity], int], packer: _Packer
) -> int:
    """Add findings in order (with their group headings); returns how many fitted."""
    group: tuple[Status, Severity] | None = None
    for i, finding in enumerate(findings):
        new: Blocks = []
        key = (finding.status, finding.severity)
        if key != group:
            new.append(_group_block(finding.severity, counts[key], finding.status).to_dict())
        new.append(_finding_block(finding).to_dict())
        if not packer.fits(new):
            return i
        packer.add(new)
        group = key
    return len(findings)


@dataclass
class ScanMessages:
    """A scan report split into what Slack accepts: the message, thread replies, a file."""

    text: str
    blocks: Blocks
    thread: list[Blocks]
    in_message: int
    in_thread: int
    total_shown: int

    @property
    def needs_file(self) -> bool:
        """True when findings overflowed the main message (the file then has all of them)."""
        return self.in_message < self.total_shown


def scan_summary_text(report: ScanReport) -> str:
    """One line: failing counts by severity, errors, scope and duration."""
    summary = report.summary
    fails = summary["fail_by_severity"]
    total_fail = sum(fails.values())
    parts = [f"{fails[s.value]} {s.value}" for s in Severity if fails.get(s.value)]
    detail = f" ({', '.join(parts)})" if parts else ""
    errors = summary["by_status"].get("ERROR", 0)
    seconds = max(0.0, (report.finished_at - report.started_at).total_seconds())
    regions = len(report.regions)
    accounts = len(report.accounts)
    text = f"{total_fail} failing{detail}"
    if errors:
        text += f", {errors} could not be checked"
    text += (
        f" · {regions} region{'s' if regions != 1 else ''} · {accounts} "
        f"account{'s' if accounts != 1 else ''} · {seconds:.0f}s"
    )
    return text


def scan_messages(report: ScanReport, *, title: str = "Scan results") -> ScanMessages:
    """Lay out a report worst first, grouped by severity, within Slack's limits."""
    findings = shown_findings(report.findings)
    counts: dict[tuple[Status, Severity], int] = {}
    for f in findings:
        counts[(f.status, f.severity)] = counts.get((f.status, f.severity), 0) + 1
    summary = scan_summary_text(report)
    head: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, 150))),
        SectionBlock(text=_md(escape(summary))),
    ]
    if report.coverage:
        head.append(
            ContextBlock(
                elements=[
                    _md(
                        f":warning: {len(report.coverage)} source(s) could not be read; "
                        "the affected checks say ERROR rather than PASS."
                    )
                ]
            )
        )
    if not findings:
        head.append(SectionBlock(text=_md(":white_check_mark: Nothing failing in this scope.")))
    packer = _Packer()
    packer.add(_render(head))
    in_message = _pack(findings, counts, packer)
    blocks = packer.blocks
    thread: list[Blocks] = []
    rest = findings[in_message:]
    in_thread = 0
    while rest and len(thread) < MAX_THREAD_MESSAGES:
        reply = _Packer()
        n = _pack(rest, counts, reply)
        if n == 0:
            break
        thread.append(reply.blocks)
        in_thread += n
        rest = rest[n:]
    if in_message < len(findings):
        note = (
            f"Showing the worst {in_message} of {len(findings)} here; "
            f"{in_thread} more in the thread, and all of them in the attached file."
        )
        blocks.append(ContextBlock(elements=[_md(note)]).to_dict())
    return ScanMessages(
        text=clip(f"{title}: {summary}", 300),
        blocks=blocks,
        thread=thread,
        in_message=in_message,
        in_thread=in_thread,
        total_shown=len(findings),
    )


def findings_blocks(findings: Sequence[Finding], *, min_severity: str | None) -> Blocks:
    """The latest stored findings for an ephemeral reply; what does not fit is counted."""
    shown = shown_findings(findings)
    label = f" at {min_severity} or above" if min_severity else ""
    counts: dict[tuple[Status, Severity], int] = {}
    for f in shown:
        counts[(f.status, f.severity)] = counts.get((f.status, f.severity), 0) + 1
    packer = _Packer()
    packer.add(
        _render(
            [
                HeaderBlock(text=PlainTextObject(text="Latest findings")),
                SectionBlock(text=_md(f"{len(shown)} open finding(s){escape(label)}.")),
            ]
        )
    )
    fitted = _pack(shown, counts, packer)
    if fitted < len(shown):
        packer.blocks.append(
            ContextBlock(
                elements=[
                    _md(
                        f"{len(shown) - fitted} more not shown. Narrow the list with "
                        "`/scalewarden findings critical` or `high`."
                    )
                ]
            ).to_dict()
        )
    return packer.blocks


def progress_blocks(text: str) -> Blocks:
    """The single section used for the live scan progress message."""
    return _render([SectionBlock(text=_md(text))])


# --------------------------------------------------------------------------------------------
# App Home


def home_view(
    *, latest: ScanReport | None, may_scan: bool, admins_configured: bool
) -> dict[str, Any]:
    """The Home tab: last scan summary, what this user may do, quick help."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="scalewarden"))]
    blocks.append(
        SectionBlock(
            text=_md(
                "A security assistant for AWS Application Auto Scaling: answers from a "
                "reviewed knowledge base, and checks of your accounts."
            )
        )
    )
    blocks.append(DividerBlock())
    if latest is None:
        blocks.append(SectionBlock(text=_md("*Last scan*\nNo scan has been stored yet.")))
    else:
        when = latest.finished_at.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(
            SectionBlock(text=_md(f"*Last scan* ({when})\n{escape(scan_summary_text(latest))}"))
        )
        # The counts are for everyone; which resources fail is for admins (as `findings` is).
        worst = shown_findings(latest.findings)[:5] if may_scan else []
        if worst:
            lines = "\n".join(
                f"{SEVERITY_EMOJI[f.severity]} {escape(f.title)} · "
                f"`{escape(redact_resource(f.resource_id, max_length=60))}`"
                for f in worst
            )
            blocks.append(SectionBlock(text=_md(f"*Worst findings*\n{lines}")))
    blocks.append(DividerBlock())
    can = [
        "• Ask anything about Application Auto Scaling security: `/scalewarden ask ...`, "
        "a mention, or a direct message to me",
    ]
    if may_scan:
        can.append("• Read the latest results: `/scalewarden findings [severity]`")
        can.append("• Run a scan: `/scalewarden scan [check ids | topic] [region=...]`")
    elif admins_configured:
        can.append("• Scans and findings are for scalewarden admins; ask one of them.")
    else:
        can.append(
            "• Scans are off until `SCALEWARDEN_ADMIN_USERS` or `SCALEWARDEN_ADMIN_USERGROUP` "
            "is configured."
        )
    blocks.append(SectionBlock(text=_md("*What you can do*\n" + "\n".join(can))))
    blocks.append(
        ContextBlock(
            elements=[
                _md(
                    "Quick help: `/scalewarden help` · e.g. `/scalewarden ask what is a "
                    "service-linked role?`"
                )
            ]
        )
    )
    return {"type": "home", "blocks": _render(blocks)}
