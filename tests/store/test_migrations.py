"""Migrations: from empty to head, idempotent, concurrent, reversible, and equal to the models."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from scalewarden.store import Store, StoreError
from scalewarden.store import engine as engine_module
from scalewarden.store.migrate import alembic_config, current_revision, head_revision
from scalewarden.store.models import Base

TABLES = {
    "processed_events",
    "audit_log",
    "feedback",
    "scans",
    "findings",
    "digest_subscriptions",
    "digest_deliveries",
    "scheduler_lease",
    "mutes",
    "alert_subscriptions",
    "alert_deliveries",
    "alembic_version",
}


def _tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def test_constructor_does_not_migrate(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert _tables(store) == set()
        assert current_revision(store.engine) is None
    finally:
        store.close()


def test_open_migrates_an_empty_database_to_head(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert head_revision() is not None
        assert current_revision(store.engine) == head_revision()
        assert _tables(store) == TABLES
    finally:
        store.close()


def test_migrating_twice_is_a_no_op_and_keeps_data(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        assert store.claim_event("Ev1")
        store.migrate()
        store.migrate()
        again = Store.open(database_url)
        again.close()
        assert current_revision(store.engine) == head_revision()
        assert not store.claim_event("Ev1")
    finally:
        store.close()


def test_head_matches_the_models(store: Store) -> None:
    """Autogenerate against the migrated database finds nothing to add, drop or alter."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_back(store: Store) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert _tables(store) == {"alembic_version"}
    store.migrate()
    assert _tables(store) == TABLES
    assert store.claim_event("after-roundtrip")


def test_two_processes_migrate_the_same_empty_database_at_once(database_url: str) -> None:
    """Replicas start together; both must come up, and the schema must be created once."""
    script = textwrap.dedent(
        """
        import sys
        from scalewarden.store import Store
        store = Store.open(sys.argv[1])
        store.close()
        print("ok")
        """
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == "ok"
    store = Store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert _tables(store) == TABLES
    finally:
        store.close()


#: Runs in a replica's place: opens the store, reporting each attempt to switch the file to WAL.
_REPLICA = textwrap.dedent(
    """
    import sys
    from sqlalchemy import event
    from scalewarden.store import Store

    def report(sql):
        if "journal_mode" in sql:
            print("wal-attempt", flush=True)

    store = Store(sys.argv[1])
    event.listen(
        store.engine, "connect", lambda conn, _: conn.set_trace_callback(report), insert=True
    )
    store.migrate()
    store.close()
    print("ok", flush=True)
    """
)


@pytest.mark.parametrize("replicas", [1, 3])
def test_replicas_opening_a_new_sqlite_file_while_a_peer_converts_it(
    tmp_path: Path, replicas: int
) -> None:
    """The start-up race: a replica reads a new file while a peer is switching it to WAL.

    SQLite answers the late replica's switch with "database is locked" at once, without the
    busy timeout, however briefly the peer holds the lock. The peer's conversion is held open
    here until every replica has met it and tried again, so the race is lost every time
    unless the switch is retried; then the peer commits and every replica must come up.
    """
    path = tmp_path / "race.db"
    peer = sqlite3.connect(path, isolation_level=None)
    peer.execute("BEGIN IMMEDIATE")  # a peer's WAL conversion of the new file, mid-way
    url = f"sqlite:///{path}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _REPLICA, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(replicas)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            attempts = 0
            while attempts < 2:  # the first attempt met the peer's lock; this one retries
                line = process.stdout.readline()
                if not line:  # the replica gave up
                    process.wait(timeout=60)
                    pytest.fail(f"replica failed: {process.stderr.read()[-800:]}")  # type: ignore[union-attr]
                attempts += line.strip() == "wal-attempt"
        peer.execute("COMMIT")
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        peer.close()
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert out.strip().endswith("ok")
    store = Store(url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert _tables(store) == TABLES
    finally:
        store.close()


def test_a_file_locked_for_longer_than_the_busy_timeout_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WAL retry is bounded: a lock that is never released ends in "database is locked"."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "held.db"
    peer = sqlite3.connect(path, isolation_level=None)
    peer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="database is locked"):
            Store.open(f"sqlite:///{path}")
    finally:
        peer.close()
