"""ASFF: findings ready for Security Hub's ``BatchImportFindings``.

Each finding is imported into the account it is about, under that account's default product
(``arn:aws:securityhub:<region>:<account>:product/<account>/default``). ``Id`` is the stable
fingerprint so a re-import updates the finding instead of duplicating it. PASS findings are
imported too (``Compliance.Status`` PASSED) so Security Hub can resolve what was fixed; muted
findings carry ``Workflow.Status`` SUPPRESSED. Text fields are cut to the API's limits.
"""

from __future__ import annotations

import json
from typing import Any

from scalewarden.aws.inventory import GLOBAL_REGION
from scalewarden.checks.model import Finding, ScanReport, Status
from scalewarden.reports._meta import arn_partition, check_text, json_array_lines, resource_type

SCHEMA_VERSION = "2018-10-08"
FALLBACK_REGION = "us-east-1"

#: Keys ``BatchImportFindings`` requires in every finding.
REQUIRED_KEYS: tuple[str, ...] = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
)

COMPLIANCE_STATUS = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.MUTED: "FAILED",
    Status.ERROR: "NOT_AVAILABLE",
}

BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"
STANDARDS = "Software and Configuration Checks/Industry and Regulatory Standards"
SENSITIVE_DATA = "Sensitive Data Identifications/Security"


#: ``Resources[].Details.Other`` values must have *fewer than* 1,024 characters.
OTHER_VALUE_MAX = 1023


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _time(report: ScanReport) -> str:
    return report.finished_at.strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{report.finished_at.microsecond // 1000:03d}Z"
    )


def _region(finding: Finding, report: ScanReport) -> str:
    if finding.region and finding.region != GLOBAL_REGION:
        return finding.region
    return report.regions[0] if report.regions else FALLBACK_REGION


def _types(finding: Finding, topic: str) -> list[str]:
    types = [SENSITIVE_DATA if topic == "data-protection" else BEST_PRACTICES]
    if finding.compliance:
        types.append(STANDARDS)
    return types


def asff_finding(finding: Finding, report: ScanReport) -> dict[str, Any]:
    meta = check_text(finding)
    region = _region(finding, report)
    partition = arn_partition(finding.resource_arn)
    account = finding.account_id
    timestamp = _time(report)
    requirements = [
        f"{framework} {control}"
        for framework, controls in sorted(finding.compliance.items())
        for control in controls
    ]
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS[finding.status]}
    if requirements:
        compliance["RelatedRequirements"] = requirements[:32]
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"scalewarden/{finding.fingerprint}",
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "scalewarden",
        "CompanyName": "scalewarden",
        "GeneratorId": f"scalewarden-{finding.check_id}",
        "AwsAccountId": account,
        "Region": region,
        "Types": _types(finding, meta.topic),
        "CreatedAt": timestamp,
        "UpdatedAt": timestamp,
        "Severity": {"Label": finding.severity.value.upper()},
        "Title": _cut(finding.title, 256),
        "Description": _cut(finding.message, 1024),
        "Remediation": {"Recommendation": {"Text": _cut(finding.remediation, 512)}},
        "ProductFields": {
            "scalewarden/CheckId": finding.check_id,
            "scalewarden/Status": finding.status.value,
            "scalewarden/KbArticle": finding.kb_article,
            "scalewarden/ScanId": report.scan_id,
        },
        "Resources": [
            {
                "Type": resource_type(finding),
                "Id": finding.resource_arn or finding.resource_id,
                "Partition": partition,
                "Region": region,
                "Details": {
                    "Other": {
                        "resource_id": _cut(finding.resource_id, OTHER_VALUE_MAX),
                        "evidence": _cut(
                            json.dumps(dict(finding.evidence), default=str), OTHER_VALUE_MAX
                        ),
                    }
                },
            }
        ],
        "Compliance": compliance,
        "Workflow": {"Status": "SUPPRESSED" if finding.status is Status.MUTED else "NEW"},
        "RecordState": "ACTIVE",
    }


def render(report: ScanReport) -> str:
    return json_array_lines(asff_finding(f, report) for f in report.findings)
