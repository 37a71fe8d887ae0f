"""A fake clock world for the scheduler: a scan runner over a mutable set of findings and a
poster that records (or fails), shared by the thread and process tests."""

from __future__ import annotations

import itertools
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from digest_builders import finding

from scalewarden.checks.model import Finding, ScanReport
from scalewarden.digests.result import DigestResult
from scalewarden.digests.scheduler import PostFailed
from scalewarden.store.records import Subscription

ACCOUNT = "111111111111"
DAY1 = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class World:
    """What the "accounts" hold; the runner reports it, per region in the scope."""

    findings: list[Finding] = field(default_factory=lambda: [finding(resource_id="web")])
    scans: list[tuple[str, ...]] = field(default_factory=list)
    clock: Any = field(default_factory=lambda: itertools.count())
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: The fake "now" scans start at (a tick sets it); mutes are judged at that time.
    now: datetime = DAY1

    def runner(self, scope: Any, mutelist: Any) -> ScanReport:
        with self.lock:
            n = next(self.clock)
            regions = tuple(scope.regions or ["eu-west-1"])
            self.scans.append(regions)
        started = self.now + timedelta(seconds=n)
        seen = [f for f in self.findings if f.region in regions]
        return ScanReport(
            scan_id=uuid.uuid4().hex,
            started_at=started,
            finished_at=started + timedelta(seconds=5),
            accounts=[{"id": ACCOUNT, "name": None, "regions": list(regions)}],
            regions=list(regions),
            findings=mutelist.apply(seen, started),
        )


@dataclass
class Inbox:
    """A poster that records what it posts; ``fail`` makes the next posts fail first."""

    posts: list[tuple[int, DigestResult]] = field(default_factory=list)
    fail: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def poster(self, subscription: Subscription, result: DigestResult) -> str:
        with self.lock:
            if self.fail:
                raise self.fail.pop(0)
            self.posts.append((subscription.id, result))
            return f"1700000000.{len(self.posts):06d}"

    def to(self, subscription_id: int) -> list[DigestResult]:
        return [r for sid, r in self.posts if sid == subscription_id]


def rejected() -> PostFailed:
    return PostFailed("channel_not_found")
