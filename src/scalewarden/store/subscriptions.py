"""Channel subscriptions' share of the store: one add, list, get and remove for digests and
alerts, and one set of checks on the columns they have in common.

``DigestRecords`` and ``AlertRecords`` keep their public methods (``add_subscription``,
``alert_subscriptions`` …) and call a ``SubscriptionTable`` for the ORM model and record
type of their kind; what differs (a digest's schedule, removing its deliveries with it) is
passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from scalewarden.store import validate
from scalewarden.store.models import ID_LENGTH, SHORT_LENGTH, SubscriptionColumns
from scalewarden.store.records import ChannelSubscription

RowT = TypeVar("RowT", bound=SubscriptionColumns)
RecordT = TypeVar("RecordT", bound=ChannelSubscription)


def aware(name: str, value: object) -> datetime:
    """``value`` if it is a timezone-aware datetime, else ``ValueError`` naming ``name``."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value


def common_columns(
    *,
    channel: str,
    min_severity: str,
    regions: Sequence[str],
    accounts: Sequence[str],
    created_by: str,
    now: datetime,
) -> dict[str, Any]:
    """The shared columns of a new subscription, checked (``ValueError`` names the field)."""
    return {
        "channel": validate.text("channel", channel, max_length=ID_LENGTH),
        "min_severity": validate.severity(min_severity, name="min_severity"),
        "regions": validate.names("regions", regions, max_length=SHORT_LENGTH),
        "accounts": validate.names("accounts", accounts, max_length=SHORT_LENGTH),
        "created_by": validate.text("created_by", created_by, max_length=ID_LENGTH),
        "created_at": aware("now", now),
    }


def common_fields(row: SubscriptionColumns) -> dict[str, Any]:
    """The shared fields of a subscription record, read from its row."""
    return {
        "id": row.id,
        "channel": row.channel,
        "min_severity": row.min_severity,
        "regions": tuple(row.regions),
        "accounts": tuple(row.accounts),
        "created_by": row.created_by,
        "created_at": row.created_at,
        "last_error": row.last_error,
        "last_error_at": row.last_error_at,
    }


class SubscriptionTable(Generic[RowT, RecordT]):
    """One kind of subscription in the database: its ORM ``model`` and its ``record``
    (``record(row)`` turns a row into the frozen record the store hands back)."""

    def __init__(self, model: type[RowT], record: Callable[[RowT], RecordT]) -> None:
        self.model = model
        self.record = record

    def add(self, writes: sessionmaker[Session], row: RowT) -> RecordT:
        """Store a checked row (built with ``common_columns``); returns its record."""
        with writes.begin() as session:
            session.add(row)
            session.flush()
            return self.record(row)

    def all(self, reads: sessionmaker[Session]) -> list[RecordT]:
        """Every subscription of this kind, oldest first."""
        with reads() as session:
            rows = session.scalars(select(self.model).order_by(self.model.id))
            return [self.record(row) for row in rows]

    def get(self, reads: sessionmaker[Session], subscription_id: int) -> RecordT | None:
        with reads() as session:
            row = session.get(self.model, validate.row_id(subscription_id))
            return None if row is None else self.record(row)

    def remove(
        self,
        writes: sessionmaker[Session],
        subscription_id: int,
        *,
        dependents: Sequence[InstrumentedAttribute[int]] = (),
    ) -> bool:
        """Delete one subscription, and first the rows whose ``dependents`` column names it;
        False when there was none."""
        sid = validate.row_id(subscription_id)
        with writes.begin() as session:
            for column in dependents:
                session.execute(delete(column.class_).where(column == sid))
            result = session.execute(delete(self.model).where(self.model.id == sid))
            return bool(getattr(result, "rowcount", 0))
