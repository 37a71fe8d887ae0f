"""Service-linked role checks: each namespace in use has its role, and no role is left over.

Both are account-wide: IAM roles are global, while targets are per region, so the verdict
needs every scanned region. Roles are recognised by their ``/aws-service-role/<principal>/``
path (and trust policy), never by name.
"""

from __future__ import annotations

from collections import defaultdict

from scalewarden.aws.inventory import GLOBAL_REGION, AccountInventory, RegionInventory, Source
from scalewarden.checks.lib.aas import (
    SERVICE_ROLE_NAMESPACES,
    SLR_BY_NAMESPACE,
    aas_service_linked_roles,
    all_targets,
)
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "identity-and-access-management"


def _namespaces_in_use(account: AccountInventory) -> dict[str, list[str]]:
    """Namespace → sorted regions where it has targets."""
    out: dict[str, set[str]] = defaultdict(set)
    for region, target in all_targets(account):
        out[target.namespace].add(region)
    return {ns: sorted(regions) for ns, regions in out.items()}


def _slr_missing(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    roles = aas_service_linked_roles(account)
    findings: list[Finding] = []
    for namespace, regions in sorted(_namespaces_in_use(account).items()):
        if namespace in SERVICE_ROLE_NAMESPACES:
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.PASS,
                    namespace,
                    f"Namespace {namespace} uses a service role, not a service-linked role.",
                    evidence={"regions": regions},
                )
            )
            continue
        slr = SLR_BY_NAMESPACE.get(namespace)
        if slr is None:
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.ERROR,
                    namespace,
                    f"No known service-linked role for namespace {namespace}.",
                    evidence={"regions": regions},
                )
            )
            continue
        found = roles.get(slr.principal, [])
        if found:
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.PASS,
                    namespace,
                    f"Namespace {namespace} has its service-linked role "
                    f"{found[0].get('RoleName')}.",
                    resource_arn=str(found[0].get("Arn") or "") or None,
                    evidence={"regions": regions, "service_principal": slr.principal},
                )
            )
        else:
            findings.append(
                check.finding(
                    account,
                    GLOBAL_REGION,
                    Status.FAIL,
                    namespace,
                    f"Namespace {namespace} has scalable targets in {', '.join(regions)} but no "
                    f"service-linked role for {slr.principal}.",
                    evidence={
                        "regions": regions,
                        "service_principal": slr.principal,
                        "expected_path": slr.path,
                        "expected_role_name": slr.role_name,
                    },
                )
            )
    return check.pass_when_empty(
        findings,
        account,
        "No scalable targets in the scanned regions, so no service-linked role is needed.",
    )


def _slr_unused(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    in_use = _namespaces_in_use(account)
    principal_to_ns = {slr.principal: ns for ns, slr in SLR_BY_NAMESPACE.items()}
    findings: list[Finding] = []
    for principal, roles in sorted(aas_service_linked_roles(account).items()):
        namespace = principal_to_ns.get(principal, principal.split(".", 1)[0])
        for role in roles:
            arn = str(role.get("Arn") or "")
            name = str(role.get("RoleName") or arn)
            last_used = (role.get("RoleLastUsed") or {}).get("LastUsedDate")
            evidence = {
                "namespace": namespace,
                "service_principal": principal,
                "scanned_regions": sorted(account.regions),
                "last_used": str(last_used) if last_used else None,
            }
            if namespace in in_use:
                findings.append(
                    check.finding(
                        account,
                        GLOBAL_REGION,
                        Status.PASS,
                        arn or name,
                        f"Service-linked role {name} serves targets in "
                        f"{', '.join(in_use[namespace])}.",
                        resource_arn=arn or None,
                        evidence=evidence,
                    )
                )
            else:
                findings.append(
                    check.finding(
                        account,
                        GLOBAL_REGION,
                        Status.FAIL,
                        arn or name,
                        f"Service-linked role {name} exists but namespace {namespace} has no "
                        "scalable targets in the scanned regions.",
                        resource_arn=arn or None,
                        evidence=evidence,
                    )
                )
    return findings


CHECKS: tuple[Check, ...] = (
    Check(
        id="slr_missing_for_namespace",
        title="Namespace in use without its service-linked role",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A namespace has scalable targets but the Application Auto Scaling service-linked "
            "role for it is missing (EMR uses a service role instead and is not flagged)."
        ),
        risk=(
            "Without its service-linked role Application Auto Scaling cannot act on the "
            "targets: scaling silently stops working until someone recreates the role."
        ),
        remediation=(
            "Recreate the role (registering the target again also does it); check that no "
            "deny, SCP or permission boundary prevented its creation."
        ),
        remediation_snippet=(
            "aws iam create-service-linked-role --aws-service-name "
            "ecs.application-autoscaling.amazonaws.com"
        ),
        kb_section="service-linked-roles#role-per-namespace",
        func=_slr_missing,
        requires=(Source.IAM_AUTHORIZATION, Source.SCALABLE_TARGETS),
        scope="account",
    ),
    Check(
        id="slr_unused",
        title="Service-linked role with no targets",
        topic=TOPIC,
        severity=Severity.LOW,
        description=(
            "An Application Auto Scaling service-linked role exists for a namespace that has "
            "no scalable targets in the scanned regions."
        ),
        risk=(
            "Unused roles with permissions on other services widen the attack surface and "
            "hide which integrations are really in use."
        ),
        remediation=(
            "If the namespace is not used in any region, delete the role; AWS recreates it "
            "when a target is registered again. Scan all regions before deciding."
        ),
        remediation_snippet=(
            "aws iam delete-service-linked-role --role-name "
            "AWSServiceRoleForApplicationAutoScaling_ECSService"
        ),
        kb_section="service-linked-roles#delete",
        func=_slr_unused,
        # "Unused" is a claim about every namespace in every region: any one unread voids it.
        requires=(Source.IAM_AUTHORIZATION, f"{Source.SCALABLE_TARGETS}:*"),
        scope="account",
    ),
)
