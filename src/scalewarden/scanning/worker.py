"""The code that runs inside a scan's worker process, and the messages it sends back.

A worker runs one scan and sends, over a one-way pipe, every progress event and then exactly
one final message: the report, or the error that stopped it. Errors cross as plain data (their
kind and text), never as pickled exception objects, whose arguments need not pickle. This
module stays light: it is imported in every new worker process before the scan starts.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from scalewarden.scanning.jobs import ScanFunction, ScanJob

if TYPE_CHECKING:
    from scalewarden.checks.model import Finding, ScanReport
    from scalewarden.scan import ScanOptions


@dataclass(frozen=True)
class Progress:
    event: Any


@dataclass(frozen=True)
class Finished:
    report: ScanReport


@dataclass(frozen=True)
class FindingsPart:
    """Some of the report's findings, in order; the ``Finished`` that follows the last part
    carries the report without them (:func:`report_messages`)."""

    findings: list[Finding]


@dataclass(frozen=True)
class Failed:
    """``kind``: ``scope`` (a usage error), ``scan`` (the scan could not run), ``value`` (bad
    input), or ``unexpected`` (a bug: ``message`` is the exception's type only)."""

    kind: str
    message: str


Message = Progress | FindingsPart | Finished | Failed

#: Findings per message when a report crosses the pipe. The service unpickles each message in
#: its reader thread, holding the GIL for the whole of one message: a large report as one
#: message (10,000 findings, 2.5 MB, about 0.35 s to unpickle) stalled the event loop, and the
#: acks with it, for that long. Parts of 200 take a few milliseconds each, about the
#: interpreter's switch interval, so the loop runs between them.
FINDINGS_PER_MESSAGE = 200


def report_messages(report: ScanReport, per_message: int = FINDINGS_PER_MESSAGE) -> list[Message]:
    """``report`` as messages: its findings in parts of ``per_message``, then ``Finished``
    with the rest of the report (no findings). :func:`assemble` puts them back together."""
    findings = report.findings
    parts: list[Message] = [
        FindingsPart(findings[start : start + per_message])
        for start in range(0, len(findings), per_message)
    ]
    head = copy.copy(report)  # no __init__: the report is not redacted a second time
    head.findings = []
    return [*parts, Finished(head)]


def assemble(parts: list[Finding], finished: Finished) -> ScanReport:
    """The report ``report_messages`` sent: ``finished``'s, with the parts' findings first."""
    report = finished.report
    if parts:
        report.findings = [*parts, *report.findings]
    return report


def describe_failure(exc: BaseException) -> Failed:
    """What the serving process needs to know of an exception, as plain data."""
    from scalewarden.scan import ScanError, ScopeError

    if isinstance(exc, ScopeError):
        return Failed("scope", str(exc))
    if isinstance(exc, ScanError):
        return Failed("scan", str(exc))
    if isinstance(exc, ValueError):
        return Failed("value", str(exc))
    return Failed("unexpected", type(exc).__name__)


def run_job(job: ScanJob, progress: Any, *, options: ScanOptions | None = None) -> ScanReport:
    """The service's scan function: ``run_scan`` for a job's scope (``options`` from the
    settings). The job's mutes are applied by :func:`scan_and_mute`, whatever the function."""
    from scalewarden.scan import run_scan

    return run_scan(job.scope, progress=progress, options=options, scan_id=job.scan_id)


def scan_and_mute(scan: ScanFunction, job: ScanJob, progress: Any) -> ScanReport:
    """``scan(job, progress)``, then the job's mutelist applied (the one matcher of
    ``checks/mutelist.py``), in whichever worker runs the scan."""
    report = scan(job, progress)
    if job.mutelist is None:
        return report
    from scalewarden.checks.model import sort_findings

    muted = job.mutelist.apply(report.findings, datetime.now(UTC))
    return replace(report, findings=sort_findings(muted))


#: How much lower a worker's CPU priority is than the serving process's (``nice``). Where a
#: worker and the server share a core, the scheduler then gives the acks most of it (weight
#: 36 against 1024 at 15), and the scan takes the rest and every idle moment; on an idle or
#: another core it runs at full speed. At 10 (weight 110) the scheduler's time slices let a
#: busy worker delay acks enough to put their p99 at 1.65 times the idle one under a
#: saturating load; at 15 it was 1.20 times, and that scan took 88 s instead of 30 s (at 19:
#: 1.15 times, 215 s). Figures in docs/benchmarks.md ("Acks during a large scan").
WORKER_NICENESS = 15


#: Seconds between two progress messages a worker sends to the service. The collector
#: reports every AWS call (thousands a minute on a large account); each message crossing the
#: pipe costs the service an unpickling and a hop onto its event loop, where the acks are
#: served. Slack's progress message changes at most once a second, the API's status is read
#: on request: four a second is plenty for both.
PROGRESS_INTERVAL = 0.25


class ThrottledProgress:
    """Coalesces progress in the worker: at most one ``Progress`` message per ``interval``,
    always the latest event, and the last event of the scan is never lost (``close`` sends
    what is pending). Called from the collector's threads."""

    def __init__(
        self, send: Callable[[Message], None], interval: float = PROGRESS_INTERVAL
    ) -> None:
        self._send = send
        self._interval = interval
        self._cond = threading.Condition()
        self._pending: Any = None
        self._has_pending = False
        self._closed = False
        #: Events seen and messages sent (the difference is what coalescing spared).
        self.seen = 0
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="scalewarden-progress", daemon=True)
        self._thread.start()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self._pending, self._has_pending = event, True
            self.seen += 1
            self._cond.notify()

    def _take(self) -> tuple[bool, Any]:
        with self._cond:
            while not self._has_pending and not self._closed:
                self._cond.wait()
            taken = self._has_pending, self._pending
            self._pending, self._has_pending = None, False
            return taken

    def _run(self) -> None:
        while True:
            has, event = self._take()
            if not has:
                return  # closed with nothing pending
            self._send(Progress(event))
            self.sent += 1
            with self._cond:  # wait out the interval, unless closed meanwhile
                if self._cond.wait_for(lambda: self._closed, self._interval):
                    closing = True
                else:
                    closing = False
            if closing:
                has, event = self._take()
                if has:
                    self._send(Progress(event))
                    self.sent += 1
                return

    def close(self) -> None:
        """Send the pending event, if any, and stop; returns once it has been sent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()


def main(conn: Connection, scan: ScanFunction, job: ScanJob) -> None:
    """A worker process's entry point: run ``scan(job, progress)`` and report over ``conn``.

    Progress comes from the collector's threads, coalesced by :class:`ThrottledProgress`
    (whose own thread sends), and a pipe is not safe to write from two threads at once,
    hence the lock. The last progress event goes out before the result.
    """
    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(WORKER_NICENESS)
    lock = threading.Lock()

    def send(message: Message) -> None:
        with lock:
            conn.send(message)

    progress = ThrottledProgress(send)
    try:
        report = scan_and_mute(scan, job, progress)
    except BaseException as exc:  # every failure, even an exit, must reach the service
        progress.close()
        send(describe_failure(exc))
    else:
        progress.close()
        for message in report_messages(report):
            send(message)
    finally:
        conn.close()
