"""Security Hub: whether the region's hub is enabled (not subscribed is an answer, "no",
not a failure)."""

from __future__ import annotations

from functools import partial

from scalewarden.aws.inventory import Source
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.workpool import SOURCE

#: DescribeHub's answers for an account that has not subscribed to Security Hub.
_HUB_NOT_SUBSCRIBED = frozenset({"InvalidAccessException", "ResourceNotFoundException"})


def start(ctx: SourceContext, region: str) -> None:
    ctx.submit(region, partial(_hub, ctx, region), SOURCE)


def _hub(ctx: SourceContext, region: str) -> None:
    answer = ctx.call(
        region, Source.SECURITY_HUB, "securityhub", "describe_hub", absent=_HUB_NOT_SUBSCRIBED
    )
    if answer.error is None:
        st = ctx.state(region)
        with st.lock:
            st.securityhub = answer.absent is None


MODULE = SourceModule(name="securityhub", fills=(Source.SECURITY_HUB,), start=start)
