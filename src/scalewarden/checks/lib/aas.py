"""Application Auto Scaling facts shared by several checks.

The namespace → service-linked role map is taken from the service's "Service-linked role ARN
reference"; WorkSpaces pools (added to the service after that reference was written) use the
same ``<prefix>.application-autoscaling.amazonaws.com`` scheme. EMR is absent on purpose: it
scales instance groups through a classic service role (``EMR_AutoScaling_DefaultRole``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scalewarden.aws.inventory import AccountInventory, RegionInventory, ScalableTarget
from scalewarden.checks.lib.redact import redact, redact_tag_value, safe_resource_id
from scalewarden.checks.model import Check, Finding, Status

SLR_PATH_PREFIX = "/aws-service-role/"
SLR_PRINCIPAL_SUFFIX = ".application-autoscaling.amazonaws.com"


@dataclass(frozen=True)
class ServiceLinkedRole:
    """Where a namespace's service-linked role lives and what AWS names it."""

    principal: str
    role_name: str

    @property
    def path(self) -> str:
        return f"{SLR_PATH_PREFIX}{self.principal}/"


SLR_BY_NAMESPACE: Mapping[str, ServiceLinkedRole] = {
    "appstream": ServiceLinkedRole(
        "appstream.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_AppStreamFleet",
    ),
    "rds": ServiceLinkedRole(
        "rds.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_RDSCluster",
    ),
    "comprehend": ServiceLinkedRole(
        "comprehend.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint",
    ),
    "dynamodb": ServiceLinkedRole(
        "dynamodb.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    "ecs": ServiceLinkedRole(
        "ecs.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    ),
    "elasticache": ServiceLinkedRole(
        "elasticache.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG",
    ),
    "cassandra": ServiceLinkedRole(
        "cassandra.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_CassandraTable",
    ),
    "lambda": ServiceLinkedRole(
        "lambda.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
    ),
    "kafka": ServiceLinkedRole(
        "kafka.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_KafkaCluster",
    ),
    "neptune": ServiceLinkedRole(
        "neptune.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_NeptuneCluster",
    ),
    "sagemaker": ServiceLinkedRole(
        "sagemaker.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    ),
    "ec2": ServiceLinkedRole(
        "ec2.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
    ),
    "custom-resource": ServiceLinkedRole(
        "custom-resource.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_CustomResource",
    ),
    "workspaces": ServiceLinkedRole(
        "workspaces.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_WorkSpacesPool",
    ),
}

#: Namespaces that use a role the customer creates instead of a service-linked role.
SERVICE_ROLE_NAMESPACES = frozenset({"elasticmapreduce"})

NAMESPACE_BY_PRINCIPAL: Mapping[str, str] = {
    slr.principal: ns for ns, slr in SLR_BY_NAMESPACE.items()
}


def _trusted_services(role: Mapping[str, Any]) -> list[str]:
    """Service principals in a role's trust policy (``AssumeRolePolicyDocument``)."""
    from scalewarden.checks.lib.iam_policy import PolicyParseError, load_document

    try:
        doc = load_document(role.get("AssumeRolePolicyDocument"))
    except PolicyParseError:
        return []
    statements = doc.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    out: list[str] = []
    for stmt in statements:
        principal = stmt.get("Principal") if isinstance(stmt, Mapping) else None
        if not isinstance(principal, Mapping):
            continue
        service = principal.get("Service")
        out.extend([service] if isinstance(service, str) else list(service or []))
    return out


def slr_principal_of(role: Mapping[str, Any]) -> str | None:
    """The AAS service principal a role is linked to, by path first, then by trust policy.

    Roles are matched on where AWS puts them, not on their name: names differ between
    implementations, the path and trusted principal do not.
    """
    path = str(role.get("Path") or "")
    if not path.startswith(SLR_PATH_PREFIX):
        return None  # service-linked roles always live under /aws-service-role/
    principal = path[len(SLR_PATH_PREFIX) :].strip("/")
    if principal.endswith(SLR_PRINCIPAL_SUFFIX):
        return principal
    for service in _trusted_services(role):
        if service.endswith(SLR_PRINCIPAL_SUFFIX):
            return service
    return None


def aas_service_linked_roles(account: AccountInventory) -> dict[str, list[Mapping[str, Any]]]:
    """Service principal → the account's roles linked to it (normally one)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for role in account.iam.roles if account.iam else []:
        principal = slr_principal_of(role)
        if principal:
            out.setdefault(principal, []).append(role)
    return out


def all_targets(account: AccountInventory) -> Iterable[tuple[str, ScalableTarget]]:
    """(region, target) for every target of every scanned region."""
    for name in sorted(account.regions):
        for target in account.regions[name].targets:
            yield name, target


def target_label(target: ScalableTarget) -> str:
    """A target's identity as shown in findings: namespace, safe resource id, dimension."""
    return (
        f"{target.namespace}:{safe_resource_id(target.namespace, target.resource_id)}"
        f":{target.scalable_dimension}"
    )


def target_arn(target: ScalableTarget) -> str | None:
    return target.arn or None


def per_target_findings(
    check: Check,
    account: AccountInventory,
    region: RegionInventory,
    targets: Iterable[ScalableTarget],
    verdict: Callable[[ScalableTarget], tuple[Status, str, dict[str, Any]]],
) -> list[Finding]:
    """One finding per target, as ``verdict`` judges it, under the target's safe identity."""
    findings = []
    for target in targets:
        status, message, evidence = verdict(target)
        findings.append(
            check.finding(
                account,
                region.region,
                status,
                target_label(target),
                message,
                resource_arn=target_arn(target),
                evidence=evidence,
            )
        )
    return findings


def safe_tags(target: ScalableTarget) -> dict[str, str] | None:
    """A target's tags with secrets redacted (mutelist rules match on them)."""
    if target.tags is None:
        return None
    return {redact(k): redact_tag_value(k, v) for k, v in sorted(target.tags.items())}
