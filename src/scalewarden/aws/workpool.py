"""A bounded pool of worker threads that runs prioritised tasks, which may submit more tasks.

Collection is a set of chains: page 2 of a listing needs page 1's token, tags need the
targets, alarms need every policy. ``concurrent.futures`` runs tasks first come, first
served, so follow-up pages of a long chain would queue behind hundreds of short leaf calls
and the scan would last as long as its longest chain *plus* the backlog. Here every task has
a priority (lower runs first): chain heads and their next pages go first, fan-out leaves
(one call per target or table) fill the remaining workers.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable

Task = Callable[[], None]

#: Priorities: continuing a paginated chain beats starting leaves.
CHAIN = 0
FOLLOW_UP = 1
SOURCE = 2
LEAF = 3


class WorkPool:
    """Run tasks on ``workers`` threads until no task is queued or running.

    A task that raises is recorded in ``failures`` (the collector's tasks handle AWS errors
    themselves, so anything here is a bug and must not hang the scan).
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._workers = workers
        self._queue: queue.PriorityQueue[tuple[int, int, Task | None]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._pending = 0
        self._idle = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.failures: list[BaseException] = []

    def submit(self, task: Task, priority: int = SOURCE) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put((priority, next(self._seq), task))

    def _run(self) -> None:
        while True:
            _, _, task = self._queue.get()
            if task is None:
                return
            try:
                task()
            except BaseException as exc:  # a bug in a task must not hang the pool
                self.failures.append(exc)
            finally:
                with self._idle:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()

    def run(self) -> None:
        """Start the workers, wait until every task (and every task they submitted) is done."""
        self._threads = [
            threading.Thread(target=self._run, name=f"scalewarden-collect-{i}", daemon=True)
            for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        with self._idle:
            while self._pending:
                self._idle.wait()
        for _ in self._threads:
            self._queue.put((10**9, next(self._seq), None))
        for thread in self._threads:
            thread.join()
