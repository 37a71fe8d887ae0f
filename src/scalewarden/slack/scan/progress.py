"""Live scan progress in Slack, fed from the scanner's worker threads.

The scanner reports progress from boto3 worker threads. Those threads must not touch the
event loop's objects directly, so each event is handed to the loop with
``call_soon_threadsafe``; an async task then edits the progress message, at most once per
``interval`` seconds, because ``chat.update`` is rate-limited and every event would be too many.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)


def describe_event(event: Any) -> str:
    """A one-line summary of a ``ProgressEvent`` (account, region, phase, done/total)."""
    phase = str(getattr(event, "phase", "") or "working")
    region = getattr(event, "region", None)
    account = getattr(event, "account_id", None)
    done = getattr(event, "done", None)
    total = getattr(event, "total", None)
    where = " / ".join(str(x) for x in (account, region) if x)
    count = f" {done}/{total}" if done is not None and total else ""
    return f"{phase}{count}" + (f" ({where})" if where else "")


class ProgressReporter:
    """Collects thread-side progress events and sends throttled updates on the loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send: Callable[[str], Awaitable[None]],
        *,
        headline: str,
        interval: float = 1.0,
    ) -> None:
        self._loop = loop
        self._send = send
        self._headline = headline
        self._interval = interval
        self._latest: Any = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.updates_sent = 0
        self.events_seen = 0

    def callback(self, event: Any) -> None:
        """Thread-safe: may be called from any worker thread."""
        # RuntimeError: the loop is closing, and progress no longer matters.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._record, event)

    def _record(self, event: Any) -> None:
        self._latest = event
        self.events_seen += 1
        self._changed.set()

    def text(self) -> str:
        if self._latest is None:
            return f":hourglass_flowing_sand: {self._headline}"
        return f":hourglass_flowing_sand: {self._headline}\n{describe_event(self._latest)}"

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self._send(self.text())
                self.updates_sent += 1
            except Exception as exc:  # progress is best effort
                logger.warning("progress update failed: %s", type(exc).__name__)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = self._loop.create_task(self._run(), name="scan-progress")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
