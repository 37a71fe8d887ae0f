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
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import ScanReport
from scalewarden.reports import resolve_format
from scalewarden.scan import ScanError
from scalewarden.scanning.executors import UnexpectedScanError, WorkerCrashed
from scalewarden.scanning.runner import (
    Admission,
    ScanCancelled,
    ScanRefused,
    ScanRun,
    ScanState,
    Ticket,
)
from scalewarden.slack.commands import ScanCommand
from scalewarden.slack.redact import redact
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
) -> None:
    messages = scan_messages(report)
    if channel and ts:
        updated = await safe_call(
            "chat.update",
            client.chat_update(channel=channel, ts=ts, text=messages.text, blocks=messages.blocks),
        )
        if updated is None:  # e.g. the progress message was deleted: post afresh
            posted = await safe_call(
                "chat.postMessage",
                client.chat_postMessage(
                    channel=channel, text=messages.text, blocks=messages.blocks
                ),
            )
            ts = posted["ts"] if posted else None
        if ts is None:
            # Slack refused the results twice (e.g. invalid_blocks, msg_too_long, the bot
            # removed from the channel): tell the requester in plain text, which always fits.
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
            return
    else:
        await safe_call(
            "response_url",
            respond(text=messages.text, blocks=messages.blocks, response_type="ephemeral"),
        )
        return
    if not (channel and ts):
        return
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


def admission_text(command: ScanCommand, ticket: Ticket) -> str:
    """The ack for a scan request: the headline, and what the runner decided."""
    headline = scan_headline(command)
    if ticket.admission is Admission.REFUSED:
        return f":no_entry: The scan was not started: {escape(ticket.reason or 'refused')}."
    if ticket.admission is Admission.MERGED and ticket.run is not None:
        state = "running" if ticket.run.state is ScanState.RUNNING else "queued"
        return (
            f"{headline} The same scan is already {state}, so this request joins it: "
            "you will get its results."
        )
    return headline


async def run_scan_in_slack(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Responder,
    request: ScanRequest,
    run: ScanRun,
) -> tuple[str, str | None]:
    """Follow ``run`` (from the scan runner) in Slack: a progress message, then the results;
    returns (outcome, detail) for the audit log."""
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
        return "cancelled", "the service shut down before the scan finished"
    except Exception as exc:
        crashed = isinstance(exc, WorkerCrashed | UnexpectedScanError)
        logger.error("scan failed: %s: %s", type(exc).__name__, redact(str(exc))[:500])
        await reporter.stop()  # a progress update still in flight must not land after this
        services.metrics.scans.labels(outcome="error" if crashed else "failed").inc()
        await _tell(client, respond, channel, ts, failure_message(exc))
        # A crash's text is ours ("killed by SIGKILL"); other errors may quote the account.
        detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, WorkerCrashed) else None
        return ("error" if crashed else "failed"), detail or type(exc).__name__
    finally:
        unsubscribe()
        await reporter.stop()
    services.metrics.scans.labels(outcome="completed").inc()
    await _deliver(client, respond, channel=channel, ts=ts, report=report)
    summary: dict[str, Any] = report.summary
    fails = sum(summary["fail_by_severity"].values())
    scan_id = run.stored_id or report.scan_id
    merged = " (merged)" if run.requested_by != request.user_id else ""
    return "completed", f"scan {scan_id}{merged}: {fails} failing of {summary['total']}"


async def _tell(
    client: AsyncWebClient, respond: Responder, channel: str | None, ts: str | None, text: str
) -> None:
    """Replace the progress message with ``text`` (or answer the requester privately)."""
    if channel and ts:
        await safe_call(
            "chat.update",
            client.chat_update(channel=channel, ts=ts, text=text, blocks=progress_blocks(text)),
        )
    else:
        await safe_call("response_url", respond(text=text, response_type="ephemeral"))
