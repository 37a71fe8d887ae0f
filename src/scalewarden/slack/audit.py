"""The audit trail: every slash command, who ran it, where, when and how it ended.

Each command is written twice on purpose: to the ``audit`` table (queryable history that
survives log rotation) and as one JSON log line (what log pipelines and SIEMs ingest). The
arguments are passed through :func:`redact` first, and tokens never reach this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from scalewarden.slack.redact import redact

logger = logging.getLogger("scalewarden.audit")


class AuditStore(Protocol):
    def record_audit(
        self,
        *,
        user_id: str,
        team_id: str | None,
        channel_id: str | None,
        command: str,
        arguments: str,
        outcome: str,
        detail: str | None = None,
    ) -> Any: ...


async def record_command(
    store: AuditStore | None,
    *,
    user_id: str,
    team_id: str | None,
    channel_id: str | None,
    command: str,
    arguments: str,
    outcome: str,
    detail: str | None = None,
) -> None:
    """Write the audit row (in a worker thread) and the structured log line; never raises."""
    arguments = redact(arguments)[:2000]
    detail = redact(detail)[:2000] if detail else None
    entry = {
        "event": "slack_command",
        "at": datetime.now(UTC).isoformat(),
        "user_id": user_id,
        "team_id": team_id,
        "channel_id": channel_id,
        "command": command,
        "arguments": arguments,
        "outcome": outcome,
        "detail": detail,
    }
    logger.info(json.dumps(entry, sort_keys=True, ensure_ascii=False))
    if store is None:
        return
    try:
        await asyncio.to_thread(
            store.record_audit,
            user_id=user_id or "unknown",
            team_id=team_id,
            channel_id=channel_id,
            command=command,
            arguments=arguments,
            outcome=outcome,
            detail=detail,
        )
    except Exception as exc:  # the audit row must never take a command down with it
        logger.error(
            json.dumps({"event": "audit_write_failed", "error": type(exc).__name__, **entry})
        )
