"""The ``/scalewarden`` slash command.

Every branch acknowledges first, within Slack's 3-second limit, and does the slow part
(search, database, AWS) as tracked background work that answers through ``response_url`` or
the Web API. Every command, whatever its outcome, is written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import Finding
from scalewarden.slack import blocks as ui
from scalewarden.slack.access import AccessDecision
from scalewarden.slack.commands import (
    AskCommand,
    FindingsCommand,
    HelpCommand,
    ScanCommand,
    command_name,
    parse_command,
)
from scalewarden.slack.listeners.replies import BUSY, reply_to_question
from scalewarden.slack.scan_flow import ScanRequest, run_scan_in_slack, scan_headline
from scalewarden.slack.services import Responder, SlackServices, safe_call

logger = logging.getLogger(__name__)

#: How long the admin-group lookup may take before the ack (Slack's limit is 3 s).
ACCESS_TIMEOUT = 2.0


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the ``/scalewarden`` handler."""

    @app.command("/scalewarden")
    async def scalewarden_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        respond = services.responder(command.get("response_url"))
        text = str(command.get("text") or "")
        user_id = str(command.get("user_id") or "unknown")
        team_id = command.get("team_id")
        channel_id = str(command.get("channel_id") or "")
        parsed = parse_command(text)
        name = command_name(parsed)

        async def audit(outcome: str, detail: str | None = None) -> None:
            await services.audit.record(
                user_id=user_id,
                team_id=team_id,
                channel_id=channel_id or None,
                command=name,
                arguments=text,
                outcome=outcome,
                detail=detail,
            )

        if isinstance(parsed, HelpCommand):
            await ack(
                # The problem quotes what the user typed: shown inert, like every echo.
                text=ui.inert(parsed.problem) if parsed.problem else "How to use /scalewarden",
                blocks=ui.help_blocks(parsed.problem),
                response_type="ephemeral",
            )
            services.tasks.spawn(audit("usage_error" if parsed.problem else "help", parsed.problem))
            return

        if isinstance(parsed, AskCommand):

            async def answer(question: str = parsed.question) -> None:
                reply = await reply_to_question(
                    services, question, source="command", shareable=True
                )
                await safe_call(
                    "response_url",
                    respond(
                        text=reply.text,
                        blocks=reply.blocks,
                        response_type="ephemeral",
                        replace_original=True,
                    ),
                )
                # The audit row is written outside the quick slot: an answer waiting on the
                # database would hold the slot from the next question, and rows written one
                # at a time would each cost a transaction instead of sharing a batch.
                services.tasks.spawn(audit(reply.outcome), name="slack-audit")

            if services.tasks.spawn(answer(), name="slack-ask", limited=True) is None:
                # Shed at the door (the queue is full): the ack itself says so, no post follows.
                await ack(text=BUSY, response_type="ephemeral")
                services.metrics.answers.labels(source="command", outcome="busy").inc()
                services.tasks.spawn(audit("busy"), name="slack-audit")
                return
            await ack(text="Looking that up…", response_type="ephemeral")
            return

        # Everything below touches AWS or shows what a scan found: admins only.
        decision = await _decide(services, user_id, client)
        if not decision.allowed:
            await ack(text=decision.reason, response_type="ephemeral")
            if isinstance(parsed, ScanCommand):
                services.metrics.scans.labels(outcome="denied").inc()
            services.tasks.spawn(audit("denied", decision.reason))
            return

        if isinstance(parsed, FindingsCommand):
            await ack(text="Fetching the latest findings…", response_type="ephemeral")
            services.tasks.spawn(
                _send_findings(services, respond, parsed, audit), name="slack-findings"
            )
            return

        assert isinstance(parsed, ScanCommand)
        unknown = _unknown_checks(services, parsed)
        if unknown:
            message = (
                f"I don't know the check(s) {', '.join(f'`{ui.inert(c)}`' for c in unknown)}. "
                "`scalewarden checks` lists them all."
            )
            await ack(text=message, response_type="ephemeral")
            services.tasks.spawn(audit("usage_error", message))
            return
        await ack(text=scan_headline(parsed), response_type="ephemeral")

        async def scan(cmd: ScanCommand = parsed) -> None:
            outcome, detail = await run_scan_in_slack(
                services,
                client,
                respond,
                ScanRequest(command=cmd, user_id=user_id, channel_id=channel_id),
            )
            await audit(outcome, detail)

        services.tasks.spawn(scan(), name="slack-scan")


async def _decide(services: SlackServices, user_id: str, client: AsyncWebClient) -> AccessDecision:
    try:
        return await asyncio.wait_for(services.access.may_scan(user_id, client), ACCESS_TIMEOUT)
    except TimeoutError:
        from scalewarden.slack.access import CANNOT_VERIFY

        return AccessDecision(False, CANNOT_VERIFY)


def _unknown_checks(services: SlackServices, command: ScanCommand) -> list[str]:
    if not command.check_ids:
        return []
    try:
        known = {c.id for c in services.checks()}
    except Exception:  # let the scanner report it; the catalogue is only a courtesy here
        return []
    return [c for c in command.check_ids if c not in known]


async def _send_findings(
    services: SlackServices, respond: Responder, command: FindingsCommand, audit: Any
) -> None:
    if services.store is None:
        message = "No database is configured, so there are no stored findings."
        await safe_call("response_url", respond(text=message, response_type="ephemeral"))
        await audit("failed", message)
        return
    try:
        rows = await asyncio.to_thread(
            services.store.latest_findings, min_severity=command.min_severity
        )
        findings = [Finding.from_dict(row) for row in rows]
    except Exception as exc:
        logger.error("could not read findings: %s", type(exc).__name__)
        message = "I could not read the stored findings just now; please try again later."
        await safe_call("response_url", respond(text=message, response_type="ephemeral"))
        await audit("failed", type(exc).__name__)
        return
    if not findings and await asyncio.to_thread(services.store.latest_scan) is None:
        message = "No scan has been stored yet. An admin can run one with `/scalewarden scan`."
        await safe_call("response_url", respond(text=message, response_type="ephemeral"))
        await audit("completed", "no scan stored")
        return
    blocks = ui.findings_blocks(findings, min_severity=command.min_severity)
    await safe_call(
        "response_url",
        respond(
            text=f"{len(findings)} open finding(s)",
            blocks=blocks,
            response_type="ephemeral",
            replace_original=True,
        ),
    )
    await audit("completed", f"{len(findings)} findings")
