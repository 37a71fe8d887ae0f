"""Fixtures for the database layer: the backends (``database_fixtures``) and report factories."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from database_fixtures import *  # noqa: F403  (database_url, store … on SQLite and PostgreSQL)


def finding(
    check_id: str = "target_fixed_capacity",
    *,
    severity: str = "low",
    status: str = "FAIL",
    account_id: str = "111111111111",
    region: str = "eu-west-1",
    resource_id: str = "service/default/web",
) -> dict[str, Any]:
    """A finding with every field of the report contract."""
    return {
        "check_id": check_id,
        "title": f"Title of {check_id}",
        "severity": severity,
        "status": status,
        "account_id": account_id,
        "account_name": "prod",
        "region": region,
        "resource_id": resource_id,
        "resource_arn": f"arn:aws:application-autoscaling:{region}:{account_id}:x/{resource_id}",
        "message": f"{check_id} on {resource_id}",
        "remediation": "Do the right thing.",
        "kb_article": "resilience",
        "compliance": {"SecurityHub": ["DynamoDB.1"]} if "dynamodb" in check_id else {},
        "evidence": {"MinCapacity": 1, "MaxCapacity": 1, "tags": ["a", "b"]},
        "fingerprint": uuid.uuid5(
            uuid.NAMESPACE_URL, f"{check_id}|{account_id}|{region}|{resource_id}"
        ).hex,
    }


ReportFactory = Callable[..., dict[str, Any]]
FindingFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_finding() -> FindingFactory:
    """Builds findings with every field of the report contract."""
    return finding


@pytest.fixture
def make_report() -> ReportFactory:
    """Builds scan reports; each call starts one minute after the previous one."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    clock = (start + timedelta(minutes=i) for i in itertools.count())

    def build(findings: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
        started = next(clock)
        items = findings if findings is not None else [finding()]
        valid = [item for item in items if isinstance(item, dict)]
        report: dict[str, Any] = {
            "scan_id": uuid.uuid4().hex,
            "started_at": started.isoformat(),
            "finished_at": (started + timedelta(seconds=42)).isoformat(),
            "accounts": sorted({f["account_id"] for f in valid}),
            "regions": sorted({f["region"] for f in valid}),
            "summary": {"total": len(items)},
            "findings": items,
        }
        report.update(overrides)
        return report

    return build
