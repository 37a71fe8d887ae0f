"""Button clicks: 👍/👎 feedback, "Share to channel", "Remediation", a digest's full list,
an alert's "Scan this target now" and "Mute similar" (admins), and an answer's "List them"
(the asker's failing findings).

Each handler acknowledges at once and answers through the ``response_url`` of the message
the button was on, so it works in channels the bot has not joined and on ephemeral messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from scalewarden.slack.audit import Actor
from scalewarden.slack.listeners.account import show_failing
from scalewarden.slack.listeners.digests import show_full_list
from scalewarden.slack.listeners.replies import busy_response, check_reply, reply_to_question
from scalewarden.slack.services import Responder, SlackServices, safe_call
from scalewarden.slack.usertext import inert, mention
from scalewarden.slack.views.buttons import (
    ACTION_ACCOUNT_FINDINGS,
    ACTION_ALERT_MUTE,
    ACTION_ALERT_SCAN,
    ACTION_DIGEST_FULL,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_REMEDIATION,
    ACTION_SHARE,
    AccountPayload,
    AlertTargetPayload,
    AnswerPayload,
    DigestPayload,
    RemediationPayload,
)
from scalewarden.slack.views.text import clip

logger = logging.getLogger(__name__)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    first = actions[0] if isinstance(actions, list) and actions else {}
    return first if isinstance(first, dict) else {}


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id") if isinstance(user, dict) else user or "unknown")


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    return None


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the button handlers."""

    async def feedback(body: dict[str, Any], respond: Responder, vote: str) -> str:
        payload = AnswerPayload.decode(_action(body).get("value"))
        if not payload.question:
            return "ignored"
        if services.store is not None:
            try:
                await asyncio.to_thread(
                    services.store.save_feedback,
                    user_id=_user_id(body),
                    question=payload.question,
                    vote=vote,
                    article_ids=list(payload.article_ids),
                    channel_id=_channel_id(body),
                )
            except Exception as exc:
                logger.error("could not store feedback: %s", type(exc).__name__)
                return "failed"
        thanks = "Thanks, noted." if vote == "up" else "Thanks, that helps us improve the answer."
        await safe_call(
            "response_url",
            respond(text=thanks, response_type="ephemeral", replace_original=False),
        )
        return "recorded"

    async def share(body: dict[str, Any], respond: Responder) -> str:
        question = AnswerPayload.decode(_action(body).get("value")).question
        if not question:
            return "ignored"
        reply = await reply_to_question(services, question, source="share", shareable=False)
        # The question came back in a button value: shown to the channel, it must stay inert
        # (no @channel, no mentions, no disguised links); the sharer is mentioned only when
        # the id is a real user id.
        shared_by = mention(_user_id(body))
        blocks = [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{shared_by} asked: “{inert(clip(question, 500))}”",
                    }
                ],
            },
            *reply.blocks,
        ]
        await safe_call("response_url", respond(delete_original=True))
        await safe_call(
            "response_url",
            respond(
                text=reply.text, blocks=blocks, response_type="in_channel", replace_original=False
            ),
        )
        return f"shared_{reply.outcome}"

    async def remediation(body: dict[str, Any], respond: Responder) -> str:
        payload = RemediationPayload.decode(_action(body).get("value"))
        check = services.find_check(payload.check_id)
        if check is None:
            await safe_call(
                "response_url",
                respond(
                    text="That check is no longer known to this version of scalewarden.",
                    response_type="ephemeral",
                    replace_original=False,
                ),
            )
            return "unknown_check"
        reply = await check_reply(services, check, payload.where())
        await safe_call(
            "response_url",
            respond(
                text=reply.text,
                blocks=reply.blocks,
                response_type="ephemeral",
                replace_original=False,
            ),
        )
        return "shown"

    async def digest_full_list(body: dict[str, Any], respond: Responder) -> str:
        payload = DigestPayload.decode(_action(body).get("value"))
        if payload is None:
            return "ignored"
        return await show_full_list(
            services,
            digest_client,
            respond,
            user_id=_user_id(body),
            subscription_id=payload.subscription_id,
            scan_id=payload.scan_id,
        )

    async def private(respond: Responder, text: str) -> None:
        await safe_call(
            "response_url",
            respond(text=text, response_type="ephemeral", replace_original=False),
        )

    async def alert_scan(body: dict[str, Any], respond: Responder) -> str:
        """A scan of the alert's check in its account and region, queued on the shared
        runner (worker processes) like ``/scalewarden scan``; results where that sends them."""
        from scalewarden.scanning.runner import Admission
        from scalewarden.slack.commands import ScanCommand
        from scalewarden.slack.scan.flow import (
            ScanRequest,
            admission_text,
            run_scan_in_slack,
            seat_request,
            stored_mutes,
        )
        from scalewarden.slack.scan.scanner import job_for_command

        payload = AlertTargetPayload.decode(_action(body).get("value"))
        if payload is None or services.find_check(payload.check_id) is None:
            await private(respond, "That alert's check is not known to this version.")
            return "ignored"
        user = _user_id(body)
        decision = await services.access.may_scan(user, alert_client)
        if not decision.allowed:
            await private(respond, decision.reason)
            return "denied"
        command = ScanCommand(
            check_ids=(payload.check_id,),
            regions=(payload.region,) if payload.region else (),
            accounts=(payload.account,) if payload.account else (),
        )
        problem = await services.scan_scope.problem_when_known(
            accounts=command.accounts, regions=command.regions
        )
        if problem:
            await private(respond, f"I cannot scan that: {inert(problem)}.")
            return "refused"
        job = job_for_command(command, services.scan_scope, await stored_mutes(services))
        ticket = services.scans.submit(job, requester=user, source="slack")
        run = ticket.run
        if run is None:
            await private(respond, admission_text(command, ticket))
            services.metrics.scans.labels(outcome="refused").inc()
            return "refused"
        request = ScanRequest(command=command, user_id=user, channel_id=_channel_id(body) or "")
        seated = seat_request(services, request, run)  # before any await: see handle_scan
        await private(respond, admission_text(command, ticket))
        merged = ticket.admission is Admission.MERGED

        async def follow() -> None:  # a scan outlives the click's quick slot
            await run_scan_in_slack(
                services, alert_client, respond, request, run, merged=merged, seated=seated
            )

        services.tasks.spawn(follow(), name="slack-scan")
        return "scan_started"

    async def alert_mute(body: dict[str, Any], respond: Responder) -> str:
        """The mute flow, filled in: the ``mute`` command for this check and resource, with
        a reason and an expiry to complete (admins; what it stores silences similar alerts)."""
        from datetime import UTC, datetime, timedelta

        from scalewarden.slack.commands import SLASH_COMMAND

        payload = AlertTargetPayload.decode(_action(body).get("value"))
        if payload is None or services.find_check(payload.check_id) is None:
            await private(respond, "That alert's check is not known to this version.")
            return "ignored"
        decision = await services.access.may_scan(_user_id(body), alert_client)
        if not decision.allowed:
            await private(respond, decision.reason)
            return "denied"
        parts = payload.resource.split(" ")
        pattern = parts[1] if len(parts) == 3 else payload.resource
        # Quoted for the command's parser: no quote or backslash of the resource survives.
        pattern = pattern.replace('"', "").replace("\\", "").strip()
        quoted = f'"{pattern}" ' if pattern else ""
        until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
        # Scoped to where the change happened (the payload keeps only well-formed ids), so
        # the mute does not silence the same check in every other account and region.
        scope = "".join(
            f" {key}={value}"
            for key, value in (("accounts", payload.account), ("regions", payload.region))
            if value
        )
        line = f'{SLASH_COMMAND} mute {payload.check_id} {quoted}reason="..." until={until}{scope}'
        await private(
            respond,
            "To mute alerts and findings like this one, run (change the reason and the "
            f"date; a `*` in the pattern matches any text):\n```{inert(line)}```",
        )
        return "shown"

    async def account_findings(body: dict[str, Any], respond: Responder) -> str:
        payload = AccountPayload.decode(_action(body).get("value"))
        if payload is None:
            return "ignored"
        return await show_failing(
            services, digest_client, respond, user_id=_user_id(body), payload=payload
        )

    def on_click(
        source: str, job: Callable[[dict[str, Any], Responder], Coroutine[Any, Any, str]]
    ) -> Callable[[AsyncAck, dict[str, Any]], Coroutine[Any, Any, None]]:
        """A button listener: acknowledge, then run ``job`` as a quick job that answers
        through the message's ``response_url`` (or says it is busy), and audit the click with
        the job's outcome (the row written outside the quick slot, as for commands)."""

        async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            respond = services.responder(body.get("response_url"))
            actor = Actor.of_interaction(body)
            action = _action(body)
            arguments = str(action.get("value") or "")

            def audit(outcome: str) -> None:
                services.tasks.spawn(
                    services.audit.record_action(
                        actor,
                        kind="button",
                        action=str(action.get("action_id") or source),
                        arguments=arguments,
                        outcome=outcome,
                    ),
                    name="slack-audit",
                )

            async def run() -> None:
                try:
                    outcome = await job(body, respond)
                except Exception:
                    audit("failed")
                    raise
                audit(outcome)

            async def when_busy() -> None:
                await busy_response(services, respond, source=source, replace_original=False)()
                audit("busy")

            services.tasks.spawn(run(), name=f"slack-{source}", limited=True, when_busy=when_busy)

        return listener

    app.action(ACTION_FEEDBACK_UP)(on_click("feedback", lambda b, r: feedback(b, r, "up")))
    app.action(ACTION_FEEDBACK_DOWN)(on_click("feedback", lambda b, r: feedback(b, r, "down")))
    app.action(ACTION_SHARE)(on_click("share", share))
    app.action(ACTION_REMEDIATION)(on_click("remediation", remediation))
    digest_client = app.client
    app.action(ACTION_DIGEST_FULL)(on_click("digest", digest_full_list))
    alert_client = app.client
    app.action(ACTION_ALERT_SCAN)(on_click("alert_scan", alert_scan))
    app.action(ACTION_ALERT_MUTE)(on_click("alert_mute", alert_mute))
    app.action(ACTION_ACCOUNT_FINDINGS)(on_click("account", account_findings))
