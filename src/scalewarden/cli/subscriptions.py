"""What ``digest add|list|remove`` and ``alerts add|list|remove`` share.

A new subscription is checked and stored the same way (``add_subscription``): its input
(exit 2 naming the problem, nothing stored), then the rules Slack's ``/scalewarden digest
subscribe`` and ``alerts subscribe`` apply to the channel
(``slack.listeners.digests.problem_of_channel``): the bot must be a member, and a channel
shared with another organisation is refused. The command line may run without Slack
credentials; then the channel cannot be asked about, and it says so. ``list`` prints the
same fields of either kind (``subscription_json``) and the same last-error line; ``remove``
is ``app.remove_stored``, as for mutes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar

import typer

from scalewarden.cli.app import EXIT_OK, open_store, usage_error

if TYPE_CHECKING:
    from scalewarden.store import Store
    from scalewarden.store.records import ChannelSubscription


class _Request(Protocol):
    @property
    def channel(self) -> str: ...


RequestT = TypeVar("RequestT", bound=_Request)


def add_subscription(
    parse: Callable[[], RequestT], add: Callable[[Store, RequestT], ChannelSubscription]
) -> NoReturn:
    """Check ``parse()``'s request (its input, then the channel rules; exit 2 with the
    problem, nothing stored), store it with ``add`` and print the new subscription's id."""
    try:
        request = parse()
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    problem = channel_problem(request.channel)
    if problem:
        raise usage_error(problem)
    with open_store() as store:
        subscription = add(store, request)
    typer.echo(subscription.id)
    raise typer.Exit(EXIT_OK)


def subscription_json(
    subscription: ChannelSubscription,
    *,
    details: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One subscription for ``list --json``: the shared fields, with the kind's ``details``
    after the channel and its ``status`` before the last error."""
    return {
        "id": subscription.id,
        "channel": subscription.channel,
        **(details or {}),
        "min_severity": subscription.min_severity,
        "regions": list(subscription.regions),
        "accounts": list(subscription.accounts),
        "created_by": subscription.created_by,
        "created_at": subscription.created_at.isoformat(),
        **(status or {}),
        "last_error": subscription.last_error,
        "last_error_at": subscription.last_error_at.isoformat()
        if subscription.last_error_at
        else None,
    }


def echo_subscription(line: str, row: dict[str, Any]) -> None:
    """``line``, and under it the subscription's last error when it has one."""
    typer.echo(line)
    if row["last_error"]:
        typer.echo(f"    last error: {row['last_error']}")


def channel_problem(channel: str) -> str | None:
    """The Slack channel rules, when a bot token allows asking; a warning when it does not."""
    from scalewarden.settings import get_settings

    settings = get_settings()
    token = settings.slack_bot_token.get_secret_value().strip() if settings.slack_bot_token else ""
    if not token:
        typer.echo(
            "warning: SLACK_BOT_TOKEN is not set, so the channel was not checked "
            "(the bot must be a member; shared channels are refused)",
            err=True,
        )
        return None
    from slack_sdk.errors import SlackApiError

    from scalewarden.slack.digest_poster import digest_web_client
    from scalewarden.slack.listeners.digests import problem_of_channel

    client = digest_web_client(token, settings.slack_api_url)
    try:
        response = client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error in ("channel_not_found", "not_in_channel"):
            return f"the bot is not a member of {channel}: invite it first"
        return f"Slack could not look {channel} up: {error or 'error'}"
    problem = problem_of_channel(response.get("channel") or {})
    return f"{channel}: {problem}" if problem else None
