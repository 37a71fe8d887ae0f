"""Stored mutes: the ``Store``'s share. Matching lives with the mutelist, not here.

Expired mutes are kept, not deleted: they no longer apply, and a digest can say which ones
lapsed since the scan before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from scalewarden.store import validate
from scalewarden.store.models import ID_LENGTH, NAME_LENGTH, SHORT_LENGTH, Mute
from scalewarden.store.records import StoredMute


def _record(row: Mute) -> StoredMute:
    return StoredMute(
        id=row.id,
        check_id=row.check_id,
        resource_pattern=row.resource_pattern,
        reason=row.reason,
        author=row.author,
        created_at=row.created_at,
        expires_at=row.expires_at,
        accounts=tuple(row.accounts),
        regions=tuple(row.regions),
    )


class MuteRecords:
    """Mutes; mixed into :class:`~scalewarden.store.Store`."""

    _reads: sessionmaker[Session]
    _writes: sessionmaker[Session]

    def add_mute(
        self,
        *,
        check_id: str,
        resource_pattern: str | None,
        accounts: Sequence[str],
        regions: Sequence[str],
        reason: str,
        author: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> StoredMute:
        """Store a mute; an expiry that is not after ``now`` is refused (it would never apply)."""
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime")
        if expires_at is not None:
            if not isinstance(expires_at, datetime) or expires_at.tzinfo is None:
                raise ValueError("expires_at must be a timezone-aware datetime")
            if expires_at <= now:
                raise ValueError(f"expiry {expires_at.isoformat()} is in the past")
        row = Mute(
            check_id=validate.text("check_id", check_id, max_length=NAME_LENGTH),
            resource_pattern=validate.optional_text("resource_pattern", resource_pattern) or None,
            accounts=validate.names("accounts", accounts, max_length=SHORT_LENGTH),
            regions=validate.names("regions", regions, max_length=SHORT_LENGTH),
            reason=validate.text("reason", reason),
            author=validate.text("author", author, max_length=ID_LENGTH),
            created_at=now,
            expires_at=expires_at,
        )
        with self._writes.begin() as session:
            session.add(row)
            session.flush()
            return _record(row)

    def mutes(self) -> list[StoredMute]:
        """Every stored mute, active or expired, oldest first."""
        with self._reads() as session:
            return [_record(row) for row in session.scalars(select(Mute).order_by(Mute.id))]

    def remove_mute(self, mute_id: int) -> bool:
        """Delete a mute; False when there was none."""
        with self._writes.begin() as session:
            result = session.execute(delete(Mute).where(Mute.id == validate.row_id(mute_id)))
            return bool(getattr(result, "rowcount", 0))
