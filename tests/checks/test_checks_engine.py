"""The engine's two honesty rules: missing data gives ERROR (never PASS), crashes give ERROR."""

from __future__ import annotations

from typing import Any

import pytest
from inventory_builders import account, region, target

from scalewarden.aws.inventory import GLOBAL_REGION, AccountInventory, RegionInventory, Source
from scalewarden.checks.engine import evaluate, evaluate_check
from scalewarden.checks.model import Check, Finding, Severity, Status
from scalewarden.checks.registry import all_checks


def _check(func: Any, *, scope: str = "region", requires: tuple[str, ...] = ()) -> Check:
    return Check(
        id="demo_check",
        title="Demo",
        topic="resilience",
        severity=Severity.LOW,
        description="d",
        risk="r",
        remediation="fix",
        remediation_snippet="",
        kb_section="resilience#suspended-scaling",
        func=func,
        requires=requires,
        scope=scope,  # type: ignore[arg-type]
    )


def _passing(check: Check, acct: AccountInventory, reg: RegionInventory | None) -> list[Finding]:
    where = reg.region if reg else GLOBAL_REGION
    return [check.finding(acct, where, Status.PASS, "r", "fine")]


def test_region_check_runs_per_region() -> None:
    acct = account(region("us-east-1"), region("eu-west-1"))
    findings = evaluate_check(_check(_passing), acct)
    assert sorted(f.region for f in findings) == ["eu-west-1", "us-east-1"]
    assert all(f.status is Status.PASS for f in findings)


def test_missing_source_gives_error_for_that_region_only() -> None:
    broken = region("eu-west-1", errors={"scalable_targets:ecs": "AccessDenied"})
    acct = account(region("us-east-1"), broken)
    findings = evaluate_check(_check(_passing, requires=(Source.SCALABLE_TARGETS,)), acct)
    by_region = {f.region: f for f in findings}
    assert by_region["us-east-1"].status is Status.PASS
    err = by_region["eu-west-1"]
    assert err.status is Status.ERROR
    assert "AccessDenied" in err.message and "scalable_targets:ecs" in err.message
    assert err.evidence["missing_sources"] == {"scalable_targets:ecs": "AccessDenied"}


def test_unrelated_missing_source_does_not_block() -> None:
    acct = account(region(errors={"securityhub": "not subscribed"}))
    findings = evaluate_check(_check(_passing, requires=(Source.SCALABLE_TARGETS,)), acct)
    assert [f.status for f in findings] == [Status.PASS]


def test_account_missing_source_blocks_region_checks() -> None:
    acct = account(region(), errors={"iam_authorization": "AccessDenied"})
    findings = evaluate_check(_check(_passing, requires=(Source.IAM_AUTHORIZATION,)), acct)
    assert [f.status for f in findings] == [Status.ERROR]


def _account_wide_pass(
    check: Check, acct: AccountInventory, reg: RegionInventory | None
) -> list[Finding]:
    return [check.finding(acct, GLOBAL_REGION, Status.PASS, acct.account_id, "all fine")]


def test_account_scope_blocked_by_any_region() -> None:
    # An account-wide verdict read from some regions only could be wrong: no PASS, the gap
    # named. (Per-resource verdicts from the readable regions stand: test_checks_engine_partial.)
    acct = account(
        region("us-east-1"), region("eu-west-1", errors={"cloudtrail_trails": "Throttling"})
    )
    check = _check(_account_wide_pass, scope="account", requires=(Source.TRAILS,))
    findings = evaluate_check(check, acct)
    assert len(findings) == 1
    assert findings[0].status is Status.ERROR and findings[0].region == GLOBAL_REGION
    assert "eu-west-1:cloudtrail_trails" in findings[0].message
    assert findings[0].evidence["missing_sources"] == {"eu-west-1:cloudtrail_trails": "Throttling"}


def test_every_missing_source_is_named_with_its_reason() -> None:
    broken = region(errors={"scalable_targets:ecs": "AccessDenied", "scaling_policies": "Timeout"})
    requires = (Source.SCALABLE_TARGETS, Source.SCALING_POLICIES)
    (err,) = evaluate_check(_check(_passing, requires=requires), account(broken))
    assert err.message == (
        "Could not evaluate: required data is missing "
        "(scalable_targets:ecs: AccessDenied; scaling_policies: Timeout)."
    )


def test_raising_check_becomes_error_and_scan_goes_on() -> None:
    def boom(check: Check, acct: AccountInventory, reg: RegionInventory | None) -> list[Finding]:
        raise KeyError("Arn")

    acct = account()
    findings = evaluate([acct], [_check(boom), _check(_passing)])
    assert [f.status for f in findings] == [Status.ERROR, Status.PASS]
    assert "KeyError" in findings[0].message
    assert findings[0].evidence == {"exception": "KeyError"}
    assert findings[0].resource_id == f"{acct.account_id}/{findings[0].region}"


def test_an_account_wide_check_that_raises_is_an_account_wide_error() -> None:
    def boom(check: Check, acct: AccountInventory, reg: RegionInventory | None) -> list[Finding]:
        raise KeyError("Arn")

    acct = account(region("eu-west-1"))
    (err,) = evaluate_check(_check(boom, scope="account"), acct)
    assert (err.status, err.region) == (Status.ERROR, GLOBAL_REGION)
    assert err.resource_id == f"{acct.account_id}/{GLOBAL_REGION}"


def test_a_raising_check_is_logged_with_where_it_raised(caplog: pytest.LogCaptureFixture) -> None:
    def boom(check: Check, acct: AccountInventory, reg: RegionInventory | None) -> list[Finding]:
        raise ValueError("no such key")

    acct = account(region("eu-west-1"))
    with caplog.at_level("WARNING", logger="scalewarden.checks.engine"):
        evaluate([acct], [_check(boom)])
    assert caplog.messages == [
        f"check demo_check raised on {acct.account_id}/eu-west-1: no such key"
    ]


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_every_check_reports_error_not_pass_when_its_sources_are_missing(check: Check) -> None:
    errors = {source: "AccessDenied" for source in check.requires}
    reg = region(targets=[target()], errors=dict(errors))
    acct = account(reg, errors=dict(errors))
    findings = evaluate_check(check, acct)
    assert findings, "a check with missing inputs must still say something"
    assert {f.status for f in findings} == {Status.ERROR}
    assert all("AccessDenied" in f.message for f in findings)


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_every_check_declares_the_sources_it_requires(check: Check) -> None:
    assert check.requires, "a check without sources could PASS on data that was never collected"
