"""The production scanner behind ``/scalewarden scan``: a parsed command → ``run_scan``.

Kept apart from the listeners so that the Slack layer depends only on the ``Scanner``
signature (``scanner(command, progress) -> ScanReport``) and tests can substitute it.
"""

from __future__ import annotations

from scalewarden.checks.model import ScanReport
from scalewarden.scan import ProgressCallback, ScanOptions
from scalewarden.slack.commands import ScanCommand


def scan_for_command(
    command: ScanCommand, progress: ProgressCallback, *, options: ScanOptions | None = None
) -> ScanReport:
    """Run the scan a Slack command asked for (blocking: call it from a worker thread).

    ``options`` carry the service's settings (region, pool size); ``create_app`` binds them.
    """
    from scalewarden.scan import ScanScope, run_scan

    names = list(command.check_ids) or ([command.topic] if command.topic else [])
    scope = ScanScope(
        regions=list(command.regions) or None,
        accounts=list(command.accounts) or None,
        checks=",".join(names) or None,
    )
    return run_scan(scope, progress=progress, options=options)
