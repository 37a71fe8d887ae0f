"""EC2 (VPC): the region's VPCs, its Application Auto Scaling interface endpoints, and the
security groups those endpoints use (read once the endpoints are known)."""

from __future__ import annotations

from functools import partial
from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import Source
from scalewarden.aws.regions import aas_endpoint_service_names
from scalewarden.aws.sources.base import SourceContext, SourceModule
from scalewarden.aws.translate import to_endpoint, to_security_group
from scalewarden.aws.workpool import LEAF, SOURCE


def start(ctx: SourceContext, region: str) -> None:
    """List the VPCs and the AAS endpoints (each when wanted); the groups follow."""
    st = ctx.state(region)

    def vpcs(page: dict[str, Any]) -> bool:
        with st.lock:
            st.vpc_ids.extend(v["VpcId"] for v in page.get("Vpcs") or [])
        return True

    if ctx.wants(Source.VPCS):
        ctx.chain(region, Source.VPCS, "ec2", "describe_vpcs", {}, vpcs, priority=SOURCE)
    if not ctx.wants(Source.VPC_ENDPOINTS):
        return

    def endpoints(page: dict[str, Any]) -> bool:
        found = [to_endpoint(e) for e in page.get("VpcEndpoints") or []]
        with st.lock:
            st.endpoints.extend(found)
        return True

    def endpoints_done(ok: bool) -> None:
        with st.lock:
            group_ids = sorted({g for e in st.endpoints for g in e.security_group_ids})
        if not ctx.wants(Source.SECURITY_GROUPS):
            return
        if not ok:
            with st.lock:
                why = st.errors.get(Source.VPC_ENDPOINTS, "VPC endpoints were not collected")
            ctx.fail(region, Source.SECURITY_GROUPS, why)
        elif group_ids:
            ctx.submit(region, partial(_security_groups, ctx, region, group_ids), LEAF)

    # China regions may prefix the name with "cn.": the filter asks for every form.
    services = list(aas_endpoint_service_names(region))
    ctx.chain(
        region,
        Source.VPC_ENDPOINTS,
        "ec2",
        "describe_vpc_endpoints",
        {"Filters": [{"Name": "service-name", "Values": services}]},
        endpoints,
        on_done=endpoints_done,
        priority=SOURCE,
    )


def _security_groups(ctx: SourceContext, region: str, group_ids: list[str]) -> None:
    answer = ctx.call(
        region, Source.SECURITY_GROUPS, "ec2", "describe_security_groups", GroupIds=group_ids
    )
    if answer.ok:
        groups = [to_security_group(g) for g in answer.response.get("SecurityGroups") or []]
        st = ctx.state(region)
        with st.lock:
            st.security_groups.update((g.group_id, g) for g in groups)


MODULE = SourceModule(
    name="ec2_vpc",
    fills=(Source.VPCS, Source.VPC_ENDPOINTS, Source.SECURITY_GROUPS),
    start=start,
    needs={Source.SECURITY_GROUPS: (Source.VPC_ENDPOINTS,)},
    page_sizes={
        "describe_vpcs": PageSize("MaxResults", 1000),
        "describe_vpc_endpoints": PageSize("MaxResults", 1000),
    },
)
