"""`scalewarden history`: the stored scans, newest first, with scope and counts.

Scans from Slack, from digests and from ``scan --save`` share one database, so this is also
where a digest whose post may or may not have gone out ("uncertain") shows up.
"""

from __future__ import annotations

import typer

from scalewarden.cli.app import EXIT_OK, app, open_store, usage_error


@app.command("history")
def history(
    limit: int = typer.Option(20, "--limit", help="How many scans to show (newest first)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List stored scans: id, time, scope and counts by status."""
    import json

    if not 1 <= limit <= 10_000:
        raise usage_error(f"--limit must be between 1 and 10000, got {limit}")
    with open_store() as store:
        scans = store.scan_history(limit=limit)
    if json_output:
        typer.echo(
            json.dumps(
                [
                    {
                        "scan_id": s.scan_id,
                        "started_at": s.started_at.isoformat(),
                        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                        "requested_by": s.requested_by,
                        "scope_key": s.scope_key,
                        "accounts": list(s.accounts),
                        "regions": list(s.regions),
                        "checks": s.checks,
                        "by_status": s.by_status,
                        "deliveries": [
                            {"subscription_id": sid, "state": state} for sid, state in s.deliveries
                        ],
                    }
                    for s in scans
                ],
                indent=2,
            )
        )
        raise typer.Exit(EXIT_OK)
    if not scans:
        typer.echo("No stored scans yet (run `scalewarden scan --save`).")
        raise typer.Exit(EXIT_OK)

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    noun = "scan" if len(scans) == 1 else "scans"
    table = Table(title=f"{len(scans)} {noun}, newest first", title_justify="left")
    table.add_column("Scan", no_wrap=True)  # an id must stay copyable
    table.add_column("Started (UTC)", no_wrap=True)
    for name in ("By", "Accounts", "Regions", "FAIL/ERROR/MUTED", "Digests"):
        table.add_column(name, overflow="fold")
    for s in scans:
        counts = "/".join(str(s.by_status.get(k, 0)) for k in ("FAIL", "ERROR", "MUTED"))
        digests = ", ".join(f"#{sid} {state}" for sid, state in s.deliveries)
        table.add_row(
            *(
                Text(v)
                for v in (
                    s.scan_id,
                    s.started_at.strftime("%Y-%m-%d %H:%M"),
                    s.requested_by or "",
                    ",".join(s.accounts),
                    ",".join(s.regions),
                    counts,
                    digests,
                )
            )
        )
    Console(highlight=False).print(table)
    raise typer.Exit(EXIT_OK)
