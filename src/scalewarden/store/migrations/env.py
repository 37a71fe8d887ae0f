"""Alembic environment of the scalewarden schema.

``Store.migrate()`` hands in a connection that already holds the migration lock (see
``scalewarden.store.migrate``) through ``config.attributes["connection"]``; the migrations run
inside that connection's transaction. Otherwise the environment opens the database named by
``sqlalchemy.url`` in the config and takes the same lock. Only when run from the Alembic
command line (the one edge here) does it fall back to the settings'
``SCALEWARDEN_DATABASE_URL``. Logging is left alone: the application owns its configuration.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from scalewarden.store.engine import create_store_engine, parse_url
from scalewarden.store.migrate import migration_transaction
from scalewarden.store.models import Base
from scalewarden.store.types import UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write ``UTCDateTime`` as the plain column type it stores, so revisions do not import
    application code that may change later."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    if context.config.cmd_opts is None:  # called from code: it must say which database
        raise RuntimeError("no database: pass a connection or set sqlalchemy.url")
    from scalewarden.settings import get_settings

    return get_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Print the SQL of the migrations instead of running them (``alembic upgrade --sql``)."""
    context.configure(
        url=parse_url(_database_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_store_engine(_database_url())
    try:
        with migration_transaction(engine) as locked:
            _run(locked)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
