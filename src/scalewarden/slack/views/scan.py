"""Scan results, stored findings and the live progress message, within Slack's limits.

Scan results are packed against Slack's message limits (50 blocks, 3,000 characters per
section, about 12k characters of block text in all); what does not fit goes to the thread and
to a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.checks.model import Finding, ScanReport, Severity, Status, sort_findings
from scalewarden.slack.redact import redact_resource
from scalewarden.slack.usertext import clean, code, escape
from scalewarden.slack.views.buttons import (
    ACTION_REMEDIATION,
    MAX_VALUE_RESOURCE,
    RemediationPayload,
)
from scalewarden.slack.views.text import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    SEVERITY_EMOJI,
    Blocks,
    SplitMessages,
    block_text_length,
    clip,
    fallback,
    md,
    render,
)

#: Thread replies that carry overflow findings; anything beyond is only in the file.
MAX_THREAD_MESSAGES = 3


def finding_block(finding: Finding) -> SectionBlock:
    """One finding with its "Remediation" button (the check's knowledge-base explanation)."""
    account = finding.account_name or finding.account_id
    if finding.account_name:
        account = f"{finding.account_name} ({finding.account_id})"
    state = " — _could not be checked_" if finding.status is Status.ERROR else ""
    text = (
        f"*{escape(finding.title)}*{state}\n"
        f"{code(redact_resource(finding.resource_id))} · account {escape(clean(account))} · "
        f"{escape(finding.region)}\n{escape(clean(finding.message))}"
    )
    value = RemediationPayload(
        check_id=finding.check_id,
        resource=redact_resource(finding.resource_id, max_length=MAX_VALUE_RESOURCE),
        account=finding.account_id,
        region=finding.region,
    ).encode()
    return SectionBlock(
        text=md(text),
        accessory=ButtonElement(text="Remediation", action_id=ACTION_REMEDIATION, value=value),
    )


def _group_block(severity: Severity, count: int, status: Status) -> SectionBlock:
    label = "could not be checked" if status is Status.ERROR else "failing"
    emoji = SEVERITY_EMOJI[severity] if status is Status.FAIL else ":warning:"
    return SectionBlock(text=md(f"{emoji} *{severity.value.capitalize()}* — {count} {label}"))


def shown_findings(findings: Iterable[Finding]) -> list[Finding]:
    """What a channel needs to see: FAIL and ERROR findings, worst first."""
    return sort_findings([f for f in findings if f.status in (Status.FAIL, Status.ERROR)])


def _group_counts(findings: Iterable[Finding]) -> dict[tuple[Status, Severity], int]:
    counts: dict[tuple[Status, Severity], int] = {}
    for f in findings:
        counts[(f.status, f.severity)] = counts.get((f.status, f.severity), 0) + 1
    return counts


@dataclass
class Packer:
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
    findings: Sequence[Finding], counts: Mapping[tuple[Status, Severity], int], packer: Packer
) -> int:
    """Add findings in order (with their group headings); returns how many fitted."""
    group: tuple[Status, Severity] | None = None
    for i, finding in enumerate(findings):
        new: Blocks = []
        key = (finding.status, finding.severity)
        if key != group:
            new.append(_group_block(finding.severity, counts[key], finding.status).to_dict())
        new.append(finding_block(finding).to_dict())
        if not packer.fits(new):
            return i
        packer.add(new)
        group = key
    return len(findings)


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


def scan_messages(report: ScanReport, *, title: str = "Scan results") -> SplitMessages:
    """Lay out a report worst first, grouped by severity, within Slack's limits."""
    findings = shown_findings(report.findings)
    counts = _group_counts(findings)
    summary = scan_summary_text(report)
    head: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, 150))),
        SectionBlock(text=md(escape(summary))),
    ]
    if report.coverage:
        head.append(
            ContextBlock(
                elements=[
                    md(
                        f":warning: {len(report.coverage)} source(s) could not be read; "
                        "the affected checks say ERROR rather than PASS."
                    )
                ]
            )
        )
    if not findings:
        head.append(SectionBlock(text=md(":white_check_mark: Nothing failing in this scope.")))
    packer = Packer()
    packer.add(render(head))
    in_message = _pack(findings, counts, packer)
    blocks = packer.blocks
    thread: list[Blocks] = []
    rest = findings[in_message:]
    in_thread = 0
    while rest and len(thread) < MAX_THREAD_MESSAGES:
        reply = Packer()
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
        blocks.append(ContextBlock(elements=[md(note)]).to_dict())
    return SplitMessages(
        text=fallback(f"{title}:", summary),
        blocks=blocks,
        thread=thread,
        in_message=in_message,
        in_thread=in_thread,
        total_shown=len(findings),
    )


def findings_blocks(
    findings: Sequence[Finding], *, min_severity: str | None, title: str = "Latest findings"
) -> Blocks:
    """Stored findings for an ephemeral reply; what does not fit is counted."""
    shown = shown_findings(findings)
    label = f" at {min_severity} or above" if min_severity else ""
    packer = Packer()
    packer.add(
        render(
            [
                HeaderBlock(text=PlainTextObject(text=clip(title, 150))),
                SectionBlock(text=md(f"{len(shown)} open finding(s){escape(label)}.")),
            ]
        )
    )
    fitted = _pack(shown, _group_counts(shown), packer)
    if fitted < len(shown):
        packer.blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"{len(shown) - fitted} more not shown. Narrow the list with "
                        "`/scalewarden findings critical` or `high`."
                    )
                ]
            ).to_dict()
        )
    return packer.blocks


def progress_blocks(text: str) -> Blocks:
    """The single section used for the live scan progress message."""
    return render([SectionBlock(text=md(text))])
