"""Posting digests: the poster against the Slack stand-in (retries, refusals, overflow), and
the scheduler inside the service (on by default, off by setting, the lease given back)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import ADMIN, BOT_TOKEN, build_report
from test_slack_digests import DigestRunner

from database_fixtures import BACKENDS
from scalewarden.digests.result import DigestResult
from scalewarden.digests.scheduler import LEASE_NAME, PostFailed, scan_and_store
from scalewarden.slack.digest_poster import SlackDigestPoster, digest_web_client
from scalewarden.store.records import Subscription

pytestmark = pytest.mark.asyncio

DIGEST_CHANNEL = "C0DIGESTS"


def _subscription(store: Any, *, created: datetime, schedule: str = "daily 09:00") -> Subscription:
    return store.add_subscription(
        channel=DIGEST_CHANNEL,
        schedule=schedule,
        timezone="UTC",
        min_severity="informational",
        regions=("us-east-1",),
        accounts=(),
        created_by=ADMIN,
        now=created,
    )


def _poster(fake: FakeSlack, store: Any, retries: int = 3) -> SlackDigestPoster:
    return SlackDigestPoster(digest_web_client(BOT_TOKEN, fake.api_url, retries=retries), store)


def _posts(fake: FakeSlack, *, thread: bool = False) -> list[Any]:
    return [
        c
        for c in fake.api_calls("chat.postMessage")
        if c.params.get("channel") == DIGEST_CHANNEL and bool(c.params.get("thread_ts")) is thread
    ]


async def test_a_429_then_success_is_one_message(fake_slack: FakeSlack, store: Any) -> None:
    subscription = _subscription(store, created=datetime.now(UTC))
    result = DigestResult(subscription_id=subscription.id, scan_id="s1", baseline=True)
    fake_slack.fail("chat.postMessage", 429, headers={"Retry-After": "1"})
    ts = await asyncio.to_thread(_poster(fake_slack, store), subscription, result)
    calls = _posts(fake_slack)
    assert len(calls) == 2  # the refused attempt, then the one message
    assert ts is not None and ts.startswith("1700000000.")
    assert "Baseline" in json.dumps(calls[-1].params)


async def test_a_definite_refusal_is_post_failed(fake_slack: FakeSlack, store: Any) -> None:
    subscription = _subscription(store, created=datetime.now(UTC))
    result = DigestResult(subscription_id=subscription.id, scan_id="s1", baseline=True)
    fake_slack.fail("chat.postMessage", 200, body={"ok": False, "error": "not_in_channel"})
    with pytest.raises(PostFailed, match="not_in_channel"):
        await asyncio.to_thread(_poster(fake_slack, store), subscription, result)


async def test_a_server_error_after_the_retries_is_not_called_a_refusal(
    fake_slack: FakeSlack, store: Any
) -> None:
    """Slack may have posted it: the scheduler must record "uncertain", not retry."""
    subscription = _subscription(store, created=datetime.now(UTC))
    result = DigestResult(subscription_id=subscription.id, scan_id="s1", baseline=True)
    fake_slack.fail("chat.postMessage", 500, times=2)
    with pytest.raises(Exception) as raised:
        await asyncio.to_thread(_poster(fake_slack, store, retries=1), subscription, result)
    assert not isinstance(raised.value, PostFailed)


async def test_overflow_goes_to_the_thread_and_the_scan_to_a_file(
    fake_slack: FakeSlack, store: Any
) -> None:
    from scalewarden.digests.diff import diff_scans

    subscription = _subscription(store, created=datetime.now(UTC))
    scan = scan_and_store(
        store, _scope(), DigestRunner(build_report(300, errors=2)), requested_by="digest"
    )
    diff = diff_scans(None, scan)
    result = DigestResult(
        subscription_id=subscription.id,
        scan_id=scan.scan_id,
        baseline=False,
        new=diff.open,  # as if every finding were new
    )
    ts = await asyncio.to_thread(_poster(fake_slack, store), subscription, result)
    (main,) = _posts(fake_slack)
    assert main.params.get("blocks")
    thread = _posts(fake_slack, thread=True)
    assert thread and all(c.params["thread_ts"] == ts for c in thread)
    upload = next(c for c in fake_slack.calls if c.path.startswith("/upload/"))
    assert len(json.loads(upload.raw)["findings"]) == 302
    (complete,) = fake_slack.api_calls("files.completeUploadExternal")
    assert complete.params["thread_ts"] == ts


def _scope() -> Any:
    from scalewarden.scan import ScanScope

    return ScanScope(regions=["us-east-1"])


async def _wait(predicate: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_the_service_posts_a_due_digest_once_and_gives_the_lease_back(
    make_harness: Any, store: Any
) -> None:
    now = datetime.now(UTC)
    fire = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    subscription = _subscription(
        store, created=now - timedelta(hours=2), schedule=f"daily {fire:%H:%M}"
    )
    runner = DigestRunner(build_report(4))
    env = {"SCALEWARDEN_SCHEDULER": "on", "SCALEWARDEN_SCHEDULER_INTERVAL": "0.05"}
    async with make_harness(settings_env=env, digest_runner=runner, scheduler_owner="r1") as h:
        await _wait(lambda: _posts(h.fake))
        holder = store.lease_holder(LEASE_NAME)
        assert holder is not None and holder[0] == "r1"
        # Several more ticks happen (the lease is renewed each time) and post nothing more.
        for _ in range(3):
            renewed = store.lease_holder(LEASE_NAME)[1]
            await _wait(lambda since=renewed: store.lease_holder(LEASE_NAME)[1] > since)
        assert len(_posts(h.fake)) == 1
        (delivery,) = store.deliveries()
        assert (delivery.subscription_id, delivery.state) == (subscription.id, "posted")
        assert delivery.fire_time == fire and delivery.message_ts
        assert len(runner.scopes) == 1
    assert store.lease_holder(LEASE_NAME) is None


async def test_scheduler_off_schedules_nothing(make_harness: Any, store: Any) -> None:
    now = datetime.now(UTC)
    fire = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    _subscription(store, created=now - timedelta(hours=2), schedule=f"daily {fire:%H:%M}")
    runner = DigestRunner(build_report(4))
    env = {"SCALEWARDEN_SCHEDULER": "off", "SCALEWARDEN_SCHEDULER_INTERVAL": "0.05"}
    async with make_harness(settings_env=env, digest_runner=runner) as h:
        assert not any(t.get_name() == "digest-scheduler" for t in asyncio.all_tasks())
        await h.client.get("/healthz")
    assert store.lease_holder(LEASE_NAME) is None and store.deliveries() == []
    assert runner.scopes == []
