"""A scan function for a worker process that stops in the middle of its scan (SIGSTOP on
itself): it neither answers nor dies, as a deadlocked worker would not. Kept apart from the
test modules: a spawned worker imports it."""

from __future__ import annotations

import os
import signal
from typing import Any


def stopped_mid_scan(job: Any, progress: Any) -> Any:
    progress({"phase": "collect", "done": 1, "total": 3})
    os.kill(os.getpid(), signal.SIGSTOP)
    raise AssertionError("unreachable: the process is stopped until it is killed")
