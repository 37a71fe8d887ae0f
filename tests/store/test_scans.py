"""Scan reports: save, read back, latest and previous by scope, severity filters, bad input."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from scalewarden.store import Store, validate

ReportFactory = FindingFactory = Callable[..., dict[str, Any]]


def test_saved_report_reads_back_exactly(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    report = make_report(
        [
            make_finding("dynamodb_table_autoscaling_enabled", severity="medium"),
            make_finding("target_fixed_capacity", status="PASS"),
            make_finding("custom_resource_url_credentials", severity="high", status="MUTED"),
        ]
    )
    assert store.save_scan(report, requested_by="U1", scope_key="acct:111") == report["scan_id"]
    assert store.latest_scan() == report
    assert store.latest_scan(scope_key="acct:111") == report


def test_a_report_without_findings_is_kept(store: Store, make_report: ReportFactory) -> None:
    report = make_report([])
    store.save_scan(report)
    assert store.latest_scan() == report
    assert store.latest_findings() == []


def test_saving_the_same_scan_id_twice_stores_it_once(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    report = make_report([make_finding(), make_finding("slr_unused")])
    store.save_scan(report)
    changed = {**report, "findings": [make_finding("other_check")]}
    assert store.save_scan(changed) == report["scan_id"]
    assert store.scan_count() == 1
    assert store.latest_scan() == report


def test_concurrent_saves_of_one_scan_store_it_once(
    database_url: str, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    report = make_report([make_finding(resource_id=f"table/t{i}") for i in range(50)])
    stores = [Store.open(database_url), Store(database_url)]
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def save(store: Store) -> None:
        barrier.wait()
        try:
            results.append(store.save_scan(report))
        except BaseException as exc:  # surfaced by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=save, args=(stores[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert results == [report["scan_id"]] * 4
        assert stores[0].scan_count() == 1
        assert stores[1].latest_scan() == report
    finally:
        for store in stores:
            store.close()


def test_latest_and_previous_follow_scope_and_start_time(
    store: Store, make_report: ReportFactory
) -> None:
    a1, b1, a2, none1, a3 = (make_report() for _ in range(5))
    store.save_scan(a1, scope_key="A")
    store.save_scan(b1, scope_key="B")
    store.save_scan(a2, scope_key="A")
    store.save_scan(none1)
    store.save_scan(a3, scope_key="A")

    assert store.latest_scan() == a3
    assert store.latest_scan(scope_key="A") == a3
    assert store.latest_scan(scope_key="B") == b1
    assert store.latest_scan(scope_key="C") is None

    assert store.previous_scan(a3["scan_id"]) == a2
    assert store.previous_scan(a2["scan_id"]) == a1
    assert store.previous_scan(a1["scan_id"]) is None
    assert store.previous_scan(b1["scan_id"]) is None
    assert store.previous_scan(none1["scan_id"]) is None  # first scan without a scope
    assert store.previous_scan(a3["scan_id"], scope_key="B") == b1
    assert store.previous_scan("no-such-scan") is None


def test_order_is_by_start_time_not_by_when_stored(
    store: Store, make_report: ReportFactory
) -> None:
    earlier, later = make_report(), make_report()
    store.save_scan(later, scope_key="A")
    store.save_scan(earlier, scope_key="A")  # an older scan imported afterwards
    assert store.latest_scan(scope_key="A") == later
    assert store.previous_scan(later["scan_id"]) == earlier
    assert store.previous_scan(earlier["scan_id"]) is None


def test_equal_start_times_fall_back_to_storage_order(
    store: Store, make_report: ReportFactory
) -> None:
    first = make_report()
    second = make_report(started_at=first["started_at"])
    store.save_scan(first)
    store.save_scan(second)
    assert store.latest_scan() == second
    assert store.previous_scan(second["scan_id"]) == first


def test_offsets_are_compared_in_utc(store: Store, make_report: ReportFactory) -> None:
    utc_nine = make_report(started_at="2026-11-02T09:00:00+00:00")
    paris_nine_thirty = make_report(started_at="2026-11-02T09:30:00+01:00")  # 08:30 UTC
    store.save_scan(utc_nine)
    store.save_scan(paris_nine_thirty)
    assert store.latest_scan() == utc_nine


def test_latest_findings_filters_and_orders_worst_first(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    old = make_report([make_finding("old_check", severity="critical")])
    findings = [
        make_finding("f_low", severity="low"),
        make_finding("f_info", severity="informational"),
        make_finding("f_crit_pass", severity="critical", status="PASS"),
        make_finding("f_high", severity="high"),
        make_finding("f_medium_error", severity="medium", status="ERROR"),
        make_finding("f_crit", severity="critical"),
        make_finding("f_high_muted", severity="high", status="MUTED"),
        make_finding("f_high_2", severity="high"),
    ]
    store.save_scan(old)
    store.save_scan(make_report(findings))

    def ids(**kwargs: Any) -> list[str]:
        return [f["check_id"] for f in store.latest_findings(**kwargs)]

    assert ids() == ["f_crit", "f_high", "f_high_2", "f_medium_error", "f_low", "f_info"]
    assert ids(min_severity="high") == ["f_crit", "f_high", "f_high_2"]
    assert ids(min_severity="MEDIUM") == ["f_crit", "f_high", "f_high_2", "f_medium_error"]
    assert ids(min_severity="critical") == ["f_crit"]
    assert ids(min_severity="informational") == ids()
    assert ids(statuses=("PASS",)) == ["f_crit_pass"]
    assert ids(statuses=("muted", "ERROR"), min_severity="medium") == [
        "f_high_muted",
        "f_medium_error",
    ]
    assert ids(statuses=()) == []
    assert store.latest_findings(min_severity="critical")[0] == findings[5]


def test_latest_findings_of_an_empty_store(store: Store) -> None:
    assert store.latest_findings() == []
    assert store.latest_scan() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_severity": "urgent"}, "min_severity: unknown severity"),
        ({"min_severity": 3}, "unknown severity"),
        ({"statuses": "FAIL"}, "statuses"),
        ({"statuses": ("FAIL", "BROKEN")}, "unknown status"),
    ],
)
def test_bad_filters_are_refused(store: Store, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.latest_findings(**kwargs)


def _bad_reports(make_report: ReportFactory, make_finding: FindingFactory) -> list[Any]:
    good = [make_finding(resource_id=f"r{i}") for i in range(5)]
    unknown_severity = [*good, make_finding(severity="urgent")]
    no_scan_id = make_report(good)
    del no_scan_id["scan_id"]
    no_findings = make_report(good)
    del no_findings["findings"]
    return [
        make_report(unknown_severity),
        make_report([*good, make_finding(status="FAILED")]),
        make_report([*good, {**make_finding(), "fingerprint": None}]),
        make_report([*good, {**make_finding(), "check_id": ""}]),
        make_report([*good, "not a finding"]),
        make_report([*good, make_finding(region="x" * 33)]),
        make_report(good, scan_id=""),
        make_report(good, scan_id=7),
        make_report(good, started_at="yesterday"),
        {**make_report(good), "findings": "none"},
        make_report(good, summary={"ratio": float("nan")}),
        make_report(good, summary={"object": object()}),
        no_scan_id,
        no_findings,
        [good],
        None,
    ]


def test_bad_reports_raise_value_error_and_leave_stored_data_intact(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    kept = make_report([make_finding("kept", severity="high")])
    store.save_scan(kept, scope_key="A")
    for bad in _bad_reports(make_report, make_finding):
        with pytest.raises(ValueError) as caught:
            store.save_scan(bad, scope_key="A")
        assert str(caught.value), bad
    assert store.scan_count() == 1
    assert store.latest_scan() == kept
    assert [f["check_id"] for f in store.latest_findings()] == ["kept"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("scan_id"), "missing 'scan_id'"),
        (lambda r: r.pop("findings"), "missing 'findings'"),
        (lambda r: r["findings"][1].update(severity="urgent"), r"findings\[1\]\.severity"),
        (lambda r: r["findings"][0].update(status="OK"), r"findings\[0\]\.status"),
        (lambda r: r.update(started_at="soon"), "started_at"),
    ],
)
def test_error_messages_name_the_problem(
    store: Store,
    make_report: ReportFactory,
    make_finding: FindingFactory,
    mutate: Any,
    message: str,
) -> None:
    report = make_report([make_finding(), make_finding("slr_unused")])
    mutate(report)
    with pytest.raises(ValueError, match=message):
        store.save_scan(report)


def test_bad_scope_or_requester_is_refused(store: Store, make_report: ReportFactory) -> None:
    with pytest.raises(ValueError, match="scope_key"):
        store.save_scan(make_report(), scope_key="s" * 256)
    with pytest.raises(ValueError, match="requested_by"):
        store.save_scan(make_report(), requested_by=42)  # type: ignore[arg-type]
    assert store.scan_count() == 0


def test_a_large_scan_round_trips(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    severities = ("critical", "high", "medium", "low", "informational")
    findings = [
        make_finding(f"check_{i % 23}", severity=severities[i % 5], resource_id=f"table/t{i}")
        for i in range(2000)
    ]
    report = make_report(findings)
    store.save_scan(report)
    assert store.latest_scan() == report
    worst = store.latest_findings(min_severity="critical")
    assert len(worst) == 400
    assert [f["resource_id"] for f in worst[:2]] == ["table/t0", "table/t5"]


def test_a_failure_half_way_through_the_write_rolls_everything_back(
    store: Store,
    make_report: ReportFactory,
    make_finding: FindingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scans row is written before the findings: if a finding row is refused by the
    database, the scan row must go too (one transaction)."""
    kept = make_report([make_finding("kept")])
    store.save_scan(kept)
    report = make_report([make_finding("a"), make_finding("b")])
    parsed = validate.scan_report(report)
    broken = dataclasses.replace(
        parsed,
        findings=[parsed.findings[0], dataclasses.replace(parsed.findings[1], severity_rank=9)],
    )
    monkeypatch.setattr(validate, "scan_report", lambda _report: broken)
    with pytest.raises(IntegrityError):
        store.save_scan(report)
    assert store.scan_count() == 1
    assert store.latest_scan() == kept
    assert store.previous_scan(report["scan_id"]) is None


def test_scan_findings_filter_and_page_in_the_database(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    findings = [
        make_finding("target_fixed_capacity", severity="high", resource_id=f"r{i}")
        for i in range(5)
    ] + [
        make_finding("slr_unused", severity="low", status="PASS", resource_id="p"),
        make_finding("slr_unused", severity="medium", status="ERROR", resource_id="e"),
    ]
    report = make_report(findings)
    store.save_scan(report)
    scan_id = report["scan_id"]
    stored = store.latest_scan()["findings"]  # type: ignore[index]

    first = store.scan_findings(scan_id, limit=3)
    second = store.scan_findings(scan_id, limit=3, offset=3)
    last = store.scan_findings(scan_id, limit=3, offset=6)
    assert first == (stored[:3], True) and second == (stored[3:6], True)
    assert last == (stored[6:], False)
    assert store.scan_findings(scan_id, min_severity="MEDIUM") == (
        [f for f in stored if f["severity"] in ("high", "medium")],
        False,
    )
    assert store.scan_findings(scan_id, status="error") == (
        [f for f in stored if f["status"] == "ERROR"],
        False,
    )
    assert store.scan_findings(scan_id, check_id="slr_unused", status="PASS") == (
        [f for f in stored if f["check_id"] == "slr_unused" and f["status"] == "PASS"],
        False,
    )
    assert store.scan_findings("no-such-scan") is None
    for bad in ({"offset": -1}, {"limit": 0}, {"status": "BROKEN"}, {"min_severity": "huge"}):
        with pytest.raises(ValueError):
            store.scan_findings(scan_id, **bad)  # type: ignore[arg-type]


def test_check_findings_reads_one_scans_verdicts_on_some_checks(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    """What an answer needs about the account: counted and filtered in the database, the
    worst FAIL first, of the newest scan or of the one named."""
    assert store.check_findings(["target_fixed_capacity"]) is None
    older = make_report([make_finding(severity="critical", resource_id="service/old/x")])
    store.save_scan(older, checks=["target_fixed_capacity"])
    findings = [
        make_finding(severity="low", resource_id="service/a/low"),
        make_finding(severity="high", resource_id="service/a/high"),
        make_finding(severity="high", resource_id="service/a/high-second"),
        make_finding(status="ERROR", resource_id="service/a/unknown"),
        make_finding(status="PASS", resource_id="service/a/fine"),
        make_finding("target_scaling_suspended", severity="critical", resource_id="service/b/s"),
    ]
    newest = make_report(findings)
    store.save_scan(newest, checks=["target_fixed_capacity", "target_scaling_suspended"])

    seen = store.check_findings(["target_fixed_capacity"], limit=2)
    assert seen is not None
    assert seen.scan_id == newest["scan_id"]
    assert seen.scanned_at.isoformat() == newest["finished_at"]
    assert seen.checks == ("target_fixed_capacity", "target_scaling_suspended")
    assert seen.counts == {"FAIL": 3, "ERROR": 1, "PASS": 1}
    assert [f["resource_id"] for f in seen.failing] == ["service/a/high", "service/a/high-second"]

    both = store.check_findings(["target_fixed_capacity", "target_scaling_suspended"])
    assert both is not None and both.failing[0]["resource_id"] == "service/b/s"
    assert both.counts["FAIL"] == 4

    named = store.check_findings(["target_fixed_capacity"], scan_id=older["scan_id"], limit=10)
    assert named is not None and [f["resource_id"] for f in named.failing] == ["service/old/x"]
    assert store.check_findings(["target_fixed_capacity"], scan_id="no-such-scan") is None
    assert store.check_findings(["no_such_check"]) is not None  # a scan, with nothing to say


def test_check_findings_skip_later_scans_of_other_checks(
    store: Store, make_report: ReportFactory, make_finding: FindingFactory
) -> None:
    """A later scan of one other check must not hide what an earlier scan found: an answer
    about a check reads the newest scan that ran it; with none, the newest scan says so."""
    full = make_report([make_finding(severity="high", resource_id="service/prod/api")])
    store.save_scan(full, checks=["target_fixed_capacity", "slr_unused"])
    narrow = make_report([make_finding("slr_unused", status="PASS", resource_id="slr")])
    store.save_scan(narrow, checks=["slr_unused"])

    seen = store.check_findings(["target_fixed_capacity"])
    assert seen is not None and seen.scan_id == full["scan_id"]
    assert [f["resource_id"] for f in seen.failing] == ["service/prod/api"]
    # The narrow scan is the newest that ran slr_unused.
    assert store.check_findings(["slr_unused"]).scan_id == narrow["scan_id"]  # type: ignore[union-attr]
    # No stored scan ran this check: the newest scan answers, and it did not run it.
    none_ran = store.check_findings(["target_scaling_suspended"])
    assert none_ran is not None and none_ran.scan_id == narrow["scan_id"]
    assert none_ran.checks == ("slr_unused",) and none_ran.counts == {}
