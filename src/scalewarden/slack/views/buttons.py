"""Button action ids and the typed payloads their values carry, encoded and decoded here.

A button's ``value`` comes back to us in the click, so it is user input: decoding never raises
and keeps only fields of the expected type. Each payload keeps its own short JSON keys (Slack
allows 2,000 characters per value, and buttons already posted in channels carry these keys),
and only its own class reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scalewarden.slack.views.text import MAX_SOURCES, clip

#: Button values are limited to 2,000 characters; questions are cut well below that.
MAX_VALUE_QUESTION = 1500
MAX_VALUE_CHARS = 2000
#: Longest resource id a remediation button carries (it is shown, redacted, on the card).
MAX_VALUE_RESOURCE = 300

ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"
ACTION_REMEDIATION = "show_remediation"
ACTION_DIGEST_FULL = "digest_full_list"
ACTION_ALERT_SCAN = "alert_scan_target"
ACTION_ALERT_MUTE = "alert_mute_similar"
ACTION_ACCOUNT_FINDINGS = "account_findings"
#: Longest section id an account button carries (``article-id#anchor``).
MAX_VALUE_SECTION = 300


def encode_value(data: Mapping[str, Any], shrink: str) -> str:
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


def parse_button_value(value: str | None) -> dict[str, Any]:
    """Read a button value we produced; anything else gives an empty dict, never an error."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class AnswerPayload:
    """What 👍, 👎 and "Share to channel" carry: the question and the articles shown.

    Wire keys: ``q`` (the question) and ``a`` (article ids).
    """

    question: str
    article_ids: tuple[str, ...] = ()

    def encode(self) -> str:
        data = {
            "q": clip(self.question, MAX_VALUE_QUESTION),
            "a": list(self.article_ids)[:MAX_SOURCES],
        }
        return encode_value(data, "q")

    @classmethod
    def decode(cls, value: str | None) -> AnswerPayload:
        """The payload of a click; a malformed article list is dropped, never an error."""
        data = parse_button_value(value)
        listed = data.get("a")
        ids = [a for a in listed if isinstance(a, str)] if isinstance(listed, list) else []
        return cls(_text(data, "q").strip(), tuple(ids))


@dataclass(frozen=True)
class RemediationPayload:
    """What a finding's "Remediation" button carries: the check and where it failed.

    Wire keys: ``c`` (check id), ``r`` (resource id), ``a`` (account id), ``g`` (region).
    """

    check_id: str
    resource: str = ""
    account: str = ""
    region: str = ""

    def encode(self) -> str:
        data = {
            "c": self.check_id,
            "r": clip(self.resource, MAX_VALUE_RESOURCE),
            "a": self.account,
            "g": self.region,
        }
        return encode_value(data, "r")

    @classmethod
    def decode(cls, value: str | None) -> RemediationPayload:
        data = parse_button_value(value)
        return cls(_text(data, "c"), _text(data, "r"), _text(data, "a"), _text(data, "g"))

    def where(self) -> dict[str, str]:
        """The finding's place, as the remediation card shows it."""
        return {"resource": self.resource, "account": self.account, "region": self.region}


@dataclass(frozen=True)
class DigestPayload:
    """What a digest's "Show the full list" button carries: which digest of which scan.

    Wire keys: ``d`` (subscription id), ``s`` (scan id). The click recomputes the digest
    from the stored scans, so the value carries no finding and nothing from an account.
    """

    subscription_id: int
    scan_id: str

    def encode(self) -> str:
        return encode_value({"d": self.subscription_id, "s": self.scan_id}, "s")

    @classmethod
    def decode(cls, value: str | None) -> DigestPayload | None:
        """The payload of a click, or ``None`` when it is not one of ours."""
        data = parse_button_value(value)
        number, scan = data.get("d"), data.get("s")
        if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
            return None
        if not isinstance(scan, str) or not scan or len(scan) > 64:
            return None
        return cls(number, scan)


@dataclass(frozen=True)
class AlertTargetPayload:
    """What an alert's "Scan this target now" and "Mute similar" buttons carry: the related
    check and where the change happened.

    Wire keys: ``c`` (check id), ``a`` (account id), ``g`` (region), ``r`` (resource, as the
    alert shows it: redacted). Decoding keeps only well-formed ids; the click re-checks them.
    """

    check_id: str
    account: str = ""
    region: str = ""
    resource: str = ""

    def encode(self) -> str:
        data = {
            "c": self.check_id,
            "a": self.account,
            "g": self.region,
            "r": clip(self.resource, MAX_VALUE_RESOURCE),
        }
        return encode_value(data, "r")

    @classmethod
    def decode(cls, value: str | None) -> AlertTargetPayload | None:
        """The payload of a click, or ``None`` when it is not one of ours."""
        import re

        data = parse_button_value(value)
        check, account, region = _text(data, "c"), _text(data, "a"), _text(data, "g")
        if not re.fullmatch(r"[a-z][a-z0-9_]{2,127}", check):
            return None
        if account and not re.fullmatch(r"\d{12}", account):
            account = ""
        if region and not re.fullmatch(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}", region):
            region = ""
        return cls(check, account, region, clip(_text(data, "r"), MAX_VALUE_RESOURCE))


@dataclass(frozen=True)
class AccountPayload:
    """What an answer's "List them" button carries: the answered section and the scan.

    Wire keys: ``k`` (section id), ``s`` (scan id). The click reads the failing findings of
    the section's checks from that stored scan again, after checking the clicker is an
    admin, so the value carries nothing from an account.
    """

    section_id: str
    scan_id: str

    def encode(self) -> str:
        return encode_value({"k": self.section_id, "s": self.scan_id}, "k")

    @classmethod
    def decode(cls, value: str | None) -> AccountPayload | None:
        """The payload of a click, or ``None`` when it is not one of ours."""
        data = parse_button_value(value)
        section, scan = data.get("k"), data.get("s")
        if not isinstance(section, str) or not 0 < len(section) <= MAX_VALUE_SECTION:
            return None
        if not isinstance(scan, str) or not scan or len(scan) > 64:
            return None
        return cls(section, scan)


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button element as Slack receives it."""
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element
