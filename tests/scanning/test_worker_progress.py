"""Progress crosses from a scan's worker process coalesced: the service's loop gets a few
messages, not one per AWS call, and always the scan's last event."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from chatty_scan import EVENTS, chatty

from scalewarden.scan import ScanScope
from scalewarden.scanning.executors import ProcessExecutor
from scalewarden.scanning.jobs import ScanJob
from scalewarden.scanning.runner import ScanRunner, ScanState
from scalewarden.scanning.worker import Progress, ThrottledProgress


def test_a_burst_is_coalesced_to_the_latest_event_and_the_last_is_never_lost() -> None:
    sent: list[Any] = []
    progress = ThrottledProgress(sent.append, interval=60.0)
    threads = [
        threading.Thread(target=lambda k=k: [progress((k, i)) for i in range(500)])
        for k in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress((9, "last"))
    progress.close()
    assert progress.seen == 2001
    # The first event went at once; the rest waited out the interval and were coalesced.
    assert 1 <= len(sent) <= 2 and all(isinstance(m, Progress) for m in sent)
    assert sent[-1].event == (9, "last")


def test_close_with_nothing_pending_sends_nothing_more() -> None:
    sent: list[Any] = []
    progress = ThrottledProgress(sent.append, interval=0.01)
    progress.close()
    assert sent == []


async def test_a_chatty_worker_sends_few_messages_and_its_last_event() -> None:
    runner = ScanRunner(ProcessExecutor(chatty))
    ticket = runner.submit(ScanJob(ScanScope(regions=["us-east-1"])), requester="U", source="t")
    assert ticket.run is not None
    events: list[Any] = []
    ticket.run.listen(events.append)
    await asyncio.wait_for(ticket.run.wait(), 120)
    assert ticket.run.state is ScanState.COMPLETED
    assert events and events[-1] == {"done": EVENTS, "total": EVENTS}
    # Four a second at most: a handful for a scan this short, never one per event.
    assert len(events) < EVENTS / 10


def test_a_report_crosses_in_parts_and_is_put_back_together_in_order() -> None:
    from chatty_scan import FINDINGS, many_findings

    from scalewarden.scanning.worker import (
        FINDINGS_PER_MESSAGE,
        FindingsPart,
        Finished,
        assemble,
        report_messages,
    )

    report = many_findings(ScanJob(ScanScope(regions=["us-east-1"])), None)
    expected = report.to_dict()
    messages = report_messages(report)
    *parts, last = messages
    # No message carries more than one part's findings, and the last carries none.
    assert all(isinstance(p, FindingsPart) for p in parts) and isinstance(last, Finished)
    assert len(parts) == -(-FINDINGS // FINDINGS_PER_MESSAGE)
    assert max(len(p.findings) for p in parts) == FINDINGS_PER_MESSAGE
    assert last.report.findings == []
    findings = [f for p in parts for f in p.findings]
    assert assemble(findings, last).to_dict() == expected


async def test_a_large_report_from_a_worker_arrives_whole() -> None:
    from chatty_scan import FINDINGS, many_findings

    runner = ScanRunner(ProcessExecutor(many_findings))
    ticket = runner.submit(ScanJob(ScanScope(regions=["us-east-1"])), requester="U", source="t")
    assert ticket.run is not None
    report = await asyncio.wait_for(ticket.run.wait(), 120)
    assert ticket.run.state is ScanState.COMPLETED
    assert [f.resource_id for f in report.findings] == [
        f"table/orders-{i:05d}" for i in range(FINDINGS)
    ]
    assert report.coverage and report.accounts[0]["account_id"] == "123456789012"
