"""The answer worker: questions are searched and their replies rendered in a process of their own.

Under a stream of questions the knowledge part of an answer (search, Block Kit rendering:
``listeners/replies.compose_reply``) is most of the serving process's CPU, and on its event
loop every answer's callbacks queue in front of the next acks: the loop has no priorities.
Here that work runs in one long-lived child process at a lower CPU priority (``nice``, like
the scan workers), so where the two share a core the kernel gives the acks the CPU first and
the answers every moment the acks leave. The serving process keeps what needs its state: the
admin check and the asker's account line, the post through ``response_url``, metrics, audit.

The child is ``python -m scalewarden.slack.answer_worker``, spoken to over its stdin and
stdout as asyncio streams: no thread of the serving process waits on it, and nothing hops
between threads per answer. Each message is a length-prefixed pickle: a request is ``(id,
question, shareable)``, an answer ``(id, True, Composed)`` or ``(id, False, error text)``.
The first message configures the child (the knowledge base's folders); the child's first
message, id 0, says whether its index loaded (``(0, True, None)`` or ``(0, False, why)``).
Pickle is safe here: both ends are this program, and what crosses is our own plain data.

A child that dies (killed, out of memory, a native crash) closes its stdout; every question
then waiting for it fails with :class:`AnswerWorkerCrashed` (the asker is told to ask again).
A child that had loaded its index is replaced at once, so that the new one's index loads
before the next question rather than during it; one that died before (it may die at every
load: out of memory) is replaced by the next question, never in a loop. How many questions
wait in the child's pipe is bounded by the caller's quick slots (``BackgroundTasks``), so a
write never blocks the loop for long.

:meth:`AnswerWorker.status` is what ``/readyz`` shows: the replica is not ready until a child
has loaded its index once (questions before then would wait for the load, or fail); after
that, a child that stopped or is reloading is shown as degraded but keeps the replica ready,
because taking it out of the load balancer would drop Slack's acks along with the answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalewarden.knowledge.answer import KnowledgeBase
    from scalewarden.slack.listeners.replies import Composed

logger = logging.getLogger(__name__)

#: As much lower a CPU priority as the scan workers have (``scanning/worker.py``).
WORKER_NICENESS = 10
_HEADER = struct.Struct("!I")
#: Largest message accepted from either end (a reply's blocks are a few KiB).
MAX_MESSAGE = 16 * 1024 * 1024
#: Seconds a closing child has to exit before it is killed.
EXIT_GRACE = 5.0


#: The id of the child's "index loaded" message (questions are numbered from 1).
_INDEX_MESSAGE = 0


@dataclass(frozen=True)
class WorkerStatus:
    """The answer worker as ``/readyz`` reports it.

    ``state`` is ``loading`` (a child is loading its index), ``ready``, ``failed`` (the
    child's index did not load: every question fails) or ``stopped`` (the child ended and no
    new one runs yet: the next question starts one). ``error`` says why, when it is not
    ready; ``blocks_readiness`` is true until a child has once loaded its index."""

    state: str
    error: str | None
    blocks_readiness: bool
    restarts: int


class AnswerWorkerError(RuntimeError):
    """The answer could not be composed (the child stopped, or composing failed there)."""


class AnswerWorkerCrashed(AnswerWorkerError):
    """The child process ended with questions still waiting for it."""


@dataclass(frozen=True)
class WorkerConfig:
    """What the child needs to answer as this process would: the knowledge base's folders."""

    knowledge: KnowledgeBase


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class AnswerWorker:
    """The serving side: starts the child on first use (and after a crash), sends questions,
    and resolves each question's future when its answer comes back."""

    def __init__(self, config: WorkerConfig, *, python: str = sys.executable) -> None:
        self._config = config
        self._python = python
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._starting: asyncio.Lock | None = None
        self._pending: dict[int, asyncio.Future[Composed]] = {}
        self._next_id = 0
        self._closed = False
        #: Children started so far (the first, then one after each crash).
        self.started = 0
        #: The running child's index: loaded, or why it did not load (``None``: loading).
        self._index_loaded = False
        self._index_error: str | None = None
        #: How the last child that stopped unexpectedly ended (``None``: none did).
        self._last_stop: str | None = None
        #: A child has loaded its index at least once (the replica has answered).
        self._ever_loaded = False

    @property
    def pid(self) -> int | None:
        """The running child's process id (``None`` before the first question or after a
        crash)."""
        return self._process.pid if self._process is not None else None

    def status(self) -> WorkerStatus:
        """What ``/readyz`` says about the answer worker (see the module doc)."""
        restarts = max(self.started - 1, 0)
        blocks = not self._ever_loaded
        if self._process is None:
            if self._last_stop is None:
                return WorkerStatus("loading", "not started yet", blocks, restarts)
            stopped = f"the answer worker stopped ({self._last_stop}); the next question starts one"
            return WorkerStatus("stopped", stopped, blocks, restarts)
        if self._index_error is not None:
            return WorkerStatus("failed", self._index_error, blocks, restarts)
        if not self._index_loaded:
            reloading = (
                f"restarted after the previous one stopped ({self._last_stop})"
                if self._last_stop is not None
                else None
            )
            return WorkerStatus("loading", reloading, blocks, restarts)
        return WorkerStatus("ready", None, False, restarts)

    async def compose(self, question: str, shareable: bool) -> Composed:
        """The composed reply to ``question``, from the child; raises
        :class:`AnswerWorkerError` when it cannot be had."""
        if self._closed:
            raise AnswerWorkerError("the service is shutting down")
        process = await self._running()
        assert process.stdin is not None
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[Composed] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            process.stdin.write(_frame((ident, question, shareable)))
            await process.stdin.drain()
            return await future
        except (ConnectionError, BrokenPipeError) as exc:
            raise AnswerWorkerCrashed("the answering process stopped unexpectedly") from exc
        finally:
            self._pending.pop(ident, None)

    async def start(self) -> None:
        """Start the child now (the service does at start-up, so that its index loads
        while the service loads its own) rather than on the first question."""
        await self._running()

    async def _running(self) -> asyncio.subprocess.Process:
        if self._starting is None:  # created lazily: it must belong to the running loop
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._process is None:
                try:
                    self._process = await self._spawn()
                except OSError as exc:  # no such interpreter, no processes left
                    logger.error("the answer worker could not start: %s", exc)
                    raise AnswerWorkerError("the answering process could not start") from exc
            return self._process

    async def _spawn(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            self._python,
            "-m",
            "scalewarden.slack.answer_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=MAX_MESSAGE,
            env=_child_environment(),
        )
        self.started += 1
        self._index_loaded, self._index_error = False, None
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(_frame(self._config))
        self._reader = asyncio.create_task(self._read(process), name="answer-worker-reader")
        logger.info("answer worker started (pid %s)", process.pid)
        return process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        """Resolve answers as they arrive; on end of file, fail whatever still waits."""
        assert process.stdout is not None
        try:
            while True:
                header = await process.stdout.readexactly(_HEADER.size)
                (size,) = _HEADER.unpack(header)
                if size > MAX_MESSAGE:
                    raise ValueError(f"a message of {size} bytes from the answer worker")
                ident, ok, payload = pickle.loads(await process.stdout.readexactly(size))
                if ident == _INDEX_MESSAGE:
                    self._index_message(process, ok, payload)
                    continue
                future = self._pending.get(ident)
                if future is None or future.done():
                    continue  # its asker stopped waiting (cancelled at shutdown)
                if ok:
                    future.set_result(payload)
                else:
                    future.set_exception(AnswerWorkerError(payload))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, pickle.PickleError):
            pass
        await self._lost(process)

    def _index_message(self, process: asyncio.subprocess.Process, ok: bool, why: Any) -> None:
        if self._process is not process:
            return
        if ok:
            self._index_loaded = self._ever_loaded = True
            logger.info("answer worker (pid %s) loaded its index", process.pid)
        else:
            self._index_error = str(why)[:300]

    async def _lost(self, process: asyncio.subprocess.Process) -> None:
        """The child's output ended: fail the questions sent to it, and start a new child at
        once if this one had loaded its index (else the next question starts one)."""
        current = self._process is process
        had_loaded = current and self._index_loaded
        if current:
            self._process = None
        # Taken before any await: questions sent from now on go to the next child.
        waiting = [future for future in self._pending.values() if not future.done()]
        if process.returncode is None:
            process.kill()
        code = await process.wait()
        if self._closed and not waiting:
            return
        from scalewarden.scanning.executors import describe_exit

        how = describe_exit(code)
        if current:
            self._last_stop = how
        logger.error(
            "the answer worker (pid %s) stopped: %s; %d question(s) were waiting for it",
            process.pid,
            how,
            len(waiting),
        )
        error = AnswerWorkerCrashed(f"the answering process stopped unexpectedly ({how})")
        for future in waiting:
            if not future.done():
                future.set_exception(error)
        if had_loaded and not self._closed:
            with contextlib.suppress(AnswerWorkerError):  # logged; the next question retries
                await self._running()

    async def close(self) -> None:
        """Stop the child (after the service's background work has drained)."""
        self._closed = True
        process = self._process
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(ConnectionError, BrokenPipeError):
            process.stdin.close()  # end of input: the child exits
        try:
            await asyncio.wait_for(process.wait(), EXIT_GRACE)
        except TimeoutError:
            process.kill()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def _child_environment() -> dict[str, str] | None:
    """For a service run from a source checkout (``src/`` on its import path), this
    environment with that folder first on the child's import path, so that the child runs the
    same code as the service; ``None`` (this environment as it is) for an installed package,
    whose folder must not go before the standard library's."""
    import scalewarden

    source = Path(scalewarden.__file__).resolve().parents[1]
    if source.name in ("site-packages", "dist-packages"):
        return None
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(source) + (os.pathsep + path if path else "")}


def _read_message(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def main() -> None:
    """The child: configure, load the index, lower its priority, then answer until stdin
    closes.

    Its stdout is the answer channel alone: whatever else writes to stdout (a stray print)
    goes to stderr instead, where the service's own logs go.
    """
    from scalewarden.checks.registry import all_checks
    from scalewarden.slack.listeners.replies import compose_reply

    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        config: WorkerConfig = _read_message(requests)
    except EOFError:
        return
    knowledge = config.knowledge
    try:
        engine = knowledge.engine()  # load the index before the first question, not during it
        loaded: tuple[int, bool, Any] = (_INDEX_MESSAGE, True, None)
        if getattr(engine, "empty", False):
            from scalewarden.knowledge.answer import empty_index_message

            loaded = (_INDEX_MESSAGE, False, empty_index_message(knowledge.knowledge_dir))
    except Exception as exc:
        # Each question will say it could not be answered (the service's /readyz says why);
        # exiting instead would start a new child, and fail again, for every question.
        logger.exception("the answer worker could not load the knowledge index")
        loaded = (_INDEX_MESSAGE, False, f"{type(exc).__name__}: {exc}"[:300])
    answers.write(_frame(loaded))
    answers.flush()
    catalogue = list(all_checks())
    # Loaded at the service's own priority, as its own index loads (the service is not ready
    # before either); only the answers run at the lower one.
    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(WORKER_NICENESS)
    while True:
        try:
            ident, question, shareable = _read_message(requests)
        except EOFError:
            return
        try:
            composed = compose_reply(
                question,
                shareable=shareable,
                checks=lambda: catalogue,
                answer=knowledge.answer,
                explain=knowledge.explain,
            )
            message: tuple[int, bool, Any] = (ident, True, composed)
        except Exception as exc:  # a bug: say so for this question, keep serving the next
            logger.exception("composing an answer failed")
            message = (ident, False, f"composing the answer failed ({type(exc).__name__})")
        answers.write(_frame(message))
        answers.flush()


if __name__ == "__main__":
    main()
