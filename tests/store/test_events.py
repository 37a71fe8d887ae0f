"""Slack event de-duplication: each event id is claimed exactly once, even under a race."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from scalewarden.store import Store


def test_first_claim_wins_and_later_claims_lose(store: Store) -> None:
    assert store.claim_event("Ev01ABC") is True
    assert store.claim_event("Ev01ABC") is False
    assert store.claim_event("Ev01ABD") is True


def test_two_threads_racing_over_many_ids_claim_each_exactly_once(database_url: str) -> None:
    """Two stores (two replicas' worth of connection pools), each with two threads."""
    ids = [f"Ev{i:05d}" for i in range(300)]
    replicas = [Store.open(database_url), Store(database_url)]
    wins: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claim_all(store: Store, seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            barrier.wait()
            mine = [event_id for event_id in order if store.claim_event(event_id)]
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
            return
        with lock:
            wins.update(mine)

    threads = [threading.Thread(target=claim_all, args=(replicas[i % 2], i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.close()
    assert errors == []
    assert set(wins) == set(ids)
    assert all(count == 1 for count in wins.values()), wins.most_common(3)


def test_prune_forgets_old_claims_only(store: Store) -> None:
    store.claim_event("old")
    cutoff = datetime.now(UTC) + timedelta(seconds=1)
    assert store.prune_events(before=cutoff) == 1
    assert store.claim_event("old") is True  # forgotten, so claimable again
    assert store.prune_events(before=datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.claim_event("old") is False


@pytest.mark.parametrize("bad", ["", "   ", None, 42, "x" * 256, "a\x00b"])
def test_bad_event_ids_are_refused(store: Store, bad: object) -> None:
    with pytest.raises(ValueError, match="event_id"):
        store.claim_event(bad)  # type: ignore[arg-type]


def test_prune_needs_an_aware_time(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.prune_events(before=datetime(2026, 1, 1))
