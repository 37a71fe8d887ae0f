"""Where a scan's work runs: a fresh worker process per scan, or a thread for substitutes.

Collecting and evaluating a large account is seconds of CPU in Python. In a thread of the
serving process that CPU holds the GIL, and the event loop that acknowledges Slack starves
(issue 12 measured 13 s acks during one scan). :class:`ProcessExecutor` runs each scan in a
process of its own, started with ``spawn`` (no copy of the serving process's threads, locks or
sockets), and reads its progress and result from a pipe in a daemon thread that spends its
time blocked on that pipe. A worker that dies (killed, out of memory, a crash in native code)
closes its end of the pipe, so the reader sees end-of-file at once and the scan fails with
:class:`WorkerCrashed`: never a hang. A worker that neither answers nor dies (stopped,
deadlocked) is killed at the scan's deadline (``SCALEWARDEN_SCAN_TIMEOUT``) and fails the same
way. Cancelling the await kills the worker.

:class:`ThreadExecutor` runs a scan function given to ``create_app`` in a daemon thread of
the serving process: substitutes in tests record their calls in this process's memory.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Protocol

from scalewarden.scan import ProgressCallback, ScanError, ScopeError
from scalewarden.scanning.jobs import ScanFunction, ScanJob
from scalewarden.scanning.worker import (
    Failed,
    FindingsPart,
    Finished,
    Progress,
    assemble,
    main,
    scan_and_mute,
)
from scalewarden.slack.background import run_in_daemon_thread

if TYPE_CHECKING:
    from scalewarden.checks.model import Finding, ScanReport

logger = logging.getLogger(__name__)

#: How long a worker that has sent its report may take to exit before it is killed.
EXIT_GRACE = 10.0


class WorkerCrashed(RuntimeError):
    """The worker process ended without a result (killed, out of memory, a native crash)."""


class UnexpectedScanError(RuntimeError):
    """The scan raised something unexpected in its worker (a bug); the text is its type."""


#: Called with the worker's process id once it has started.
OnStart = Callable[[int], None]


class Executor(Protocol):
    """Runs one scan to completion; cancelling the await abandons (or kills) it."""

    async def run(
        self, job: ScanJob, progress: ProgressCallback, on_start: OnStart | None = None
    ) -> ScanReport: ...


def exception_for(failed: Failed) -> Exception:
    """The exception a worker's failure stands for in the serving process."""
    if failed.kind == "scope":
        return ScopeError(failed.message)
    if failed.kind == "scan":
        return ScanError(failed.message)
    if failed.kind == "value":
        return ValueError(failed.message)
    return UnexpectedScanError(failed.message)


def describe_exit(code: int | None) -> str:
    """``exit code 3`` or ``killed by SIGKILL``: why a worker ended."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ThreadExecutor:
    """Runs ``scan`` in a daemon thread of this process (for substitutes, not real scans)."""

    def __init__(self, scan: ScanFunction) -> None:
        self.scan = scan

    async def run(
        self, job: ScanJob, progress: ProgressCallback, on_start: OnStart | None = None
    ) -> ScanReport:
        return await run_in_daemon_thread(
            scan_and_mute, self.scan, job, progress, name="scalewarden-scan"
        )


class ProcessExecutor:
    """Runs ``scan`` (picklable: a module-level function or a ``partial`` of one) in a new
    worker process per scan."""

    def __init__(self, scan: ScanFunction, *, timeout: float | None = None) -> None:
        self.scan = scan
        #: Seconds a worker may run before it is killed and the scan fails (``None``: no limit).
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")

    async def run(
        self, job: ScanJob, progress: ProgressCallback, on_start: OnStart | None = None
    ) -> ScanReport:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=main, args=(writer, self.scan, job), name="scalewarden-scan", daemon=True
        )
        try:
            # Starting a process forks and writes the pickled job: a few milliseconds that
            # belong in a thread, not on the loop.
            await asyncio.to_thread(process.start)
        finally:
            writer.close()  # the worker holds the only writing end: its exit means EOF here
        if on_start is not None and process.pid is not None:
            on_start(process.pid)
        try:
            return await asyncio.wait_for(
                run_in_daemon_thread(
                    _collect, reader, process, progress, name="scalewarden-scan-reader"
                ),
                self.timeout,
            )
        except TimeoutError:
            # Not a crash the pipe can see: a worker stuck (stopped, deadlocked, waiting on a
            # read that never ends) would otherwise hold its slot, and the queue, for ever.
            process.kill()
            logger.error("a scan worker process (pid %s) ran out of time", process.pid)
            raise WorkerCrashed(
                f"the scan's worker process did not finish within {self.timeout:.0f} s "
                "and was stopped"
            ) from None
        except BaseException:
            if process.is_alive():  # cancelled (shutdown) or the reader failed: stop the work
                process.kill()
            raise


def _collect(reader: Connection, process: BaseProcess, progress: ProgressCallback) -> ScanReport:
    """Read a worker's messages until its result (blocking: runs in the reader thread)."""
    findings: list[Finding] = []  # the report's, as they arrive in parts
    try:
        while True:
            try:
                message = reader.recv()
            except (EOFError, OSError):
                # EOF between messages, or inside one: a worker killed while it sent its
                # report (out of memory while pickling a large one) leaves half a message,
                # which the pipe reports as an OSError. Both are the same crash.
                break
            if isinstance(message, FindingsPart):
                findings.extend(message.findings)
            elif isinstance(message, Progress):
                try:
                    progress(message.event)
                except Exception as exc:  # progress is best effort; the scan goes on
                    logger.warning("scan progress callback failed: %s", type(exc).__name__)
            elif isinstance(message, Finished):
                _reap(process)
                return assemble(findings, message)
            elif isinstance(message, Failed):
                _reap(process)
                raise exception_for(message)
    finally:
        reader.close()
    process.join(EXIT_GRACE)
    how = describe_exit(process.exitcode)
    logger.error("a scan worker process (pid %s) ended without a result: %s", process.pid, how)
    raise WorkerCrashed(f"the scan's worker process stopped unexpectedly ({how})")


def _reap(process: BaseProcess) -> None:
    """Wait for a worker that has answered to exit; kill it if it lingers."""
    process.join(EXIT_GRACE)
    if process.is_alive():
        logger.warning("scan worker %s did not exit after its result; killing it", process.pid)
        process.kill()
        process.join(EXIT_GRACE)
