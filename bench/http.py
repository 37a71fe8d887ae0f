"""Ack latency of ``/scalewarden ask`` under load, side by side with a bare Bolt app.

Each app runs under uvicorn in its own process on loopback, pinned to a core of its own; this
process sends signed, form-encoded slash commands exactly as Slack does, ``--concurrency`` at
a time, and measures the time to the HTTP answer (the ack). Our app then answers each question
in the background through ``response_url``, which points at a small stand-in in its own
process, so the background work competes with the acks as it would in production. The bare
apps only acknowledge: ``bare`` as Bolt comes, ``bare-inline`` with the listener run before
the response (a reference). Each server's CPU time per command is read from ``/proc``.

    .venv/bin/python bench/http.py [--requests 2000] [--concurrency 50] [--rounds 5]

Targets (issue 4): our p99 ≤ 100 ms, and our p50 at most 1.5× the bare app's. Our app is
served as ``scalewarden serve`` serves it (httptools and the limits of ``serving.py``); each
round also runs it on h11 with the same limits (``ours-h11``), so the parsers are compared in
the same run.

``--during-scan`` (issue 12) measures our app alone (served as ``scalewarden serve`` serves
it), three times per round: idle for ``--idle-seconds``, then while an admin's
``/scalewarden scan`` of the large benchmark account (``bench/scan.py``'s 2,000 targets over 4
regions and 200 IAM policies, 20 ms per AWS call, served by a local AWS in its own process at
``--aws-nice`` 10: it stands in for a remote service and shares the load generator's core)
runs, then idle again; the idle figures pool both idle phases, which bracket the scan in time.
Our app composes answers in its answer worker process (``slack/answer_worker.py``, at ``nice``
10), which inherits the server's core like the scan's worker: both share core 0 with the acks.
The load goes on from the scan command until its results are posted, so the end of the scan
(report back, stored, delivered) is measured too. ``--hostile`` adds
worst-case wildcard IAM policies to that account (``bench/hostile.py``'s documents). Target:
p99 during the scan ≤ 1.5× idle p99, and never above 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# This file is named like the standard library's ``http`` package: drop its folder from the
# import path before anything imports ``http`` (aiohttp and uvicorn do; they are imported
# inside the functions below, after this line has run).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

SECRET = "bench-signing-secret-0123456789abcdef"
#: The admin who starts the scan in ``--during-scan`` (the load's users are not admins).
ADMIN = "UBENCHADMIN"
#: Words of the reply to a question shed because the service is overloaded.
BUSY_MARK = b"could not get to this one"
DEVSET = Path(__file__).resolve().parent / "devset"


def _questions() -> list[str]:
    """The retrieval dev set's questions: varied, phrased the way people type them in Slack."""
    import yaml

    questions: list[str] = []
    for path in sorted(DEVSET.glob("*.yaml")):
        questions.extend(str(item["q"]) for item in yaml.safe_load(path.read_text()) or [])
    return questions or ["which TLS version does the API require?"]


QUESTIONS = _questions()


#: The server under test gets a core of its own; the load generator and the stand-in share the
#: other. On a 2-core machine that keeps the client side from taking the server's CPU (and
#: the reverse), and gives both apps the same conditions.
SERVER_CPUS = {0}
#: The apps measured, in the order each round runs them. ``bare`` is the baseline the targets
#: name; ``bare-inline`` is shown beside it for reference (see ``_serve``). ``ours`` is served
#: as ``scalewarden serve`` serves it (``serving.server_config``: httptools with the request
#: deadline, the header bound and the connection limits); ``ours-h11`` is the same with
#: ``http="h11"`` (h11 with the same limits), to show what each parser costs.
KINDS = ("bare", "bare-inline", "ours", "ours-h11")
OURS = ("ours", "ours-h11")
CLIENT_CPUS = {1}


def _pin(cpus: set[int]) -> None:
    """Pin this process to ``cpus`` where the platform allows it (Linux) and they exist.

    A process inherits its parent's pinning, so the server, started from the pinned load
    generator, must widen its own rather than ask which CPUs it has (it would find only the
    client's core, and share it: every figure would then be one core's).
    """
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return
    # A CPU outside this machine's (or container's) set: stay where we are.
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, cpus)


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of process ``pid`` and its threads (Linux; else ``None``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _authorize(**_: object) -> object:
    from slack_bolt.authorization import AuthorizeResult

    return AuthorizeResult(
        enterprise_id=None,
        team_id="T0BENCH",
        bot_user_id="UBOT",
        bot_id="BBOT",
        bot_token="xoxb-bench-not-a-real-token",
    )


def _serve(kind: str, port: int, api_url: str, db: str) -> None:
    """Server side (run in a subprocess): our app or the bare Bolt app, under uvicorn."""
    import logging

    import uvicorn

    logging.basicConfig(level=logging.WARNING)
    if kind in OURS:
        os.environ.update(
            {
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-bench-not-a-real-token",
                "SCALEWARDEN_SLACK_API_URL": api_url,
                "SCALEWARDEN_DATABASE_URL": f"sqlite:///{db}",
                "SCALEWARDEN_ADMIN_USERS": ADMIN,
            }
        )
        from scalewarden.serving import server_config
        from scalewarden.settings import Settings
        from scalewarden.web import create_app

        settings = Settings()
        app = create_app(settings, authorize=_authorize)  # type: ignore[arg-type]
        # As ``scalewarden serve`` runs it (``cli/serve.py``), logging aside.
        config = server_config(
            app,
            host="127.0.0.1",
            port=port,
            request_timeout=settings.request_timeout,
            max_connections=settings.max_connections,
            http="h11" if kind == "ours-h11" else "httptools",
            log_level="warning",
        )
        uvicorn.Server(config).run()
        return
    else:
        from fastapi import FastAPI
        from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
        from slack_bolt.async_app import AsyncApp
        from slack_bolt.context.ack.async_ack import AsyncAck

        # "bare" is Bolt as it comes; "bare-inline" runs the listener before answering, as we
        # do, which spares Bolt's 10 ms wait for the ack (a reference, not the target).
        bolt = AsyncApp(
            signing_secret=SECRET,
            authorize=_authorize,  # type: ignore[arg-type]
            process_before_response=kind == "bare-inline",
        )

        @bolt.command("/scalewarden")
        async def only_ack(ack: AsyncAck) -> None:
            await ack(text="ok")

        handler = AsyncSlackRequestHandler(bolt)
        app = FastAPI()
        # The adapter's handle(request) is a Starlette endpoint as it stands.
        app.add_route("/slack/events", handler.handle, methods=["POST"])

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def _body(i: int, response_url: str, *, text: str | None = None, user: str | None = None) -> bytes:
    return urlencode(
        {
            "team_id": "T0BENCH",
            "channel_id": "C0BENCH",
            "user_id": user or f"U{i % 97:04d}",
            "command": "/scalewarden",
            "text": text or "ask " + QUESTIONS[i % len(QUESTIONS)],
            "response_url": response_url,
            "trigger_id": f"{i}.1",
        }
    ).encode()


def _serve_stand_in(port: int) -> None:
    """Stand-in side (run in its own process): a minimal Web API and ``response_url``.

    It runs apart from the load generator on purpose: answering ~1,500 webhooks a second in
    the client's own event loop would delay the client's reading of acks, and that delay
    would be measured as our ack latency (the bare app sends no webhooks, so only we would
    pay it). ``GET /count`` says how many answers have arrived.
    """
    from aiohttp import web

    answers = 0
    busy = 0
    results = 0
    uploads = 0

    async def webhook(request: web.Request) -> web.Response:
        nonlocal answers, busy
        body = await request.read()
        answers += 1
        busy += BUSY_MARK in body  # shed: the queue was full
        return web.Response(text="ok")

    async def api(request: web.Request) -> web.Response:
        nonlocal results
        body = await request.read()
        # A scan's full report goes up as a file (``files_upload_v2``: an upload address,
        # the bytes, then completion); each answer has only what the client reads of it.
        method = request.match_info["method"]
        if method == "files.getUploadURLExternal":
            upload_url = f"http://127.0.0.1:{port}/upload/F0BENCH"
            return web.json_response({"ok": True, "upload_url": upload_url, "file_id": "F0BENCH"})
        if method == "files.completeUploadExternal":
            return web.json_response({"ok": True, "files": [{"id": "F0BENCH"}]})
        results += b"Scan+results" in body or b"Scan results" in body  # a scan's summary
        return web.json_response({"ok": True, "channel": "C0BENCH", "ts": "1.000"})

    async def upload(request: web.Request) -> web.Response:
        nonlocal uploads
        uploads += bool(await request.read())
        return web.Response(text="OK")

    async def count(_: web.Request) -> web.Response:
        return web.json_response(
            {"answers": answers, "busy": busy, "results": results, "uploads": uploads}
        )

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    app.router.add_post("/api/{method}", api)
    app.router.add_post("/upload/{file_id}", upload)
    app.router.add_get("/count", count)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def _answers(stand_in: str, what: str = "answers") -> int:
    """Replies the stand-in has received so far: ``answers`` (all), ``busy`` (shed),
    ``results`` (scan results posted) or ``uploads`` (report files)."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{stand_in}/count") as response:
        return int((await response.json())[what])


async def _wait_ready(url: str, readiness: str | None = None) -> None:
    """Wait until ``url`` answers and, if given, until ``readiness`` says 200.

    Our app answers on ``/slack/events`` before its index has loaded (it loads in the
    background, as in production, where ``/readyz`` keeps traffic away meanwhile). Measuring
    before then would time the loading, not the acks.
    """
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.post(url, data=b"") as response:
                    await response.read()
                if readiness is not None:
                    async with session.get(readiness) as ready:
                        if ready.status != 200:
                            raise aiohttp.ClientError(f"not ready: {ready.status}")
                return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _load(
    url: str,
    response_url: str,
    requests: int,
    concurrency: int,
    until: asyncio.Event | None = None,
) -> dict:
    """Closed loop: ``concurrency`` workers, each sending its next request on an answer;
    ``requests`` of them, or (with ``until``) as many as fit before ``until`` is set."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    shed_in_ack: list[int] = []
    counter = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(i: int) -> None:
            body = _body(i, response_url)
            headers = _signed(body)
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                content = await response.read()
            latencies.append(time.perf_counter() - start)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if BUSY_MARK in content:  # shed at the door: no answer will follow
                shed_in_ack.append(i)

        # Warm up connections, the index and Bolt's first-request set-up; not measured.
        await asyncio.gather(*(send(i) for i in range(concurrency)))
        latencies.clear()
        statuses.clear()

        async def worker() -> None:
            for i in counter:
                if until is not None and until.is_set():
                    return
                await send(i)

        if until is not None:
            counter = iter(range(concurrency, 10**9))
        began = time.perf_counter()
        cpu_began = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        client_cpu = time.process_time() - cpu_began
    latencies.sort()
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "throughput_rps": len(latencies) / elapsed,
        # Questions (warm-up included) whose ack said "busy": they get no answer.
        "shed_in_ack": len(shed_in_ack),
        "elapsed_s": elapsed,
        # The load generator's own CPU over the phase, as a share of one core (it has one):
        # near 1.0, the client, not the server, would be what limits the load.
        "client_cpu_share": client_cpu / elapsed,
        # Every latency, sorted (for pooling phases; dropped from the printed figures).
        "_latencies": latencies,
    }


def _figures(latencies: list[float], elapsed: float) -> dict:
    """p50, p99, max and throughput of pooled latencies (seconds) over ``elapsed`` seconds."""
    latencies = sorted(latencies)
    return {
        "requests": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "throughput_rps": len(latencies) / elapsed,
    }


async def _load_for(url: str, response_url: str, concurrency: int, seconds: float) -> dict:
    """``_load`` for ``seconds`` of wall time."""
    stop = asyncio.Event()
    timer = asyncio.get_running_loop().call_later(seconds, stop.set)
    try:
        return await _load(url, response_url, 0, concurrency, until=stop)
    finally:
        timer.cancel()


async def _one(kind: str, args: argparse.Namespace, stand_in: str, db: Path) -> dict:
    """Start one app, load it, wait for its background answers, stop it."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--port",
            str(port),
            "--api-url",
            f"{stand_in}/api/",
            "--db",
            str(db),
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        await _wait_ready(url, f"http://127.0.0.1:{port}/readyz" if kind in OURS else None)
        before = await _answers(stand_in)
        busy_before = await _answers(stand_in, "busy")
        cpu_before = _cpu_seconds(proc.pid)
        first_sent = time.monotonic()  # the warm-up's first request: its answers count too
        result = await _load(url, f"{stand_in}/webhook", args.requests, args.concurrency)
        result.pop("_latencies")
        # Let the background answers land so that they are counted (and not cut).
        load_ended = time.monotonic()
        deadline = load_ended + 120
        # Every question is answered, the warm-up's too, except those shed in the ack.
        expected = args.requests + args.concurrency - result["shed_in_ack"]
        while kind in OURS and await _answers(stand_in) - before < expected:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        result["answers_delivered"] = await _answers(stand_in) - before
        # Questions shed with a "busy" reply instead of an answer (none, or it is a flood),
        # in the ack or posted after it.
        posted_busy = await _answers(stand_in, "busy") - busy_before
        result["answers_busy"] = posted_busy + result["shed_in_ack"]
        cpu_after = _cpu_seconds(proc.pid)
        if cpu_before is not None and cpu_after is not None:
            # Everything the server did for these commands: acks, answers and audit rows.
            commands = args.requests + args.concurrency
            result["server_cpu_us_per_command"] = (cpu_after - cpu_before) / commands * 1e6
        if kind in OURS:
            done = time.monotonic()
            result["answers_done_after_load_s"] = done - load_ended
            answered = result["answers_delivered"] - posted_busy
            result["answers_per_s"] = answered / (done - first_sent)
        return result
    finally:
        proc.terminate()
        # Wait off the loop: the stand-in must keep serving while the server drains.
        await asyncio.to_thread(proc.wait, 60)


async def _run(args: argparse.Namespace) -> dict:
    """Alternate bare and ours for ``--rounds`` rounds; report each round and the medians.

    Alternating, rather than one app after the other, spreads any background load on the
    machine over both apps.
    """
    stand_in_port = _free_port()
    stand_in = f"http://127.0.0.1:{stand_in_port}"
    stand_in_proc = subprocess.Popen(
        [sys.executable, __file__, "--stand-in", "--port", str(stand_in_port)]
    )
    for _ in range(300):
        try:
            await _answers(stand_in)
            break
        except OSError:
            await asyncio.sleep(0.1)
    rounds: list[dict[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            rounds.append(
                {
                    kind: await _one(kind, args, stand_in, Path(tmp) / f"bench{i}.db")
                    for kind in KINDS
                }
            )
    stand_in_proc.terminate()
    stand_in_proc.wait(30)
    summary: dict[str, dict] = {}
    for kind in KINDS:
        summary[kind] = {
            key: statistics.median(r[kind][key] for r in rounds)
            for key in ("p50_ms", "p99_ms", "throughput_rps", "server_cpu_us_per_command")
            if all(key in r[kind] for r in rounds)
        }
    for kind in OURS:
        summary[kind]["answers_per_s"] = statistics.median(r[kind]["answers_per_s"] for r in rounds)
    ratio = summary["ours"]["p50_ms"] / summary["bare"]["p50_ms"]
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": rounds,
        "median": summary,
        "ratio_p50": ratio,
        "h11_over_httptools_p50": summary["ours-h11"]["p50_ms"] / summary["ours"]["p50_ms"],
        "h11_over_httptools_p99": summary["ours-h11"]["p99_ms"] / summary["ours"]["p99_ms"],
        "ratio_p50_inline": summary["ours"]["p50_ms"] / summary["bare-inline"]["p50_ms"],
        "targets_met": summary["ours"]["p99_ms"] <= 100 and ratio <= 1.5,
    }


def _bench_scan() -> Any:
    """``bench/scan.py`` as a module: its large account and its local-AWS child process."""
    import importlib.util

    path = Path(__file__).resolve().parent / "scan.py"
    spec = importlib.util.spec_from_file_location("bench_scan", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _wait_answers(stand_in: str, before: int, expected: int) -> None:
    """Until ``expected`` answers have arrived since ``before`` (or two minutes)."""
    deadline = time.monotonic() + 120
    while await _answers(stand_in) - before < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _during_scan_round(
    args: argparse.Namespace, stand_in: str, db: Path, aws_url: str, bench_scan: Any
) -> dict:
    """Our app: the idle load, then the same load from a scan command to its results."""
    import aiohttp

    port = _free_port()
    env = {
        **bench_scan.aws_env(aws_url),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "ours",
            "--port",
            str(port),
            "--api-url",
            f"{stand_in}/api/",
            "--db",
            str(db),
        ],
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        await _wait_ready(url, f"http://127.0.0.1:{port}/readyz")
        webhook = f"{stand_in}/webhook"
        # Idle before and after the scan, each as long as ``--idle-seconds``, pooled: on a
        # shared machine the others' load drifts, and bracketing the scan in time spreads
        # that drift over both phases.
        before = await _answers(stand_in)
        idle_before = await _load_for(url, webhook, args.concurrency, args.idle_seconds)
        sent = idle_before["requests"] + args.concurrency - idle_before["shed_in_ack"]
        await _wait_answers(stand_in, before, sent)
        results_before = await _answers(stand_in, "results")
        answers_before_scan = await _answers(stand_in)
        regions = ",".join(bench_scan.REGIONS)
        body = _body(0, webhook, text=f"scan region={regions}", user=ADMIN)
        finished = asyncio.Event()
        started = time.monotonic()
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=_signed(body)) as response,
        ):
            ack = (await response.json())["text"]
        if not ack.startswith("Scanning"):
            raise RuntimeError(f"the scan did not start: {ack}")
        scan_seconds: list[float] = []

        async def watch() -> None:
            while await _answers(stand_in, "results") == results_before:
                await asyncio.sleep(0.1)
            scan_seconds.append(time.monotonic() - started)
            finished.set()

        watcher = asyncio.create_task(watch())
        during = await _load(url, webhook, 0, args.concurrency, until=finished)
        await watcher
        # The during-scan questions' answers (warm-up included) land before the idle load.
        await _wait_answers(
            stand_in,
            answers_before_scan,
            during["requests"] + args.concurrency - during["shed_in_ack"],
        )
        idle_after = await _load_for(url, webhook, args.concurrency, args.idle_seconds)
        idle = _figures(
            idle_before.pop("_latencies") + idle_after.pop("_latencies"),
            idle_before["elapsed_s"] + idle_after["elapsed_s"],
        )
        during.pop("_latencies")
        return {
            "idle": idle,
            "idle_before": idle_before,
            "idle_after": idle_after,
            "during_scan": during,
            "scan_s": scan_seconds[0],
        }
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 60)


async def _run_during_scan(args: argparse.Namespace) -> dict:
    """``--rounds`` rounds of idle then during-scan figures, with one local AWS for all."""
    bench_scan = _bench_scan()
    stand_in_port = _free_port()
    stand_in = f"http://127.0.0.1:{stand_in_port}"
    stand_in_proc = subprocess.Popen(
        [sys.executable, __file__, "--stand-in", "--port", str(stand_in_port)]
    )
    for _ in range(300):
        try:
            await _answers(stand_in)
            break
        except OSError:
            await asyncio.sleep(0.1)
    rounds: list[dict] = []
    mode = "big-hostile" if args.hostile else "big"
    with (
        bench_scan.Child(mode, 0.02, nice=args.aws_nice) as aws,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for i in range(args.rounds):
            rounds.append(
                await _during_scan_round(
                    args, stand_in, Path(tmp) / f"scan{i}.db", aws.url, bench_scan
                )
            )
    stand_in_proc.terminate()
    stand_in_proc.wait(30)
    median = {
        phase: {
            key: statistics.median(r[phase][key] for r in rounds)
            for key in ("p50_ms", "p99_ms", "max_ms", "throughput_rps", "requests")
        }
        for phase in ("idle", "during_scan")
    }
    median["idle"]["client_cpu_share"] = statistics.median(
        max(r["idle_before"]["client_cpu_share"], r["idle_after"]["client_cpu_share"])
        for r in rounds
    )
    median["during_scan"]["client_cpu_share"] = statistics.median(
        r["during_scan"]["client_cpu_share"] for r in rounds
    )
    ratio = median["during_scan"]["p99_ms"] / median["idle"]["p99_ms"]
    return {
        "concurrency": args.concurrency,
        "hostile": args.hostile,
        "aws_nice": args.aws_nice,
        "rounds": rounds,
        "median": median,
        "scan_s": statistics.median(r["scan_s"] for r in rounds),
        "ratio_p99": ratio,
        "targets_met": ratio <= 1.5 and median["during_scan"]["p99_ms"] <= 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--during-scan", action="store_true", help="our acks idle and during a large scan"
    )
    parser.add_argument(
        "--hostile", action="store_true", help="with --during-scan: hostile IAM policies too"
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=30.0,
        help="with --during-scan: seconds of idle load before and after each scan",
    )
    parser.add_argument(
        "--aws-nice",
        type=int,
        default=10,
        help="with --during-scan: the local AWS's CPU niceness (it shares the load "
        "generator's core and stands in for a remote service; 0 to give it full priority)",
    )
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--stand-in", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stand_in:
        _pin(CLIENT_CPUS)
        _serve_stand_in(args.port)
        return
    if args.serve:
        _pin(SERVER_CPUS)
        _serve(args.serve, args.port, args.api_url, args.db)
        return
    _pin(CLIENT_CPUS)
    if args.during_scan:
        scan_results = asyncio.run(_run_during_scan(args))
        print(json.dumps(scan_results, indent=2))
        for phase in ("idle", "during_scan"):
            r = scan_results["median"][phase]
            print(
                f"{phase:>11}: p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
                f"max {r['max_ms']:.1f} ms  {r['throughput_rps']:.0f} req/s  "
                f"{r['requests']:.0f} requests, load generator CPU "
                f"{r['client_cpu_share']:.0%} of its core (median of {args.rounds} rounds)"
            )
        print(
            f"scan: {scan_results['scan_s']:.1f} s from command to results; p99 during/idle "
            f"{scan_results['ratio_p99']:.2f}  targets met: {scan_results['targets_met']}"
        )
        return
    results = asyncio.run(_run(args))
    print(json.dumps(results, indent=2))
    for kind in KINDS:
        r = results["median"][kind]
        print(
            f"{kind:>11}: p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
            f"{r['throughput_rps']:.0f} req/s  "
            f"server CPU {r.get('server_cpu_us_per_command', float('nan')):.0f} µs/command "
            f"(median of {args.rounds} rounds)"
        )
    shed = sum(r["ours"]["answers_busy"] for r in results["rounds"])
    print(
        f"answers delivered: {results['median']['ours']['answers_per_s']:.0f}/s over the run; "
        f"shed as busy: {shed}"
    )
    print(
        f"p50 ratio ours/bare: {results['ratio_p50']:.2f} (ours/bare-inline: "
        f"{results['ratio_p50_inline']:.2f})  targets met: {results['targets_met']}"
    )
    print(
        f"h11 / httptools (as served): p50 {results['h11_over_httptools_p50']:.2f}  "
        f"p99 {results['h11_over_httptools_p99']:.2f}"
    )


if __name__ == "__main__":
    main()
