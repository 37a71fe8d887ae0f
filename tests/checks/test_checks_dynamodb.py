"""DynamoDB.1 semantics: on-demand passes; provisioned needs read and write scaling everywhere."""

from __future__ import annotations

from inventory_builders import account, region, run, target

from scalewarden.aws.inventory import DynamoDBTable, ScalingPolicy
from scalewarden.checks.model import Status


def scaled(resource_id: str) -> tuple[list, list]:
    kind = "index" if "/index/" in resource_id else "table"
    targets, policies = [], []
    for capacity in ("Read", "Write"):
        dim = f"dynamodb:{kind}:{capacity}CapacityUnits"
        targets.append(target("dynamodb", resource_id, dim, 5, 100))
        policies.append(
            ScalingPolicy(
                f"{capacity}",
                f"arn:{resource_id}:{capacity}",
                "dynamodb",
                resource_id,
                dim,
                "TargetTrackingScaling",
            )
        )
    return targets, policies


def table(name: str, mode: str = "PROVISIONED", gsis: tuple[str, ...] = ()) -> DynamoDBTable:
    return DynamoDBTable(name, f"arn:aws:dynamodb:us-east-1:111122223333:table/{name}", mode, gsis)


def evaluate(tables: list[DynamoDBTable], resources: list[str], drop: str | None = None) -> dict:
    targets, policies = [], []
    for rid in resources:
        t, p = scaled(rid)
        targets += t
        policies += p
    if drop:
        policies = [
            p for p in policies if p.scalable_dimension != drop or p.resource_id != resources[-1]
        ]
    reg = region(dynamodb_tables=tables, targets=targets, policies=policies)
    return {f.resource_id: f for f in run("dynamodb_table_autoscaling_enabled", account(reg))}


def test_on_demand_passes() -> None:
    findings = evaluate([table("events", "PAY_PER_REQUEST")], [])
    assert findings["table/events"].status is Status.PASS
    assert findings["table/events"].compliance["AWS-Foundational-Security-Best-Practices"] == [
        "DynamoDB.1"
    ]


def test_provisioned_with_full_scaling_passes() -> None:
    findings = evaluate(
        [table("orders", gsis=("by_user",))], ["table/orders", "table/orders/index/by_user"]
    )
    assert findings["table/orders"].status is Status.PASS


def test_provisioned_without_scaling_fails() -> None:
    findings = evaluate([table("orders")], [])
    assert findings["table/orders"].status is Status.FAIL
    assert findings["table/orders"].evidence["not_scaling"] == {"table/orders": ["read", "write"]}


def test_gsi_without_write_scaling_fails() -> None:
    findings = evaluate(
        [table("orders", gsis=("by_user",))],
        ["table/orders", "table/orders/index/by_user"],
        drop="dynamodb:index:WriteCapacityUnits",
    )
    f = findings["table/orders"]
    assert f.status is Status.FAIL
    assert f.evidence["not_scaling"] == {"table/orders/index/by_user": ["write"]}
    assert "by_user" in f.message


def test_target_without_policy_is_not_scaling() -> None:
    t, _ = scaled("table/orders")
    reg = region(dynamodb_tables=[table("orders")], targets=t, policies=[])
    findings = run("dynamodb_table_autoscaling_enabled", account(reg))
    assert [f.status for f in findings] == [Status.FAIL]


def test_tables_not_listed_is_error() -> None:
    reg = region(errors={"dynamodb_tables": "AccessDeniedException"})
    assert [f.status for f in run("dynamodb_table_autoscaling_enabled", account(reg))] == [
        Status.ERROR
    ]
