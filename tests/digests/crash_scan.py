"""A scan function for a worker process that dies in the middle of its scan (SIGKILL), as an
out-of-memory kill would. Kept apart from the test modules: a spawned worker imports it."""

from __future__ import annotations

import os
import signal
from typing import Any


def killed_mid_scan(job: Any, progress: Any) -> Any:
    progress({"phase": "collect", "done": 1, "total": 3})
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the process is gone")
