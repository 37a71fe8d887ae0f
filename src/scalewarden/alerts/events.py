"""Reading EventBridge events: the envelope's shape, and files of recorded events.

The endpoint (one event per request) and ``scalewarden events replay`` (a file of many) share
these, so both refuse the same bodies with the same words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The envelope fields EventBridge always sends; an object without them is not an event.
ENVELOPE_FIELDS = ("id", "detail-type", "source", "account", "time", "region", "detail")


class EventError(ValueError):
    """Input that is not an EventBridge event (or a file of them); the message says why."""


def validate_envelope(data: Any, where: str = "the event") -> Mapping[str, Any]:
    """``data`` when it is an EventBridge envelope; ``EventError`` naming what is missing."""
    if not isinstance(data, Mapping):
        raise EventError(f"{where} is not a JSON object")
    missing = [name for name in ENVELOPE_FIELDS if name not in data]
    if missing:
        raise EventError(f"{where} is not an EventBridge event: no {', '.join(missing)}")
    for name in ("id", "detail-type", "source", "account", "region"):
        if not isinstance(data[name], str):
            raise EventError(f"{where}: {name} is not a string")
    if not isinstance(data["detail"], Mapping):
        raise EventError(f"{where}: detail is not an object")
    return data


def read_events(text: str) -> list[Mapping[str, Any]]:
    """The events in ``text``: one JSON event, a JSON list of events, or JSON lines.

    Nothing is returned unless everything reads: a bad line is an ``EventError`` naming it.
    """
    stripped = text.strip()
    if not stripped:
        raise EventError("the file is empty")
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise EventError(_json_problem(stripped, "the file")) from None
        events = []
        for number, line in lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                raise EventError(_json_problem(line, f"line {number}")) from None
            events.append(validate_envelope(item, f"line {number}"))
        return events
    if isinstance(whole, list):
        return [validate_envelope(item, f"item {i}") for i, item in enumerate(whole, 1)]
    return [validate_envelope(whole)]


def _json_problem(text: str, where: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{where} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return f"{where} is not JSON"  # pragma: no cover - only called on text that fails
