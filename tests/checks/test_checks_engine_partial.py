"""The engine's partial-evidence rule on hand-made inventories (the scan-level tests are in
tests/scan/test_scan_partial_evidence.py)."""

from __future__ import annotations

from typing import Any

from inventory_builders import account, region, run, statuses, target

from scalewarden.aws.inventory import AccountInventory, RegionInventory, Source
from scalewarden.checks.engine import classify, describe_gap, evaluate_check
from scalewarden.checks.model import Check, Finding, Severity, Status


def _check(func: Any, *, scope: str = "region", **kinds: tuple[str, ...]) -> Check:
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
        scope=scope,  # type: ignore[arg-type]
        **kinds,  # type: ignore[arg-type]
    )


def _per_target(check: Check, acct: AccountInventory, reg: RegionInventory | None) -> list[Finding]:
    """FAIL for every target it is shown, then a region-wide PASS when there is none."""
    assert reg is not None
    out = [
        check.finding(acct, reg.region, Status.FAIL, f"{t.namespace}:{t.resource_id}", "bad")
        for t in reg.targets
    ]
    return out or [
        check.finding(acct, reg.region, Status.PASS, f"{acct.account_id}/{reg.region}", "none")
    ]


def test_a_refused_namespace_leaves_the_others_judged_and_names_the_gap() -> None:
    reg = region(
        targets=[target("ecs", "service/c/web"), target("dynamodb", "table/orders")],
        errors={"scalable_targets:workspaces": "AccessDenied"},
    )
    findings = evaluate_check(
        _check(_per_target, requires=(Source.SCALABLE_TARGETS,)), account(reg)
    )
    assert {(f.status, f.resource_id) for f in findings if f.status is Status.FAIL} == {
        (Status.FAIL, "ecs:service/c/web"),
        (Status.FAIL, "dynamodb:table/orders"),
    }
    (gap,) = [f for f in findings if f.status is Status.ERROR]
    assert "targets in namespace workspaces could not be listed" in gap.message
    assert "AccessDenied" in gap.message
    assert gap.evidence["missing_sources"] == {"scalable_targets:workspaces": "AccessDenied"}


def test_a_namespace_whose_policies_failed_is_left_out_and_no_pass_is_claimed() -> None:
    reg = region(
        targets=[target("ecs", "service/c/web")],
        errors={"scaling_policies:ecs": "Throttling"},
    )
    check = _check(_per_target, requires=(Source.SCALABLE_TARGETS, Source.SCALING_POLICIES))
    findings = evaluate_check(check, account(reg))
    # ECS's target cannot be judged without its policies; "no target" is not a PASS either.
    assert [f.status for f in findings] == [Status.ERROR]
    assert "scaling policies in namespace ecs could not be listed" in findings[0].message


def test_an_absence_only_source_withdraws_the_region_wide_pass_but_not_verdicts() -> None:
    empty = region(errors={"tags": "AccessDenied"})
    check = _check(_per_target, requires=(Source.SCALABLE_TARGETS,), absence_requires=("tags",))
    assert [f.status for f in evaluate_check(check, account(empty))] == [Status.ERROR]
    full = region(targets=[target()], errors={"tags": "AccessDenied"})
    statuses = sorted(f.status.value for f in evaluate_check(check, account(full)))
    assert statuses == ["ERROR", "FAIL"]


def test_a_namespace_named_requirement_is_whole_for_that_namespace_only() -> None:
    check = _check(_per_target, requires=("scalable_targets:dynamodb",))
    assert classify(check, {"scalable_targets:ecs": "x"}) == ({}, {}, set())
    whole, partial, blocked = classify(check, {"scalable_targets:dynamodb": "x"})
    assert whole == {"scalable_targets:dynamodb": "x"} and not partial and not blocked


def test_an_account_check_judges_the_regions_it_could_read() -> None:
    def per_region_fail(
        check: Check, acct: AccountInventory, _reg: RegionInventory | None
    ) -> list[Finding]:
        return [
            check.finding(acct, "global", Status.FAIL, f"trail-in-{name}", "bad")
            for name in acct.regions
        ] + [check.finding(acct, "global", Status.PASS, acct.account_id, "all fine")]

    acct = account(
        region("us-east-1"), region("eu-west-1", errors={"cloudtrail_trails": "Throttling"})
    )
    findings = evaluate_check(
        _check(per_region_fail, scope="account", requires=(Source.TRAILS,)), acct
    )
    assert sorted((f.status.value, f.resource_id) for f in findings) == [
        ("ERROR", f"{acct.account_id}/global"),
        ("FAIL", "trail-in-us-east-1"),
    ]
    gap = next(f for f in findings if f.status is Status.ERROR)
    assert "in eu-west-1, CloudTrail trails could not be read" in gap.message


def test_gaps_in_words() -> None:
    assert describe_gap("scalable_targets:workspaces") == (
        "targets in namespace workspaces could not be listed"
    )
    assert describe_gap("tags") == "target tags could not be read"
    assert (
        describe_gap("eu-west-1:vpc_endpoints") == "in eu-west-1, VPC endpoints could not be read"
    )


def test_an_account_wide_check_that_could_read_no_region_is_an_error_not_a_fail() -> None:
    """An account we could not enter has every regional source missing. "No multi-region
    trail" drawn from zero regions read is a verdict about nothing: it must be ERROR, or a
    digest calls the unreachable account's trail a new finding."""
    reason = "AccessDenied: not authorized to perform sts:AssumeRole"
    unreadable = account(
        region("eu-west-1", errors={Source.TRAILS: reason}),
        region("us-east-1", errors={Source.TRAILS: reason}),
    )
    findings = run("cloudtrail_multiregion_management_events", unreadable)
    assert statuses(findings) == [Status.ERROR]
    assert reason in findings[0].message
    # One readable region is enough to see a multi-region trail (it shows up in each).
    half = account(region("eu-west-1"), region("us-east-1", errors={Source.TRAILS: reason}))
    assert Status.FAIL in statuses(run("cloudtrail_multiregion_management_events", half))


def test_a_whole_source_missing_blocks_a_requirement_on_its_namespaces() -> None:
    # A region that could not be entered at all records every source bare
    # ("scalable_targets", not "scalable_targets:ecs"): that is every namespace missing, so a
    # check requiring one namespace's part, or every namespace's, cannot judge.
    from scalewarden.checks.registry import get_check

    for check_id in ("slr_unused", "dynamodb_table_autoscaling_enabled"):
        whole, _, _ = classify(get_check(check_id), {"scalable_targets": "AccessDenied"})
        assert whole == {"scalable_targets": "AccessDenied"}, check_id


def test_a_role_used_only_in_an_unreachable_region_is_not_called_unused() -> None:
    from inventory_builders import ACCOUNT, run

    from scalewarden.aws.inventory import REGIONAL_SOURCES, IamAuthorization

    principal = "ecs.application-autoscaling.amazonaws.com"
    role = {
        "RoleName": "AWSServiceRoleForApplicationAutoScaling_ECSService",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{principal}/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        "Path": f"/aws-service-role/{principal}/",
        "AssumeRolePolicyDocument": {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ]
        },
    }
    readable = region("us-east-1")
    refused = region("eu-west-1", errors=dict.fromkeys(REGIONAL_SOURCES, "opt-in required"))
    findings = run("slr_unused", account(readable, refused, iam=IamAuthorization(roles=[role])))
    assert not [f for f in findings if f.status in (Status.FAIL, Status.PASS)]
    assert [f for f in findings if f.status is Status.ERROR and "opt-in required" in f.message]
