"""Events API listeners: mentions, direct messages, the App Home tab and admin group changes.

Events are acknowledged by Bolt before these bodies run, so the work here is already off the
request path; it is still handed to the tracked background set so that a shutdown waits for
it. Messages from bots (including our own, which Bolt filters too) are ignored, or two bots
could answer each other for ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import ScanReport
from scalewarden.slack.audit import Actor
from scalewarden.slack.listeners.replies import BUSY, Asker, reply_to_question, strip_mentions
from scalewarden.slack.services import SlackServices, safe_call
from scalewarden.slack.views.home import home_view

logger = logging.getLogger(__name__)

GREETING = (
    "Hi! Ask me anything about Application Auto Scaling security, for example "
    "“which TLS version does the API require?”. `/scalewarden help` shows everything I can do."
)


def from_a_bot(event: dict[str, Any]) -> bool:
    """True for messages posted by any bot or app (ours included).

    An app posting with a user token sends ``app_id`` without ``bot_id``: it is still an
    app, and two apps answering each other would loop just the same.
    """
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("app_id")) or (
        event.get("subtype") == "bot_message"
    )


@dataclass(frozen=True)
class _Place:
    """Where a mention or DM was asked, and so where its reply goes."""

    channel: str
    thread_ts: str | None
    source: str  # "mention" or "dm" (a metrics label)


async def _answer_in(
    services: SlackServices,
    client: AsyncWebClient,
    place: _Place,
    question: str,
    user_id: str | None,
) -> str:
    """Post the answer (or the greeting, for an empty question); returns the outcome.

    The asker's account line ends the answer in a DM, which only they read; after a mention,
    whose answer the whole channel reads, it follows as a message only the asker sees.
    """
    text: str = GREETING
    blocks: Any = None
    outcome = "greeted"
    reply = None
    if question:
        asker = Asker(user_id, client) if user_id else None
        reply = await reply_to_question(
            services, question, source=place.source, shareable=False, asker=asker
        )
        text, blocks, outcome = reply.text, reply.blocks, reply.outcome
        if place.source == "dm":
            blocks, text = reply.with_account()
    posted = await safe_call(
        "chat.postMessage",
        client.chat_postMessage(
            channel=place.channel, text=text, blocks=blocks, thread_ts=place.thread_ts
        ),
    )
    if posted is None:
        return "failed"
    if reply is not None and reply.account and place.source != "dm" and user_id:
        await safe_call(
            "chat.postEphemeral",
            client.chat_postEphemeral(
                channel=place.channel,
                user=user_id,
                text=reply.account_text,
                blocks=reply.account,
                thread_ts=place.thread_ts,
            ),
        )
    return outcome


async def _busy_in(services: SlackServices, client: AsyncWebClient, place: _Place) -> str:
    """The reply to a mention or DM shed under a flood: say so where it was asked."""
    services.metrics.answers.labels(source=place.source, outcome="busy").inc()
    await safe_call(
        "chat.postMessage",
        client.chat_postMessage(channel=place.channel, text=BUSY, thread_ts=place.thread_ts),
    )
    return "busy"


def _spawn_answer(
    services: SlackServices,
    client: AsyncWebClient,
    place: _Place,
    body: dict[str, Any],
    event: dict[str, Any],
) -> None:
    """Answer as a quick job (or say "busy"), then audit who asked what and how it ended."""
    question = strip_mentions(str(event.get("text") or ""))
    actor = Actor.of_event(body, event)
    asker_id = event.get("user") if isinstance(event.get("user"), str) else None

    def audited(job: Callable[[], Coroutine[Any, Any, str]]) -> Coroutine[Any, Any, None]:
        async def run() -> None:
            try:
                outcome = await job()
            except Exception:
                outcome = "failed"
                raise
            finally:
                services.tasks.spawn(
                    services.audit.record_action(
                        actor,
                        kind=place.source,
                        action=place.source,
                        arguments=question,
                        outcome=outcome,
                    ),
                    name="slack-audit",
                )

        return run()

    services.tasks.spawn(
        audited(lambda: _answer_in(services, client, place, question, asker_id)),
        name=f"slack-{place.source}",
        limited=True,
        when_busy=lambda: audited(lambda: _busy_in(services, client, place)),
    )


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the event listeners."""

    @app.event("app_mention")
    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if from_a_bot(event) or not event.get("channel"):
            return
        thread_ts = event.get("thread_ts") or event.get("ts")
        place = _Place(str(event["channel"]), str(thread_ts) if thread_ts else None, "mention")
        _spawn_answer(services, client, place, body, event)

    @app.event("message")
    async def on_message(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # Only plain direct messages: edits, joins and other subtypes are not questions.
        if event.get("channel_type") != "im" or event.get("subtype") or from_a_bot(event):
            return
        if not event.get("channel"):
            return
        thread_ts = str(event["thread_ts"]) if event.get("thread_ts") else None
        place = _Place(str(event["channel"]), thread_ts, "dm")
        _spawn_answer(services, client, place, body, event)

    @app.event("subteam_members_changed")
    async def on_group_changed(event: dict[str, Any]) -> None:
        if services.access.forget_group(event.get("subteam_id")):
            logger.info("admin user group changed: its members will be read again")

    @app.event("app_home_opened")
    async def on_home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        actor = Actor.of_event(body, event)

        def audit(outcome: str) -> None:
            # The row is written outside the quick slot (see ``handle_ask``).
            services.tasks.spawn(
                services.audit.record_action(
                    actor, kind="home", action="home_opened", arguments="", outcome=outcome
                ),
                name="slack-audit",
            )

        async def publish_and_audit() -> None:
            published = await publish_home(services, client, str(event["user"]))
            audit("published" if published else "failed")

        async def shed() -> None:  # a flood of questions: the tab is not published, but audited
            audit("busy")

        services.tasks.spawn(publish_and_audit(), name="slack-home", limited=True, when_busy=shed)


async def publish_home(services: SlackServices, client: AsyncWebClient, user_id: str) -> bool:
    """Build and publish the Home tab for ``user_id``; True when Slack took it."""
    latest: ScanReport | None = None
    if services.store is not None:
        try:
            data = await asyncio.to_thread(services.store.latest_scan)
            latest = ScanReport.from_dict(data) if data else None
        except Exception as exc:
            logger.warning("Home tab without the last scan: %s", type(exc).__name__)
    decision = await services.access.may_scan(user_id, client)
    view = home_view(
        latest=latest, may_scan=decision.allowed, admins_configured=services.access.configured
    )
    return (
        await safe_call("views.publish", client.views_publish(user_id=user_id, view=view))
        is not None
    )
