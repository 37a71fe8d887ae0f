"""Monitoring and logging checks: CloudTrail, EventBridge alerting, AWS Config, Security Hub.

Application Auto Scaling's audit trail is CloudTrail (event source
``autoscaling.amazonaws.com``, shared with EC2 Auto Scaling); alerting on destructive calls
goes through EventBridge rules on the default bus; Config and Security Hub give the only
managed control (DynamoDB.1) a place to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalewarden.aws.inventory import (
    GLOBAL_REGION,
    AccountInventory,
    EventRule,
    RegionInventory,
    ScalableTarget,
    Source,
    Trail,
)
from scalewarden.checks.lib.event_pattern import (
    PatternError,
    cloudtrail_api_event,
    matches,
    parse_pattern,
)
from scalewarden.checks.model import Check, Finding, Severity, Status

TOPIC = "monitoring-and-logging"


#: The calls that remove scaling; an operator should hear about each of them.
DESTRUCTIVE_CALLS = ("DeregisterScalableTarget", "DeleteScalingPolicy", "DeleteScheduledAction")


def _unique_trails(account: AccountInventory) -> list[Trail]:
    """Trails of every region, once each (a multi-region trail shows up in all of them)."""
    seen: dict[str, Trail] = {}
    for name in sorted(account.regions):
        for trail in account.regions[name].trails:
            key = trail.arn or trail.name
            # Prefer the view from the trail's home region, where its status is authoritative.
            if key not in seen or name == trail.home_region:
                seen[key] = trail
    return [seen[k] for k in sorted(seen)]


def _multiregion(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    trails = _unique_trails(account)
    good = [
        t
        for t in trails
        if t.is_multi_region and t.is_logging and t.records_write_management_events
    ]
    evidence: dict[str, Any] = {
        "trails": [
            {
                "name": t.name,
                "home_region": t.home_region,
                "multi_region": t.is_multi_region,
                "logging": t.is_logging,
                "write_management_events": t.records_write_management_events,
            }
            for t in trails
        ]
    }
    if good:
        names = ", ".join(t.name for t in good)
        return [
            check.finding(
                account,
                GLOBAL_REGION,
                Status.PASS,
                account.account_id,
                f"Multi-region trail(s) {names} log write management events, including "
                "Application Auto Scaling calls.",
                resource_arn=good[0].arn,
                evidence=evidence,
            )
        ]
    reason = "no trail" if not trails else "no trail is multi-region, logging and recording writes"
    return [
        check.finding(
            account,
            GLOBAL_REGION,
            Status.FAIL,
            account.account_id,
            f"Application Auto Scaling changes are not reliably recorded: {reason}.",
            evidence=evidence,
        )
    ]


def _log_validation(
    check: Check, account: AccountInventory, _region: RegionInventory | None
) -> list[Finding]:
    return [
        check.finding(
            account,
            t.home_region or GLOBAL_REGION,
            Status.PASS if t.log_file_validation else Status.FAIL,
            t.arn or t.name,
            (
                f"Trail {t.name} has log file validation enabled."
                if t.log_file_validation
                else f"Trail {t.name} has log file validation disabled: deleted or altered "
                "log files would go unnoticed."
            ),
            resource_arn=t.arn or None,
            evidence={"multi_region": t.is_multi_region, "logging": t.is_logging},
        )
        for t in _unique_trails(account)
    ]


def _no_targets(check: Check, account: AccountInventory, region: RegionInventory) -> Finding:
    return check.finding(
        account,
        region.region,
        Status.PASS,
        f"{account.account_id}/{region.region}",
        "No scalable targets in this region.",
    )


def _on_default_bus(rule: EventRule) -> bool:
    bus = rule.event_bus or "default"
    return bus == "default" or bus.endswith(":event-bus/default")


def _enabled(rule: EventRule) -> bool:
    return rule.state.upper().startswith("ENABLED")


def rule_coverage(
    rule: EventRule,
    account_id: str,
    region: str,
    samples: Sequence[ScalableTarget] = (),
) -> list[str]:
    """Which destructive calls the rule's pattern would match (PatternError when unreadable).

    With ``samples`` (targets standing for the namespaces in use), a call counts only when
    the rule matches it for every one of them: a rule filtering on
    ``requestParameters.serviceNamespace: ecs`` does not cover a call on a DynamoDB table.
    """
    if rule.event_pattern is None:
        return []
    pattern = parse_pattern(rule.event_pattern)
    return [
        call
        for call in DESTRUCTIVE_CALLS
        if all(matches(pattern, e) for e in _call_events(call, account_id, region, samples))
    ]


def _call_events(
    call: str, account_id: str, region: str, samples: Sequence[ScalableTarget]
) -> list[dict[str, Any]]:
    if not samples:
        return [cloudtrail_api_event(call, account_id, region)]
    return [
        cloudtrail_api_event(
            call,
            account_id,
            region,
            namespace=t.namespace,
            resource_id=t.resource_id,
            scalable_dimension=t.scalable_dimension,
        )
        for t in samples
    ]


def _namespace_samples(region: RegionInventory) -> list[ScalableTarget]:
    """One target of each namespace with targets in the region (the first by key)."""
    first: dict[str, ScalableTarget] = {}
    for target in sorted(region.targets, key=lambda t: t.key):
        first.setdefault(target.namespace, target)
    return [first[ns] for ns in sorted(first)]


def _destructive_alerting(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    if not region.targets:
        return [_no_targets(check, account, region)]
    samples = _namespace_samples(region)
    # (call, namespace) → rules matching it. Rules may split the namespaces between them;
    # a call is covered when every namespace in use is.
    matched: dict[tuple[str, str], list[str]] = {}
    unreadable: list[str] = []
    skipped: list[str] = []
    for rule in region.event_rules:
        if not _enabled(rule) or not _on_default_bus(rule):
            skipped.append(rule.name)
            continue
        try:
            hits = [
                (call, sample.namespace)
                for sample in samples
                for call in rule_coverage(rule, account.account_id, region.region, [sample])
            ]
        except PatternError:
            unreadable.append(rule.name)
            continue
        for hit in hits:
            matched.setdefault(hit, []).append(rule.name)
    covered: dict[str, list[str]] = {}
    partly: dict[str, list[str]] = {}
    for call in DESTRUCTIVE_CALLS:
        seen = [s.namespace for s in samples if (call, s.namespace) in matched]
        if len(seen) == len(samples):
            covered[call] = sorted({r for ns in seen for r in matched[(call, ns)]})
        elif seen:
            partly[call] = seen
    evidence: dict[str, Any] = {
        "covered": {k: v for k, v in sorted(covered.items())},
        "uncovered": [c for c in DESTRUCTIVE_CALLS if c not in covered],
        "rules_skipped": sorted(skipped),
        "namespaces": [s.namespace for s in samples],
    }
    if partly:
        evidence["matched_only_for_namespaces"] = dict(sorted(partly.items()))
    if unreadable:
        evidence["unreadable_patterns"] = sorted(unreadable)
    resource = f"{account.account_id}/{region.region}"
    if not covered:
        only = f" (some only for {', '.join(sorted({n for v in partly.values() for n in v}))})"
        return [
            check.finding(
                account,
                region.region,
                Status.FAIL,
                resource,
                "No enabled EventBridge rule on the default bus matches "
                f"{', '.join(DESTRUCTIVE_CALLS)} calls to Application Auto Scaling for every "
                f"namespace in use{only if partly else ''}.",
                evidence=evidence,
            )
        ]
    message = "Destructive scaling calls raise events: " + "; ".join(
        f"{call} by {', '.join(rules)}" for call, rules in sorted(covered.items())
    )
    if evidence["uncovered"]:
        message += f" (not matched: {', '.join(evidence['uncovered'])})"
    return [
        check.finding(
            account, region.region, Status.PASS, resource, message + ".", evidence=evidence
        )
    ]


def scaled_to_max_event(account_id: str, region: str, target: ScalableTarget) -> dict[str, Any]:
    """The event Application Auto Scaling sends when ``target`` scales out to its maximum."""
    return {
        "version": "0",
        "detail-type": "Application Auto Scaling Scaling Activity State Change",
        "source": "aws.application-autoscaling",
        "account": account_id,
        "region": region,
        "resources": [],
        "detail": {
            "newDesiredCapacity": target.max_capacity,
            "oldDesiredCapacity": target.min_capacity,
            "minCapacity": target.min_capacity,
            "maxCapacity": target.max_capacity,
            "resourceId": target.resource_id,
            "scalableDimension": target.scalable_dimension,
            "serviceNamespace": target.namespace,
            "statusCode": "Successful",
            "scaledToMax": True,
            "direction": "scale-out",
        },
    }


def _scaled_to_max_alerting(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    if not region.targets:
        return [_no_targets(check, account, region)]
    # One event per namespace in use: a rule filtering on serviceNamespace covers only its own,
    # and the namespaces may be split between rules.
    samples = _namespace_samples(region)
    matched: dict[str, list[str]] = {s.namespace: [] for s in samples}
    for rule in region.event_rules:
        if not _enabled(rule) or not _on_default_bus(rule) or rule.event_pattern is None:
            continue
        try:
            pattern = parse_pattern(rule.event_pattern)
        except PatternError:
            continue
        for sample in samples:
            if matches(pattern, scaled_to_max_event(account.account_id, region.region, sample)):
                matched[sample.namespace].append(rule.name)
    uncovered = [ns for ns, names in matched.items() if not names]
    rules = [] if uncovered else sorted({n for names in matched.values() for n in names})
    resource = f"{account.account_id}/{region.region}"
    if rules:
        return [
            check.finding(
                account,
                region.region,
                Status.PASS,
                resource,
                f"Rule(s) {', '.join(sorted(rules))} fire when a target scales to its maximum.",
                evidence={"rules": sorted(rules)},
            )
        ]
    return [
        check.finding(
            account,
            region.region,
            Status.FAIL,
            resource,
            "No enabled EventBridge rule fires when a scalable target of namespace(s) "
            f"{', '.join(uncovered)} reaches its maximum capacity.",
            evidence={"uncovered_namespaces": uncovered},
        )
    ]


def _config_recorder(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    if not region.targets:
        return [_no_targets(check, account, region)]
    recording = [r.name for r in region.config_recorders if r.recording]
    resource = f"{account.account_id}/{region.region}"
    evidence = {"recorders": {r.name: r.recording for r in region.config_recorders}}
    if recording:
        return [
            check.finding(
                account,
                region.region,
                Status.PASS,
                resource,
                f"AWS Config recorder {recording[0]} is recording.",
                evidence=evidence,
            )
        ]
    reason = "no recorder exists" if not region.config_recorders else "no recorder is recording"
    return [
        check.finding(
            account,
            region.region,
            Status.FAIL,
            resource,
            f"AWS Config is not recording in a region with scalable targets: {reason}.",
            evidence=evidence,
        )
    ]


def _securityhub(
    check: Check, account: AccountInventory, region: RegionInventory | None
) -> list[Finding]:
    assert region is not None
    if not region.targets:
        return [_no_targets(check, account, region)]
    resource = f"{account.account_id}/{region.region}"
    if region.securityhub_enabled is None:
        return [
            check.finding(
                account,
                region.region,
                Status.ERROR,
                resource,
                "Security Hub status is unknown.",
            )
        ]
    if region.securityhub_enabled:
        return [
            check.finding(account, region.region, Status.PASS, resource, "Security Hub is enabled.")
        ]
    return [
        check.finding(
            account,
            region.region,
            Status.FAIL,
            resource,
            "Security Hub is not enabled in a region with scalable targets.",
        )
    ]


CHECKS: tuple[Check, ...] = (
    Check(
        id="cloudtrail_multiregion_management_events",
        title="No multi-region trail records write management events",
        topic=TOPIC,
        severity=Severity.HIGH,
        description=(
            "No trail that is logging and multi-region records write management events, so "
            "Application Auto Scaling API calls are not all kept."
        ),
        risk=(
            "Without a record of RegisterScalableTarget, PutScalingPolicy or "
            "DeregisterScalableTarget calls nobody can tell who changed capacity, or when."
        ),
        remediation=(
            "Create (or fix) a multi-region trail that logs write management events and "
            "start logging."
        ),
        remediation_snippet=(
            "aws cloudtrail create-trail --name org-trail --s3-bucket-name my-trail-bucket "
            "--is-multi-region-trail --enable-log-file-validation && "
            "aws cloudtrail start-logging --name org-trail"
        ),
        kb_section="monitoring-cloudtrail#durable-audit-log",
        func=_multiregion,
        requires=(Source.TRAILS,),
        scope="account",
        # Security Hub CloudTrail.1 also demands read events, so it is not claimed here.
    ),
    Check(
        id="cloudtrail_log_file_validation",
        title="Trail without log file validation",
        topic=TOPIC,
        severity=Severity.MEDIUM,
        description="A trail does not create digest files to validate its log files.",
        risk="Altered or deleted log files, including scaling changes, cannot be detected.",
        remediation="Enable log file validation on every trail.",
        remediation_snippet=(
            "aws cloudtrail update-trail --name org-trail --enable-log-file-validation"
        ),
        kb_section="monitoring-cloudtrail#durable-audit-log",
        func=_log_validation,
        requires=(Source.TRAILS,),
        scope="account",
    ),
    Check(
        id="eventbridge_aas_destructive_alerting",
        title="No alert on destructive scaling calls",
        topic=TOPIC,
        severity=Severity.LOW,
        description=(
            "In a region with scalable targets, no enabled EventBridge rule on the default "
            "bus matches DeregisterScalableTarget, DeleteScalingPolicy or "
            "DeleteScheduledAction API calls (source aws.autoscaling, eventSource "
            "autoscaling.amazonaws.com, additionalEventData.service application-autoscaling)."
        ),
        risk=(
            "Scaling can be removed from a production service without anyone hearing about "
            "it until the next traffic peak."
        ),
        remediation=(
            "Create a rule on the default bus matching those calls and route it to your "
            "alerting (SNS, chat, incident tool)."
        ),
        remediation_snippet=(
            "aws events put-rule --name aas-destructive-calls --event-pattern "
            '\'{"source":["aws.autoscaling"],"detail-type":["AWS API Call via CloudTrail"],'
            '"detail":{"eventSource":["autoscaling.amazonaws.com"],"eventName":'
            '["DeregisterScalableTarget","DeleteScalingPolicy","DeleteScheduledAction"],'
            '"additionalEventData":{"service":["application-autoscaling"]}}}\''
        ),
        kb_section="monitoring-eventbridge#destructive-calls",
        func=_destructive_alerting,
        requires=(Source.SCALABLE_TARGETS, Source.EVENT_RULES),
    ),
    Check(
        id="eventbridge_aas_scaled_to_max_alerting",
        title="No alert when a target scales to its maximum",
        topic=TOPIC,
        severity=Severity.INFORMATIONAL,
        description=(
            "In a region with scalable targets, no enabled rule matches the Application Auto "
            "Scaling 'scaled to max' state-change event."
        ),
        risk=(
            "A target pinned at MaxCapacity cannot absorb more load; without an alert the "
            "first sign is degraded service."
        ),
        remediation="Create a rule for scaledToMax events and route it to your alerting.",
        remediation_snippet=(
            "aws events put-rule --name aas-scaled-to-max --event-pattern "
            '\'{"source":["aws.application-autoscaling"],"detail-type":["Application Auto '
            'Scaling Scaling Activity State Change"],"detail":{"scaledToMax":[true]}}\''
        ),
        kb_section="monitoring-eventbridge#max-capacity-alerts",
        func=_scaled_to_max_alerting,
        requires=(Source.SCALABLE_TARGETS, Source.EVENT_RULES),
    ),
    Check(
        id="config_recorder_enabled",
        title="AWS Config not recording",
        topic=TOPIC,
        severity=Severity.LOW,
        description="In a region with scalable targets, no AWS Config recorder is recording.",
        risk=(
            "Configuration history and the managed rule dynamodb-autoscaling-enabled are "
            "unavailable for the region."
        ),
        remediation="Create a configuration recorder and start it.",
        remediation_snippet="aws configservice start-configuration-recorder "
        "--configuration-recorder-name default",
        kb_section="compliance-validation#aws-config",
        func=_config_recorder,
        requires=(Source.SCALABLE_TARGETS, Source.CONFIG_RECORDERS),
    ),
    Check(
        id="securityhub_enabled",
        title="Security Hub not enabled",
        topic=TOPIC,
        severity=Severity.LOW,
        description="In a region with scalable targets, AWS Security Hub is not enabled.",
        risk=(
            "Control DynamoDB.1 and imported findings (including this tool's ASFF output) "
            "have nowhere to land in the region."
        ),
        remediation="Enable Security Hub in the region (ideally through the organization).",
        remediation_snippet="aws securityhub enable-security-hub --enable-default-standards",
        kb_section="compliance-validation#security-hub-control",
        func=_securityhub,
        requires=(Source.SCALABLE_TARGETS, Source.SECURITY_HUB),
    ),
)
