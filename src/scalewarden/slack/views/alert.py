"""A live alert as a Slack message: who, what changed, where, when, and the related check.

Every text of an ``Alert`` came from an event and went through ``alerts.model.safe_text``
(redacted, one line, bounded), but it is still literal text: here it is escaped for mrkdwn,
so an ``<!channel>``, a ``<http://evil|aws.amazon.com>`` link or a backtick planted in a
resource name shows as typed and is never markup. Code spans cannot hold a backtick, so one
inside an identifier is shown as a straight quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from scalewarden.alerts.model import Alert
from scalewarden.slack.redact import redact_resource
from scalewarden.slack.usertext import code, escape
from scalewarden.slack.views.buttons import (
    ACTION_ALERT_MUTE,
    ACTION_ALERT_SCAN,
    ACTION_REMEDIATION,
    MAX_VALUE_RESOURCE,
    AlertTargetPayload,
    RemediationPayload,
)
from scalewarden.slack.views.text import SEVERITY_EMOJI, Blocks, clip, fallback, md, render

#: Longest text of one field (Slack allows 2,000 per field).
MAX_FIELD_CHARS = 1900


@dataclass(frozen=True)
class AlertMessage:
    """The fallback text (notifications, screen readers) and the blocks of one alert."""

    text: str
    blocks: Blocks


def alert_message(alert: Alert, *, lead: str = "", buttons: bool = True) -> AlertMessage:
    """The message for ``alert``; ``lead`` (our own mrkdwn) comes first, e.g. the line that
    says a burst's other alerts follow in the thread. Thread replies leave ``buttons`` on:
    each alert can be scanned or muted on its own."""
    severity = alert.severity
    emoji = SEVERITY_EMOJI.get(severity, "")
    blocks: list[Block] = []
    if lead:
        blocks.append(ContextBlock(elements=[md(lead)]))
    blocks.append(HeaderBlock(text=PlainTextObject(text=clip(alert.title, 150), emoji=False)))
    note = f" ({escape(alert.severity_note)})" if alert.severity_note else ""
    blocks.append(
        SectionBlock(
            text=md(
                f"{emoji} *{severity.value.capitalize()}*{note} · {code(alert.rule_id)}\n"
                f"{escape(alert.summary)}"
            )
        )
    )
    blocks.append(SectionBlock(fields=[md(clip(f, MAX_FIELD_CHARS)) for f in _fields(alert)]))
    if alert.changes:
        lines = [
            f"• {escape(c.field)}: "
            + (f"{code(c.before)} → {code(c.after)}" if c.before else code(c.after))
            for c in alert.changes
        ]
        blocks.append(SectionBlock(text=md("*What changed*\n" + "\n".join(lines))))
    context = f"Related check {code(alert.check_id)} · knowledge base: {code(alert.kb_article)}"
    if alert.also:
        context += " · also matched " + ", ".join(code(r) for r in alert.also)
    blocks.append(ContextBlock(elements=[md(context)]))
    if alert.unknowns:
        unknown = "\n".join(f"• {escape(u)}" for u in alert.unknowns)
        blocks.append(ContextBlock(elements=[md(clip(f"*Could not learn*\n{unknown}", 2000))]))
    if buttons:
        blocks.append(ActionsBlock(elements=_buttons(alert)))
    text = fallback(
        f"{severity.value.capitalize()} alert: {alert.title}.",
        alert.summary,
        f"Account {alert.account} {alert.region}.",
    )
    return AlertMessage(text=text, blocks=render(blocks))


def _fields(alert: Alert) -> list[str]:
    who = "unknown (the event names no caller)"
    if alert.who is not None:
        who = escape(alert.who.name or alert.who.principal_type or "unknown")
        if alert.who.arn and alert.who.arn != alert.who.name:
            who += f"\n{code(alert.who.arn)}"
        if alert.who.source:
            who += f"\nfrom {escape(alert.who.source)}"
    where = f"account {code(alert.account) or 'unknown'} · {escape(alert.region) or '?'}"
    if alert.resource:
        where += f"\n{code(redact_resource(alert.resource, max_length=300))}"
    return [
        f"*Who*\n{who}",
        f"*Where*\n{where}",
        f"*When*\n{escape(alert.when) or 'unknown'}",
        f"*Event*\n{code(alert.event_name)}",
    ]


def _buttons(alert: Alert) -> list[ButtonElement]:
    target = AlertTargetPayload(
        check_id=alert.check_id,
        account=alert.account,
        region=alert.region,
        resource=redact_resource(alert.resource, max_length=MAX_VALUE_RESOURCE),
    ).encode()
    why = RemediationPayload(
        check_id=alert.check_id,
        resource=redact_resource(alert.resource, max_length=MAX_VALUE_RESOURCE),
        account=alert.account,
        region=alert.region,
    ).encode()
    return [
        ButtonElement(text="Scan this target now", action_id=ACTION_ALERT_SCAN, value=target),
        ButtonElement(text="Mute similar", action_id=ACTION_ALERT_MUTE, value=target),
        ButtonElement(text="Why it matters", action_id=ACTION_REMEDIATION, value=why),
    ]


def burst_lead(who: str, count: int) -> str:
    """The first line of a burst's message (``who`` is event text: escaped here)."""
    return (
        f":rotating_light: More than {count} alerts from {code(who)} within a minute; "
        "the rest follow in this thread."
    )


def overflow_lead(rate: int) -> str:
    """The first line of a channel's overflow message."""
    return (
        f":rotating_light: More than {rate} alerts in this channel within a minute; "
        "the rest follow in this thread."
    )
