"""`scalewarden alerts add|list|remove`: which channels get live alerts, from the command line.

The same rules as Slack's ``/scalewarden alerts``: input is checked before anything is written
(a bad channel id, severity, region or account id is exit 2 and stores nothing). With
``SLACK_BOT_TOKEN`` set, ``add`` also applies the channel rules (the bot must be a member; a
channel shared with another organisation is refused); without one it says the channel was not
checked. Alerts themselves arrive at ``POST /aws/events`` of ``scalewarden serve``.
"""

from __future__ import annotations

from typing import Any

import typer

from scalewarden.alerts.subscriptions import DEFAULT_MIN_SEVERITY
from scalewarden.cli.app import EXIT_OK, app, open_store, remove_stored
from scalewarden.cli.subscriptions import (
    add_subscription,
    echo_subscription,
    subscription_json,
)

alerts_app = typer.Typer(help="Live alerts on risky scaling changes: add, list, remove.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("add")
def add(
    channel: str = typer.Option(..., "--channel", help="Slack channel id, e.g. C0123456789."),
    min_severity: str = typer.Option(
        DEFAULT_MIN_SEVERITY, "--min-severity", help="Leave out alerts below this severity."
    ),
    accounts: str | None = typer.Option(
        None, "--accounts", help="Comma-separated account ids (default: every account)."
    ),
    regions: str | None = typer.Option(
        None, "--regions", help="Comma-separated regions, or 'all' (the default)."
    ),
) -> None:
    """Subscribe a channel to live alerts; prints the new subscription id."""
    from datetime import UTC, datetime

    from scalewarden.alerts.subscriptions import AlertSubscriptionRequest

    add_subscription(
        lambda: AlertSubscriptionRequest.parse(
            channel=channel, min_severity=min_severity, regions=regions, accounts=accounts
        ),
        lambda store, request: store.add_alert_subscription(
            **request.stored(), created_by="cli", now=datetime.now(UTC)
        ),
    )


@alerts_app.command("list")
def list_subscriptions(
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List alert subscriptions with their last error."""
    import json

    with open_store() as store:
        subscriptions = store.alert_subscriptions()
    rows: list[dict[str, Any]] = [subscription_json(s) for s in subscriptions]
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        raise typer.Exit(EXIT_OK)
    if not rows:
        typer.echo("No alert subscriptions (add one with `scalewarden alerts add`).")
    for row in rows:
        regions = ",".join(row["regions"]) or "every region"
        accounts = ",".join(row["accounts"]) or "every account"
        echo_subscription(
            f"#{row['id']} {row['channel']} min={row['min_severity']} ({regions}; {accounts})",
            row,
        )
    raise typer.Exit(EXIT_OK)


@alerts_app.command("remove")
def remove(subscription_id: int = typer.Argument(..., help="The id `alerts list` shows.")) -> None:
    """Remove an alert subscription."""
    remove_stored(
        "alert subscription",
        subscription_id,
        lambda store, sid: store.remove_alert_subscription(sid),
    )
