"""CloudWatch: the alarms that scaling policies name, to tell which of them exist.

Read once per region, after every policy is known (``application_autoscaling.py`` decides
when), ``ALARM_BATCH`` names a call.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import alarm_names
from scalewarden.aws.workpool import LEAF

#: The most alarm names ``DescribeAlarms`` takes in one call.
ALARM_BATCH = 100


def read_alarms(ctx: SourceContext, region: str, names: list[str]) -> None:
    """Read which of ``names`` exist in ``region``, one task per batch of names."""
    for i in range(0, len(names), ALARM_BATCH):
        batch = names[i : i + ALARM_BATCH]
        ctx.submit(region, partial(_alarms, ctx, region, batch), LEAF)


def _alarms(ctx: SourceContext, region: str, names: list[str]) -> None:
    found: set[str] = set()

    def on_page(page: dict[str, Any]) -> bool:
        found.update(alarm_names(page))
        return True

    def done(ok: bool) -> None:
        st = ctx.state(region)
        with st.lock:
            st.alarms.update(found)

    ctx.chain(
        region,
        Source.ALARMS,
        "cloudwatch",
        "describe_alarms",
        {"AlarmNames": names, "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]},
        on_page,
        on_done=done,
        priority=LEAF,
    )


MODULE = SourceModule(
    name="cloudwatch",
    fills=(Source.ALARMS,),
    start=None,  # started by the scaling policies, which name the alarms
    needs={Source.ALARMS: (Source.SCALING_POLICIES,)},
    page_sizes={"describe_alarms": PageSize("MaxRecords", 100)},
)
