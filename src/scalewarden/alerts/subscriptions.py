"""A new alert subscription, checked before anything is stored (the CLI and Slack alike)."""

from __future__ import annotations

from dataclasses import dataclass

from scalewarden.subscriptions import ChannelSubscriptionRequest, ScopeFilters, checked_channel

#: What a subscription gets when it names no severity: probing, suspensions and worse, not
#: every pinned capacity or scale-out to the maximum.
DEFAULT_MIN_SEVERITY = "medium"


@dataclass(frozen=True)
class AlertSubscriptionRequest(ChannelSubscriptionRequest):
    """A channel, severity and scope; no regions (or ``all``) means every region, no accounts
    every account that sends events."""

    @classmethod
    def parse(
        cls,
        *,
        channel: str,
        min_severity: str = DEFAULT_MIN_SEVERITY,
        regions: str | None = None,
        accounts: str | None = None,
    ) -> AlertSubscriptionRequest:
        """``ValueError`` with a message for the user; ``regions`` ``all`` (or none) means
        every region, ``accounts`` none means every account that sends events."""
        channel = checked_channel(channel)
        filters = ScopeFilters.parse(min_severity=min_severity, regions=regions, accounts=accounts)
        return cls(
            channel=channel,
            min_severity=filters.min_severity,
            regions=() if filters.regions == ("all",) else filters.regions,
            accounts=filters.accounts,
        )
