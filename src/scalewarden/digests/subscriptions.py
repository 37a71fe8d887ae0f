"""A new digest subscription, checked before anything is stored (the CLI and Slack alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scalewarden.digests.schedule import Schedule
from scalewarden.subscriptions import ChannelSubscriptionRequest, ScopeFilters, checked_channel


@dataclass(frozen=True)
class SubscriptionRequest(ChannelSubscriptionRequest):
    """A channel, severity and scope (``regions`` ``("all",)``: every enabled region; none:
    the configured ones), and when to post."""

    schedule: Schedule

    def stored(self) -> dict[str, Any]:
        """The shared fields, and the schedule as its expression and time zone."""
        return {
            **super().stored(),
            "schedule": self.schedule.expression,
            "timezone": self.schedule.timezone,
        }

    @classmethod
    def parse(
        cls,
        *,
        channel: str,
        schedule: str,
        timezone: str = "UTC",
        min_severity: str = "low",
        regions: str | None = None,
        accounts: str | None = None,
    ) -> SubscriptionRequest:
        """ValueError (``ScheduleError`` for schedules and zones) with a message for the user."""
        channel = checked_channel(channel)
        parsed = Schedule.parse(schedule, timezone)
        filters = ScopeFilters.parse(min_severity=min_severity, regions=regions, accounts=accounts)
        return cls(
            channel=channel,
            schedule=parsed,
            min_severity=filters.min_severity,
            regions=filters.regions,
            accounts=filters.accounts,
        )
