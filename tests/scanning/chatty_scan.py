"""A scan function for a worker process that reports progress the way the collector does on
a large account (once per AWS call, thousands of times), then returns a small report. Kept
apart from the test modules: a spawned worker imports it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

EVENTS = 5000


def chatty(job: Any, progress: Any) -> Any:
    from scalewarden.checks.model import ScanReport

    for i in range(EVENTS):
        progress({"done": i + 1, "total": EVENTS})
    now = datetime.now(UTC)
    return ScanReport(
        scan_id=job.scan_id or "chatty",
        started_at=now,
        finished_at=now,
        accounts=[],
        regions=["us-east-1"],
        findings=[],
    )


#: Findings in :func:`many_findings`'s report: several parts and a last, shorter one.
FINDINGS = 1_050


def many_findings(job: Any, progress: Any) -> Any:
    """A report of ``FINDINGS`` findings, each a little different (their order shows)."""
    from scalewarden.checks.model import Finding, ScanReport, Severity, Status

    now = datetime.now(UTC)
    return ScanReport(
        scan_id=job.scan_id or "many",
        started_at=now,
        finished_at=now,
        accounts=[{"account_id": "123456789012", "name": "prod"}],
        regions=["us-east-1"],
        findings=[
            Finding(
                check_id="dynamodb_table_autoscaling_enabled",
                title=f"DynamoDB table without auto scaling #{i}",
                severity=Severity.HIGH,
                status=Status.FAIL,
                account_id="123456789012",
                account_name="prod",
                region="us-east-1",
                resource_id=f"table/orders-{i:05d}",
                resource_arn=None,
                message="The table has no scalable target.",
                remediation="Register the table.",
                kb_article="service-integrations",
            )
            for i in range(FINDINGS)
        ],
        coverage=[
            {"account_id": "123456789012", "region": "eu-west-1", "source": "s", "reason": "r"}
        ],
    )
