"""JSON: the scan report contract (``ScanReport.to_dict()``), pretty-printed.

Keys: ``scan_id``, ``started_at``, ``finished_at``, ``accounts``, ``regions``, ``summary``,
``findings`` and ``coverage``. Other programs parse this; it is pinned by tests. Its strings
are ``sanitised`` like every format's: JSON would only escape control characters, and a reader
decoding them gets them back.
"""

from __future__ import annotations

import json

from scalewarden.checks.model import ScanReport
from scalewarden.reports._meta import sanitised


def render(report: ScanReport) -> str:
    return json.dumps(sanitised(report.to_dict()), indent=2, sort_keys=False, default=str) + "\n"
