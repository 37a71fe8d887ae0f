"""Live alerts: one EventBridge event in, one ``Alert`` (or none) out.

Pure: the classifier reads only the event and what it is given (protection tags, lookups of
a target's tags and of an endpoint's service). The HTTP endpoint and Slack delivery sit on top.
"""

from __future__ import annotations

from scalewarden.alerts.classify import (
    AlertContext,
    LookupFailed,
    TargetRef,
    classify,
    handled,
)
from scalewarden.alerts.events import EventError, read_events, validate_envelope
from scalewarden.alerts.model import Alert, Change, Who
from scalewarden.alerts.rules import RULES, Rule

__all__ = [
    "RULES",
    "Alert",
    "AlertContext",
    "Change",
    "EventError",
    "LookupFailed",
    "Rule",
    "TargetRef",
    "Who",
    "classify",
    "handled",
    "read_events",
    "validate_envelope",
]
