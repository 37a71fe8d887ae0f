"""What the store hands back for scan history, digests and mutes: frozen plain records.

They are data, not ORM rows, so callers (the digest core, the CLI, Slack) can keep them after
the session that read them is gone, and tests can build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredScan:
    """A stored scan with its scope: the report (scan JSON) and the checks it ran.

    ``checks`` is ``None`` for scans stored before the checks were recorded; the diff then
    falls back to the checks that reported something.
    """

    scan_id: str
    scope_key: str | None
    requested_by: str | None
    checks: tuple[str, ...] | None
    report: dict[str, Any]


@dataclass(frozen=True)
class CheckFindings:
    """What one stored scan says about some checks (``Store.check_findings``): enough for an
    answer to tell an admin how the account fares, without reading the whole report.

    ``checks`` are the checks the scan ran (``None`` for scans stored before they were
    recorded); ``counts`` the asked checks' findings per status; ``failing`` their FAIL
    findings, worst first, at most the limit asked for.
    """

    scan_id: str
    scanned_at: datetime
    checks: tuple[str, ...] | None
    counts: dict[str, int]
    failing: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ScanSummary:
    """One line of ``scalewarden history``: when, what scope, how many of each status."""

    scan_id: str
    started_at: datetime
    finished_at: datetime | None
    scope_key: str | None
    requested_by: str | None
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    checks: int | None
    by_status: dict[str, int]
    #: (subscription id, delivery state) of the digests that were sent from this scan.
    deliveries: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ChannelSubscription:
    """What every stored channel subscription has (digests and alerts): the channel, the
    severity floor, the regions and accounts (empty: see the subscription kind), who made it
    and when, and its last failure."""

    id: int
    channel: str
    min_severity: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_error: str | None = None
    last_error_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Subscription(ChannelSubscription):
    """A scheduled digest as stored."""

    schedule: str
    timezone: str


@dataclass(frozen=True)
class Delivery:
    """One (subscription, fire time) and how far its delivery got."""

    id: int
    subscription_id: int
    fire_time: datetime
    state: str
    owner: str
    attempts: int
    last_error: str | None
    scan_id: str | None
    message_ts: str | None
    claimed_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredMute:
    """An accepted risk stored from Slack or the CLI."""

    id: int
    check_id: str
    resource_pattern: str | None
    reason: str
    author: str
    created_at: datetime
    expires_at: datetime | None
    accounts: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())

    def active(self, now: datetime) -> bool:
        """Whether the mute still applies at ``now`` (it lapses by itself at expiry)."""
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, kw_only=True)
class AlertSubscription(ChannelSubscription):
    """A channel's live alerts as stored: above which severity, from which accounts/regions
    (empty: all)."""


@dataclass(frozen=True)
class AlertDelivery:
    """One alert to one channel: ``posting`` → ``posted``, ``failed`` or ``uncertain``."""

    id: int
    event_key: str
    channel: str
    rule_id: str
    severity: str
    state: str
    message_ts: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
