"""The store against the real scan report model: what ``scan --format json`` writes reads
back into an equal ``ScanReport``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.store import Store


def _finding(check_id: str, severity: Severity, status: Status, resource: str) -> Finding:
    return Finding(
        check_id=check_id,
        title=check_id.replace("_", " "),
        severity=severity,
        status=status,
        account_id="123456789012",
        account_name="prod",
        region="global" if check_id.startswith("iam_") else "eu-west-1",
        resource_id=resource,
        resource_arn=None,
        message=f"{check_id}: {resource}",
        remediation="aws application-autoscaling put-scaling-policy …",
        kb_article="identity-and-access-management",
        compliance={"AWS Config": ["dynamodb-autoscaling-enabled"]},
        evidence={"statements": [{"Effect": "Allow", "Action": "*"}], "count": 2},
    )


def test_scan_report_round_trips_through_the_store(store: Store) -> None:
    started = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    report = ScanReport(
        scan_id="scan-0001",
        started_at=started,
        finished_at=started + timedelta(seconds=12),
        accounts=[{"account_id": "123456789012", "account_name": "prod"}],
        regions=["eu-west-1"],
        findings=[
            _finding("iam_policy_aas_write_unrestricted", Severity.HIGH, Status.FAIL, "p1"),
            _finding("target_fixed_capacity", Severity.LOW, Status.PASS, "table/t1"),
            _finding("dynamodb_table_autoscaling_enabled", Severity.MEDIUM, Status.ERROR, "t2"),
            _finding("slr_unused", Severity.LOW, Status.MUTED, "role/x"),
        ],
        coverage=[
            {"account_id": "123456789012", "region": "eu-west-1", "source": "x", "reason": "y"}
        ],
    )
    store.save_scan(report.to_dict(), requested_by="U1", scope_key="all")
    stored = store.latest_scan(scope_key="all")
    assert stored == report.to_dict()
    assert stored is not None
    assert ScanReport.from_dict(stored) == report
    worst = store.latest_findings(min_severity="info")
    assert [Finding.from_dict(f).check_id for f in worst] == [
        "iam_policy_aas_write_unrestricted",
        "dynamodb_table_autoscaling_enabled",
    ]
