"""Bolt listeners, one module per kind of callback (commands, events, actions)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from scalewarden.slack.listeners import actions, commands, events
from scalewarden.slack.services import SlackServices


def register_all(app: AsyncApp, services: SlackServices) -> None:
    """Attach every listener to ``app``."""
    commands.register(app, services)
    events.register(app, services)
    actions.register(app, services)
