"""AWS Config: the region's configuration recorders and whether they record."""

from __future__ import annotations

from functools import partial

from scalewarden.aws.inventory import Source
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import to_config_recorders
from scalewarden.aws.workpool import SOURCE


def start(ctx: SourceContext, region: str) -> None:
    ctx.submit(region, partial(_recorders, ctx, region), SOURCE)


def _recorders(ctx: SourceContext, region: str) -> None:
    answer = ctx.call(
        region, Source.CONFIG_RECORDERS, "config", "describe_configuration_recorder_status"
    )
    if answer.ok:
        recorders = to_config_recorders(answer.response)
        st = ctx.state(region)
        with st.lock:
            st.recorders = recorders


MODULE = SourceModule(name="configservice", fills=(Source.CONFIG_RECORDERS,), start=start)
