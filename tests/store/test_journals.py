"""Audit log and answer feedback: round trips, order, filters, and refusals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from scalewarden.store import Store

AUDIT_KEYS = {
    "id",
    "at",
    "user_id",
    "team_id",
    "channel_id",
    "command",
    "arguments",
    "outcome",
    "detail",
}


def _audit(store: Store, user_id: str = "U1", **overrides: object) -> None:
    values: dict[str, object] = {
        "user_id": user_id,
        "team_id": "T1",
        "channel_id": "C1",
        "command": "scan",
        "arguments": "dynamodb region=eu-west-1",
        "outcome": "ok",
        "detail": None,
    }
    values.update(overrides)
    store.record_audit(**values)  # type: ignore[arg-type]


def test_audit_round_trip(store: Store) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    _audit(store, detail="3 findings; «ünïcode» ✓")
    [entry] = store.audit_entries()
    assert set(entry) == AUDIT_KEYS
    assert entry["user_id"] == "U1"
    assert entry["team_id"] == "T1"
    assert entry["channel_id"] == "C1"
    assert entry["command"] == "scan"
    assert entry["arguments"] == "dynamodb region=eu-west-1"
    assert entry["outcome"] == "ok"
    assert entry["detail"] == "3 findings; «ünïcode» ✓"
    assert entry["at"].tzinfo is not None
    assert entry["at"].utcoffset() == timedelta(0)
    assert entry["at"] > before


def test_audit_newest_first_with_user_filter_and_limit(store: Store) -> None:
    for i in range(5):
        _audit(store, user_id="U1" if i % 2 == 0 else "U2", arguments=f"call {i}")
    _audit(store, user_id="U3", team_id=None, channel_id=None, arguments="")
    entries = store.audit_entries()
    assert [e["arguments"] for e in entries] == [
        "",
        "call 4",
        "call 3",
        "call 2",
        "call 1",
        "call 0",
    ]
    assert entries[0]["team_id"] is None and entries[0]["channel_id"] is None
    assert [e["arguments"] for e in store.audit_entries(user_id="U1")] == [
        "call 4",
        "call 2",
        "call 0",
    ]
    assert [e["arguments"] for e in store.audit_entries(limit=2)] == ["", "call 4"]
    assert store.audit_entries(user_id="nobody") == []


def test_concurrent_audit_writes_all_land(store: Store) -> None:
    """The Slack service writes from many worker threads through one store."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(20):
                _audit(store, user_id=f"U{worker}", arguments=f"{worker}-{i}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = store.audit_entries(limit=1000)
    assert sorted(e["arguments"] for e in entries) == sorted(
        f"{w}-{i}" for w in range(6) for i in range(20)
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", ""),
        ("user_id", None),
        ("command", "x" * 129),
        ("outcome", 3),
        ("arguments", None),
        ("team_id", "T\x00"),
    ],
)
def test_bad_audit_input_is_refused_and_writes_nothing(
    store: Store, field: str, value: object
) -> None:
    _audit(store, arguments="kept")
    with pytest.raises(ValueError, match=field):
        _audit(store, **{field: value})
    assert [e["arguments"] for e in store.audit_entries()] == ["kept"]


def test_audit_batch_lands_in_one_go_and_a_bad_row_refuses_the_whole_batch(
    store: Store,
) -> None:
    good = {
        "user_id": "U1",
        "team_id": "T1",
        "channel_id": None,
        "command": "ask",
        "arguments": "tls",
        "outcome": "answered",
    }
    store.record_audits([{**good, "user_id": f"U{i}"} for i in range(25)])
    assert len(store.audit_entries(limit=100)) == 25
    with pytest.raises(ValueError, match="user_id"):
        store.record_audits([good, {**good, "user_id": "  "}])
    with pytest.raises(ValueError, match="unknown audit field"):
        store.record_audits([{**good, "token": "xoxb-1"}])
    assert len(store.audit_entries(limit=100)) == 25  # nothing of the refused batches
    store.record_audits([])  # nothing to write is not an error
    assert len(store.audit_entries(limit=100)) == 25


@pytest.mark.parametrize("limit", [0, -1, 10_001, "5", True])
def test_bad_limits_are_refused(store: Store, limit: object) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.audit_entries(limit=limit)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        store.feedback_entries(limit=limit)  # type: ignore[arg-type]


def test_feedback_round_trip_newest_first(store: Store) -> None:
    store.save_feedback(
        user_id="U1",
        question="How do I restrict RegisterScalableTarget?",
        vote="up",
        article_ids=["identity-and-access-management", "security-overview"],
        channel_id="C1",
    )
    store.save_feedback(user_id="U2", question="what is an slr", vote="down", article_ids=[])
    newest, oldest = store.feedback_entries()
    assert newest["user_id"] == "U2"
    assert newest["vote"] == "down"
    assert newest["article_ids"] == []
    assert newest["channel_id"] is None
    assert oldest["question"] == "How do I restrict RegisterScalableTarget?"
    assert oldest["article_ids"] == ["identity-and-access-management", "security-overview"]
    assert oldest["channel_id"] == "C1"
    assert oldest["at"].utcoffset() == timedelta(0)
    assert oldest["at"] <= newest["at"]
    assert set(oldest) == {"id", "at", "user_id", "channel_id", "question", "vote", "article_ids"}
    assert [e["user_id"] for e in store.feedback_entries(limit=1)] == ["U2"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vote": "meh"}, "vote"),
        ({"vote": "UP"}, "vote"),
        ({"vote": None}, "vote"),
        ({"article_ids": "resilience"}, "article_ids"),
        ({"article_ids": ["ok", 3]}, r"article_ids\[1\]"),
        ({"question": ""}, "question"),
    ],
)
def test_bad_feedback_is_refused_and_writes_nothing(
    store: Store, overrides: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "user_id": "U1",
        "question": "q",
        "vote": "up",
        "article_ids": ["resilience"],
    }
    values.update(overrides)
    with pytest.raises(ValueError, match=message):
        store.save_feedback(**values)  # type: ignore[arg-type]
    assert store.feedback_entries() == []
