"""Digest subscriptions, their deliveries and the scheduler lease: the ``Store``'s share.

Exactly once is built from two database facts, the same on SQLite and PostgreSQL:

* ``digest_deliveries`` is unique on (subscription, fire time). Claiming a delivery is an
  ``INSERT … ON CONFLICT DO NOTHING``: of two replicas that race, one adds the row and the
  other adds nothing. That alone makes a delivery happen at most once.
* Every later step is a compare-and-set ``UPDATE … WHERE state = … AND owner = …``: a replica
  that lost a delivery (its lease ran out and another took the work over) finds its update
  matching no row, and stops before posting.

The lease row only decides which replica does the scheduling, so that replicas do not all
scan for the same fire time; correctness never depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scalewarden.store import validate
from scalewarden.store.engine import insert_or_skip
from scalewarden.store.models import (
    ID_LENGTH,
    NAME_LENGTH,
    SHORT_LENGTH,
    DigestDelivery,
    DigestSubscription,
    SchedulerLease,
)
from scalewarden.store.records import Delivery, Subscription
from scalewarden.store.subscriptions import (
    SubscriptionTable,
    aware,
    common_columns,
    common_fields,
)

#: Longest error text kept on a delivery or subscription (one line for ``digest list``).
ERROR_LENGTH = 500
#: States a delivery is in while some replica works on it.
IN_FLIGHT = ("claimed", "scanned", "posting")


def _error_text(error: str) -> str:
    return " ".join(str(error).split())[:ERROR_LENGTH] or "unknown error"


def _subscription(row: DigestSubscription) -> Subscription:
    return Subscription(**common_fields(row), schedule=row.schedule, timezone=row.timezone)


_SUBSCRIPTIONS = SubscriptionTable(DigestSubscription, _subscription)


def _delivery(row: DigestDelivery) -> Delivery:
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        fire_time=row.fire_time,
        state=row.state,
        owner=row.owner,
        attempts=row.attempts,
        last_error=row.last_error,
        scan_id=row.scan_id,
        message_ts=row.message_ts,
        claimed_at=row.claimed_at,
        updated_at=row.updated_at,
    )


class DigestRecords:
    """Subscriptions, deliveries and the lease; mixed into :class:`~scalewarden.store.Store`."""

    engine: Engine
    _reads: sessionmaker[Session]
    _writes: sessionmaker[Session]

    # Subscriptions -----------------------------------------------------------------------

    def add_subscription(
        self,
        *,
        channel: str,
        schedule: str,
        timezone: str,
        min_severity: str,
        regions: Sequence[str],
        accounts: Sequence[str],
        created_by: str,
        now: datetime,
    ) -> Subscription:
        """Store a subscription whose schedule the caller has already parsed; returns it."""
        row = DigestSubscription(
            **common_columns(
                channel=channel,
                min_severity=min_severity,
                regions=regions,
                accounts=accounts,
                created_by=created_by,
                now=now,
            ),
            schedule=validate.text("schedule", schedule, max_length=NAME_LENGTH),
            timezone=validate.text("timezone", timezone, max_length=NAME_LENGTH),
        )
        return _SUBSCRIPTIONS.add(self._writes, row)

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        return _SUBSCRIPTIONS.all(self._reads)

    def subscription(self, subscription_id: int) -> Subscription | None:
        return _SUBSCRIPTIONS.get(self._reads, subscription_id)

    def remove_subscription(self, subscription_id: int) -> bool:
        """Delete a subscription and its deliveries; False when there was none."""
        return _SUBSCRIPTIONS.remove(
            self._writes, subscription_id, dependents=[DigestDelivery.subscription_id]
        )

    # Deliveries --------------------------------------------------------------------------

    def deliveries(
        self, *, subscription_id: int | None = None, since: datetime | None = None
    ) -> list[Delivery]:
        """Deliveries, newest fire time first, optionally of one subscription or since a time."""
        stmt = select(DigestDelivery).order_by(
            DigestDelivery.fire_time.desc(), DigestDelivery.id.desc()
        )
        if subscription_id is not None:
            stmt = stmt.where(DigestDelivery.subscription_id == validate.row_id(subscription_id))
        if since is not None:
            stmt = stmt.where(DigestDelivery.fire_time >= aware("since", since))
        with self._reads() as session:
            return [_delivery(row) for row in session.scalars(stmt)]

    def claim_deliveries(
        self, pairs: Iterable[tuple[int, datetime]], *, owner: str, now: datetime
    ) -> list[Delivery]:
        """Claim (subscription, fire time) pairs for ``owner``; returns those it won.

        One ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` for all pairs: a pair some other
        replica claimed first is simply not returned.
        """
        owner = validate.text("owner", owner, max_length=ID_LENGTH)
        now = aware("now", now)
        rows = [
            {
                "subscription_id": validate.row_id(sid),
                "fire_time": aware("fire_time", fire),
                "state": "claimed",
                "owner": owner,
                "attempts": 1,
                "claimed_at": now,
                "updated_at": now,
            }
            for sid, fire in pairs
        ]
        if not rows:
            return []
        stmt = insert_or_skip(self.engine, DigestDelivery, ["subscription_id", "fire_time"])
        won: list[Delivery] = []
        if stmt is not None:
            with self._writes.begin() as session:
                ids = session.scalars(stmt.values(rows).returning(DigestDelivery.id)).all()
                if ids:
                    found = session.scalars(
                        select(DigestDelivery).where(DigestDelivery.id.in_(ids))
                    )
                    won = [_delivery(row) for row in found]
            return sorted(won, key=lambda d: d.id)
        for row in rows:  # other backends: one transaction per pair, the key still decides
            try:
                with self._writes.begin() as session:
                    added = DigestDelivery(**row)
                    session.add(added)
                    session.flush()
                    won.append(_delivery(added))
            except IntegrityError:
                continue
        return won

    def reclaim_deliveries(
        self,
        *,
        owner: str,
        now: datetime,
        stale_before: datetime,
        retry_since: datetime,
        max_attempts: int,
    ) -> tuple[list[Delivery], list[Delivery]]:
        """Recover work after a crash or a lost lease, and pick up failures worth retrying.

        * ``posting`` not touched since ``stale_before``: the process stopped while posting,
          so nobody knows whether the message went out. It becomes ``uncertain`` and is
          never posted again (a second post is worse than a missing one).
        * ``claimed``/``scanned`` not touched since ``stale_before``: nothing was posted yet;
          taken over by ``owner`` for another attempt, if fired since ``retry_since``
          (otherwise ``failed``: after a long outage only the latest fire time runs).
        * ``failed`` with fewer than ``max_attempts`` attempts, fired since ``retry_since``
          and not touched for a backoff that doubles with each attempt: retried.

        Every change is a compare-and-set on the state, owner and attempt count it read, so
        two replicas recovering at once take over each delivery once. Returns
        (deliveries taken over for another attempt, deliveries marked uncertain).
        """
        owner = validate.text("owner", owner, max_length=ID_LENGTH)
        now = aware("now", now)
        stale_before = aware("stale_before", stale_before)
        retry_since = aware("retry_since", retry_since)
        taken: list[Delivery] = []
        uncertain: list[Delivery] = []
        with self._writes.begin() as session:
            rows = session.scalars(
                select(DigestDelivery).where(
                    or_(
                        DigestDelivery.state.in_(IN_FLIGHT),
                        (DigestDelivery.state == "failed")
                        & (DigestDelivery.attempts < max_attempts)
                        & (DigestDelivery.fire_time >= retry_since),
                    )
                )
            ).all()
            for row in rows:
                if row.state == "failed":
                    backoff = timedelta(minutes=2 ** (row.attempts - 1))
                    if row.updated_at > now - backoff:
                        continue
                elif row.updated_at > stale_before:
                    continue  # someone is (or may still be) working on it
                values: dict[str, Any]
                if row.state in ("claimed", "scanned") and row.fire_time < retry_since:
                    # Left over from before an outage longer than the grace window: the
                    # latest fire time runs instead, and one digest is enough.
                    values = {
                        "state": "failed",
                        "updated_at": now,
                        "last_error": "not finished within the grace window "
                        "(the scheduler was stopped); a later digest replaces it",
                    }
                elif row.state == "posting":
                    values = {
                        "state": "uncertain",
                        "updated_at": now,
                        "last_error": "stopped while posting: the message may or may not "
                        "have been sent, so it is not sent again",
                    }
                elif row.attempts >= max_attempts:
                    values = {
                        "state": "failed",
                        "updated_at": now,
                        "last_error": row.last_error
                        or f"gave up: the scheduler stopped mid-way {row.attempts} times",
                    }
                else:
                    values = {
                        "state": "claimed",
                        "owner": owner,
                        "attempts": row.attempts + 1,
                        "updated_at": now,
                    }
                changed = session.execute(
                    update(DigestDelivery)
                    .where(
                        DigestDelivery.id == row.id,
                        DigestDelivery.state == row.state,
                        DigestDelivery.owner == row.owner,
                        DigestDelivery.attempts == row.attempts,
                    )
                    .values(**values)
                )
                if not getattr(changed, "rowcount", 0):
                    continue
                session.refresh(row)
                if row.state == "uncertain":
                    uncertain.append(_delivery(row))
                elif row.state == "claimed":
                    taken.append(_delivery(row))
        return taken, uncertain

    def mark_scanned(
        self, delivery_ids: Sequence[int], *, scan_id: str, owner: str, now: datetime
    ) -> list[int]:
        """``claimed`` → ``scanned`` with the scan that serves them; returns the ids still ours."""
        scan_id = validate.text("scan_id", scan_id, max_length=ID_LENGTH)
        return self._advance(
            delivery_ids, owner, ("claimed",), now, state="scanned", scan_id=scan_id
        )

    def touch_deliveries(
        self, delivery_ids: Sequence[int], *, owner: str, now: datetime
    ) -> list[int]:
        """Keep deliveries ``owner`` is working on fresh (the heartbeat of a long scan), so
        recovery does not presume them abandoned; returns the ids still ours."""
        return self._advance(delivery_ids, owner, IN_FLIGHT, now)

    def begin_posting(self, delivery_id: int, *, owner: str, now: datetime) -> bool:
        """``scanned`` → ``posting``, recorded *before* the post; False when no longer ours."""
        return bool(self._advance([delivery_id], owner, ("scanned",), now, state="posting"))

    def mark_posted(
        self, delivery_id: int, *, owner: str, message_ts: str | None, now: datetime
    ) -> bool:
        """``posting`` → ``posted``. Also from ``uncertain``: a replica that was presumed dead
        but did post says so, and the outcome becomes known."""
        ts = validate.optional_text("message_ts", message_ts, max_length=SHORT_LENGTH)
        now = aware("now", now)
        with self._writes.begin() as session:
            changed = session.execute(
                update(DigestDelivery)
                .where(
                    DigestDelivery.id == validate.row_id(delivery_id),
                    DigestDelivery.owner == owner,
                    DigestDelivery.state.in_(("posting", "uncertain")),
                )
                .values(state="posted", message_ts=ts, last_error=None, updated_at=now)
            )
            return bool(getattr(changed, "rowcount", 0))

    def mark_failed(
        self,
        delivery_ids: Sequence[int],
        *,
        owner: str,
        error: str,
        now: datetime,
        uncertain: bool = False,
    ) -> list[int]:
        """Record a failure on deliveries still ours, and on their subscriptions for
        ``digest list``. ``uncertain=True`` when the post may have gone out: never retried."""
        text = _error_text(error)
        state = "uncertain" if uncertain else "failed"
        ids = self._advance(
            delivery_ids,
            owner,
            IN_FLIGHT,
            now,
            state=state,
            last_error=text,
            with_subscription_error=True,
        )
        return ids

    def _advance(
        self,
        delivery_ids: Sequence[int],
        owner: str,
        from_states: Sequence[str],
        now: datetime,
        *,
        with_subscription_error: bool = False,
        **values: Any,
    ) -> list[int]:
        """Compare-and-set ``values`` on the deliveries ``owner`` still holds in ``from_states``."""
        ids = [validate.row_id(i) for i in delivery_ids]
        owner = validate.text("owner", owner, max_length=ID_LENGTH)
        now = aware("now", now)
        if not ids:
            return []
        with self._writes.begin() as session:
            changed = session.scalars(
                update(DigestDelivery)
                .where(
                    DigestDelivery.id.in_(ids),
                    DigestDelivery.owner == owner,
                    DigestDelivery.state.in_(tuple(from_states)),
                )
                .values(updated_at=now, **values)
                .returning(DigestDelivery.id)
            ).all()
            if with_subscription_error and changed:
                subscriptions = select(DigestDelivery.subscription_id).where(
                    DigestDelivery.id.in_(changed)
                )
                session.execute(
                    update(DigestSubscription)
                    .where(DigestSubscription.id.in_(subscriptions))
                    .values(last_error=values.get("last_error"), last_error_at=now)
                )
            return sorted(changed)

    # The leader lease --------------------------------------------------------------------

    def acquire_lease(self, name: str, *, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``owner`` until ``now + ttl``.

        Succeeds when nobody holds it, when ``owner`` already does, or when the holder let it
        expire. The insert and the conditional update are each one atomic statement, so two
        replicas asking at once cannot both succeed.
        """
        name = validate.text("name", name, max_length=NAME_LENGTH)
        owner = validate.text("owner", owner, max_length=ID_LENGTH)
        now = aware("now", now)
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        expires = now + ttl
        stmt = insert_or_skip(self.engine, SchedulerLease, ["name"])
        row = {"name": name, "owner": owner, "expires_at": expires, "renewed_at": now}
        with self._writes.begin() as session:
            if stmt is not None:
                added = session.execute(stmt.values(row).returning(SchedulerLease.name)).first()
                if added is not None:
                    return True
            elif session.get(SchedulerLease, name) is None:
                session.add(SchedulerLease(**row))
                return True
            changed = session.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == name,
                    or_(SchedulerLease.owner == owner, SchedulerLease.expires_at <= now),
                )
                .values(owner=owner, expires_at=expires, renewed_at=now)
            )
            return bool(getattr(changed, "rowcount", 0))

    def release_lease(self, name: str, *, owner: str) -> None:
        """Give the lease up at shutdown so another replica need not wait for it to expire."""
        with self._writes.begin() as session:
            session.execute(
                delete(SchedulerLease).where(
                    SchedulerLease.name == name, SchedulerLease.owner == owner
                )
            )

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """(owner, expires_at) of the lease ``name``, or None."""
        with self._reads() as session:
            row = session.get(SchedulerLease, name)
            return None if row is None else (row.owner, row.expires_at)
