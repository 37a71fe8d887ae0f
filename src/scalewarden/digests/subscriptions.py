"""A new digest subscription, checked before anything is stored (CLI and, later, Slack)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scalewarden.digests.schedule import Schedule

#: A Slack conversation id (C…, G…, D…): a subscription belongs to one channel, by id, so a
#: renamed channel keeps its digests.
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SubscriptionRequest:
    channel: str
    schedule: Schedule
    min_severity: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]

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
        from scalewarden.aws.accounts import parse_account_ids
        from scalewarden.aws.regions import parse_regions
        from scalewarden.checks.model import Severity

        channel = (channel or "").strip()
        if not CHANNEL_ID.fullmatch(channel):
            raise ValueError(
                f"channel {channel!r} is not a Slack channel id (like C0123456789); "
                "copy it from the channel's details"
            )
        parsed = Schedule.parse(schedule, timezone)
        severity = Severity.parse(min_severity).value
        region_list = parse_regions(regions) or []
        return cls(
            channel=channel,
            schedule=parsed,
            min_severity=severity,
            regions=tuple(region_list),
            accounts=tuple(parse_account_ids(accounts) or ()),
        )
