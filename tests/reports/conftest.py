"""Fixtures for the report format tests."""

from __future__ import annotations

import pytest
from report_samples import build_report

from scalewarden.checks.model import ScanReport


@pytest.fixture
def report() -> ScanReport:
    return build_report()
