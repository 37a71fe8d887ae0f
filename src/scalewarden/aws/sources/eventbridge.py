"""EventBridge: the rules of every event bus in the region."""

from __future__ import annotations

from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import to_event_rule
from scalewarden.aws.workpool import FOLLOW_UP, SOURCE


def start(ctx: SourceContext, region: str) -> None:
    """List the buses; each bus's rules are a listing of their own."""
    st = ctx.state(region)

    def buses(page: dict[str, Any]) -> bool:
        for bus in page.get("EventBuses") or []:
            name = bus["Name"]

            def rules(p: dict[str, Any], name: str = name) -> bool:
                found = [to_event_rule(r, name) for r in p.get("Rules") or []]
                with st.lock:
                    st.rules.extend(found)
                return True

            ctx.chain(
                region,
                Source.EVENT_RULES,
                "events",
                "list_rules",
                {"EventBusName": name},
                rules,
                priority=FOLLOW_UP,
            )
        return True

    ctx.chain(region, Source.EVENT_RULES, "events", "list_event_buses", {}, buses, priority=SOURCE)


MODULE = SourceModule(
    name="eventbridge",
    fills=(Source.EVENT_RULES,),
    start=start,
    page_sizes={
        "list_rules": PageSize("Limit", 100),
        "list_event_buses": PageSize("Limit", 100),
    },
)
