"""Two ``scalewarden serve`` processes started together on one database post a due digest
once: real uvicorn processes, the local AWS, the Slack stand-in; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack

from scalewarden.digests.scheduler import LEASE_NAME
from scalewarden.store import Store

pytestmark = pytest.mark.asyncio

CHANNEL = "C0REPLICAS"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    port = _free_port()
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scalewarden.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _wait(predicate: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.05)


async def test_two_serve_processes_post_a_due_digest_once(
    database_url: str, aws_env: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    fire = (now - timedelta(minutes=1)).replace(second=0, microsecond=0)
    with Store.open(database_url) as store:
        subscription = store.add_subscription(
            channel=CHANNEL,
            schedule=f"daily {fire:%H:%M}",
            timezone="UTC",
            min_severity="low",
            regions=("us-east-1",),
            accounts=(),
            created_by="U1",
            now=now - timedelta(hours=2),
        )
    fake = FakeSlack()
    await fake.start()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "SCALEWARDEN_SLACK_API_URL": fake.api_url,
        "SCALEWARDEN_DATABASE_URL": database_url,
        "SCALEWARDEN_SCHEDULER": "on",
        "SCALEWARDEN_SCHEDULER_INTERVAL": "0.2",
        "SCALEWARDEN_SCAN_REGIONS": "us-east-1",
        "SCALEWARDEN_CACHE_DIR": str(tmp_path / "cache"),
    }
    logs = [tmp_path / f"replica{i}.log" for i in range(2)]
    replicas = [_serve(env, log) for log in logs]

    def posts() -> list[Any]:
        return [
            c
            for c in fake.api_calls("chat.postMessage")
            if c.params.get("channel") == CHANNEL and not c.params.get("thread_ts")
        ]

    try:
        with Store.open(database_url) as store:

            def failed() -> str:
                return "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)

            await _wait(lambda: posts(), 120, f"no digest posted:\n{failed()}")
            await _wait(lambda: [d.state for d in store.deliveries()] == ["posted"], 30, failed())
            # Both replicas keep ticking: the lease is renewed several times more.
            for _ in range(5):
                holder = store.lease_holder(LEASE_NAME)
                assert holder is not None
                await _wait(
                    lambda since=holder[1]: (
                        (store.lease_holder(LEASE_NAME) or ("", since))[1] > since
                    ),
                    30,
                    "the scheduler stopped ticking",
                )
            assert all(r.poll() is None for r in replicas), failed()
            for replica in replicas:
                replica.send_signal(signal.SIGTERM)
            for replica in replicas:
                await asyncio.to_thread(replica.wait, 60)
            assert len(posts()) == 1
            (delivery,) = store.deliveries()
            assert delivery.subscription_id == subscription.id and delivery.fire_time == fire
            # Shut down cleanly: the lease is given back, not left to expire.
            assert store.lease_holder(LEASE_NAME) is None
    finally:
        for replica in replicas:
            if replica.poll() is None:
                replica.kill()
                replica.wait(10)
        await fake.stop()
