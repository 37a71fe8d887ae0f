"""`scalewarden events replay FILE`: recorded EventBridge events through the alert rules.

The same classifier the events endpoint uses, offline: tune protection tags and see which
events of a day would have alerted. Nothing is posted and nothing is stored. A file that does
not read (not JSON, not events) is exit 2 and classifies nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scalewarden.cli.app import EXIT_OK, app, usage_error

events_app = typer.Typer(help="EventBridge events: replay recorded ones through the alert rules.")
app.add_typer(events_app, name="events")


@events_app.command("replay")
def replay(
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSON file (one event or a list of events) or JSON lines, one event a line."
        ),
    ],
    json_output: bool = typer.Option(False, "--json", help="Print the alerts as JSON."),
    protection_tags: Annotated[
        list[str] | None,
        typer.Option(
            "--protection-tag",
            help="KEY=VALUE marking a protected target (repeatable; default "
            "SCALEWARDEN_ALERT_PROTECTION_TAG, else environment=production).",
        ),
    ] = None,
) -> None:
    """Classify each event and print the alerts it raises (severity, rule, who, where, what)."""
    import json

    from scalewarden.alerts import AlertContext, EventError, classify, read_events
    from scalewarden.settings import get_settings, parse_protection_tag

    tags: list[tuple[str, str]] = []
    for item in protection_tags or ():
        try:
            tags.append(parse_protection_tag(item))
        except ValueError as exc:
            raise usage_error(f"--protection-tag: {exc}") from None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise usage_error(f"cannot read {file}: {exc}") from None
    try:
        events = read_events(text)
    except EventError as exc:
        raise usage_error(f"{file}: {exc}") from None
    if not tags:
        try:
            tags = list(get_settings().alert_protection_tags)
        except ValueError as exc:  # an invalid SCALEWARDEN_* variable (pydantic's ValidationError)
            raise usage_error(str(exc)) from None
    context = AlertContext(protection_tags=tuple(tags))
    alerts = [alert for event in events if (alert := classify(event, context)) is not None]
    if json_output:
        typer.echo(json.dumps([a.to_dict() for a in alerts], indent=2))
        raise typer.Exit(EXIT_OK)
    noun = "event" if len(events) == 1 else "events"
    if not alerts:
        typer.echo(f"{len(events)} {noun}, no alerts.")
        raise typer.Exit(EXIT_OK)

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    title = f"{len(events)} {noun}, {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    table = Table(title=title, title_justify="left")
    table.add_column("Severity", no_wrap=True)
    for name in ("Rule", "When", "Who", "Account / region", "Resource", "What"):
        table.add_column(name, overflow="fold")
    for a in alerts:
        who = (
            f"{a.who.name} ({a.who.source})"
            if a.who and a.who.source
            else (a.who.name if a.who else "")
        )
        changes = "; ".join(
            f"{c.field}: {c.before} → {c.after}" if c.before else f"{c.field}: {c.after}"
            for c in a.changes
        )
        what = f"{a.summary} {changes}".strip() if changes else a.summary
        cells = (
            a.severity.value,
            a.rule_id,
            a.when,
            who,
            f"{a.account} {a.region}",
            a.resource,
            what,
        )
        table.add_row(*(Text(v) for v in cells))
    Console(highlight=False).print(table)
    raise typer.Exit(EXIT_OK)
