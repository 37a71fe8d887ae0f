"""What every Block Kit view shares: Slack's limits, clipping, mrkdwn sections, source links.

Blocks are built with ``slack_sdk.models.blocks`` where that is affordable, because those
classes validate Slack's field limits when a message is built, so a limit we forget fails in
tests, not in a customer's channel. The answer path builds the same shapes as plain dicts
(see ``views/answers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from slack_sdk.models.blocks import Block, MarkdownTextObject

from scalewarden.checks.model import Severity
from scalewarden.slack.usertext import escape

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
#: Slack refuses messages with roughly 12–13k characters of block text (msg_blocks_too_long).
MAX_MESSAGE_CHARS = 12_000
MAX_SOURCES = 3

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


def md(text: str) -> MarkdownTextObject:
    """A mrkdwn text object within a section's character limit."""
    return MarkdownTextObject(text=clip(text, MAX_SECTION_CHARS))


def md_dict(text: str) -> dict[str, Any]:
    """:func:`md` as the dict Slack receives (for the answer path, see ``views/answers.py``)."""
    return {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}


def render(blocks: Iterable[Block]) -> Blocks:
    """SDK block models as the dicts Slack receives."""
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
