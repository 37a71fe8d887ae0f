"""``/scalewarden digest …``, ``alerts …``, ``mute …`` and ``unmute``, and the digest's
"full list" button.

All are for admins (the dispatcher applies the specs' ``admin_only``). Input was parsed and
validated by ``slack/commands.py``; here come the checks that need the world: the channel
(the bot must be a member; a channel shared with another organisation is refused), the
accounts (within the service's scope), the catalogue (mutes name known checks) and the
database. Every refusal says why and writes nothing; a database that does not answer gets
"try again".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from scalewarden.slack.commands import (
    SLASH_COMMAND,
    AlertsCommand,
    DigestCommand,
    MuteCommand,
    UnmuteCommand,
)
from scalewarden.slack.scan.flow import failure_message
from scalewarden.slack.services import SlackServices, safe_call
from scalewarden.slack.usertext import escape, inert

if TYPE_CHECKING:
    from scalewarden.digests.result import DigestResult
    from scalewarden.slack.listeners.commands import CommandContext
    from scalewarden.store import Store
    from scalewarden.store.records import (
        AlertSubscription,
        ChannelSubscription,
        StoredMute,
        Subscription,
    )
    from scalewarden.subscriptions import ChannelSubscriptionRequest

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: What a command answers when the database does not (locked, unreachable, failing over).
TRY_AGAIN = "The database is not answering just now, so nothing was changed. Please try again."
NO_DATABASE = "No database is configured, so there are no digests, alerts or mutes here."


_INVITE = "Invite me first (`/invite @scalewarden`), then subscribe again."


class Refused(Exception):
    """A request we will not carry out; the message says why, for the user."""


async def in_store(services: SlackServices, call: Callable[[Store], T]) -> T:
    """Run ``call(store)`` in a worker thread; :class:`Refused` with "try again" when the
    database fails, and with the reason when input is refused (``ValueError``)."""
    if services.store is None:
        raise Refused(NO_DATABASE)
    store = cast("Store", services.store)
    try:
        return await asyncio.to_thread(call, store)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    except Exception as exc:
        logger.error("database call failed: %s", type(exc).__name__)
        raise Refused(TRY_AGAIN) from None


async def channel_problem(client: AsyncWebClient, channel_id: str) -> str | None:
    """Why digests and alerts may not post in ``channel_id``, or ``None`` when they may."""
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error in ("channel_not_found", "not_in_channel"):
            return f"I am not a member of this channel. {_INVITE}"
        logger.warning("conversations.info failed: %s", error)
        return "I could not look this channel up in Slack just now. Please try again."
    except Exception as exc:
        logger.warning("conversations.info failed: %s", type(exc).__name__)
        return "I could not look this channel up in Slack just now. Please try again."
    return problem_of_channel(response.get("channel") or {})


def problem_of_channel(channel: Any) -> str | None:
    """The channel rules, on ``conversations.info``'s ``channel``: the bot must be a member,
    and a channel shared with another organisation is refused. ``None``: it may post there."""
    if not isinstance(channel, dict):
        channel = {}
    if channel.get("is_ext_shared"):
        return (
            "This channel is shared with another organisation, and digests and alerts name "
            "your accounts' weak spots: subscribe a channel of your own workspace instead."
        )
    if not channel.get("is_im") and not channel.get("is_member"):
        return f"I am not a member of this channel. {_INVITE}"
    return None


async def handle_digest(ctx: CommandContext, command: DigestCommand) -> None:
    """``digest subscribe|list|unsubscribe|preview``: acknowledge, then answer privately."""
    await ctx.ack(text=_ACKS[command.action], response_type="ephemeral")
    ctx.services.tasks.spawn(_run(ctx, _DIGEST_ACTIONS[command.action], command))


async def handle_alerts(ctx: CommandContext, command: AlertsCommand) -> None:
    """``alerts subscribe|list|unsubscribe``: acknowledge, then answer privately."""
    await ctx.ack(text=_ALERT_ACKS[command.action], response_type="ephemeral")
    ctx.services.tasks.spawn(_run(ctx, _ALERT_ACTIONS[command.action], command))


async def handle_mute(ctx: CommandContext, command: MuteCommand) -> None:
    """``mute <check> [pattern] reason=… until=…`` and ``mute list``."""
    await ctx.ack(text="Working on it…", response_type="ephemeral")
    action = _mute_list if command.action == "list" else _mute_add
    ctx.services.tasks.spawn(_run(ctx, action, command))


async def handle_unmute(ctx: CommandContext, command: UnmuteCommand) -> None:
    """``unmute ID``."""
    await ctx.ack(text="Working on it…", response_type="ephemeral")
    ctx.services.tasks.spawn(_run(ctx, _unmute, command))


async def _run(ctx: CommandContext, action: Any, command: Any) -> None:
    """Run one action; a refusal is answered and audited as ``refused``, nothing written."""
    try:
        text, blocks, detail = await action(ctx, command)
    except Refused as exc:
        await ctx.reply(f":no_entry: {exc}")
        await ctx.audit("refused", str(exc))
        return
    await ctx.reply(text, blocks=blocks)
    await ctx.audit("completed", detail)


Answer = tuple[str, Any, str | None]

SubscriptionT = TypeVar("SubscriptionT", bound="ChannelSubscription")
RequestT = TypeVar("RequestT", bound="ChannelSubscriptionRequest")


async def _refuse_outside_scope(
    ctx: CommandContext, what: str, *, accounts: Sequence[str], regions: Sequence[str]
) -> None:
    """A digest, alert subscription or mute names only what the service scans: the same
    rule as ``scan`` (``ServiceScope.problem``). :class:`Refused` ("I cannot ``what``: …")."""
    problem = await ctx.services.scan_scope.problem_when_known(accounts=accounts, regions=regions)
    if problem:
        raise Refused(f"I cannot {what}: {problem}.")


async def _checked_request(ctx: CommandContext, parse: Callable[[], RequestT]) -> RequestT:
    """A new digest or alert subscription of this channel: the channel rules first, then
    ``parse()``'s checks; :class:`Refused` with the problem."""
    problem = await channel_problem(ctx.client, ctx.channel_id)
    if problem:
        raise Refused(problem)
    try:
        return parse()
    except ValueError as exc:
        raise Refused(str(exc)) from None


async def _owned_subscription(
    ctx: CommandContext,
    read: Callable[[Store], SubscriptionT | None],
    *,
    missing: str,
    elsewhere: str,
) -> SubscriptionT:
    """The subscription ``read`` finds, if it posts in this channel: a subscription is
    managed from its own channel. :class:`Refused` with ``missing`` or ``elsewhere``."""
    subscription = await in_store(ctx.services, read)
    if subscription is None:
        raise Refused(missing)
    if subscription.channel != ctx.channel_id:
        raise Refused(elsewhere)
    return subscription


def _listed(subscription: ChannelSubscription, description: str, status: str = "") -> str:
    """One subscription of ``digest list``/``alerts list``, with its last error under it."""
    line = f"• #{subscription.id} {escape(description)}{status}"
    if subscription.last_error:
        line += f"\n    last error: {escape(subscription.last_error)}"
    return line


async def _subscribe(ctx: CommandContext, command: DigestCommand) -> Answer:
    from scalewarden.digests.subscriptions import SubscriptionRequest

    await _refuse_outside_scope(
        ctx, "subscribe that digest", accounts=command.accounts, regions=command.regions
    )
    request = await _checked_request(
        ctx,
        lambda: SubscriptionRequest.parse(
            channel=ctx.channel_id,
            schedule=command.schedule,
            timezone=command.timezone,
            min_severity=command.min_severity,
            regions=",".join(command.regions) or None,
            accounts=",".join(command.accounts) or None,
        ),
    )
    now = datetime.now(UTC)
    subscription = await in_store(
        ctx.services,
        lambda store: store.add_subscription(**request.stored(), created_by=ctx.user_id, now=now),
    )
    upcoming = request.schedule.next_after(now).astimezone(request.schedule.zone)
    text = (
        f":white_check_mark: Digest #{subscription.id} subscribed: "
        f"{escape(_describe(subscription))}. "
        f"The first one comes {upcoming:%a %d %b %H:%M} ({escape(subscription.timezone)})."
    )
    return text, None, f"digest #{subscription.id}"


def _describe(subscription: Subscription) -> str:
    scope = ", ".join(subscription.regions) or "the configured regions"
    if subscription.accounts:
        scope += " in " + ", ".join(subscription.accounts)
    return (
        f"{subscription.schedule} ({subscription.timezone}), {subscription.min_severity} "
        f"and above, {scope}"
    )


async def _list(ctx: CommandContext, command: DigestCommand) -> Answer:
    def read(store: Store) -> tuple[list[Subscription], dict[int, Any]]:
        mine = [s for s in store.subscriptions() if s.channel == ctx.channel_id]
        last: dict[int, Any] = {}
        for delivery in store.deliveries():  # newest first
            last.setdefault(delivery.subscription_id, delivery)
        return mine, last

    mine, last = await in_store(ctx.services, read)
    if not mine:
        return (
            f"No digest posts in this channel. Subscribe with `{SLASH_COMMAND} digest subscribe "
            "daily 09:00`.",
            None,
            "0 digests",
        )
    lines = []
    for s in mine:
        delivery = last.get(s.id)
        status = (
            f"; last {delivery.state} ({delivery.fire_time:%Y-%m-%d %H:%M} UTC)"
            if delivery is not None
            else ""
        )
        lines.append(_listed(s, _describe(s), status))
    return "Digests of this channel:\n" + "\n".join(lines), None, f"{len(mine)} digests"


async def _owned(ctx: CommandContext, subscription_id: int) -> Subscription:
    return await _owned_subscription(
        ctx,
        lambda store: store.subscription(subscription_id),
        missing=f"There is no digest #{subscription_id} (`digest list` shows them).",
        elsewhere=f"Digest #{subscription_id} posts in another channel; manage it from there.",
    )


async def _unsubscribe(ctx: CommandContext, command: DigestCommand) -> Answer:
    assert command.subscription_id is not None
    subscription = await _owned(ctx, command.subscription_id)
    await in_store(ctx.services, lambda store: store.remove_subscription(subscription.id))
    return f"Digest #{subscription.id} removed.", None, f"digest #{subscription.id}"


async def _preview(ctx: CommandContext, command: DigestCommand) -> Answer:
    from scalewarden.digests.scheduler import digest_of, scan_and_store, subscription_scope

    assert command.subscription_id is not None
    subscription = await _owned(ctx, command.subscription_id)
    runner = ctx.services.digest_runner
    if runner is None:
        raise Refused("Digests cannot scan in this service (no scanner is configured).")
    scope = subscription_scope(subscription, ctx.services.scan_scope)
    store = cast("Store", ctx.services.store)
    # The runner queues the scan with every other (its limits, merging and workers).
    try:
        scan = await asyncio.to_thread(
            scan_and_store, store, scope, runner, requested_by=f"digest-preview:{ctx.user_id}"
        )
    except SQLAlchemyError:
        raise Refused(TRY_AGAIN) from None
    except Exception as exc:  # the scan could not run: say why, as a Slack scan does
        raise Refused(failure_message(exc).removeprefix(":x: ")) from None
    result = await in_store(
        ctx.services,
        lambda store: digest_of(store, subscription, scan, now=datetime.now(UTC)),
    )
    text, blocks = preview_message(subscription, result)
    return text, blocks, f"digest #{subscription.id} preview of scan {scan.scan_id}"


def preview_message(subscription: Subscription, result: DigestResult) -> tuple[str, Any]:
    """The digest as its channel would get it (without the thread and the file)."""
    from scalewarden.digests.compose import compose
    from scalewarden.slack.views.digest import digest_messages

    messages = digest_messages(compose(result), title=f"Digest #{subscription.id} (preview)")
    return messages.text, messages.blocks


async def _mute_add(ctx: CommandContext, command: MuteCommand) -> Answer:
    from scalewarden.checks.mutelist import MuteRequest

    now = datetime.now(UTC)
    known = {c.id for c in ctx.services.checks()}
    if command.check_id not in known:
        raise Refused(
            f"I don't know the check `{inert(command.check_id)}`. `scalewarden checks` lists them."
        )
    await _refuse_outside_scope(
        ctx, "add that mute", accounts=command.accounts, regions=command.regions
    )
    try:
        request = MuteRequest.parse(
            check_id=command.check_id,
            reason=command.reason,
            now=now,
            resource_pattern=command.resource_pattern,
            until=command.until,
            accounts=",".join(command.accounts) or None,
            regions=",".join(command.regions) or None,
        )
    except ValueError as exc:
        raise Refused(inert(str(exc))) from None
    mute = await in_store(
        ctx.services,
        lambda store: store.add_mute(
            check_id=request.check_id,
            resource_pattern=request.resource_pattern,
            accounts=request.accounts,
            regions=request.regions,
            reason=request.reason,
            author=ctx.user_id,
            now=now,
            expires_at=request.expires_at,
        ),
    )
    until = f" until {mute.expires_at:%Y-%m-%d}" if mute.expires_at else ""
    return (
        f":mute: Mute #{mute.id}: `{escape(mute.check_id)}` "
        f"{escape(mute.resource_pattern or 'everywhere')}{escape(_mute_scope(mute))}{until}. "
        "Its findings now show as MUTED, counted apart.",
        None,
        f"mute #{mute.id}",
    )


async def _mute_list(ctx: CommandContext, command: MuteCommand) -> Answer:
    mutes = await in_store(ctx.services, lambda store: store.mutes())
    now = datetime.now(UTC)
    active = [m for m in mutes if m.active(now)]
    if not active:
        return "No active mutes.", None, "0 mutes"
    lines = [
        f"• #{m.id} `{escape(m.check_id)}` {escape(m.resource_pattern or '*')}"
        f"{escape(_mute_scope(m))}: "
        f"{escape(m.reason)} (by {escape(m.author)}"
        + (f", until {m.expires_at:%Y-%m-%d})" if m.expires_at else ")")
        for m in active
    ]
    return "Active mutes:\n" + "\n".join(lines), None, f"{len(active)} mutes"


def _mute_scope(mute: StoredMute) -> str:
    """`` in 111111111111 / eu-west-1`` when a mute is narrowed, else nothing."""
    parts = [", ".join(part) for part in (mute.accounts, mute.regions) if part]
    return " in " + " / ".join(parts) if parts else ""


async def _unmute(ctx: CommandContext, command: UnmuteCommand) -> Answer:
    removed = await in_store(ctx.services, lambda store: store.remove_mute(command.mute_id))
    if not removed:
        raise Refused(f"There is no mute #{command.mute_id} (`mute list` shows them).")
    return f"Mute #{command.mute_id} removed.", None, f"mute #{command.mute_id}"


def describe_alerts(subscription: AlertSubscription) -> str:
    """One line for ``alerts list`` (Slack and the CLI)."""
    regions = ", ".join(subscription.regions) or "every region"
    accounts = ", ".join(subscription.accounts) or "every account"
    return f"{subscription.min_severity} and above, {regions}, {accounts}"


async def _alerts_subscribe(ctx: CommandContext, command: AlertsCommand) -> Answer:
    from scalewarden.alerts.subscriptions import AlertSubscriptionRequest

    await _refuse_outside_scope(
        ctx, "subscribe those alerts", accounts=command.accounts, regions=command.regions
    )
    request = await _checked_request(
        ctx,
        lambda: AlertSubscriptionRequest.parse(
            channel=ctx.channel_id,
            min_severity=command.min_severity,
            regions=",".join(command.regions) or None,
            accounts=",".join(command.accounts) or None,
        ),
    )
    subscription = await in_store(
        ctx.services,
        lambda store: store.add_alert_subscription(
            **request.stored(), created_by=ctx.user_id, now=datetime.now(UTC)
        ),
    )
    text = (
        f":rotating_light: Alerts #{subscription.id} subscribed: "
        f"{escape(describe_alerts(subscription))}. Risky scaling changes now come here within "
        "seconds of EventBridge sending them (`docs/alerts.md` says how to connect it)."
    )
    return text, None, f"alerts #{subscription.id}"


async def _alerts_list(ctx: CommandContext, command: AlertsCommand) -> Answer:
    def read(store: Store) -> list[AlertSubscription]:
        return [s for s in store.alert_subscriptions() if s.channel == ctx.channel_id]

    mine = await in_store(ctx.services, read)
    if not mine:
        return (
            f"No alerts post in this channel. Subscribe with `{SLASH_COMMAND} alerts subscribe "
            "min=medium`.",
            None,
            "0 alert subscriptions",
        )
    lines = [_listed(s, describe_alerts(s)) for s in mine]
    return "Alerts of this channel:\n" + "\n".join(lines), None, f"{len(mine)} alert subscriptions"


async def _alerts_unsubscribe(ctx: CommandContext, command: AlertsCommand) -> Answer:
    assert command.subscription_id is not None
    number = command.subscription_id
    await _owned_subscription(
        ctx,
        lambda store: store.alert_subscription(number),
        missing=f"There is no alert subscription #{number} (`alerts list` shows them).",
        elsewhere=f"Alerts #{number} post in another channel; manage them from there.",
    )
    await in_store(ctx.services, lambda store: store.remove_alert_subscription(number))
    return f"Alerts #{number} removed.", None, f"alerts #{number}"


_ALERT_ACTIONS: dict[str, Any] = {
    "subscribe": _alerts_subscribe,
    "list": _alerts_list,
    "unsubscribe": _alerts_unsubscribe,
}
_ALERT_ACKS = {
    "subscribe": "Setting up alerts…",
    "list": "Reading this channel's alerts…",
    "unsubscribe": "Removing the alerts…",
}

_DIGEST_ACTIONS: dict[str, Any] = {
    "subscribe": _subscribe,
    "list": _list,
    "unsubscribe": _unsubscribe,
    "preview": _preview,
}
_ACKS = {
    "subscribe": "Setting up the digest…",
    "list": "Reading this channel's digests…",
    "unsubscribe": "Removing the digest…",
    "preview": "Running the digest now; only you will see it…",
}


async def show_full_list(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Any,
    *,
    user_id: str,
    subscription_id: int,
    scan_id: str,
) -> str:
    """The "Show the full list" click: every new and resolved finding, to an admin only.
    Returns the outcome for the audit log."""
    from scalewarden.digests.compose import compose
    from scalewarden.digests.scheduler import digest_of
    from scalewarden.slack.views.digest import full_list_messages

    decision = await services.access.may_scan(user_id, client)
    if not decision.allowed:
        await safe_call(
            "response_url",
            respond(text=decision.reason, response_type="ephemeral", replace_original=False),
        )
        return "denied"

    def read(store: Store) -> DigestResult | None:
        subscription = store.subscription(subscription_id)
        scan = store.scan_record(scan_id)
        if subscription is None or scan is None:
            return None
        return digest_of(store, subscription, scan, now=datetime.now(UTC))

    try:
        result = await in_store(services, read)
    except Refused as exc:
        result, problem = None, str(exc)
    else:
        problem = "That digest or its scan is no longer stored."
    if result is None:
        await safe_call(
            "response_url",
            respond(text=problem, response_type="ephemeral", replace_original=False),
        )
        return "failed"
    title = f"Digest #{subscription_id}: the full list"
    for blocks in full_list_messages(compose(result), title=title):
        await safe_call(
            "response_url",
            respond(text=title, blocks=blocks, response_type="ephemeral", replace_original=False),
        )
    return "shown"
