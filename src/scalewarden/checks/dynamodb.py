"""DynamoDB auto scaling: the one control AWS already ships (Security Hub DynamoDB.1).

Kept semantically identical to AWS Config's ``dynamodb-autoscaling-enabled``: on-demand tables
pass; a provisioned table passes only when the table *and every global secondary index* scale
both read and write capacity. "Scale" here means a registered scalable target with at least
one scaling policy: a target without a policy never changes capacity.
"""

from __future__ import annotations

from typing import Any

from scalewarden.aws.inventory import AccountInventory, DynamoDBTable, RegionInventory, Source
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "service-integrations"


def _dimensions(resource_id: str) -> tuple[str, str]:
    kind = "index" if "/index/" in resource_id else "table"
    return (f"dynamodb:{kind}:ReadCapacityUnits", f"dynamodb:{kind}:WriteCapacityUnits")


def _table_gaps(table: DynamoDBTable, region: RegionInventory) -> dict[str, list[str]]:
    """Resource id → the capacity kinds (read/write) that do not scale."""
    targets = {t.key for t in region.targets if t.namespace == "dynamodb"}
    policies = {p.target_key for p in region.policies if p.namespace == "dynamodb"}
    resources = [f"table/{table.name}"] + [
        f"table/{table.name}/index/{gsi}" for gsi in table.gsi_names
    ]
    gaps: dict[str, list[str]] = {}
    for resource_id in resources:
        for dimension, label in zip(_dimensions(resource_id), ("read", "write"), strict=True):
            key = ("dynamodb", resource_id, dimension)
            if key not in targets or key not in policies:
                gaps.setdefault(resource_id, []).append(label)
    return gaps


def _autoscaling_enabled(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    findings: list[Finding] = []
    for table in region.dynamodb_tables:
        evidence: dict[str, Any] = {
            "billing_mode": table.billing_mode,
            "global_secondary_indexes": list(table.gsi_names),
        }
        if table.billing_mode.upper() == "PAY_PER_REQUEST":
            status, message = Status.PASS, f"Table {table.name} is on-demand."
        else:
            gaps = _table_gaps(table, region)
            evidence["not_scaling"] = gaps
            if gaps:
                parts = [f"{rid} ({'/'.join(kinds)})" for rid, kinds in sorted(gaps.items())]
                status = Status.FAIL
                message = (
                    f"Provisioned table {table.name} lacks auto scaling on: {', '.join(parts)}."
                )
            else:
                status = Status.PASS
                message = (
                    f"Provisioned table {table.name} and its {len(table.gsi_names)} global "
                    "secondary index(es) scale read and write capacity."
                )
        findings.append(
            check.finding(
                account,
                region.region,
                status,
                f"table/{table.name}",
                message,
                resource_arn=table.arn,
                evidence=evidence,
            )
        )
    return findings


CHECKS: tuple[Check, ...] = (
    Check(
        id="dynamodb_table_autoscaling_enabled",
        title="DynamoDB table without capacity auto scaling",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description=(
            "A provisioned DynamoDB table, or one of its global secondary indexes, lacks read "
            "or write capacity auto scaling. On-demand tables pass."
        ),
        risk="Requests are throttled when traffic exceeds the fixed provisioned capacity.",
        remediation=(
            "Register read and write scalable targets with target tracking policies for the "
            "table and each global secondary index, or switch the table to on-demand."
        ),
        remediation_snippet=(
            "aws application-autoscaling register-scalable-target --service-namespace dynamodb "
            "--resource-id table/orders --scalable-dimension dynamodb:table:ReadCapacityUnits "
            "--min-capacity 5 --max-capacity 500"
        ),
        kb_section="compliance-validation#security-hub-control",
        func=_autoscaling_enabled,
        # A table's verdict reads DynamoDB's own targets and policies, all of them: without
        # them every table would look unscaled. Other namespaces are none of its business.
        requires=(
            Source.DYNAMODB_TABLES,
            f"{Source.SCALABLE_TARGETS}:dynamodb",
            f"{Source.SCALING_POLICIES}:dynamodb",
        ),
    ),
)
