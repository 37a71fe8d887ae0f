"""IAM, account-wide: the authorization details every IAM check reads (one paginated call
serves them all) and the account's alias, its name where none was given.

Both are asked of the partition's IAM endpoint (``regions.global_region``), so account-wide
data does not depend on whether the first scanned region is enabled.
"""

from __future__ import annotations

from typing import Any

from scalewarden.aws.calls import PageSize
from scalewarden.aws.inventory import GLOBAL_REGION, Source
from scalewarden.aws.regions import global_region
from scalewarden.aws.sources.base import SourceContext, SourceModule


def start(ctx: SourceContext, unit: str = GLOBAL_REGION) -> None:
    """Page through the authorization details into the account's ``IamAuthorization``."""
    home = global_region(ctx.regions)
    account = ctx.account

    def on_page(page: dict[str, Any]) -> bool:
        with account.lock:
            account.iam.users.extend(page.get("UserDetailList") or [])
            account.iam.groups.extend(page.get("GroupDetailList") or [])
            account.iam.roles.extend(page.get("RoleDetailList") or [])
            account.iam.policies.extend(page.get("Policies") or [])
        return True

    ctx.chain(
        unit,
        Source.IAM_AUTHORIZATION,
        "iam",
        "get_account_authorization_details",
        {},
        on_page,
        client_region=home,
    )


def read_alias(ctx: SourceContext) -> None:
    """The account's alias, if it has one. A name is a nicety: its absence is no coverage
    gap (``source=None``)."""
    answer = ctx.call(
        GLOBAL_REGION,
        None,
        "iam",
        "list_account_aliases",
        client_region=global_region(ctx.regions),
    )
    names = (answer.response or {}).get("AccountAliases") if answer.ok else None
    ctx.account.alias = names[0] if names else None


MODULE = SourceModule(
    name="iam",
    fills=(Source.IAM_AUTHORIZATION,),
    start=start,
    page_sizes={"get_account_authorization_details": PageSize("MaxItems", 1000)},
)
