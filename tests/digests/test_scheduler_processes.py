"""Real processes on one database: exactly one post per fire time, and no repost after a
process dies while posting."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scheduler_harness import DAY1

from scalewarden.store import Store

TESTS = Path(__file__).resolve().parent
NINE = DAY1 + timedelta(hours=9)

#: One replica: tick once at the given fake time; the poster appends a line to a file
#: (or, with "die", kills the process the moment it would post).
REPLICA = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    sys.path.insert(0, sys.argv[1])
    from scheduler_harness import World
    from scalewarden.digests.scheduler import SchedulerConfig, tick
    from scalewarden.store import Store

    url, owner, lease, now, out, mode = sys.argv[2:8]
    store = Store.open(url)
    world = World()
    world.now = datetime.fromisoformat(now)

    def poster(subscription, result):
        if mode == "die":
            os._exit(9)
        with open(out, "a", encoding="utf-8") as file:
            file.write(f"{subscription.id} {result.scan_id}\\n")
        return "1.0"

    tick(world.now, store=store, runner=world.runner, poster=poster, owner=owner,
         config=SchedulerConfig(lease_name=lease))
    store.close()
    print("ok")
    """
)


def _replica(url: str, owner: str, lease: str, now: str, out: Path, mode: str = "post") -> Any:
    return subprocess.Popen(
        [sys.executable, "-c", REPLICA, str(TESTS), url, owner, lease, now, str(out), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _subscribe(store: Store, count: int) -> list[int]:
    return [
        store.add_subscription(
            channel=f"C{i:08d}",
            schedule="daily 09:00",
            timezone="UTC",
            min_severity="low",
            regions=("eu-west-1",) if i % 2 else ("us-east-1",),
            accounts=(),
            created_by="U1",
            now=DAY1,
        ).id
        for i in range(count)
    ]


@pytest.mark.parametrize("same_lease", [True, False])
def test_two_replica_processes_post_each_digest_once(
    database_url: str, tmp_path: Path, same_lease: bool
) -> None:
    with Store.open(database_url) as store:
        ids = _subscribe(store, 6)
    out = tmp_path / "posts.txt"
    replicas = [
        _replica(database_url, f"r{i}", "digests" if same_lease else f"l{i}", NINE.isoformat(), out)
        for i in range(2)
    ]
    for replica in replicas:
        stdout, stderr = replica.communicate(timeout=180)
        assert replica.returncode == 0, stderr
        assert stdout.strip() == "ok"
    posted = [int(line.split()[0]) for line in out.read_text().splitlines()]
    assert sorted(posted) == sorted(ids)
    with Store.open(database_url) as store:
        assert {d.state for d in store.deliveries()} == {"posted"}


def test_a_process_killed_while_posting_is_never_reposted(
    database_url: str, tmp_path: Path
) -> None:
    with Store.open(database_url) as store:
        _subscribe(store, 1)
    out = tmp_path / "posts.txt"
    dead = _replica(database_url, "dead", "digests", NINE.isoformat(), out, mode="die")
    dead.communicate(timeout=180)
    assert dead.returncode == 9
    later = (NINE + timedelta(minutes=10)).isoformat()
    restarted = _replica(database_url, "restarted", "digests", later, out)
    _, stderr = restarted.communicate(timeout=180)
    assert restarted.returncode == 0, stderr
    assert not out.exists()
    with Store.open(database_url) as store:
        assert [d.state for d in store.deliveries()] == ["uncertain"]
