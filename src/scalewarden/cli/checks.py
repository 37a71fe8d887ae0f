"""`scalewarden checks`: list the check catalogue.

The catalogue is imported inside the command so that other sub-commands do not pay for it.
"""

from __future__ import annotations

import typer

from scalewarden.cli.app import CONTEXT_SETTINGS, EXIT_OK, app, usage_error


@app.command("checks", context_settings=CONTEXT_SETTINGS)
def checks_command(
    json_output: bool = typer.Option(
        False, "--json", help="Print the catalogue as JSON (one object per check)."
    ),
    select: str | None = typer.Option(
        None, "--checks", help="Only these check ids and/or topics (comma-separated)."
    ),
    compliance: bool = typer.Option(
        False,
        "--compliance",
        help="List the compliance frameworks (for 'scan --compliance') instead of the checks.",
    ),
) -> None:
    """List every posture check: id, severity, topic, title and knowledge base article."""
    import json

    if compliance:
        _list_frameworks(json_output)
        raise typer.Exit(EXIT_OK)

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

    console = Console(highlight=False)
    # Narrow terminals (and pipes, which rich treats as 80 columns) get the columns people
    # scan for; wide ones get the topic, scope and knowledge base article too.
    wide = console.width >= 120
    table = Table(title=f"{len(catalogue)} checks", title_justify="left")
    table.add_column("Id", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    if wide:
        table.add_column("Topic", no_wrap=True)
        table.add_column("Scope", no_wrap=True)
    table.add_column("Title", overflow="fold")
    if wide:
        table.add_column("Article", overflow="fold")
    for check in catalogue:
        cells = [Text(check.id), Text(check.severity.value)]
        if wide:
            cells += [Text(check.topic), Text(check.scope)]
        cells.append(Text(check.title))
        if wide:
            cells.append(Text(check.kb_article))
        table.add_row(*cells)
    console.print(table)
    raise typer.Exit(EXIT_OK)


def _list_frameworks(json_output: bool) -> None:
    """The shipped frameworks: the name ``scan --compliance`` takes and what is mapped."""
    import json

    from scalewarden.compliance import frameworks

    rows = [
        {
            "id": f.id,
            "key": f.key,
            "name": f.name,
            "aliases": list(f.aliases),
            "requirements_mapped": len(f.mapped_requirements()),
            "checks_mapped": len(f.mappings),
            "source": f.source,
        }
        for f in frameworks()
    ]
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(rows)} compliance frameworks", title_justify="left")
    table.add_column("Framework", no_wrap=True)
    table.add_column("Name")
    table.add_column("Requirements", justify="right", no_wrap=True)
    table.add_column("Checks", justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            Text(str(row["id"])),
            Text(str(row["name"])),
            str(row["requirements_mapped"]),
            str(row["checks_mapped"]),
        )
    Console(highlight=False).print(table)
