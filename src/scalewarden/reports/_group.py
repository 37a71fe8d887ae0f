"""Grouping shared by the human formats (table, Markdown): worst first, passes summarised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from scalewarden.checks.model import Finding, Severity, Status, sort_findings

#: Statuses listed one by one; PASS findings are only counted (they are the long tail).
LISTED = (Status.FAIL, Status.ERROR, Status.MUTED)


def by_severity(findings: Sequence[Finding]) -> list[tuple[Severity, list[Finding]]]:
    """Listed findings grouped by severity, worst severity first, FAIL before ERROR/MUTED."""
    listed = [f for f in sort_findings(findings) if f.status in LISTED]
    groups: list[tuple[Severity, list[Finding]]] = []
    for severity in sorted(Severity, key=lambda s: -s.rank):
        members = [f for f in listed if f.severity is severity]
        if members:
            groups.append((severity, members))
    return groups


def passes_by_check(findings: Sequence[Finding]) -> Counter[str]:
    return Counter(f.check_id for f in findings if f.status is Status.PASS)


def place(finding: Finding) -> str:
    name = f" ({finding.account_name})" if finding.account_name else ""
    return f"{finding.account_id}{name} {finding.region}"
