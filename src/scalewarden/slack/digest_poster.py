"""Posting a digest to Slack: the scheduler's (and ``digest run``'s) poster.

The scheduler calls the poster from its worker thread, after recording ``posting``; so this
is the synchronous ``WebClient``, with the SDK's retry handlers: a 429 is retried after its
``Retry-After``, a 5xx and a dropped connection with backoff. Then:

* Slack answered and refused (``ok: false``, a 4xx, or 429s past the retries): the message
  certainly did not go out → :class:`~scalewarden.digests.scheduler.PostFailed`, and the
  scheduler retries the delivery on a later tick.
* Anything else (a 5xx after the retries, a timeout): it may have gone out → the exception
  propagates and the delivery becomes ``uncertain``, never posted twice.

Once the message is posted, its thread (overflow) and the file (the whole scan, JSON through
the formats registry) follow; their failures are logged and never turn a posted digest into a
failed one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from scalewarden.digests.compose import compose
from scalewarden.digests.scheduler import PostFailed
from scalewarden.slack.views.buttons import DigestPayload
from scalewarden.slack.views.digest import digest_messages
from scalewarden.slack.views.text import SplitMessages

if TYPE_CHECKING:
    from scalewarden.digests.result import DigestResult
    from scalewarden.store import Store
    from scalewarden.store.records import Subscription

log = logging.getLogger(__name__)

#: Seconds before one Web API attempt is abandoned.
TIMEOUT = 15


def digest_web_client(
    token: str, base_url: str, *, retries: int = 3, backoff_factor: float = 0.5
) -> WebClient:
    """A synchronous Web API client with the SDK's rate-limit, server-error and connection
    retry handlers (the digest and alert posters run in worker threads, not on the loop)."""
    if not base_url.endswith("/"):
        base_url += "/"
    backoff = BackoffRetryIntervalCalculator(backoff_factor=backoff_factor)
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
            ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
        ],
    )


def refusal(exc: SlackApiError) -> str | None:
    """Why Slack certainly did not post (``ok: false``, a 4xx, 429s past the retries), or
    ``None`` when it may have (a 5xx after the retries): then the post is uncertain."""
    status = getattr(exc.response, "status_code", 200)
    if status >= 500:
        return None
    error = exc.response.get("error") if exc.response is not None else None
    return str(error or status)


def digest_title(subscription: Subscription) -> str:
    return f"Posture digest #{subscription.id}"


class SlackDigestPoster:
    """``poster(subscription, result) -> ts``, as ``digests.scheduler.tick`` takes it."""

    def __init__(self, client: WebClient, store: Store | None) -> None:
        self.client = client
        self.store = store

    def __call__(self, subscription: Subscription, result: DigestResult) -> str | None:
        outline = compose(result)
        value = None
        if not outline.quiet and subscription.id > 0:
            value = DigestPayload(subscription.id, result.scan_id).encode()
        messages = digest_messages(outline, title=digest_title(subscription), button_value=value)
        try:
            response = self.client.chat_postMessage(
                channel=subscription.channel, text=messages.text, blocks=messages.blocks
            )
        except SlackApiError as exc:
            refused = refusal(exc)
            if refused is None:
                raise  # Slack may have posted it: the delivery is uncertain
            raise PostFailed(f"Slack refused the digest: {refused}") from None
        ts = response.get("ts")
        channel = str(response.get("channel") or subscription.channel)
        if ts:
            self._follow_up(channel, str(ts), messages, result)
        return str(ts) if ts else None

    def _follow_up(
        self, channel: str, ts: str, messages: SplitMessages, result: DigestResult
    ) -> None:
        """The thread replies and the file; a failure here is logged, the digest is posted."""
        try:
            for reply in messages.thread:
                self.client.chat_postMessage(
                    channel=channel, thread_ts=ts, text="More findings", blocks=reply
                )
            if messages.needs_file:
                self._upload(channel, ts, result)
        except Exception as exc:
            log.warning("digest follow-up in %s failed: %s", channel, type(exc).__name__)

    def _upload(self, channel: str, ts: str, result: DigestResult) -> None:
        from scalewarden.checks.model import ScanReport
        from scalewarden.slack.scan.flow import UPLOAD_FORMAT

        stored = self.store.scan_record(result.scan_id) if self.store is not None else None
        if stored is None:
            return
        report = ScanReport.from_dict(stored.report)
        self.client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            filename=UPLOAD_FORMAT.filename(f"scalewarden-scan-{report.scan_id}"),
            title="Full scan report (JSON)",
            content=UPLOAD_FORMAT.render(report),
            initial_comment="The whole scan this digest was made from.",
        )
