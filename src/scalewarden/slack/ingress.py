"""The HTTP edge in front of Bolt: verify, parse and classify, then dispatch.

Order matters and is deliberate. The body size has been bounded by the web layer before we get
here. The signature is checked on the raw bytes before anything parses them, so a forged
request costs one HMAC and nothing else. Then the body is decoded, its shape checked and its
kind decided (``slack/payloads.py``), so that malformed input gets a 400 and a log line instead
of surfacing as a 500 from deep inside Bolt, and kinds the app has no listener for never reach
Bolt. Slack's retries (``X-Slack-Retry-Num``) of an event with an id go on to Bolt, whose
de-duplication processes one only when its first delivery was never claimed (lost in a
restart); every other retry is answered 200 and dropped here."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from scalewarden.slack.app import mark_signed
from scalewarden.slack.metrics import Metrics
from scalewarden.slack.payloads import (
    COMMAND,
    RATE_LIMITED,
    UNHANDLED,
    MalformedRequest,
    classify,
    event_id_of,
    parse_body,
)
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


def _bolt_request(
    text: str, payload: dict[str, Any], query: str, headers: Mapping[str, str]
) -> AsyncBoltRequest:
    """Bolt's request for a body the ingress has already parsed, without parsing it again.

    Bolt parses the raw body itself unless it is handed a dict, which it accepts only in
    Socket Mode; so the request is built that way and then made an HTTP request again, with
    the raw body as received, and the listeners see our parse (see ``parse_body`` for why it
    is the right one). It is not marked as verified: :func:`handle_slack_request` marks it.
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
    try:
        text = raw.decode("utf-8")
        payload = parse_body(text, headers.get("content-type"))
        kind = classify(payload)
    except UnicodeDecodeError:
        return _malformed("body is not UTF-8")
    except MalformedRequest as exc:
        return _malformed(str(exc))
    if headers.get("x-slack-retry-num") and event_id_of(payload) is None:
        # Only Events API deliveries are retried, and only an event id says whether the first
        # delivery was ever taken; a retry with a claimed id is dropped by the de-duplication.
        metrics.duplicates.labels(reason="retry").inc()
        return IngressResult(200, "", {"X-Slack-No-Retry": "1"}, kind="retry")
    if kind == RATE_LIMITED:
        logger.warning("Slack is not delivering this app's events for a minute (app_rate_limited)")
        return IngressResult(200, "", kind=kind)
    if kind == UNHANDLED:
        return IngressResult(404, "no handler for this kind of request", kind=kind)
    try:
        bolt_request = _bolt_request(text, payload, query, headers)
    except (AttributeError, TypeError, ValueError, KeyError, RecursionError) as exc:
        return _malformed(f"unusable payload ({type(exc).__name__})")
    # Verified above, on the bytes this request was built from: Bolt lets it through without
    # checking the signature a second time (``ServiceBolt``).
    response = await bolt.async_dispatch(mark_signed(bolt_request))
    if response.status >= 500 and kind == COMMAND:
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


def _malformed(reason: str) -> IngressResult:
    """A signed body we cannot use: 400 and one log line with the reason (never a traceback).

    The reason is our own text (it names a field, never quotes the body).
    """
    logger.warning("malformed Slack request: %s", reason)
    return IngressResult(400, reason, kind="malformed")
