"""`scalewarden mute add|list|remove`: accepted risks stored in the database.

Stored mutes are applied to digest scans (and later Slack scans) with the same matching as a
``--mutelist`` file. Input is checked first: an unknown check id, a past expiry, a bad account
id or region is exit 2 and stores nothing.
"""

from __future__ import annotations

import typer

from scalewarden.cli.app import EXIT_OK, app, open_store, remove_stored, usage_error

mute_app = typer.Typer(help="Accepted risks: add, list, remove.")
app.add_typer(mute_app, name="mute")


@mute_app.command("add")
def add(
    check_id: str = typer.Argument(..., help="The check to mute (see `scalewarden checks`)."),
    resource: str | None = typer.Argument(
        None, help="Resource pattern: the resource id, ARN or name (globs allowed)."
    ),
    reason: str = typer.Option(..., "--reason", help="Why this risk is accepted."),
    until: str | None = typer.Option(None, "--until", help="Expiry date, YYYY-MM-DD."),
    accounts: str | None = typer.Option(None, "--accounts", help="Only these account ids."),
    regions: str | None = typer.Option(None, "--regions", help="Only these regions."),
    author: str = typer.Option("cli", "--author", help="Who accepted it."),
) -> None:
    """Mute a check (optionally one resource pattern); prints the new mute id."""
    from datetime import UTC, datetime

    from scalewarden.checks.mutelist import MuteRequest

    now = datetime.now(UTC)
    try:
        request = MuteRequest.parse(
            check_id=check_id,
            resource_pattern=resource,
            reason=reason,
            until=until,
            accounts=accounts,
            regions=regions,
            now=now,
        )
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    with open_store() as store:
        try:
            mute = store.add_mute(
                check_id=request.check_id,
                resource_pattern=request.resource_pattern,
                accounts=request.accounts,
                regions=request.regions,
                reason=request.reason,
                author=author,
                now=now,
                expires_at=request.expires_at,
            )
        except ValueError as exc:
            raise usage_error(str(exc)) from None
    typer.echo(mute.id)
    raise typer.Exit(EXIT_OK)


@mute_app.command("list")
def list_mutes(
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List stored mutes, active and expired."""
    import json
    from datetime import UTC, datetime

    from scalewarden.digests.result import mute_to_dict

    now = datetime.now(UTC)
    with open_store() as store:
        mutes = store.mutes()
    if json_output:
        typer.echo(
            json.dumps([{**mute_to_dict(m), "active": m.active(now)} for m in mutes], indent=2)
        )
        raise typer.Exit(EXIT_OK)
    if not mutes:
        typer.echo("No stored mutes.")
    for m in mutes:
        until = f"until {m.expires_at.date()}" if m.expires_at else "no expiry"
        state = "" if m.active(now) else " [expired]"
        typer.echo(
            f"#{m.id} {m.check_id} {m.resource_pattern or '*'} ({until}){state}: "
            f"{m.reason} ({m.author})"
        )
    raise typer.Exit(EXIT_OK)


@mute_app.command("remove")
def remove(mute_id: int = typer.Argument(..., help="The id `mute list` shows.")) -> None:
    """Remove a stored mute."""
    remove_stored("mute", mute_id, lambda store, mid: store.remove_mute(mid))
