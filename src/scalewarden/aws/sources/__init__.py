"""One module per AWS API the collector reads, and their registry.

As in Steampipe's AWS plugin (a table file per API), each module holds everything about its
API: the ``Source`` members it fills, what they need, its page sizes, and ``start(ctx,
region)``, which asks through the collector's one call wrapper (``base.SourceContext``) and
translates each answer with ``translate.py`` as it arrives. ``collector.py`` walks the lists
below; adding a source is one module here and its line in a list.

The order is the order work is queued in: account-wide data first, then the longest chains
(every region's scalable targets), then the other regional sources, region by region.
"""

from __future__ import annotations

from collections.abc import Mapping

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.sources import (
    application_autoscaling,
    cloudtrail,
    cloudwatch,
    configservice,
    dynamodb,
    ec2_vpc,
    eventbridge,
    iam,
    securityhub,
)
from scalewarden.aws.sources.base import SourceModule

#: Collected once per account (``start(ctx, GLOBAL_REGION)``).
ACCOUNT_WIDE: tuple[SourceModule, ...] = (iam.MODULE,)
#: Started for every region before anything else regional: the longest chains.
LONG_CHAINS: tuple[SourceModule, ...] = (application_autoscaling.MODULE,)
#: The other regional sources, started per region in this order.
REGIONAL: tuple[SourceModule, ...] = (
    dynamodb.MODULE,
    ec2_vpc.MODULE,
    cloudtrail.MODULE,
    eventbridge.MODULE,
    configservice.MODULE,
    securityhub.MODULE,
)
#: Every module, including those another one starts (CloudWatch alarms).
MODULES: tuple[SourceModule, ...] = (
    *ACCOUNT_WIDE,
    *LONG_CHAINS,
    cloudwatch.MODULE,
    *REGIONAL,
)

#: Sources that cannot be collected without another one.
SOURCE_NEEDS: Mapping[str, tuple[Source, ...]] = {
    source: needs for module in MODULES for source, needs in module.needs.items()
}
#: Largest page each operation accepts: fewer pages means fewer round trips.
PAGE_SIZES: Mapping[str, PageSize] = {
    op: size for module in MODULES for op, size in module.page_sizes.items()
}

__all__ = ["ACCOUNT_WIDE", "LONG_CHAINS", "MODULES", "PAGE_SIZES", "REGIONAL", "SOURCE_NEEDS"]
