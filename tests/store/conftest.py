"""Fixtures for the database layer: every store test runs on SQLite and on PostgreSQL.

SQLite databases live in ``tmp_path``. PostgreSQL tests get a schema of their own, with a
random name, in the test database (``SCALEWARDEN_TEST_POSTGRES_URL``), selected through the
connection's ``search_path`` and dropped afterwards: tests never see each other's rows, and
runs on the same server at the same time do not collide. When PostgreSQL is unreachable the
PostgreSQL half fails in CI (``CI`` set) and is skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from scalewarden.store import Store

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/scalewarden_test"
POSTGRES_URL = os.environ.get("SCALEWARDEN_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test database, used only to create and drop per-test schemas."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
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


def finding(
    check_id: str = "target_fixed_capacity",
    *,
    severity: str = "low",
    status: str = "FAIL",
    account_id: str = "111111111111",
    region: str = "eu-west-1",
    resource_id: str = "service/default/web",
) -> dict[str, Any]:
    """A finding with every field of the report contract."""
    return {
        "check_id": check_id,
        "title": f"Title of {check_id}",
        "severity": severity,
        "status": status,
        "account_id": account_id,
        "account_name": "prod",
        "region": region,
        "resource_id": resource_id,
        "resource_arn": f"arn:aws:application-autoscaling:{region}:{account_id}:x/{resource_id}",
        "message": f"{check_id} on {resource_id}",
        "remediation": "Do the right thing.",
        "kb_article": "resilience",
        "compliance": {"SecurityHub": ["DynamoDB.1"]} if "dynamodb" in check_id else {},
        "evidence": {"MinCapacity": 1, "MaxCapacity": 1, "tags": ["a", "b"]},
        "fingerprint": uuid.uuid5(
            uuid.NAMESPACE_URL, f"{check_id}|{account_id}|{region}|{resource_id}"
        ).hex,
    }


ReportFactory = Callable[..., dict[str, Any]]
FindingFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_finding() -> FindingFactory:
    """Builds findings with every field of the report contract."""
    return finding


@pytest.fixture
def make_report() -> ReportFactory:
    """Builds scan reports; each call starts one minute after the previous one."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    clock = (start + timedelta(minutes=i) for i in itertools.count())

    def build(findings: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
        started = next(clock)
        items = findings if findings is not None else [finding()]
        valid = [item for item in items if isinstance(item, dict)]
        report: dict[str, Any] = {
            "scan_id": uuid.uuid4().hex,
            "started_at": started.isoformat(),
            "finished_at": (started + timedelta(seconds=42)).isoformat(),
            "accounts": sorted({f["account_id"] for f in valid}),
            "regions": sorted({f["region"] for f in valid}),
            "summary": {"total": len(items)},
            "findings": items,
        }
        report.update(overrides)
        return report

    return build
