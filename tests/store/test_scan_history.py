"""Scan history: scans keep the checks they ran, and list newest first with their counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from sqlalchemy import text

from scalewarden.store import Store
from scalewarden.store.migrate import alembic_config, current_revision, head_revision

ReportFactory = FindingFactory = Callable[..., dict[str, Any]]


def test_a_saved_scan_reads_back_with_its_scope(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    report = make_report([make_finding(), make_finding(status="ERROR")])
    store.save_scan(report, requested_by="cli", scope_key="scope:a", checks=["c1", "c2"])
    record = store.scan_record(report["scan_id"])
    assert record is not None
    assert record.checks == ("c1", "c2")
    assert record.scope_key == "scope:a"
    assert record.requested_by == "cli"
    assert record.report == report
    assert store.scan_record("unknown") is None


def test_history_is_newest_first_with_scope_counts_and_a_limit(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    older = make_report([make_finding()])
    newer = make_report([make_finding(status="PASS"), make_finding(status="ERROR")])
    older["summary"] = {"by_status": {"FAIL": 1, "PASS": 0}}
    newer["summary"] = {"by_status": {"FAIL": 0, "PASS": 1, "ERROR": 1}}
    store.save_scan(newer, scope_key="scope:a", checks=["c1"])
    store.save_scan(older, scope_key="scope:a")
    history = store.scan_history()
    assert [h.scan_id for h in history] == [newer["scan_id"], older["scan_id"]]
    assert history[0].checks == 1 and history[1].checks is None
    assert history[0].by_status == {"FAIL": 0, "PASS": 1, "ERROR": 1}
    assert history[0].accounts == ("111111111111",)
    assert history[0].regions == ("eu-west-1",)
    assert [h.scan_id for h in store.scan_history(limit=1)] == [newer["scan_id"]]


def test_previous_record_stays_within_the_scope(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    first = make_report([make_finding()])
    other = make_report([make_finding()])
    second = make_report([make_finding()])
    store.save_scan(first, scope_key="scope:a", checks=["c1"])
    store.save_scan(other, scope_key="scope:b")
    store.save_scan(second, scope_key="scope:a")
    previous = store.previous_scan_record(second["scan_id"])
    assert previous is not None and previous.scan_id == first["scan_id"]
    assert previous.checks == ("c1",)
    assert store.previous_scan_record(first["scan_id"]) is None


def test_bad_check_lists_are_refused_before_anything_is_written(
    store: Store, make_report: ReportFactory
) -> None:
    report = make_report()
    for bad in ("c1", [""], [1]):
        try:
            store.save_scan(report, checks=bad)  # type: ignore[arg-type]
        except ValueError as exc:
            assert "checks" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
    assert store.scan_count() == 0


def test_upgrade_from_the_first_schema_keeps_stored_scans(
    database_url: str, make_report: ReportFactory
) -> None:
    """A database created by the first release, with data, upgrades to head and keeps it."""
    store = Store(database_url)
    try:
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0001")
        assert current_revision(store.engine) == "0001"
        report = make_report()
        with store.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO scans (scan_id, scope_key, requested_by, started_at, "
                    "finished_at, stored_at, finding_count, report) VALUES "
                    "(:id, 'scope:old', 'slack', :at, :at, :at, 0, :report)"
                ),
                {
                    "id": report["scan_id"],
                    "at": "2026-11-01 08:00:00",
                    "report": '{"regions": ["eu-west-1"], "accounts": ["111111111111"]}',
                },
            )
        store.migrate()
        assert current_revision(store.engine) == head_revision()
        record = store.scan_record(report["scan_id"])
        assert record is not None and record.checks is None
        assert [h.scan_id for h in store.scan_history()] == [report["scan_id"]]
        assert store.subscriptions() == [] and store.mutes() == []
    finally:
        store.close()
