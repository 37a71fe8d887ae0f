"""Migrations: from empty to head, idempotent, concurrent, reversible, and equal to the models."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from scalewarden.store import Store
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
