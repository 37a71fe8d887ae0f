"""Terminal table (rich): findings grouped by severity, worst first, then a summary by
severity and by check.

Finding text is user-influenced (resource names, tags), so it is passed to rich as ``Text``
and never interpreted as markup: ``[REDACTED:email]`` must print as is.

The table fits the width it is given (the terminal's, for the CLI). Each finding is one row
of two columns, the status and the finding (check id and place, resource, message), so that
an 80-column terminal has room for it. No row wraps inside an identifier: a resource id or a
word of the message longer than the cell is shortened in the middle, on a ``/`` or ``:``
boundary where it has one, keeping its distinguishing tail (``arn:aws:iam:…/deploy-role``).
``wide=True`` prints every value whole instead. The machine formats always keep everything.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scalewarden.checks.model import ScanReport, Severity, Status
from scalewarden.reports._group import by_severity, passes_by_check, place
from scalewarden.reports._meta import one_line

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
#: Width when none is given (a report written to a file, where there is no terminal).
WIDTH = 160
#: The status column ("Status", "ERROR", "MUTED") and the table's borders and padding.
_STATUS_WIDTH = 6
_CHROME = 7
ELLIPSIS = "…"
_PIECES = re.compile(r"[^/:]+[/:]?|[/:]")


def shorten(value: str, limit: int) -> str:
    """``value`` in at most ``limit`` characters, elided in the middle.

    Whole ``/``- or ``:``-separated pieces are kept from the end first (the distinguishing
    part: a resource's name), then from the start with the room left, so an ARN keeps its
    service and its name: ``arn:aws:iam:…team/deploy-role``. Only when the last piece alone
    is longer than the room is it cut inside, keeping its start and end characters.
    """
    if len(value) <= limit:
        return value
    room = max(limit - 1, 2)
    pieces = _PIECES.findall(value)
    first = pieces[0] if len(pieces[0]) <= room // 3 else ""
    tail: list[str] = []
    used = len(first)
    for piece in reversed(pieces[1:]):
        if used + len(piece) > room:
            break
        tail.insert(0, piece)
        used += len(piece)
    if not tail:
        keep_head = room // 3
        return value[:keep_head] + ELLIPSIS + value[len(value) - (room - keep_head) :]
    head = ""
    used -= len(first)
    for piece in pieces[: len(pieces) - len(tail)]:
        if len(head) + len(piece) + used > room:
            break
        head += piece
    return head + ELLIPSIS + "".join(tail)


def _fit_words(text: str, limit: int) -> str:
    """Every whitespace-separated word of ``text`` at most ``limit`` characters long."""
    return " ".join(shorten(word, limit) for word in text.split(" "))


def _finding_cell(finding_text: tuple[str, str, str, str], budget: int | None) -> Text:
    check, where, resource, message = finding_text
    if budget is not None:
        where, resource, message = (
            _fit_words(where, budget),
            shorten(resource, budget),
            _fit_words(message, budget),
        )
    cell = Text(check, style="bold")
    cell.append("  ")
    cell.append(where, style="dim")
    cell.append("\n")
    cell.append(resource, style="cyan")
    cell.append("\n")
    cell.append(message)
    return cell


def _summary_tables(report: ScanReport) -> tuple[Table, Table]:
    """Counts by severity and by check, every status, like Prowler's closing overview."""
    statuses = (Status.FAIL, Status.ERROR, Status.MUTED, Status.PASS)
    by_sev: Counter[tuple[Severity, Status]] = Counter()
    by_check: Counter[tuple[str, Status]] = Counter()
    for f in report.findings:
        by_sev[(f.severity, f.status)] += 1
        by_check[(f.check_id, f.status)] += 1

    severity = Table(title="Summary by severity", title_justify="left", box=box.SIMPLE)
    severity.add_column("Severity", no_wrap=True)
    for status in statuses:
        severity.add_column(status.value, justify="right", no_wrap=True)
    for sev in sorted(Severity, key=lambda s: -s.rank):
        counts = [by_sev[(sev, s)] for s in statuses]
        if any(counts):
            severity.add_row(
                Text(sev.value, style=SEVERITY_STYLE[sev]),
                *(_count(n, s) for n, s in zip(counts, statuses, strict=True)),
            )

    checks = Table(title="Summary by check", title_justify="left", box=box.SIMPLE)
    checks.add_column("Check", no_wrap=True)  # ids stay whole: people grep and copy them
    for status in statuses:
        checks.add_column(status.value, justify="right", no_wrap=True)
    order = {c: i for i, c in enumerate(dict.fromkeys(f.check_id for f in report.findings))}
    for check in sorted(order, key=lambda c: (-by_check[(c, Status.FAIL)], order[c])):
        checks.add_row(Text(check), *(_count(by_check[(check, s)], s) for s in statuses))
    return severity, checks


def _count(n: int, status: Status) -> Text:
    return Text(str(n), style=STATUS_STYLE[status] if n else "dim")


def render(
    report: ScanReport, *, width: int | None = None, color: bool = False, wide: bool = False
) -> str:
    """The report as a terminal table ``width`` columns wide (default ``WIDTH``).

    ``color`` adds ANSI styles (severity and status); ``wide`` keeps every value whole.
    """
    width = width or WIDTH
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
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
    budget = None if wide else max(width - _STATUS_WIDTH - _CHROME - 1, 12)
    groups = by_severity(report.findings)
    if not groups:
        console.print(Text("No failed, errored or muted findings.", style="green"))
    for severity, findings in groups:
        table = Table(
            title=Text(
                f"{severity.value.upper()} ({len(findings)})", style=SEVERITY_STYLE[severity]
            ),
            title_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column("Status", no_wrap=True, width=_STATUS_WIDTH)
        table.add_column("Finding", overflow="fold", ratio=1)
        for f in findings:
            parts = (
                f.check_id,
                one_line(place(f)),
                one_line(f.resource_id),
                one_line(f.message),
            )
            table.add_row(
                Text(f.status.value, style=STATUS_STYLE[f.status]), _finding_cell(parts, budget)
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
            line = (
                f"  {gap.get('account_id')} {gap.get('region')} {gap.get('source')}: "
                f"{one_line(str(gap.get('reason')))}"
            )
            console.print(Text(line if wide else _fit_words(line, width - 2)))
    if report.findings:
        for table in _summary_tables(report):
            console.print(table)
    return buffer.getvalue()
