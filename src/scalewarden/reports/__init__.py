"""Report formatters: one module per output format, all reading a ``ScanReport``.

Renderers never decide anything: every format is a view of the same findings, so a finding
that is FAIL in the table is FAIL in JSON, CSV, OCSF, ASFF and Markdown. Formatter modules
are imported on demand to keep ``scalewarden`` start-up fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport

#: Output format name → module under ``scalewarden.reports``.
FORMATS: dict[str, str] = {
    "table": "table",
    "json": "json",
    "csv": "csv",
    "ocsf": "ocsf",
    "asff": "asff",
    "markdown": "markdown",
}


def render(report: ScanReport, fmt: str) -> str:
    """The report in format ``fmt``; ValueError naming the valid formats when unknown."""
    key = (fmt or "").strip().lower()
    if key == "md":
        key = "markdown"
    if key not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    module = import_module(f"scalewarden.reports.{FORMATS[key]}")
    text: str = module.render(report)
    return text
