"""The Slack edges of answers that know the account (the core is ``scalewarden.account_answers``).

After an answer, :func:`account_reply` decides who is asking (admin or not, the same decision
as for scans) and, for an admin, reads what the newest stored scan says about the checks the
answered section explains. The line is for the asker only: the callers append it to answers
that only the asker sees (the slash command's ephemeral reply, a DM) and send it as an
ephemeral message after a mention's answer in a channel. "List them" (:func:`show_failing`)
checks again that the clicker is an admin and lists the failing findings privately.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.account_answers import (
    Standing,
    account_note,
    linked_checks,
    non_admin_text,
    note_text,
)
from scalewarden.checks.model import Check, Finding
from scalewarden.slack.services import SlackServices, safe_call
from scalewarden.slack.views.answers import account_blocks
from scalewarden.slack.views.buttons import AccountPayload
from scalewarden.slack.views.scan import findings_blocks
from scalewarden.slack.views.text import Blocks

logger = logging.getLogger(__name__)

#: The most failing findings "List them" reads (the message packs what fits and counts the rest).
MAX_LISTED = 500


def _linked(services: SlackServices, section_id: str) -> tuple[Check, ...]:
    try:
        return linked_checks(services.checks(), section_id)
    except Exception as exc:  # the catalogue is optional for answers; never fail one on it
        logger.warning("check catalogue unavailable: %s", type(exc).__name__)
        return ()


async def account_reply(
    services: SlackServices, client: AsyncWebClient, user_id: str, section_id: str
) -> tuple[Blocks, str]:
    """The asker's line (blocks and text) for an answer from ``section_id``; nothing when the
    section explains no check or the store cannot be read (then nothing is claimed)."""
    checks = _linked(services, section_id)
    if not checks:
        return [], ""
    ids = [check.id for check in checks]
    decision = await services.access.may_scan(user_id, client)
    if not decision.allowed:
        line = non_admin_text(ids)
        return account_blocks(line, None), line
    scan = None
    if services.store is not None:
        try:
            scan = await asyncio.to_thread(services.store.check_findings, ids)
        except Exception as exc:
            logger.warning("answer without the account: %s", type(exc).__name__)
            return [], ""
    note = account_note(ids, scan, now=datetime.now(UTC))
    line = note_text(note)
    listed = None
    if note.standing is Standing.FAILING and note.scan_id:
        listed = AccountPayload(section_id, note.scan_id)
    return account_blocks(line, listed), line


async def show_failing(
    services: SlackServices,
    client: AsyncWebClient,
    respond: Any,
    *,
    user_id: str,
    payload: AccountPayload,
) -> str:
    """The "List them" click: the failing findings of the section's checks in that scan, to
    an admin only (checked again: the button may have been seen by someone else, or the
    clicker may have stopped being an admin). Returns the outcome for the audit log."""

    async def say(text: str) -> None:
        await safe_call(
            "response_url", respond(text=text, response_type="ephemeral", replace_original=False)
        )

    decision = await services.access.may_scan(user_id, client)
    if not decision.allowed:
        await say(decision.reason)
        return "denied"
    checks = _linked(services, payload.section_id)
    if not checks:
        await say("That answer no longer explains a check of this version of scalewarden.")
        return "unknown_check"
    if services.store is None:
        await say("No database is configured, so there are no stored findings.")
        return "failed"
    ids = [check.id for check in checks]
    try:
        scan = await asyncio.to_thread(
            services.store.check_findings, ids, scan_id=payload.scan_id, limit=MAX_LISTED
        )
    except Exception as exc:
        logger.error("could not read findings: %s", type(exc).__name__)
        await say("I could not read the stored findings just now; please try again later.")
        return "failed"
    if scan is None:
        await say("That scan is no longer stored.")
        return "failed"
    findings = [Finding.from_dict(row) for row in scan.failing]
    title = f"Failing: {', '.join(ids)}"
    blocks = findings_blocks(findings, min_severity=None, title=title)
    await safe_call(
        "response_url",
        respond(
            text=f"{len(findings)} failing finding(s)",
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        ),
    )
    return "shown"
