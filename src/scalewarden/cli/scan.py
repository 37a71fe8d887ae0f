"""`scalewarden scan`: check AWS accounts and print the findings.

Only Typer and the format registry (which imports no formatter) are imported at module
level; boto3, the checks and the report formatters are imported inside the command so that
``scalewarden --help`` stays instant and a one-check scan starts quickly. Progress goes to
stderr so that stdout carries only the report (pipeable to ``jq`` or a file).

Exit codes: 0 nothing at or above ``--fail-on`` (always, with ``--fail-on none``, once the
scan ran), 1 findings at or above it, 2 usage error, 3 the scan could not run at all, 4 the
local AWS set-up cannot be used (unknown ``--profile`` or ``AWS_PROFILE``, an unreadable
config file, no credentials or credentials AWS refuses).

Only FAIL findings decide the exit code. MUTED findings were accepted by someone, with a
reason. ERROR findings mean a check could not see its data (a denied API, a disabled region).
They do not fail the run: otherwise one missing permission would keep every pipeline red, and
the code could not tell "insecure" from "not visible". They are never silent either. When
ERROR findings exist at or above ``--fail-on``, stderr gets a warning with their count and
the checks involved, and the JSON ``summary`` counts them under ``by_status``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scalewarden.cli.app import (
    CONTEXT_SETTINGS,
    EXIT_AWS_CONFIG,
    EXIT_CANNOT_RUN,
    EXIT_FINDINGS,
    EXIT_OK,
    app,
    open_store,
    usage_error,
)
from scalewarden.reports import OutputFormat, format_choices, resolve_format

#: The shell's convention for a process stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    from rich.console import Console

    from scalewarden.scan import ProgressCallback, ProgressEvent


def _split(value: str | None) -> list[str] | None:
    if value is None or not value.strip():
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


class _RichProgress:
    """A progress bar on stderr counting API calls done out of those known so far, with the
    regions finished and the elapsed time; one line per finished account/region.

    Shown only when stderr is a terminal: in CI logs and pipes a redrawn bar is noise, so
    there the scan ends with one summary line instead (``summary()``).
    """

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console(stderr=True, highlight=False)
        self.enabled = self.console.is_terminal
        self.progress = Progress(
            TextColumn("Collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("API calls · {task.fields[units]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("collect", total=None, units="starting")
        self.calls = 0
        self.started = time.monotonic()

    def __enter__(self) -> ProgressCallback:
        if self.enabled:
            self.progress.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def summary(self, report: Any) -> str:
        """One line for the log: what was scanned, and the work it took."""
        ids = ", ".join(str(a.get("id")) for a in report.accounts[:5])
        more = f" and {len(report.accounts) - 5} more" if len(report.accounts) > 5 else ""
        return (
            f"scanned {len(report.accounts)} account(s) ({ids}{more}) in "
            f"{len(report.regions)} region(s): {self.calls} API calls in "
            f"{time.monotonic() - self.started:.1f} s"
        )

    def update(self, event: ProgressEvent) -> None:
        from rich.text import Text

        self.calls = max(self.calls, event.calls_done)
        if not self.enabled:
            return
        self.progress.update(
            self.task,
            completed=event.calls_done,
            total=max(event.calls_known, 1),
            units=f"{event.done}/{event.total} regions",
        )
        if event.phase == "done":
            self.console.print(Text(f"✓ {event.account_id} {event.region}", style="green"))
        elif event.phase == "error":
            self.console.print(
                Text(
                    f"! {event.account_id} {event.region}: some data could not be read "
                    "(see ERROR findings)",
                    style="yellow",
                )
            )


def _formats(value: str) -> list[OutputFormat]:
    """``--format json,csv`` → the formats, each once, in the order given."""
    names = _split(value) or ["table"]
    chosen: dict[str, OutputFormat] = {}
    for name in names:
        found = resolve_format(name)
        chosen.setdefault(found.name, found)
    return list(chosen.values())


def _write_all(
    folder: Path, formats: list[OutputFormat], report: Any, scan_id: str, *, wide: bool
) -> None:
    """Every format to ``folder/scalewarden-<scan_id>.<ext>``, all or none.

    Each is rendered before any is written, so a formatter that fails leaves no partial set;
    a write that fails removes the ones already written (new paths of this scan's id, so
    nothing older is lost).
    """
    from scalewarden.reports.output import OutputError, ReportFile

    texts = [(each, _render(each, report, terminal=None, wide=wide)) for each in formats]
    written: list[Path] = []
    try:
        for each, text in texts:
            path = folder / each.filename(f"scalewarden-{scan_id}")
            with ReportFile(path) as file:
                file.commit(text)
            written.append(path)
    except OutputError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    for (each, _), path in zip(texts, written, strict=True):
        typer.echo(f"{each.name} report written to {path}", err=True)


def _render(fmt: OutputFormat, report: Any, *, terminal: Console | None, wide: bool) -> str:
    """The report in ``fmt``; the table takes the terminal's width and colours when printed
    to one, and a fixed width in files."""
    if fmt.name != "table":
        return fmt.render(report)
    from scalewarden.reports.table import render as render_table

    if terminal is None:
        return render_table(report, wide=wide)
    return render_table(report, width=terminal.width, color=terminal.is_terminal, wide=wide)


@app.command("scan", context_settings=CONTEXT_SETTINGS)
def scan(
    regions: str | None = typer.Option(
        None,
        "--regions",
        "--region",
        help="Comma-separated regions, or 'all' (default: the configured region; with none "
        "configured, every enabled region).",
    ),
    accounts: str | None = typer.Option(
        None, "--accounts", help="Comma-separated account ids (needs --role-name)."
    ),
    role_name: str | None = typer.Option(
        None, "--role-name", help="Role to assume in each account."
    ),
    external_id: str | None = typer.Option(None, "--external-id", help="External id for the role."),
    organization: bool = typer.Option(
        False, "--organization", help="Scan every ACTIVE account of the organization."
    ),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile to use."),
    checks: str | None = typer.Option(
        None, "--checks", help="Comma-separated check ids and/or topics (default: all)."
    ),
    exclude_checks: str | None = typer.Option(
        None, "--exclude-checks", help="Comma-separated check ids and/or topics to skip."
    ),
    severity: str | None = typer.Option(
        None,
        "--severity",
        help="Only run checks of these severities (comma-separated: critical, high, medium, "
        "low, informational).",
    ),
    status: str | None = typer.Option(
        None,
        "--status",
        help="Only report findings with these statuses (comma-separated: FAIL, ERROR, MUTED, "
        "PASS). The exit code still counts every FAIL.",
    ),
    fmt: str = typer.Option(
        "table",
        "--format",
        help=f"One or more (comma-separated) of: {format_choices()}.",
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Write the report to this file instead of stdout."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Write each --format to DIR/scalewarden-<scan_id>.<ext> (created if missing).",
        ),
    ] = None,
    wide: bool = typer.Option(
        False, "--wide", help="Table: print every value whole instead of fitting the width."
    ),
    compliance: str | None = typer.Option(
        None,
        "--compliance",
        help="End with the requirements of this framework (see 'scalewarden checks "
        "--compliance') and their PASS/FAIL/ERROR counts.",
    ),
    fail_on: str = typer.Option(
        "high",
        "--fail-on",
        help="Exit 1 when a FAIL at or above this severity exists, or 'none' to exit 0 "
        "whenever the scan ran (MUTED and ERROR findings never count; ERROR ones are "
        "reported on stderr).",
    ),
    mutelist: Annotated[
        Path | None,
        typer.Option("--mutelist", help="YAML mutelist: matching findings become MUTED."),
    ] = None,
    save: bool = typer.Option(
        False,
        "--save",
        help="Store the report with its scope in the database (see `scalewarden history`).",
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Scan the embedded demo account (a local AWS on loopback) instead of AWS: "
        "no credentials needed, no real account touched. Needs the demo extra.",
    ),
) -> None:
    """Check AWS accounts for Application Auto Scaling security issues."""
    from scalewarden.aws.accounts import (
        parse_account_ids,
        validate_external_id,
        validate_role_name,
    )
    from scalewarden.aws.regions import parse_regions
    from scalewarden.checks.model import Severity, Status

    # Validate everything before touching AWS: a typo must fail fast with exit 2.
    try:
        formats = _formats(fmt)
        threshold = None if fail_on.strip().lower() == "none" else Severity.parse(fail_on)
        severities = tuple(Severity.parse(s).value for s in _split(severity) or ())
        statuses = {Status.parse(s) for s in _split(status) or ()}
        # The demo's regions are checked against the demo account alone: no AWS configuration
        # (a profile, for one) may be read for it.
        region_list = _split(regions) if demo else parse_regions(regions)
        account_list = parse_account_ids(accounts)
        if role_name is not None:
            role_name = validate_role_name(role_name)
        if external_id is not None:
            external_id = validate_external_id(external_id)
        framework = None
        if compliance is not None:
            from scalewarden.compliance import resolve_framework

            framework = resolve_framework(compliance)
    except ValueError as exc:
        raise usage_error(str(exc)) from exc
    if demo:
        real = {
            "--accounts": accounts,
            "--organization": organization or None,
            "--role-name": role_name,
            "--external-id": external_id,
            "--profile": profile,
            # A demo report must not mix with real ones in the database.
            "--save": save or None,
        }
        named = [flag for flag, value in real.items() if value is not None]
        if named:
            raise usage_error(f"--demo scans only the embedded demo account; drop {named[0]}")
        from scalewarden.cli.demo import require_demo_extra

        require_demo_extra()
    if organization and not role_name:
        raise usage_error("--organization needs --role-name")
    if external_id is not None and not role_name:
        # It would be ignored: a scan that silently skips the check the flag asks for.
        raise usage_error("--external-id needs --role-name")
    if output is not None and output_dir is not None:
        raise usage_error("--output and --output-dir cannot be used together")
    if len(formats) > 1 and output_dir is None:
        raise usage_error("several formats need --output-dir DIR (one file per format)")
    rules = None
    if mutelist is not None:
        from scalewarden.checks.mutelist import Mutelist

        try:
            rules = Mutelist.load(mutelist)
        except (OSError, ValueError) as exc:
            raise usage_error(f"mutelist: {exc}") from exc

    from rich.console import Console

    from scalewarden.reports.output import OutputError, ReportFile, writable_dir
    from scalewarden.scan import (
        CredentialsError,
        ScanError,
        ScanOptions,
        ScanScope,
        ScopeError,
        run_scan,
    )
    from scalewarden.settings import get_settings

    try:
        settings = get_settings()
        if demo:
            from scalewarden.demo import DEMO_REGIONS, demo_account

            # The demo account's own region, whatever SCALEWARDEN_AWS_REGION says.
            settings = settings.model_copy(update={"aws_region": DEMO_REGIONS[0]})
        options = ScanOptions.from_settings(settings)
    except ValueError as exc:  # an invalid SCALEWARDEN_* variable (pydantic's ValidationError)
        raise usage_error(f"settings: {exc}") from exc
    if demo:
        typer.echo(
            "Scanning the embedded demo account: a local AWS on 127.0.0.1 with planted "
            "problems. No real AWS account is touched.",
            err=True,
        )
        unknown = sorted(set(region_list or ()) - {*DEMO_REGIONS, "all"})
        if unknown:
            raise usage_error(
                f"the demo account has no region {unknown[0]}; it has {', '.join(DEMO_REGIONS)}"
            )
    scope = ScanScope(
        regions=region_list,
        accounts=account_list,
        role_name=role_name,
        external_id=external_id,
        organization=organization,
        profile=profile,
        checks=checks,
        exclude_checks=exclude_checks,
        severities=severities or None,
    )
    with contextlib.ExitStack() as stack:
        # Opened before the scan: a long scan must not end in "cannot store it".
        store = stack.enter_context(open_store()) if save else None
        applied = rules
        if store is not None:
            # A saved scan is history a digest diffs with: the stored mutes apply to it, as
            # to Slack's and the digests' scans, through the same matcher as the file's.
            from scalewarden.checks.mutelist import Mutelist

            stored = Mutelist.from_stored(store.mutes())
            applied = stored if rules is None else rules + stored
        target: ReportFile | None = None
        # Claimed before the scan: a long scan must not end in "cannot write".
        try:
            if output is not None:
                target = stack.enter_context(ReportFile(output))
            if output_dir is not None:
                writable_dir(output_dir)
        except OutputError as exc:
            raise usage_error(str(exc)) from exc
        if demo:
            account = stack.enter_context(demo_account())
            demo_regions = [r for r in region_list or () if r != "all"] or list(account.regions)
            scope = dataclasses.replace(scope, regions=demo_regions)
        elif regions is None:
            _say_when_all_regions(profile, options.region)
        try:
            tracker = _RichProgress()
            with tracker as progress:
                report = run_scan(scope, progress=progress, mutelist=applied, options=options)
        except ScopeError as exc:
            raise usage_error(str(exc)) from exc
        except CredentialsError as exc:
            typer.echo(f"error: AWS set-up: {exc}", err=True)
            raise typer.Exit(EXIT_AWS_CONFIG) from exc
        except ScanError as exc:
            typer.echo(f"error: the scan could not run: {exc}", err=True)
            raise typer.Exit(EXIT_CANNOT_RUN) from exc
        except KeyboardInterrupt:
            typer.echo("error: the scan was interrupted; no report written", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # a bug must still end in one clear line, not a traceback
            typer.echo(f"error: the scan failed: {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(EXIT_CANNOT_RUN) from exc

        if store is not None:
            saved = store.save_scan(
                report.to_dict(),
                requested_by="cli",
                scope_key=scope.key(),
                checks=scope.check_ids(),
            )
            typer.echo(f"scan saved as {saved}", err=True)

        typer.echo(tracker.summary(report), err=True)
        shown = report
        if statuses:
            shown = dataclasses.replace(
                report, findings=[f for f in report.findings if f.status in statuses]
            )
        stdout = Console(highlight=False, markup=False, soft_wrap=True)
        try:
            if output_dir is not None:
                _write_all(output_dir, formats, shown, report.scan_id, wide=wide)
            elif target is not None:
                target.commit(_render(formats[0], shown, terminal=None, wide=wide))
                typer.echo(f"report written to {output}", err=True)
            else:
                typer.echo(_render(formats[0], shown, terminal=stdout, wide=wide))
        except OutputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_CANNOT_RUN) from exc
        except Exception as exc:  # a formatter's bug: one clear line, no report written
            typer.echo(
                f"error: the report could not be rendered: {type(exc).__name__}: {exc}", err=True
            )
            raise typer.Exit(EXIT_CANNOT_RUN) from exc
        if framework is not None:
            # After a machine format on stdout the table would corrupt it: stderr then.
            machine_on_stdout = output is None and output_dir is None and formats[0].name != "table"
            console = Console(stderr=True, highlight=False) if machine_on_stdout else stdout
            _print_requirements(console, framework, report)

    if rules is not None:
        from datetime import UTC, datetime

        from scalewarden.checks.registry import check_ids

        for problem in rules.warnings(report.findings, datetime.now(UTC), known_checks=check_ids()):
            typer.echo(f"warning: mutelist: {problem}", err=True)

    if threshold is None:
        raise typer.Exit(EXIT_OK)
    warning = unseen_warning(report, threshold)
    if warning:
        typer.echo(warning, err=True)
    worst = report.worst_fail()
    raise typer.Exit(
        EXIT_FINDINGS if worst is not None and worst.rank >= threshold.rank else EXIT_OK
    )


def _say_when_all_regions(profile: str | None, region: str | None) -> None:
    """With no region named or configured the scan covers every enabled region; say so."""
    from scalewarden.aws.session import make_session

    try:
        configured = make_session(profile, region).region_name
    except Exception:  # the scan itself reports a bad profile, with its exit code
        return
    if not configured:
        typer.echo(
            "note: no region configured, so every enabled region is scanned "
            "(as --regions all); pass --regions to narrow it",
            err=True,
        )


def _print_requirements(console: Console, framework: Any, report: Any) -> None:
    """The per-requirement table of ``--compliance``: checks and their finding counts."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from scalewarden.compliance import requirement_rows

    styles = {
        "FAIL": "bold red",
        "ERROR": "magenta",
        "MUTED": "dim",
        "PASS": "green",
        "NO DATA": "dim",
    }
    table = Table(
        title=f"{framework.name} ({framework.key})",
        title_justify="left",
        box=box.SIMPLE,
        show_lines=True,
        pad_edge=False,
        collapse_padding=True,  # one space between columns: it fits 80 columns
    )
    table.add_column("Id", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    # The requirement's title, then its check ids whole (one per line).
    table.add_column("Requirement and checks", min_width=40)
    for name in ("PASS", "FAIL", "ERROR"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in requirement_rows(framework, report.findings):
        cell = Text(row.title + "\n", style="dim") if row.title else Text()
        cell.append("\n".join(row.checks))
        table.add_row(
            Text(row.requirement, style="bold"),
            Text(row.status, style=styles[row.status]),
            cell,
            str(row.passed),
            str(row.failed),
            str(row.errors),
        )
    console.print(table)


def unseen_warning(report: Any, threshold: Any) -> str | None:
    """A stderr line for ERROR findings at or above ``threshold``, or ``None``.

    ERROR does not change the exit code (see the module docstring), so this line is what keeps
    a high-severity check that could not run from passing unnoticed in CI logs.
    """
    from scalewarden.checks.model import Status

    errors = [
        f for f in report.findings if f.status is Status.ERROR and f.severity.rank >= threshold.rank
    ]
    if not errors:
        return None
    checks = sorted({f.check_id for f in errors})
    shown = ", ".join(checks[:5]) + (f" and {len(checks) - 5} more" if len(checks) > 5 else "")
    return (
        f"warning: {len(errors)} finding(s) at or above {threshold.value} are ERROR (not "
        f"evaluated, so not counted in the exit code): {shown}"
    )
