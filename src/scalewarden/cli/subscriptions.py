"""The Slack channel rules for subscriptions made from the command line.

``digest add`` and ``alerts add`` follow the rules Slack's ``/scalewarden digest subscribe``
and ``alerts subscribe`` apply (``slack.listeners.digests.problem_of_channel``): the bot must be
a member, and a channel shared with another organisation is refused. The command line may run
without Slack credentials; then the channel cannot be asked about, and it says so.
"""

from __future__ import annotations

import typer


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
