"""What every Block Kit view shares: Slack's limits, clipping, mrkdwn sections, source links.

Blocks are built with ``slack_sdk.models.blocks`` where that is affordable, because those
classes validate Slack's field limits when a message is built, so a limit we forget fails in
tests, not in a customer's channel. The answer path builds the same shapes as plain dicts
(see ``views/answers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from slack_sdk.models.blocks import Block, MarkdownTextObject

from scalewarden.checks.model import Severity
from scalewarden.knowledge.mrkdwn import fallback_text, to_mrkdwn, truncate
from scalewarden.knowledge.pages import page_title
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


@dataclass
class SplitMessages:
    """A list of findings split into what Slack accepts: the message, its thread replies, and
    whether the uploaded file must carry what neither could. Scan results and digests share
    it (``views/scan.py``, ``views/digest.py``)."""

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


#: The longest fallback ``text`` of a message (what a notification shows).
MAX_FALLBACK = 300


def source_label(url: str) -> str:
    """A link label: the title of the guide page, or the page's name for other URLs."""
    title = page_title(url)
    if title != url:
        return title
    path = urlparse(url).path.rstrip("/")
    name = path.rsplit("/", 1)[-1] or urlparse(url).netloc
    return name.removesuffix(".html")


def article_mrkdwn(markdown: str, limit: int = MAX_SECTION_CHARS) -> str:
    """Article Markdown (a snippet) as Slack mrkdwn within ``limit`` characters: reflowed,
    tables as field lists or narrow code blocks, escaped, and never cut inside an identifier
    (:mod:`scalewarden.knowledge.mrkdwn`)."""
    return truncate(to_mrkdwn(markdown), limit)


def fallback(*parts: str, limit: int = MAX_FALLBACK) -> str:
    """A message's fallback ``text`` (a notification, a screen reader): one line, without the
    article's ``**`` emphasis, escaped like its blocks and cut between words."""
    return fallback_text([" ".join(p.replace("**", "").split()) for p in parts], limit)


def source_links(sources: Sequence[str], limit: int = MAX_SOURCES) -> str:
    """Up to ``limit`` mrkdwn links, deduplicated, in order."""
    unique = list(dict.fromkeys(s for s in sources if s))[:limit]
    return " · ".join(f"<{s}|{escape(source_label(s))}>" for s in unique)
