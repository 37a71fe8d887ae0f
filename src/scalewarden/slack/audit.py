"""The audit trail: every command, button click, mention, DM and Home tab opened: who, where,
when, what and how it ended.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from scalewarden.slack.redact import redact
from scalewarden.store.models import ID_LENGTH, NAME_LENGTH

logger = logging.getLogger("scalewarden.audit")


class AuditStore(Protocol):
    def record_audits(self, entries: Sequence[Mapping[str, Any]]) -> Any: ...


#: Seconds the writer waits for more rows before it writes a batch. Nothing waits on the
#: row but the audit itself (answers are posted first), so a short delay costs no one.
DEFAULT_LINGER = 0.05


@dataclass(frozen=True)
class Actor:
    """Who did something, and where: the "who" of an audit entry other than a command's."""

    user_id: str
    team_id: str | None = None
    channel_id: str | None = None

    @classmethod
    def of_interaction(cls, body: Mapping[str, Any]) -> Actor:
        """The clicking user, their workspace and the channel, from an interaction payload."""
        user = body.get("user")
        team = body.get("team")
        channel = body.get("channel")
        user_id = user.get("id") if isinstance(user, dict) else user
        team_id = team.get("id") if isinstance(team, dict) else None
        if team_id is None and isinstance(user, dict):
            team_id = user.get("team_id")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        return cls(_id(user_id) or "unknown", _id(team_id), _id(channel_id))

    @classmethod
    def of_event(cls, body: Mapping[str, Any], event: Mapping[str, Any]) -> Actor:
        """The user behind an Events API event, the workspace it came from and its channel."""
        return cls(
            _id(event.get("user")) or "unknown",
            _id(body.get("team_id")) or _id(event.get("team")),
            _id(event.get("channel")),
        )


def _id(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


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
        kind: str = "command",
    ) -> None:
        """Log the entry and store its row; returns once the row is stored. Never raises.

        ``kind`` says what the user did (``command``, ``button``, ``mention``, ``dm``, ``home``,
        ``refused``); the log line's ``event`` is ``slack_<kind>``. Every field is escaped
        (:func:`_visible`): ids come from the request too, and a raw line separator or control
        character in one would split or forge a line in whatever reads the log.
        """
        arguments = _visible(redact(arguments))[:2000]
        detail = _visible(redact(detail))[:2000] if detail else None
        fields: dict[str, Any] = {
            "user_id": _visible(user_id),
            "team_id": _visible(team_id) if team_id is not None else None,
            "channel_id": _visible(channel_id) if channel_id is not None else None,
            "command": _visible(command),
            "arguments": arguments,
            "outcome": _visible(outcome),
            "detail": detail,
        }
        entry = {"event": f"slack_{kind}", "at": datetime.now(UTC).isoformat(), **fields}
        logger.info(json.dumps(entry, sort_keys=True, ensure_ascii=False))
        if self._store() is None:
            return
        row = {
            **fields,
            "user_id": _fitted(fields["user_id"], ID_LENGTH, "unknown"),
            "team_id": _fitted(fields["team_id"], ID_LENGTH, None),
            "channel_id": _fitted(fields["channel_id"], ID_LENGTH, None),
            "command": _fitted(fields["command"], NAME_LENGTH, "(none)"),
            "outcome": _fitted(fields["outcome"], NAME_LENGTH, "unknown"),
        }
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="audit-writer")
        await asyncio.shield(done)

    async def record_action(
        self,
        actor: Actor,
        *,
        kind: str,
        action: str,
        arguments: str,
        outcome: str,
        detail: str | None = None,
    ) -> None:
        """:meth:`record` for what is not a slash command: a click, a mention, a DM, a view."""
        await self.record(
            user_id=actor.user_id,
            team_id=actor.team_id,
            channel_id=actor.channel_id,
            command=action,
            arguments=arguments,
            outcome=outcome,
            detail=detail,
            kind=kind,
        )

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
    """Control, invisible and line-separating characters written as ``\\uXXXX``.

    The audit keeps exactly what was typed, and a NUL (which PostgreSQL cannot store, so the
    store refuses it) no longer costs the command its audit row. U+2028 and U+2029 are
    escaped too: JSON allows them raw, but many log readers and JavaScript split lines on them.
    Newlines and tabs stay (the JSON encoding of the log line escapes them). A character
    beyond U+FFFF (the invisible tag characters U+E0000-U+E007F, private use planes) is written
    ``\\UXXXXXXXX``: four digits cannot hold it, and ``\\ue0041`` reads as U+E004 and a "1".
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else _escaped(ch) for ch in text)


def _fitted(text: str | None, limit: int, blank: str | None) -> str | None:
    """An escaped field (:func:`_visible`'s text) as its column can hold it, so that an odd
    request still leaves its row.

    Slack's ids are short, but a signed request may carry any string: a blank one becomes
    ``blank`` and a long one is cut to ``limit`` characters ending in "…" (the log line, written
    first, keeps it whole). Left as they were, the store refused the row and the action was
    audited only in the log.
    """
    if text is None or not text.strip():
        return blank
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _write_failed(row: Mapping[str, Any], exc: BaseException) -> None:
    """The row could not be stored: keep it in the log, where it is not lost."""
    logger.error(
        json.dumps(
            {"event": "audit_write_failed", "error": type(exc).__name__, **row},
            sort_keys=True,
            ensure_ascii=False,
        )
    )
