"""Alert subscriptions and deliveries on SQLite and PostgreSQL: at most once per (event,
channel), even when two writers race for it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from scalewarden.store import Store

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_subscriptions_round_trip_and_refuse_bad_input(store: Store) -> None:
    added = store.add_alert_subscription(
        channel="C0SEC",
        min_severity="medium",
        regions=["eu-west-1"],
        accounts=["123456789012"],
        created_by="U1",
        now=NOW,
    )
    assert store.alert_subscriptions() == [added]
    assert store.alert_subscription(added.id) == added
    assert (added.min_severity, added.regions, added.accounts) == (
        "medium",
        ("eu-west-1",),
        ("123456789012",),
    )
    with pytest.raises(ValueError):
        store.add_alert_subscription(
            channel="C0SEC", min_severity="loud", regions=[], accounts=[], created_by="U", now=NOW
        )
    assert store.remove_alert_subscription(added.id) is True
    assert store.remove_alert_subscription(added.id) is False
    assert store.alert_subscriptions() == []


def test_a_delivery_is_claimed_once_and_its_failure_noted_on_the_subscription(
    store: Store,
) -> None:
    sub = store.add_alert_subscription(
        channel="C0SEC", min_severity="low", regions=[], accounts=[], created_by="U1", now=NOW
    )
    claim = dict(rule_id="aas-scaling-suspended", severity="medium", now=NOW)
    first = store.claim_alert_delivery(event_key="aws:e1", channel="C0SEC", **claim)  # type: ignore[arg-type]
    again = store.claim_alert_delivery(event_key="aws:e1", channel="C0SEC", **claim)  # type: ignore[arg-type]
    other = store.claim_alert_delivery(event_key="aws:e1", channel="C0OPS", **claim)  # type: ignore[arg-type]
    assert first is not None and again is None and other is not None
    store.finish_alert_delivery(first, state="posted", message_ts="1.2", now=NOW)
    store.finish_alert_delivery(other, state="failed", error="channel_not_found", now=NOW)
    by_channel = {d.channel: d for d in store.alert_deliveries()}
    assert by_channel["C0SEC"].state == "posted" and by_channel["C0SEC"].message_ts == "1.2"
    assert by_channel["C0OPS"].state == "failed"
    assert by_channel["C0OPS"].last_error == "channel_not_found"
    assert store.alert_subscription(sub.id).last_error is None  # type: ignore[union-attr]
    store.finish_alert_delivery(first, state="uncertain", error="timeout", now=NOW)
    assert store.alert_subscription(sub.id).last_error == "timeout"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        store.finish_alert_delivery(first, state="posting", now=NOW)


def test_racing_claims_of_one_event_and_channel_have_one_winner(database_url: str) -> None:
    stores = [Store.open(database_url) for _ in range(4)]
    won: list[int | None] = []
    barrier = threading.Barrier(len(stores))

    def claim(s: Store) -> None:
        barrier.wait()
        won.append(
            s.claim_alert_delivery(
                event_key="aws:race", channel="C0SEC", rule_id="r", severity="low", now=NOW
            )
        )

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in stores:
        s.close()
    assert len(won) == 4 and len([w for w in won if w is not None]) == 1


def test_old_deliveries_are_pruned_and_recent_ones_kept(store: Store) -> None:
    from datetime import timedelta

    old = store.claim_alert_delivery(
        event_key="aws:old",
        channel="C0SEC",
        rule_id="r",
        severity="low",
        now=NOW - timedelta(days=8),
    )
    new = store.claim_alert_delivery(
        event_key="aws:new", channel="C0SEC", rule_id="r", severity="low", now=NOW
    )
    assert old is not None and new is not None
    assert store.prune_alert_deliveries(before=NOW - timedelta(days=7)) == 1
    assert [d.event_key for d in store.alert_deliveries()] == ["aws:new"]
    with pytest.raises(ValueError):
        store.prune_alert_deliveries(before=datetime(2026, 1, 1))


async def test_the_services_clean_up_prunes_week_old_deliveries(store: Store) -> None:
    import asyncio
    from datetime import timedelta

    from scalewarden.slack.housekeeping import prune_events_forever

    now = datetime.now(UTC)
    for key, age in (("aws:week-old", timedelta(days=8)), ("aws:recent", timedelta(hours=23))):
        store.claim_alert_delivery(
            event_key=key, channel="C0SEC", rule_id="r", severity="low", now=now - age
        )
    task = asyncio.create_task(prune_events_forever(lambda: store, interval=3600))
    for _ in range(500):
        if len(store.alert_deliveries()) == 1:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert [d.event_key for d in store.alert_deliveries()] == ["aws:recent"]
