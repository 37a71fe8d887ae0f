"""Background work: tracked tasks, the bounded queue, daemon threads, throttled progress."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from scalewarden.slack.background import BackgroundTasks
from scalewarden.slack.scan.progress import ProgressReporter


async def test_drain_waits_for_tasks_spawned_while_draining() -> None:
    tasks = BackgroundTasks()
    done: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.01)
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0.01)
        tasks.spawn(second())
        done.append("first")

    tasks.spawn(first())
    assert await tasks.drain(5) == 0
    assert done == ["first", "second"] and len(tasks) == 0


async def test_drain_cancels_stragglers_after_the_timeout() -> None:
    tasks = BackgroundTasks()
    never = asyncio.Event()
    tasks.spawn(never.wait())
    assert await tasks.drain(0.05) == 1
    assert len(tasks) == 0


async def test_failures_are_logged_not_lost(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()

    async def boom() -> None:
        raise RuntimeError("kaput")

    tasks.spawn(boom(), name="job")
    await tasks.drain(5)
    assert "background task job failed: kaput" in caplog.text


async def test_limited_jobs_share_the_quick_slots() -> None:
    tasks = BackgroundTasks(quick_slots=2)
    running = 0
    peak = 0
    release = asyncio.Event()

    async def job() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    for _ in range(6):
        tasks.spawn(job(), limited=True)
    await asyncio.sleep(0.05)
    assert peak == 2
    release.set()
    await tasks.drain(5)
    assert peak == 2 and running == 0


async def test_a_full_queue_sheds_new_jobs_and_runs_their_busy_reply() -> None:
    tasks = BackgroundTasks(quick_slots=1, max_waiting=2)
    release = asyncio.Event()
    ran: list[str] = []

    async def job(name: str) -> None:
        await release.wait()
        ran.append(name)

    async def busy(name: str) -> None:
        ran.append(f"busy:{name}")

    for name in ("a", "b", "c"):  # one runs, two wait: the queue is now full
        assert tasks.spawn(job(name), limited=True) is not None
        await asyncio.sleep(0.01)  # a spawned job counts as waiting until it has started
    assert tasks.waiting == 2
    shed = tasks.spawn(job("d"), limited=True, when_busy=lambda: busy("d"))
    assert shed is not None and shed.get_name() == "None-busy"
    assert tasks.spawn(job("e"), limited=True) is None  # no busy reply asked for
    await asyncio.sleep(0.01)
    assert ran == ["busy:d"] and tasks.shed == 2
    release.set()
    assert await tasks.drain(5) == 0
    assert sorted(ran) == ["a", "b", "busy:d", "c"]  # d and e never ran
    assert tasks.waiting == 0
    # Once the queue has drained, new jobs are taken again.
    release.clear()
    release.set()
    tasks.spawn(job("f"), limited=True)
    await tasks.drain(5)
    assert ran[-1] == "f"


async def test_jobs_cancelled_while_waiting_free_their_place_in_the_queue() -> None:
    tasks = BackgroundTasks(quick_slots=1, max_waiting=1)
    never = asyncio.Event()
    tasks.spawn(never.wait(), limited=True)
    await asyncio.sleep(0.01)
    waiting = tasks.spawn(never.wait(), limited=True)
    await asyncio.sleep(0.01)
    assert tasks.waiting == 1 and waiting is not None
    waiting.cancel()
    await asyncio.sleep(0.01)
    assert tasks.waiting == 0
    assert await tasks.drain(0.05) == 1  # the running one


async def test_daemon_thread_work_returns_raises_and_can_be_abandoned() -> None:
    import threading

    from scalewarden.slack.background import run_in_daemon_thread

    def where(x: int) -> tuple[int, bool, str]:
        current = threading.current_thread()
        return x * 2, current.daemon, current.name

    assert await run_in_daemon_thread(where, 21, name="job") == (42, True, "job")

    def fail() -> None:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        await run_in_daemon_thread(fail, name="job")

    # Cancelling the await abandons the work: the late result is dropped, not an error.
    release = threading.Event()
    waiting = asyncio.ensure_future(run_in_daemon_thread(release.wait, 5, name="job"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await asyncio.sleep(0.05)  # the thread's late result arrives and is ignored


async def test_progress_from_threads_is_throttled() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    reporter = ProgressReporter(
        asyncio.get_running_loop(), send, headline="Scanning", interval=3600
    )
    reporter.start()

    def worker() -> None:
        for i in range(200):
            reporter.callback(
                SimpleNamespace(
                    account_id="1", region="us-east-1", phase="collect", done=i, total=200
                )
            )

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    await asyncio.sleep(0.05)
    await reporter.stop()
    assert reporter.events_seen == 800
    assert len(sent) == 1  # one update, then nothing until the interval has passed
    assert sent[0].startswith(":hourglass_flowing_sand: Scanning\ncollect ")
