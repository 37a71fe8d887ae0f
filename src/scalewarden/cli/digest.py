"""`scalewarden digest add|list|remove|run`: scheduled posture digests from the command line.

The same rules as Slack's ``/scalewarden digest``: input is checked before anything is
written (a bad schedule, time zone, severity, region or account id is exit 2 and stores
nothing), and with ``SLACK_BOT_TOKEN`` set ``add`` applies the channel rules
(``cli.subscriptions``). ``digest run`` scans now and prints or posts the digest; the
schedule itself is kept by the scheduler inside ``scalewarden serve``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from scalewarden.cli.app import EXIT_OK, app, cannot_run, open_store, remove_stored, usage_error
from scalewarden.cli.subscriptions import (
    add_subscription,
    echo_subscription,
    subscription_json,
)

if TYPE_CHECKING:
    from scalewarden.digests.result import DigestResult
    from scalewarden.settings import Settings
    from scalewarden.store import Store
    from scalewarden.store.records import Delivery, Subscription

digest_app = typer.Typer(help="Scheduled posture digests: add, list, remove, run.")
app.add_typer(digest_app, name="digest")


@digest_app.command("add")
def add(
    channel: str = typer.Option(..., "--channel", help="Slack channel id, e.g. C0123456789."),
    schedule: str = typer.Option(
        ...,
        "--schedule",
        help="'daily 09:00', 'weekdays 09:00', 'weekly mon 09:00' or a 5-field cron expression.",
    ),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone, e.g. Europe/Berlin."),
    min_severity: str = typer.Option(
        "low", "--min-severity", help="Leave out findings below this severity."
    ),
    regions: str | None = typer.Option(None, "--regions", help="Comma-separated, or 'all'."),
    accounts: str | None = typer.Option(None, "--accounts", help="Comma-separated account ids."),
) -> None:
    """Subscribe a channel to a digest; prints the new subscription id."""
    from datetime import UTC, datetime

    from scalewarden.digests.subscriptions import SubscriptionRequest

    add_subscription(
        lambda: SubscriptionRequest.parse(
            channel=channel,
            schedule=schedule,
            timezone=timezone,
            min_severity=min_severity,
            regions=regions,
            accounts=accounts,
        ),
        lambda store, request: store.add_subscription(
            **request.stored(), created_by="cli", now=datetime.now(UTC)
        ),
    )


@digest_app.command("list")
def list_subscriptions(
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List subscriptions with their next fire time, last delivery and last error."""
    import json
    from datetime import UTC, datetime

    from scalewarden.digests.schedule import Schedule, ScheduleError

    now = datetime.now(UTC)
    with open_store() as store:
        subscriptions = store.subscriptions()
        last: dict[int, Delivery] = {}
        for delivery in store.deliveries():  # newest first: keep each subscription's first
            last.setdefault(delivery.subscription_id, delivery)
    rows: list[dict[str, Any]] = []
    for s in subscriptions:
        try:
            upcoming: str | None = (
                Schedule.parse(s.schedule, s.timezone).next_after(now).isoformat()
            )
        except ScheduleError:
            upcoming = None
        latest = last.get(s.id)
        rows.append(
            subscription_json(
                s,
                details={"schedule": s.schedule, "timezone": s.timezone},
                status={
                    "next_fire_time": upcoming,
                    "last_delivery": None
                    if latest is None
                    else {
                        "fire_time": latest.fire_time.isoformat(),
                        "state": latest.state,
                        "attempts": latest.attempts,
                    },
                },
            )
        )
    if json_output:
        typer.echo(json.dumps(rows, indent=2))
        raise typer.Exit(EXIT_OK)
    if not rows:
        typer.echo("No digest subscriptions (add one with `scalewarden digest add`).")
    for row in rows:
        scope = ",".join(row["regions"]) or "configured regions"
        if row["accounts"]:
            scope += " in " + ",".join(row["accounts"])
        line = (
            f"#{row['id']} {row['channel']} {row['schedule']} {row['timezone']} "
            f"min={row['min_severity']} ({scope}); next {row['next_fire_time'] or '?'}"
        )
        if row["last_delivery"]:
            line += f"; last {row['last_delivery']['state']}"
        echo_subscription(line, row)
    raise typer.Exit(EXIT_OK)


@digest_app.command("remove")
def remove(subscription_id: int = typer.Argument(..., help="The id `digest list` shows.")) -> None:
    """Remove a subscription (and its delivery records)."""
    remove_stored(
        "digest subscription", subscription_id, lambda store, sid: store.remove_subscription(sid)
    )


@digest_app.command("run")
def run(
    subscription_id: int = typer.Argument(..., help="The id `digest list` shows."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the digest instead of posting."),
    json_output: bool = typer.Option(False, "--json", help="Print the digest as JSON."),
) -> None:
    """Scan now and post (or, with --dry-run, print) one subscription's digest."""
    import json
    from datetime import UTC, datetime

    from scalewarden.digests.scheduler import digest_of, scan_and_store, subscription_scope
    from scalewarden.scan import ScanError, ScanOptions, ScopeError, run_scan
    from scalewarden.service_scope import ServiceScope
    from scalewarden.settings import get_settings

    settings = get_settings()
    try:
        service = ServiceScope.from_settings(settings)
    except ValueError as exc:
        raise usage_error(f"settings: {exc}") from None
    if not dry_run and settings.slack_bot_token is None:
        raise usage_error("SLACK_BOT_TOKEN is not set: cannot post (use --dry-run to print)")
    with open_store() as store:
        try:
            subscription = store.subscription(subscription_id)
        except ValueError as exc:
            raise usage_error(str(exc)) from None
        if subscription is None:
            raise usage_error(f"no digest subscription #{subscription_id}")
        scope = subscription_scope(subscription, service)
        options = ScanOptions.from_settings(settings)
        try:
            scan = scan_and_store(
                store,
                scope,
                lambda scope, mutes: run_scan(scope, mutelist=mutes, options=options),
                requested_by="digest-run",
            )
        except ScopeError as exc:
            raise usage_error(str(exc)) from exc
        except ScanError as exc:
            raise cannot_run(f"the scan could not run: {exc}") from exc
        result = digest_of(store, subscription, scan, now=datetime.now(UTC))
        if json_output:
            typer.echo(json.dumps(result.to_dict(), indent=2))
        elif dry_run:
            typer.echo(result.to_text())
        if not dry_run:
            ts = post_text(settings, subscription, result, store=store)
            typer.echo(f"posted to {subscription.channel} (ts {ts})", err=True)
    raise typer.Exit(EXIT_OK)


def post_text(
    settings: Settings,
    subscription: Subscription,
    result: DigestResult,
    *,
    store: Store | None = None,
) -> str | None:
    """Post the digest as the scheduler does (Block Kit with the escaped text as its fallback,
    thread, and with ``store`` the scan as a file; the SDK's retries); exit 3 with Slack's
    error when it refuses."""
    from scalewarden.digests.scheduler import PostFailed
    from scalewarden.slack.digest_poster import SlackDigestPoster, digest_web_client

    assert settings.slack_bot_token is not None
    client = digest_web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        return SlackDigestPoster(client, store)(subscription, result)
    except PostFailed as exc:
        raise cannot_run(str(exc)) from None
