"""Digest benchmark: 200 subscriptions over 20 distinct scopes, all due in the same minute.

What it does:

1. Starts the local AWS in a child process (``bench/scan.py``'s small seeded account) with
   20 ms of latency per request, injected on the server side.
2. Starts a recording stand-in of Slack's Web API on loopback (a threaded HTTP server: it
   answers ``chat.postMessage`` with a ``ts`` and records the channel and the time).
3. One replica, SQLite: stores 200 subscriptions (10 per scope; each scope is one region of
   20), all firing at the same minute, and runs the real scheduler tick as ``serve`` does:
   the tick in a thread, its scans through the service's ``ScanRunner`` on an event loop
   (a worker process per scan running the real ``run_scan``, the stored mutes applied, the
   queue's limits and merging), the real store, the real Block Kit poster with the SDK's
   retry handlers. Once with one scan slot (``SCALEWARDEN_SCAN_SLOTS`` 1, the default: scans
   one after another) and once with ``--slots`` (default 4; the digests' places in the queue
   and the tick's concurrency equal to it), side by side. Reports the scans run (they must
   equal the distinct scopes), the time from the fire time to the last post (the tick starts
   at the fire time: a scheduler in ``serve`` adds at most one
   ``SCALEWARDEN_SCHEDULER_INTERVAL``), and the database round trips per delivery (every
   statement the store's engine sends, counted with SQLAlchemy's ``before_cursor_execute``
   event).
4. Two replicas, PostgreSQL (``--postgres URL``; a private schema is created and dropped):
   two processes start together and tick every 0.2 s on one database until every delivery
   is done, each with its own scan runner of ``--slots`` slots; every subscription must get
   exactly one post.

Usage: ``python bench/digests.py [--postgres URL] [--latency 0.02] [--slots 4] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

# As in bench/scan.py: bench/ first on sys.path would shadow the standard library's ``http``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
SCOPES = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "eu-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-south-1", "sa-east-1", "me-central-1", "il-central-1",
]  # fmt: skip
SUBSCRIPTIONS = 200
TOKEN = "xoxb-bench-token"


def _scan_bench() -> Any:
    """bench/scan.py as a module: its child-process local AWS and its AWS environment."""
    spec = importlib.util.spec_from_file_location("bench_scan", ROOT / "bench" / "scan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# A recording Web API stand-in
# --------------------------------------------------------------------------------------------


class SlackStandIn:
    """Answers the Web API calls a digest makes; records every top-level post."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.posts: list[tuple[str, float]] = []
        self.calls = 0
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(body or b"{}")
                else:
                    params = dict(parse_qsl(body.decode("utf-8", "replace")))
                answer: dict[str, Any] = {"ok": True}
                with stand_in.lock:
                    stand_in.calls += 1
                    if method == "chat.postMessage":
                        ts = f"{time.time():.6f}"
                        answer.update(channel=params.get("channel"), ts=ts)
                        if not params.get("thread_ts"):
                            stand_in.posts.append((str(params.get("channel")), time.time()))
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


# --------------------------------------------------------------------------------------------
# One replica: the real tick
# --------------------------------------------------------------------------------------------


def subscribe(url: str, fire: datetime) -> None:
    """200 subscriptions, 10 per scope, all due at ``fire``, made two hours earlier."""
    from scalewarden.store import Store

    with Store.open(url) as store:
        for i in range(SUBSCRIPTIONS):
            store.add_subscription(
                channel=f"C{i:08d}",
                schedule=f"daily {fire:%H:%M}",
                timezone="UTC",
                min_severity="low",
                regions=(SCOPES[i % len(SCOPES)],),
                accounts=(),
                created_by="bench",
                now=fire - timedelta(hours=2),
            )


class ServiceRunner:
    """The service's scan queue outside the service: a ``ScanRunner`` with a worker process
    per scan, on an event loop of its own thread (``serve``'s loop), and the blocking form
    the scheduler's tick calls from its thread."""

    def __init__(self, store: Any, slots: int) -> None:
        from functools import partial

        from scalewarden.scan import ScanOptions
        from scalewarden.scanning.executors import ProcessExecutor
        from scalewarden.scanning.runner import ScanLimits, ScanRunner
        from scalewarden.scanning.worker import run_job

        self.runner = ScanRunner(
            ProcessExecutor(partial(run_job, options=ScanOptions(region="us-east-1"))),
            limits=ScanLimits(slots=slots, per_requester=slots, total=max(10, slots)),
            store=lambda: store,
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.scan = self.runner.blocking(self.loop, requester="digest", source="digest")

    def scans(self) -> int:
        return len(self.runner.runs())

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.close(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def replica(url: str, slack_url: str, owner: str, until_done: bool, slots: int) -> dict[str, Any]:
    """Tick (as ``serve`` does) until every delivery is finished; the figures as a dict."""
    from sqlalchemy import event

    from scalewarden.digests.scheduler import SchedulerConfig, tick
    from scalewarden.slack.digest_poster import SlackDigestPoster, digest_web_client
    from scalewarden.store import Store

    store = Store.open(url)
    trips = [0]

    @event.listens_for(store.engine, "before_cursor_execute")
    def count(*_: Any) -> None:
        trips[0] += 1

    service = ServiceRunner(store, slots)
    poster = SlackDigestPoster(digest_web_client(TOKEN, slack_url), store)
    started = time.time()
    posted: list[int] = []
    ticks = 0
    while True:
        report = tick(
            datetime.now(UTC),
            store=store,
            runner=service.scan,
            poster=poster,
            owner=owner,
            config=SchedulerConfig(concurrency=slots),
        )
        ticks += 1
        posted.extend(report.posted)
        states = [d.state for d in store.deliveries()]
        done = len(states) == SUBSCRIPTIONS and all(
            s in ("posted", "failed", "uncertain") for s in states
        )
        if done or not until_done or time.time() - started > 600:
            break
        time.sleep(0.2)
    scans = service.scans()
    service.close()
    store.release_lease("digests", owner=owner)
    store.close()
    return {
        "owner": owner,
        "ticks": ticks,
        "scans": scans,
        "posted": len(posted),
        "round_trips": trips[0],
        "started": started,
    }


def one_replica(slack: SlackStandIn, env: dict[str, str], slots: int) -> dict[str, Any]:
    slack.posts.clear()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        fire = datetime.now(UTC).replace(second=0, microsecond=0)
        subscribe(url, fire)
        os.environ.update(env)
        result = replica(url, slack.url, "bench-1", until_done=False, slots=slots)
        last = max(t for _, t in slack.posts)
        per_channel = _per_channel(slack)
        return {
            "database": "sqlite",
            "scan_slots": slots,
            "scans": result["scans"],
            "distinct_scopes": len(SCOPES),
            "subscriptions": SUBSCRIPTIONS,
            "posts": len(slack.posts),
            "every_subscription_once": per_channel
            == {f"C{i:08d}": 1 for i in range(SUBSCRIPTIONS)},
            "tick_start_to_last_post_s": round(last - result["started"], 2),
            "round_trips": result["round_trips"],
            "round_trips_per_delivery": round(result["round_trips"] / SUBSCRIPTIONS, 2),
        }


def _per_channel(slack: SlackStandIn) -> dict[str, int]:
    counts: dict[str, int] = {}
    for channel, _ in slack.posts:
        counts[channel] = counts.get(channel, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# Two replicas on PostgreSQL
# --------------------------------------------------------------------------------------------


def two_replicas(
    slack: SlackStandIn, env: dict[str, str], postgres: str, slots: int
) -> dict[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_digests_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(postgres)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        fire = datetime.now(UTC).replace(second=0, microsecond=0)
        subscribe(url, fire)
        child_env = {**os.environ, **env}
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--slots",
                    str(slots),
                    "--replica",
                    url,
                    slack.url,
                    f"replica-{i}",
                ],
                env=child_env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        results = [json.loads(p.communicate(timeout=900)[0]) for p in procs]
        per_channel = _per_channel(slack)
        started = min(r["started"] for r in results)
        return {
            "database": "postgresql",
            "scan_slots": slots,
            "replicas": results,
            "scans": sum(r["scans"] for r in results),
            "posts": len(slack.posts),
            "every_subscription_once": per_channel
            == {f"C{i:08d}": 1 for i in range(SUBSCRIPTIONS)},
            "start_to_last_post_s": round(max(t for _, t in slack.posts) - started, 2),
            "round_trips_per_delivery": round(
                sum(r["round_trips"] for r in results) / SUBSCRIPTIONS, 2
            ),
        }
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--postgres", default=os.environ.get("SCALEWARDEN_TEST_POSTGRES_URL"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--slots", type=int, default=4, help="scan slots of the parallel runs")
    parser.add_argument("--replica", nargs=3, metavar=("URL", "SLACK_URL", "OWNER"))
    args = parser.parse_args()
    if args.replica:
        url, slack_url, owner = args.replica
        print(json.dumps(replica(url, slack_url, owner, until_done=True, slots=args.slots)))
        return
    scan_bench = _scan_bench()
    summary: dict[str, Any] = {"latency_s": args.latency}
    with scan_bench.Child("small", args.latency) as aws:
        env = scan_bench.aws_env(aws.url)
        env = {k: v for k, v in env.items() if k.startswith("AWS_")}
        slack = SlackStandIn()
        for slots in (1, args.slots):
            summary[f"one_replica_{slots}_slots"] = one_replica(slack, env, slots)
            print(json.dumps(summary[f"one_replica_{slots}_slots"]), file=sys.stderr)
        slack.stop()
        if args.postgres:
            slack = SlackStandIn()
            summary["two_replicas"] = two_replicas(slack, env, args.postgres, args.slots)
            slack.stop()
    print(json.dumps(summary, indent=None if not args.json else 2))


if __name__ == "__main__":
    main()
