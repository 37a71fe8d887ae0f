"""Alert subscriptions and alert deliveries: the ``Store``'s share.

At most once per event per channel is one database fact, the same on SQLite and PostgreSQL:
``alert_deliveries`` is unique on (event key, channel), and a delivery is claimed with an
``INSERT … ON CONFLICT DO NOTHING`` *before* the post. Of two replicas (or two retries of the
same event) that race, one adds the row and posts; the other adds nothing and does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scalewarden.store import validate
from scalewarden.store.engine import insert_or_skip
from scalewarden.store.models import (
    ALERT_DELIVERY_STATES,
    ID_LENGTH,
    NAME_LENGTH,
    SHORT_LENGTH,
)
from scalewarden.store.models import AlertDelivery as DeliveryRow
from scalewarden.store.models import AlertSubscription as SubscriptionRow
from scalewarden.store.records import AlertDelivery, AlertSubscription
from scalewarden.store.subscriptions import (
    SubscriptionTable,
    aware,
    common_columns,
    common_fields,
)

#: Longest error text kept on a delivery or subscription.
ERROR_LENGTH = 500


def _subscription(row: SubscriptionRow) -> AlertSubscription:
    return AlertSubscription(**common_fields(row))


_SUBSCRIPTIONS = SubscriptionTable(SubscriptionRow, _subscription)


def _delivery(row: DeliveryRow) -> AlertDelivery:
    return AlertDelivery(
        id=row.id,
        event_key=row.event_key,
        channel=row.channel,
        rule_id=row.rule_id,
        severity=row.severity,
        state=row.state,
        message_ts=row.message_ts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class AlertRecords:
    """Alert subscriptions and deliveries; mixed into :class:`~scalewarden.store.Store`."""

    engine: Engine
    _reads: sessionmaker[Session]
    _writes: sessionmaker[Session]

    def add_alert_subscription(
        self,
        *,
        channel: str,
        min_severity: str,
        regions: Sequence[str],
        accounts: Sequence[str],
        created_by: str,
        now: datetime,
    ) -> AlertSubscription:
        """Store a subscription the caller has already checked; returns it."""
        row = SubscriptionRow(
            **common_columns(
                channel=channel,
                min_severity=min_severity,
                regions=regions,
                accounts=accounts,
                created_by=created_by,
                now=now,
            )
        )
        return _SUBSCRIPTIONS.add(self._writes, row)

    def alert_subscriptions(self) -> list[AlertSubscription]:
        """Every alert subscription, oldest first."""
        return _SUBSCRIPTIONS.all(self._reads)

    def alert_subscription(self, subscription_id: int) -> AlertSubscription | None:
        return _SUBSCRIPTIONS.get(self._reads, subscription_id)

    def remove_alert_subscription(self, subscription_id: int) -> bool:
        """Delete an alert subscription; False when there was none. Its channel's delivery
        rows stay: they are what keeps a retried event from posting there again."""
        return _SUBSCRIPTIONS.remove(self._writes, subscription_id)

    def claim_alert_delivery(
        self, *, event_key: str, channel: str, rule_id: str, severity: str, now: datetime
    ) -> int | None:
        """Claim (event, channel) as ``posting``; the new delivery's id, or ``None`` when it
        was claimed before (by this or any replica): then nothing may be posted."""
        row = {
            "event_key": validate.text("event_key", event_key, max_length=ID_LENGTH),
            "channel": validate.text("channel", channel, max_length=ID_LENGTH),
            "rule_id": validate.text("rule_id", rule_id, max_length=NAME_LENGTH),
            "severity": validate.severity(severity),
            "state": "posting",
            "created_at": aware("now", now),
            "updated_at": now,
        }
        stmt = insert_or_skip(self.engine, DeliveryRow, ["event_key", "channel"])
        if stmt is not None:
            with self._writes.begin() as session:
                added = session.scalars(stmt.values(row).returning(DeliveryRow.id)).first()
                return added
        try:  # other backends: the unique key still decides
            with self._writes.begin() as session:
                delivery = DeliveryRow(**row)
                session.add(delivery)
                session.flush()
                return delivery.id
        except IntegrityError:
            return None

    def finish_alert_delivery(
        self,
        delivery_id: int,
        *,
        state: str,
        now: datetime,
        message_ts: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a claimed delivery ended; a failure is also noted on the channel's
        subscriptions, for ``alerts list``."""
        if state not in ALERT_DELIVERY_STATES or state == "posting":
            raise ValueError(f"state {state!r} does not end a delivery")
        text = " ".join(str(error).split())[:ERROR_LENGTH] if error else None
        now = aware("now", now)
        ts = validate.optional_text("message_ts", message_ts, max_length=SHORT_LENGTH)
        with self._writes.begin() as session:
            channel = session.scalars(
                update(DeliveryRow)
                .where(DeliveryRow.id == validate.row_id(delivery_id))
                .values(state=state, updated_at=now, message_ts=ts, last_error=text)
                .returning(DeliveryRow.channel)
            ).first()
            if channel is not None and state != "posted":
                session.execute(
                    update(SubscriptionRow)
                    .where(SubscriptionRow.channel == channel)
                    .values(last_error=text or state, last_error_at=now)
                )

    def alert_deliveries(
        self, *, channel: str | None = None, limit: int = 1000
    ) -> list[AlertDelivery]:
        """Deliveries, newest first, optionally of one channel."""
        stmt = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(validate.limit(limit))
        if channel is not None:
            stmt = stmt.where(DeliveryRow.channel == channel)
        with self._reads() as session:
            return [_delivery(row) for row in session.scalars(stmt)]

    def prune_alert_deliveries(self, *, before: datetime) -> int:
        """Forget deliveries created before ``before``; returns how many rows went.

        A delivery row is what keeps a retried event from posting again; EventBridge gives
        up on an event after at most 24 hours, so rows older than that only take space.
        """
        before = aware("before", before)
        with self._writes.begin() as session:
            result = session.execute(delete(DeliveryRow).where(DeliveryRow.created_at < before))
            return int(getattr(result, "rowcount", 0) or 0)
