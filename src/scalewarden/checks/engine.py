"""Run checks over inventories: the pure middle of a scan.

The engine owns the two rules that keep a scan honest, so that no check has to remember them:

* a check whose required sources are missing for a scope reports ERROR with the reasons for
  that scope and is not run there (partial data must never yield PASS);
* a check that raises becomes one ERROR finding carrying the exception message; a bug in one
  check never loses the rest of the scan.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from scalewarden.aws.inventory import GLOBAL_REGION, AccountInventory, RegionInventory
from scalewarden.checks.model import Check, Finding, Status

log = logging.getLogger(__name__)


def _reasons_text(missing: Mapping[str, str]) -> str:
    return "; ".join(f"{source}: {reason}" for source, reason in sorted(missing.items()))


def _error(
    check: Check, account: AccountInventory, region: str, missing: Mapping[str, str]
) -> Finding:
    return check.finding(
        account,
        region,
        Status.ERROR,
        resource_id=f"{account.account_id}/{region}",
        message=f"Could not evaluate: required data is missing ({_reasons_text(missing)}).",
        evidence={"missing_sources": dict(sorted(missing.items()))},
    )


def _crash(check: Check, account: AccountInventory, region: str, exc: Exception) -> Finding:
    return check.finding(
        account,
        region,
        Status.ERROR,
        resource_id=f"{account.account_id}/{region}",
        message=f"The check failed while evaluating: {type(exc).__name__}: {exc}",
        evidence={"exception": type(exc).__name__},
    )


def _missing_for_account(check: Check, account: AccountInventory) -> dict[str, str]:
    """Missing sources of an account-scoped check: the account's and every region's.

    An account-wide verdict (say, "no multi-region trail") read from some regions only could
    be wrong, so a source missing in any scanned region blocks it, qualified by region.
    """
    missing = dict(account.missing(*check.requires))
    for name, region in sorted(account.regions.items()):
        for source, reason in region.missing(*check.requires).items():
            missing[f"{name}:{source}"] = reason
    return missing


def _run(
    check: Check, account: AccountInventory, region: RegionInventory | None, label: str
) -> list[Finding]:
    try:
        return list(check.func(check, account, region))
    except Exception as exc:  # a broken check must not end the scan
        log.warning("check %s raised on %s/%s: %s", check.id, account.account_id, label, exc)
        return [_crash(check, account, label, exc)]


def evaluate_check(check: Check, account: AccountInventory) -> list[Finding]:
    """All findings of one check on one account (every region for region-scoped checks)."""
    if check.scope == "account":
        missing = _missing_for_account(check, account)
        if missing:
            return [_error(check, account, GLOBAL_REGION, missing)]
        return _run(check, account, None, GLOBAL_REGION)
    findings: list[Finding] = []
    for name in sorted(account.regions):
        region = account.regions[name]
        missing = dict(account.missing(*check.requires))
        missing.update(region.missing(*check.requires))
        if missing:
            findings.append(_error(check, account, name, missing))
            continue
        findings.extend(_run(check, account, region, name))
    return findings


def evaluate(accounts: Iterable[AccountInventory], checks: Sequence[Check]) -> list[Finding]:
    """Every check on every account, in catalogue order then account order."""
    account_list = list(accounts)
    findings: list[Finding] = []
    for check in checks:
        for account in account_list:
            findings.extend(evaluate_check(check, account))
    return findings
