"""Database fixtures shared by the store and digest tests: every test runs on SQLite and on
PostgreSQL.

SQLite databases live in ``tmp_path``. PostgreSQL tests get a schema of their own, with a
random name, in the test database (``SCALEWARDEN_TEST_POSTGRES_URL``), selected through the
connection's ``search_path`` and dropped afterwards: tests never see each other's rows, and
runs on the same server at the same time do not collide. When the server answers but the test
database does not exist yet, it is created, so a fresh machine with PostgreSQL running runs the
PostgreSQL half instead of skipping it. When PostgreSQL is unreachable the PostgreSQL half fails
in CI (``CI`` set, as ``.ci/run`` does) and is skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from scalewarden.store import Store

__all__ = [
    "BACKENDS",
    "POSTGRES_URL",
    "connect_admin",
    "database_url",
    "postgres_admin",
    "postgres_url",
    "store",
]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/scalewarden_test"
POSTGRES_URL = os.environ.get("SCALEWARDEN_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
BACKENDS = ("sqlite", "postgresql")
CONNECT_TIMEOUT_S = 5


def _missing_database(exc: OperationalError, name: str) -> bool:
    """Whether the server answered that the database does not exist.

    A refusal while connecting carries no SQLSTATE in psycopg (libpq reports it as text), so
    the server's message is read: ``database "<name>" does not exist``.
    """
    if getattr(exc.orig, "sqlstate", None) == "3D000":
        return True
    return f'database "{name}" does not exist' in str(exc.orig)


def create_database(url: URL) -> None:
    """Create ``url``'s database through the server's maintenance database ``postgres``.

    A concurrent run may create it first; that is as good.
    """
    maintenance = create_engine(
        url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",  # CREATE DATABASE cannot run in a transaction
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    try:
        with maintenance.connect() as connection:
            name = url.database or ""
            quoted = connection.dialect.identifier_preparer.quote(name)
            try:
                connection.execute(text(f"CREATE DATABASE {quoted}"))
            except ProgrammingError as exc:
                if getattr(exc.orig, "sqlstate", None) != "42P04":  # duplicate_database
                    raise
    finally:
        maintenance.dispose()


def connect_admin(url_text: str = POSTGRES_URL) -> Engine:
    """An engine on the test database, created first if the server lacks it.

    Raises ``OperationalError`` when the server cannot be reached.
    """
    url = make_url(url_text)
    engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        if not _missing_database(exc, url.database or ""):
            engine.dispose()
            raise
        create_database(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    return engine


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test database, used only to create and drop per-test schemas."""
    try:
        engine = connect_admin()
    except OperationalError as exc:
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        reason = f"PostgreSQL is not reachable at {where}: {str(exc.orig).strip()[:200]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason + " (set CI=1 to make this a failure)")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of an empty, private schema on the test database."""
    schema = f"sw_test_{uuid.uuid4().hex[:16]}"
    with postgres_admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scalewarden.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each backend, closed after the test."""
    opened = Store.open(database_url)
    try:
        yield opened
    finally:
        opened.close()
