"""JSON: the scan report contract (``ScanReport.to_dict()``), pretty-printed.

Keys: ``scan_id``, ``started_at``, ``finished_at``, ``accounts``, ``regions``, ``summary``,
``findings`` and ``coverage``. Other programs parse this; it is pinned by tests.
"""

from __future__ import annotations

import json

from scalewarden.checks.model import ScanReport


def render(report: ScanReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False, default=str) + "\n"
