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
