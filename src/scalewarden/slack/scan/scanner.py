"""The production scanner behind ``/scalewarden scan``: a parsed command → ``run_scan``.

Kept apart from the listeners so that the Slack layer depends only on the ``Scanner``
signature (``scanner(command, progress) -> ScanReport``) and tests can substitute it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalewarden.checks.model import ScanReport
from scalewarden.scan import ProgressCallback, ScanOptions
from scalewarden.service_scope import ServiceScope
from scalewarden.slack.commands import ScanCommand

if TYPE_CHECKING:
    from scalewarden.scan import ScanScope


def command_scope(command: ScanCommand, service: ServiceScope) -> ScanScope:
    """The scope a Slack command asks for, within the service's configured scope. Its
    ``key()`` is the scope key the scan is stored under, as for the CLI and digests."""
    names = list(command.check_ids) or ([command.topic] if command.topic else [])
    return service.scope(
        regions=command.regions, accounts=command.accounts, checks=",".join(names) or None
    )


def scan_for_command(
    command: ScanCommand,
    progress: ProgressCallback,
    *,
    options: ScanOptions | None = None,
    service: ServiceScope | None = None,
) -> ScanReport:
    """Run the scan a Slack command asked for (blocking: call it from a worker thread).

    ``options`` and ``service`` carry the service's settings (region, pool size, the scope it
    scans); ``create_app`` binds them. Stored mutes are applied by the caller
    (``slack/scan/flow.py``), whatever the scanner.
    """
    from scalewarden.scan import run_scan

    scope = command_scope(command, service or ServiceScope())
    return run_scan(scope, progress=progress, options=options)
