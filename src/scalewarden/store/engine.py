"""Engine construction: one place that knows how each backend must be set up.

SQLite (the default) needs the most care, because the service calls the store from many
worker threads and may run next to a CLI process on the same file:

* ``check_same_thread=False``: connections are handed between worker threads by the pool.
* WAL journal: readers do not block the writer and the writer does not block readers.
  Switching a new file to WAL is a write, and SQLite answers SQLITE_BUSY at once, without
  waiting, to a connection that read the file while another one was converting it (two
  replicas starting together); the switch is retried with a bounded back-off instead.
* a busy timeout: a writer waits for the lock instead of failing at once with
  "database is locked".
* SQLAlchemy emits ``BEGIN`` itself (the ``sqlite3`` module's legacy mode starts transactions
  only before DML, so reads were not transactional). Write transactions use ``BEGIN
  IMMEDIATE``: they take the write lock up front, which is what lets the busy timeout work; a
  deferred transaction that upgrades from read to write fails with SQLITE_BUSY at once.
* foreign keys on, so that deleting a scan deletes its findings as on PostgreSQL.

PostgreSQL gets a pre-ping (replicas outlive database restarts), recycled connections and a
connect timeout, so that ``/readyz`` answers rather than hangs when the database is away.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

#: Execution option that marks a connection as a writer (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "scalewarden_write"
SQLITE_BUSY_TIMEOUT_S = 15.0
POSTGRES_CONNECT_TIMEOUT_S = 10
POOL_SIZE = 5
MAX_OVERFLOW = 10
POOL_RECYCLE_S = 1800
#: Back-off between attempts to switch a busy SQLite file to WAL: doubling, capped.
WAL_RETRY_FIRST_S = 0.005
WAL_RETRY_MAX_S = 0.1


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for ``url``; plain ``postgresql://`` / ``postgres://`` use psycopg 3.

    The bare PostgreSQL scheme would make SQLAlchemy load psycopg2, which scalewarden does not
    ship; operators copy URLs from hosting dashboards in exactly that form.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("database URL must be a non-empty string, e.g. sqlite:///scalewarden.db")
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ValueError(
            "database URL is not valid: expected e.g. sqlite:///scalewarden.db or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe(url: URL) -> str:
    """The URL for messages and logs, with the password masked."""
    return url.render_as_string(hide_password=True)


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the file's lock.

    The busy timeout does not cover this case (see the module docstring), so the wait is ours:
    bounded by the same timeout, then the last "database is locked" is raised.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = WAL_RETRY_FIRST_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            # The primary code: extended ones (SQLITE_BUSY_RECOVERY, …) are busy too.
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, WAL_RETRY_MAX_S)


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    }
    if _is_memory_sqlite(url):
        # Every connection to ":memory:" is a different, empty database: share one.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            _enable_wal(cursor)
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_S,
        connect_args=connect_args,
    )


def create_store_engine(url: str) -> Engine:
    """A configured engine for ``url``. Connects lazily: nothing is opened here."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            return _postgres_engine(parsed)
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ValueError(
            f"database URL {describe(parsed)!r} needs a driver that is not installed: {exc}"
        ) from None


def writer(engine: Engine) -> Engine:
    """A view of ``engine`` (same pool) whose transactions take the write lock up front."""
    return engine.execution_options(**{WRITE_OPTION: True})


def insert_or_skip(engine: Engine, model: Any, index_elements: Sequence[str]) -> Any:
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING`` for SQLite or PostgreSQL.

    The unique key decides races between replicas: the insert either adds the row (this caller
    owns it) or adds nothing (someone else does), with no window in which both see "new".
    Add ``.values(...)`` and ``.returning(...)`` to learn which rows were added; rowcount is not
    reliable for INSERTs. ``None`` on other backends, whose callers fall back to catching the
    ``IntegrityError``.
    """
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    module = sqlite_dialect if dialect == "sqlite" else postgresql_dialect
    return module.insert(model).on_conflict_do_nothing(index_elements=list(index_elements))
