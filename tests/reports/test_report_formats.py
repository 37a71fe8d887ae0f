"""Every output format: its contract, and that none of them repeats a secret."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pytest
from report_samples import SECRETS

from scalewarden.checks.model import ScanReport, Status
from scalewarden.reports import FORMATS, render, resolve_format, table
from scalewarden.reports.asff import REQUIRED_KEYS
from scalewarden.reports.csv import COLUMNS


def test_report_has_every_status(report: ScanReport) -> None:
    assert {f.status for f in report.findings} == set(Status)
    planted = {
        f.check_id
        for f in report.findings
        if f.status is Status.FAIL
        and f.check_id in ("custom_resource_url_credentials", "sensitive_data_in_scaling_names")
    }
    assert len(planted) == 2  # the secrets were found, so the leak test below means something


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_format_repeats_a_secret(report: ScanReport, fmt: str) -> None:
    text = render(report, fmt)
    for secret in SECRETS:
        assert secret not in text, f"{fmt} leaks {secret}"
    assert "REDACTED" in text or fmt in ("table", "markdown")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'; expected one of: table, json"):
        render(
            ScanReport.from_dict(
                {
                    "scan_id": "s",
                    "started_at": "2026-01-01T00:00:00Z",
                    "finished_at": "2026-01-01T00:00:00Z",
                }
            ),
            "xml",
        )


def test_json_contract(report: ScanReport) -> None:
    data = json.loads(render(report, "json"))
    assert set(data) == {
        "scan_id",
        "started_at",
        "finished_at",
        "accounts",
        "regions",
        "summary",
        "findings",
        "coverage",
    }
    assert data["scan_id"] == "scan-0001"
    assert data["started_at"] == "2026-01-01T10:00:00+00:00"
    assert data["summary"]["total"] == len(report.findings)
    assert set(data["findings"][0]) == {
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
    }
    assert ScanReport.from_dict(data).to_dict() == data


def test_csv_header_and_rows(report: ScanReport) -> None:
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(report.findings) + 1
    statuses = [r[COLUMNS.index("status")] for r in rows[1:]]
    assert statuses[0] == "FAIL" and statuses[-1] == "PASS"  # worst first
    evidence = json.loads(rows[1][COLUMNS.index("evidence")])
    assert isinstance(evidence, dict)


def test_csv_neutralises_formulas() -> None:
    from scalewarden.reports.csv import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("-1+1") == "'-1+1"
    assert _cell("plain") == "plain"


OCSF_REQUIRED = (
    "activity_id",
    "category_uid",
    "class_uid",
    "finding_info",
    "metadata",
    "severity_id",
    "status_id",
    "time",
    "type_uid",
    "cloud",
    "resources",
    "status_code",
)


def test_ocsf_detection_findings(report: ScanReport) -> None:
    items = json.loads(render(report, "ocsf"))
    assert len(items) == len(report.findings)
    for item in items:
        for key in OCSF_REQUIRED:
            assert key in item, key
        assert item["class_uid"] == 2004 and item["category_uid"] == 2
        assert item["type_uid"] == 200401
        assert item["finding_info"]["uid"] and item["finding_info"]["title"]
        assert item["metadata"]["product"]["name"] == "scalewarden"
        assert item["metadata"]["version"]
        assert (
            item["cloud"]["provider"] == "aws" and item["cloud"]["account"]["uid"] == "111122223333"
        )
        assert 1 <= item["severity_id"] <= 5
        assert item["time"] == 1767261605250  # milliseconds (finished 10:00:05.250 UTC)
    by_code = {i["status_code"]: i for i in items}
    assert set(by_code) == {"PASS", "FAIL", "ERROR", "MUTED"}
    assert by_code["MUTED"]["status"] == "Suppressed" and by_code["MUTED"]["status_id"] == 3
    assert by_code["FAIL"]["status"] == "New"
    high = next(
        i for i in items if i["metadata"]["event_code"] == "custom_resource_url_credentials"
    )
    assert high["severity"] == "High" and high["severity_id"] == 4
    assert high["resources"][0]["uid"].startswith("arn:aws:application-autoscaling:")


def test_asff_required_fields_and_values(report: ScanReport) -> None:
    items = json.loads(render(report, "asff"))
    assert len(items) == len(report.findings)
    for item in items:
        missing = [k for k in REQUIRED_KEYS if k not in item]
        assert not missing, missing
        assert item["SchemaVersion"] == "2018-10-08"
        assert item["ProductArn"] == (
            f"arn:aws:securityhub:{item['Region']}:111122223333:product/111122223333/default"
        )
        assert item["Severity"]["Label"] in {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
        assert item["Types"] and all(t.count("/") <= 2 for t in item["Types"])
        assert item["CreatedAt"] == "2026-01-01T10:00:05.250Z"
        assert item["RecordState"] == "ACTIVE"
        assert len(item["Title"]) <= 256 and len(item["Description"]) <= 1024
        assert item["Resources"] and {"Type", "Id"} <= set(item["Resources"][0])
        assert item["Region"] != "global"
    ids = [i["Id"] for i in items]
    assert len(ids) == len(set(ids))
    by_status = {i["ProductFields"]["scalewarden/Status"]: i for i in items}
    assert by_status["PASS"]["Compliance"]["Status"] == "PASSED"
    assert by_status["FAIL"]["Compliance"]["Status"] == "FAILED"
    assert by_status["ERROR"]["Compliance"]["Status"] == "NOT_AVAILABLE"
    assert by_status["MUTED"]["Workflow"]["Status"] == "SUPPRESSED"
    trail = next(
        i
        for i in items
        if i["GeneratorId"] == "scalewarden-cloudtrail_multiregion_management_events"
    )
    assert "CIS-7.0 4.1" in trail["Compliance"]["RelatedRequirements"]


def test_markdown(report: ScanReport) -> None:
    text = render(report, "markdown")
    assert text.startswith("# scalewarden scan scan-0001")
    high = text.index("## High")
    medium = text.index("## Medium")
    low = text.index("## Low")
    assert high < medium < low
    assert "prod \\| main" in text  # pipes in names cannot break tables
    assert "## Not seen" in text and "scaling\\_activities" not in text
    assert "[muted: Config is managed centrally]" not in text  # brackets escaped
    assert "\\[muted: Config is managed centrally\\]" in text
    rows = [
        line
        for line in text.splitlines()
        if line.startswith(("| FAIL | ", "| MUTED | ", "| ERROR | ")) and "_" in line
    ]
    assert rows
    for line in rows:
        assert len(re.findall(r"(?<!\\)\|", line)) == 7, line  # six cells, none broken


def test_table_grouped_worst_first(report: ScanReport) -> None:
    text = render(report, "table")
    assert text.index("HIGH (") < text.index("MEDIUM (") < text.index("LOW (")
    assert "[REDACTED:email]" in text or "REDACTED" in text  # printed, not eaten as markup
    assert "PASS:" in text and "Not seen (1)" in text
    assert "\x1b[" not in text  # no colour codes unless asked


def test_table_prints_finding_text_literally(report: ScanReport) -> None:
    """Reasons and ids are data, not rich markup: brackets print as written."""
    marked = dataclasses.replace(
        next(f for f in report.findings if f.status is Status.FAIL),
        resource_id="service/[bold]prod[/bold]/web",
    )
    report = dataclasses.replace(report, findings=[*report.findings, marked])
    text = table.render(report, width=400)  # wide enough that no cell folds
    assert "[muted: Config is managed centrally]" in text
    assert "service/[bold]prod[/bold]/web" in text


def test_table_without_failures() -> None:
    empty = ScanReport.from_dict(
        {
            "scan_id": "s",
            "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:00Z",
        }
    )
    assert "No failed, errored or muted findings." in render(empty, "table")
    assert "No failed, errored or muted findings." in render(empty, "markdown")
    assert json.loads(render(empty, "ocsf")) == [] and json.loads(render(empty, "asff")) == []


def test_one_registry_resolves_names_and_aliases() -> None:
    """CLI, Slack and API share ``resolve_format``: an alias means its format everywhere."""
    assert resolve_format("md") is FORMATS["markdown"]
    assert resolve_format(" Markdown ") is FORMATS["markdown"]
    assert resolve_format("JSON").filename("scalewarden-scan-1") == "scalewarden-scan-1.json"
    assert [f.name for f in FORMATS.values()] == list(FORMATS)
    with pytest.raises(ValueError, match=r"markdown \(md\)"):
        resolve_format("md5")
