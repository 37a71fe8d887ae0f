"""Partial evidence, for real: one namespace, the tags API or one region refused.

A FAIL seen is a FAIL; PASS needs the whole picture; the gap is an ERROR naming what could
not be seen. Each test scans the local AWS twice, once whole and once with a refusal
injected, and compares: every FAIL of the whole scan that the refusal does not hide is still
there, and nothing the refusal hides is PASS.
"""

from __future__ import annotations

from typing import Any

import pytest

from scalewarden.aws.session import ClientSettings
from scalewarden.checks.model import GLOBAL_REGION, Finding, Status
from scalewarden.checks.registry import all_checks
from scalewarden.localaws import LocalAws, seed_iam, seed_scenario
from scalewarden.scan import ScanOptions, ScanScope, run_scan

FAST = ClientSettings(max_attempts=1, retry_mode="standard", connect_timeout=2, read_timeout=10)
MAIN, OTHER = "us-east-1", "eu-west-1"
CHECKS = {c.id: c for c in all_checks()}


def scan(*regions: str) -> Any:
    return run_scan(ScanScope(regions=list(regions)), options=ScanOptions(client_settings=FAST))


def fails(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.check_id, f.region, f.resource_id) for f in findings if f.status is Status.FAIL}


def scope_wide(f: Finding) -> bool:
    return f.resource_id in (f.account_id, f"{f.account_id}/{f.region}")


def gaps(findings: list[Finding]) -> dict[str, Finding]:
    """The gap's ERROR of each check that has one, by check id."""
    return {f.check_id: f for f in findings if f.status is Status.ERROR and scope_wide(f)}


@pytest.fixture
def seeded(aws_env: str) -> None:
    seed_scenario(MAIN)
    seed_iam()


def test_one_namespace_refused(seeded: None, local_aws: LocalAws) -> None:
    whole = scan(MAIN)
    local_aws.inject_fault(
        "application-autoscaling",
        "DescribeScalableTargets",
        "AccessDeniedException",
        "not authorized for ecs",
        parameters={"ServiceNamespace": "ecs"},
    )
    partial = scan(MAIN)
    # Every FAIL not about ECS (its targets, its service-linked role) is still reported.
    seen = {k for k in fails(whole.findings) if k[2] != "ecs" and not k[2].startswith("ecs:")}
    assert seen and seen <= fails(partial.findings)
    assert any(k[2].startswith("ecs:") for k in fails(whole.findings))  # ECS had FAILs ...
    assert not [f for f in partial.findings if f.resource_id.startswith("ecs:")]  # ... unseen
    # Whatever reads targets names the gap; its region-wide PASS is withdrawn.
    named = gaps(partial.findings)
    readers = {c.id for c in CHECKS.values() if "scalable_targets" in c.requires}
    # A check about every namespace ("this role is unused") cannot judge at all.
    everywhere = {c.id for c in CHECKS.values() if "scalable_targets:*" in c.requires}
    assert everywhere == {"slr_unused"}
    assert {f.status for f in partial.findings if f.check_id in everywhere} == {Status.ERROR}
    assert readers and readers <= set(named)
    for check_id in readers:
        assert "targets in namespace ecs could not be listed" in named[check_id].message
        assert "not authorized for ecs" in named[check_id].message
        assert not any(
            f.check_id == check_id and f.status is Status.PASS and scope_wide(f)
            for f in partial.findings
        )
    # Checks that do not read ECS's targets are untouched (DynamoDB's own, IAM's).
    untouched = {f.check_id for f in whole.findings} - readers - everywhere
    assert {
        (f.check_id, f.status, f.resource_id) for f in partial.findings if f.check_id in untouched
    } == {(f.check_id, f.status, f.resource_id) for f in whole.findings if f.check_id in untouched}


def test_the_tags_api_refused_as_security_audit_does(seeded: None, local_aws: LocalAws) -> None:
    whole = scan(MAIN)
    local_aws.inject_fault(
        "application-autoscaling", "ListTagsForResource", "AccessDeniedException"
    )
    partial = scan(MAIN)
    needs_tags = {c.id for c in CHECKS.values() if "tags" in (*c.requires, *c.absence_requires)}
    assert needs_tags == {"sensitive_data_in_scaling_names"}
    # Every FAIL is still reported, tag FAILs aside (there are none to see).
    seen = {k for k in fails(whole.findings) if "/tag/" not in k[2] and ":tag/" not in k[2]}
    assert seen <= fails(partial.findings)
    # Only what needs tags reports the gap; everything else is exactly as before.
    assert {c for c, f in gaps(partial.findings).items() if "tags" in f.message} == needs_tags
    assert (
        "target tags could not be read"
        in gaps(partial.findings)["sensitive_data_in_scaling_names"].message
    )

    def rest(findings: list[Finding]) -> set[tuple[str, str, str, str]]:
        return {
            (f.check_id, f.region, f.resource_id, f.status.value)
            for f in findings
            if f.check_id not in needs_tags
        }

    assert rest(partial.findings) == rest(whole.findings)
    assert not [f for f in partial.findings if f.check_id in needs_tags and f.status is Status.PASS]


def test_one_region_refused(seeded: None, local_aws: LocalAws) -> None:
    whole = scan(MAIN, OTHER)
    local_aws.inject_fault("*", "*", "AccessDenied", "explicit deny in an SCP", region=OTHER)
    partial = scan(MAIN, OTHER)
    # Every FAIL seen in the readable region and account-wide is still reported.
    seen = {k for k in fails(whole.findings) if k[1] != OTHER}
    assert seen and seen <= fails(partial.findings)
    # Nothing in the refused region is PASS; it says why.
    theirs = [f for f in partial.findings if f.region == OTHER]
    assert theirs and {f.status for f in theirs} == {Status.ERROR}
    assert all("explicit deny in an SCP" in f.message for f in theirs)
    # Account-wide checks that read regional data judge the readable region, name the gap,
    # and claim no account-wide PASS.
    regional = {
        c.id
        for c in CHECKS.values()
        if c.scope == "account" and set(c.requires) - {"iam_authorization"}
    }
    named = gaps(partial.findings)
    for check_id in regional:
        assert OTHER in named[check_id].message and "explicit deny" in named[check_id].message
        assert not [
            f
            for f in partial.findings
            if f.check_id == check_id and f.status is Status.PASS and scope_wide(f)
        ]
    assert all(f.region == GLOBAL_REGION for c in regional for f in [named[c]])
