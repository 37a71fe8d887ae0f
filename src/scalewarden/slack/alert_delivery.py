"""From accepted EventBridge events to alerts in Slack, behind the ``/aws/events`` answer.

The endpoint only validates and hands the event to :meth:`AlertPipeline.offer` (a bounded
queue); its 202 never waits for what follows here:

1. **Classify**, in a worker thread, a batch of queued events at a time (the pure
   ``alerts.classify``; most events are not risky and end here). Its look-ups of a target's
   tags and an endpoint's service (``aws.lookups.AlertLookups``: stored scans, then a live
   read within the service scope) run here too, bounded per batch.
2. **De-duplicate** the event id in the database (``processed_events`` under ``aws:``, the
   id normalised like Slack's), so an EventBridge retry, on any replica, alerts no more.
3. **Route**: unless an active mute of its check and place silences it, the channels whose
   alert subscriptions want it (``alerts.delivery``).
4. **Post**, one worker per channel so that one channel's rate limit never holds up
   another's: the delivery is claimed in ``alert_deliveries`` (unique on event and channel)
   *before* the post, placed by the channel's burst and rate planner, and posted with the
   digests' Web API client and its SDK retry handlers (429 after ``Retry-After``, 5xx and
   dropped connections with backoff). A definite refusal is recorded ``failed``; anything
   that may have gone out is ``uncertain`` and never posted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from scalewarden.alerts import AlertContext, classify
from scalewarden.alerts.delivery import (
    ChannelPlanner,
    Placement,
    PlacementKind,
    channels_for,
    mute_of,
    principal_of,
)
from scalewarden.alerts.model import Alert
from scalewarden.checks.mutelist import Mutelist
from scalewarden.slack.digest_poster import refusal
from scalewarden.slack.metrics import Metrics
from scalewarden.slack.views.alert import AlertMessage, alert_message, burst_lead, overflow_lead

if TYPE_CHECKING:
    from scalewarden.store import Store

logger = logging.getLogger(__name__)

#: Events accepted but not yet classified; past it the endpoint answers 503 and EventBridge
#: retries later (it retries 429 and 5xx answers for up to a day).
QUEUE_SIZE = 10_000
#: Bytes of request bodies accepted but not yet classified: the count alone would let 10,000
#: events of up to 1 MiB each (gigabytes once parsed) wait for a stalled database.
QUEUE_BYTES = 32 * 1024 * 1024
#: Alerts waiting for one channel's poster. A held-up Slack (429s, outages) would otherwise
#: let them pile up without bound behind an emptied event queue; past it the classifier
#: waits, the event queue fills and the endpoint answers 503, so EventBridge keeps the rest.
CHANNEL_QUEUE = 1_000
#: Events classified per worker-thread hand-off.
BATCH = 64
#: Seconds the classifier waits for more events before a batch.
LINGER = 0.02
#: Threads that post alerts. A post can hold its thread for minutes (Slack's ``Retry-After``,
#: backoff after 5xx, a hung connection), so posts never run on the loop's default threads:
#: with a few channels held up those would all be taken, and the Slack edge's event-id claim
#: and ``/readyz`` (which run there) would wait behind them, past Slack's 3-second ack.
POST_THREADS = 4
#: The prefix under which EventBridge ids share the de-duplication table with Slack's.
EVENT_PREFIX = "aws:"


def alert_event_key(event_id: str) -> str:
    """The de-duplication key of an EventBridge event id: normalised and hashed exactly like
    a Slack event id (``slack.app.event_key``), in a namespace of its own."""
    from scalewarden.slack.app import event_key

    return EVENT_PREFIX + event_key(event_id)


@dataclass
class _Channel:
    planner: ChannelPlanner
    queue: asyncio.Queue[tuple[Alert, str, float]]
    worker: asyncio.Task[None] | None = None
    #: Burst and overflow heads posted in this channel: planner key → message ts.
    heads: dict[str, str] = field(default_factory=dict)


class AlertPipeline:
    """Classify, de-duplicate, route and post; one per application (see the module doc)."""

    def __init__(
        self,
        *,
        store: Callable[[], Store | None],
        client: WebClient | None,
        metrics: Metrics,
        context: AlertContext | None = None,
        batch_start: Callable[[], None] | None = None,
        burst: int = 3,
        rate: int = 20,
        queue_size: int | None = None,
        queue_bytes: int = QUEUE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._client = client
        self._metrics = metrics
        self._context = context or AlertContext()
        #: Called before each batch is classified (the look-ups' time budget starts).
        self._batch_start = batch_start
        self._burst = burst
        self._rate = rate
        self._clock = clock
        self._queue: asyncio.Queue[tuple[Mapping[str, Any], float, int]] = asyncio.Queue(
            queue_size or QUEUE_SIZE
        )
        self._queue_bytes = queue_bytes
        #: Body bytes of the events queued or being classified (the loop's thread only).
        self._queued_bytes = 0
        self._channels: dict[str, _Channel] = {}
        self._runner: asyncio.Task[None] | None = None
        # Classification and de-duplication (one batch at a time; a stalled database holds
        # this thread only), and the posts: both off the loop's default threads.
        self._classifier = ThreadPoolExecutor(1, thread_name_prefix="alert-classify")
        self._posters = ThreadPoolExecutor(POST_THREADS, thread_name_prefix="alert-post")

    # The endpoint's side --------------------------------------------------------------

    def offer(self, event: Mapping[str, Any], size: int = 0) -> bool:
        """Queue a validated event whose body had ``size`` bytes; ``False`` when the queue is
        full, in events or in bytes (the caller says 503)."""
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(
                self._classify_forever(), name="alert-classifier"
            )
        if self._queued_bytes + size > self._queue_bytes and self._queued_bytes:
            return False
        try:
            self._queue.put_nowait((event, time.monotonic(), size))
        except asyncio.QueueFull:
            return False
        self._queued_bytes += size
        return True

    async def close(self, timeout: float) -> None:
        """Finish what was accepted (within ``timeout``), then stop the workers."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.idle()
        tasks = [t for t in [self._runner, *(c.worker for c in self._channels.values())] if t]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for pool in (self._classifier, self._posters):
            pool.shutdown(wait=False, cancel_futures=True)

    async def idle(self) -> None:
        """Wait until every accepted event has been classified and every alert posted."""
        await self._queue.join()
        for channel in list(self._channels.values()):
            await channel.queue.join()

    # Classify and route ---------------------------------------------------------------

    async def _classify_forever(self) -> None:
        while True:
            first = await self._queue.get()
            # Linger a moment, so a stream of events is classified in batches: one worker
            # thread hand-off per batch instead of per event (alerts are seconds-scale).
            await asyncio.sleep(LINGER)
            batch = [first]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                loop = asyncio.get_running_loop()
                alerts = await loop.run_in_executor(self._classifier, self._classify, batch)
                routed = await loop.run_in_executor(self._classifier, self._route, alerts)
                for alert, key, channels, received in routed:
                    for channel in channels:
                        await self._channel(channel).queue.put((alert, key, received))
            except Exception:
                logger.exception("alert processing failed for %d event(s)", len(batch))
            finally:
                for _event, _received, size in batch:
                    self._queued_bytes -= size
                    self._queue.task_done()

    def _classify(
        self, events: list[tuple[Mapping[str, Any], float, int]]
    ) -> list[tuple[Alert, str, float]]:
        """The alerts of ``events``, each with its event's raw id (the alert's own is
        redacted and cut for showing; de-duplication needs the id as sent)."""
        alerts = []
        if self._batch_start is not None:
            self._batch_start()
        for event, received, _size in events:
            try:
                alert = classify(event, self._context)
            except Exception:  # a rule's bug must not stop the others' events
                logger.exception("classifying an event failed")
                self._metrics.aws_events.labels(outcome="error").inc()
                continue
            if alert is None:
                self._metrics.aws_events.labels(outcome="quiet").inc()
            else:
                alerts.append((alert, str(event.get("id")), received))
        return alerts

    def _route(
        self, alerts: list[tuple[Alert, str, float]]
    ) -> list[tuple[Alert, str, list[str], float]]:
        """Claim each alert's event id; return the channels of those seen for the first time."""
        store = self._store()
        routed: list[tuple[Alert, str, list[str], float]] = []
        if not alerts:
            return routed
        if store is None:
            self._metrics.aws_events.labels(outcome="alert_no_database").inc(len(alerts))
            return routed
        subscriptions = store.alert_subscriptions()
        rules = Mutelist.from_stored(store.mutes()).rules
        now = datetime.now(UTC)
        for alert, event_id, received in alerts:
            key = alert_event_key(event_id)
            if not store.claim_event(key):
                self._metrics.aws_events.labels(outcome="duplicate").inc()
                continue
            if mute_of(rules, alert, now) is not None:
                self._metrics.aws_events.labels(outcome="muted").inc()
                continue
            self._metrics.aws_events.labels(outcome="alert").inc()
            routed.append((alert, key, channels_for(subscriptions, alert), received))
        return routed

    # Post ----------------------------------------------------------------------------------

    def _channel(self, channel_id: str) -> _Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = _Channel(
                ChannelPlanner(burst=self._burst, rate=self._rate), asyncio.Queue(CHANNEL_QUEUE)
            )
            self._channels[channel_id] = channel
        if channel.worker is None or channel.worker.done():
            channel.worker = asyncio.get_running_loop().create_task(
                self._post_forever(channel_id, channel), name=f"alert-post-{channel_id}"
            )
        return channel

    async def _post_forever(self, channel_id: str, channel: _Channel) -> None:
        while True:
            alert, key, received = await channel.queue.get()
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._posters, self._deliver, channel_id, channel, alert, key, received
                )
            except Exception:
                logger.exception("alert delivery to %s failed", channel_id)
            finally:
                channel.queue.task_done()

    def _deliver(
        self, channel_id: str, channel: _Channel, alert: Alert, key: str, received: float
    ) -> None:
        store = self._store()
        if store is None or self._client is None:
            # Slack is off (no bot token): the alert was counted and cannot be posted.
            self._metrics.alert_posts.labels(outcome="no_slack").inc()
            return
        now = datetime.now(UTC)
        delivery = store.claim_alert_delivery(
            event_key=key,
            channel=channel_id,
            rule_id=alert.rule_id,
            severity=alert.severity.value,
            now=now,
        )
        if delivery is None:
            self._metrics.alert_posts.labels(outcome="duplicate").inc()
            return
        principal = principal_of(alert)
        placement = channel.planner.place(principal, self._clock())
        if placement.kind == "thread" and placement.key not in channel.heads:
            # The head of this burst or overflow was never posted (Slack refused it, or it
            # timed out): this alert heads the thread instead, so the rest still go to one
            # thread rather than each to the channel, past its rate limit.
            head: PlacementKind = "burst" if placement.key.startswith("burst") else "overflow"
            placement = Placement(head, placement.key)
        lead = ""
        thread_ts = None
        if placement.kind == "burst":
            shown = alert.who.name if alert.who is not None and alert.who.name else principal
            lead = burst_lead(shown, self._burst)
        elif placement.kind == "overflow":
            lead = overflow_lead(self._rate)
        elif placement.kind == "thread":
            thread_ts = channel.heads.get(placement.key)
        message = alert_message(alert, lead=lead)
        state, ts, error = self._post(channel_id, message, thread_ts)
        if ts and placement.kind in ("burst", "overflow"):
            channel.heads[placement.key] = ts
            if len(channel.heads) > 1000:  # old heads: their bursts ended long ago
                for old in list(channel.heads)[:500]:
                    del channel.heads[old]
        store.finish_alert_delivery(
            delivery, state=state, message_ts=ts, error=error, now=datetime.now(UTC)
        )
        self._metrics.alert_posts.labels(outcome=state).inc()
        if state == "posted":
            self._metrics.alert_latency.observe(time.monotonic() - received)

    def _post(
        self, channel_id: str, message: AlertMessage, thread_ts: str | None
    ) -> tuple[str, str | None, str | None]:
        """(state, message ts, error) of one post; the SDK retries inside the call."""
        assert self._client is not None
        try:
            response = self._client.chat_postMessage(
                channel=channel_id,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                thread_ts=thread_ts,
            )
        except SlackApiError as exc:
            refused = refusal(exc)
            if refused is None:
                return "uncertain", None, f"Slack answered {exc.response.status_code}"
            logger.warning("Slack refused an alert in %s: %s", channel_id, refused)
            return "failed", None, f"Slack refused the alert: {refused}"
        except Exception as exc:  # a timeout or a dropped connection: it may have gone out
            logger.warning("alert post to %s is uncertain: %s", channel_id, type(exc).__name__)
            return "uncertain", None, f"{type(exc).__name__} while posting"
        ts = response.get("ts")
        return "posted", str(ts) if ts else None, None
