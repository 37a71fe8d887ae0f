"""A small EventBridge event-pattern matcher.

The alerting check must decide whether a rule *would* fire for an Application Auto Scaling
API call. Reading rule names or guessing from substrings is wrong both ways, so this module
implements the pattern language EventBridge documents for the operators people use:
exact values (strings, numbers, booleans, null), ``prefix``, ``suffix``, ``equals-ignore-case``,
``anything-but`` (values, lists, prefix/suffix), ``exists``, ``wildcard``, ``numeric`` and
``$or``. Arrays in the event match when any element matches.

Unknown operators make the value *not* match: the check then reports missing alerting rather
than trusting a rule it cannot read (a false FAIL is fixable, a false PASS hides a gap).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from scalewarden.checks.lib.wildcard import eventbridge_wildcard

_MISSING = object()


class PatternError(ValueError):
    """An event pattern that is not valid JSON or not an object."""


def parse_pattern(text: str | Mapping[str, Any]) -> dict[str, Any]:
    """An event pattern from its JSON text (as ``ListRules`` returns it)."""
    if isinstance(text, Mapping):
        return dict(text)
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise PatternError(f"event pattern is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PatternError("event pattern is not a JSON object")
    return data


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _same(a: Any, b: Any) -> bool:
    """EventBridge compares exact values by JSON type: ``1`` and ``true`` differ."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _string_op(op: str, arg: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, Mapping) and set(arg) == {"equals-ignore-case"}:
        needle = str(arg["equals-ignore-case"]).lower()
        hay = value.lower()
    elif isinstance(arg, str):
        needle, hay = arg, value
    else:
        return False
    return hay.startswith(needle) if op == "prefix" else hay.endswith(needle)


_NUMERIC_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(spec: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not isinstance(spec, list) or len(spec) % 2:
        return False
    for i in range(0, len(spec), 2):
        op, bound = spec[i], spec[i + 1]
        fn = _NUMERIC_OPS.get(op) if isinstance(op, str) else None
        if fn is None or isinstance(bound, bool) or not isinstance(bound, int | float):
            return False
        if not fn(value, bound):
            return False
    return True


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        if len(arg) != 1:
            return False
        ((op, inner),) = arg.items()
        if op in ("prefix", "suffix"):
            return isinstance(value, str) and not _string_op(op, inner, value)
        if op == "equals-ignore-case":
            vals = inner if isinstance(inner, list) else [inner]
            return isinstance(value, str) and value.lower() not in {str(v).lower() for v in vals}
        if op == "wildcard":
            pats = inner if isinstance(inner, list) else [inner]
            return isinstance(value, str) and not any(
                eventbridge_wildcard(str(p)).matches(value) for p in pats
            )
        return False  # unknown nested operator: do not claim a match
    excluded = arg if isinstance(arg, list) else [arg]
    return not any(_same(e, value) for e in excluded)


def _match_one(matcher: Any, value: Any) -> bool:
    """One element of a pattern array against one (scalar) event value."""
    if _is_scalar(matcher):
        return value is not _MISSING and _same(matcher, value)
    if not isinstance(matcher, Mapping) or len(matcher) != 1:
        return False
    ((op, arg),) = matcher.items()
    if op == "exists":
        return bool(arg) == (value is not _MISSING)
    if value is _MISSING:
        return False
    if op in ("prefix", "suffix"):
        return _string_op(op, arg, value)
    if op == "equals-ignore-case":
        return isinstance(value, str) and isinstance(arg, str) and value.lower() == arg.lower()
    if op == "anything-but":
        return _anything_but(arg, value)
    if op == "wildcard":
        return (
            isinstance(value, str)
            and isinstance(arg, str)
            and eventbridge_wildcard(arg).matches(value)
        )
    if op == "numeric":
        return _numeric(arg, value)
    return False  # cidr and future operators: not evaluated, never a match


def _match_leaf(matchers: Sequence[Any], value: Any) -> bool:
    # Event arrays are flattened to their elements: an empty array has no leaf value, so
    # it behaves like a missing field (``exists: false`` matches it, exact values do not).
    if isinstance(value, list):
        values: list[Any] = list(value) or [_MISSING]
    else:
        values = [value]
    present = values != [_MISSING]
    for matcher in matchers:
        if isinstance(matcher, Mapping) and set(matcher) == {"exists"}:
            if bool(matcher["exists"]) == present:
                return True
            continue
        if any(_match_one(matcher, v) for v in values):
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` (a dict) matches ``pattern`` (a parsed event pattern)."""
    if not isinstance(pattern, Mapping):
        return False
    for key, expected in pattern.items():
        if key == "$or":
            if not isinstance(expected, list) or not any(matches(p, event) for p in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping):
                # A nested pattern only matches missing fields through exists:false leaves.
                if not matches(expected, {}):
                    return False
                continue
            if not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _match_leaf(expected, value):
                return False
        else:
            return False  # a bare scalar is not a valid pattern value
    return True


def cloudtrail_api_event(
    event_name: str,
    account_id: str,
    region: str,
    *,
    service: str = "application-autoscaling",
    namespace: str = "ecs",
    resource_id: str = "service/default/web",
    scalable_dimension: str = "ecs:service:DesiredCount",
) -> dict[str, Any]:
    """The event EventBridge delivers on the default bus for an Application Auto Scaling call.

    Shape taken from the service's documented example: ``source`` ``aws.autoscaling`` and
    ``eventSource`` ``autoscaling.amazonaws.com`` are shared with EC2 Auto Scaling; only
    ``additionalEventData.service`` tells the two apart. The request parameters name the
    target, so a rule filtering on ``requestParameters.serviceNamespace`` can be judged for
    each namespace in use.
    """
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.autoscaling",
        "account": account_id,
        "time": "2024-01-01T00:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "AssumedRole",
                "accountId": account_id,
                "arn": f"arn:aws:sts::{account_id}:assumed-role/Operator/session",
            },
            "eventTime": "2024-01-01T00:00:00Z",
            "eventSource": "autoscaling.amazonaws.com",
            "eventName": event_name,
            "awsRegion": region,
            "sourceIPAddress": "192.0.2.10",
            "userAgent": "aws-cli/2",
            "requestParameters": {
                "serviceNamespace": namespace,
                "resourceId": resource_id,
                "scalableDimension": scalable_dimension,
            },
            "responseElements": None,
            "additionalEventData": {"service": service},
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account_id,
            "eventCategory": "Management",
        },
    }
