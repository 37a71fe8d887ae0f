"""What digest and alert subscriptions share: a Slack channel, a severity floor and a scope.

A digest subscription (``digests/subscriptions.py``) adds a schedule; an alert subscription
(``alerts/subscriptions.py``) adds nothing. The checks both apply before anything is stored,
from the CLI and from Slack alike, live here once: the channel is a conversation id, the
severity a known one, the regions known ones (or ``all``), the accounts 12-digit ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: A Slack conversation id (C…, G…, D…): a subscription belongs to one channel, by id, so a
#: renamed channel keeps its digests and alerts.
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def checked_channel(channel: str) -> str:
    """``channel`` stripped, or ``ValueError`` saying where to find a channel id."""
    channel = (channel or "").strip()
    if not CHANNEL_ID.fullmatch(channel):
        raise ValueError(
            f"channel {channel!r} is not a Slack channel id (like C0123456789); "
            "copy it from the channel's details"
        )
    return channel


@dataclass(frozen=True)
class ScopeFilters:
    """A subscription's severity floor and scope, checked: ``regions`` may be ``("all",)``,
    and empty ``regions``/``accounts`` name none (what that means is the subscription's)."""

    min_severity: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]

    @classmethod
    def parse(cls, *, min_severity: str, regions: str | None, accounts: str | None) -> ScopeFilters:
        """``ValueError`` with a message for the user, naming the first bad value."""
        from scalewarden.aws.accounts import parse_account_ids
        from scalewarden.aws.regions import parse_regions
        from scalewarden.checks.model import Severity

        severity = Severity.parse(min_severity).value
        region_list = parse_regions(regions) or []
        return cls(
            min_severity=severity,
            regions=tuple(region_list),
            accounts=tuple(parse_account_ids(accounts) or ()),
        )


@dataclass(frozen=True)
class ChannelSubscriptionRequest:
    """The fields every new subscription has, checked (see the subclasses)."""

    channel: str
    min_severity: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]

    def stored(self) -> dict[str, Any]:
        """What the store keeps of the request: the keyword arguments of its ``add_…``
        method but who made it and when."""
        return {
            "channel": self.channel,
            "min_severity": self.min_severity,
            "regions": self.regions,
            "accounts": self.accounts,
        }
