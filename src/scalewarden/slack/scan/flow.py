"""An on-demand scan requested in Slack, from the progress message to the file upload.

Findings name an account's weak spots, so results go to the admin who asked, by DM, unless
the command was typed in one of ``SCALEWARDEN_SECURITY_CHANNELS``; there they are posted in
the channel. The scan runner (``scalewarden.scanning``) has admitted the request and the ack
has said so. Here we post a progress message (in the DM or the security channel), edit it with
the run's progress events (the scan itself runs in a worker process, with the stored mutes
applied; the runner stores the report under its scope key, ``ScanScope.key()``, as the CLI
and digests do), then replace it with the results. Findings that do not fit go to the thread,
and the whole report to a JSON file in the thread, because Slack refuses messages beyond 50
blocks or about 12k characters.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import ScanReport
from scalewarden.reports import resolve_format
from scalewarden.scan import ScanError
from scalewarden.scanning.executors import WorkerCrashed
from scalewarden.scanning.runner import (
    Admission,
    ScanCancelled,
    ScanRefused,
    ScanRun,
    ScanState,
    Ticket,
    audit_outcome,
    failure_outcome,
    merged_outcome,
)
from scalewarden.slack.commands import ScanCommand
from scalewarden.slack.redact import redact
from scalewarden.slack.scan.audience import Seat, destination_key, take_seat
from scalewarden.slack.scan.progress import ProgressReporter
from scalewarden.slack.services import Responder, SlackServices, safe_call
from scalewarden.slack.usertext import escape
from scalewarden.slack.views.scan import progress_blocks, scan_messages

if TYPE_CHECKING:
    from scalewarden.checks.mutelist import Mutelist

logger = logging.getLogger(__name__)

#: The format of the full report uploaded when the findings overflow the message.
UPLOAD_FORMAT = resolve_format("json")


def scan_headline(command: ScanCommand) -> str:
    """What the ack and the progress message say, e.g. "Scanning 2 regions…"."""
    parts = []
    if command.regions:
        n = len(command.regions)
        parts.append(f"{n} region{'s' if n != 1 else ''}")
    if command.accounts:
        n = len(command.accounts)
        parts.append(f"{n} account{'s' if n != 1 else ''}")
    target = " in ".join(parts) if parts else "the configured regions"
    what = ""
    if command.check_ids:
        what = f" ({len(command.check_ids)} check{'s' if len(command.check_ids) != 1 else ''})"
    elif command.topic:
        what = f" ({command.topic})"
    return f"Scanning {target}{what}…"


def failure_message(exc: BaseException) -> str:
    """What to tell the channel when a scan could not run (no tracebacks, no secrets)."""
    if isinstance(exc, ScanError | ValueError | ScanRefused):
        return f":x: The scan could not run: {escape(redact(str(exc)))[:500]}"
    if isinstance(exc, WorkerCrashed):
        return f":x: The scan failed: {escape(redact(str(exc)))[:500]}. Please run it again."
    return ":x: The scan failed unexpectedly. The details are in the service logs."


#: What the channel is told when a shutdown stops a scan before it finished.
SCAN_INTERRUPTED = (
    ":warning: This scan was stopped because scalewarden restarted before it finished. "
    "Please run it again."
)


@dataclass
class ScanRequest:
    """Who asked for which scan, and where to answer."""

    command: ScanCommand
    user_id: str
    channel_id: str


async def _deliver(
    client: AsyncWebClient,
    respond: Responder,
    *,
    channel: str | None,
    ts: str | None,
    report: ScanReport,
) -> tuple[str, str] | None:
    """Post the results in ``channel``: in place of the progress message ``ts`` when there is
    one, else as a new message (or privately when there is no channel). Returns where the
    results were posted."""
    messages = scan_messages(report)
    if not channel:
        await safe_call(
            "response_url",
            respond(text=messages.text, blocks=messages.blocks, response_type="ephemeral"),
        )
        return None
    updated = None
    if ts:
        updated = await safe_call(
            "chat.update",
            client.chat_update(channel=channel, ts=ts, text=messages.text, blocks=messages.blocks),
        )
    if updated is None:  # no progress message, or it was deleted: post afresh
        posted = await safe_call(
            "chat.postMessage",
            client.chat_postMessage(channel=channel, text=messages.text, blocks=messages.blocks),
        )
        ts = posted["ts"] if posted else None
    if ts is None:
        # Slack refused the results (e.g. invalid_blocks, msg_too_long, the bot removed from
        # the channel): tell the requester in plain text, which always fits.
        await safe_call(
            "response_url",
            respond(
                text=(
                    ":warning: I could not post the scan results in the channel. "
                    f"{messages.text} `/scalewarden findings` shows them."
                ),
                response_type="ephemeral",
            ),
        )
        return None
    for reply in messages.thread:
        await safe_call(
            "chat.postMessage",
            client.chat_postMessage(
                channel=channel, thread_ts=ts, text="More findings", blocks=reply
            ),
        )
    if messages.needs_file:
        # Thousands of findings take a while to render: off the loop, so acks go on.
        content = await asyncio.to_thread(UPLOAD_FORMAT.render, report)
        await safe_call(
            "files_upload_v2",
            client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                filename=UPLOAD_FORMAT.filename(f"scalewarden-scan-{report.scan_id}"),
                title="Full scan report (JSON)",
                content=content,
                initial_comment=(
                    f"All {messages.total_shown} failing or unchecked findings of this scan."
                ),
            ),
        )
    return channel, ts


async def stored_mutes(services: SlackServices) -> Mutelist | None:
    """The stored mutes, for the scan to apply (``None`` without a store, or when it cannot
    be read: the scan then runs and its findings show unmuted, as the log says)."""
    from scalewarden.checks.mutelist import Mutelist

    store = services.store
    if store is None:
        return None
    try:
        rows = await asyncio.to_thread(store.mutes)
    except Exception as exc:
        logger.error("could not read the stored mutes: %s", type(exc).__name__)
        return None
    mutes = Mutelist.from_stored(rows)
    return mutes if mutes.rules else None


async def results_channel(
    services: SlackServices, client: AsyncWebClient, request: ScanRequest
) -> str:
    """Where the scan's progress and results go: the channel itself when it is a security
    channel, otherwise the requester's DM with the bot (its user id when the DM cannot be
    opened: Slack then delivers to the app's Messages tab)."""
    if request.channel_id in services.security_channels:
        return request.channel_id
    opened = await safe_call("conversations.open", client.conversations_open(users=request.user_id))
    channel = opened.get("channel") if opened is not None else None
    found = channel.get("id") if isinstance(channel, dict) else None
    return str(found or request.user_id)


def _starter(run: ScanRun) -> str:
    """Who started ``run``, for the people who join it."""
    from scalewarden.scan_api import API_REQUESTER

    who = run.requested_by
    if who == API_REQUESTER:
        return "through the API"
    if who.startswith(("U", "W")) and who.isalnum():
        return f"by <@{who}>"
    return f"by {escape(who)}"


def _scope_text(run: ScanRun) -> str:
    """The scope of ``run`` in a few words (ids only: they are checked before a scan starts)."""
    scope = run.job.scope
    parts = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("accounts", scope.accounts or ["this account"]),
            ("regions", scope.regions or ["the configured ones"]),
        )
    ]
    if scope.checks:
        parts.append(f"checks {scope.checks}")
    return escape("; ".join(parts))[:300]


def admission_text(command: ScanCommand, ticket: Ticket) -> str:
    """The ack for a scan request: the headline, and what the runner decided. A request
    merged into a scan under way is told whose scan it joined, since when, and its scope."""
    headline = scan_headline(command)
    if ticket.admission is Admission.REFUSED:
        return f":no_entry: The scan was not started: {escape(ticket.reason or 'refused')}."
    run = ticket.run
    if ticket.admission is Admission.MERGED and run is not None:
        state = "running" if run.state is ScanState.RUNNING else "queued"
        since = (run.started_at or run.created_at).strftime("%H:%M UTC")
        return (
            f"{headline} The same scan is already {state} (started {_starter(run)}, "
            f"{state} since {since}; {_scope_text(run)}), so this request joins it: "
            "its results are posted once for everyone who asked."
        )
    return headline


async def run_scan_in_slack(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Responder,
    request: ScanRequest,
    run: ScanRun,
    *,
    merged: bool = False,
    seated: tuple[Seat, bool] | None = None,
) -> tuple[str, str | None]:
    """Follow ``run`` (from the scan runner) in Slack; returns (outcome, detail) for the audit.

    ``seated`` is what ``seat_request`` answered when the runner admitted the request (taken
    here when not given): the destination's seat, and whether this request posts there. The
    request that started the run posts a progress message and replaces it with the results; a
    merged request that is first at its destination posts the results there when the run
    ends; any other request posts nothing, and its requester, when it is not the one the post
    is for, is told privately where the results are. A merged request is audited as
    ``merged``, with the run's outcome."""
    seat, posts = seated or seat_request(services, request, run)
    if not posts:
        outcome, detail = await audit_outcome(run)
        await _point_to(client, request, seat, await seat.posted)
        return merged_outcome(run, outcome, detail)
    where: tuple[str, str] | None = None
    try:
        if merged:
            outcome, detail, where = await _post_when_done(services, client, respond, request, run)
            return merged_outcome(run, outcome, detail)
        outcome, detail, where = await _follow(services, client, respond, request, run)
        return outcome, detail
    finally:
        seat.settle(where)


def seat_request(services: SlackServices, request: ScanRequest, run: ScanRun) -> tuple[Seat, bool]:
    """Join ``run``'s Slack audience at the request's destination (call right after the
    runner's ``submit``, before any await, so the first request for a place posts there)."""
    key = destination_key(services.security_channels, request.user_id, request.channel_id)
    return take_seat(run, key, request.user_id)


async def _point_to(
    client: AsyncWebClient, request: ScanRequest, seat: Seat, where: tuple[str, str] | None
) -> None:
    """Tell a requester who is not the poster, once, where the results were posted."""
    if where is None or request.user_id == seat.poster or request.user_id in seat.told:
        return
    seat.told.add(request.user_id)
    channel, ts = where
    found = await safe_call(
        "chat.getPermalink", client.chat_getPermalink(channel=channel, message_ts=ts)
    )
    link = found.get("permalink") if found else None
    place = f"<{link}|the post in this channel>" if isinstance(link, str) else "this channel"
    await safe_call(
        "chat.postEphemeral",
        client.chat_postEphemeral(
            channel=channel,
            user=request.user_id,
            text=f"The scan you asked for has ended: see {place}.",
        ),
    )


async def _post_when_done(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Responder,
    request: ScanRequest,
    run: ScanRun,
) -> tuple[str, str | None, tuple[str, str] | None]:
    """A merged request first at its destination: no progress message; the results (or why
    there are none) are posted there once the run ends."""
    outcome, detail = await audit_outcome(run)
    target = await results_channel(services, client, request)
    if outcome == "completed" and run.report is not None:
        where = await _deliver(client, respond, channel=target, ts=None, report=run.report)
        return outcome, detail, where
    text = SCAN_INTERRUPTED if outcome == "cancelled" else failure_message(run.error or Exception())
    posted = await _tell(client, respond, target, None, text)
    return outcome, detail, posted


async def _follow(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Responder,
    request: ScanRequest,
    run: ScanRun,
) -> tuple[str, str | None, tuple[str, str] | None]:
    """The request that started the run: a progress message, then the results in its place."""
    headline = scan_headline(request.command)
    target = await results_channel(services, client, request)
    posted = await safe_call(
        "chat.postMessage",
        client.chat_postMessage(
            channel=target,
            text=headline,
            blocks=progress_blocks(f":hourglass_flowing_sand: {headline}"),
        ),
    )
    channel: str | None = posted.get("channel", target) if posted else None
    ts: str | None = posted.get("ts") if posted else None
    where = (channel, ts) if channel and ts else None

    async def send(text: str) -> None:
        if channel and ts:
            await client.chat_update(
                channel=channel, ts=ts, text=headline, blocks=progress_blocks(text)
            )

    loop = asyncio.get_running_loop()
    reporter = ProgressReporter(loop, send, headline=headline, interval=services.progress_interval)
    if run.state is ScanState.QUEUED:
        waiting = f":hourglass: {headline} Waiting for the scan already running to finish."
        await safe_call("chat.update", send(waiting))
    unsubscribe = run.listen(reporter.callback)
    reporter.start()
    try:
        report = await run.wait()
    except (asyncio.CancelledError, ScanCancelled):
        # The service is shutting down and could not wait for the scan: say so in the channel
        # rather than leave "Scanning…" there for good, and let the audit record it.
        await reporter.stop()  # a progress update still in flight must not land after this
        services.metrics.scans.labels(outcome="cancelled").inc()
        await _tell(client, respond, channel, ts, SCAN_INTERRUPTED)
        return "cancelled", "the service shut down before the scan finished", where
    except Exception as exc:
        outcome, detail = failure_outcome(exc)
        logger.error("scan failed: %s: %s", type(exc).__name__, redact(str(exc))[:500])
        await reporter.stop()  # a progress update still in flight must not land after this
        services.metrics.scans.labels(outcome=outcome).inc()
        await _tell(client, respond, channel, ts, failure_message(exc))
        return outcome, detail, where
    finally:
        unsubscribe()
        await reporter.stop()
    services.metrics.scans.labels(outcome="completed").inc()
    where = await _deliver(client, respond, channel=channel, ts=ts, report=report)
    return (*await audit_outcome(run), where)


async def _tell(
    client: AsyncWebClient, respond: Responder, channel: str | None, ts: str | None, text: str
) -> tuple[str, str] | None:
    """Replace the progress message with ``text``, or post it in ``channel`` when there is
    none (or answer the requester privately without a channel); returns where it is."""
    if channel and ts:
        await safe_call(
            "chat.update",
            client.chat_update(channel=channel, ts=ts, text=text, blocks=progress_blocks(text)),
        )
        return channel, ts
    if channel:
        posted = await safe_call(
            "chat.postMessage",
            client.chat_postMessage(channel=channel, text=text, blocks=progress_blocks(text)),
        )
        return (channel, posted["ts"]) if posted and posted.get("ts") else None
    await safe_call("response_url", respond(text=text, response_type="ephemeral"))
    return None
