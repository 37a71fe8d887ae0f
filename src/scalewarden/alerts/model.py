"""The ``Alert`` record and the one way event text enters it: redacted, cleaned, bounded.

Everything in an event is written by whoever made the call, so every string is treated as
hostile: secrets are masked with the findings' redaction, control and invisible characters
become spaces (no line breaks to fake a second message), and length is capped. The text stays
literal; escaping for Slack's mrkdwn is the renderer's job, as for findings.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from scalewarden.checks.lib.redact import redact
from scalewarden.checks.model import Severity

#: Longest text kept from any one event field.
MAX_FIELD = 256
#: Longest text kept of a resource id or ARN (ARNs of real targets stay well under it).
MAX_RESOURCE = 512
#: Changes shown per alert; the rest are counted.
MAX_CHANGES = 8


def safe_text(value: Any, limit: int = MAX_FIELD) -> str:
    """``value`` as text fit to show: redacted, one line, at most ``limit`` characters.

    The raw text is cut to four times the limit before redaction, so the work is linear in
    the limit rather than the input; a secret that starts inside the shown part and runs past
    the cut is still a long token and still masked.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value) if _scalar(value) else ""
    # Redacted before invisible characters become spaces: ``tok\u200ben=…`` is a key word the
    # detector reads through the invisible one, and ``tok en=…`` is none.
    text = redact(text[: limit * 4])
    if not (text.isascii() and text.isprintable()):
        text = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
        )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float | bool)


@dataclass(frozen=True)
class Who:
    """Who made the call: the principal's ARN, its short name, and where the call came from."""

    arn: str
    name: str
    principal_type: str
    source: str  # source IP address, or the AWS service that called on the principal's behalf


@dataclass(frozen=True)
class Change:
    """One changed field: ``before`` is empty when the event does not say what it was."""

    field: str
    after: str
    before: str = ""


@dataclass(frozen=True)
class Alert:
    """A risky change, ready for delivery. Every text came through ``safe_text``."""

    rule_id: str
    severity: Severity
    title: str
    summary: str
    event_id: str
    event_name: str
    who: Who | None
    changes: tuple[Change, ...]
    account: str
    region: str
    resource: str
    when: str
    check_id: str
    kb_article: str
    #: Why the severity differs from the check's (protection tag, unknown endpoint), if it does.
    severity_note: str = ""
    #: Other rules the same event matched, less severe than this one.
    also: tuple[str, ...] = field(default_factory=tuple)
    #: What a look-up could not learn, and why ("protection tag unknown: AccessDenied on …").
    unknowns: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (severity as its name)."""
        data = asdict(self)
        data["severity"] = self.severity.value
        data["changes"] = [asdict(c) for c in self.changes]
        data["also"] = list(self.also)
        data["unknowns"] = list(self.unknowns)
        return data
