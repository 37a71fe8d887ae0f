"""Column types shared by the models.

SQLite has no time zone type: SQLAlchemy writes a ``DATETIME`` as a plain string and silently
drops ``tzinfo``. Storing local times there would make rows from replicas in different zones
incomparable, so every timestamp goes through :class:`UTCDateTime`, which converts to UTC on the
way in and hands back aware UTC datetimes on the way out, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware-UTC timestamp: naive values are refused, results are always aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive time has no meaning across replicas; callers must say which zone it is.
            raise ValueError("naive datetime: pass a timezone-aware value")
        utc = value.astimezone(UTC)
        # SQLite's DATETIME string has no offset: store the UTC wall time, restore UTC on read.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only clock the store uses)."""
    return datetime.now(UTC)
