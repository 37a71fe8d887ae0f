"""Slack request bodies: decoded, shape-checked and classified before Bolt sees them (pure).

A signed body can only come from Slack, but Slack's shapes vary by kind and change over time,
and Bolt reads many fields without checking them (``view["type"]``, ``body["actions"]``,
``body["workflow_step"]``, ``event.get`` on a null ``event``): each such gap is a 500, which
Slack answers by delivering the same body again. So the edge accepts only the shapes this app
handles, in full, and says 400 with the reason for anything else that claims to be one of
them. Kinds the app has no listener for are answered without reaching Bolt at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl


class MalformedRequest(ValueError):
    """A signed body we cannot make sense of (answered with 400)."""


#: Top-level keys whose type Bolt relies on without checking.
_DICT_KEYS = ("event", "view", "container", "message", "state", "enterprise")
_STR_KEYS = ("type", "command", "text", "response_url", "trigger_id", "event_id", "token")
#: Slack's forms carry about fifteen fields; anything with thousands is not from Slack.
MAX_FORM_FIELDS = 200

#: What :func:`classify` calls each request (also a metrics label).
COMMAND = "command"
EVENT = "event"
INTERACTIVE = "interactive"
OTHER = "other"
#: A kind of Slack request this app has no listener for (answered 404 without Bolt).
UNHANDLED = "unhandled"
#: Slack's notice that it is dropping the app's events for a minute (answered 200).
RATE_LIMITED = "rate_limited"

#: Interactions the app does not handle today, each with the fields Slack always sends and
#: Bolt reads unguarded. Adding a listener for one means moving it to ``classify``'s handled
#: kinds (and dispatching it to Bolt).
_UNHANDLED_INTERACTIONS: dict[str, tuple[str, ...]] = {
    "view_submission": ("view",),
    "view_closed": ("view",),
    "shortcut": ("callback_id",),
    "message_action": ("callback_id",),
    "interactive_message": ("callback_id", "actions"),
    "dialog_submission": ("callback_id",),
    "dialog_cancellation": ("callback_id",),
    "block_suggestion": ("action_id",),
}


def _loads(text: str, what: str) -> Any:
    """``json.loads`` whose every failure is a :class:`MalformedRequest`.

    Deeply nested input (``[[[[…``) makes the decoder raise ``RecursionError``, which is not a
    ``ValueError``: left alone it would surface as a 500.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedRequest(f"{what} is not valid JSON") from exc


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """Parse a Slack body: JSON (events), a form (commands) or ``payload=<json>`` (buttons).

    A form is an interaction only when it has a ``payload`` *field*. Bolt's own parser treats
    any form body that merely contains the word (a question about payloads, a channel named
    ``#payload-team``) as an interaction and loses the command; the ingress therefore hands
    Bolt this parse instead of Bolt's.
    """
    if not body.strip():
        raise MalformedRequest("empty body")
    if (content_type or "").startswith("application/json") or body.startswith("{"):
        parsed: Any = _loads(body, "body")
    else:
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError as exc:  # more fields than any Slack form has
            raise MalformedRequest("too many form fields") from exc
        params = dict(pairs)
        if "payload" in params:
            parsed = _loads(params["payload"], "payload")
        elif not params:
            raise MalformedRequest("body is neither JSON nor a form")
        else:
            parsed = params
    if not isinstance(parsed, dict):
        raise MalformedRequest("body must be a JSON object")
    validate_shape(parsed)
    if not any(key in parsed for key in ("type", "command", "ssl_check")):
        raise MalformedRequest("not a Slack command, event or interaction")
    return parsed


def _object_list(payload: Mapping[str, Any], key: str) -> None:
    value = payload.get(key)
    if value is not None and (
        not isinstance(value, list) or not all(isinstance(item, dict) for item in value)
    ):
        raise MalformedRequest(f"`{key}` must be a list of objects")


def _strings(where: Mapping[str, Any], keys: tuple[str, ...], prefix: str = "") -> None:
    for key in keys:
        if where.get(key) is not None and not isinstance(where[key], str):
            raise MalformedRequest(f"`{prefix}{key}` must be a string")


def validate_shape(payload: Mapping[str, Any]) -> None:
    """Refuse payloads whose well-known fields have the wrong type."""
    for key in _DICT_KEYS:
        if key in payload and payload[key] is not None and not isinstance(payload[key], dict):
            raise MalformedRequest(f"`{key}` must be an object")
    _strings(payload, _STR_KEYS)
    for key in ("team", "user", "channel"):
        value = payload.get(key)
        if value is not None and not isinstance(value, dict | str):
            raise MalformedRequest(f"`{key}` must be an object or a string")
        if isinstance(value, dict):
            _strings(value, ("id", "team_id", "enterprise_id"), f"{key}.")
    _object_list(payload, "authorizations")
    for authorization in payload.get("authorizations") or ():
        _strings(authorization, ("team_id", "enterprise_id", "user_id"), "authorizations[].")
    _object_list(payload, "actions")
    actions = payload.get("actions")
    if actions is not None and not actions:
        # Bolt's matcher reads ``actions[0]`` unguarded (an IndexError is a 500).
        raise MalformedRequest("`actions` must not be empty")
    for action in actions or ():
        # Bolt's action matcher reads ``action["action_id"]`` unguarded (a KeyError is a 500).
        if not isinstance(action.get("action_id"), str):
            raise MalformedRequest("every action needs a string `action_id`")
        _strings(action, ("block_id", "value", "type"), "actions[].")
    _strings(payload, ("team_id", "enterprise_id", "user_id", "channel_id", "api_app_id"))
    event = payload.get("event")
    if isinstance(event, dict):
        _strings(
            event,
            ("type", "subtype", "channel", "user", "text", "ts", "thread_ts", "bot_id", "app_id"),
            "event.",
        )
        _strings(event, ("team", "user_team", "source_team", "tab", "channel_type"), "event.")


def classify(payload: Mapping[str, Any]) -> str:
    """The kind of a parsed request, after checking the fields its handling relies on.

    ``command``, ``event`` (``event_callback`` and ``url_verification``), ``interactive``
    (``block_actions``), ``other`` (``ssl_check``), ``rate_limited``, or ``unhandled`` for a
    well-formed kind this app has no listener for. Raises :class:`MalformedRequest` for a body
    that claims a kind without its required fields.
    """
    if "command" in payload:
        if not isinstance(payload.get("command"), str):
            raise MalformedRequest("`command` must be a string")
        return COMMAND
    if "ssl_check" in payload and "type" not in payload:
        return OTHER
    kind = payload.get("type")
    if "event" in payload and not isinstance(payload["event"], dict):
        # Bolt's middleware reads ``payload["event"]`` of any request that carries the key.
        raise MalformedRequest("`event` must be an object")
    if kind == "event_callback":
        event = payload.get("event")
        if not isinstance(event, dict):
            raise MalformedRequest("`event` must be an object")
        if not isinstance(event.get("type"), str):
            raise MalformedRequest("`event.type` must be a string")
        return EVENT
    if kind == "url_verification":
        if not isinstance(payload.get("challenge"), str):
            raise MalformedRequest("`challenge` must be a string")
        return EVENT
    if kind == "block_actions":
        if not payload.get("actions"):
            raise MalformedRequest("`actions` must be a non-empty list")
        return INTERACTIVE
    if kind == "app_rate_limited":
        return RATE_LIMITED
    if kind in ("workflow_step_edit", "workflow_step_execute"):
        # Steps from apps were retired by Slack; nothing here handles them.
        raise MalformedRequest("workflow steps from apps are not supported")
    required = _UNHANDLED_INTERACTIONS.get(str(kind))
    if required is not None:
        _require(payload, required)
    return UNHANDLED


def _require(payload: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    """The fields Slack always sends with an interaction of this kind."""
    for key in keys:
        value = payload.get(key)
        if key == "view":
            if not isinstance(value, dict) or not isinstance(value.get("type"), str):
                raise MalformedRequest("`view.type` must be a string")
            if not isinstance(value.get("id"), str):
                raise MalformedRequest("`view.id` must be a string")
        elif key == "actions":
            if not value:
                raise MalformedRequest("`actions` must be a non-empty list")
        elif not isinstance(value, str):
            raise MalformedRequest(f"`{key}` must be a string")


def event_id_of(payload: Mapping[str, Any]) -> str | None:
    """The Events API delivery id, when this is an event with one."""
    event_id = payload.get("event_id") if payload.get("type") == "event_callback" else None
    return event_id if isinstance(event_id, str) and event_id else None
