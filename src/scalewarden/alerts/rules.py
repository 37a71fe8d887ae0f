"""The alert rules, as data: what each matches, what it judges, and the check it relates to.

Each ``Rule`` has an EventBridge ``pattern`` (the same kind of pattern the shipped template's
rules use, matched with ``checks.lib.event_pattern``), a ``judge`` that reads the matching
event and returns a ``Verdict`` or ``None``, and the id of the check whose severity and
knowledge-base article the alert takes. ``docs/alerts.md`` explains each rule.

Application Auto Scaling calls reach EventBridge with ``source`` ``aws.autoscaling`` and
``eventSource`` ``autoscaling.amazonaws.com``, which EC2 Auto Scaling shares; only
``additionalEventData.service`` = ``application-autoscaling`` tells them apart, and every
AAS pattern requires it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from scalewarden.alerts.classify import (
    AlertContext,
    Call,
    LookupFailed,
    TargetRef,
    Verdict,
    mapping_of,
    text_of,
)
from scalewarden.alerts.model import Change
from scalewarden.checks.lib.iam_policy import (
    PolicyParseError,
    PolicyTooComplex,
    aas_write_grant,
    classify_operation,
    new_budget,
    parse_statements,
)
from scalewarden.checks.model import Severity
from scalewarden.checks.targets import ZONAL_CAPACITY_DIMENSIONS

Judge = Callable[[Call, AlertContext], Verdict | None]

CLOUDTRAIL = "AWS API Call via CloudTrail"
STATE_CHANGE = "Application Auto Scaling Scaling Activity State Change"
#: Longest policy document read: an EventBridge event is at most 256 KiB, so a longer one
#: is not what AWS sent; it is reported as not evaluated rather than parsed. Anything
#: shorter is bounded by the evaluator's own work limit, as in a scan.
MAX_POLICY_CHARS = 262_144
#: The AAS service-linked roles' name prefix (one role per namespace).
AAS_SLR_PREFIX = "AWSServiceRoleForApplicationAutoScaling_"
_ENDPOINT_ID = re.compile(r"vpce-[0-9a-zA-Z]{1,32}")


@dataclass(frozen=True)
class Rule:
    """One kind of risky event."""

    id: str
    title: str
    #: The check whose severity and ``kb_article`` the alert takes.
    check_id: str
    #: The EventBridge pattern of the events the rule looks at.
    pattern: Mapping[str, Any]
    judge: Judge
    #: The least severity the alert has, whatever the check's (``None``: the check's).
    floor: Severity | None = None

    @cached_property
    def prefilter(self) -> tuple[frozenset[str] | None, ...]:
        """The plain strings the pattern allows for ``source``, ``detail-type`` and
        ``detail.eventName`` (``None`` where it allows anything or uses another matcher):
        an event outside them cannot match, so the full matcher need not run."""
        detail = self.pattern.get("detail")
        names = detail.get("eventName") if isinstance(detail, Mapping) else None
        return (
            _exact(self.pattern.get("source")),
            _exact(self.pattern.get("detail-type")),
            _exact(names),
        )


def _exact(values: Any) -> frozenset[str] | None:
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return frozenset(values)
    return None


def aas_call(*names: str, **detail: Any) -> dict[str, Any]:
    """The pattern of Application Auto Scaling calls (optionally only ``names``)."""
    inner: dict[str, Any] = {
        "eventSource": ["autoscaling.amazonaws.com"],
        "additionalEventData": {"service": ["application-autoscaling"]},
    }
    if names:
        inner["eventName"] = list(names)
    inner.update(detail)
    return {"source": ["aws.autoscaling"], "detail-type": [CLOUDTRAIL], "detail": inner}


def api_call(source: str, event_source: str, *names: str, **detail: Any) -> dict[str, Any]:
    """The pattern of another service's calls named ``names``."""
    inner: dict[str, Any] = {"eventSource": [event_source], "eventName": list(names), **detail}
    return {"source": [source], "detail-type": [CLOUDTRAIL], "detail": inner}


# --- reading request parameters ----------------------------------------------------------


def _failed(call: Call) -> bool:
    """A call that failed changed nothing (only the access-denied rule looks at those)."""
    return bool(call.detail.get("errorCode"))


def _target(call: Call) -> TargetRef:
    p = call.params
    return TargetRef(
        account=call.account,
        region=call.region,
        namespace=text_of(p.get("serviceNamespace")),
        resource_id=text_of(p.get("resourceId")),
        dimension=text_of(p.get("scalableDimension")),
        arn=text_of(p.get("resourceARN")),
    )


def _target_name(call: Call) -> str:
    p = call.params
    if p.get("resourceARN"):
        return text_of(p.get("resourceARN"))
    parts = (
        text_of(p.get("serviceNamespace")),
        text_of(p.get("resourceId")),
        text_of(p.get("scalableDimension")),
    )
    return " ".join(part for part in parts if part)


def _capacity(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- Application Auto Scaling ------------------------------------------------------------

_SUSPENSIONS = (
    ("DynamicScalingInSuspended", "dynamic scale-in"),
    ("DynamicScalingOutSuspended", "dynamic scale-out"),
    ("ScheduledScalingSuspended", "scheduled scaling"),
)


def _register(call: Call, summary: str, changes: tuple[Change, ...]) -> Verdict:
    tags = call.params.get("tags")
    return Verdict(
        summary=summary,
        resource=_target_name(call),
        changes=changes,
        target=_target(call),
        tags=tags if isinstance(tags, Mapping) else None,
    )


def _suspends(call: Call, _ctx: AlertContext) -> Verdict | None:
    if _failed(call):
        return None
    state = call.params.get("suspendedState")
    if not isinstance(state, Mapping):
        return None
    stopped = [label for key, label in _SUSPENSIONS if state.get(key) is True]
    if not stopped:
        return None
    changes = tuple(Change(label, "suspended") for label in stopped)
    return _register(call, f"Scaling suspended: {', '.join(stopped)}.", changes)


def _fixes_capacity(call: Call, _ctx: AlertContext) -> Verdict | None:
    low, high = _capacity(call.params.get("minCapacity")), _capacity(call.params.get("maxCapacity"))
    if _failed(call) or low is None or low != high:
        return None
    changes = (Change("min capacity", str(low)), Change("max capacity", str(high)))
    return _register(call, f"Capacity pinned: minimum and maximum both {low}.", changes)


def _single_instance(call: Call, _ctx: AlertContext) -> Verdict | None:
    low = _capacity(call.params.get("minCapacity"))
    dimension = call.params.get("scalableDimension")
    if _failed(call) or low is None or low >= 2 or dimension not in ZONAL_CAPACITY_DIMENSIONS:
        return None
    summary = f"Minimum capacity {low}: below two, losing one Availability Zone can stop it all."
    return _register(call, summary, (Change("min capacity", str(low)),))


def _removes(what: str) -> Judge:
    def judge(call: Call, _ctx: AlertContext) -> Verdict | None:
        if _failed(call):
            return None
        p = call.params
        name = text_of(p.get("policyName")) or text_of(p.get("scheduledActionName"))
        summary = f"{what} {name} removed." if name else f"{what} removed."
        changes = (Change(what.lower(), "(deleted)", name),) if name else ()
        return Verdict(summary, _target_name(call), changes, target=_target(call))

    return judge


def _protection_tag(call: Call, ctx: AlertContext) -> Verdict | None:
    if _failed(call):
        return None
    keys = ctx.protection_keys()
    tags = call.params.get("tags")
    removed = call.params.get("tagKeys")
    changes: list[Change] = []
    if call.name == "TagResource" and isinstance(tags, Mapping):
        changes = [Change(f"tag {k}", text_of(tags.get(k))) for k in sorted(keys) if k in tags]
    elif call.name == "UntagResource" and isinstance(removed, list):
        gone = {k for k in removed[:200] if isinstance(k, str)} & keys
        changes = [Change(f"tag {k}", "(removed)") for k in sorted(gone)]
    if not changes:
        return None
    verb = "removed" if call.name == "UntagResource" else "set"
    summary = f"Protection tag {verb}: {', '.join(c.field[4:] for c in changes)}."
    return Verdict(
        summary,
        _target_name(call),
        tuple(changes),
        target=_target(call),
        protected=call.name == "UntagResource",
    )


def _is_read(name: str) -> bool:
    """A read by the checks' own rule; an operation it does not know counts as a write."""
    try:
        return classify_operation(name) == "read"
    except ValueError:
        return False


def _access_denied(call: Call, _ctx: AlertContext) -> Verdict | None:
    if _is_read(call.name):
        return None
    code = text_of(call.detail.get("errorCode"))
    summary = f"{call.name} was refused ({code}): someone tried a change they may not make."
    tags = call.params.get("tags")
    return Verdict(
        summary,
        _target_name(call),
        target=_target(call),
        tags=tags if isinstance(tags, Mapping) else None,
    )


def _root(call: Call, _ctx: AlertContext) -> Verdict | None:
    if _is_read(call.name):
        return None  # reads are ignored, the root user's too (EventBridge does not send them)
    outcome = " (it failed)" if _failed(call) else ""
    summary = f"The account's root user called {call.name}{outcome}."
    return Verdict(summary, _target_name(call), target=_target(call))


# --- IAM -----------------------------------------------------------------------------------


def _partition(call: Call) -> str:
    arn = text_of(mapping_of(call.detail.get("userIdentity")).get("arn"))
    parts = arn.split(":", 2)
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def _policy_name(call: Call) -> str:
    p = call.params
    policy = text_of(p.get("policyName")) or text_of(p.get("policyArn"))
    for key in ("roleName", "userName", "groupName"):
        if p.get(key):
            return f"{key[:-4]} {text_of(p.get(key))}: {policy}"
    return policy


def _grants_aas_writes(call: Call, _ctx: AlertContext) -> Verdict | None:
    """Judged by the same evaluator as ``iam_policy_aas_write_unrestricted``, one budget."""
    if _failed(call):
        return None
    document = call.params.get("policyDocument")
    name = _policy_name(call)
    not_default = call.name == "CreatePolicyVersion" and call.params.get("setAsDefault") is not True
    suffix = " (a version not set as default)" if not_default else ""
    if isinstance(document, str) and len(document) > MAX_POLICY_CHARS:
        return _unjudged(name, f"it is longer than {MAX_POLICY_CHARS} characters")
    if not isinstance(document, str | Mapping):
        return _unjudged(name, "the event carries no policy document")
    try:
        statements = parse_statements(document)
        grant = aas_write_grant(
            statements, call.account or "123456789012", _partition(call), new_budget()
        )
    except PolicyTooComplex:
        return _unjudged(name, "its wildcards need more work than one document is allowed")
    except PolicyParseError as exc:
        return _unjudged(name, str(exc))
    if not grant.unrestricted:
        return None
    actions = sorted(a.split(":", 1)[1] for a in grant.unrestricted)
    shown = ", ".join(actions[:6]) + (f" and {len(actions) - 6} more" if len(actions) > 6 else "")
    summary = (
        f"Policy {name}{suffix} allows Application Auto Scaling writes on every target "
        f"without a condition: {shown}."
    )
    return Verdict(summary, name, (Change("policy", f"allows {len(actions)} write actions"),))


def _unjudged(name: str, reason: str) -> Verdict:
    summary = f"Policy {name} could not be evaluated: {reason}. Review it by hand."
    return Verdict(summary, name)


def _slr_deleted(call: Call, _ctx: AlertContext) -> Verdict | None:
    role = text_of(call.params.get("roleName"))
    if _failed(call) or not role.startswith(AAS_SLR_PREFIX):
        return None
    summary = f"Service-linked role {role} deleted: scaling of that namespace stops working."
    return Verdict(summary, role, (Change("service-linked role", "(deleted)", role),))


# --- visibility ----------------------------------------------------------------------------


def _trail(what: str) -> Judge:
    def judge(call: Call, _ctx: AlertContext) -> Verdict | None:
        if _failed(call):
            return None
        name = text_of(call.params.get("name"))
        if call.name == "UpdateTrail":
            if call.params.get("isMultiRegionTrail") is not False:
                return None
            change = Change("multi-region", "false")
            return Verdict(f"Trail {name} now records one region only.", name, (change,))
        return Verdict(f"Trail {name} {what}.", name, (Change("logging", "off"),))

    return judge


def _endpoint_ids(params: Mapping[str, Any]) -> list[str]:
    """Endpoint ids in EC2's request shapes (``{"tag": 1, "content": id}`` or strings).

    A bounded walk: at most 64 nodes, 16 ids, so a hostile event costs a fixed amount.
    """
    ids: list[str] = []
    stack: list[Any] = [params]
    steps = 0
    while stack and steps < 64 and len(ids) < 16:
        node = stack.pop()
        steps += 1
        if isinstance(node, Mapping):
            for key, value in list(node.items())[:32]:
                if isinstance(key, str) and key.lower() in ("vpcendpointid", "vpcendpointids"):
                    ids.extend(_ids_in(value))
                elif isinstance(value, Mapping | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node[:32])
    return list(dict.fromkeys(ids))[:16]


def _ids_in(value: Any) -> Iterator[str]:
    items = value[:32] if isinstance(value, list) else [value]
    for item in items:
        text = text_of(item.get("content")) if isinstance(item, Mapping) else text_of(item)
        if _ENDPOINT_ID.fullmatch(text):
            yield text


def _endpoint(call: Call, ctx: AlertContext) -> Verdict | None:
    """An AAS endpoint changed; without a way to learn the service, a lower-severity alert."""
    if _failed(call):
        return None
    ids = _endpoint_ids(call.params)
    if not ids:
        return None
    verb = "deleted" if call.name == "DeleteVpcEndpoints" else "modified"
    services: dict[str, str | None] = {}
    why: list[str] = []
    for endpoint_id in ids:
        services[endpoint_id] = None
        if ctx.endpoint_service is None:
            continue
        try:
            services[endpoint_id] = ctx.endpoint_service(call.account, call.region, endpoint_id)
        except LookupFailed as exc:
            why.append(f"service of {endpoint_id} unknown: {exc}")
    aas = [i for i, s in services.items() if s and s.endswith(".application-autoscaling")]
    unknown = [i for i, s in services.items() if not s]
    if aas:
        summary = f"Application Auto Scaling endpoint {', '.join(aas)} {verb}."
        return Verdict(summary, ", ".join(aas), (Change("endpoint", verb),), unknowns=tuple(why))
    if not unknown:
        return None
    summary = f"An endpoint, service unknown, was {verb}: {', '.join(unknown)}."
    return Verdict(
        summary,
        ", ".join(unknown),
        shift=-1,
        note="the endpoint's service is unknown",
        unknowns=tuple(why),
    )


# --- state changes -------------------------------------------------------------------------


def _scaled_to_max(call: Call, _ctx: AlertContext) -> Verdict | None:
    d = call.detail
    resource = " ".join(
        text_of(d.get(k))
        for k in ("serviceNamespace", "resourceId", "scalableDimension")
        if d.get(k)
    )
    old, new = _capacity(d.get("oldDesiredCapacity")), _capacity(d.get("newDesiredCapacity"))
    changes = (Change("desired capacity", str(new), str(old)),) if new is not None else ()
    summary = f"Scaled to its maximum ({_capacity(d.get('maxCapacity'))})."
    return Verdict(summary, resource, changes)


_IAM_POLICY_CALLS = (
    "CreatePolicy",
    "CreatePolicyVersion",
    "PutRolePolicy",
    "PutUserPolicy",
    "PutGroupPolicy",
)

RULES: tuple[Rule, ...] = (
    Rule(
        "aas-scaling-suspended",
        "Scaling suspended",
        "target_scaling_suspended",
        aas_call("RegisterScalableTarget"),
        _suspends,
    ),
    Rule(
        "aas-capacity-pinned",
        "Capacity pinned (minimum equals maximum)",
        "target_fixed_capacity",
        aas_call("RegisterScalableTarget"),
        _fixes_capacity,
    ),
    Rule(
        "aas-single-instance-minimum",
        "Minimum capacity below 2",
        "target_single_instance_minimum",
        aas_call("RegisterScalableTarget"),
        _single_instance,
    ),
    Rule(
        "aas-target-deregistered",
        "Scalable target deregistered",
        "eventbridge_aas_destructive_alerting",
        aas_call("DeregisterScalableTarget"),
        _removes("Scalable target"),
    ),
    Rule(
        "aas-policy-deleted",
        "Scaling policy deleted",
        "target_without_scaling_policy",
        aas_call("DeleteScalingPolicy"),
        _removes("Scaling policy"),
    ),
    Rule(
        "aas-scheduled-action-deleted",
        "Scheduled action deleted",
        "target_without_scaling_policy",
        aas_call("DeleteScheduledAction"),
        _removes("Scheduled action"),
    ),
    Rule(
        "aas-protection-tag-changed",
        "Protection tag changed",
        "eventbridge_aas_destructive_alerting",
        aas_call("TagResource", "UntagResource"),
        _protection_tag,
    ),
    Rule(
        "aas-access-denied",
        "Scaling change refused (access denied)",
        "iam_principal_aas_write_access",
        aas_call(errorCode=[{"prefix": "AccessDenied"}]),
        _access_denied,
        # The check (who may write) is informational in a scan: holding a permission is not
        # a risk by itself. A refused write is different: someone tried to change scaling
        # without the right to, which is either a broken deploy or probing, and both want a
        # person to look within the hour. Medium, so the usual ``min=medium`` channel sees it;
        # a protected target raises it to high like every other rule.
        floor=Severity.MEDIUM,
    ),
    Rule(
        "aas-root-call",
        "Root user call",
        "iam_policy_aas_write_unrestricted",
        aas_call(userIdentity={"type": ["Root"]}),
        _root,
    ),
    Rule(
        "iam-policy-grants-aas-writes",
        "Policy grants unrestricted scaling changes",
        "iam_policy_aas_write_unrestricted",
        api_call("aws.iam", "iam.amazonaws.com", *_IAM_POLICY_CALLS),
        _grants_aas_writes,
    ),
    Rule(
        "iam-aas-slr-deleted",
        "Scaling service-linked role deleted",
        "slr_missing_for_namespace",
        api_call("aws.iam", "iam.amazonaws.com", "DeleteServiceLinkedRole"),
        _slr_deleted,
    ),
    Rule(
        "cloudtrail-logging-stopped",
        "Trail logging stopped",
        "cloudtrail_multiregion_management_events",
        api_call("aws.cloudtrail", "cloudtrail.amazonaws.com", "StopLogging"),
        _trail("stopped"),
    ),
    Rule(
        "cloudtrail-trail-deleted",
        "Trail deleted",
        "cloudtrail_multiregion_management_events",
        api_call("aws.cloudtrail", "cloudtrail.amazonaws.com", "DeleteTrail"),
        _trail("deleted"),
    ),
    Rule(
        "cloudtrail-multi-region-dropped",
        "Trail no longer multi-region",
        "cloudtrail_multiregion_management_events",
        api_call("aws.cloudtrail", "cloudtrail.amazonaws.com", "UpdateTrail"),
        _trail("updated"),
    ),
    Rule(
        "vpce-aas-endpoint-changed",
        "Scaling endpoint deleted or modified",
        "vpc_endpoint_aas_missing",
        api_call("aws.ec2", "ec2.amazonaws.com", "DeleteVpcEndpoints", "ModifyVpcEndpoint"),
        _endpoint,
    ),
    Rule(
        "aas-scaled-to-max",
        "Target scaled to its maximum",
        "eventbridge_aas_scaled_to_max_alerting",
        {
            "source": ["aws.application-autoscaling"],
            "detail-type": [STATE_CHANGE],
            "detail": {"scaledToMax": [True]},
        },
        _scaled_to_max,
    ),
)
