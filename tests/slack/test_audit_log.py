"""The batched audit writer: every row lands, a bad row costs only itself, outages are logged."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from database_fixtures import BACKENDS
from scalewarden.slack.audit import AuditLog
from scalewarden.store import Store


def _row(i: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "user_id": f"U{i:03d}",
        "team_id": "T1",
        "channel_id": "C1",
        "command": "ask",
        "arguments": f"question {i}",
        "outcome": "answered",
    }
    values.update(overrides)
    return values


def _count_batches(store: Store) -> list[int]:
    """Make ``store`` record the size of every batch written to it, in the returned list."""
    calls: list[int] = []
    real = store.record_audits

    def counting(entries: Any) -> None:
        calls.append(len(entries))
        real(entries)

    store.record_audits = counting  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_a_burst_of_commands_is_stored_completely_in_few_transactions(store: Store) -> None:
    calls = _count_batches(store)
    audit = AuditLog(lambda: store)
    await asyncio.gather(*(audit.record(**_row(i)) for i in range(200)))
    entries = store.audit_entries(limit=500)
    assert sorted(e["user_id"] for e in entries) == [f"U{i:03d}" for i in range(200)]
    assert sum(calls) == 200 and len(calls) < 200  # batched, nothing lost


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_a_bad_row_does_not_cost_the_others_theirs(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    real = store.record_audits

    def refusing_u002(entries: Any) -> None:
        if any(e["user_id"] == "U002" for e in entries):
            raise ValueError("a row the store refuses")
        real(entries)

    store.record_audits = refusing_u002  # type: ignore[method-assign]
    audit = AuditLog(lambda: store)
    with caplog.at_level(logging.ERROR, logger="scalewarden.audit"):
        await asyncio.gather(
            audit.record(**_row(1)),
            audit.record(**_row(2)),
            audit.record(**_row(3)),
        )
    assert sorted(e["user_id"] for e in store.audit_entries()) == ["U001", "U003"]
    failed = [json.loads(r.getMessage()) for r in caplog.records]
    assert [f["user_id"] for f in failed] == ["U002"]
    assert failed[0]["event"] == "audit_write_failed"


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_odd_ids_and_a_blank_command_still_leave_their_row(store: Store) -> None:
    """A signed request may carry any string: ids longer than Slack's, a blank command. The
    row is stored, fitted to its columns, not dropped to the log."""
    audit = AuditLog(lambda: store)
    await audit.record(**_row(1, team_id="T" * 500, channel_id=" ", command="", outcome="x"))
    await audit.record(**_row(2, user_id="U" * 1000))
    entries = {e["arguments"]: e for e in store.audit_entries()}
    first, second = entries["question 1"], entries["question 2"]
    assert first["team_id"].startswith("TTTT") and first["team_id"].endswith("…")
    assert len(first["team_id"]) == 255 and first["command"] == "(none)"
    assert first["channel_id"] is None
    assert second["user_id"].startswith("UUUU") and len(second["user_id"]) == 255


async def test_an_outage_is_logged_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    class DownStore:
        def record_audits(self, entries: Any) -> None:
            raise OSError("disk I/O error")

    audit = AuditLog(lambda: DownStore())
    with caplog.at_level(logging.INFO, logger="scalewarden.audit"):
        await audit.record(**_row(7, arguments="scan dynamodb"))
    events = [json.loads(r.getMessage())["event"] for r in caplog.records]
    assert events == ["slack_command", "audit_write_failed"]


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_rows_arriving_one_after_another_share_a_transaction(store: Store) -> None:
    """A stream of commands (not only a simultaneous burst) is written in batches."""
    calls = _count_batches(store)
    audit = AuditLog(lambda: store, linger=0.2)
    tasks = []
    for i in range(20):
        tasks.append(asyncio.create_task(audit.record(**_row(i))))
        await asyncio.sleep(0.002)  # one command every couple of milliseconds
    await asyncio.gather(*tasks)
    assert sum(calls) == 20
    assert len(calls) <= 2, calls
    assert len(store.audit_entries(limit=50)) == 20
