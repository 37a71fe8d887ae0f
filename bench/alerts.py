"""Live alert benchmark: 10,000 EventBridge events, 5 % risky, sent at 500 a second.

What it does, in one run:

1. Starts a recording stand-in of Slack's Web API on loopback (a threaded HTTP server in a
   child process: it answers ``chat.postMessage`` with a ``ts`` and records when each post
   arrived and which benchmark event it names).
2. Stores one alert subscription (``min=low``, every account and region) in a fresh SQLite
   database, and starts the real app under uvicorn, configured as ``scalewarden serve``
   configures it (``scalewarden.serving.server_config``), in a child process.
3. **Baseline**: the same open-loop load (500 requests a second, 10,000 in all) on
   ``GET /healthz``: what the served app answers with no work at all, on this machine, now.
4. **Alerts**: 10,000 ``POST /aws/events`` with the API key, open loop at 500 a second. One in
   twenty is risky (a ``DeleteScalingPolicy`` naming a unique policy, from one of 50
   principals); the others are ordinary ``RegisterScalableTarget`` calls (the AAS guide's
   sample), which are classified and found quiet. Then 50 of the risky events are sent again
   (EventBridge retries): they must not post a second time.

Reports: the answer latency (p50, p99, max) of each round, every answer's status; the time
from sending a risky event to its post arriving at the stand-in (p50, p99, max); the server's
CPU time per event (``/proc``); and whether every risky event was posted exactly once
(burst and overflow replies in threads included).

Usage: ``python bench/alerts.py [--events 10000] [--rate 500] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ first on sys.path would shadow the standard library's ``http`` (bench/http.py).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

KEY = "bench-events-key-0123456789abcdef"
CHANNEL = "C0BENCHALR"
ACCOUNT = "123456789012"
MARK = re.compile(r"bench-policy-(\d+)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the Slack stand-in (child process) ----------------------------------------------------


def _stand_in(port: int) -> None:
    """Answers the Web API; ``GET /posts`` returns [(event number, arrival time), ...]."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posts: list[tuple[int, float]] = []
    lock = threading.Lock()
    counter = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _answer(self, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock:
                self._answer(list(posts))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived = time.time()
            answer: dict[str, Any] = {"ok": True}
            if self.path.endswith("/chat.postMessage"):
                found = MARK.search(raw.decode("utf-8", "replace"))
                with lock:
                    counter[0] += 1
                    answer.update(channel=CHANNEL, ts=f"1700000000.{counter[0]:06d}")
                    if found:
                        posts.append((int(found.group(1)), arrived))
            self._answer(answer)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# --- the served app (child process) --------------------------------------------------------


async def _authorize(**_: object) -> object:
    from slack_bolt.authorization import AuthorizeResult

    return AuthorizeResult(
        enterprise_id=None,
        team_id="T0BENCH",
        bot_user_id="UBOT",
        bot_id="BBOT",
        bot_token="xoxb-bench-not-a-real-token",
    )


def _serve(port: int, api_url: str, db: str) -> None:
    import logging

    import uvicorn

    logging.basicConfig(level=logging.WARNING)
    os.environ.update(
        {
            "SLACK_SIGNING_SECRET": "bench-signing-secret-0123456789abcdef",
            "SLACK_BOT_TOKEN": "xoxb-bench-not-a-real-token",
            "SCALEWARDEN_SLACK_API_URL": api_url,
            "SCALEWARDEN_DATABASE_URL": f"sqlite:///{db}",
            "SCALEWARDEN_EVENTS_KEY": KEY,
            "SCALEWARDEN_SCHEDULER": "off",
            "SCALEWARDEN_LOG_FORMAT": "text",
        }
    )
    from scalewarden.serving import server_config
    from scalewarden.settings import Settings
    from scalewarden.web import create_app

    app = create_app(Settings(), authorize=_authorize)  # type: ignore[arg-type]
    config = server_config(
        app,
        host="127.0.0.1",
        port=port,
        request_timeout=30.0,
        max_connections=1000,
        log_level="warning",
    )
    uvicorn.Server(config).run()


# --- the load --------------------------------------------------------------------------------


def _events(count: int) -> tuple[list[bytes], dict[int, int]]:
    """The bodies, and for each risky one: its position → its benchmark number."""
    sample = json.loads((Path(__file__).parent / "alert_event.json").read_text())
    bodies: list[bytes] = []
    risky: dict[int, int] = {}
    for i in range(count):
        event = json.loads(json.dumps(sample))
        event["id"] = f"bench-{i:06d}"
        detail = event["detail"]
        if i % 20 == 0:
            number = len(risky)
            risky[i] = number
            detail["eventName"] = "DeleteScalingPolicy"
            detail["requestParameters"] = {
                "serviceNamespace": "ecs",
                "resourceId": f"service/prod/api-{number % 7}",
                "scalableDimension": "ecs:service:DesiredCount",
                "policyName": f"bench-policy-{number}",
            }
            detail["userIdentity"]["arn"] = f"arn:aws:iam::{ACCOUNT}:user/deployer-{number % 50}"
            detail["userIdentity"]["userName"] = f"deployer-{number % 50}"
        bodies.append(json.dumps(event).encode())
    return bodies, risky


async def _round(
    base: str, method: str, path: str, bodies: list[bytes | None], rate: float
) -> tuple[list[float], list[int], list[float]]:
    """Open loop: request ``i`` starts at ``i / rate`` s whatever the earlier ones do.
    Returns (latencies, statuses, send times)."""
    import aiohttp

    latencies: list[float] = [0.0] * len(bodies)
    statuses: list[int] = [0] * len(bodies)
    sent: list[float] = [0.0] * len(bodies)
    headers = {"Content-Type": "application/json", "X-Scalewarden-Key": KEY}
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(i: int, body: bytes | None) -> None:
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[i] = time.time()
            began = time.perf_counter()
            async with session.request(method, base + path, data=body, headers=headers) as r:
                await r.read()
                statuses[i] = r.status
            latencies[i] = time.perf_counter() - began

        await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
    return latencies, statuses, sent


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(at(0.99), 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def _wait_http(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(url) as r:
                    await r.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _wait_ready(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            async with session.get(url) as r:
                if r.status == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became ready")


async def _posts(stand_in: str) -> list[tuple[int, float]]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(stand_in + "/posts") as r:
        return [tuple(p) for p in await r.json()]  # type: ignore[misc]


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    from scalewarden.store import Store

    workdir = Path(tempfile.mkdtemp(prefix="scalewarden-alerts-bench-"))
    db = workdir / "alerts.db"
    with Store.open(f"sqlite:///{db}") as store:
        from datetime import UTC, datetime

        store.add_alert_subscription(
            channel=CHANNEL,
            min_severity="low",
            regions=[],
            accounts=[],
            created_by="bench",
            now=datetime.now(UTC),
        )
    slack_port, app_port = _free_port(), _free_port()
    me = [sys.executable, str(Path(__file__).resolve())]
    stand_in = subprocess.Popen([*me, "--stand-in", str(slack_port)])
    server = subprocess.Popen(
        [*me, "--serve", str(app_port), f"http://127.0.0.1:{slack_port}/api/", str(db)]
    )
    base = f"http://127.0.0.1:{app_port}"
    slack = f"http://127.0.0.1:{slack_port}"
    try:
        await _wait_http(slack + "/posts")
        await _wait_http(base + "/healthz")
        await _wait_ready(base + "/readyz")  # the index loads in the background at start
        bodies, risky = _events(args.events)

        cpu_start = _cpu_seconds(server.pid)
        baseline_lat, baseline_status, _ = await _round(
            base, "GET", "/healthz", [None] * args.events, args.rate
        )
        cpu_before = _cpu_seconds(server.pid)
        baseline_cpu = cpu_before - cpu_start
        latencies, statuses, sent = await _round(base, "POST", "/aws/events", bodies, args.rate)
        retried = [bodies[i] for i in list(risky)[:50]]
        _, retry_statuses, _ = await _round(base, "POST", "/aws/events", retried, args.rate)

        deadline = time.monotonic() + 180
        while True:
            posts = await _posts(slack)
            seen = {n for n, _ in posts}
            if len(seen) >= len(risky) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # time for a duplicate, were one to come
        cpu = _cpu_seconds(server.pid) - cpu_before
        posts = await _posts(slack)
    finally:
        server.terminate()
        stand_in.terminate()
        server.wait(30)
        stand_in.wait(30)
    counts: dict[int, int] = {}
    arrived: dict[int, float] = {}
    for number, at in posts:
        counts[number] = counts.get(number, 0) + 1
        arrived.setdefault(number, at)
    send_of = {number: sent[i] for i, number in risky.items()}
    to_post = [arrived[n] - send_of[n] for n in arrived if n in send_of]
    total = len(bodies) + len(retried)
    return {
        "events": len(bodies),
        "risky": len(risky),
        "rate_per_s": args.rate,
        "baseline_healthz": {
            **_percentiles(baseline_lat),
            "statuses": _count(baseline_status),
            "cpu_per_request_us": round(baseline_cpu / len(baseline_lat) * 1e6, 1),
        },
        "aws_events": {**_percentiles(latencies), "statuses": _count(statuses)},
        "retried_risky": {"sent": len(retried), "statuses": _count(retry_statuses)},
        "event_to_post": _percentiles(to_post),
        "cpu_per_event_us": round(cpu / total * 1e6, 1),
        "posted_once": sum(1 for n in range(len(risky)) if counts.get(n) == 1),
        "posted_twice_or_more": sum(1 for c in counts.values() if c > 1),
        "never_posted": sum(1 for n in range(len(risky)) if n not in counts),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }


def _count(statuses: list[int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in statuses:
        found[str(status)] = found.get(str(status), 0) + 1
    return found


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--stand-in":
        _stand_in(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        _serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(_run(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
