"""What the service scans: a ``ScanJob`` and the keys that say two jobs are the same scan.

A job is plain, picklable data: it crosses into a worker process. The scope key
(``ScanScope.key()``) is what a stored scan is compared by (the same accounts, regions and
checks); the merge key adds what
changes the result for the same scope (who we assume the role as, the mutes applied), so a
request is only merged into a scan whose report it would have received anyway.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scalewarden.scan import ProgressCallback, ScanScope

if TYPE_CHECKING:
    from scalewarden.checks.model import ScanReport


@dataclass(frozen=True)
class ScanJob:
    """One scan to run: its scope, and the mutelist to apply (digests apply stored mutes)."""

    scope: ScanScope
    mutelist: Any = None
    #: The id the report will carry; the runner sets it when it queues the job, so that the
    #: id a requester is given is the id the scan is stored under.
    scan_id: str | None = None

    @property
    def scope_key(self) -> str:
        """``ScanScope.key()``: what stored scans are compared by (``ScopeError`` on junk)."""
        return self.scope.key()

    @property
    def merge_key(self) -> str:
        """Equal for jobs whose reports would be equal: the scope key, the identity the scan
        takes in other accounts, the profile, and the mutelist's content."""
        scope = self.scope
        mutes = b"" if self.mutelist is None else pickle.dumps(self.mutelist)
        raw = json.dumps(
            [
                self.scope_key,
                scope.role_name,
                scope.external_id,
                scope.profile,
                hashlib.sha256(mutes).hexdigest(),
            ]
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


#: ``scan(job, progress) -> report``: blocking. The service's own runs in a worker process
#: (``worker.run_job``); a substitute given to ``create_app`` runs in a thread.
ScanFunction = Callable[[ScanJob, ProgressCallback], "ScanReport"]
