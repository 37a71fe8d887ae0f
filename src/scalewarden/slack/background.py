"""Tracking of work that runs after Slack has been acknowledged.

Bolt starts post-ack work with ``asyncio.ensure_future`` and keeps no handle, so a shutdown
silently drops answers and scans in flight. Listeners instead hand their slow part to
:class:`BackgroundTasks`, which keeps a strong reference to every task (the event loop only
keeps weak ones), logs failures instead of losing them, and lets the FastAPI lifespan wait
for the work to finish before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


#: Quick jobs (answers, feedback, Home tab) allowed to run at once; the rest wait their turn.
DEFAULT_QUICK_SLOTS = 2
#: Quick jobs allowed to wait for a slot. At about a millisecond of work each
#: (``docs/benchmarks.md``, HTTP) that is some five seconds of backlog: an answer later than
#: that is worth less than being told at once to ask again. Past it, new jobs are shed.
DEFAULT_MAX_WAITING = 5000
#: Seconds between two warnings about shed jobs (each says how many were shed meanwhile).
SHED_LOG_INTERVAL = 10.0


class BackgroundTasks:
    """A set of tracked tasks that can be drained.

    Quick jobs spawned with ``limited=True`` share a small number of slots. Under a burst of
    questions the answers then queue instead of all competing with new requests for the event
    loop and the worker threads: Slack's 3-second ack deadline is hard, while an answer posted
    through ``response_url`` a moment later is fine.

    The queue is bounded. A flood beyond ``max_waiting`` waiting jobs would otherwise grow
    memory, and every answer's delay, without limit; a job that finds the queue full is shed
    instead: it never runs, and its ``when_busy`` job (a short "busy, ask again" reply, which
    needs no slot) runs in its place.
    """

    def __init__(
        self, quick_slots: int = DEFAULT_QUICK_SLOTS, max_waiting: int = DEFAULT_MAX_WAITING
    ) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._quick_slots = quick_slots
        self._max_waiting = max_waiting
        self._waiting = 0
        self._shed = 0
        self._shed_logged_at: float | None = None
        self._shed_at_log = 0
        self._slots: asyncio.Semaphore | None = None

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def waiting(self) -> int:
        """Quick jobs waiting for a slot."""
        return self._waiting

    @property
    def shed(self) -> int:
        """Quick jobs shed so far because the queue was full."""
        return self._shed

    def refuse_if_full(self, name: str | None = None) -> bool:
        """True, counting and logging the job as shed, when a ``limited`` job would be shed
        now; False (nothing counted) when it would be queued.

        For callers that can tell before building the job that it would be shed, and then
        answer "busy" without building it at all (``listeners/commands.py``).
        """
        if self._waiting < self._max_waiting:
            return False
        self._shed += 1
        self._log_shed(name)
        return True

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str | None = None,
        limited: bool = False,
        when_busy: Callable[[], Coroutine[Any, Any, Any]] | None = None,
    ) -> asyncio.Task[Any] | None:
        """Start ``coro`` on the running loop and track it until it finishes.

        ``limited`` jobs wait for one of the quick slots before they start. When
        ``max_waiting`` of them are already waiting, ``coro`` is closed unstarted, the job
        from ``when_busy`` (if any) is started instead, and ``None`` is returned.
        """
        if limited:
            if self.refuse_if_full(name):
                coro.close()
                return self.spawn(when_busy(), name=f"{name}-busy") if when_busy else None
            self._waiting += 1
            coro = self._in_slot(coro)
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _log_shed(self, name: str | None) -> None:
        """One warning for the first job shed, then at most one per ``SHED_LOG_INTERVAL``
        with how many were shed meanwhile: under a flood a line per shed job would cost the
        serving process more than shedding does, and say nothing more."""
        now = time.monotonic()
        if self._shed_logged_at is not None and now - self._shed_logged_at < SHED_LOG_INTERVAL:
            return
        shed = self._shed - self._shed_at_log
        self._shed_logged_at, self._shed_at_log = now, self._shed
        logger.warning(
            "shed %d job(s) (the latest %s): %d quick jobs already waiting",
            shed,
            name or "unnamed",
            self._waiting,
        )

    async def _in_slot(self, coro: Coroutine[Any, Any, Any]) -> Any:
        if self._slots is None:  # created lazily: it must belong to the running loop
            self._slots = asyncio.Semaphore(self._quick_slots)
        try:
            await self._slots.acquire()
        except BaseException:  # cancelled while waiting (shutdown): never started
            self._waiting -= 1
            coro.close()
            raise
        self._waiting -= 1
        try:
            return await coro
        finally:
            self._slots.release()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            logger.debug("background task %s was cancelled", task.get_name())
            return
        exc = task.exception()
        if exc is not None:
            logger.error(
                "background task %s failed: %s",
                task.get_name(),
                exc,
                exc_info=(type(exc), exc, exc.__traceback__),
            )

    async def drain(self, timeout: float | None = 30.0) -> int:
        """Wait for every tracked task (including ones spawned meanwhile); cancel stragglers.

        Returns how many tasks had to be cancelled because the timeout ran out.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)
        leftover = [t for t in self._tasks if not t.done()]
        for task in leftover:
            task.cancel()
        if leftover:
            await asyncio.gather(*leftover, return_exceptions=True)
            logger.warning(
                "cancelled %d background task(s) still running at shutdown", len(leftover)
            )
        return len(leftover)

    async def close(self, timeout: float | None = 30.0) -> int:
        """Refuse nothing but mark shutdown, then drain (used by the app lifespan)."""
        self._closing = True
        return await self.drain(timeout)


async def run_in_daemon_thread(fn: Callable[..., T], *args: Any, name: str) -> T:
    """``fn(*args)`` in a thread of its own that does not hold up the process's exit.

    ``asyncio.to_thread`` uses the loop's default executor, which the loop waits for when it
    closes: a scan still reading AWS when the service is asked to stop would keep the process
    alive until it finished, minutes on a large estate, after its task was already cancelled.
    A daemon thread is simply dropped at exit, which is safe for work that only reads. Await
    it like ``to_thread``; cancelling the await abandons the result.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # the await was cancelled: nobody wants the result
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future
