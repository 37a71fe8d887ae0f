"""The scheduler on a fake clock: one post per fire time, shared scans, catch-up, recovery."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from digest_builders import finding
from scheduler_harness import DAY1, Inbox, World, rejected

from scalewarden.checks.model import Severity, Status
from scalewarden.digests.scheduler import SchedulerConfig, TickReport, tick
from scalewarden.store import Store

CONFIG = SchedulerConfig(grace=timedelta(hours=6), lease_ttl=timedelta(minutes=5))
NINE = DAY1 + timedelta(hours=9)


class Crash(BaseException):
    """The process dies here (nothing after it runs, no handler catches it)."""


def subscribe(store: Store, *, regions: tuple[str, ...] = (), **kwargs: object) -> int:
    values: dict[str, object] = {
        "channel": "C0SECURITY",
        "schedule": "daily 09:00",
        "timezone": "UTC",
        "min_severity": "informational",
        "regions": regions,
        "accounts": (),
        "created_by": "U1",
        "now": DAY1,
    }
    values.update(kwargs)
    return store.add_subscription(**values).id  # type: ignore[arg-type]


def run(
    store: Store,
    world: World,
    inbox: Inbox,
    now: datetime,
    owner: str = "replica-a",
    config: SchedulerConfig = CONFIG,
) -> TickReport:
    world.now = now
    # The fake clock stands still during a tick (by default a tick adds the real time elapsed).
    return tick(
        now,
        store=store,
        runner=world.runner,
        poster=inbox.poster,
        owner=owner,
        config=config,
        clock=lambda: now,
    )


def test_one_post_per_subscription_and_one_scan_per_scope(store: Store) -> None:
    world, inbox = World(), Inbox()
    a = subscribe(store, regions=("eu-west-1",))
    b = subscribe(store, regions=("eu-west-1",), channel="C0OTHER")
    c = subscribe(store, regions=("us-east-1",))
    report = run(store, world, inbox, NINE + timedelta(seconds=30))
    assert report.leader and report.scans == 2
    assert sorted(world.scans) == [("eu-west-1",), ("us-east-1",)]
    assert sorted(sid for sid, _ in inbox.posts) == [a, b, c]
    assert inbox.to(a)[0].scan_id == inbox.to(b)[0].scan_id != inbox.to(c)[0].scan_id
    again = run(store, world, inbox, NINE + timedelta(minutes=1))
    assert again.scans == 0 and len(inbox.posts) == 3
    states = {d.subscription_id: (d.state, d.fire_time) for d in store.deliveries()}
    assert states == {s: ("posted", NINE) for s in (a, b, c)}
    assert all(d.message_ts for d in store.deliveries())


def test_the_first_digest_is_a_baseline_and_the_next_says_what_changed(store: Store) -> None:
    world, inbox = World(), Inbox()
    sid = subscribe(store)
    run(store, world, inbox, NINE)
    first = inbox.to(sid)[0]
    assert first.baseline and first.new == [] and [f.resource_id for f in first.open] == ["web"]
    world.findings = [finding(resource_id="api", severity=Severity.HIGH)]
    run(store, world, inbox, NINE + timedelta(days=1))
    second = inbox.to(sid)[1]
    assert not second.baseline
    assert [f.resource_id for f in second.new] == ["api"]
    assert [f.resource_id for f in second.resolved] == ["web"]


def test_min_severity_filters_what_a_subscription_sees(store: Store) -> None:
    world, inbox = World(), Inbox()
    world.findings = [
        finding(resource_id="low", severity=Severity.LOW),
        finding(resource_id="high", severity=Severity.HIGH),
    ]
    sid = subscribe(store, min_severity="medium")
    run(store, world, inbox, NINE)
    assert [f.resource_id for f in inbox.to(sid)[0].open] == ["high"]


def test_missed_fire_times_after_downtime_run_once(store: Store) -> None:
    world, inbox = World(), Inbox()
    sid = subscribe(store)
    # Every replica was down for three days; back at 10:00 on the fourth.
    back = NINE + timedelta(days=3, hours=1)
    run(store, world, inbox, back)
    run(store, world, inbox, back + timedelta(minutes=1))
    assert [d.fire_time for d in store.deliveries(subscription_id=sid)] == [
        NINE + timedelta(days=3)
    ]
    assert len(inbox.posts) == 1 and len(world.scans) == 1


def test_a_fire_time_older_than_the_grace_window_is_skipped(store: Store) -> None:
    world, inbox = World(), Inbox()
    subscribe(store)
    run(store, world, inbox, NINE + timedelta(hours=6, minutes=1))
    assert inbox.posts == [] and store.deliveries() == []


def test_a_subscription_does_not_fire_for_times_before_it_existed(store: Store) -> None:
    world, inbox = World(), Inbox()
    subscribe(store, now=NINE + timedelta(minutes=30))
    run(store, world, inbox, NINE + timedelta(hours=1))
    assert inbox.posts == []
    run(store, world, inbox, NINE + timedelta(days=1))
    assert len(inbox.posts) == 1


def test_only_the_lease_holder_schedules(store: Store) -> None:
    world, inbox = World(), Inbox()
    subscribe(store)
    assert run(store, world, inbox, NINE, owner="a").leader
    assert not run(store, world, inbox, NINE + timedelta(minutes=1), owner="b").leader
    # The holder stops renewing; after the lease runs out another replica takes over.
    assert run(store, world, inbox, NINE + timedelta(minutes=6), owner="b").leader
    assert len(inbox.posts) == 1


@pytest.mark.parametrize("same_lease", [True, False])
def test_two_schedulers_in_threads_post_each_digest_once(
    database_url: str, same_lease: bool
) -> None:
    """Two replicas tick at the same moment. With separate leases both believe they lead,
    so only the unique key on (subscription, fire time) stands between them and a double post."""
    world, inbox = World(), Inbox()
    stores = [Store.open(database_url), Store.open(database_url)]
    try:
        ids = [subscribe(stores[0], regions=(r,)) for r in ("eu-west-1", "us-east-1") * 5]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def replica(index: int) -> None:
            config = CONFIG if same_lease else SchedulerConfig(lease_name=f"lease-{index}")
            try:
                barrier.wait()
                run(stores[index], world, inbox, NINE, owner=f"r{index}", config=config)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=replica, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert sorted(sid for sid, _ in inbox.posts) == sorted(ids)
        assert {d.state for d in stores[0].deliveries()} == {"posted"}
    finally:
        for store in stores:
            store.close()


def test_a_crash_between_claim_and_post_is_finished_once_after_restart(store: Store) -> None:
    world, inbox = World(), Inbox()
    sid = subscribe(store)

    def crashing_runner(scope: object, mutelist: object) -> object:
        raise Crash

    with pytest.raises(Crash):
        tick(NINE, store=store, runner=crashing_runner, poster=inbox.poster, owner="dead")
    assert [d.state for d in store.deliveries()] == ["claimed"]
    # Restarted under a new name; the dead replica's lease and work are stale after the TTL.
    assert not run(store, world, inbox, NINE + timedelta(minutes=2), owner="new").leader
    report = run(store, world, inbox, NINE + timedelta(minutes=6), owner="new")
    assert report.posted and len(inbox.to(sid)) == 1
    assert [(d.state, d.attempts) for d in store.deliveries()] == [("posted", 2)]
    run(store, world, inbox, NINE + timedelta(minutes=20), owner="new")
    assert len(inbox.posts) == 1


def test_a_crash_while_posting_is_uncertain_and_never_reposted(store: Store) -> None:
    world, inbox = World(), Inbox(fail=[Crash()])
    subscribe(store)
    with pytest.raises(Crash):
        run(store, world, inbox, NINE, owner="dead")
    assert [d.state for d in store.deliveries()] == ["posting"]
    report = run(store, world, inbox, NINE + timedelta(minutes=6), owner="new")
    assert len(report.uncertain) == 1
    for minutes in (10, 30, 120):
        run(store, world, inbox, NINE + timedelta(minutes=minutes), owner="new")
    assert inbox.posts == []
    [delivery] = store.deliveries()
    assert delivery.state == "uncertain" and "may or may not" in (delivery.last_error or "")
    history = store.scan_history()
    assert history[0].deliveries == ((delivery.subscription_id, "uncertain"),)


def test_an_unknown_post_outcome_is_uncertain_and_not_retried(store: Store) -> None:
    world, inbox = World(), Inbox(fail=[TimeoutError("read timed out")])
    subscribe(store)
    report = run(store, world, inbox, NINE)
    assert len(report.uncertain) == 1
    run(store, world, inbox, NINE + timedelta(hours=1))
    assert inbox.posts == [] and [d.state for d in store.deliveries()] == ["uncertain"]


def test_a_refused_post_is_retried_on_later_ticks_without_a_new_scan(store: Store) -> None:
    world, inbox = World(), Inbox(fail=[rejected(), rejected()])
    sid = subscribe(store)
    assert run(store, world, inbox, NINE).failed
    assert store.subscription(sid).last_error == "channel_not_found"  # type: ignore[union-attr]
    # Backoff: nothing retried within a minute of the failure.
    assert not run(store, world, inbox, NINE + timedelta(seconds=30)).failed
    assert run(store, world, inbox, NINE + timedelta(minutes=1)).failed
    report = run(store, world, inbox, NINE + timedelta(minutes=4))
    assert report.posted and report.scans == 0
    assert len(inbox.to(sid)) == 1 and len(world.scans) == 1
    assert [(d.state, d.attempts) for d in store.deliveries()] == [("posted", 3)]


def test_retries_are_bounded(store: Store) -> None:
    world, inbox = World(), Inbox(fail=[rejected() for _ in range(10)])
    subscribe(store)
    for minutes in range(0, 120, 5):
        run(store, world, inbox, NINE + timedelta(minutes=minutes))
    [delivery] = store.deliveries()
    assert (delivery.state, delivery.attempts) == ("failed", CONFIG.max_attempts)
    assert len(inbox.fail) == 10 - CONFIG.max_attempts


def test_a_scan_that_cannot_run_fails_the_delivery_with_the_reason(store: Store) -> None:
    world, inbox = World(), Inbox()
    sid = subscribe(store)

    def broken(scope: object, mutelist: object) -> object:
        raise RuntimeError("could not read the caller's identity: ExpiredToken")

    report = tick(NINE, store=store, runner=broken, poster=inbox.poster, owner="replica-a")
    assert report.failed
    error = store.subscription(sid).last_error  # type: ignore[union-attr]
    assert error == "the scan could not run: could not read the caller's identity: ExpiredToken"
    assert run(store, world, inbox, NINE + timedelta(minutes=2)).posted


def test_muted_findings_count_apart_and_a_lapsed_mute_is_reported(store: Store) -> None:
    world, inbox = World(), Inbox()
    sid = subscribe(store)
    mute = store.add_mute(
        check_id="target_fixed_capacity",
        resource_pattern="web",
        accounts=(),
        regions=(),
        reason="known",
        author="U1",
        now=DAY1,
        expires_at=NINE + timedelta(hours=12),
    )
    run(store, world, inbox, NINE)
    first = inbox.to(sid)[0]
    assert [f.status for f in first.muted] == [Status.MUTED] and first.open == []
    run(store, world, inbox, NINE + timedelta(days=1))
    second = inbox.to(sid)[1]
    assert [m.id for m in second.lapsed_mutes] == [mute.id]
    assert [f.resource_id for f in second.open] == ["web"] and second.new == []
    run(store, world, inbox, NINE + timedelta(days=2))
    assert inbox.to(sid)[2].lapsed_mutes == []


def test_work_left_before_an_outage_longer_than_grace_is_not_finished_after_it(
    store: Store,
) -> None:
    """Claimed at 09:00, then every replica was down for a day: on recovery only the latest
    fire time runs. Finishing yesterday's claim too would post two digests at once."""
    world, inbox = World(), Inbox()
    sid = subscribe(store)

    def crashing_runner(scope: object, mutelist: object) -> object:
        raise Crash

    with pytest.raises(Crash):
        tick(NINE, store=store, runner=crashing_runner, poster=inbox.poster, owner="dead")
    back = NINE + timedelta(days=1, minutes=10)
    run(store, world, inbox, back, owner="new")
    run(store, world, inbox, back + timedelta(minutes=10), owner="new")
    assert len(inbox.to(sid)) == 1 and len(world.scans) == 1
    states = {d.fire_time: d.state for d in store.deliveries(subscription_id=sid)}
    assert states == {NINE + timedelta(days=1): "posted", NINE: "failed"}
    [stale] = [d for d in store.deliveries(subscription_id=sid) if d.fire_time == NINE]
    assert "grace" in (stale.last_error or "")


def test_a_scan_longer_than_the_lease_is_not_taken_over_by_another_replica(
    store: Store,
) -> None:
    """Replica A's scan runs for ten minutes (the lease lasts five). While it runs, A keeps
    its lease and its claim fresh, so replica B neither scans again nor steals the delivery;
    without that, the two replicas take the work from each other until it gives up."""
    world, inbox = World(), Inbox()
    sid = subscribe(store)
    config = SchedulerConfig(
        grace=timedelta(hours=6), lease_ttl=timedelta(minutes=5), heartbeat=timedelta(0)
    )
    fake = [NINE]
    b_reports: list[TickReport] = []

    def slow_runner(scope: object, mutelist: object) -> object:
        for minutes in (3, 6, 9):
            fake[0] = NINE + timedelta(minutes=minutes)
            # Wait (not for long: the heartbeat runs continuously) until A's heartbeat has
            # stamped its claim at the fake time, then let replica B tick.
            for _ in range(10_000):
                [d] = store.deliveries()
                if d.updated_at >= fake[0]:
                    break
                threading.Event().wait(0.001)
            else:
                raise AssertionError("the heartbeat never refreshed the claim")
            b_reports.append(
                tick(
                    fake[0],
                    store=store,
                    runner=world.runner,
                    poster=inbox.poster,
                    owner="replica-b",
                    config=config,
                )
            )
        return world.runner(scope, mutelist)

    report = tick(
        NINE,
        store=store,
        runner=slow_runner,
        poster=inbox.poster,
        owner="replica-a",
        config=config,
        clock=lambda: fake[0],
    )
    assert report.posted and not report.lost
    assert [r.leader for r in b_reports] == [False, False, False]
    assert len(world.scans) == 1 and len(inbox.to(sid)) == 1
    assert [(d.state, d.attempts) for d in store.deliveries()] == [("posted", 1)]


def test_ids_beyond_the_column_are_refused_before_the_database_sees_them(store: Store) -> None:
    for call in (
        lambda: store.subscription(2**31),
        lambda: store.remove_subscription(2**63),
        lambda: store.remove_mute(10**20),
        lambda: store.deliveries(subscription_id=2**40),
    ):
        with pytest.raises(ValueError, match="positive integer"):
            call()


def test_a_digest_reports_only_the_lapsed_mutes_of_its_own_scope(store: Store) -> None:
    """Mutes name other teams' resources and reasons; a channel subscribed to one scope must
    not learn of a mute that lapsed in an account or region it does not cover."""
    world, inbox = World(), Inbox()
    sid = subscribe(store, regions=("eu-west-1",))
    expiry = NINE + timedelta(hours=12)

    def mute(**scope: tuple[str, ...]) -> int:
        values: dict[str, object] = {
            "check_id": "target_fixed_capacity",
            "resource_pattern": "secret-project-*",
            "accounts": (),
            "regions": (),
        }
        values.update(scope)
        return store.add_mute(
            reason="other team", author="U2", now=DAY1, expires_at=expiry, **values
        ).id  # type: ignore[arg-type]

    mute(accounts=("222222222222",))
    mute(regions=("us-east-1",))
    everywhere = mute()
    here = mute(accounts=("111111111111",), regions=("eu-west-1", "us-east-1"))
    run(store, world, inbox, NINE)
    run(store, world, inbox, NINE + timedelta(days=1))
    lapsed = inbox.to(sid)[1].lapsed_mutes
    assert [m.id for m in lapsed] == [everywhere, here]
