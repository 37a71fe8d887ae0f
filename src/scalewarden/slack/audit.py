"""The audit trail: every slash command, who ran it, where, when and how it ended.

Each command is written twice on purpose: to the ``audit`` table (queryable history that
survives log rotation) and as one JSON log line (what log pipelines and SIEMs ingest). The
arguments are passed through :func:`redact` first, and tokens never reach this module.

Rows reach the database through one writer at a time, in batches: the writer lingers a
moment (``DEFAULT_LINGER``) before each transaction, so that the rows of a busy minute share a
transaction instead of each paying one, with its worker-thread hand-off and its write lock.
Under a stream of questions a transaction per row cost more than the search that answered it
(``docs/benchmarks.md``, HTTP). The log line is written at once, and every caller still waits
until its own row is stored, so nothing is acknowledged as audited before it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from scalewarden.slack.redact import redact

logger = logging.getLogger("scalewarden.audit")


class AuditStore(Protocol):
    def record_audits(self, entries: Sequence[Mapping[str, Any]]) -> Any: ...


#: Seconds the writer waits for more rows before it writes a batch. Nothing waits on the
#: row but the audit itself (answers are posted first), so a short delay costs no one.
DEFAULT_LINGER = 0.05


class AuditLog:
    """Writes audit entries to the store in batches, one transaction at a time.

    ``store`` is a callable because the service opens its database after start-up: rows
    recorded before it is open (or while it is away) are logged, and reported as not stored.
    """

    def __init__(
        self, store: Callable[[], AuditStore | None], *, linger: float = DEFAULT_LINGER
    ) -> None:
        self._store = store
        self._linger = linger
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(
        self,
        *,
        user_id: str,
        team_id: str | None,
        channel_id: str | None,
        command: str,
        arguments: str,
        outcome: str,
        detail: str | None = None,
    ) -> None:
        """Log the command and store its row; returns once the row is stored. Never raises."""
        arguments = _visible(redact(arguments))[:2000]
        detail = _visible(redact(detail))[:2000] if detail else None
        fields: dict[str, Any] = {
            "user_id": user_id,
            "team_id": team_id,
            "channel_id": channel_id,
            "command": command,
            "arguments": arguments,
            "outcome": outcome,
            "detail": detail,
        }
        entry = {"event": "slack_command", "at": datetime.now(UTC).isoformat(), **fields}
        logger.info(json.dumps(entry, sort_keys=True, ensure_ascii=False))
        if self._store() is None:
            return
        row = {**fields, "user_id": user_id or "unknown"}  # the table needs some user id
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="audit-writer")
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        """Write whatever is pending, batch after batch, until nothing is left."""
        while self._pending:
            if self._linger > 0:
                await asyncio.sleep(self._linger)
            batch, self._pending = self._pending, []
            await self._write_batch([row for row, _ in batch])
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _write_batch(self, rows: list[dict[str, Any]]) -> None:
        """Store ``rows`` in one transaction; never raises (a failed row is logged)."""
        store = self._store()
        if store is None:
            for row in rows:
                _write_failed(row, RuntimeError("the database is not available"))
            return
        try:
            await asyncio.to_thread(store.record_audits, rows)
        except ValueError:
            # One bad row must not cost the others theirs: store them one by one.
            for row in rows:
                try:
                    await asyncio.to_thread(store.record_audits, [row])
                except Exception as exc:
                    _write_failed(row, exc)
        except Exception as exc:  # the audit row must never take a command down with it
            for row in rows:
                _write_failed(row, exc)


def _visible(text: str) -> str:
    """Control and invisible characters written as ``\\uXXXX``: the audit keeps exactly what
    was typed, and a NUL (which PostgreSQL cannot store, so the store refuses it) no longer
    costs the command its audit row."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else f"\\u{ord(ch):04x}" for ch in text)


def _write_failed(row: Mapping[str, Any], exc: BaseException) -> None:
    """The row could not be stored: keep it in the log, where it is not lost."""
    logger.error(
        json.dumps(
            {"event": "audit_write_failed", "error": type(exc).__name__, **row},
            sort_keys=True,
            ensure_ascii=False,
        )
    )
