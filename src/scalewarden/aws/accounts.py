"""Which accounts a scan covers, and the credentials for each.

The caller's own account is the default. ``--accounts`` with ``--role-name`` assumes that role
in each listed account; ``--organization`` lists the organization's ACTIVE accounts (names
included) and assumes the role in each. The caller's own account is scanned with the caller's
credentials, so a management account does not need the role in itself.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

#: ASCII digits only: ``\d`` also matches other scripts' digits (``١``), which AWS rejects.
ACCOUNT_ID = re.compile(r"[0-9]{12}")
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
    if not ids:
        raise ValueError(f"no account id named in {spec!r}")
    bad = [i for i in ids if not ACCOUNT_ID.fullmatch(i)]
    if bad:
        raise ValueError(f"account ids must be 12 digits: {', '.join(bad)}")
    return list(dict.fromkeys(ids))


class UnexpectedIdentity(ValueError):
    """STS answered with an identity the service will not build on (see ``caller_identity``)."""


def caller_identity(sts: Any) -> tuple[str, str]:
    """(account id, partition) of the credentials behind the ``sts`` client, checked.

    The account id must be 12 digits, and the caller's ARN must be in the partition of the
    region STS was asked in (``aws``, ``aws-cn``, ``aws-us-gov`` …, as botocore's endpoint
    data has it): credentials work in one partition only, so any other answer comes from
    something that is not that partition's STS (a misconfigured endpoint or proxy). The
    partition goes into every ARN the service builds (the roles it assumes, Security Hub
    product ARNs), so it is refused with ``UnexpectedIdentity`` rather than trusted.
    """
    identity = sts.get_caller_identity()
    account = str(identity.get("Account") or "")
    if not ACCOUNT_ID.fullmatch(account):
        raise UnexpectedIdentity("STS answered with an account id that is not 12 digits")
    parts = str(identity.get("Arn") or "").split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1]:
        raise UnexpectedIdentity("STS answered with a caller that is not an ARN")
    partition, expected = parts[1], str(sts.meta.partition)
    if partition != expected:
        raise UnexpectedIdentity(
            f"STS answered with an ARN in partition {partition[:40]!r}, but it was asked in "
            f"{sts.meta.region_name}, a region of partition {expected!r}: check the STS "
            "endpoint and that the region (SCALEWARDEN_AWS_REGION, AWS_REGION) is in the "
            "credentials' partition"
        )
    return account, partition


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


#: IAM role names: 1-64 of these characters (a path before the name is allowed separately).
ROLE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")
#: IAM path segments: printable ASCII without ``/``; the whole path is at most 512 characters.
PATH_SEGMENT = re.compile(r"[\x21-\x2e\x30-\x7e]+")
#: ``sts:AssumeRole`` ExternalId: 2-1224 of these characters.
EXTERNAL_ID = re.compile(r"[A-Za-z0-9+=,.@:/_-]{2,1224}")


def validate_role_name(role_name: str) -> str:
    """``role_name`` (optionally with a path: ``team/Scanner``) normalised, or ``ValueError``.

    Checked before any call so that a typo is one usage error, not an ERROR finding in every
    account of the organization.
    """
    value = role_name.strip()
    parts = value.strip("/").split("/")
    if not value.strip("/") or any(not p for p in parts):
        raise ValueError(f"invalid --role-name {role_name!r}: empty name or path segment")
    *path, name = parts
    if not ROLE_NAME.fullmatch(name):
        raise ValueError(
            f"invalid --role-name {role_name!r}: a role name is 1-64 letters, digits or +=,.@_-"
        )
    if any(not PATH_SEGMENT.fullmatch(p) for p in path) or len(value) > 512 + 64:
        raise ValueError(f"invalid --role-name {role_name!r}: bad path")
    return "/".join(parts)


def validate_external_id(external_id: str) -> str:
    """The external id as AWS accepts it, or ``ValueError`` (without echoing the value).

    External ids are shared secrets between the two accounts: the message never repeats one.
    """
    if not EXTERNAL_ID.fullmatch(external_id):
        raise ValueError(
            "invalid --external-id: 2-1224 characters among letters, digits and +=,.@:/_-"
        )
    return external_id


def _credential_metadata(credentials: dict[str, Any]) -> dict[str, str]:
    """STS ``Credentials`` in the shape botocore's refreshable credentials expect."""
    expiration = credentials["Expiration"]
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "token": credentials["SessionToken"],
        "expiry_time": expiration.isoformat()
        if hasattr(expiration, "isoformat")
        else str(expiration),
    }


def assume_role_session(
    sts: Any,
    account_id: str,
    role_name: str,
    external_id: str | None,
    region: str | None,
    partition: str = "aws",
) -> boto3.Session:
    """A session with the role's temporary credentials (never logged), renewed before expiry.

    The role is assumed once here, so that an account whose role cannot be assumed is known
    before collection starts. The credentials are *refreshable*: AssumeRole's default lifetime
    is one hour and a scan of a large organization can last longer (every account is entered
    up front, collected later), so botocore assumes the role again shortly before they expire
    instead of letting the later accounts' calls fail with ExpiredToken.
    """
    import boto3
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

    params: dict[str, Any] = {
        "RoleArn": role_arn(account_id, role_name, partition),
        "RoleSessionName": SESSION_NAME,
    }
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict[str, str]:
        return _credential_metadata(sts.assume_role(**params)["Credentials"])

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="assume-role"
    )

    class _Assumed(CredentialProvider):
        METHOD = "assume-role"

        def load(self) -> RefreshableCredentials:
            return credentials

    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([_Assumed()]))
    with _LOADER_LOCK:
        loader = _shared_loader(core.get_config_variable("data_path"))
        core.register_component("data_loader", loader)
        session = boto3.Session(botocore_session=core, region_name=region)
        # boto3 appends its own data folder to the loader's search path for every session.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


_LOADER_LOCK = threading.Lock()
_LOADERS: dict[str | None, Any] = {}


def _shared_loader(data_path: str | None) -> Any:
    """One botocore model loader for every assumed-role session (call with the lock held).

    Each new botocore session otherwise parses the service models (EC2's alone is megabytes
    of JSON) again: measured at about 0.27 s of CPU per account for the nine services a scan
    uses, against 0.06 s with a shared loader. Across an organization of hundreds of accounts
    that is minutes of GIL-bound work before and during collection.
    """
    from botocore.loaders import create_loader

    loader = _LOADERS.get(data_path)
    if loader is None:
        loader = _LOADERS[data_path] = create_loader(data_path)
    return loader
