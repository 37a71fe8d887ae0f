"""Terminal table (rich): findings grouped by severity, worst first.

Finding text is user-influenced (resource names, tags), so it is passed to rich as ``Text``
and never interpreted as markup: ``[REDACTED:email]`` must print as is. Cells are put on one
line and very long resource ids are shortened in the middle (the machine formats keep them).
"""

from __future__ import annotations

import io
import unicodedata

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scalewarden.checks.model import ScanReport, Severity, Status
from scalewarden.reports._group import by_severity, passes_by_check, place

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}
STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.MUTED: "dim",
    Status.PASS: "green",
}
WIDTH = 160
#: Longest resource id shown whole. Custom-resource ids are URLs of up to 1,600 characters;
#: folded into a narrow column one finding would fill a screen. The JSON and CSV formats keep
#: the whole id; here its start and end (the distinctive parts) stay, the middle is elided.
RESOURCE_MAX = 240


def _one_line(value: str) -> str:
    """Text on one line with no control characters (AWS allows CR/LF/TAB in some ids).

    A newline in a resource id would otherwise add rows that look like the table's own, and
    a stray control character could move the terminal's cursor.
    """
    cleaned = "".join(" " if unicodedata.category(c) == "Cc" else c for c in value)
    return " ".join(cleaned.split())


def _resource(value: str, limit: int = RESOURCE_MAX) -> str:
    text = _one_line(value)
    if len(text) <= limit:
        return text
    keep = limit - 1
    head = keep * 2 // 3
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def render(report: ScanReport, *, width: int = WIDTH, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
    )
    summary = report.summary
    counts = summary["by_status"]
    header = Text(f"Scan {report.scan_id}  ")
    header.append(
        f"{len(report.accounts)} account(s), {len(report.regions)} region(s), "
        f"{summary['checks_run']} check(s): "
        f"{counts['FAIL']} FAIL, {counts['ERROR']} ERROR, {counts['MUTED']} MUTED, "
        f"{counts['PASS']} PASS"
    )
    console.print(header)
    groups = by_severity(report.findings)
    if not groups:
        console.print(Text("No failed, errored or muted findings.", style="green"))
    for severity, findings in groups:
        table = Table(
            title=Text(
                f"{severity.value.upper()} ({len(findings)})", style=SEVERITY_STYLE[severity]
            ),
            title_justify="left",
            show_lines=False,
            expand=True,
        )
        table.add_column("Status", no_wrap=True)
        table.add_column("Check", no_wrap=True)  # ids stay whole: people grep and copy them
        table.add_column("Account / region", overflow="fold", ratio=1)
        table.add_column("Resource", overflow="fold", ratio=2)
        table.add_column("Message", overflow="fold", ratio=4)
        for f in findings:
            table.add_row(
                Text(f.status.value, style=STATUS_STYLE[f.status]),
                Text(f.check_id),
                Text(_one_line(place(f))),
                Text(_resource(f.resource_id)),
                Text(_one_line(f.message)),
            )
        console.print(table)
    passes = passes_by_check(report.findings)
    if passes:
        console.print(
            Text(
                f"PASS: {sum(passes.values())} finding(s) across {len(passes)} check(s).",
                style="green",
            )
        )
    if report.coverage:
        console.print(Text(f"Not seen ({len(report.coverage)}):", style="magenta"))
        for gap in report.coverage:
            console.print(
                Text(
                    f"  {gap.get('account_id')} {gap.get('region')} {gap.get('source')}: "
                    f"{gap.get('reason')}"
                )
            )
    return buffer.getvalue()
