"""The database schema, as SQLAlchemy 2 typed declarative models.

The tables follow what callers need to ask, not the shape of the objects they store:

* ``processed_events`` holds one row per Slack ``event_id``; its primary key is what makes
  de-duplication race-safe across replicas.
* ``audit_log`` and ``feedback`` are append-only journals, read newest first.
* ``scans`` keeps one row per scan report (its metadata as JSON, the ids of the checks it
  ran), and ``findings`` one row per finding. The columns a query filters or sorts on
  (severity rank, status, scope, time) are real columns with indexes; the complete finding
  travels unchanged in ``payload`` so that a stored report reads back exactly as it was saved.
* ``digest_subscriptions`` are scheduled digests; ``digest_deliveries`` has one row per
  (subscription, fire time), and that unique key is what makes a delivery happen at most once
  across replicas. ``scheduler_lease`` holds the one row that says which replica schedules.
* ``mutes`` are accepted risks stored from Slack or the CLI, matched like mutelist rules.
* ``alert_subscriptions`` say which channel gets live alerts of which severity and scope;
  ``alert_deliveries`` has one row per (event, channel), and that unique key is what makes an
  alert reach a channel at most once. EventBridge event ids are de-duplicated in
  ``processed_events`` with Slack's, under an ``aws:`` prefix.

Every change to these models needs an Alembic revision in ``migrations/versions``; a test
fails when the models and the migrations disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from scalewarden.store.types import UTCDateTime

#: Explicit constraint names, so that migrations can drop or alter them on every backend
#: (SQLite batch mode needs names to find constraints again).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Column sizes. The store validates lengths itself so that SQLite (which ignores them) and
#: PostgreSQL (which enforces them) accept and refuse exactly the same input.
ID_LENGTH = 255
NAME_LENGTH = 128
SHORT_LENGTH = 32


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy reads a class dict


class ProcessedEvent(Base):
    """A Slack event already claimed by some replica; the primary key is the de-dup lock."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """One command run through Slack or the API: who, what, where, when and the outcome."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    team_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    channel_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    command: Mapped[str] = mapped_column(String(NAME_LENGTH))
    arguments: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(NAME_LENGTH))
    detail: Mapped[str | None] = mapped_column(Text)


class Feedback(Base):
    """A 👍/👎 vote on an answer, kept with the question and the articles it cited."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("vote IN ('up', 'down')", name="vote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    channel_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    question: Mapped[str] = mapped_column(Text)
    vote: Mapped[str] = mapped_column(String(8))
    article_ids: Mapped[list[str]] = mapped_column(JSON)


class Scan(Base):
    """A stored scan report. ``report`` is the report without its findings."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_scope_key_started_at", "scope_key", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    scope_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    requested_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    stored_at: Mapped[datetime]
    finding_count: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The ids of the checks the scan ran (``None`` for scans stored before this was kept).
    checks: Mapped[list[str] | None] = mapped_column(JSON)


class Finding(Base):
    """One finding of a stored scan; ``payload`` is the finding exactly as reported."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_scan_pk_severity_rank", "scan_pk", "severity_rank"),
        CheckConstraint("severity_rank BETWEEN 0 AND 4", name="severity_rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_pk: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    check_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    severity: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    severity_rank: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    account_id: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    region: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    resource_id: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


#: The states of a delivery, in the order they are reached; ``failed`` may be retried,
#: ``uncertain`` (the process stopped while posting) never is.
DELIVERY_STATES = ("claimed", "scanned", "posting", "posted", "failed", "uncertain")


class SubscriptionColumns:
    """The columns every channel subscription has (digests and alerts): which channel, above
    which severity, from which regions and accounts, who made it, and its last failure.

    ``id`` and ``channel`` sort first, so a table's own columns follow them, as in its
    migration.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)
    channel: Mapped[str] = mapped_column(String(ID_LENGTH), index=True, sort_order=-1)
    min_severity: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    regions: Mapped[list[str]] = mapped_column(JSON)
    accounts: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class DigestSubscription(SubscriptionColumns, Base):
    """A scheduled digest: which channel gets which scope, when, above which severity."""

    __tablename__ = "digest_subscriptions"

    schedule: Mapped[str] = mapped_column(String(NAME_LENGTH))
    timezone: Mapped[str] = mapped_column(String(NAME_LENGTH))


class DigestDelivery(Base):
    """One (subscription, fire time): claimed once, then scanned, posted or failed."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "fire_time", name="uq_digest_deliveries_fire"),
        CheckConstraint(
            "state IN ('claimed', 'scanned', 'posting', 'posted', 'failed', 'uncertain')",
            name="state",
        ),
        Index("ix_digest_deliveries_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    fire_time: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    owner: Mapped[str] = mapped_column(String(ID_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    scan_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    message_ts: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    claimed_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SchedulerLease(Base):
    """The leader lease: the replica named ``owner`` schedules until ``expires_at``."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    owner: Mapped[str] = mapped_column(String(ID_LENGTH))
    expires_at: Mapped[datetime]
    renewed_at: Mapped[datetime]


class Mute(Base):
    """An accepted risk: one check, optionally narrowed to resources, accounts and regions."""

    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    resource_pattern: Mapped[str | None] = mapped_column(Text)
    accounts: Mapped[list[str]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


#: The states of an alert delivery: ``posting`` is recorded before the post; ``uncertain``
#: (Slack may have posted it) is never retried.
ALERT_DELIVERY_STATES = ("posting", "posted", "failed", "uncertain")


class AlertSubscription(SubscriptionColumns, Base):
    """A channel that gets live alerts: above which severity, from which accounts and regions."""

    __tablename__ = "alert_subscriptions"


class AlertDelivery(Base):
    """One alert to one channel; unique on (event, channel): claimed once across replicas."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", name="uq_alert_deliveries_event_channel"),
        CheckConstraint(
            "state IN ('posting', 'posted', 'failed', 'uncertain')",
            name="state",
        ),
        Index("ix_alert_deliveries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    channel: Mapped[str] = mapped_column(String(ID_LENGTH))
    rule_id: Mapped[str] = mapped_column(String(NAME_LENGTH))
    severity: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    state: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    message_ts: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
