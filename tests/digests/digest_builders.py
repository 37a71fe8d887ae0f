"""Findings and stored scans built by hand, for the digest tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scalewarden.checks.model import Finding, Severity, Status
from scalewarden.store.records import StoredScan

ACCOUNT = "111111111111"
_counter = itertools.count(1)


def finding(
    check_id: str = "target_fixed_capacity",
    resource_id: str = "ecs:service/batch/nightly:ecs:service:DesiredCount",
    *,
    status: Status = Status.FAIL,
    severity: Severity = Severity.LOW,
    account_id: str = ACCOUNT,
    region: str = "eu-west-1",
    resource_arn: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        check_id=check_id,
        title=f"Title of {check_id}",
        severity=severity,
        status=status,
        account_id=account_id,
        account_name=None,
        region=region,
        resource_id=resource_id,
        resource_arn=resource_arn,
        message=f"{check_id} says {status}",
        remediation="Fix it.",
        kb_article="resilience",
        evidence=evidence or {},
    )


def error(check_id: str, region: str = "eu-west-1", account_id: str = ACCOUNT) -> Finding:
    """What the engine reports when a check could not read its data in a region."""
    return finding(
        check_id,
        f"{account_id}/{region}",
        status=Status.ERROR,
        region=region,
        account_id=account_id,
    )


def stored(
    findings: Sequence[Finding],
    *,
    regions: Sequence[str] = ("eu-west-1",),
    accounts: Sequence[str] = (ACCOUNT,),
    checks: Sequence[str] | None = ("target_fixed_capacity", "iam_create_slr_unscoped"),
    scope_key: str | None = "scope:test",
) -> StoredScan:
    """A stored scan as the store hands it back."""
    n = next(_counter)
    started = datetime(2026, 11, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=n)
    report = {
        "scan_id": f"scan-{n:04d}",
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=30)).isoformat(),
        "accounts": [{"id": a, "name": None, "regions": list(regions)} for a in accounts],
        "regions": list(regions),
        "summary": {},
        "findings": [f.to_dict() for f in findings],
        "coverage": [],
    }
    return StoredScan(
        scan_id=report["scan_id"],
        scope_key=scope_key,
        requested_by="test",
        checks=None if checks is None else tuple(checks),
        report=report,
    )
