"""A new alert subscription, checked before anything is stored (the CLI and Slack alike)."""

from __future__ import annotations

from dataclasses import dataclass

#: What a subscription gets when it names no severity: probing, suspensions and worse, not
#: every pinned capacity or scale-out to the maximum.
DEFAULT_MIN_SEVERITY = "medium"


@dataclass(frozen=True)
class AlertSubscriptionRequest:
    channel: str
    min_severity: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...]

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
        from scalewarden.aws.accounts import parse_account_ids
        from scalewarden.aws.regions import parse_regions
        from scalewarden.checks.model import Severity
        from scalewarden.digests.subscriptions import CHANNEL_ID

        channel = (channel or "").strip()
        if not CHANNEL_ID.fullmatch(channel):
            raise ValueError(
                f"channel {channel!r} is not a Slack channel id (like C0123456789); "
                "copy it from the channel's details"
            )
        region_list = parse_regions(regions) or []
        return cls(
            channel=channel,
            min_severity=Severity.parse(min_severity).value,
            regions=() if region_list == ["all"] else tuple(region_list),
            accounts=tuple(parse_account_ids(accounts) or ()),
        )
