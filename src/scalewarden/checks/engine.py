"""Run checks over inventories: the pure middle of a scan.

The engine owns the rules that keep a scan honest on partial data, so that no check has to
remember them: *a FAIL seen is a FAIL; PASS needs the whole picture; the gap is an ERROR
naming what could not be seen.* Each check declares what it reads: ``requires``, what its
per-resource verdicts need, and ``absence_requires``, what only its scope-wide verdicts ("no
endpoint", "no trail", "nothing found") need in full.

* **A whole required source is missing** (a region refused, IAM details denied): nothing can be
  judged there, so the check reports one ERROR for that scope with the reasons and does not
  run. An account-scoped check leaves such a region out instead and judges the rest, unless
  it requires a source of every namespace (``scalable_targets:*``: "this role is unused").
* **One namespace of a per-namespace source is missing** (``scalable_targets:workspaces``):
  the check runs on a view of the region without that namespace's targets, policies,
  scheduled actions and activities, so every resource whose own data was read is judged and
  its verdict stands.
* **Anything the check reads is incomplete** (either of the above, or an ``absence_requires``
  source such as tags): its scope-wide PASS findings (resource ``<account>`` or
  ``<account>/<region>``) are withdrawn, since an absence cannot be claimed over data that was
  not read, and one ERROR names the gap: "targets in namespace workspaces could not be listed
  (scalable_targets:workspaces): AccessDenied". Per-check summaries then see that ERROR too.
* A check that raises becomes one ERROR finding carrying the exception message; a bug in one
  check never loses the rest of the scan.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from scalewarden.aws.inventory import GLOBAL_REGION, AccountInventory, RegionInventory, Source
from scalewarden.checks.model import Check, Finding, Status

log = logging.getLogger(__name__)

#: What each source holds, in words, for the gap's message.
_WORDS: dict[str, str] = {
    Source.SCALABLE_TARGETS: "targets",
    Source.SCALING_POLICIES: "scaling policies",
    Source.SCHEDULED_ACTIONS: "scheduled actions",
    Source.SCALING_ACTIVITIES: "scaling activities",
    Source.TAGS: "target tags",
    Source.ALARMS: "CloudWatch alarms",
    Source.DYNAMODB_TABLES: "DynamoDB tables",
    Source.VPCS: "VPCs",
    Source.VPC_ENDPOINTS: "VPC endpoints",
    Source.SECURITY_GROUPS: "security groups",
    Source.TRAILS: "CloudTrail trails",
    Source.EVENT_RULES: "EventBridge rules",
    Source.CONFIG_RECORDERS: "Config recorders",
    Source.SECURITY_HUB: "Security Hub status",
    Source.IAM_AUTHORIZATION: "IAM authorization details",
}


def _reasons_text(missing: Mapping[str, str]) -> str:
    return "; ".join(f"{source}: {reason}" for source, reason in sorted(missing.items()))


def describe_gap(key: str) -> str:
    """A missing-source key in words: ``targets in namespace workspaces could not be listed``.

    Keys are ``source``, ``source:namespace``, or either prefixed by ``region:`` for an
    account-scoped check.
    """
    region = ""
    first, _, rest = key.partition(":")
    if first not in _WORDS and rest:
        region, key = first, rest
    base, _, namespace = key.partition(":")
    words = _WORDS.get(base, base.replace("_", " "))
    text = (
        f"{words} in namespace {namespace} could not be listed"
        if namespace
        else f"{words} could not be read"
    )
    return f"in {region}, {text}" if region else text


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


def _gap(
    check: Check, account: AccountInventory, region: str, missing: Mapping[str, str]
) -> Finding:
    parts = [f"{describe_gap(k)} ({k}): {reason}" for k, reason in sorted(missing.items())]
    return check.finding(
        account,
        region,
        Status.ERROR,
        resource_id=f"{account.account_id}/{region}",
        message=(
            "Not everything could be seen, so what could not be is not PASS: "
            f"{'; '.join(parts)}. The verdicts beside this one cover what was read."
        ),
        evidence={"missing_sources": dict(sorted(missing.items())), "partial": True},
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


def classify(
    check: Check, errors: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """Split one scope's missing sources for a check: (whole, partial, blocked namespaces).

    *Whole*: a source the check requires is missing as such (an exact key of ``requires``,
    which may itself name one namespace, ``scalable_targets:dynamodb``, or every namespace,
    ``scalable_targets:*``, for a verdict about a resource that any namespace could change;
    a bare ``scalable_targets`` missing covers both).
    *Partial*: one namespace of a per-namespace source it requires (that namespace is
    *blocked*), or any part of a source only its scope-wide verdicts need. Everything else is
    not its concern.
    """
    whole: dict[str, str] = {}
    partial: dict[str, str] = {}
    blocked: set[str] = set()
    for key, reason in errors.items():
        base, _, namespace = key.partition(":")
        if key in check.requires or (namespace and f"{base}:*" in check.requires):
            whole[key] = reason
        elif not namespace and any(r.startswith(f"{base}:") for r in check.requires):
            # The source missing as such (a region or account that could not be entered) is
            # every namespace's part missing, the one or all a requirement names included.
            whole[key] = reason
        elif namespace and base in check.requires:
            partial[key] = reason
            blocked.add(namespace)
        elif key in check.absence_requires or base in check.absence_requires:
            partial[key] = reason
    return whole, partial, blocked


def without_namespaces(region: RegionInventory, blocked: set[str]) -> RegionInventory:
    """The region as a check may judge it: blocked namespaces' scaling data left out."""
    if not blocked:
        return region
    return replace(
        region,
        targets=[t for t in region.targets if t.namespace not in blocked],
        policies=[p for p in region.policies if p.namespace not in blocked],
        scheduled_actions=[a for a in region.scheduled_actions if a.namespace not in blocked],
        activities=[a for a in region.activities if a.namespace not in blocked],
    )


def _scope_wide_pass(finding: Finding, account_id: str) -> bool:
    return finding.status is Status.PASS and finding.resource_id in (
        account_id,
        f"{account_id}/{finding.region}",
    )


def _with_gap(
    check: Check,
    account: AccountInventory,
    label: str,
    findings: list[Finding],
    partial: Mapping[str, str],
) -> list[Finding]:
    """The findings, with scope-wide PASS withdrawn and the gap's ERROR added when partial."""
    if not partial:
        return findings
    kept = [f for f in findings if not _scope_wide_pass(f, account.account_id)]
    return [*kept, _gap(check, account, label, partial)]


def _run(
    check: Check, account: AccountInventory, region: RegionInventory | None, label: str
) -> list[Finding]:
    try:
        return list(check.func(check, account, region))
    except Exception as exc:  # a broken check must not end the scan
        log.warning("check %s raised on %s/%s: %s", check.id, account.account_id, label, exc)
        return [_crash(check, account, label, exc)]


def _evaluate_account_scope(check: Check, account: AccountInventory) -> list[Finding]:
    whole, partial, _ = classify(check, account.errors)
    regions: dict[str, RegionInventory] = {}
    for name, region in sorted(account.regions.items()):
        r_whole, r_partial, blocked = classify(check, region.errors)
        qualified = {f"{name}:{k}": v for k, v in {**r_whole, **r_partial}.items()}
        if any(f"{k.partition(':')[0]}:*" in check.requires for k in r_whole):
            whole.update(qualified)  # a claim about every region cannot leave one out
        partial.update(qualified)
        if not r_whole:
            regions[name] = without_namespaces(region, blocked)
    if account.regions and not regions:
        whole.update(partial)  # no region could be read: any verdict would be about nothing
    if whole:
        return [_error(check, account, GLOBAL_REGION, {**whole, **partial})]
    view = replace(account, regions=regions) if partial else account
    found = _run(check, view, None, GLOBAL_REGION)
    return _with_gap(check, account, GLOBAL_REGION, found, partial)


def evaluate_check(check: Check, account: AccountInventory) -> list[Finding]:
    """All findings of one check on one account (every region for region-scoped checks)."""
    if check.scope == "account":
        return _evaluate_account_scope(check, account)
    findings: list[Finding] = []
    for name in sorted(account.regions):
        region = account.regions[name]
        whole, partial, blocked = classify(check, {**account.errors, **region.errors})
        if whole:
            findings.append(_error(check, account, name, {**whole, **partial}))
            continue
        found = _run(check, account, without_namespaces(region, blocked), name)
        findings.extend(_with_gap(check, account, name, found, partial))
    return findings


def evaluate(accounts: Iterable[AccountInventory], checks: Sequence[Check]) -> list[Finding]:
    """Every check on every account, in catalogue order then account order."""
    account_list = list(accounts)
    findings: list[Finding] = []
    for check in checks:
        for account in account_list:
            findings.extend(evaluate_check(check, account))
    return findings
