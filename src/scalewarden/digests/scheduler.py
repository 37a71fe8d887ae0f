"""The digest scheduler: one tick decides, scans and posts; exactly once across replicas.

A tick is a plain function of ``now``, the store, a scan runner and a poster, so the service,
the CLI and tests (with a fake clock) drive the same code. Slack is not imported here: the
poster is injected.

One tick, on the replica holding the lease:

1. Take or renew the lease (``scheduler_lease``). Others return at once.
2. Recover: a delivery left ``posting`` by a replica that stopped becomes ``uncertain`` and is
   never posted again; one left ``claimed``/``scanned`` is taken over; a ``failed`` one is
   retried, a bounded number of times with a growing pause, within the grace window.
3. Find what is due: for each subscription, only the latest fire time at or before ``now``,
   if it is within the grace window, so a long outage catches up once.
4. Claim those (subscription, fire time) pairs through their unique key.
5. Group the claimed deliveries by scope and fire time: one scan serves every subscription of
   a group. Up to ``concurrency`` groups are worked on at once, each in a thread of the tick
   that hands its scan to the runner and waits: in the service that is the one scan queue
   (a worker process per scan, merged by scope, its limits), so distinct scopes scan side by
   side as far as its slots allow. Store the scan, record ``scanned``, diff it with the
   previous scan of the scope. A scan that fails (a crashed worker included) fails its
   group's deliveries with the reason, to be retried on a later tick.
6. For each delivery: record ``posting`` *before* posting, post, record ``posted`` (or
   ``failed``/``uncertain``). A replica that lost a delivery finds its compare-and-set
   matching nothing and does not post.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scalewarden.checks.model import Severity
from scalewarden.digests.diff import account_regions, diff_scans
from scalewarden.digests.result import DigestResult, lapsed_since
from scalewarden.digests.schedule import Schedule, ScheduleError
from scalewarden.store.records import Delivery, StoredMute, StoredScan, Subscription

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport
    from scalewarden.checks.mutelist import Mutelist
    from scalewarden.scan import ScanScope
    from scalewarden.service_scope import ServiceScope
    from scalewarden.store import Store

log = logging.getLogger(__name__)

#: Runs one scan (the same runner as Slack scans); stored mutes are applied by it.
ScanRunner = Callable[["ScanScope", "Mutelist"], "ScanReport"]
#: Posts one digest and returns the message's ``ts`` (or None when the channel gives none).
Poster = Callable[[Subscription, DigestResult], "str | None"]

LEASE_NAME = "digests"
DEFAULT_GRACE = timedelta(hours=6)


class PostFailed(Exception):
    """The post certainly did not go out (the Web API answered with an error after its own
    retries): the delivery is ``failed`` and retried on a later tick. Any other exception
    from a poster leaves the outcome unknown, and the delivery becomes ``uncertain``."""


@dataclass(frozen=True)
class SchedulerConfig:
    """The knobs; ``grace`` comes from ``SCALEWARDEN_DIGEST_GRACE``."""

    grace: timedelta = DEFAULT_GRACE
    #: How long a leader's claim lasts without renewal; also when its unfinished work is
    #: presumed abandoned.
    lease_ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 3
    lease_name: str = LEASE_NAME
    #: How often (real time) a replica busy with a scan or a post renews its lease and its
    #: deliveries' claim; ``None`` is a third of ``lease_ttl``. A scan may take longer than the
    #: lease: without this, another replica would take the work over and scan again.
    heartbeat: timedelta | None = None
    #: The service's configured scan scope, for subscriptions that name no accounts/regions.
    service_scope: ServiceScope | None = None
    #: Groups (distinct scopes) scanned and posted at once. The scan runner's own limits
    #: still apply: ``serve`` sets this to the places one requester has in its queue
    #: (``SCALEWARDEN_SCAN_QUEUE_PER_USER``), and its slots decide how many scans execute.
    concurrency: int = 3

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")

    @property
    def heartbeat_interval(self) -> timedelta:
        return self.heartbeat if self.heartbeat is not None else self.lease_ttl / 3


@dataclass
class TickReport:
    """What one tick did (for logs, metrics and tests)."""

    leader: bool
    scans: int = 0
    posted: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)


def new_owner_id() -> str:
    """A name for this scheduler instance, unique across hosts, processes and restarts."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def subscription_scope(
    subscription: Subscription, service: ServiceScope | None = None
) -> ScanScope:
    """The scan a subscription needs: every check, its accounts and regions where it names
    them, otherwise the service's configured scope (``SCALEWARDEN_SCAN_*``)."""
    from scalewarden.service_scope import ServiceScope

    return (service or ServiceScope()).scope(
        regions=subscription.regions, accounts=subscription.accounts
    )


def _error_text(exc: BaseException) -> str:
    from scalewarden.checks.lib.redact import redact

    return redact(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))


def scan_and_store(
    store: Store, scope: ScanScope, runner: ScanRunner, *, requested_by: str
) -> StoredScan:
    """Run one scan with the stored mutes applied, and store it with its scope."""
    from scalewarden.checks.mutelist import Mutelist

    report = runner(scope, Mutelist.from_stored(store.mutes()))
    scan_id = store.save_scan(
        report.to_dict(),
        requested_by=requested_by,
        scope_key=scope.key(),
        checks=scope.check_ids(),
    )
    stored = store.scan_record(scan_id)
    assert stored is not None  # just written
    return stored


def digest_of(
    store: Store, subscription: Subscription, scan: StoredScan, *, now: datetime
) -> DigestResult:
    """A subscription's digest of a stored scan: the diff with the previous scan of the same
    scope, filtered to its severity, with the mutes that lapsed since that scan."""
    previous = store.previous_scan_record(scan.scan_id)
    since = (
        datetime.fromisoformat(str(previous.report["started_at"]))
        if previous is not None
        else subscription.created_at
    )
    return DigestResult.of(
        diff_scans(previous, scan),
        subscription_id=subscription.id,
        min_severity=Severity.parse(subscription.min_severity),
        lapsed_mutes=[m for m in lapsed_since(store.mutes(), since, now) if covers(scan, m)],
    )


def covers(scan: StoredScan, mute: StoredMute) -> bool:
    """Whether ``mute`` could apply to what ``scan`` looked at (its check, an account and a
    region of it): a digest speaks only of mutes of its own scope, since a mute's pattern and
    reason describe someone else's resources otherwise."""
    if scan.checks is not None and mute.check_id not in scan.checks:
        return False
    regions = account_regions(scan.report)
    accounts = [a for a in regions if not mute.accounts or a in mute.accounts]
    return any(not mute.regions or set(mute.regions) & regions[a] for a in accounts)


def due_deliveries(
    subscriptions: Sequence[Subscription],
    existing: set[tuple[int, datetime]],
    *,
    now: datetime,
    grace: timedelta,
) -> list[tuple[int, datetime]]:
    """(subscription id, fire time) pairs due at ``now`` and not yet claimed. Pure."""
    due = []
    for subscription in subscriptions:
        try:
            schedule = Schedule.parse(subscription.schedule, subscription.timezone)
        except ScheduleError as exc:  # stored before a rule tightened, or edited by hand
            log.warning("digest subscription %s has a bad schedule: %s", subscription.id, exc)
            continue
        fire = schedule.due(now, grace=grace, not_before=subscription.created_at)
        if fire is not None and (subscription.id, fire) not in existing:
            due.append((subscription.id, fire))
    return due


class _Heartbeat:
    """While a group is scanned and posted, renew the lease and keep the group's deliveries
    fresh (``updated_at``), so that a replica whose scan outlasts the lease is not presumed
    dead. A replica that really stops stops beating, and its work goes stale as before."""

    def __init__(
        self,
        store: Store,
        ids: Sequence[int],
        *,
        owner: str,
        config: SchedulerConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self._store, self._ids, self._owner, self._cfg, self._clock = (
            store,
            list(ids),
            owner,
            config,
            clock,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scalewarden-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = self._cfg.heartbeat_interval.total_seconds()
        while not self._stop.wait(interval):
            try:
                now = self._clock()
                self._store.acquire_lease(
                    self._cfg.lease_name, owner=self._owner, now=now, ttl=self._cfg.lease_ttl
                )
                self._store.touch_deliveries(self._ids, owner=self._owner, now=now)
            except Exception as exc:  # a missed beat is retried; the work goes on
                log.warning("digest heartbeat failed: %s", type(exc).__name__)


def _elapsed_clock(now: datetime) -> Callable[[], datetime]:
    """``now`` plus the real time since: what the tick stamps its writes with."""
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)


def tick(
    now: datetime,
    *,
    store: Store,
    runner: ScanRunner,
    poster: Poster,
    owner: str,
    config: SchedulerConfig | None = None,
    clock: Callable[[], datetime] | None = None,
) -> TickReport:
    """One scheduling round at ``now`` (aware). Safe to call from every replica at once.

    ``now`` decides what is due; ``clock`` (default: ``now`` plus the real time elapsed)
    stamps what happens later in the tick, the lease renewals and state changes, since a
    scan can take minutes.
    """
    cfg = config or SchedulerConfig()
    clock = clock or _elapsed_clock(now)
    if not store.acquire_lease(cfg.lease_name, owner=owner, now=now, ttl=cfg.lease_ttl):
        return TickReport(leader=False)
    report = TickReport(leader=True)
    taken, uncertain = store.reclaim_deliveries(
        owner=owner,
        now=now,
        stale_before=now - cfg.lease_ttl,
        retry_since=now - cfg.grace,
        max_attempts=cfg.max_attempts,
    )
    report.uncertain.extend(d.id for d in uncertain)
    subscriptions = {s.id: s for s in store.subscriptions()}
    existing = {(d.subscription_id, d.fire_time) for d in store.deliveries(since=now - cfg.grace)}
    claimed = store.claim_deliveries(
        due_deliveries(list(subscriptions.values()), existing, now=now, grace=cfg.grace),
        owner=owner,
        now=now,
    )
    work = [d for d in [*taken, *claimed] if d.subscription_id in subscriptions]
    groups = _groups(work, subscriptions, cfg.service_scope)
    if not groups:
        return report

    def one(group: list[Delivery]) -> TickReport:
        part = TickReport(leader=True)
        if not store.acquire_lease(cfg.lease_name, owner=owner, now=clock(), ttl=cfg.lease_ttl):
            part.lost.extend(d.id for d in group)  # another replica will take them over
            return part
        _deliver_group(group, subscriptions, store, runner, poster, owner, clock, part, cfg)
        return part

    with _Heartbeat(store, [d.id for d in work], owner=owner, config=cfg, clock=clock):
        for part in _each(one, groups, cfg.concurrency):
            report.scans += part.scans
            report.posted.extend(part.posted)
            report.failed.extend(part.failed)
            report.uncertain.extend(part.uncertain)
            report.lost.extend(part.lost)
    return report


def _each(
    work: Callable[[list[Delivery]], TickReport], groups: list[list[Delivery]], concurrency: int
) -> list[TickReport]:
    """``work`` for every group, up to ``concurrency`` at once, results in group order.

    If one group raises, the groups not yet started are dropped, those running finish, and
    the first exception is raised: as when the tick ran the groups in turn, nothing is
    started after a failure the tick cannot handle (their deliveries stay claimed, and
    recovery takes them over).
    """
    if concurrency == 1 or len(groups) == 1:
        return [work(group) for group in groups]
    with ThreadPoolExecutor(
        max_workers=min(concurrency, len(groups)), thread_name_prefix="scalewarden-digest"
    ) as pool:
        futures = [pool.submit(work, group) for group in groups]
        results: list[TickReport] = []
        failure: BaseException | None = None
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:
                if failure is None:
                    failure = exc
                    for pending in futures:
                        pending.cancel()
        if failure is not None:
            raise failure
        return results


def _groups(
    deliveries: Sequence[Delivery],
    subscriptions: dict[int, Subscription],
    service: ServiceScope | None,
) -> list[list[Delivery]]:
    """Deliveries that one scan can serve: same scope and fire time (or the same stored scan,
    for a retry after the scan had succeeded)."""
    groups: dict[tuple[str, datetime], list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.scan_id is not None:
            key = ("scan:" + delivery.scan_id, delivery.fire_time)
        else:
            scope = subscription_scope(subscriptions[delivery.subscription_id], service)
            key = (scope.key(), delivery.fire_time)
        groups.setdefault(key, []).append(delivery)
    return list(groups.values())


def _deliver_group(
    group: list[Delivery],
    subscriptions: dict[int, Subscription],
    store: Store,
    runner: ScanRunner,
    poster: Poster,
    owner: str,
    clock: Callable[[], datetime],
    report: TickReport,
    cfg: SchedulerConfig,
) -> None:
    ids = [d.id for d in group]
    scan: StoredScan | None = None
    if group[0].scan_id is not None:
        scan = store.scan_record(group[0].scan_id)
    if scan is None:
        scope = subscription_scope(subscriptions[group[0].subscription_id], cfg.service_scope)
        try:
            scan = scan_and_store(store, scope, runner, requested_by="digest")
        except Exception as exc:  # a scan that cannot run fails its deliveries, not the tick
            log.warning("digest scan failed for deliveries %s: %s", ids, type(exc).__name__)
            failed = store.mark_failed(
                ids, owner=owner, error=f"the scan could not run: {_error_text(exc)}", now=clock()
            )
            report.failed.extend(failed)
            return
        report.scans += 1
    mine = set(store.mark_scanned(ids, scan_id=scan.scan_id, owner=owner, now=clock()))
    for delivery in group:
        if delivery.id not in mine:
            report.lost.append(delivery.id)
            continue
        subscription = subscriptions[delivery.subscription_id]
        result = digest_of(store, subscription, scan, now=clock())
        if not store.begin_posting(delivery.id, owner=owner, now=clock()):
            report.lost.append(delivery.id)
            continue
        try:
            ts = poster(subscription, result)
        except PostFailed as exc:
            store.mark_failed([delivery.id], owner=owner, error=_error_text(exc), now=clock())
            report.failed.append(delivery.id)
        except Exception as exc:
            store.mark_failed(
                [delivery.id],
                owner=owner,
                error=f"the post may not have gone out: {_error_text(exc)}",
                now=clock(),
                uncertain=True,
            )
            report.uncertain.append(delivery.id)
        else:
            store.mark_posted(delivery.id, owner=owner, message_ts=ts, now=clock())
            report.posted.append(delivery.id)
