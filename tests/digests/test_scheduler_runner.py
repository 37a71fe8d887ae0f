"""Digest ticks through the service's scan runner: the one bounded queue, merged by scope,
distinct scopes side by side within its slots, and a crashed worker is a failed delivery."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta
from typing import Any

from crash_scan import killed_mid_scan
from scheduler_harness import ACCOUNT, DAY1, Inbox

from scalewarden.checks.model import ScanReport
from scalewarden.checks.mutelist import Mutelist
from scalewarden.digests.scheduler import SchedulerConfig, TickReport, subscription_scope, tick
from scalewarden.scanning.executors import ProcessExecutor, ThreadExecutor
from scalewarden.scanning.jobs import ScanFunction, ScanJob
from scalewarden.scanning.runner import ScanLimits, ScanRunner
from scalewarden.store import Store

NINE = DAY1 + timedelta(hours=9)


def subscribe(store: Store, region: str, channel: str) -> int:
    return store.add_subscription(
        channel=channel,
        schedule="daily 09:00",
        timezone="UTC",
        min_severity="informational",
        regions=(region,),
        accounts=(),
        created_by="U1",
        now=DAY1,
    ).id


class Gated:
    """A scan function that holds every scan until ``release`` and records how many were in
    progress at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.scopes: list[list[str]] = []

    def __call__(self, job: ScanJob, progress: Any) -> ScanReport:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.scopes.append(list(job.scope.regions or []))
        try:
            self.release.wait(30)
        finally:
            with self.lock:
                self.running -= 1
        regions = list(job.scope.regions or [])
        return ScanReport(
            scan_id=job.scan_id or uuid.uuid4().hex,
            started_at=NINE,
            finished_at=NINE + timedelta(seconds=5),
            accounts=[{"id": ACCOUNT, "name": None, "regions": regions}],
            regions=regions,
            findings=[],
        )


async def _tick(
    store: Store, runner: ScanRunner, inbox: Inbox, config: SchedulerConfig
) -> TickReport:
    """One tick in a worker thread, its scans through ``runner`` on this loop (as ``serve``)."""
    scan = runner.blocking(asyncio.get_running_loop(), requester="digest", source="digest")
    return await asyncio.to_thread(
        tick,
        NINE,
        store=store,
        runner=scan,
        poster=inbox.poster,
        owner="replica-a",
        config=config,
        clock=lambda: NINE,
    )


def _runner(scan: ScanFunction, store: Store, **limits: int) -> ScanRunner:
    return ScanRunner(ThreadExecutor(scan), limits=ScanLimits(**limits), store=lambda: store)


async def test_distinct_scopes_scan_side_by_side_and_one_scope_shares_one_scan(
    store: Store,
) -> None:
    gated = Gated()
    regions = ["eu-west-1", "us-east-1", "ap-south-1"]
    ids = [subscribe(store, r, f"C{i:08d}") for i in range(9) for r in [regions[i % 3]]]
    runner = _runner(gated, store, slots=3, per_requester=3)
    inbox = Inbox()
    ticking = asyncio.create_task(_tick(store, runner, inbox, SchedulerConfig(concurrency=3)))
    for _ in range(3000):
        if gated.running == 3:
            break
        await asyncio.sleep(0.01)
    # All three scopes are being scanned at the same moment, in the runner's queue.
    assert gated.running == 3 and len(runner.active()) == 3
    gated.release.set()
    report = await asyncio.wait_for(ticking, 60)
    assert report.scans == 3
    assert sorted(gated.scopes) == [[r] for r in sorted(regions)]
    assert sorted(sid for sid, _ in inbox.posts) == sorted(ids)
    assert {d.state for d in store.deliveries()} == {"posted"}
    # One scan per scope, stored once by the runner, shared by its three subscriptions.
    assert store.scan_count() == 3
    by_scan: dict[str, int] = {}
    for _, result in inbox.posts:
        by_scan[result.scan_id] = by_scan.get(result.scan_id, 0) + 1
    assert sorted(by_scan.values()) == [3, 3, 3]


async def test_the_runner_slots_bound_digest_scans_and_none_is_refused(store: Store) -> None:
    """One slot and one place per requester: four scopes still all post, one scan at a time,
    each waiting its turn in the queue instead of failing."""
    gated = Gated()
    gated.release.set()
    regions = ["eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"]
    ids = [subscribe(store, r, f"C{i:08d}") for i, r in enumerate(regions)]
    runner = _runner(gated, store, slots=1, per_requester=1)
    inbox = Inbox()
    report = await asyncio.wait_for(_tick(store, runner, inbox, SchedulerConfig(concurrency=4)), 60)
    assert report.scans == 4 and not report.failed and gated.most == 1
    assert sorted(sid for sid, _ in inbox.posts) == sorted(ids)


async def test_a_digest_scan_joins_a_running_scan_of_the_same_scope(store: Store) -> None:
    gated = Gated()
    sid = subscribe(store, "eu-west-1", "C00000001")
    runner = _runner(gated, store)
    subscription = store.subscription(sid)
    assert subscription is not None
    # Someone started a scan of the same scope, with the same (stored) mutes, just before.
    job = ScanJob(subscription_scope(subscription), mutelist=Mutelist.from_stored(store.mutes()))
    ticket = runner.submit(job, requester="UADMIN001", source="slack")
    assert ticket.run is not None
    inbox = Inbox()
    ticking = asyncio.create_task(_tick(store, runner, inbox, SchedulerConfig()))
    for _ in range(3000):
        if "digest" in ticket.run.requesters:
            break
        await asyncio.sleep(0.01)
    assert ticket.run.requesters == ["UADMIN001", "digest"]
    gated.release.set()
    report = await asyncio.wait_for(ticking, 60)
    assert report.posted and len(gated.scopes) == 1
    assert inbox.posts[0][1].scan_id == ticket.run.id


async def test_a_worker_killed_during_a_digest_scan_fails_the_delivery_with_the_reason(
    store: Store,
) -> None:
    """The real worker process dies mid-scan (SIGKILL): the tick ends, the delivery is
    ``failed`` with a reason a person can read, and a later tick retries it."""
    sid = subscribe(store, "eu-west-1", "C00000001")
    runner = ScanRunner(ProcessExecutor(killed_mid_scan), store=lambda: store)
    inbox = Inbox()
    report = await asyncio.wait_for(_tick(store, runner, inbox, SchedulerConfig()), 120)
    assert report.failed and not report.posted and not report.uncertain and inbox.posts == []
    [delivery] = store.deliveries()
    assert delivery.state == "failed"
    assert delivery.last_error == (
        "the scan could not run: the scan's worker process stopped unexpectedly (killed by SIGKILL)"
    )
    subscription = store.subscription(sid)
    assert subscription is not None and subscription.last_error == delivery.last_error
    assert store.scan_count() == 0
