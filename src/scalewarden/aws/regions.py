"""Which regions a scan covers.

``all`` means the regions where Application Auto Scaling is offered (botocore's endpoint
data, so a botocore upgrade brings new regions without a code change) that the account has
enabled (``ec2:DescribeRegions``: opt-in regions count only once opted in). Scanning a region
the account has not enabled would only produce a wall of errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

AAS_SERVICE = "application-autoscaling"
ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})


@lru_cache(maxsize=1)
def _endpoints() -> Any:
    """botocore's endpoint data, read without a session.

    A botocore session reads the user's AWS configuration (``AWS_PROFILE``, the config file)
    before it answers anything, so a missing profile or a broken config file would fail
    region validation with a traceback; which regions exist does not depend on either.
    """
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver

    return EndpointResolver(create_loader().load_data("endpoints"))


@lru_cache(maxsize=1)
def known_aas_regions() -> frozenset[str]:
    """Every region, in every partition botocore knows, where the AAS endpoint exists."""
    resolver = _endpoints()
    regions: set[str] = set()
    for partition in resolver.get_available_partitions():
        regions.update(resolver.get_available_endpoints(AAS_SERVICE, partition))
    return frozenset(regions)


def parse_regions(spec: str | None) -> list[str] | None:
    """``"r1,r2"`` → ``["r1", "r2"]``; ``"all"`` → ``["all"]``; empty → ``None``.

    Raises ``ValueError`` naming the unknown region(s): a typo must not turn into a scan that
    silently times out against a non-existent endpoint. A spec with only separators (``","``)
    is an error too: it used to become an empty region list and a scan that "could not run".
    """
    if spec is None or not spec.strip():
        return None
    # Region names are lower case everywhere in AWS, so "EU-West-1" means eu-west-1.
    names = list(dict.fromkeys(p.strip().lower() for p in spec.split(",") if p.strip()))
    if not names:
        raise ValueError(f"no region named in {spec!r}")
    if "all" in names:
        if len(names) > 1:
            raise ValueError("--regions all cannot be combined with region names")
        return ["all"]
    known = known_aas_regions()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown region(s): {', '.join(unknown)} "
            f"(Application Auto Scaling is available in e.g. us-east-1, eu-west-1)"
        )
    return list(dict.fromkeys(names))


@lru_cache(maxsize=8)
def partition_aas_regions(partition: str) -> frozenset[str]:
    """AAS regions of one partition (``aws``, ``aws-cn``, ``aws-us-gov`` …)."""
    return frozenset(_endpoints().get_available_endpoints(AAS_SERVICE, partition))


def enabled_aas_regions(ec2_client: Any, partition: str = "aws") -> list[str]:
    """AAS regions of ``partition`` that the account has enabled, sorted.

    ``ec2_client`` is an EC2 client in any region the account can reach.
    """
    response = ec2_client.describe_regions(AllRegions=True)
    enabled = {
        r["RegionName"]
        for r in response.get("Regions", [])
        if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
    }
    return sorted(enabled & partition_aas_regions(partition))


def aas_endpoint_service_names(region: str) -> tuple[str, ...]:
    """Service names an AAS interface VPC endpoint can carry in ``region``, usual form first.

    Outside China the name is ``com.amazonaws.<region>.application-autoscaling``. In the
    China regions (``aws-cn``) many services publish their endpoint services with a ``cn.``
    prefix (``cn.com.amazonaws.cn-north-1.application-autoscaling`` is what
    ``ec2:DescribeVpcEndpointServices`` lists there), but the prefix is not applied to every
    service and AWS documents no rule for it; botocore's endpoint data does not carry
    endpoint service names at all. Both forms are therefore accepted in China, so that an
    existing endpoint is never reported missing because of its name's form.
    """
    plain = f"com.amazonaws.{region}.{AAS_SERVICE}"
    if region.startswith("cn-"):
        return (f"cn.{plain}", plain)
    return (plain,)


def global_region(regions: Iterable[str]) -> str:
    """The region to address global services (IAM) from, in the scanned partition.

    IAM has one endpoint per partition; using its home region rather than the first scanned
    region keeps account-wide data independent of whether that region is enabled.
    """
    first = next(iter(regions), "us-east-1")
    if first.startswith("cn-"):
        return "cn-north-1"
    if first.startswith("us-gov-"):
        return "us-gov-west-1"
    return "us-east-1"
