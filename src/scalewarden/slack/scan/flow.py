"""An on-demand scan requested in Slack, from the progress message to the file upload.

Findings name an account's weak spots, so results go to the admin who asked, by DM, unless
the command was typed in one of ``SCALEWARDEN_SECURITY_CHANNELS``; there they are posted in
the channel. The ack has already told the user that the scan started. Here we post a progress
message (in the DM or the security channel), run the (blocking, boto3) scanner in a worker
thread while progress events edit that message, apply the stored mutes, store the report under
its scope key (``ScanScope.key()``, as the CLI and digests do), then replace the progress
message with the results. Findings that do not fit go to the thread, and the whole report to a
JSON file in the thread, because Slack refuses messages beyond 50 blocks or about 12k
characters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import ScanReport
from scalewarden.reports import resolve_format
from scalewarden.slack.background import run_in_daemon_thread
from scalewarden.slack.commands import ScanCommand
from scalewarden.slack.redact import redact
from scalewarden.slack.scan.progress import ProgressReporter
from scalewarden.slack.scan.scanner import command_scope
from scalewarden.slack.services import Responder, ServiceStore, SlackServices, safe_call
from scalewarden.slack.usertext import escape
from scalewarden.slack.views.scan import progress_blocks, scan_messages

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
    user_facing: tuple[type[BaseException], ...] = (ValueError,)
    try:
        from scalewarden.scan import ScanError

        user_facing = (ScanError, ValueError)
    except ImportError:  # pragma: no cover - the scan module ships with the package
        pass
    if isinstance(exc, user_facing):
        return f":x: The scan could not run: {escape(redact(str(exc)))[:500]}"
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
        content = UPLOAD_FORMAT.render(report)
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


def apply_stored_mutes(store: ServiceStore, report: ScanReport) -> ScanReport:
    """The report with the stored mutes applied (the one matcher of ``checks/mutelist.py``)."""
    from scalewarden.checks.mutelist import Mutelist

    mutes = Mutelist.from_stored(store.mutes())
    if not mutes.rules:
        return report
    return dataclasses.replace(report, findings=mutes.apply(report.findings, datetime.now(UTC)))


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


async def run_scan_in_slack(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Responder,
    request: ScanRequest,
) -> tuple[str, str | None]:
    """Run the scan and post its results; returns (outcome, detail) for the audit log."""
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
    gate = services.scan_gate()
    if gate.locked():
        waiting = f":hourglass: {headline} Waiting for the scan already running to finish."
        await safe_call("chat.update", send(waiting))
    reporter.start()
    try:
        async with gate:
            report = await run_in_daemon_thread(
                services.scanner, request.command, reporter.callback, name="scalewarden-scan"
            )
    except asyncio.CancelledError:
        # The service is shutting down and could not wait for the scan: say so in the channel
        # rather than leave "Scanning…" there for good, and let the audit record it.
        await reporter.stop()  # a progress update still in flight must not land after this
        services.metrics.scans.labels(outcome="cancelled").inc()
        if channel and ts:
            await safe_call(
                "chat.update",
                client.chat_update(
                    channel=channel,
                    ts=ts,
                    text=SCAN_INTERRUPTED,
                    blocks=progress_blocks(SCAN_INTERRUPTED),
                ),
            )
        else:
            await safe_call(
                "response_url", respond(text=SCAN_INTERRUPTED, response_type="ephemeral")
            )
        return "cancelled", "the service shut down before the scan finished"
    except Exception as exc:
        logger.error("scan failed: %s: %s", type(exc).__name__, redact(str(exc))[:500])
        await reporter.stop()  # a progress update still in flight must not land after this
        services.metrics.scans.labels(outcome="failed").inc()
        message = failure_message(exc)
        if channel and ts:
            await safe_call(
                "chat.update",
                client.chat_update(
                    channel=channel, ts=ts, text=message, blocks=progress_blocks(message)
                ),
            )
        else:
            await safe_call("response_url", respond(text=message, response_type="ephemeral"))
        return "failed", type(exc).__name__
    finally:
        await reporter.stop()
    scan_id: str | None = report.scan_id
    if services.store is not None:
        store = services.store
        try:
            report = await asyncio.to_thread(apply_stored_mutes, store, report)
            scope = command_scope(request.command, services.scan_scope)
            scan_id = await asyncio.to_thread(
                store.save_scan,
                report.to_dict(),
                requested_by=request.user_id,
                scope_key=scope.key(),
                checks=scope.check_ids(),
            )
        except Exception as exc:  # results still go to Slack; the log says what was lost
            logger.error("could not store scan %s: %s", report.scan_id, type(exc).__name__)
    services.metrics.scans.labels(outcome="completed").inc()
    await _deliver(client, respond, channel=channel, ts=ts, report=report)
    summary: dict[str, Any] = report.summary
    fails = sum(summary["fail_by_severity"].values())
    return "completed", f"scan {scan_id}: {fails} failing of {summary['total']}"
