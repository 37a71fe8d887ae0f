"""The service's one scan queue: Slack scans, digest scans and API scans all submit here.

``ScanRunner.submit`` decides at once, on the event loop, what happens to a request:

* **merged**: a scan with the same merge key (scope, identity, mutes) is queued or running;
  the requester joins it and gets its progress and its report;
* **refused**: the requester already has ``per_requester`` scans queued or running, or the
  service has ``total``; the reason says which, so the requester is told plainly;
* **started** or **queued**: a new run, which waits for one of ``slots`` to execute.

So a burst of 40 identical requests is one scan, and a burst of different ones is a bounded
queue, never 40 scans. A run executes through an ``Executor`` (a worker process per scan in
the service); progress events reach the run's listeners on the event loop. The runner stores
each completed report once, however many requesters share it. Finished runs are kept for a
while (``keep_finished``) so their status and failure stay readable after they end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from scalewarden.scan import ProgressCallback, ScanScope, ScopeError
from scalewarden.scanning.executors import Executor
from scalewarden.scanning.jobs import ScanJob

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport

logger = logging.getLogger(__name__)


class ScanStore(Protocol):
    """What the runner needs of the store: saving a completed report."""

    def save_scan(
        self,
        report: dict,
        *,
        requested_by: str | None = ...,
        scope_key: str | None = ...,
        checks: Sequence[str] | None = ...,
    ) -> str: ...


@dataclass(frozen=True)
class ScanLimits:
    """How many scans run at once, and how many may be queued or running (per requester and
    in total). Defaults suit one replica: a large estate takes minutes to scan."""

    slots: int = 1
    per_requester: int = 3
    total: int = 10

    def __post_init__(self) -> None:
        if min(self.slots, self.per_requester, self.total) < 1:
            raise ValueError("scan limits must be at least 1")


class ScanState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Admission(StrEnum):
    STARTED = "started"
    QUEUED = "queued"
    MERGED = "merged"
    REFUSED = "refused"


class ScanCancelled(Exception):
    """The scan was stopped before it finished (the service shut down)."""


#: What a requester is told when the service is stopping.
SHUTTING_DOWN = "scalewarden is restarting; please run the scan again in a minute."


@dataclass
class ScanRun:
    """One scan the runner executes, shared by every request merged into it."""

    id: str
    job: ScanJob
    source: str
    requesters: list[str]
    created_at: datetime
    state: ScanState = ScanState.QUEUED
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: The latest progress event, for status readers.
    progress: Any = None
    report: ScanReport | None = None
    #: Why the scan failed or stopped (the exception as raised, for the callers to word).
    error: BaseException | None = None
    #: The id the report was stored under (``None`` until stored, or when storing failed).
    stored_id: str | None = None
    worker_pid: int | None = None
    #: State each front end keeps for this run, by its name (Slack keeps who waits where):
    #: a request merged into the run finds there the requests that came before it.
    followers: dict[str, Any] = field(default_factory=dict, repr=False)
    _done: asyncio.Future[ScanReport] | None = field(default=None, repr=False)
    _listeners: list[ProgressCallback] = field(default_factory=list, repr=False)

    @property
    def requested_by(self) -> str:
        return self.requesters[0]

    @property
    def active(self) -> bool:
        return self.state in (ScanState.QUEUED, ScanState.RUNNING)

    def listen(self, callback: ProgressCallback) -> Callable[[], None]:
        """Call ``callback`` (on the loop) with each progress event; returns the unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    async def wait(self) -> ScanReport:
        """The report; raises the scan's error, or ``ScanCancelled``. Cancelling the wait
        leaves the scan running for its other requesters."""
        assert self._done is not None
        return await asyncio.shield(self._done)

    def _publish(self, event: Any) -> None:
        self.progress = event
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # one listener's bug must not stop the others
                logger.warning("scan progress listener failed: %s", type(exc).__name__)


async def audit_outcome(run: ScanRun) -> tuple[str, str | None]:
    """The audit log's (outcome, detail) for a request that followed ``run``, once it ended:
    ``completed``, ``failed`` (the scan's own error), ``error`` (the worker crashed) or
    ``cancelled``. Slack and the API audit their requests alike with it."""
    try:
        report = await run.wait()
    except (asyncio.CancelledError, ScanCancelled):
        return "cancelled", "the service shut down before the scan finished"
    except Exception as exc:
        return failure_outcome(exc)
    summary: dict[str, Any] = report.summary
    fails = sum(summary["fail_by_severity"].values())
    return (
        "completed",
        f"scan {run.stored_id or report.scan_id}: {fails} failing of {summary['total']}",
    )


def failure_outcome(exc: BaseException) -> tuple[str, str]:
    """The audit's (outcome, detail) for a scan that raised ``exc``."""
    from scalewarden.scanning.executors import UnexpectedScanError, WorkerCrashed

    crashed = isinstance(exc, WorkerCrashed | UnexpectedScanError)
    # A crash's text is ours ("killed by SIGKILL"); other errors may quote the account.
    detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, WorkerCrashed) else None
    return ("error" if crashed else "failed"), detail or type(exc).__name__


def merged_outcome(run: ScanRun, outcome: str, detail: str | None) -> tuple[str, str]:
    """A merged request's audit row: ``merged``, whose scan it joined and how that ended (the
    request that started the scan carries the scan's own outcome)."""
    ended = f"{outcome} ({detail})" if detail else outcome
    return "merged", f"joined scan {run.id} started by {run.requested_by}: {ended}"


@dataclass(frozen=True)
class Ticket:
    """The runner's answer to a request: the admission, the run (unless refused), and the
    reason for a refusal."""

    admission: Admission
    run: ScanRun | None = None
    reason: str | None = None
    #: Refused for the queue's limits only: the same request may be admitted once a scan
    #: ends (a scheduled scan waits for that instead of failing).
    limited: bool = False


class ScanRunner:
    """Admits, queues, executes and stores scans (one per service; see the module doc)."""

    def __init__(
        self,
        executor: Executor,
        *,
        limits: ScanLimits | None = None,
        store: Callable[[], ScanStore | None] = lambda: None,
        keep_finished: int = 200,
    ) -> None:
        self.executor = executor
        self.limits = limits or ScanLimits()
        self._store = store
        self._keep = keep_finished
        self._runs: OrderedDict[str, ScanRun] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots: asyncio.Semaphore | None = None
        self._closing = False
        #: Woken when a run ends: callers of ``submit_when_possible`` waiting for a place.
        self._place_waiters: list[asyncio.Future[None]] = []

    # Admission -----------------------------------------------------------------------

    def submit(self, job: ScanJob, *, requester: str, source: str) -> Ticket:
        """Merge, refuse or queue ``job`` for ``requester`` (call on the event loop)."""
        if self._closing:
            return Ticket(Admission.REFUSED, reason=SHUTTING_DOWN)
        try:
            key = job.merge_key
        except ScopeError as exc:  # unknown checks: nothing to queue
            return Ticket(Admission.REFUSED, reason=str(exc))
        active = self.active()
        for run in active:
            if run.job.merge_key == key:
                if requester not in run.requesters:
                    run.requesters.append(requester)
                return Ticket(Admission.MERGED, run)
        mine = sum(1 for run in active if run.requested_by == requester)
        if mine >= self.limits.per_requester:
            return Ticket(
                Admission.REFUSED,
                reason=(
                    f"you already have {mine} scan{'s' if mine != 1 else ''} queued or running "
                    f"(the limit is {self.limits.per_requester}); wait for one to finish"
                ),
                limited=True,
            )
        if len(active) >= self.limits.total:
            return Ticket(
                Admission.REFUSED,
                reason=(
                    f"{len(active)} scans are already queued or running (the limit is "
                    f"{self.limits.total}); please try again when they have finished"
                ),
                limited=True,
            )
        run_id = uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        run = ScanRun(
            id=run_id,
            job=replace(job, scan_id=run_id),
            source=source,
            requesters=[requester],
            created_at=datetime.now(UTC),
            _done=loop.create_future(),
        )
        # Nobody may be waiting when a run fails: its exception is still "retrieved" here.
        run._done.add_done_callback(_consume)  # type: ignore[union-attr]
        self._runs[run_id] = run
        self._forget_old()
        starts_now = len(active) < self.limits.slots
        task = loop.create_task(self._execute(run), name=f"scan-{run_id[:8]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Ticket(Admission.STARTED if starts_now else Admission.QUEUED, run)

    async def submit_when_possible(self, job: ScanJob, *, requester: str, source: str) -> Ticket:
        """``submit``, but a request refused only for the queue's limits waits until a scan
        ends and asks again, instead of being refused: scheduled work (digests) takes its turn
        in the same bounded queue rather than failing because people are scanning. Refusals
        for any other reason (shutdown, unknown checks) come back at once."""
        while True:
            ticket = self.submit(job, requester=requester, source=source)
            if not ticket.limited:
                return ticket
            waiter = asyncio.get_running_loop().create_future()
            self._place_waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._place_waiters.remove(waiter)

    def _wake_place_waiters(self) -> None:
        waiters, self._place_waiters = self._place_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def active(self) -> list[ScanRun]:
        """Queued and running scans, oldest first."""
        return [run for run in self._runs.values() if run.active]

    def runs(self) -> list[ScanRun]:
        """Every run still remembered (active and recently finished), newest first."""
        return list(reversed(self._runs.values()))

    def find(self, scan_id: str) -> ScanRun | None:
        """A remembered run by its id (which is also the id its report is stored under)."""
        run = self._runs.get(scan_id)
        if run is not None:
            return run
        return next((r for r in self._runs.values() if r.stored_id == scan_id), None)

    # Execution -----------------------------------------------------------------------

    async def _execute(self, run: ScanRun) -> None:
        assert run._done is not None
        if self._slots is None:  # created lazily: it must belong to the running loop
            self._slots = asyncio.Semaphore(self.limits.slots)
        loop = asyncio.get_running_loop()

        def progress(event: Any) -> None:  # from the executor's threads
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(run._publish, event)

        def started(pid: int) -> None:
            run.worker_pid = pid

        try:
            async with self._slots:
                run.state, run.started_at = ScanState.RUNNING, datetime.now(UTC)
                report = await self.executor.run(run.job, progress, started)
        except asyncio.CancelledError:
            self._finish(run, ScanState.CANCELLED, error=ScanCancelled(SHUTTING_DOWN))
            raise
        except Exception as exc:
            self._finish(run, ScanState.FAILED, error=exc)
            return
        run.report = report
        await self._save(run, report)
        self._finish(run, ScanState.COMPLETED, report=report)

    async def _save(self, run: ScanRun, report: ScanReport) -> None:
        store = self._store()
        if store is None:
            return
        try:
            run.stored_id = await asyncio.to_thread(
                store.save_scan,
                report.to_dict(),
                requested_by=run.requested_by,
                scope_key=run.job.scope_key,
                checks=run.job.scope.check_ids(),
            )
        except Exception as exc:  # the requesters still get the report; the log says so
            logger.error("could not store scan %s: %s", report.scan_id, type(exc).__name__)

    def _finish(
        self,
        run: ScanRun,
        state: ScanState,
        *,
        report: ScanReport | None = None,
        error: BaseException | None = None,
    ) -> None:
        assert run._done is not None
        run.state, run.finished_at, run.error = state, datetime.now(UTC), error
        self._wake_place_waiters()  # a place in the queue is free
        if run._done.done():
            return
        if report is not None:
            run._done.set_result(report)
        else:
            run._done.set_exception(error or ScanCancelled(SHUTTING_DOWN))

    def _forget_old(self) -> None:
        finished = [run_id for run_id, run in self._runs.items() if not run.active]
        for run_id in finished[: max(0, len(finished) - self._keep)]:
            del self._runs[run_id]

    # Shutdown and blocking callers -----------------------------------------------------

    async def close(self) -> int:
        """Refuse new scans and stop the ones queued or running (their workers are killed);
        returns how many were stopped. Call it after the requesters' drain time is over."""
        self._closing = True
        self._wake_place_waiters()  # they ask again and are refused: the service is stopping
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            logger.warning("stopped %d scan(s) at shutdown", len(pending))
        return len(pending)

    def blocking(
        self, loop: asyncio.AbstractEventLoop, *, requester: str, source: str
    ) -> Callable[[ScanScope, Any], ScanReport]:
        """``scan(scope, mutelist) -> report`` for code in a worker thread (the digest
        scheduler's tick takes this shape): the scan goes through this runner, merged with a
        queued or running scan of the same scope, run in a worker process, and stored by the
        runner (saving it again is a no-op). Past the queue's limits it waits for a place
        (``submit_when_possible``); a refusal for another reason raises ``ScanRefused``, and
        the scan's own failure (a crashed worker: ``WorkerCrashed``) is raised as it is."""

        def scan(scope: ScanScope, mutelist: Any) -> ScanReport:
            async def submit_and_wait() -> ScanReport:
                job = ScanJob(scope, mutelist=mutelist)
                ticket = await self.submit_when_possible(job, requester=requester, source=source)
                if ticket.run is None:
                    raise ScanRefused(ticket.reason or "refused")
                return await ticket.run.wait()

            return asyncio.run_coroutine_threadsafe(submit_and_wait(), loop).result()

        return scan


class ScanRefused(RuntimeError):
    """The runner refused a scan (limits, shutdown); the text says why."""


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
