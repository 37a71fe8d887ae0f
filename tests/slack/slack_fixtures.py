"""Fixtures: the Slack stand-in, a real store, and the real app wired to both.

The store is SQLite unless a test asks for the backends by name: tests of the storage paths
(audit rows, scans, feedback, de-duplication) run on both, with
``@pytest.mark.parametrize("store", BACKENDS, indirect=True)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import (
    ADMIN,
    BOT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    Harness,
    RecordingScanner,
    build_report,
    sample_check,
)

from database_fixtures import BACKENDS, postgres_admin, postgres_url  # noqa: F401 (fixtures)
from scalewarden.settings import Settings
from scalewarden.store import Store
from scalewarden.web import create_app

#: The Web API client's retry back-off factor in tests (production's is 0.5 s): retried
#: failures are still retried, without waiting out real back-off steps.
RETRY_BACKOFF = 0.001


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A migrated store: SQLite, or the backend named by an indirect parameter."""
    backend = getattr(request, "param", "sqlite")
    assert backend in BACKENDS
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'scalewarden.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    s = Store.open(url)
    yield s
    s.close()


@pytest.fixture
def scanner() -> RecordingScanner:
    return RecordingScanner(build_report(5, errors=1))


@pytest.fixture
def make_settings(
    monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> Callable[..., Settings]:
    def build(**env: str) -> Settings:
        values = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SCALEWARDEN_SLACK_API_URL": fake_slack.api_url,
            "SCALEWARDEN_ADMIN_USERS": ADMIN,
            # Scan results are posted in the test channel (elsewhere they go by DM), and the
            # digest scheduler runs only in the tests that are about it.
            "SCALEWARDEN_SECURITY_CHANNELS": CHANNEL,
            "SCALEWARDEN_SCHEDULER": "off",
        }
        values.update(env)
        for key in ("SLACK_APP_TOKEN", "SCALEWARDEN_ADMIN_USERGROUP"):
            monkeypatch.delenv(key, raising=False)
        for key, value in values.items():
            if value == "":
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        return Settings()

    return build


@pytest.fixture
def make_harness(
    make_settings: Callable[..., Settings],
    fake_slack: FakeSlack,
    store: Any,
    scanner: RecordingScanner,
) -> Callable[..., Any]:
    """``async with make_harness(**env) as h:`` runs the app's lifespan around the test."""
    import contextlib

    @contextlib.asynccontextmanager
    async def build(
        *,
        settings_env: dict[str, str] | None = None,
        wait_for_slack: bool = True,
        **kwargs: Any,
    ):
        """``wait_for_slack=False``: the test starts while the start-up ``auth.test`` may
        still be unanswered (a held or slow Slack)."""
        settings = make_settings(**(settings_env or {}))
        kwargs.setdefault("store", store)
        kwargs.setdefault("scanner", scanner)
        kwargs.setdefault("checks", lambda: [sample_check()])
        kwargs.setdefault("progress_interval", 0.05)
        kwargs.setdefault("slack_backoff", RETRY_BACKOFF)
        app = create_app(settings, **kwargs)
        workspace = getattr(app.state, "workspace", None)
        if workspace is not None:
            # A Slack that did not answer at start is asked again soon (production: 1 s).
            workspace.retry_first, workspace.retry_max = 0.02, 0.5
        harness = Harness(app, fake_slack, kwargs["store"])
        async with app.router.lifespan_context(app):
            if wait_for_slack:
                await _startup_auth_test_done(app)
                # What start-up asked of Slack is kept apart: tests assert on what requests
                # cause.
                fake_slack.started()
            yield harness
            await harness.settle()
        await harness.client.aclose()

    return build


async def _startup_auth_test_done(app: Any, timeout: float = 10.0) -> None:
    """Wait until the app's start-up ``auth.test`` has answered or failed (if it makes one)."""
    import asyncio

    from scalewarden.slack.workspace import SlackStatus

    workspace = getattr(app.state, "workspace", None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while workspace is not None and workspace.status is SlackStatus.CHECKING:
        if loop.time() > deadline:
            raise AssertionError("the start-up auth.test neither answered nor failed")
        await asyncio.sleep(0.01)
