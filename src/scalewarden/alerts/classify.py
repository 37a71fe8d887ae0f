"""The classifier: an EventBridge event in, the alert of the most severe rule it breaks out.

Each rule in ``rules.RULES`` names the EventBridge pattern it applies to (matched with the
checks' own matcher) and judges the matching event. Severity is the related check's, raised
one level when the target carries a protection tag. The work is bounded by the rules, not the
event: only the fields the rules name are read, so a huge ``requestParameters`` costs nothing
more than a small one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from scalewarden.alerts.model import (
    MAX_CHANGES,
    MAX_RESOURCE,
    Alert,
    Change,
    Who,
    safe_text,
)
from scalewarden.checks.lib.event_pattern import matches
from scalewarden.checks.model import Severity
from scalewarden.checks.registry import get_check


@dataclass(frozen=True)
class TargetRef:
    """A scalable target as an event names it: for the tag lookup, when the event has no tags."""

    account: str
    region: str
    namespace: str = ""
    resource_id: str = ""
    dimension: str = ""
    arn: str = ""


class LookupFailed(Exception):
    """A look-up could not learn what it was asked. The message says why in one line (e.g.
    ``AccessDenied on ListTagsForResource: …``); the alert is still made and shows it."""


#: ``(target) -> its tags``, or ``None`` when unknown; ``LookupFailed`` saying why it could not
#: learn them. Injected; the classifier does no I/O.
TagLookup = Callable[[TargetRef], Mapping[str, str] | None]
#: ``(account, region, endpoint id) -> the endpoint's service name``, or ``None`` when unknown;
#: ``LookupFailed`` saying why.
EndpointLookup = Callable[[str, str, str], str | None]


@dataclass(frozen=True)
class AlertContext:
    """What the classifier is told besides the event."""

    #: Tags that mark a protected target (``key``, ``value``; the value compared ignoring case).
    protection_tags: tuple[tuple[str, str], ...] = (("environment", "production"),)
    target_tags: TagLookup | None = None
    endpoint_service: EndpointLookup | None = None

    def protection_keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.protection_tags)

    def is_protected(self, tags: Mapping[str, Any] | None) -> bool:
        """Whether ``tags`` carry one of the protection tags (an O(1) look-up per tag)."""
        if not isinstance(tags, Mapping):
            return False
        for key, value in self.protection_tags:
            found = tags.get(key)
            if isinstance(found, str) and found.lower() == value.lower():
                return True
        return False


@dataclass(frozen=True)
class Call:
    """The parts of an event the rules read, each a plain value or an empty one."""

    event: Mapping[str, Any]
    detail: Mapping[str, Any]
    params: Mapping[str, Any]
    name: str
    account: str
    region: str


@dataclass(frozen=True)
class Verdict:
    """What a rule found: the alert's own text; the classifier adds who, where and when."""

    summary: str
    resource: str = ""
    changes: tuple[Change, ...] = ()
    #: The target whose tags decide the protection raise (``None``: the rule does not raise).
    target: TargetRef | None = None
    #: Tags the event itself carries for the target (RegisterScalableTarget's ``tags``).
    tags: Mapping[str, Any] | None = None
    #: Levels to move the check's severity by, whatever the tags (``-1``: less is known).
    shift: int = 0
    note: str = ""
    #: The rule knows the target is protected without looking (it touched a protection tag).
    protected: bool = False
    #: What a look-up could not learn, and why (shown on the alert).
    unknowns: tuple[str, ...] = ()


def mapping_of(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one: events are read, never trusted."""
    return value if isinstance(value, Mapping) else {}


def text_of(value: Any) -> str:
    """``value`` when it is a string, else the empty string."""
    return value if isinstance(value, str) else ""


def call_of(event: Mapping[str, Any]) -> Call:
    """The ``Call`` view of an event (tolerant: a missing or odd field reads as empty)."""
    detail = mapping_of(event.get("detail"))
    return Call(
        event=event,
        detail=detail,
        params=mapping_of(detail.get("requestParameters")),
        name=text_of(detail.get("eventName")),
        account=text_of(event.get("account")) or text_of(detail.get("recipientAccountId")),
        region=text_of(event.get("region")) or text_of(detail.get("awsRegion")),
    )


def shifted(severity: Severity, levels: int) -> Severity:
    """``severity`` moved ``levels`` ranks (up when positive), kept within the scale."""
    order = sorted(Severity, key=lambda s: s.rank)
    index = min(max(order.index(severity) + levels, 0), len(order) - 1)
    return order[index]


def who_of(detail: Mapping[str, Any]) -> Who | None:
    """The caller of a CloudTrail event: ARN, short name, and source IP or calling service."""
    identity = mapping_of(detail.get("userIdentity"))
    if not identity:
        return None
    kind = text_of(identity.get("type"))
    arn = text_of(identity.get("arn"))
    invoked_by = text_of(identity.get("invokedBy"))
    issuer = mapping_of(mapping_of(identity.get("sessionContext")).get("sessionIssuer"))
    if kind == "Root":
        name = "root"
    elif kind == "AWSService":
        name = invoked_by or "an AWS service"
    elif kind == "AssumedRole":
        name = text_of(issuer.get("userName")) or _arn_name(arn, "assumed-role/")
    else:
        name = text_of(identity.get("userName")) or _arn_name(arn, "")
    source = invoked_by or text_of(detail.get("sourceIPAddress"))
    return Who(
        arn=safe_text(arn, MAX_RESOURCE),
        name=safe_text(name),
        principal_type=safe_text(kind, 32),
        source=safe_text(source),
    )


def _arn_name(arn: str, marker: str) -> str:
    """The role of an ``assumed-role/<role>/<session>`` ARN, or an ARN's last path part."""
    resource = arn.split(":", 5)[-1][:2048]
    if marker and marker in resource:
        return resource.split(marker, 1)[1].split("/", 1)[0]
    return resource.rsplit("/", 1)[-1]


def handled(event: Any) -> bool:
    """Whether any rule looks at events of this kind (else the endpoint counts it unhandled)."""
    from scalewarden.alerts.rules import RULES

    if not isinstance(event, Mapping):
        return False
    kind = {"source": event.get("source"), "detail-type": event.get("detail-type")}
    return any(
        matches({k: rule.pattern[k] for k in ("source", "detail-type")}, kind) for rule in RULES
    )


def classify(event: Any, context: AlertContext | None = None) -> Alert | None:
    """The alert for ``event``, or ``None`` when no rule finds it risky.

    When several rules do, the most severe (first in ``RULES`` on a tie) is the alert and the
    others are named in ``also``.
    """
    from scalewarden.alerts.rules import RULES

    if not isinstance(event, Mapping):
        return None
    ctx = context or AlertContext()
    call = call_of(event)
    found: list[tuple[Severity, str, Alert]] = []
    kind = (event.get("source"), event.get("detail-type"), call.detail.get("eventName"))
    for rule in RULES:
        if not _may_match(rule.prefilter, kind) or not matches(rule.pattern, event):
            continue
        verdict = rule.judge(call, ctx)
        if verdict is None:
            continue
        found.append(_alert(rule.id, rule.check_id, rule.title, call, verdict, ctx, rule.floor))
    if not found:
        return None
    best = max(found, key=lambda item: item[0].rank)  # max keeps the first of equals
    others = tuple(rule_id for _, rule_id, _alert_ in found if rule_id != best[1])
    alert = best[2]
    if others:
        alert = replace(alert, also=others)
    return alert


def _may_match(prefilter: tuple[frozenset[str] | None, ...], kind: tuple[Any, ...]) -> bool:
    """A quick, exact test of source, detail-type and event name before the full matcher
    (``Rule.prefilter``): it only rules out what the full matcher would (a value that is not
    a string, which EventBridge matches element by element, is left to the full matcher), at
    a fraction of its cost per event."""
    return all(
        allowed is None or not isinstance(value, str) or value in allowed
        for allowed, value in zip(prefilter, kind, strict=True)
    )


def _alert(
    rule_id: str,
    check_id: str,
    title: str,
    call: Call,
    verdict: Verdict,
    ctx: AlertContext,
    floor: Severity | None = None,
) -> tuple[Severity, str, Alert]:
    check = get_check(check_id)
    severity = shifted(check.severity, verdict.shift)
    note = verdict.note
    if floor is not None and severity.rank < floor.rank:
        severity = floor
        note = f"at least {floor.value} for this rule"
    unknowns = list(verdict.unknowns)
    if verdict.target is not None:
        protected, why_unknown = _protected(verdict, ctx)
        if protected:
            severity = shifted(severity, 1)
            note = "; ".join(n for n in (note, "the target carries a protection tag") if n)
        if why_unknown:
            unknowns.append(f"protection tag unknown: {why_unknown}")
    detail = call.detail
    when = text_of(detail.get("eventTime")) or text_of(call.event.get("time"))
    changes = verdict.changes[:MAX_CHANGES]
    alert = Alert(
        rule_id=rule_id,
        severity=severity,
        title=title,
        summary=safe_text(verdict.summary, 512),
        event_id=safe_text(call.event.get("id"), 128),
        event_name=safe_text(call.name or call.event.get("detail-type"), 128),
        who=who_of(detail),
        changes=tuple(
            Change(safe_text(c.field, 64), safe_text(c.after), safe_text(c.before)) for c in changes
        ),
        account=safe_text(call.account, 32),
        region=safe_text(call.region, 32),
        resource=safe_text(verdict.resource, MAX_RESOURCE),
        when=safe_text(when, 64),
        check_id=check.id,
        kb_article=check.kb_article,
        severity_note=safe_text(note),
        unknowns=tuple(safe_text(u, 400) for u in unknowns[:4]),
    )
    return severity, rule_id, alert


def _protected(verdict: Verdict, ctx: AlertContext) -> tuple[bool, str]:
    """Whether the target is protected, and why that could not be learned (empty: it could,
    or nobody asked)."""
    if verdict.protected or ctx.is_protected(verdict.tags):
        return True, ""
    if ctx.target_tags is not None and verdict.target is not None:
        try:
            return ctx.is_protected(ctx.target_tags(verdict.target)), ""
        except LookupFailed as exc:
            return False, str(exc) or "the look-up failed"
    return False, ""
