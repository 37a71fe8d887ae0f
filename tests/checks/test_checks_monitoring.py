"""CloudTrail, EventBridge, Config and Security Hub checks."""

from __future__ import annotations

import json
from typing import Any

from inventory_builders import account, region, run, target

from scalewarden.aws.inventory import GLOBAL_REGION, ConfigRecorder, EventRule, Trail
from scalewarden.checks.model import Status


def trail(name: str = "org", **kw: Any) -> Trail:
    values: dict[str, Any] = {
        "arn": f"arn:aws:cloudtrail:us-east-1:111122223333:trail/{name}",
        "home_region": "us-east-1",
        "is_multi_region": True,
        "is_logging": True,
        "log_file_validation": True,
        "records_write_management_events": True,
    }
    values.update(kw)
    return Trail(name, **values)


def rule(name: str, pattern: dict[str, Any] | None, **kw: Any) -> EventRule:
    values: dict[str, Any] = {
        "arn": f"arn:aws:events:us-east-1:111122223333:rule/{name}",
        "state": "ENABLED",
        "event_bus": "default",
        "event_pattern": json.dumps(pattern) if pattern is not None else None,
    }
    values.update(kw)
    return EventRule(name, **values)


def test_multiregion_trail_one_finding_per_account() -> None:
    good = trail()
    acct = account(region("us-east-1", trails=[good]), region("eu-west-1", trails=[good]))
    findings = run("cloudtrail_multiregion_management_events", acct)
    assert len(findings) == 1
    assert findings[0].status is Status.PASS and findings[0].region == GLOBAL_REGION
    assert findings[0].compliance["CIS-7.0"] == ["4.1"]


def test_multiregion_trail_fails_for_each_shortfall() -> None:
    for bad in (
        trail(is_multi_region=False),
        trail(is_logging=False),
        trail(records_write_management_events=False),
    ):
        findings = run("cloudtrail_multiregion_management_events", account(region(trails=[bad])))
        assert [f.status for f in findings] == [Status.FAIL]
    none = run("cloudtrail_multiregion_management_events", account(region()))
    assert [f.status for f in none] == [Status.FAIL] and "no trail" in none[0].message


def test_trail_source_missing_anywhere_is_error() -> None:
    acct = account(
        region("us-east-1", trails=[trail()]),
        region("eu-west-1", errors={"cloudtrail_trails": "AccessDenied"}),
    )
    findings = run("cloudtrail_multiregion_management_events", acct)
    assert [f.status for f in findings] == [Status.ERROR]


def test_log_file_validation_per_unique_trail() -> None:
    shared = trail("org")
    local = trail(
        "local",
        arn="arn:aws:cloudtrail:eu-west-1:111122223333:trail/local",
        home_region="eu-west-1",
        is_multi_region=False,
        log_file_validation=False,
    )
    acct = account(
        region("us-east-1", trails=[shared]), region("eu-west-1", trails=[shared, local])
    )
    findings = {
        f.resource_id.rsplit("/", 1)[-1]: f for f in run("cloudtrail_log_file_validation", acct)
    }
    assert set(findings) == {"org", "local"}
    assert findings["org"].status is Status.PASS
    assert findings["local"].status is Status.FAIL and findings["local"].region == "eu-west-1"


DESTRUCTIVE = {
    "source": ["aws.autoscaling"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["autoscaling.amazonaws.com"],
        "eventName": ["DeregisterScalableTarget", "DeleteScalingPolicy", "DeleteScheduledAction"],
        "additionalEventData": {"service": ["application-autoscaling"]},
    },
}


def _alerting(*rules: EventRule) -> list[Any]:
    return run(
        "eventbridge_aas_destructive_alerting",
        account(region(targets=[target()], event_rules=list(rules))),
    )


def test_destructive_alerting_pass_and_fail() -> None:
    passed = _alerting(rule("aas", DESTRUCTIVE))
    assert [f.status for f in passed] == [Status.PASS]
    assert passed[0].evidence["uncovered"] == []
    assert [f.status for f in _alerting()] == [Status.FAIL]


def test_destructive_alerting_ignores_disabled_custom_bus_scheduled_and_ec2_only_rules() -> None:
    ec2_only = dict(
        DESTRUCTIVE,
        detail=dict(DESTRUCTIVE["detail"], additionalEventData={"service": ["autoscaling"]}),
    )
    findings = _alerting(
        rule("off", DESTRUCTIVE, state="DISABLED"),
        rule(
            "custom", DESTRUCTIVE, event_bus="arn:aws:events:us-east-1:111122223333:event-bus/apps"
        ),
        rule("cron", None),
        rule("ec2", ec2_only),
        rule("broken", None, event_pattern="{not json"),
    )
    assert [f.status for f in findings] == [Status.FAIL]
    assert findings[0].evidence["unreadable_patterns"] == ["broken"]
    assert set(findings[0].evidence["rules_skipped"]) == {"off", "custom"}


def test_destructive_alerting_broad_patterns() -> None:
    everything_aas = {
        "source": [{"prefix": "aws.auto"}],
        "detail": {"eventName": [{"anything-but": {"prefix": "Describe"}}]},
    }
    findings = _alerting(
        rule("broad", everything_aas, state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    )
    assert [f.status for f in findings] == [Status.PASS]
    partial = _alerting(
        rule(
            "docs",
            dict(
                DESTRUCTIVE, detail=dict(DESTRUCTIVE["detail"], eventName=["DeleteScalingPolicy"])
            ),
        )
    )
    assert [f.status for f in partial] == [Status.PASS]
    assert partial[0].evidence["uncovered"] == ["DeregisterScalableTarget", "DeleteScheduledAction"]
    assert "not matched" in partial[0].message


def test_region_without_targets_passes_alerting_checks() -> None:
    for check_id in (
        "eventbridge_aas_destructive_alerting",
        "eventbridge_aas_scaled_to_max_alerting",
        "config_recorder_enabled",
        "securityhub_enabled",
    ):
        findings = run(check_id, account(region(securityhub_enabled=False)))
        assert [f.status for f in findings] == [Status.PASS], check_id


def test_scaled_to_max_alerting() -> None:
    pattern = {
        "source": ["aws.application-autoscaling"],
        "detail-type": ["Application Auto Scaling Scaling Activity State Change"],
        "detail": {"scaledToMax": [True]},
    }
    ok = run(
        "eventbridge_aas_scaled_to_max_alerting",
        account(region(targets=[target()], event_rules=[rule("max", pattern)])),
    )
    assert [f.status for f in ok] == [Status.PASS]
    wrong_type = dict(pattern, detail={"scaledToMax": ["true"]})
    bad = run(
        "eventbridge_aas_scaled_to_max_alerting",
        account(region(targets=[target()], event_rules=[rule("max", wrong_type)])),
    )
    assert [f.status for f in bad] == [Status.FAIL]


def test_config_recorder() -> None:
    def status(*recorders: ConfigRecorder) -> list[Status]:
        reg = region(targets=[target()], config_recorders=list(recorders))
        return [f.status for f in run("config_recorder_enabled", account(reg))]

    assert status(ConfigRecorder("default", True)) == [Status.PASS]
    assert status(ConfigRecorder("default", False)) == [Status.FAIL]
    assert status() == [Status.FAIL]
    reg = region(targets=[target()], errors={"config_recorders": "AccessDenied"})
    assert [f.status for f in run("config_recorder_enabled", account(reg))] == [Status.ERROR]


def test_securityhub() -> None:
    assert [f.status for f in run("securityhub_enabled", account(region(targets=[target()])))] == [
        Status.PASS
    ]
    off = region(targets=[target()], securityhub_enabled=False)
    assert [f.status for f in run("securityhub_enabled", account(off))] == [Status.FAIL]
    unknown = region(targets=[target()], securityhub_enabled=None)
    assert [f.status for f in run("securityhub_enabled", account(unknown))] == [Status.ERROR]
