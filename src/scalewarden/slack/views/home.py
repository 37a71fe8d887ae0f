"""The App Home tab: the last scan's summary, and what this user may do (from the specs)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.checks.model import ScanReport
from scalewarden.slack.commands import SLASH_COMMAND, SPECS
from scalewarden.slack.redact import redact_resource
from scalewarden.slack.usertext import code, escape
from scalewarden.slack.views.scan import scan_summary_text, shown_findings
from scalewarden.slack.views.text import SEVERITY_EMOJI, md, render


def command_lines(*, may_scan: bool, admins_configured: bool) -> list[str]:
    """The subcommands this user may run, one line each; a note on the admin-only ones."""
    lines = [
        f"• {spec.summary}: `{SLASH_COMMAND} {spec.usage}`"
        for spec in SPECS
        if may_scan or not spec.admin_only
    ]
    lines.append("• Or mention me in a channel, or send me a direct message with a question")
    restricted = ", ".join(f"`{spec.name}`" for spec in SPECS if spec.admin_only)
    if may_scan or not restricted:
        return lines
    if admins_configured:
        lines.append(f"• {restricted} are for scalewarden admins; ask one of them.")
    else:
        lines.append(
            f"• {restricted} are off until `SCALEWARDEN_ADMIN_USERS` or "
            "`SCALEWARDEN_ADMIN_USERGROUP` is configured."
        )
    return lines


def home_view(
    *, latest: ScanReport | None, may_scan: bool, admins_configured: bool
) -> dict[str, Any]:
    """The Home tab: last scan summary, what this user may do, quick help."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="scalewarden"))]
    blocks.append(
        SectionBlock(
            text=md(
                "A security assistant for AWS Application Auto Scaling: answers from a "
                "reviewed knowledge base, and checks of your accounts."
            )
        )
    )
    blocks.append(DividerBlock())
    if latest is None:
        blocks.append(SectionBlock(text=md("*Last scan*\nNo scan has been stored yet.")))
    else:
        when = latest.finished_at.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(
            SectionBlock(text=md(f"*Last scan* ({when})\n{escape(scan_summary_text(latest))}"))
        )
        # The counts are for everyone; which resources fail is for admins (as `findings` is).
        worst = shown_findings(latest.findings)[:5] if may_scan else []
        if worst:
            lines = "\n".join(
                f"{SEVERITY_EMOJI[f.severity]} {escape(f.title)} · "
                f"{code(redact_resource(f.resource_id, max_length=60))}"
                for f in worst
            )
            blocks.append(SectionBlock(text=md(f"*Worst findings*\n{lines}")))
    blocks.append(DividerBlock())
    can = command_lines(may_scan=may_scan, admins_configured=admins_configured)
    blocks.append(SectionBlock(text=md("*What you can do*\n" + "\n".join(can))))
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    f"Quick help: `{SLASH_COMMAND} help` · e.g. `{SLASH_COMMAND} ask what is a "
                    "service-linked role?`"
                )
            ]
        )
    )
    return {"type": "home", "blocks": render(blocks)}
