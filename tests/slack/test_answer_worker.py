"""Questions answered by the answer worker process: the acks never wait for it, a flood is
shed at the door while every accepted question is answered, and a worker that dies mid-question
is reported to the asker and replaced.

These run the real ``create_app()`` with every part of an answer its own (no substitute
answerer, catalogue or explainer), so questions go to a real child process holding the shipped
index. The child is paused (``SIGSTOP``) to hold answer work for as long as a test needs, and
killed (``SIGKILL``) as a crash would kill it: no timing is assumed anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from harness import USER

from scalewarden.slack.answer_worker import AnswerWorker
from scalewarden.slack.listeners.replies import BUSY, NOT_ANSWERED

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="pauses a process with SIGSTOP"),
]

QUESTION = "ask which TLS version does the API require?"
#: How long a test waits for answers: the first one waits for the child to load its index,
#: which on a busy machine takes a while (a bound on waiting, not a timing assertion).
ANSWERED_WITHIN = 120.0


@contextlib.asynccontextmanager
async def worker_harness(make_harness: Any) -> AsyncIterator[Any]:
    """The harness with the service's own answer parts, hence with its answer worker."""
    async with make_harness(checks=None) as h:
        worker = h.services.answer_worker
        assert isinstance(worker, AnswerWorker)
        assert worker.pid is not None  # started with the service
        yield h


@contextlib.contextmanager
def paused(pid: int) -> Iterator[None]:
    """The process stopped (its pending questions wait in its pipe) until the block ends."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def _texts(h: Any, hook: str) -> list[str]:
    return [str(call.params.get("text")) for call in h.fake.webhook_calls(hook)]


async def test_questions_are_composed_in_the_worker_process_and_answered(
    make_harness: Any,
) -> None:
    async with worker_harness(make_harness) as h:
        pid = h.services.answer_worker.pid
        assert pid != os.getpid()
        response = await h.command(QUESTION, user=USER)
        assert response.json()["text"] == "Looking that up…"
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"), ANSWERED_WITHIN)
        await h.settle()
        reply = h.fake.webhook_calls("cmd")[0].params
        assert reply["replace_original"] is True and "TLS" in json.dumps(reply["blocks"])
        await h.fake.wait_for(lambda: h.store.audit_entries())
        assert [e["outcome"] for e in h.store.audit_entries()] == ["answered"]
        assert h.services.answer_worker.started == 1


async def test_acks_arrive_while_the_answer_work_is_held(make_harness: Any) -> None:
    """With the worker paused, every command is still acknowledged; the answers follow once
    it runs again, and none is lost."""
    async with worker_harness(make_harness) as h:
        worker = h.services.answer_worker
        with paused(worker.pid):
            acks = [
                await h.command(f"{QUESTION} ({i})", user=USER, hook=f"q{i}") for i in range(12)
            ]
            assert [a.json()["text"] for a in acks] == ["Looking that up…"] * 12
            # Not a health check of an idle service: the answers are really held.
            assert h.fake.webhook_calls("q") == []
            help_ack = await h.command("help", user=USER)
            assert help_ack.status_code == 200 and "Usage" in json.dumps(help_ack.json())
        await h.fake.wait_for(lambda: len(h.fake.webhook_calls("q")) == 12, ANSWERED_WITHIN)
        for i in range(12):
            assert "TLS" in json.dumps(h.fake.webhook_calls(f"q{i}")[0].params["blocks"])


async def test_a_flood_is_shed_at_the_door_and_every_accepted_question_is_answered(
    make_harness: Any,
) -> None:
    from scalewarden.slack.background import BackgroundTasks

    async with worker_harness(make_harness) as h:
        # The service's queue, made small: one question at the worker, two waiting.
        h.services.tasks = BackgroundTasks(quick_slots=1, max_waiting=2)
        worker = h.services.answer_worker
        with paused(worker.pid):
            acks = []
            for i in range(5):
                acks.append((await h.command(QUESTION, user=USER, hook=f"f{i}")).json()["text"])
                await asyncio.sleep(0)  # the first question takes the slot
            assert acks == ["Looking that up…"] * 3 + [BUSY] * 2
        await h.fake.wait_for(lambda: len(h.fake.webhook_calls("f")) == 3, ANSWERED_WITHIN)
        await h.settle()
        # Every accepted question got its answer; the shed ones got nothing more.
        assert sorted(c.path for c in h.fake.webhook_calls("f")) == [
            "/webhook/f0",
            "/webhook/f1",
            "/webhook/f2",
        ]
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 5)
        assert (
            sorted(e["outcome"] for e in h.store.audit_entries()) == ["answered"] * 3 + ["busy"] * 2
        )


async def test_a_worker_killed_mid_question_is_reported_and_replaced(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with worker_harness(make_harness) as h:
        worker = h.services.answer_worker
        first = worker.pid
        with paused(first):
            ack = await h.command(QUESTION, user=USER, hook="lost")
            assert ack.json()["text"] == "Looking that up…"
            os.kill(first, signal.SIGKILL)
        await h.fake.wait_for(lambda: h.fake.webhook_calls("lost"), ANSWERED_WITHIN)
        # The asker is told plainly, in place of "Looking that up…".
        reply = h.fake.webhook_calls("lost")[0].params
        assert reply["text"] == NOT_ANSWERED and reply["replace_original"] is True
        await h.fake.wait_for(lambda: h.store.audit_entries())
        assert [e["outcome"] for e in h.store.audit_entries()] == ["failed"]
        # How it stopped is logged (SIGKILL, or an exit code when the full suite's many
        # children reuse a pid that another waiter reaps first).
        assert f"the answer worker (pid {first}) stopped: " in caplog.text
        metrics = (await h.client.get("/metrics")).text
        assert 'scalewarden_answers_total{outcome="failed",source="command"} 1.0' in metrics
        # The next question starts a new worker and is answered.
        await h.command(QUESTION, user=USER, hook="next")
        await h.fake.wait_for(lambda: h.fake.webhook_calls("next"), ANSWERED_WITHIN)
        assert "TLS" in json.dumps(h.fake.webhook_calls("next")[0].params["blocks"])
        assert worker.pid not in (None, first) and worker.started == 2


async def test_shutdown_stops_the_worker(make_harness: Any) -> None:
    async with worker_harness(make_harness) as h:
        pid = h.services.answer_worker.pid
    # The lifespan has exited: the child is gone (reaped, so no such process).
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_substitute_answer_parts_answer_in_this_process(make_harness: Any) -> None:
    """Tests and embedders that pass their own catalogue (or answerer, or explainer) get no
    worker: a substitute lives in this process's memory."""
    async with make_harness() as h:
        assert h.services.answer_worker is None


async def test_the_worker_can_be_turned_off(make_harness: Any) -> None:
    async with make_harness(checks=None, settings_env={"SCALEWARDEN_ANSWER_WORKER": "off"}) as h:
        assert h.services.answer_worker is None
        response = await h.command(QUESTION, user=USER)
        assert response.json()["text"] == "Looking that up…"
        await h.fake.wait_for(lambda: h.fake.webhook_calls("cmd"), ANSWERED_WITHIN)
        assert "TLS" in json.dumps(h.fake.webhook_calls("cmd")[0].params["blocks"])


async def _ready(h: Any) -> tuple[int, dict[str, Any]]:
    response = await h.client.get("/readyz")
    return response.status_code, response.json()


async def _until_ready(h: Any, check: Any) -> tuple[int, dict[str, Any]]:
    """``/readyz`` once ``check(status, body)`` holds (a bounded wait for the child)."""
    async with asyncio.timeout(ANSWERED_WITHIN):
        while True:
            answer = await _ready(h)
            if check(*answer):
                return answer
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def gated_worker(h: Any, tmp_path: Any) -> AsyncIterator[tuple[AnswerWorker, Any]]:
    """The service's answer worker replaced by one whose children wait, before Python even
    starts, until ``gate`` exists: its index is "loading" for exactly as long as a test
    wants, with no timing assumed."""
    gate = tmp_path / "gate"
    wrapper = tmp_path / "gated-python"
    wrapper.write_text(
        f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.02; done\nexec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(0o755)
    original = h.services.answer_worker
    await original.close()
    worker = AnswerWorker(original._config, python=str(wrapper))
    h.services.answer_worker = worker  # the lifespan closes it at the end
    await worker.start()
    yield worker, gate


async def test_readyz_waits_for_the_answer_workers_index_and_shows_a_reload_as_degraded(
    make_harness: Any, tmp_path: Any
) -> None:
    async with worker_harness(make_harness) as h, gated_worker(h, tmp_path) as (worker, gate):
        await _until_ready(h, lambda status, body: body["index"] == "loaded")
        status, body = await _ready(h)
        assert status == 503 and body["ready"] is False
        assert body["answer_worker"] == "loading"
        gate.touch()
        status, body = await _until_ready(h, lambda status, body: status == 200)
        assert body["answer_worker"] == "ready" and body["answer_worker_restarts"] == 0
        assert "degraded" not in body
        # A crash after the index loaded: the worker is replaced at once, and while the new
        # one loads the replica stays ready (its acks still work) but says it is degraded.
        gate.unlink()
        first = worker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        status, body = await _until_ready(h, lambda s, b: b["answer_worker_restarts"] == 1)
        assert status == 200 and body["ready"] is True
        assert body["answer_worker"] == "loading" and body["degraded"] == ["answer_worker"]
        # How it stopped, as the exit was seen (SIGKILL; the full suite's many children can
        # reuse a pid another waiter reaps, and the exit then reads as an exit code).
        assert "restarted after the previous one stopped (" in body["answer_worker_error"]
        gate.touch()
        status, body = await _until_ready(h, lambda s, b: b["answer_worker"] == "ready")
        assert status == 200 and "degraded" not in body and worker.pid not in (None, first)


async def test_readyz_shows_an_answer_worker_that_died_before_its_index_loaded(
    make_harness: Any, tmp_path: Any
) -> None:
    """Died while loading (out of memory at every load, say): not replaced in a loop, and the
    replica is not ready, with the reason."""
    async with worker_harness(make_harness) as h, gated_worker(h, tmp_path) as (worker, _):
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        status, body = await _until_ready(h, lambda s, b: b["answer_worker"] == "stopped")
        assert status == 503 and body["ready"] is False
        assert body["answer_worker_error"].startswith("the answer worker stopped (")
        assert worker.started == 1
