"""The ``/scalewarden help`` message, generated from the subcommand specs."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, SectionBlock

from scalewarden.slack.commands import SLASH_COMMAND, SPECS, CommandSpec
from scalewarden.slack.usertext import inert
from scalewarden.slack.views.text import Blocks, md, render


def command_line(spec: CommandSpec) -> str:
    """```/scalewarden usage``: summary (admins)``, as help and the README list it."""
    admins = " (admins)" if spec.admin_only else ""
    return f"`{SLASH_COMMAND} {spec.usage}`: {spec.summary[:1].lower()}{spec.summary[1:]}{admins}"


def usage_lines() -> list[str]:
    """One line per subcommand (its usage, summary, who may use it) and its example."""
    lines = []
    for spec in SPECS:
        lines.append(f"• {command_line(spec)}")
        if spec.example:
            lines.append(f"  e.g. `{SLASH_COMMAND} {spec.example}`")
    return lines


def help_blocks(problem: str | None = None) -> Blocks:
    """Usage with examples; ``problem`` (it may quote the user's text) goes first, inert."""
    blocks: list[Block] = []
    if problem:
        blocks.append(SectionBlock(text=md(f":warning: {inert(problem)}")))
    usage = "\n".join(
        [
            "*Usage*",
            *usage_lines(),
            "You can also mention me in a channel or send me a direct message with a question.",
        ]
    )
    blocks.append(SectionBlock(text=md(usage)))
    return render(blocks)
