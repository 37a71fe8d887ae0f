"""Text that users control, made safe to search and to show again.

Questions, button values and ids in payloads are user input. Shown back in mrkdwn they could
ping a whole channel (``<!channel>``), mention people (``<@U…>``), or disguise a link
(``<http://evil|aws.amazon.com>``); invisible characters (zero-width spaces, right-to-left
overrides) can make text read differently from what it is. Slack sends ``&``, ``<`` and ``>``
typed by users as entities, so those are decoded once and then escaped again: what the user
typed is shown literally, and nothing of it is ever markup.
"""

from __future__ import annotations

import re
import unicodedata

from scalewarden.slack.redact import redact

#: A Slack user id as it appears in payloads (U… or, on Enterprise Grid, W…).
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def clean(text: str) -> str:
    """``text`` without control or invisible format characters (each becomes a space)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )


def unescape(text: str) -> str:
    """Decode the three entities Slack uses for characters typed by users."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str, *, empty: str = "") -> str:
    """``text`` as an inline code span, fit for mrkdwn whoever wrote it.

    A code span cannot hold a backtick: one inside the text would end the span early and let
    the rest be read as ``*bold*``, ``_italic_`` or a quote, so each becomes an apostrophe.
    Control and invisible characters go, ``&<>`` are escaped (no ping, mention or disguised
    link). Text that is empty once cleaned gives ``empty`` (Slack shows an empty span as two
    stray backticks).
    """
    shown = escape(clean(text)).replace("`", "'").strip()
    return f"`{shown}`" if shown else empty


def inert(text: str) -> str:
    """User text fit for mrkdwn: secrets masked, invisible characters gone, no markup."""
    return escape(clean(redact(unescape(text))))


def mention(user_id: object) -> str:
    """``<@U…>`` for a well-formed user id; anything else is shown as plain, escaped text."""
    text = str(user_id or "")
    if _USER_ID.fullmatch(text):
        return f"<@{text}>"
    return "someone"
