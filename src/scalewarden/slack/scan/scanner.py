"""What ``/scalewarden scan`` asks for, as the scan runner's job: a parsed command → ``ScanJob``.

The Slack layer only builds the job, within the service's configured scope; the runner
(``scalewarden.scanning``) decides where it runs (a worker process in the service).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scalewarden.scanning.jobs import ScanJob
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


def job_for_command(command: ScanCommand, service: ServiceScope, mutelist: Any = None) -> ScanJob:
    """The scan runner's job for a Slack command: its scope within the service's, and the
    stored mutes to apply."""
    return ScanJob(command_scope(command, service), mutelist=mutelist)
