"""Schema migrations: Alembic, driven from the package so that an installed wheel can migrate.

The Alembic scripts live in ``migrations/`` inside the package, next to an ``alembic.ini`` that
only names that folder, so ``Store.migrate()`` works without a checkout and developers can still
use the Alembic command line (``alembic -c src/scalewarden/store/migrations/alembic.ini
revision --autogenerate -m "..."``, which reads ``SCALEWARDEN_DATABASE_URL``).

Replicas start at the same time and each runs ``Store.open()``. Two concurrent upgrades would
both see an empty database and both try to create the tables, so the whole upgrade runs in one
transaction that first takes a lock:

* PostgreSQL: a transaction-scoped advisory lock (DDL is transactional there, so the second
  replica waits, then finds the schema at head and does nothing);
* SQLite: ``BEGIN IMMEDIATE``, the database's single write lock (its DDL is transactional too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from scalewarden.store.engine import writer

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
#: An arbitrary, fixed 64-bit key: every scalewarden process agrees on it.
ADVISORY_LOCK_KEY = 0x5C41_E3A7_D0C5_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the shipped scripts, optionally bound to ``connection``."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it commits."""
    with writer(engine).connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": ADVISORY_LOCK_KEY})
        yield connection


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already."""
    with migration_transaction(engine) as connection:
        command.upgrade(alembic_config(connection), "head")


def head_revision() -> str | None:
    """The newest revision shipped with this version of the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
