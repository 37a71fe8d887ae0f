"""Partial evidence, check by check: every source (one namespace of it, one region) refused.

The seeded account is collected once from the local AWS. Then, for every source the
collector reads, a copy of that inventory is made as the collector leaves it when the source
is refused (its data absent, the refusal recorded), and every one of the 24 checks is run on
both. For each check:

* a check that does not declare the source (``requires`` or ``absence_requires``) gives the
  very same verdicts: otherwise one of its verdicts silently depends on data it never asked
  for, and a refusal would turn it into a PASS or hide a FAIL without a word;
* a check that declares it claims no PASS it did not claim on the whole picture, no
  scope-wide PASS at all, and one ERROR names the gap with the refusal's reason;
* a check that needs the source only for its scope-wide verdicts keeps every FAIL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from scalewarden.aws.inventory import AccountInventory, RegionInventory, Source
from scalewarden.aws.session import ClientSettings
from scalewarden.checks import engine as engine_module
from scalewarden.checks.engine import classify, evaluate_check, without_namespaces
from scalewarden.checks.model import Check, Finding, Status
from scalewarden.checks.registry import all_checks
from scalewarden.localaws import FAKE_CREDENTIALS, seed_iam, seed_scenario
from scalewarden.scan import ScanOptions, ScanScope, run_scan
from scalewarden.settings import get_settings

FAST = ClientSettings(max_attempts=1, retry_mode="standard", connect_timeout=2, read_timeout=10)
MAIN, OTHER = "us-east-1", "eu-west-1"
REASON = "AccessDenied: refused for the sweep"

#: How the collector leaves a region's record when a source is refused: the data absent.
BLANK: dict[str, Callable[[RegionInventory], RegionInventory]] = {
    Source.SCALABLE_TARGETS: lambda r: replace(
        r, targets=[], policies=[], scheduled_actions=[], activities=[]
    ),
    Source.SCALING_POLICIES: lambda r: replace(r, policies=[]),
    Source.SCHEDULED_ACTIONS: lambda r: replace(r, scheduled_actions=[]),
    Source.SCALING_ACTIVITIES: lambda r: replace(r, activities=[]),
    Source.TAGS: lambda r: replace(r, targets=[replace(t, tags=None) for t in r.targets]),
    Source.ALARMS: lambda r: replace(r, existing_alarm_names=set()),
    Source.DYNAMODB_TABLES: lambda r: replace(r, dynamodb_tables=[]),
    Source.VPCS: lambda r: replace(r, vpc_ids=[]),
    Source.VPC_ENDPOINTS: lambda r: replace(r, vpc_endpoints=[]),
    Source.SECURITY_GROUPS: lambda r: replace(r, security_groups={}),
    Source.TRAILS: lambda r: replace(r, trails=[]),
    Source.EVENT_RULES: lambda r: replace(r, event_rules=[]),
    Source.CONFIG_RECORDERS: lambda r: replace(r, config_recorders=[]),
    Source.SECURITY_HUB: lambda r: replace(r, securityhub_enabled=None),
}


@pytest.fixture(scope="module")
def whole(
    local_aws: Any, moto_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AccountInventory]:
    """The seeded account in two regions, as the collector read it with nothing refused."""
    mp = pytest.MonkeyPatch()
    empty = tmp_path_factory.mktemp("aws") / "empty-aws-config"
    empty.write_text("")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            mp.delenv(name, raising=False)
    for name, value in {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_DEFAULT_REGION": MAIN,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        mp.setenv(name, value)
    mp.delenv("SCALEWARDEN_AWS_REGION", raising=False)
    get_settings.cache_clear()
    local_aws.reset()
    seed_scenario(MAIN)
    seed_scenario(OTHER)
    seed_iam()
    captured: list[AccountInventory] = []
    real = engine_module.evaluate

    def keep(accounts: Any, checks: Any) -> list[Finding]:
        accounts = list(accounts)
        captured.extend(accounts)
        return real(accounts, checks)

    mp.setattr(engine_module, "evaluate", keep)
    run_scan(ScanScope(regions=[MAIN, OTHER]), options=ScanOptions(client_settings=FAST))
    mp.undo()
    local_aws.reset()
    get_settings.cache_clear()
    (acct,) = captured
    assert not acct.errors and not any(r.errors for r in acct.regions.values())
    yield acct


def _refused(acct: AccountInventory, key: str) -> AccountInventory:
    """``acct`` as collected with ``key`` refused in MAIN (``region`` alone: all of OTHER)."""
    if key == Source.IAM_AUTHORIZATION:
        return replace(acct, iam=None, errors={key: REASON})
    regions = dict(acct.regions)
    if key == "region":
        regions[OTHER] = RegionInventory(
            acct.account_id, OTHER, errors={s.value: REASON for s in BLANK}
        )
        return replace(acct, regions=regions)
    base, _, namespace = key.partition(":")
    main = regions[MAIN]
    main = without_namespaces(main, {namespace}) if namespace else BLANK[base](main)
    regions[MAIN] = replace(main, errors={key: REASON})
    return replace(acct, regions=regions)


def _verdicts(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.region, f.resource_id, f.status.value) for f in findings}


def _scope_wide(f: Finding) -> bool:
    return f.resource_id in (f.account_id, f"{f.account_id}/{f.region}")


KEYS = [
    *[s.value for s in Source],
    "scalable_targets:ecs",
    "scalable_targets:dynamodb",
    "region",
]


def _declares(check: Check, key: str) -> bool:
    if key == "region":
        return bool(check.requires or check.absence_requires) and set(check.requires) != {
            Source.IAM_AUTHORIZATION
        }
    whole_, partial, _ = classify(check, {key: REASON})
    return bool(whole_ or partial)


@pytest.mark.parametrize("key", KEYS)
def test_every_check_with_a_source_refused(whole: AccountInventory, key: str) -> None:
    damaged = _refused(whole, key)
    problems: list[str] = []
    for check in all_checks():
        before = evaluate_check(check, whole)
        after = evaluate_check(check, damaged)
        if not _declares(check, key):
            if _verdicts(after) != _verdicts(before):
                gone = sorted(_verdicts(before) - _verdicts(after))
                new = sorted(_verdicts(after) - _verdicts(before))
                problems.append(f"{check.id} reads {key} undeclared: -{gone} +{new}")
            continue
        passed_before = {(f.region, f.resource_id) for f in before if f.status is Status.PASS}
        for f in after:
            refused_here = f.region in ("global", OTHER if key == "region" else MAIN)
            if f.status is Status.PASS and _scope_wide(f) and refused_here:
                problems.append(f"{check.id}: scope-wide PASS with {key} refused: {f.message}")
            if f.status is Status.PASS and (f.region, f.resource_id) not in passed_before:
                problems.append(f"{check.id}: new PASS {f.resource_id} with {key} refused")
        errors = [f for f in after if f.status is Status.ERROR and REASON in f.message]
        if not errors:
            problems.append(f"{check.id}: no ERROR names the refused {key}")
        if key != "region" and key in check.absence_requires:
            lost = {(f.region, f.resource_id) for f in before if f.status is Status.FAIL} - {
                (f.region, f.resource_id) for f in after if f.status is Status.FAIL
            }
            if lost:
                problems.append(f"{check.id}: FAILs lost with {key} refused: {sorted(lost)}")
    assert not problems, "\n".join(problems)
