"""Masking of secrets in text that goes to logs, the audit table or Slack.

Users paste things into chat, and error messages sometimes echo configuration. Anything that
looks like a Slack token, an AWS access key or secret, or a signing secret is masked before it
is written anywhere, so a careless paste never ends up in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/config tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),  # Slack app-level tokens
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),  # AWS secret keys
    re.compile(r"(?i)(?:aws_secret_access_key|aws_session_token|signing_secret)\s*[=:]\s*\S+"),
)
MASK = "[redacted]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secret values and secret-looking strings masked."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


_ARN_ACCOUNT = re.compile(r"^(arn:[^:]*:[^:]*:[^:]*:)(\d{12})(:.*)$")


def redact_resource(resource: str, *, max_length: int = 120) -> str:
    """A resource id fit for a channel: secrets masked, very long ids shortened in the middle."""
    text = redact(resource)
    if len(text) > max_length:
        keep = (max_length - 1) // 2
        text = text[:keep] + "…" + text[-keep:]
    return text
