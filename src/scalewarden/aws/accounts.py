"""Which accounts a scan covers, and the credentials for each.

The caller's own account is the default. ``--accounts`` with ``--role-name`` assumes that role
in each listed account; ``--organization`` lists the organization's ACTIVE accounts (names
included) and assumes the role in each. The caller's own account is scanned with the caller's
credentials, so a management account does not need the role in itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

ACCOUNT_ID = re.compile(r"^\d{12}$")
SESSION_NAME = "scalewarden-scan"


@dataclass(frozen=True)
class AccountTarget:
    """One account to scan and the session that reaches it (``None``: could not assume)."""

    account_id: str
    name: str | None
    session: boto3.Session | None
    error: str | None = None


def parse_account_ids(spec: str | None) -> list[str] | None:
    """``"111111111111,222222222222"`` → ids; raises ``ValueError`` on anything malformed."""
    if spec is None or not spec.strip():
        return None
    ids = [p.strip() for p in spec.split(",") if p.strip()]
    bad = [i for i in ids if not ACCOUNT_ID.match(i)]
    if bad:
        raise ValueError(f"account ids must be 12 digits: {', '.join(bad)}")
    return list(dict.fromkeys(ids))


def caller_identity(sts: Any) -> tuple[str, str]:
    """(account id, partition) of the credentials behind the ``sts`` client."""
    identity = sts.get_caller_identity()
    arn = str(identity.get("Arn") or "arn:aws:")
    return str(identity["Account"]), arn.split(":")[1] or "aws"


def organization_accounts(org: Any) -> list[tuple[str, str | None]]:
    """ACTIVE accounts of the organization as (id, name), paginated."""
    out: list[tuple[str, str | None]] = []
    for page in org.get_paginator("list_accounts").paginate():
        for acct in page.get("Accounts", []):
            if acct.get("Status", "ACTIVE") == "ACTIVE":
                out.append((str(acct["Id"]), acct.get("Name")))
    return out


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of ``role_name`` in ``account_id``; a path in the name is kept."""
    name = role_name.strip("/")
    return f"arn:{partition}:iam::{account_id}:role/{name}"


def assume_role_session(
    sts: Any,
    account_id: str,
    role_name: str,
    external_id: str | None,
    region: str | None,
    partition: str = "aws",
) -> boto3.Session:
    """A session with the role's temporary credentials (never logged)."""
    import boto3

    params: dict[str, Any] = {
        "RoleArn": role_arn(account_id, role_name, partition),
        "RoleSessionName": SESSION_NAME,
    }
    if external_id:
        params["ExternalId"] = external_id
    creds = sts.assume_role(**params)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
