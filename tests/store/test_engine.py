"""Engine set-up and failure behaviour: URLs, SQLite settings, ping, unreachable databases."""

from __future__ import annotations

import socket
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from scalewarden.store import Store, StoreError
from scalewarden.store.engine import create_store_engine, parse_url, writer
from scalewarden.store.types import UTCDateTime


def _closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_plain_postgres_schemes_use_psycopg() -> None:
    for scheme in ("postgresql", "postgres"):
        url = parse_url(f"{scheme}://u:pw@db.internal:5432/sw")
        assert url.drivername == "postgresql+psycopg"
        assert url.password == "pw"
    assert parse_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["", "   ", "not a url", "://nothing"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="database URL"):
        Store(url)


def test_unknown_backends_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="driver that is not installed"):
        Store("nosuchdb://u:secret@h/db")


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: object) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_for_every_thread() -> None:
    with Store.open("sqlite://") as store:
        assert store.claim_event("E1")
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(store.claim_event("E1")))
        thread.start()
        thread.join()
        assert seen == [False]


def test_ping(store: Store) -> None:
    assert store.ping() is True


def test_ping_is_false_when_the_database_is_unreachable() -> None:
    store = Store(f"postgresql+psycopg://u:secret@127.0.0.1:{_closed_port()}/db")
    try:
        assert store.ping() is False
    finally:
        store.close()


def test_ping_is_false_for_an_unopenable_sqlite_file(tmp_path: object) -> None:
    store = Store(f"sqlite:///{tmp_path}/missing-dir/x.db")
    try:
        assert store.ping() is False
    finally:
        store.close()


def test_open_on_an_unreachable_database_says_so_without_the_password() -> None:
    url = f"postgresql://scalewarden:hunter2secret@127.0.0.1:{_closed_port()}/db"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert "cannot migrate the database" in message
    assert "127.0.0.1" in message
    assert "hunter2secret" not in message
    assert "hunter2secret" not in repr(Store(url))


def test_utc_datetime_refuses_naive_values_and_reads_back_utc(tmp_path: object) -> None:
    metadata = MetaData()
    table = Table("t", metadata, Column("at", UTCDateTime()), Column("plain", DateTime()))
    engine = create_store_engine(f"sqlite:///{tmp_path}/t.db")
    try:
        metadata.create_all(engine)
        tokyo = datetime(2026, 11, 29, 21, 0, tzinfo=timezone(timedelta(hours=9)))
        with engine.begin() as connection:
            connection.execute(table.insert().values(at=tokyo))
            with pytest.raises(StatementError, match="naive datetime"):
                connection.execute(table.insert().values(at=datetime(2026, 11, 29, 12, 0)))
        with engine.connect() as connection:
            stored = connection.execute(select(table.c.at)).scalar_one()
            raw = connection.execute(text("SELECT at FROM t")).scalar_one()
        assert stored == tokyo
        assert stored.utcoffset() == timedelta(0)
        assert raw.startswith("2026-11-29 12:00:00")  # UTC wall time on disk
    finally:
        engine.dispose()


def test_sqlite_writers_take_the_write_lock_when_they_begin(tmp_path: object) -> None:
    """A deferred transaction that upgrades to a writer fails at once with SQLITE_BUSY, so
    write transactions must hold the lock from their first statement; readers stay deferred."""
    path = f"{tmp_path}/lock.db"
    engine = create_store_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.connect() as reader, reader.begin():
            reader.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")  # a plain reader does not block a writer
            other.execute("ROLLBACK")
        with writer(engine).connect() as connection, connection.begin():
            connection.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()
