"""`scalewarden scan`: check AWS accounts and print the findings.

Only Typer is imported at module level; boto3, the checks and the report formatters are
imported inside the command so that ``scalewarden --help`` stays instant and a one-check scan
starts quickly. Progress goes to stderr so that stdout carries only the report (pipeable to
``jq`` or a file).

Exit codes: 0 nothing at or above ``--fail-on``, 1 findings at or above it, 2 usage error,
3 the scan could not run at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scalewarden.cli.app import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, app, usage_error

if TYPE_CHECKING:
    from scalewarden.scan import ProgressCallback

FORMATS = ("table", "json", "csv", "ocsf", "asff", "markdown")


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

    def update(self, event: Any) -> None:
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
    fmt: str = typer.Option("table", "--format", help=f"One of: {', '.join(FORMATS)}."),
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Write the report to this file instead of stdout."),
    ] = None,
    fail_on: str = typer.Option(
        "high", "--fail-on", help="Exit 1 when a FAIL at or above this severity exists."
    ),
    mutelist: Annotated[
        Path | None,
        typer.Option("--mutelist", help="YAML mutelist: matching findings become MUTED."),
    ] = None,
) -> None:
    """Check AWS accounts for Application Auto Scaling security issues."""
    from scalewarden.aws.accounts import parse_account_ids
    from scalewarden.aws.regions import parse_regions
    from scalewarden.checks.model import Severity

    # Validate everything before touching AWS: a typo must fail fast with exit 2.
    if fmt not in FORMATS:
        raise usage_error(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    try:
        threshold = Severity.parse(fail_on)
        region_list = parse_regions(regions)
        account_list = parse_account_ids(accounts)
    except ValueError as exc:
        raise usage_error(str(exc)) from exc
    if organization and not role_name:
        raise usage_error("--organization needs --role-name")
    rules = None
    if mutelist is not None:
        from scalewarden.checks.mutelist import Mutelist

        try:
            rules = Mutelist.load(mutelist)
        except (OSError, ValueError) as exc:
            raise usage_error(f"mutelist: {exc}") from exc

    from scalewarden.scan import ScanError, ScanScope, ScopeError, run_scan

    scope = ScanScope(
        regions=region_list,
        accounts=account_list,
        role_name=role_name,
        external_id=external_id,
        organization=organization,
        profile=profile,
        checks=checks,
    )
    try:
        with _RichProgress() as progress:
            report = run_scan(scope, progress=progress, mutelist=rules)
    except ScopeError as exc:
        raise usage_error(str(exc)) from exc
    except ScanError as exc:
        typer.echo(f"error: the scan could not run: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from exc

    from scalewarden.reports import render

    text = render(report, fmt)
    if output is not None:
        try:
            output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            raise usage_error(f"cannot write {output}: {exc}") from exc
        typer.echo(f"report written to {output}", err=True)
    else:
        typer.echo(text)

    worst = report.worst_fail()
    raise typer.Exit(
        EXIT_FINDINGS if worst is not None and worst.rank >= threshold.rank else EXIT_OK
    )
