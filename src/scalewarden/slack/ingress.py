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


class MalformedRequest(ValueError):
    """A signed body we cannot make sense of (answered with 400)."""


#: Top-level keys whose type Bolt relies on without checking.
_DICT_KEYS = ("event", "view", "container", "message", "state", "enterprise")
_STR_KEYS = ("type", "command", "text", "response_url", "trigger_id", "event_id", "token")


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """Parse a body the way Bolt will, refusing anything Bolt would choke on."""
    if not body:
        raise MalformedRequest("empty body")
    if (content_type or "").startswith("application/json") or body.startswith("{"):
        try:
            parsed: Any = json.loads(body)
        except ValueError as exc:
            raise MalformedRequest("body is not valid JSON") from exc
    else:
        params = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" in body:
            if "payload" not in params:
                raise MalformedRequest("form body without a payload field")
            try:
                parsed = json.loads(params["payload"])
            except ValueError as exc:
                raise MalformedRequest("payload is not valid JSON") from exc
        else:
            if not params:
                raise MalformedRequest("body is neither JSON nor a form")
            parsed = params
    if not isinstance(parsed, dict):
        raise MalformedRequest("body must be a JSON object")
    validate_shape(parsed)
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
        bolt_request = AsyncBoltRequest(body=text, query=query, headers=dict(headers))
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        logger.info("unusable Slack payload: %s", type(exc).__name__)
        return IngressResult(400, "unusable payload", kind="malformed")
    response = await bolt.async_dispatch(bolt_request)
    body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    out_headers = {
        k: v for k, v in response.first_headers_without_set_cookie().items() if v is not None
    }
    return IngressResult(response.status, body, out_headers, kind=kind)
