"""The scheduler inside ``scalewarden serve``: a tick every few seconds, off the event loop.

Each tick (``digests.scheduler.tick``) runs in a worker thread: it reads and writes the
database and runs scans, and none of that may delay an ack. A tick that fails is logged and
the next one tries again. On shutdown the running tick gets ``drain_timeout`` seconds to
finish, then the lease is released so that another replica takes over at once rather than
when the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scalewarden.digests.scheduler import Poster, ScanRunner, SchedulerConfig, TickReport, tick

if TYPE_CHECKING:
    from scalewarden.store import Store

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def run_scheduler(
    *,
    store: Callable[[], Store | None],
    runner: ScanRunner,
    poster: Callable[[Store], Poster],
    owner: str,
    interval: float,
    config: SchedulerConfig,
    drain_timeout: float = 30.0,
    clock: Callable[[], datetime] = _now,
) -> None:
    """Tick every ``interval`` seconds until cancelled. ``store()`` is read before each tick
    (the service opens its database after start-up); ``poster(store)`` builds the poster."""
    current: asyncio.Future[TickReport] | None = None
    held: Store | None = None
    try:
        while True:
            opened = store()
            if opened is not None:
                held = opened
                current = asyncio.ensure_future(
                    asyncio.to_thread(
                        tick,
                        clock(),
                        store=opened,
                        runner=runner,
                        poster=poster(opened),
                        owner=owner,
                        config=config,
                    )
                )
                try:
                    report = await asyncio.shield(current)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.error("digest scheduler tick failed: %s: %s", type(exc).__name__, exc)
                else:
                    if report.posted or report.failed or report.uncertain:
                        log.info("digest tick: %s", report)
                current = None
            await asyncio.sleep(interval)
    finally:
        if current is not None and not current.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(current), drain_timeout)
        if held is not None:
            try:
                await asyncio.to_thread(held.release_lease, config.lease_name, owner=owner)
            except Exception as exc:
                log.warning("could not release the scheduler lease: %s", type(exc).__name__)
