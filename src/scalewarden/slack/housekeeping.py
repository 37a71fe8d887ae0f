"""Periodic upkeep of the Slack service's own tables.

Every Events API delivery leaves an ``event_id`` row behind (that is how replicas agree on who
answers it). Slack stops retrying an event after about five minutes, so old rows only take
space; in a busy workspace they would grow without end. The service therefore forgets rows
older than a retention period, now and then, on every replica (deleting is idempotent).
Alert deliveries (one row per event and channel) are kept a week: EventBridge retries an event
for at most 24 hours, so older rows no longer keep anything from posting twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

#: How long an ``event_id`` is remembered: far beyond Slack's last retry (about 5 minutes).
DEFAULT_EVENT_RETENTION = timedelta(days=1)
#: How long an alert delivery is remembered: well past EventBridge's longest retry (24 hours).
ALERT_DELIVERY_RETENTION = timedelta(days=7)
#: Seconds between two clean-ups.
DEFAULT_PRUNE_INTERVAL = 3600.0


async def prune_events_forever(
    store: Callable[[], Any],
    *,
    interval: float = DEFAULT_PRUNE_INTERVAL,
    retention: timedelta = DEFAULT_EVENT_RETENTION,
) -> None:
    """Prune claimed events older than ``retention`` every ``interval`` seconds, until cancelled.

    ``store`` is a callable because the service opens its database after start-up. A failed
    clean-up is logged and tried again next time; it never stops the loop.
    """
    while True:
        current = store()
        prune = getattr(current, "prune_events", None)
        if prune is not None:
            try:
                removed = await asyncio.to_thread(prune, before=datetime.now(UTC) - retention)
            except Exception as exc:
                logger.warning("could not prune processed events: %s", type(exc).__name__)
            else:
                if removed:
                    logger.info("pruned %d processed event id(s)", removed)
        prune_alerts = getattr(current, "prune_alert_deliveries", None)
        if prune_alerts is not None:
            try:
                gone = await asyncio.to_thread(
                    prune_alerts, before=datetime.now(UTC) - ALERT_DELIVERY_RETENTION
                )
            except Exception as exc:
                logger.warning("could not prune alert deliveries: %s", type(exc).__name__)
            else:
                if gone:
                    logger.info("pruned %d alert deliveries", gone)
        await asyncio.sleep(interval)
