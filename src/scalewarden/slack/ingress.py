"""The HTTP edge in front of Bolt: verify, de-duplicate retries, validate, then dispatch.

Order matters and is deliberate. The body size has been bounded by the web layer before we get
here. The signature is checked on the raw bytes before anything parses them, so a forged
request costs one HMAC and nothing else. Slack's retries are answered 200 without being
processed again (the first delivery is already being handled). Only then is the body decoded
and its shape checked, so that malformed input gets a 4xx instead of surfacing as a 500 from
deep inside Bolt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from scalewarden.slack.metrics import Metrics
from scalewarden.slack.signature import verify

logger = logging.getLogger(__name__)


@dataclass
class IngressResult:
    """What to send back to Slack."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "unknown"


#: The answer to a command that failed before it reached the listener.
COMMAND_FAILED = (
    "scalewarden could not handle that command just now: it could not reach Slack's Web API. "
    "Please try again in a minute."
)


class MalformedRequest(ValueError):
    """A signed body we cannot make sense of (answered with 400)."""


#: Top-level keys whose type Bolt relies on without checking.
_DICT_KEYS = ("event", "view", "container", "message", "state", "enterprise")
_STR_KEYS = ("type", "command", "text", "response_url", "trigger_id", "event_id", "token")
#: Slack's forms carry about fifteen fields; anything with thousands is not from Slack.
MAX_FORM_FIELDS = 200


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


def validate_shape(payload: Mapping[str, Any]) -> None:
    """Refuse payloads whose well-known fields have the wrong type."""
    for key in _DICT_KEYS:
        if key in payload and payload[key] is not None and not isinstance(payload[key], dict):
            raise MalformedRequest(f"`{key}` must be an object")
    for key in _STR_KEYS:
        if key in payload and payload[key] is not None and not isinstance(payload[key], str):
            raise MalformedRequest(f"`{key}` must be a string")
    for key in ("team", "user", "channel"):
        value = payload.get(key)
        if value is not None and not isinstance(value, dict | str):
            raise MalformedRequest(f"`{key}` must be an object or a string")
    authorizations = payload.get("authorizations")
    if authorizations is not None and (
        not isinstance(authorizations, list) or not all(isinstance(a, dict) for a in authorizations)
    ):
        raise MalformedRequest("`authorizations` must be a list of objects")
    actions = payload.get("actions")
    if actions is not None and (
        not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions)
    ):
        raise MalformedRequest("`actions` must be a list of objects")
    if actions is not None and not actions:
        # Bolt's matcher reads ``actions[0]`` unguarded (an IndexError is a 500).
        raise MalformedRequest("`actions` must not be empty")
    for action in actions or ():
        # Bolt's action matcher reads ``action["action_id"]`` unguarded (a KeyError is a 500).
        if not isinstance(action.get("action_id"), str):
            raise MalformedRequest("every action needs a string `action_id`")
        for key in ("block_id", "value", "type"):
            if action.get(key) is not None and not isinstance(action[key], str):
                raise MalformedRequest(f"`actions[].{key}` must be a string")
    event = payload.get("event")
    if isinstance(event, dict):
        for key in ("type", "subtype", "channel", "user", "text", "ts", "thread_ts", "bot_id"):
            if key in event and event[key] is not None and not isinstance(event[key], str):
                raise MalformedRequest(f"`event.{key}` must be a string")


def request_kind(payload: Mapping[str, Any]) -> str:
    """``command``, ``event``, ``interactive`` or ``other`` (a metrics label)."""
    if "command" in payload:
        return "command"
    if payload.get("type") in ("event_callback", "url_verification"):
        return "event"
    if payload.get("type") in ("block_actions", "view_submission", "shortcut", "view_closed"):
        return "interactive"
    return "other"


def _bolt_request(
    text: str, payload: dict[str, Any], query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest:
    """Bolt's request for a body the ingress has already parsed, without parsing it again.

    Bolt parses the raw body itself unless it is handed a dict, which it accepts only in
    Socket Mode; so the request is built that way and then made an HTTP request again, with
    the raw body as received. Bolt's own signature check therefore still runs on the signed
    bytes, and the listeners see our parse (see ``parse_body`` for why it is the right one).
    """
    request = AsyncBoltRequest(body=payload, query=query, headers=dict(headers), mode="socket_mode")
    request.raw_body = text
    request.mode = "http"
    return request


async def handle_slack_request(
    bolt: AsyncApp,
    *,
    signing_secret: str,
    raw: bytes,
    headers: Mapping[str, str],
    query: str,
    metrics: Metrics,
) -> IngressResult:
    """Run one Slack delivery through verification, retry handling, validation and Bolt."""
    if not verify(
        signing_secret,
        raw,
        headers.get("x-slack-request-timestamp"),
        headers.get("x-slack-signature"),
    ):
        return IngressResult(401, "invalid signature", kind="rejected")
    if headers.get("x-slack-retry-num"):
        metrics.duplicates.labels(reason="retry").inc()
        return IngressResult(200, "", {"X-Slack-No-Retry": "1"}, kind="retry")
    try:
        text = raw.decode("utf-8")
        payload = parse_body(text, headers.get("content-type"))
    except UnicodeDecodeError:
        return IngressResult(400, "body is not UTF-8", kind="malformed")
    except MalformedRequest as exc:
        return IngressResult(400, str(exc), kind="malformed")
    kind = request_kind(payload)
    try:
        bolt_request = _bolt_request(text, payload, query, headers)
    except (AttributeError, TypeError, ValueError, KeyError, RecursionError) as exc:
        logger.info("unusable Slack payload: %s", type(exc).__name__)
        return IngressResult(400, "unusable payload", kind="malformed")
    response = await bolt.async_dispatch(bolt_request)
    if response.status >= 500 and kind == "command":
        # Bolt answers 500 when something before the listener failed (typically ``auth.test``
        # while Slack's Web API is unreachable); Slack would show the user a bare
        # "dispatch_failed". Say what happened instead.
        return IngressResult(
            200,
            json.dumps({"response_type": "ephemeral", "text": COMMAND_FAILED}),
            {"Content-Type": "application/json"},
            kind=kind,
        )
    body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    out_headers = {
        k: v for k, v in response.first_headers_without_set_cookie().items() if v is not None
    }
    return IngressResult(response.status, body, out_headers, kind=kind)
