"""``Store``: the one object the rest of scalewarden uses to reach the database.

It is synchronous on purpose. The Slack service calls it from worker threads
(``asyncio.to_thread``), the CLI calls it directly, and every method opens its own short
session from a ``sessionmaker``, so one ``Store`` is safe to share between threads. Each method
is one transaction: it either happens completely or not at all, and input is validated before
the transaction starts so that a caller's mistake is a ``ValueError``, never a half-written row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scalewarden.store import validate
from scalewarden.store.alerts import AlertRecords
from scalewarden.store.digests import DigestRecords
from scalewarden.store.engine import (
    SQLITE_BUSY_TIMEOUT_S,
    create_store_engine,
    describe,
    insert_or_skip,
    parse_url,
    writer,
)
from scalewarden.store.facts import FactRecords
from scalewarden.store.migrate import upgrade_to_head
from scalewarden.store.models import (
    ID_LENGTH,
    NAME_LENGTH,
    AuditEntry,
    DigestDelivery,
    Feedback,
    Finding,
    ProcessedEvent,
    Scan,
)
from scalewarden.store.mutes import MuteRecords
from scalewarden.store.records import CheckFindings, ScanSummary, StoredScan
from scalewarden.store.types import utcnow

log = logging.getLogger(__name__)

#: How long ``ping`` waits for SQLite's write lock before calling the database locked.
PING_LOCK_WAIT_MS = 250


#: The keys an audit entry may have (the keyword arguments of ``Store.record_audit``).
_AUDIT_FIELDS = frozenset(
    {"user_id", "team_id", "channel_id", "command", "arguments", "outcome", "detail"}
)


class StoreError(RuntimeError):
    """The database could not be reached or migrated; the message is safe to show."""


class Store(DigestRecords, MuteRecords, AlertRecords, FactRecords):
    """Repository over the scalewarden database (SQLite by default, PostgreSQL when set)."""

    def __init__(self, url: str) -> None:
        """Build the engine and sessions; connects lazily and does not migrate."""
        self._url = parse_url(url)
        self.engine = create_store_engine(url)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = writer(self.engine)
        self._writes = sessionmaker(self._write_engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Store:
        """A store whose schema is at the newest revision (safe from concurrent replicas)."""
        store = cls(url)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def __repr__(self) -> str:
        return f"Store({describe(self._url)!r})"

    @property
    def url(self) -> str:
        """The database URL with the password masked (for logs and messages)."""
        return describe(self._url)

    def migrate(self) -> None:
        """Upgrade the schema to head (Alembic) under a database lock; idempotent."""
        try:
            upgrade_to_head(self.engine)
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]
            raise StoreError(f"cannot migrate the database at {self.url}: {reason}") from exc

    def ping(self) -> bool:
        """Whether the database answers and can take a write (for ``/readyz``); never raises.

        On SQLite a file another process holds the write lock on still answers ``SELECT 1``
        (WAL readers are never blocked), yet every command that writes would wait out the
        busy timeout and fail: so the ping takes the write lock too, waiting at most
        :data:`PING_LOCK_WAIT_MS`, and gives it back at once.
        """
        try:
            if self.engine.dialect.name != "sqlite":
                with self.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return True
            with self._write_engine.connect() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA busy_timeout={PING_LOCK_WAIT_MS}")
                try:
                    connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock
                    connection.rollback()
                finally:
                    raw.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        except (SQLAlchemyError, OSError) as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False
        return True

    def close(self) -> None:
        """Close pooled connections; the store must not be used afterwards."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Slack event de-duplication ---------------------------------------------------------

    def claim_event(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen by any replica, False every time after.

        The primary key decides: an ``INSERT … ON CONFLICT DO NOTHING`` either adds the row
        (this caller owns the event) or adds nothing (someone else does). Unlike a
        select-then-insert this has no window in which two replicas both see "new".
        """
        event_id = validate.text("event_id", event_id, max_length=ID_LENGTH)
        values = {"event_id": event_id, "claimed_at": utcnow()}
        stmt = insert_or_skip(self.engine, ProcessedEvent, ["event_id"])
        if stmt is not None:
            # RETURNING says whether a row was added; rowcount is not reliable for INSERTs.
            stmt = stmt.values(**values).returning(ProcessedEvent.event_id)
            with self._writes.begin() as session:
                return session.execute(stmt).first() is not None
        # Other backends: the primary key still decides, reported as an IntegrityError.
        try:
            with self._writes.begin() as session:
                session.execute(insert(ProcessedEvent).values(**values))
        except IntegrityError:
            return False
        return True

    def prune_events(self, *, before: datetime) -> int:
        """Forget events claimed before ``before``; returns how many rows went.

        Slack stops retrying an event after about five minutes, so rows older than a day only
        take space. The service calls this now and then; it is safe to run on every replica.
        """
        if not isinstance(before, datetime) or before.tzinfo is None:
            raise ValueError("before must be a timezone-aware datetime")
        with self._writes.begin() as session:
            stmt = delete(ProcessedEvent).where(ProcessedEvent.claimed_at < before)
            return session.connection().execute(stmt).rowcount

    # Audit log ---------------------------------------------------------------------------

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
    ) -> None:
        """Append one command to the audit log (who, what, where, when, outcome)."""
        self.record_audits(
            [
                {
                    "user_id": user_id,
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "command": command,
                    "arguments": arguments,
                    "outcome": outcome,
                    "detail": detail,
                }
            ]
        )

    def record_audits(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append several audit entries in one transaction: all of them or, on error, none.

        Each entry has the keyword arguments of :meth:`record_audit`. The Slack service
        writes its audit rows in batches through this, so a burst of commands costs one
        transaction instead of one each.
        """
        rows = [self._audit_row(entry) for entry in entries]  # validate all before writing
        if not rows:
            return
        # A Core INSERT: the ORM unit of work costs several times more for rows nobody reads
        # back here, and this runs for every Slack command.
        with self._write_engine.begin() as conn:
            conn.execute(insert(AuditEntry), rows)

    @staticmethod
    def _audit_row(entry: Mapping[str, Any]) -> dict[str, Any]:
        arguments = entry.get("arguments")
        if not isinstance(arguments, str):
            raise ValueError(f"arguments must be a string, got {type(arguments).__name__}")
        if "\x00" in arguments:
            raise ValueError("arguments must not contain NUL characters")
        unknown = set(entry) - _AUDIT_FIELDS
        if unknown:
            raise ValueError(f"unknown audit field(s): {', '.join(sorted(unknown))}")
        return {
            "at": utcnow(),
            "user_id": validate.text("user_id", entry.get("user_id"), max_length=ID_LENGTH),
            "team_id": validate.optional_text(
                "team_id", entry.get("team_id"), max_length=ID_LENGTH
            ),
            "channel_id": validate.optional_text(
                "channel_id", entry.get("channel_id"), max_length=ID_LENGTH
            ),
            "command": validate.text("command", entry.get("command"), max_length=NAME_LENGTH),
            "arguments": arguments,
            "outcome": validate.text("outcome", entry.get("outcome"), max_length=NAME_LENGTH),
            "detail": validate.optional_text("detail", entry.get("detail")),
        }

    def audit_entries(self, *, limit: int = 100, user_id: str | None = None) -> list[dict]:
        """The newest audit entries first, optionally of one user."""
        stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if user_id is not None:
            stmt = stmt.where(AuditEntry.user_id == user_id)
        stmt = stmt.limit(validate.limit(limit))
        with self._reads() as session:
            return [
                {
                    "id": row.id,
                    "at": row.at,
                    "user_id": row.user_id,
                    "team_id": row.team_id,
                    "channel_id": row.channel_id,
                    "command": row.command,
                    "arguments": row.arguments,
                    "outcome": row.outcome,
                    "detail": row.detail,
                }
                for row in session.scalars(stmt)
            ]

    # Answer feedback ---------------------------------------------------------------------

    def save_feedback(
        self,
        *,
        user_id: str,
        question: str,
        vote: str,
        article_ids: list[str],
        channel_id: str | None = None,
    ) -> None:
        """Keep a 👍/👎 vote with the question it was about and the articles that answered it."""
        row = Feedback(
            at=utcnow(),
            user_id=validate.text("user_id", user_id, max_length=ID_LENGTH),
            channel_id=validate.optional_text("channel_id", channel_id, max_length=ID_LENGTH),
            question=validate.text("question", question),
            vote=validate.vote(vote),
            article_ids=validate.article_ids(article_ids),
        )
        with self._writes.begin() as session:
            session.add(row)

    def feedback_entries(self, *, limit: int = 100) -> list[dict]:
        """The newest feedback first; keys: id, at, user_id, channel_id, question, vote,
        article_ids."""
        stmt = (
            select(Feedback)
            .order_by(Feedback.at.desc(), Feedback.id.desc())
            .limit(validate.limit(limit))
        )
        with self._reads() as session:
            return [
                {
                    "id": row.id,
                    "at": row.at,
                    "user_id": row.user_id,
                    "channel_id": row.channel_id,
                    "question": row.question,
                    "vote": row.vote,
                    "article_ids": list(row.article_ids),
                }
                for row in session.scalars(stmt)
            ]

    # Scans -------------------------------------------------------------------------------

    def save_scan(
        self,
        report: dict,
        *,
        requested_by: str | None = None,
        scope_key: str | None = None,
        checks: Sequence[str] | None = None,
    ) -> str:
        """Store a scan report (the ``scan --format json`` contract); returns its ``scan_id``.

        ``checks`` are the ids of the checks the scan ran: a later diff needs them to tell "the
        check ran and found nothing" (resolved) from "the check did not run" (unknown).
        Saving the same ``scan_id`` again changes nothing: the first report stays, so a retried
        job or two replicas posting the same scan cannot duplicate findings.
        """
        parsed = validate.scan_report(report)
        requested_by = validate.optional_text("requested_by", requested_by, max_length=ID_LENGTH)
        scope_key = validate.optional_text("scope_key", scope_key, max_length=ID_LENGTH)
        check_ids = None if checks is None else validate.names("checks", checks)
        try:
            with self._writes.begin() as session:
                if self._scan_pk(session, parsed.scan_id) is not None:
                    return parsed.scan_id
                scan = Scan(
                    scan_id=parsed.scan_id,
                    scope_key=scope_key,
                    requested_by=requested_by,
                    started_at=parsed.started_at,
                    finished_at=parsed.finished_at,
                    stored_at=utcnow(),
                    finding_count=len(parsed.findings),
                    report=parsed.metadata,
                    checks=check_ids,
                )
                session.add(scan)
                session.flush()
                if parsed.findings:
                    session.execute(
                        insert(Finding),
                        [
                            {
                                "scan_pk": scan.id,
                                "position": row.position,
                                "fingerprint": row.fingerprint,
                                "check_id": row.check_id,
                                "severity": row.severity,
                                "severity_rank": row.severity_rank,
                                "status": row.status,
                                "account_id": row.account_id,
                                "region": row.region,
                                "resource_id": row.resource_id,
                                "payload": row.payload,
                            }
                            for row in parsed.findings
                        ],
                    )
        except IntegrityError:
            # Another replica stored the same scan_id between our check and our insert.
            with self._reads() as session:
                if self._scan_pk(session, parsed.scan_id) is not None:
                    return parsed.scan_id
            raise
        return parsed.scan_id

    def latest_scan(self, *, scope_key: str | None = None) -> dict | None:
        """The full report of the newest scan (of ``scope_key`` when given), or None."""
        stmt = select(Scan)
        if scope_key is not None:
            stmt = stmt.where(Scan.scope_key == scope_key)
        with self._reads.begin() as session:
            scan = session.scalars(_newest_first(stmt).limit(1)).first()
            return None if scan is None else self._report(session, scan)

    def latest_findings(
        self,
        *,
        min_severity: str | None = None,
        statuses: tuple[str, ...] = ("FAIL", "ERROR"),
    ) -> list[dict]:
        """Findings of the newest scan with one of ``statuses``, at or above ``min_severity``,
        worst severity first (report order within a severity)."""
        wanted = validate.statuses(statuses)
        floor = (
            None
            if min_severity is None
            else validate.SEVERITY_RANK[validate.severity(min_severity, name="min_severity")]
        )
        newest = _newest_first(select(Scan.id)).limit(1).scalar_subquery()
        stmt = (
            select(Finding.payload)
            .where(Finding.scan_pk == newest, Finding.status.in_(wanted))
            .order_by(Finding.severity_rank.desc(), Finding.position)
        )
        if floor is not None:
            stmt = stmt.where(Finding.severity_rank >= floor)
        with self._reads() as session:
            return [dict(payload) for payload in session.scalars(stmt)]

    def check_findings(
        self, check_ids: Sequence[str], *, scan_id: str | None = None, limit: int = 1
    ) -> CheckFindings | None:
        """What scan ``scan_id`` says about ``check_ids``: its time, the checks it ran, their
        findings counted per status, and up to ``limit`` of their FAIL findings, worst first.
        ``None`` when no such scan is stored.

        By default the scan is the newest that ran any of ``check_ids`` (among the newest
        ``RECENT_SCANS``): a later scan of one other check says nothing about these, and must
        not hide what an earlier full scan found. When none of them ran these checks, the
        newest scan is used, and it says that they were not run.

        Filtered and counted in the database: an answer reads a few rows, not the report.
        """
        ids = validate.names("checks", check_ids)
        size = validate.limit(limit)
        with self._reads.begin() as session:
            if scan_id is None:
                wanted_checks = set(ids)
                # Only the ids and the checks are read, newest first (as _newest_first orders).
                recent = session.execute(
                    select(Scan.id, Scan.checks)
                    .order_by(Scan.started_at.desc(), Scan.id.desc())
                    .limit(RECENT_SCANS)
                ).all()
                chosen = next(
                    (
                        row.id
                        for row in recent
                        if row.checks is None or wanted_checks.intersection(row.checks)
                    ),
                    recent[0].id if recent else None,
                )
                scan = None if chosen is None else session.get(Scan, chosen)
            else:
                wanted = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
                scan = session.scalars(select(Scan).where(Scan.scan_id == wanted)).first()
            if scan is None:
                return None
            of_checks = (Finding.scan_pk == scan.id, Finding.check_id.in_(ids))
            counts = session.execute(
                select(Finding.status, func.count()).where(*of_checks).group_by(Finding.status)
            )
            failing = session.scalars(
                select(Finding.payload)
                .where(*of_checks, Finding.status == "FAIL")
                .order_by(Finding.severity_rank.desc(), Finding.position)
                .limit(size)
            )
            return CheckFindings(
                scan_id=scan.scan_id,
                scanned_at=scan.finished_at or scan.started_at,
                checks=None if scan.checks is None else tuple(scan.checks),
                counts={str(status): int(count) for status, count in counts},
                failing=tuple(dict(payload) for payload in failing),
            )

    def scan_findings(
        self,
        scan_id: str,
        *,
        min_severity: str | None = None,
        status: str | None = None,
        check_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict], bool] | None:
        """One page of a stored scan's findings in report order (worst first), filtered in
        the database: at or above ``min_severity``, with ``status``, of ``check_id``. Returns
        (findings, whether more follow), or ``None`` when no scan has that id."""
        scan_id = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
        size = validate.limit(limit)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
        stmt = select(Finding.payload).order_by(Finding.position)
        if min_severity is not None:
            floor = validate.SEVERITY_RANK[validate.severity(min_severity, name="severity")]
            stmt = stmt.where(Finding.severity_rank >= floor)
        if status is not None:
            stmt = stmt.where(Finding.status == validate.statuses((status,))[0])
        if check_id is not None:
            stmt = stmt.where(Finding.check_id == validate.text("check", check_id))
        with self._reads() as session:
            pk = self._scan_pk(session, scan_id)
            if pk is None:
                return None
            page = stmt.where(Finding.scan_pk == pk).offset(offset).limit(size + 1)
            rows = [dict(payload) for payload in session.scalars(page)]
        return rows[:size], len(rows) > size

    def previous_scan(self, scan_id: str, *, scope_key: str | None = None) -> dict | None:
        """The scan of the same scope that came before ``scan_id`` (what a digest diffs against).

        The scope is ``scope_key`` when given, else the scope ``scan_id`` was saved with (a
        scan saved without a scope compares with earlier scans saved without one). Returns None
        when ``scan_id`` is unknown or is the first of its scope. "Before" means an earlier
        ``started_at``; scans that started at the same instant are ordered by when they were
        stored.
        """
        scan_id = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
        with self._reads.begin() as session:
            previous = self._previous(session, scan_id, scope_key)
            return None if previous is None else self._report(session, previous)

    def previous_scan_record(self, scan_id: str) -> StoredScan | None:
        """Like :meth:`previous_scan`, with the scope the previous scan was stored with."""
        scan_id = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
        with self._reads.begin() as session:
            previous = self._previous(session, scan_id, None)
            return None if previous is None else self._record(session, previous)

    @staticmethod
    def _previous(session: Session, scan_id: str, scope_key: str | None) -> Scan | None:
        current = session.scalars(select(Scan).where(Scan.scan_id == scan_id)).first()
        if current is None:
            return None
        scope = scope_key if scope_key is not None else current.scope_key
        same_scope = Scan.scope_key.is_(None) if scope is None else Scan.scope_key == scope
        earlier = or_(
            Scan.started_at < current.started_at,
            and_(Scan.started_at == current.started_at, Scan.id < current.id),
        )
        stmt = _newest_first(select(Scan).where(same_scope, earlier)).limit(1)
        return session.scalars(stmt).first()

    def scan_record(self, scan_id: str) -> StoredScan | None:
        """One stored scan with its scope (report, scope key, checks), or None when unknown."""
        scan_id = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
        with self._reads.begin() as session:
            scan = session.scalars(select(Scan).where(Scan.scan_id == scan_id)).first()
            return None if scan is None else self._record(session, scan)

    def scan_history(self, *, limit: int = 20) -> list[ScanSummary]:
        """The newest stored scans first, with their scope, status counts and digests sent."""
        stmt = _newest_first(select(Scan)).limit(validate.limit(limit))
        with self._reads.begin() as session:
            scans = list(session.scalars(stmt))
            sent: dict[str, list[tuple[int, str]]] = {}
            ids = [scan.scan_id for scan in scans]
            if ids:
                rows = session.execute(
                    select(
                        DigestDelivery.scan_id,
                        DigestDelivery.subscription_id,
                        DigestDelivery.state,
                    )
                    .where(DigestDelivery.scan_id.in_(ids))
                    .order_by(DigestDelivery.subscription_id)
                )
                for scan_id, subscription_id, state in rows:
                    sent.setdefault(str(scan_id), []).append((subscription_id, state))
            return [_summary(scan, tuple(sent.get(scan.scan_id, ()))) for scan in scans]

    def scan_count(self) -> int:
        """How many scans are stored (for metrics and tests of idempotency)."""
        with self._reads() as session:
            return session.scalar(select(func.count()).select_from(Scan)) or 0

    @staticmethod
    def _scan_pk(session: Session, scan_id: str) -> int | None:
        return session.scalar(select(Scan.id).where(Scan.scan_id == scan_id))

    @classmethod
    def _record(cls, session: Session, scan: Scan) -> StoredScan:
        return StoredScan(
            scan_id=scan.scan_id,
            scope_key=scan.scope_key,
            requested_by=scan.requested_by,
            checks=None if scan.checks is None else tuple(scan.checks),
            report=cls._report(session, scan),
        )

    @staticmethod
    def _report(session: Session, scan: Scan) -> dict[str, Any]:
        findings = session.scalars(
            select(Finding.payload).where(Finding.scan_pk == scan.id).order_by(Finding.position)
        )
        return {**scan.report, "findings": [dict(payload) for payload in findings]}


#: How many of the newest scans an answer looks through for one that ran its checks.
RECENT_SCANS = 100


def _newest_first(stmt: Select[Any]) -> Select[Any]:
    """Order scans newest first: by start time, then by storage order for equal starts."""
    return stmt.order_by(Scan.started_at.desc(), Scan.id.desc())


def _summary(scan: Scan, deliveries: tuple[tuple[int, str], ...]) -> ScanSummary:
    """A history line from a scan row; reports stored by older versions may lack fields."""
    report = scan.report or {}
    accounts = []
    for entry in report.get("accounts") or []:
        account = entry.get("id") if isinstance(entry, Mapping) else entry
        if account is not None:
            accounts.append(str(account))
    summary = report.get("summary") or {}
    by_status = summary.get("by_status") if isinstance(summary, Mapping) else None
    return ScanSummary(
        scan_id=scan.scan_id,
        started_at=scan.started_at,
        finished_at=scan.finished_at,
        scope_key=scan.scope_key,
        requested_by=scan.requested_by,
        accounts=tuple(accounts),
        regions=tuple(str(r) for r in report.get("regions") or []),
        checks=None if scan.checks is None else len(scan.checks),
        by_status={str(k): int(v) for k, v in (by_status or {}).items()},
        deliveries=deliveries,
    )
