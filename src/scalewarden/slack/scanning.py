"""The production scanner behind ``/scalewarden scan``: a parsed command → ``run_scan``.

Kept apart from the listeners so that the Slack layer depends only on the ``Scanner``
signature (``scanner(command, progress) -> ScanReport``) and tests can substitute it.
"""

from __future__ import annotations

from scalewarden.checks.model import ScanReport
from scalewarden.slack.commands import ScanCommand
from scalewarden.slack.services import ProgressCallback


def scan_for_command(command: ScanCommand, progress: ProgressCallback) -> ScanReport:
    """Run the scan a Slack command asked for (blocking: call it from a worker thread)."""
    from scalewarden.scan import ScanScope, run_scan

    scope = ScanScope(
        regions=tuple(command.regions),
        accounts=tuple(command.accounts),
        check_ids=tuple(command.check_ids),
        topic=command.topic,
    )
    return run_scan(scope, progress=progress)
