"""The code that runs inside a scan's worker process, and the messages it sends back.

A worker runs one scan and sends, over a one-way pipe, every progress event and then exactly
one final message: the report, or the error that stopped it. Errors cross as plain data (their
kind and text), never as pickled exception objects, whose arguments need not pickle. This
module stays light: it is imported in every new worker process before the scan starts.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from scalewarden.scanning.jobs import ScanFunction, ScanJob

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport
    from scalewarden.scan import ScanOptions


@dataclass(frozen=True)
class Progress:
    event: Any


@dataclass(frozen=True)
class Finished:
    report: ScanReport


@dataclass(frozen=True)
class Failed:
    """``kind``: ``scope`` (a usage error), ``scan`` (the scan could not run), ``value`` (bad
    input), or ``unexpected`` (a bug: ``message`` is the exception's type only)."""

    kind: str
    message: str


Message = Progress | Finished | Failed


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
#: 110 against 1024 at 10), and the scan takes the rest and every idle moment.
WORKER_NICENESS = 10


def main(conn: Connection, scan: ScanFunction, job: ScanJob) -> None:
    """A worker process's entry point: run ``scan(job, progress)`` and report over ``conn``.

    Progress comes from the collector's threads, and a pipe is not safe to write from two
    threads at once, hence the lock.
    """
    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(WORKER_NICENESS)
    lock = threading.Lock()

    def send(message: Message) -> None:
        with lock:
            conn.send(message)

    def progress(event: Any) -> None:
        send(Progress(event))

    try:
        report = scan_and_mute(scan, job, progress)
    except BaseException as exc:  # every failure, even an exit, must reach the service
        send(describe_failure(exc))
    else:
        send(Finished(report))
    finally:
        conn.close()
