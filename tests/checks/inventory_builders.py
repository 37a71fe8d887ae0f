"""Small builders for hand-made inventories, so check tests read like the scenario."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from scalewarden.aws.inventory import (
    AccountInventory,
    IamAuthorization,
    RegionInventory,
    ScalableTarget,
)
from scalewarden.checks.engine import evaluate_check
from scalewarden.checks.model import Finding, Status
from scalewarden.checks.registry import get_check

ACCOUNT = "111122223333"
REGION = "us-east-1"


def target(
    namespace: str = "ecs",
    resource_id: str = "service/prod/web",
    dimension: str = "ecs:service:DesiredCount",
    min_capacity: int = 2,
    max_capacity: int = 10,
    **kwargs: Any,
) -> ScalableTarget:
    kwargs.setdefault("tags", {})
    return ScalableTarget(namespace, resource_id, dimension, min_capacity, max_capacity, **kwargs)


def region(name: str = REGION, **kwargs: Any) -> RegionInventory:
    kwargs.setdefault("securityhub_enabled", True)
    return RegionInventory(ACCOUNT, name, **kwargs)


def account(
    *regions: RegionInventory, iam: IamAuthorization | None = None, **kwargs: Any
) -> AccountInventory:
    regs = regions or (region(),)
    return AccountInventory(
        ACCOUNT,
        kwargs.pop("account_name", "prod"),
        iam=iam if iam is not None else IamAuthorization(),
        regions={r.region: r for r in regs},
        **kwargs,
    )


def run(check_id: str, acct: AccountInventory) -> list[Finding]:
    """Evaluate one check through the engine (so source checks apply, as in a scan)."""
    return evaluate_check(get_check(check_id), acct)


def statuses(findings: Iterable[Finding]) -> list[Status]:
    return [f.status for f in findings]


def by_resource(findings: Iterable[Finding]) -> dict[str, Finding]:
    return {f.resource_id: f for f in findings}


def policy_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def managed_policy(name: str, document: Any, *, account_id: str = ACCOUNT) -> dict[str, Any]:
    """A ``Policies`` entry of GetAccountAuthorizationDetails (customer-managed)."""
    arn = f"arn:aws:iam::{account_id}:policy/{name}"
    return {
        "PolicyName": name,
        "Arn": arn,
        "DefaultVersionId": "v2",
        "AttachmentCount": 1,
        "PolicyVersionList": [
            {"Document": {"Statement": []}, "VersionId": "v1", "IsDefaultVersion": False},
            {"Document": document, "VersionId": "v2", "IsDefaultVersion": True},
        ],
    }


def aws_managed_policy(name: str, document: Any) -> dict[str, Any]:
    entry = managed_policy(name, document)
    entry["Arn"] = f"arn:aws:iam::aws:policy/{name}"
    return entry


def url_encoded(document: dict[str, Any]) -> str:
    from urllib.parse import quote

    return quote(json.dumps(document))
