"""Scans in worker processes: real scans against the local AWS, a killed worker, shutdown.

These drive the real ``create_app()`` (no substitute scan function), so every scan here runs
``run_scan`` in a spawned worker process that reaches the local AWS on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import pytest

from scalewarden.localaws import LocalAws, seed_scenario
from scalewarden.scan import ScanScope
from scalewarden.scanning.executors import ProcessExecutor, WorkerCrashed
from scalewarden.scanning.jobs import ScanJob
from scalewarden.scanning.runner import ScanRunner, ScanState
from scalewarden.scanning.worker import run_job


async def _running(runner: ScanRunner, *, progressed: bool = False) -> Any:
    """The runner's one active run, once its worker has started (and reported progress)."""
    for _ in range(600):
        active = runner.active()
        if active and active[0].worker_pid and (active[0].progress or not progressed):
            return active[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no scan worker started")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_scan_runs_in_another_process_and_reports_progress(aws_env: str) -> None:
    seed_scenario("us-east-1")
    runner = ScanRunner(ProcessExecutor(run_job))
    ticket = runner.submit(ScanJob(ScanScope(regions=["us-east-1"])), requester="U1", source="test")
    assert ticket.run is not None
    events: list[Any] = []
    ticket.run.listen(events.append)
    report = await asyncio.wait_for(ticket.run.wait(), 120)
    run = ticket.run
    assert run.worker_pid is not None and run.worker_pid != os.getpid()
    assert run.state is ScanState.COMPLETED
    # The id handed out at submission is the report's own.
    assert report.scan_id == run.id
    assert report.regions == ["us-east-1"] and report.findings
    assert any(f.status.value == "FAIL" for f in report.findings)
    assert events and events[-1].done == events[-1].total


async def test_a_scope_error_in_the_worker_comes_back_as_the_same_error(aws_env: str) -> None:
    from scalewarden.scan import ScopeError

    runner = ScanRunner(ProcessExecutor(run_job))
    ticket = runner.submit(
        ScanJob(ScanScope(regions=["us-east-1"], accounts=["111111111111"])),
        requester="U1",
        source="test",
    )
    assert ticket.run is not None
    with pytest.raises(ScopeError, match="--role-name is required"):
        await asyncio.wait_for(ticket.run.wait(), 120)
    assert ticket.run.state is ScanState.FAILED


async def test_a_killed_worker_is_a_failed_scan_told_and_audited(
    make_harness: Any, aws_env: str, local_aws: LocalAws
) -> None:
    seed_scenario("us-east-1")
    local_aws.latency = 0.2  # a scan long enough to be killed in the middle
    async with make_harness(scanner=None, checks=None) as h:
        await h.command("scan region=us-east-1")
        run = await _running(h.services.scans, progressed=True)
        os.kill(run.worker_pid, signal.SIGKILL)
        await h.fake.wait_for(lambda: h.store.audit_entries(), timeout=60)
        entry = h.store.audit_entries()[0]
        assert entry["outcome"] == "error"
        assert "SIGKILL" in entry["detail"]
        final = json.dumps(h.fake.api_calls("chat.update")[-1].params)
        assert "The scan failed" in final and "stopped unexpectedly" in final
        assert run.state is ScanState.FAILED and isinstance(run.error, WorkerCrashed)
        assert h.store.latest_scan() is None
        # The service goes on: the next scan of the same scope runs and completes.
        local_aws.latency = 0.0
        await h.command("scan region=us-east-1")
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 2, timeout=60)
        assert h.store.audit_entries()[0]["outcome"] == "completed"


async def test_shutdown_stops_a_running_scan_and_kills_its_worker(
    make_harness: Any, aws_env: str, local_aws: LocalAws
) -> None:
    from scalewarden.slack.scan.flow import SCAN_INTERRUPTED

    seed_scenario("us-east-1")
    local_aws.latency = 0.5
    async with make_harness(scanner=None, checks=None) as h:
        await h.command("scan region=us-east-1")
        run = await _running(h.services.scans)
        pid = run.worker_pid
        # Shutdown as the lifespan does it: the requesters' drain time runs out, then the
        # runner stops what is left.
        assert await h.services.tasks.close(0.2) == 1
        assert await h.services.scans.close() == 1
        # The requester was told, the audit says so, the worker is gone.
        assert h.fake.api_calls("chat.update")[-1].params["text"] == SCAN_INTERRUPTED
        assert [e["outcome"] for e in h.store.audit_entries()] == ["cancelled"]
        assert run.state is ScanState.CANCELLED
        refused = await h.command("scan region=eu-west-1")
        assert "restarting" in refused.json()["text"]
    for _ in range(100):
        if not _alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not _alive(pid)


def test_a_worker_killed_in_the_middle_of_a_message_is_a_crash_too() -> None:
    """A worker that dies while it writes its report (killed, out of memory) leaves half a
    message in the pipe: that is the same crash as dying between messages (an audited ERROR
    and "the scan failed"), not an unexpected error of the serving process."""
    import multiprocessing
    import struct
    from types import SimpleNamespace

    from scalewarden.scanning.executors import _collect

    reader, writer = multiprocessing.Pipe(duplex=False)
    # The length of a report, then only the first bytes of it.
    writer._send(struct.pack("!i", 100_000) + b"\x80\x04\x95")  # type: ignore[attr-defined]
    writer.close()
    worker = SimpleNamespace(pid=4242, exitcode=-9, join=lambda timeout=None: None)
    with pytest.raises(WorkerCrashed, match="killed by SIGKILL"):
        _collect(reader, worker, lambda event: None)  # type: ignore[arg-type]


async def test_a_stuck_worker_is_stopped_at_the_deadline() -> None:
    """A worker that neither answers nor dies (it stops itself with SIGSTOP) no longer holds
    its scan slot for ever: at the deadline it is killed and the scan fails with
    ``WorkerCrashed``, which Slack and the API tell and audit as a crash (tested above with a
    killed worker). The deadline counts from the worker's start, so a loaded machine that is
    slow to start it changes nothing here."""
    from stuck_scan import stopped_mid_scan

    runner = ScanRunner(ProcessExecutor(stopped_mid_scan, timeout=2))
    ticket = runner.submit(ScanJob(ScanScope(regions=["us-east-1"])), requester="U1", source="test")
    assert ticket.run is not None
    with pytest.raises(WorkerCrashed, match="did not finish within 2 s and was stopped"):
        await asyncio.wait_for(ticket.run.wait(), 60)
    assert ticket.run.state is ScanState.FAILED
    pid = ticket.run.worker_pid
    assert pid is not None
    for _ in range(200):
        if not _alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not _alive(pid)
    # The slot is free again: the next scan is admitted and starts.
    assert (
        runner.submit(
            ScanJob(ScanScope(regions=["eu-west-1"])), requester="U1", source="test"
        ).admission.value
        == "started"
    )
    await runner.close()
