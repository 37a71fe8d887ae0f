"""Interface VPC endpoint checks for the Application Auto Scaling API.

An endpoint keeps scaling calls from workloads inside the VPC off the internet; its policy,
private DNS and security groups decide whether it actually narrows anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import ip_network
from typing import Any

from scalewarden.aws.inventory import (
    AccountInventory,
    IngressRule,
    RegionInventory,
    Source,
    VpcEndpoint,
)
from scalewarden.aws.regions import aas_endpoint_service_names
from scalewarden.checks.lib.iam_policy import (
    AAS_SERVICE,
    AAS_TARGET_PROBES,
    PolicyParseError,
    aas_actions,
    evaluate,
    load_document,
    parse_statements,
)
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "vpc-endpoints"
_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def service_name(region: str) -> str:
    """The usual service name of the region's AAS interface endpoint (for messages)."""
    return aas_endpoint_service_names(region)[0]


def _aas_endpoints(region: RegionInventory) -> list[VpcEndpoint]:
    # Every form the partition uses (China has a ``cn.`` prefix too): an existing endpoint
    # must never be reported missing because of the form of its name.
    wanted = aas_endpoint_service_names(region.region)
    return [
        e
        for e in region.vpc_endpoints
        if e.service_name in wanted and e.endpoint_type.lower() == "interface"
    ]


def _no_targets(check: Check, account: AccountInventory, region: RegionInventory) -> Finding:
    return check.finding(
        account,
        region.region,
        Status.PASS,
        f"{account.account_id}/{region.region}",
        "No scalable targets in this region: nothing to reach privately.",
    )


def _endpoint_missing(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    resource = f"{account.account_id}/{region.region}"
    if not region.targets:
        return [_no_targets(check, account, region)]
    if not region.vpc_ids:
        return [
            check.finding(
                account,
                region.region,
                Status.PASS,
                resource,
                "The region has no VPCs, so no interface endpoint is needed.",
            )
        ]
    endpoints = [e for e in _aas_endpoints(region) if e.state.lower() == "available"]
    covered = sorted({e.vpc_id for e in endpoints})
    evidence = {
        "service_names": list(aas_endpoint_service_names(region.region)),
        "vpcs": sorted(region.vpc_ids),
        "vpcs_with_endpoint": covered,
        "endpoints": sorted(e.endpoint_id for e in endpoints),
    }
    if endpoints:
        return [
            check.finding(
                account,
                region.region,
                Status.PASS,
                resource,
                f"{len(covered)} of {len(region.vpc_ids)} VPC(s) have an available interface "
                f"endpoint for {service_name(region.region)}.",
                evidence=evidence,
            )
        ]
    return [
        check.finding(
            account,
            region.region,
            Status.FAIL,
            resource,
            f"The region has {len(region.targets)} scalable target(s) and "
            f"{len(region.vpc_ids)} VPC(s), but no interface endpoint for "
            f"{service_name(region.region)}.",
            evidence=evidence,
        )
    ]


def _for_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def is_full_access_policy(document: str | None) -> bool:
    """Whether an endpoint policy allows everyone every AAS action on every target.

    AWS reports the default full-access document when no policy was set, so a missing
    document counts as full access. Only statements whose principal is everyone count: a
    grant to named principals is exactly the narrowing we look for.
    """
    if document is None or not document.strip():
        return True
    data = load_document(document)
    raw = data.get("Statement") or []
    items = [raw] if isinstance(raw, Mapping) else list(raw)
    public = [s for s in items if isinstance(s, Mapping) and _for_everyone(s.get("Principal"))]
    if not public:
        return False
    statements = parse_statements({"Statement": public})
    grant = evaluate(statements, aas_actions(), AAS_TARGET_PROBES, AAS_SERVICE)
    return grant.unrestricted == frozenset(aas_actions())


def _policy_full_access(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    findings: list[Finding] = []
    for endpoint in _aas_endpoints(region):
        evidence = {"vpc_id": endpoint.vpc_id, "state": endpoint.state}
        try:
            full = is_full_access_policy(endpoint.policy_document)
        except PolicyParseError as exc:
            findings.append(
                check.finding(
                    account,
                    region.region,
                    Status.ERROR,
                    endpoint.endpoint_id,
                    f"Could not read the endpoint policy: {exc}",
                    evidence=evidence,
                )
            )
            continue
        findings.append(
            check.finding(
                account,
                region.region,
                Status.FAIL if full else Status.PASS,
                endpoint.endpoint_id,
                (
                    f"Endpoint {endpoint.endpoint_id} keeps the default full-access policy."
                    if full
                    else f"Endpoint {endpoint.endpoint_id} has a restrictive endpoint policy."
                ),
                evidence=evidence,
            )
        )
    return findings


def _private_dns(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    return [
        check.finding(
            account,
            region.region,
            Status.PASS if e.private_dns_enabled else Status.FAIL,
            e.endpoint_id,
            (
                f"Endpoint {e.endpoint_id} has private DNS enabled."
                if e.private_dns_enabled
                else f"Endpoint {e.endpoint_id} has private DNS disabled: SDKs using the "
                "regional host name still go over the internet."
            ),
            evidence={"vpc_id": e.vpc_id},
        )
        for e in _aas_endpoints(region)
    ]


def rule_allows_https_from_anywhere(rule: IngressRule) -> bool:
    """TCP 443 (or all traffic) open to 0.0.0.0/0 or ::/0."""
    protocol = rule.protocol.lower()
    if protocol not in ("tcp", "6", "-1", "all"):
        return False
    if protocol not in ("-1", "all"):
        low = rule.from_port if rule.from_port is not None else 0
        high = rule.to_port if rule.to_port is not None else 65535
        if not (low <= 443 <= high):
            return False
    open_ranges = (*rule.ipv4_ranges, *rule.ipv6_ranges)
    for cidr in open_ranges:
        try:
            net = ip_network(cidr, strict=False)
        except ValueError:
            continue
        if net.prefixlen == 0:
            return True
    return False


def _sg_open(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    findings: list[Finding] = []
    for endpoint in _aas_endpoints(region):
        open_groups: list[str] = []
        unknown: list[str] = []
        for group_id in endpoint.security_group_ids:
            group = region.security_groups.get(group_id)
            if group is None:
                unknown.append(group_id)
            elif any(rule_allows_https_from_anywhere(r) for r in group.ingress):
                open_groups.append(group_id)
        evidence = {
            "vpc_id": endpoint.vpc_id,
            "security_groups": list(endpoint.security_group_ids),
            "open_groups": open_groups,
        }
        if open_groups:
            status, message = (
                Status.FAIL,
                f"Endpoint {endpoint.endpoint_id} accepts HTTPS from anywhere through "
                f"{', '.join(open_groups)}.",
            )
        elif unknown:
            evidence["unknown_groups"] = unknown
            status, message = (
                Status.ERROR,
                f"Security group(s) {', '.join(unknown)} of endpoint {endpoint.endpoint_id} "
                "were not collected.",
            )
        else:
            status, message = (
                Status.PASS,
                f"No security group of endpoint {endpoint.endpoint_id} opens HTTPS to the "
                "internet.",
            )
        findings.append(
            check.finding(
                account, region.region, status, endpoint.endpoint_id, message, evidence=evidence
            )
        )
    return findings


CHECKS: tuple[Check, ...] = (
    Check(
        id="vpc_endpoint_aas_missing",
        title="No interface endpoint for Application Auto Scaling",
        topic=TOPIC,
        severity=Severity.LOW,
        description=(
            "A region has scalable targets and VPCs, but no VPC has an interface endpoint for "
            "com.amazonaws.<region>.application-autoscaling."
        ),
        risk=(
            "Scaling calls from workloads in the VPCs need internet access (NAT) and cannot be "
            "limited with an endpoint policy."
        ),
        remediation="Create an interface endpoint with private DNS in the VPCs that call the API.",
        remediation_snippet=(
            "aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id vpc-0abc "
            "--service-name com.amazonaws.us-east-1.application-autoscaling "
            "--subnet-ids subnet-0abc --security-group-ids sg-0abc --private-dns-enabled"
        ),
        kb_section="vpc-endpoints#privatelink",
        func=_endpoint_missing,
        requires=(Source.SCALABLE_TARGETS, Source.VPCS, Source.VPC_ENDPOINTS),
    ),
    Check(
        id="vpc_endpoint_aas_policy_full_access",
        title="Endpoint keeps the default full-access policy",
        topic=TOPIC,
        severity=Severity.LOW,
        description=(
            "The Application Auto Scaling interface endpoint allows every principal every "
            "action on every target (the default policy)."
        ),
        risk=(
            "The endpoint does not narrow who can change scaling from inside the VPC, nor "
            "stop credentials from another account being used through it."
        ),
        remediation=(
            "Attach an endpoint policy that allows only the principals of your organisation "
            "and the actions they need."
        ),
        remediation_snippet=(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0abc --policy-document "
            "file://aas-endpoint-policy.json"
        ),
        kb_section="vpc-endpoints#full-access-policy",
        func=_policy_full_access,
        requires=(Source.VPC_ENDPOINTS,),
    ),
    Check(
        id="vpc_endpoint_aas_private_dns_disabled",
        title="Endpoint without private DNS",
        topic=TOPIC,
        severity=Severity.LOW,
        description="The Application Auto Scaling interface endpoint has private DNS disabled.",
        risk=(
            "SDKs and the CLI resolve the public regional host name and bypass the endpoint "
            "unless every client is configured with the endpoint-specific name."
        ),
        remediation="Enable private DNS on the endpoint (the VPC needs DNS support and hostnames).",
        remediation_snippet=(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0abc --private-dns-enabled"
        ),
        kb_section="vpc-endpoints#private-dns",
        func=_private_dns,
        requires=(Source.VPC_ENDPOINTS,),
    ),
    Check(
        id="vpc_endpoint_aas_sg_open",
        title="Endpoint security group open to the internet",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A security group of the Application Auto Scaling endpoint allows HTTPS (443) "
            "from 0.0.0.0/0 or ::/0."
        ),
        risk=(
            "Any network path into the VPC can reach the endpoint; access should be limited "
            "to the subnets of the workloads that call the API."
        ),
        remediation="Allow 443 only from the VPC CIDR or the callers' security groups.",
        remediation_snippet=(
            "aws ec2 revoke-security-group-ingress --group-id sg-0abc --protocol tcp "
            "--port 443 --cidr 0.0.0.0/0"
        ),
        kb_section="vpc-endpoints#open-security-group",
        func=_sg_open,
        requires=(Source.VPC_ENDPOINTS, Source.SECURITY_GROUPS),
    ),
)
