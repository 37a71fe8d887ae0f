"""`scalewarden checks`: list the check catalogue.

The catalogue is imported inside the command so that other sub-commands do not pay for it.
"""

from __future__ import annotations

import typer

from scalewarden.cli.app import EXIT_OK, app, usage_error


@app.command("checks")
def checks_command(
    json_output: bool = typer.Option(
        False, "--json", help="Print the catalogue as JSON (one object per check)."
    ),
    select: str | None = typer.Option(
        None, "--checks", help="Only these check ids and/or topics (comma-separated)."
    ),
) -> None:
    """List every posture check: id, severity, topic, title and knowledge base article."""
    import json

    from scalewarden.checks.registry import select as select_checks

    try:
        catalogue = select_checks(select)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    if json_output:
        typer.echo(json.dumps([c.to_dict() for c in catalogue], indent=2))
        raise typer.Exit(EXIT_OK)

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(catalogue)} checks", title_justify="left")
    for column in ("Id", "Severity", "Topic", "Scope"):
        table.add_column(column, no_wrap=True)
    for column in ("Title", "Article"):
        table.add_column(column, overflow="fold")
    for check in catalogue:
        table.add_row(
            Text(check.id),
            Text(check.severity.value),
            Text(check.topic),
            Text(check.scope),
            Text(check.title),
            Text(check.kb_article),
        )
    Console(highlight=False).print(table)
    raise typer.Exit(EXIT_OK)
