"""Markdown: a report to paste into a ticket, wiki or pull request.

Findings are grouped by severity, worst first, as tables; cell text is escaped so a ``|`` or
a backtick in a resource name cannot break the table.
"""

from __future__ import annotations

from scalewarden.checks.model import ScanReport
from scalewarden.reports._group import by_severity, passes_by_check, place
from scalewarden.reports._meta import one_line


def escape(text: object) -> str:
    """Make text safe inside a Markdown table cell: on one line, without control characters
    (a report read with ``cat`` must not drive the terminal) or bidirectional overrides
    (``one_line``, as the terminal table shows them), and no markup."""
    value = one_line("" if text is None else str(text))
    for char in ("\\", "|", "`", "*", "<", ">", "[", "]"):
        value = value.replace(char, "\\" + char)
    return value


def render(report: ScanReport) -> str:
    summary = report.summary
    counts = summary["by_status"]
    lines = [
        f"# scalewarden scan {escape(report.scan_id)}",
        "",
        f"- Started: {report.started_at.isoformat()}",
        f"- Finished: {report.finished_at.isoformat()}",
        "- Accounts: "
        + (
            ", ".join(
                escape(f"{a.get('id')}" + (f" ({a['name']})" if a.get("name") else ""))
                for a in report.accounts
            )
            or "none"
        ),
        f"- Regions: {', '.join(escape(r) for r in report.regions) or 'none'}",
        f"- Checks run: {summary['checks_run']}",
        "",
        "| Status | Count |",
        "| --- | ---: |",
    ]
    lines += [f"| {status} | {count} |" for status, count in counts.items()]
    lines.append("")
    fails = summary["fail_by_severity"]
    lines += ["| Severity (FAIL) | Count |", "| --- | ---: |"]
    lines += [f"| {sev} | {count} |" for sev, count in fails.items()]
    groups = by_severity(report.findings)
    if not groups:
        lines += ["", "No failed, errored or muted findings."]
    for severity, findings in groups:
        lines += [
            "",
            f"## {severity.value.capitalize()} ({len(findings)})",
            "",
            "| Status | Check | Account / region | Resource | Message | Remediation |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in findings:
            lines.append(
                f"| {f.status.value} | {escape(f.check_id)} | {escape(place(f))} | "
                f"{escape(f.resource_id)} | {escape(f.message)} | {escape(f.remediation)} |"
            )
    passes = passes_by_check(report.findings)
    if passes:
        lines += ["", "## Passed", "", "| Check | PASS findings |", "| --- | ---: |"]
        lines += [f"| {escape(c)} | {n} |" for c, n in sorted(passes.items())]
    if report.coverage:
        lines += ["", "## Not seen", "", "| Account | Region | Source | Reason |"]
        lines.append("| --- | --- | --- | --- |")
        for gap in report.coverage:
            lines.append(
                f"| {escape(gap.get('account_id'))} | {escape(gap.get('region'))} | "
                f"{escape(gap.get('source'))} | {escape(gap.get('reason'))} |"
            )
    return "\n".join(lines) + "\n"
