"""The finding and report contract: field names, fingerprints, round trips, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from scalewarden.checks.model import (
    Finding,
    ScanReport,
    Severity,
    Status,
    fingerprint,
    sort_findings,
)

FINDING_FIELDS = [
    "check_id",
    "title",
    "severity",
    "status",
    "account_id",
    "account_name",
    "region",
    "resource_id",
    "resource_arn",
    "message",
    "remediation",
    "kb_article",
    "compliance",
    "evidence",
    "fingerprint",
]


def make(status: Status = Status.FAIL, severity: Severity = Severity.HIGH, **kw: object) -> Finding:
    values: dict[str, object] = {
        "check_id": "target_fixed_capacity",
        "title": "t",
        "severity": severity,
        "status": status,
        "account_id": "111122223333",
        "account_name": "prod",
        "region": "us-east-1",
        "resource_id": "ecs:service/a/b:ecs:service:DesiredCount",
        "resource_arn": None,
        "message": "m",
        "remediation": "r",
        "kb_article": "resilience",
        "compliance": {"AWS Security Hub": ["DynamoDB.1"]},
        "evidence": {"min_capacity": 1},
    }
    values.update(kw)
    return Finding(**values)  # type: ignore[arg-type]


def test_severity_parse_and_rank() -> None:
    assert Severity.parse("HIGH") is Severity.HIGH
    assert Severity.parse(" info ") is Severity.INFORMATIONAL
    ranks = [s.rank for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)]
    assert ranks == sorted(ranks, reverse=True)
    assert Severity.INFORMATIONAL.rank < Severity.LOW.rank
    with pytest.raises(ValueError, match="unknown severity 'severe'"):
        Severity.parse("severe")
    with pytest.raises(ValueError):
        Severity.parse("")


def test_status_parse() -> None:
    assert Status.parse("muted") is Status.MUTED
    with pytest.raises(ValueError, match="unknown status"):
        Status.parse("OK")


def test_finding_dict_has_exactly_the_contract_fields() -> None:
    data = make().to_dict()
    assert list(data) == FINDING_FIELDS
    assert data["severity"] == "high" and data["status"] == "FAIL"


def test_fingerprint_depends_on_identity_only() -> None:
    a = make(message="one", severity=Severity.LOW)
    b = make(message="two", severity=Severity.HIGH, status=Status.PASS)
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint == fingerprint(a.check_id, a.account_id, a.region, a.resource_id)
    assert make(region="eu-west-1").fingerprint != a.fingerprint
    assert make(resource_id="other").fingerprint != a.fingerprint
    assert len(a.fingerprint) == 64


def test_fingerprint_parts_cannot_run_together() -> None:
    assert fingerprint("a", "b", "c", "d e") != fingerprint("a", "b", "c d", "e")
    assert fingerprint("ab", "c", "d", "e") != fingerprint("a", "bc", "d", "e")


def test_finding_round_trip() -> None:
    original = make()
    assert Finding.from_dict(original.to_dict()) == original


def test_report_dict_contract_and_round_trip() -> None:
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    report = ScanReport(
        scan_id="scan-1",
        started_at=start,
        finished_at=start + timedelta(seconds=7),
        accounts=[{"id": "111122223333", "name": "prod"}],
        regions=["us-east-1"],
        findings=[make(), make(status=Status.PASS, resource_id="x"), make(status=Status.ERROR)],
        coverage=[
            {"account_id": "111122223333", "region": "us-east-1", "source": "tags", "reason": "x"}
        ],
    )
    data = report.to_dict()
    assert list(data) == [
        "scan_id",
        "started_at",
        "finished_at",
        "accounts",
        "regions",
        "summary",
        "findings",
        "coverage",
    ]
    assert data["started_at"] == "2026-01-02T03:04:05+00:00"
    assert data["summary"]["by_status"] == {"PASS": 1, "FAIL": 1, "ERROR": 1, "MUTED": 0}
    assert data["summary"]["fail_by_severity"]["high"] == 1
    assert data["summary"]["checks_run"] == 1
    again = ScanReport.from_dict(data)
    assert again.to_dict() == data
    assert again.started_at.tzinfo is not None


def test_report_times_are_normalised_to_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    report = ScanReport(
        "s", datetime(2026, 1, 1, 12, tzinfo=plus2), datetime(2026, 1, 1, 13, tzinfo=plus2)
    )
    assert report.to_dict()["started_at"] == "2026-01-01T10:00:00+00:00"
    naive = ScanReport("s", datetime(2026, 1, 1), datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        naive.to_dict()


def test_worst_fail_ignores_other_statuses() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    report = ScanReport(
        "s",
        start,
        start,
        findings=[
            make(status=Status.MUTED, severity=Severity.CRITICAL),
            make(status=Status.ERROR, severity=Severity.CRITICAL),
            make(status=Status.FAIL, severity=Severity.MEDIUM),
            make(status=Status.FAIL, severity=Severity.LOW),
        ],
    )
    assert report.worst_fail() is Severity.MEDIUM
    assert ScanReport("s", start, start).worst_fail() is None


def test_sort_findings_worst_first() -> None:
    items = [
        make(status=Status.PASS, severity=Severity.CRITICAL, resource_id="p"),
        make(status=Status.FAIL, severity=Severity.LOW, resource_id="fl"),
        make(status=Status.FAIL, severity=Severity.HIGH, resource_id="fh"),
        make(status=Status.ERROR, severity=Severity.HIGH, resource_id="e"),
    ]
    assert [f.resource_id for f in sort_findings(items)] == ["fh", "fl", "e", "p"]
