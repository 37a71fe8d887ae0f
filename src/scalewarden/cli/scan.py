"""`scalewarden scan`: check AWS accounts and print the findings.

Only Typer and the format registry (which imports no formatter) are imported at module
level; boto3, the checks and the report formatters are imported inside the command so that
``scalewarden --help`` stays instant and a one-check scan starts quickly. Progress goes to
stderr so that stdout carries only the report (pipeable to ``jq`` or a file).

Exit codes: 0 nothing at or above ``--fail-on``, 1 findings at or above it, 2 usage error,
3 the scan could not run at all.

Only FAIL findings decide the exit code. MUTED findings were accepted by someone, with a
reason. ERROR findings mean a check could not see its data (a denied API, a disabled region).
They do not fail the run: otherwise one missing permission would keep every pipeline red, and
the code could not tell "insecure" from "not visible". They are never silent either. When
ERROR findings exist at or above ``--fail-on``, stderr gets a warning with their count and
the checks involved, and the JSON ``summary`` counts them under ``by_status``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scalewarden.cli.app import (
    EXIT_CANNOT_RUN,
    EXIT_FINDINGS,
    EXIT_OK,
    app,
    open_store,
    usage_error,
)
from scalewarden.reports import format_choices, resolve_format

#: The shell's convention for a process stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    from scalewarden.scan import ProgressCallback, ProgressEvent


def _split(value: str | None) -> list[str] | None:
    if value is None or not value.strip():
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


class _RichProgress:
    """A progress bar on stderr plus one line per finished account/region."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]Collecting[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("collect", total=None)

    def __enter__(self) -> ProgressCallback:
        self.progress.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, event: ProgressEvent) -> None:
        self.progress.update(self.task, completed=event.done, total=event.total)
        if event.phase == "done":
            self.console.print(f"[green]✓[/green] {event.account_id} {event.region}")
        elif event.phase == "error":
            self.console.print(
                f"[yellow]![/yellow] {event.account_id} {event.region}: some data could not "
                "be read (see ERROR findings)"
            )


@app.command("scan")
def scan(
    regions: str | None = typer.Option(
        None, "--regions", help="Comma-separated regions, or 'all' (default: configured region)."
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
    fmt: str = typer.Option("table", "--format", help=f"One of: {format_choices()}."),
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Write the report to this file instead of stdout."),
    ] = None,
    fail_on: str = typer.Option(
        "high",
        "--fail-on",
        help="Exit 1 when a FAIL at or above this severity exists "
        "(MUTED and ERROR findings never count; ERROR ones are reported on stderr).",
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
) -> None:
    """Check AWS accounts for Application Auto Scaling security issues."""
    from scalewarden.aws.accounts import (
        parse_account_ids,
        validate_external_id,
        validate_role_name,
    )
    from scalewarden.aws.regions import parse_regions
    from scalewarden.checks.model import Severity

    # Validate everything before touching AWS: a typo must fail fast with exit 2.
    try:
        output_format = resolve_format(fmt)
        threshold = Severity.parse(fail_on)
        region_list = parse_regions(regions)
        account_list = parse_account_ids(accounts)
        if role_name is not None:
            role_name = validate_role_name(role_name)
        if external_id is not None:
            external_id = validate_external_id(external_id)
    except ValueError as exc:
        raise usage_error(str(exc)) from exc
    if organization and not role_name:
        raise usage_error("--organization needs --role-name")
    if external_id is not None and not role_name:
        # It would be ignored: a scan that silently skips the check the flag asks for.
        raise usage_error("--external-id needs --role-name")
    rules = None
    if mutelist is not None:
        from scalewarden.checks.mutelist import Mutelist

        try:
            rules = Mutelist.load(mutelist)
        except (OSError, ValueError) as exc:
            raise usage_error(f"mutelist: {exc}") from exc

    from scalewarden.reports.output import OutputError, ReportFile
    from scalewarden.scan import ScanError, ScanOptions, ScanScope, ScopeError, run_scan
    from scalewarden.settings import get_settings

    try:
        options = ScanOptions.from_settings(get_settings())
    except ValueError as exc:  # an invalid SCALEWARDEN_* variable (pydantic's ValidationError)
        raise usage_error(f"settings: {exc}") from exc
    scope = ScanScope(
        regions=region_list,
        accounts=account_list,
        role_name=role_name,
        external_id=external_id,
        organization=organization,
        profile=profile,
        checks=checks,
    )
    with contextlib.ExitStack() as stack:
        # Opened before the scan: a long scan must not end in "cannot store it".
        store = stack.enter_context(open_store()) if save else None
        target: ReportFile | None = None
        if output is not None:
            # Claimed before the scan: a long scan must not end in "cannot write".
            try:
                target = stack.enter_context(ReportFile(output))
            except OutputError as exc:
                raise usage_error(str(exc)) from exc
        try:
            with _RichProgress() as progress:
                report = run_scan(
                    scope,
                    progress=progress,
                    mutelist=rules,
                    options=options,
                )
        except ScopeError as exc:
            raise usage_error(str(exc)) from exc
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

        text = output_format.render(report)
        if target is not None:
            try:
                target.commit(text)
            except OutputError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(EXIT_CANNOT_RUN) from exc
            typer.echo(f"report written to {output}", err=True)
        else:
            typer.echo(text)

    if rules is not None:
        from datetime import UTC, datetime

        from scalewarden.checks.registry import check_ids

        for problem in rules.warnings(report.findings, datetime.now(UTC), known_checks=check_ids()):
            typer.echo(f"warning: mutelist: {problem}", err=True)
    warning = unseen_warning(report, threshold)
    if warning:
        typer.echo(warning, err=True)
    worst = report.worst_fail()
    raise typer.Exit(
        EXIT_FINDINGS if worst is not None and worst.rank >= threshold.rank else EXIT_OK
    )


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
