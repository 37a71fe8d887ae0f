"""CSV: one row per finding, for spreadsheets.

``compliance`` reads ``framework: id | id; framework: id`` (a spreadsheet filter can find a
requirement); ``evidence`` is JSON-encoded in its cell. Rows end in CRLF
(RFC 4180), so any cell with a CR or LF is quoted. Cells that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) are
prefixed with a quote: finding text includes names chosen by whoever created the resource.
Every cell is ``one_line`` first (no control or invisible format character, no line break
inside a cell), then guarded, so that a formula hidden behind a space or a control is caught.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from scalewarden.checks.model import ScanReport, sort_findings
from scalewarden.reports._meta import compliance_text, one_line

COLUMNS: tuple[str, ...] = (
    "scan_id",
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
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, default=str)
    else:
        text = str(value)
    text = one_line(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(report: ScanReport) -> str:
    buffer = io.StringIO()
    # RFC 4180 line ends. With "\n" the writer leaves a field holding a bare "\r" unquoted
    # (it quotes only the terminator's characters), and spreadsheets split the row there.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for finding in sort_findings(report.findings):
        row = finding.to_dict()
        row["scan_id"] = report.scan_id
        row["compliance"] = compliance_text(finding)
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    return buffer.getvalue()
