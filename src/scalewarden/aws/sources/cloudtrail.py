"""CloudTrail: the trails each region lists, each one's status and event selectors read once
per account, from its home region (a multi-region trail is listed by every region)."""

from __future__ import annotations

from functools import partial
from typing import Any

from scalewarden.aws.inventory import Source, Trail
from scalewarden.aws.sources.base import RegionState, SourceContext, SourceModule, TrailRead
from scalewarden.aws.translate import to_trail
from scalewarden.aws.workpool import LEAF, SOURCE


def start(ctx: SourceContext, region: str) -> None:
    ctx.submit(region, partial(_trails_of, ctx, region), SOURCE)


def _trails_of(ctx: SourceContext, region: str) -> None:
    """The trails a region lists; each one's status and selectors are read once."""
    st = ctx.state(region)
    answer = ctx.call(
        region, Source.TRAILS, "cloudtrail", "describe_trails", includeShadowTrails=True
    )
    if not answer.ok:
        return
    account = ctx.account
    for raw in answer.response.get("trailList") or []:
        arn = str(raw.get("TrailARN") or raw.get("Name"))
        with st.lock:
            st.trail_arns.append(arn)
        with account.lock:
            if arn in account.trail_requested:
                continue
            account.trail_requested.add(arn)
        ctx.submit(region, partial(_read_trail, ctx, region, arn, raw), LEAF)


def _read_trail(ctx: SourceContext, unit: str, arn: str, raw: dict[str, Any]) -> None:
    """Status and selectors of one trail, asked of its home region, once per account."""
    home = str(raw.get("HomeRegion") or unit)
    status = ctx.call(
        unit, Source.TRAILS, "cloudtrail", "get_trail_status", client_region=home, Name=arn
    )
    selectors = (
        ctx.call(
            unit,
            Source.TRAILS,
            "cloudtrail",
            "get_event_selectors",
            client_region=home,
            TrailName=arn,
        )
        if status.ok
        else status
    )
    if selectors.ok:
        result = TrailRead(trail=to_trail(raw, status.response, selectors.response, unit))
    else:
        result = TrailRead(error=selectors.error)
    account = ctx.account
    with account.lock:
        account.trails[arn] = result


def region_trails(
    st: RegionState, trails: dict[str, TrailRead], errors: dict[str, str]
) -> list[Trail]:
    """The trails ``st``'s region lists, from the account's reads; a trail that could not be
    read leaves ``errors[trails]`` (call once the pool has finished)."""
    found: list[Trail] = []
    for arn in st.trail_arns:
        result = trails.get(arn)
        if result is None or result.trail is None:
            why = result.error if result is not None else None
            errors.setdefault(Source.TRAILS, why or "trail status was not collected")
            continue
        found.append(result.trail)
    return found


MODULE = SourceModule(name="cloudtrail", fills=(Source.TRAILS,), start=start)
