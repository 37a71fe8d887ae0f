"""OCSF: a JSON array of Detection Findings (class 2004), comparable with Prowler's output.

Field choices follow Prowler's OCSF writer so the two tools' findings can be loaded side by
side: ``status_code`` carries PASS/FAIL/ERROR/MUTED, ``status`` is ``New`` or ``Suppressed``
(muted), ``finding_info.uid`` is the stable fingerprint, the check id is
``metadata.event_code``, and compliance mappings go under ``unmapped``.
"""

from __future__ import annotations

from typing import Any

from scalewarden import __version__
from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.reports._meta import (
    arn_partition,
    check_text,
    explanation_url,
    json_array_lines,
    resource_type,
)

OCSF_VERSION = "1.3.0"
CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE
AWS_ACCOUNT_TYPE_ID = 10

SEVERITY_ID: dict[Severity, tuple[int, str]] = {
    Severity.INFORMATIONAL: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}


def _labels(finding: Finding) -> list[str]:
    tags = finding.evidence.get("tags")
    if isinstance(tags, dict):
        return [f"{k}:{v}" for k, v in sorted(tags.items())]
    return []


def detection_finding(finding: Finding, report: ScanReport) -> dict[str, Any]:
    """One finding as an OCSF Detection Finding object."""
    meta = check_text(finding)
    severity_id, severity_name = SEVERITY_ID[finding.severity]
    muted = finding.status is Status.MUTED
    when = report.finished_at
    epoch = int(when.timestamp() * 1000)  # OCSF timestamps are milliseconds since the epoch
    explanation = explanation_url(finding.kb_article)
    return {
        "message": finding.message,
        "metadata": {
            "event_code": finding.check_id,
            "product": {
                "uid": "scalewarden",
                "name": "scalewarden",
                "vendor_name": "scalewarden",
                "version": __version__,
            },
            "profiles": ["cloud", "datetime"],
            "version": OCSF_VERSION,
        },
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": 3 if muted else 1,
        "status": "Suppressed" if muted else "New",
        "status_code": finding.status.value,
        "status_detail": finding.message,
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "time": epoch,
        "time_dt": when.isoformat(),
        "finding_info": {
            "uid": finding.fingerprint,
            "title": finding.title,
            "desc": meta.description,
            "name": finding.resource_id,
            "types": [meta.topic] if meta.topic else [],
            "created_time": epoch,
            "created_time_dt": when.isoformat(),
        },
        "risk_details": meta.risk,
        "remediation": {
            "desc": finding.remediation,
            "references": [explanation] if explanation else [],
        },
        "resources": [
            {
                "uid": finding.resource_arn or finding.resource_id,
                "name": finding.resource_id,
                "type": resource_type(finding),
                "region": finding.region,
                "cloud_partition": arn_partition(finding.resource_arn),
                "group": {"name": "application-autoscaling"},
                "labels": _labels(finding),
                "data": {"details": dict(finding.evidence)},
            }
        ],
        "cloud": {
            "provider": "aws",
            "region": finding.region,
            "account": {
                "uid": finding.account_id,
                "name": finding.account_name,
                "type_id": AWS_ACCOUNT_TYPE_ID,
                "type": "AWS Account",
            },
        },
        "unmapped": {
            "check_id": finding.check_id,
            "kb_article": finding.kb_article,
            "compliance": {k: list(v) for k, v in finding.compliance.items()},
            "scan_id": report.scan_id,
            "remediation_snippet": meta.remediation_snippet,
        },
    }


def render(report: ScanReport) -> str:
    return json_array_lines(detection_finding(f, report) for f in report.findings)
