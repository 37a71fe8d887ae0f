"""Masking of secrets in text that goes to logs, the audit table or Slack.

Users paste things into chat, and error messages sometimes echo configuration. Anything that
looks like a token, an AWS access key or secret, or a signing secret is masked before it is
written anywhere, so a careless paste never ends up in the audit log. What counts as a secret
is decided in one place, ``scalewarden.checks.lib.redact``; this module only masks it plainly.
"""

from __future__ import annotations

from scalewarden.checks.lib.redact import MASK_PATTERN as MASK_OF_CHECKS
from scalewarden.checks.lib.redact import redact as redact_secrets

MASK = "[redacted]"
#: Kinds the checks' detector finds that are not secrets in something a person typed: an
#: e-mail address in a question is the question, not a leak.
NOT_SECRET_IN_CHAT = frozenset({"email"})


def plain_masks(text: str) -> str:
    """The checks' masks (``[REDACTED:kind]``) written as the channel's plain ``[redacted]``."""
    return MASK_OF_CHECKS.sub(MASK, text)


def redact(text: str) -> str:
    """``text`` with secret-looking strings masked.

    The shapes are the checks' detector's (``scalewarden.checks.lib.redact``): Slack and GitHub
    tokens, AWS keys, private keys, JWTs, ``password=…`` settings, secrets in URLs and long
    random tokens.
    """
    return redact_secrets(text, mask=MASK, ignore=NOT_SECRET_IN_CHAT)


def redact_resource(resource: str, *, max_length: int = 120) -> str:
    """A resource id fit for a channel: secrets masked, very long ids shortened in the middle.

    Findings arrive redacted already (``Finding`` redacts when it is built); their masks
    (``[REDACTED:github-token]``) are shown as the channel's plainer one.
    """
    text = plain_masks(redact(resource))
    if len(text) > max_length:
        keep = (max_length - 1) // 2
        text = text[:keep] + "…" + text[-keep:]
    return text
