"""The ``/scalewarden`` slash command: one listener, a dispatch table, one handler per spec.

The listener parses the text (``slack/commands.py``), finds the subcommand's spec, applies
its ``admin_only`` rule, and calls the handler that ``HANDLERS`` names for it. Handlers are
module-level functions of a :class:`CommandContext` and the parsed command, so they can be
tested with a fake ``ack`` and ``respond``, without HTTP.

Every handler acknowledges first, within Slack's 3-second limit, and does the slow part
(search, database, AWS) as tracked background work that answers through ``response_url`` or
the Web API. Every command, whatever its outcome, is written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.checks.model import Finding
from scalewarden.scanning.runner import Admission
from scalewarden.slack.access import AccessDecision
from scalewarden.slack.commands import (
    SLASH_COMMAND,
    SPECS,
    AskCommand,
    FindingsCommand,
    HelpCommand,
    ScanCommand,
    parse_command,
    spec_of,
)
from scalewarden.slack.listeners.digests import (
    handle_alerts,
    handle_digest,
    handle_mute,
    handle_unmute,
)
from scalewarden.slack.listeners.replies import BUSY, Asker, reply_to_question
from scalewarden.slack.scan.flow import (
    ScanRequest,
    admission_text,
    run_scan_in_slack,
    seat_request,
    stored_mutes,
)
from scalewarden.slack.scan.scanner import job_for_command
from scalewarden.slack.services import Responder, SlackServices, safe_call
from scalewarden.slack.usertext import inert
from scalewarden.slack.views.help import help_blocks
from scalewarden.slack.views.scan import findings_blocks

logger = logging.getLogger(__name__)

#: The ack of an admin-only command while the admin group is read from Slack.
CHECKING_ACCESS = "Checking that you are a scalewarden admin…"

#: Bolt's ``ack`` (or a test's stand-in): ``await ack(text=…, blocks=…, response_type=…)``.
Ack = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class CommandContext:
    """One invocation of ``/scalewarden``: who, where, how to answer, what to record."""

    services: SlackServices
    client: AsyncWebClient
    ack: Ack
    respond: Responder
    name: str
    text: str
    user_id: str
    team_id: str | None
    channel_id: str

    async def audit(self, outcome: str, detail: str | None = None) -> None:
        """Write this command's audit entry (a log line at once, the row in a batch)."""
        await self.services.audit.record(
            user_id=self.user_id,
            team_id=self.team_id,
            channel_id=self.channel_id or None,
            command=self.name,
            arguments=self.text,
            outcome=outcome,
            detail=detail,
        )

    async def reply(self, text: str, **message: Any) -> None:
        """An ephemeral answer through ``response_url`` (after the ack)."""
        await safe_call(
            "response_url", self.respond(text=text, response_type="ephemeral", **message)
        )


#: A subcommand's handler: acknowledge, then answer (usually as background work).
Handler = Callable[[CommandContext, Any], Awaitable[None]]


async def handle_help(ctx: CommandContext, command: HelpCommand) -> None:
    """Usage, with what was wrong first when the text could not be understood."""
    await ctx.ack(
        # The problem quotes what the user typed: shown inert, like every echo.
        text=inert(command.problem) if command.problem else f"How to use {SLASH_COMMAND}",
        blocks=help_blocks(command.problem),
        response_type="ephemeral",
    )
    outcome = "usage_error" if command.problem else "help"
    ctx.services.tasks.spawn(ctx.audit(outcome, command.problem))


async def handle_ask(ctx: CommandContext, command: AskCommand) -> None:
    """An answer from the knowledge base, as a quick job (or "busy" when the queue is full)."""
    services = ctx.services

    async def answer() -> None:
        reply = await reply_to_question(
            services,
            command.question,
            source="command",
            shareable=True,
            asker=Asker(ctx.user_id, ctx.client),
        )
        # The reply is ephemeral: the asker's account line can end it.
        blocks, text = reply.with_account()
        await ctx.reply(text, blocks=blocks, replace_original=True)
        # The audit row is written outside the quick slot: an answer waiting on the
        # database would hold the slot from the next question, and rows written one
        # at a time would each cost a transaction instead of sharing a batch.
        services.tasks.spawn(ctx.audit(reply.outcome), name="slack-audit")

    if services.tasks.spawn(answer(), name="slack-ask", limited=True) is None:
        await shed_question(ctx)
        return
    await ctx.ack(text="Looking that up…", response_type="ephemeral")


async def shed_question(ctx: CommandContext) -> None:
    """A question shed at the door (the queue of answers is full): the ack itself says so,
    no post follows, and the audit records it as ``busy``."""
    await ctx.ack(text=BUSY, response_type="ephemeral")
    ctx.services.metrics.answers.labels(source="command", outcome="busy").inc()
    ctx.services.tasks.spawn(ctx.audit("busy"), name="slack-audit")


class ShedQuestionsWhenBusy(AsyncMiddleware):
    """Answers ``/scalewarden ask`` with the busy reply in Bolt's middleware, before any
    listener is matched, when the queue of answers is full.

    Under a flood most questions are shed, and each paid Bolt's listener matching and the
    listener's argument building (every payload view, ``say``, ``respond``…, built twice) only
    to be told "busy". Registered after :class:`~scalewarden.slack.workspace.WorkspaceGuard`:
    a shed question has passed the same signature, workspace and authorisation checks as an
    answered one, and is audited the same way (:func:`shed_question`). Other subcommands and
    questions while there is room go on to the listener.
    """

    def __init__(self, services: SlackServices) -> None:
        self._services = services

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        if body.get("command") != SLASH_COMMAND:
            return await next()
        parsed = parse_command(str(body.get("text") or ""))
        if not isinstance(parsed, AskCommand):
            return await next()
        if not self._services.tasks.refuse_if_full("slack-ask"):
            return await next()
        ack = AsyncAck()
        ctx = command_context(self._services, body, req.context.client, ack, parsed)
        await shed_question(ctx)
        assert ack.response is not None
        return ack.response


async def handle_scan(ctx: CommandContext, command: ScanCommand) -> None:
    """Check the named checks exist, submit the scan to the runner, then follow it with a
    progress message (or say why it was refused, or that it joined the same scan)."""
    unknown = _unknown_checks(ctx.services, command)
    if unknown:
        message = (
            f"I don't know the check(s) {', '.join(f'`{inert(c)}`' for c in unknown)}. "
            "`scalewarden checks` lists them all."
        )
        await ctx.ack(text=message, response_type="ephemeral")
        ctx.services.tasks.spawn(ctx.audit("usage_error", message))
        return
    problem = ctx.services.scan_scope.problem(accounts=command.accounts, regions=command.regions)
    if problem:
        message = f"I cannot scan that: {problem}."
        await ctx.ack(text=message, response_type="ephemeral")
        ctx.services.tasks.spawn(ctx.audit("refused", message))
        return
    # The runner decides at once (merge, queue or refuse), so the ack can say which.
    job = job_for_command(command, ctx.services.scan_scope, await stored_mutes(ctx.services))
    ticket = ctx.services.scans.submit(job, requester=ctx.user_id, source="slack")
    run = ticket.run
    if run is None:
        await ctx.ack(text=admission_text(command, ticket), response_type="ephemeral")
        ctx.services.metrics.scans.labels(outcome="refused").inc()
        ctx.services.tasks.spawn(ctx.audit("refused", ticket.reason))
        return
    # Seated before the ack's await: the first request for a destination posts there, and a
    # merged one elsewhere posts nothing until the results.
    request = ScanRequest(command=command, user_id=ctx.user_id, channel_id=ctx.channel_id)
    seated = seat_request(ctx.services, request, run)
    where = (
        ""
        if ctx.channel_id in ctx.services.security_channels
        else " The results come to you in a direct message."
    )
    await ctx.ack(text=admission_text(command, ticket) + where, response_type="ephemeral")

    async def scan() -> None:
        outcome, detail = await run_scan_in_slack(
            ctx.services,
            ctx.client,
            ctx.respond,
            request,
            run,
            merged=ticket.admission is Admission.MERGED,
            seated=seated,
        )
        await ctx.audit(outcome, detail)

    ctx.services.tasks.spawn(scan(), name="slack-scan")


async def handle_findings(ctx: CommandContext, command: FindingsCommand) -> None:
    """The latest stored findings at or above a severity."""
    await ctx.ack(text="Fetching the latest findings…", response_type="ephemeral")
    ctx.services.tasks.spawn(_send_findings(ctx, command), name="slack-findings")


#: Subcommand name → handler. Each spec in ``slack/commands.py`` has exactly one entry (a test
#: checks it, and :func:`register` refuses to start without).
HANDLERS: dict[str, Handler] = {
    "ask": handle_ask,
    "scan": handle_scan,
    "findings": handle_findings,
    "digest": handle_digest,
    "alerts": handle_alerts,
    "mute": handle_mute,
    "unmute": handle_unmute,
    "help": handle_help,
}


async def dispatch(ctx: CommandContext, command: object) -> None:
    """Apply the spec's access rule, then run its handler.

    The rule is decided before the ack when that needs no Web API call. When the admin group
    must be read from Slack, the ack goes first ("Checking…"), and the lookup and then the
    handler run as background work whose own ack becomes a reply through ``response_url``
    that replaces it: an ack never waits on Slack's Web API, slow or down.
    """
    spec = spec_of(command)
    if not spec.admin_only:
        await HANDLERS[spec.name](ctx, command)
        return
    decision = ctx.services.access.decided_now(ctx.user_id)
    if decision is not None:
        await _apply(ctx, command, decision)
        return
    await ctx.ack(text=CHECKING_ACCESS, response_type="ephemeral")

    async def later() -> None:
        # Bounded by the policy's lookup deadline (``AccessPolicy.lookup_timeout``).
        decision = await ctx.services.access.may_scan(ctx.user_id, ctx.client)
        await _apply(replace(ctx, ack=_ack_by_reply(ctx.respond)), command, decision)

    ctx.services.tasks.spawn(later(), name="slack-access")


async def _apply(ctx: CommandContext, command: object, decision: AccessDecision) -> None:
    spec = spec_of(command)
    if not decision.allowed:
        await ctx.ack(text=decision.reason, response_type="ephemeral")
        ctx.services.metrics.commands.labels(command=spec.name, outcome="denied").inc()
        ctx.services.tasks.spawn(ctx.audit("denied", decision.reason))
        return
    await HANDLERS[spec.name](ctx, command)


def _ack_by_reply(respond: Responder) -> Ack:
    """An ``ack`` for a handler run after the real ack was sent: what it would have said
    replaces the "Checking…" message through ``response_url``."""

    async def ack(**message: Any) -> None:
        await safe_call("response_url", respond(replace_original=True, **message))

    return ack


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the ``/scalewarden`` listener."""
    missing = {spec.name for spec in SPECS} ^ set(HANDLERS)
    if missing:
        raise RuntimeError(f"subcommands without both a spec and a handler: {sorted(missing)}")

    @app.command(SLASH_COMMAND)
    async def scalewarden_command(
        ack: Ack, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        parsed = parse_command(str(command.get("text") or ""))
        await dispatch(command_context(services, command, client, ack, parsed), parsed)


def command_context(
    services: SlackServices,
    command: dict[str, Any],
    client: AsyncWebClient,
    ack: Ack,
    parsed: object,
) -> CommandContext:
    """The context of one ``/scalewarden`` payload (``parsed`` is its ``parse_command``)."""
    return CommandContext(
        services=services,
        client=client,
        ack=ack,
        respond=services.responder(command.get("response_url")),
        name=spec_of(parsed).name,
        text=str(command.get("text") or ""),
        user_id=str(command.get("user_id") or "unknown"),
        team_id=command.get("team_id"),
        channel_id=str(command.get("channel_id") or ""),
    )


def _unknown_checks(services: SlackServices, command: ScanCommand) -> list[str]:
    if not command.check_ids:
        return []
    try:
        known = {c.id for c in services.checks()}
    except Exception:  # let the scan report it; the catalogue is only a courtesy here
        return []
    return [c for c in command.check_ids if c not in known]


async def _send_findings(ctx: CommandContext, command: FindingsCommand) -> None:
    store = ctx.services.store
    if store is None:
        message = "No database is configured, so there are no stored findings."
        await ctx.reply(message)
        await ctx.audit("failed", message)
        return
    try:
        rows = await asyncio.to_thread(store.latest_findings, min_severity=command.min_severity)
        findings = [Finding.from_dict(row) for row in rows]
    except Exception as exc:
        logger.error("could not read findings: %s", type(exc).__name__)
        await ctx.reply("I could not read the stored findings just now; please try again later.")
        await ctx.audit("failed", type(exc).__name__)
        return
    if not findings and await asyncio.to_thread(store.latest_scan) is None:
        await ctx.reply(
            f"No scan has been stored yet. An admin can run one with `{SLASH_COMMAND} scan`."
        )
        await ctx.audit("completed", "no scan stored")
        return
    blocks = findings_blocks(findings, min_severity=command.min_severity)
    await ctx.reply(
        f"{len(findings)} open finding(s)",
        blocks=blocks,
        replace_original=True,
    )
    await ctx.audit("completed", f"{len(findings)} findings")
