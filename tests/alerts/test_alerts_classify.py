"""The classifier, rule by rule, on CloudTrail-shaped events and their near misses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from alert_samples import (
    AAS_ALL,
    AAS_SCOPED,
    ACCOUNT,
    BENIGN,
    ECS_TARGET,
    RISKY,
    aas_event,
    ec2_event,
    heavy_policy,
    iam_event,
    policy,
    scaled_to_max,
    url_encoded,
)

from scalewarden.alerts import RULES, AlertContext, TargetRef, classify, handled
from scalewarden.checks.model import Severity
from scalewarden.checks.registry import get_check


def test_every_rule_has_a_sample_and_names_an_existing_check() -> None:
    assert {rule_id for rule_id, _ in RISKY} == {rule.id for rule in RULES}
    assert len({rule.id for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert get_check(rule.check_id).kb_article


@pytest.mark.parametrize(("rule_id", "event"), RISKY, ids=[r for r, _ in RISKY])
def test_each_risky_event_alerts_with_its_rule_and_check(rule_id: str, event: Any) -> None:
    alert = classify(event)
    assert alert is not None
    assert alert.rule_id == rule_id
    rule = next(r for r in RULES if r.id == rule_id)
    check = get_check(rule.check_id)
    assert (alert.check_id, alert.kb_article) == (check.id, check.kb_article)
    assert alert.account == ACCOUNT and alert.region == event["region"]
    assert alert.event_id == event["id"]
    assert alert.summary and alert.when
    json.dumps(alert.to_dict())  # serialisable as it is


@pytest.mark.parametrize(("label", "event"), BENIGN, ids=[label for label, _ in BENIGN])
def test_near_misses_do_not_alert(label: str, event: Any) -> None:
    assert classify(event) is None, label


def test_the_guide_sample_names_the_user_and_its_source() -> None:
    event = aas_event("DeregisterScalableTarget", dict(ECS_TARGET))
    alert = classify(event)
    assert alert is not None and alert.who is not None
    assert alert.who.name == "Bob"
    assert alert.who.arn == f"arn:aws:iam::{ACCOUNT}:user/Bob"
    assert alert.who.source == "AWS Internal"
    assert alert.resource == "ecs service/prod-cluster/api ecs:service:DesiredCount"
    assert alert.severity is get_check("eventbridge_aas_destructive_alerting").severity


def test_an_assumed_role_is_shown_by_role_name_with_the_source_ip() -> None:
    alert = classify(dict(RISKY)["cloudtrail-logging-stopped"])
    assert alert is not None and alert.who is not None
    assert alert.who.name == "deploy-pipeline"
    assert alert.who.source == "203.0.113.45"
    assert alert.severity is Severity.HIGH
    assert alert.changes[0].field == "logging" and alert.changes[0].after == "off"


def test_a_service_calling_on_behalf_is_named() -> None:
    event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu"})
    event["detail"]["userIdentity"] = {
        "type": "AWSService",
        "invokedBy": "cloudformation.amazonaws.com",
    }
    alert = classify(event)
    assert alert is not None and alert.who is not None
    assert alert.who.name == "cloudformation.amazonaws.com"
    assert alert.who.source == "cloudformation.amazonaws.com"


def test_one_event_breaking_several_rules_is_one_alert_naming_the_others() -> None:
    params = {
        **ECS_TARGET,
        "minCapacity": 1,
        "maxCapacity": 1,
        "suspendedState": {"ScheduledScalingSuspended": True},
    }
    alert = classify(aas_event("RegisterScalableTarget", params))
    assert alert is not None
    assert alert.rule_id == "aas-scaling-suspended"  # medium beats the two low ones
    assert set(alert.also) == {"aas-capacity-pinned", "aas-single-instance-minimum"}
    assert {c.field for c in alert.changes} == {"scheduled scaling"}


def test_pinned_capacity_shows_min_and_max() -> None:
    alert = classify(dict(RISKY)["aas-capacity-pinned"])
    assert alert is not None
    assert [(c.field, c.after) for c in alert.changes] == [
        ("min capacity", "6"),
        ("max capacity", "6"),
    ]


# --- protection tag ---------------------------------------------------------------------


def test_tags_in_the_register_call_raise_the_severity_one_level() -> None:
    params = {
        **ECS_TARGET,
        "minCapacity": 4,
        "maxCapacity": 4,
        "tags": {"environment": "Production", "team": "api"},
    }
    alert = classify(aas_event("RegisterScalableTarget", params))
    assert alert is not None
    assert alert.severity is Severity.MEDIUM  # target_fixed_capacity is low
    assert "protection tag" in alert.severity_note


def test_the_tag_lookup_decides_when_the_event_has_no_tags() -> None:
    seen: list[TargetRef] = []

    def tags_of(target: TargetRef) -> dict[str, str]:
        seen.append(target)
        return {"environment": "production"} if target.resource_id.endswith("/api") else {}

    context = AlertContext(target_tags=tags_of)
    raised = classify(aas_event("DeregisterScalableTarget", dict(ECS_TARGET)), context)
    other = {**ECS_TARGET, "resourceId": "service/dev-cluster/worker"}
    plain = classify(aas_event("DeregisterScalableTarget", other), context)
    assert raised is not None and plain is not None
    assert raised.severity is Severity.MEDIUM and plain.severity is Severity.LOW
    assert seen[0] == TargetRef(
        ACCOUNT, "us-west-2", "ecs", "service/prod-cluster/api", "ecs:service:DesiredCount"
    )


def test_a_configured_protection_tag_replaces_the_default() -> None:
    context = AlertContext(protection_tags=(("tier", "critical"),))
    params = {**ECS_TARGET, "minCapacity": 3, "maxCapacity": 3, "tags": {"tier": "critical"}}
    alert = classify(aas_event("RegisterScalableTarget", params), context)
    assert alert is not None and alert.severity is Severity.MEDIUM
    untag = aas_event("UntagResource", {"resourceARN": "arn:x", "tagKeys": ["environment"]})
    assert classify(untag, context) is None
    untag["detail"]["requestParameters"]["tagKeys"] = ["owner", "tier"]
    alert = classify(untag, context)
    assert alert is not None and alert.summary == "Protection tag removed: tier."


def test_setting_the_protection_tag_key_alerts_with_the_new_value() -> None:
    event = aas_event(
        "TagResource",
        {
            "resourceARN": "arn:aws:application-autoscaling:us-west-2:"
            f"{ACCOUNT}:scalable-target/0e9b",
            "tags": {"environment": "staging", "team": "x"},
        },
    )
    alert = classify(event)
    assert alert is not None and alert.rule_id == "aas-protection-tag-changed"
    assert [(c.field, c.after) for c in alert.changes] == [("tag environment", "staging")]
    assert alert.severity is Severity.LOW  # not known to be protected


# --- failures and the root user -----------------------------------------------------------


def test_access_denied_on_a_write_alerts_but_other_failures_do_not() -> None:
    denied = aas_event(
        "RegisterScalableTarget", dict(ECS_TARGET), errorCode="AccessDeniedException"
    )
    alert = classify(denied)
    assert alert is not None and alert.rule_id == "aas-access-denied"
    assert "AccessDeniedException" in alert.summary
    # A denied call changed nothing: the capacity rules stay quiet even when it pinned.
    denied["detail"]["requestParameters"].update(minCapacity=1, maxCapacity=1)
    assert classify(denied).rule_id == "aas-access-denied"  # type: ignore[union-attr]


def test_probing_is_medium_so_a_min_medium_channel_sees_it_and_production_raises_it() -> None:
    denied = aas_event(
        "RegisterScalableTarget", dict(ECS_TARGET), errorCode="AccessDeniedException"
    )
    alert = classify(denied)
    assert alert is not None and alert.severity is Severity.MEDIUM
    assert get_check("iam_principal_aas_write_access").severity is Severity.INFORMATIONAL
    assert "at least medium" in alert.severity_note
    denied["detail"]["requestParameters"]["tags"] = {"environment": "Production"}
    raised = classify(denied)
    assert raised is not None and raised.severity is Severity.HIGH


def test_root_writes_alert_even_when_they_fail() -> None:
    event = dict(RISKY)["aas-root-call"]
    alert = classify(event)
    assert alert is not None and alert.who is not None and alert.who.name == "root"
    assert alert.severity is Severity.HIGH
    failed = copy.deepcopy(event)
    failed["detail"]["errorCode"] = "ValidationException"
    alert = classify(failed)
    assert alert is not None and "(it failed)" in alert.summary


# --- IAM ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [url_encoded(policy(AAS_ALL)), json.dumps(policy(AAS_ALL)), policy(AAS_ALL)],
    ids=["url-encoded", "json-string", "object"],
)
@pytest.mark.parametrize(
    "call",
    ["CreatePolicy", "CreatePolicyVersion", "PutRolePolicy", "PutUserPolicy", "PutGroupPolicy"],
)
def test_policies_granting_unrestricted_writes_alert_in_every_form(
    call: str, document: Any
) -> None:
    params = {
        "policyName": "ops",
        "policyDocument": document,
        "roleName": "app",
        "setAsDefault": True,
    }
    alert = classify(iam_event(call, params))
    assert alert is not None and alert.rule_id == "iam-policy-grants-aas-writes"
    assert alert.severity is get_check("iam_policy_aas_write_unrestricted").severity
    assert "RegisterScalableTarget" in alert.summary


def test_the_evaluator_decides_not_a_string_search() -> None:
    denied = policy(
        AAS_ALL, {"Effect": "Deny", "Action": "application-autoscaling:*", "Resource": "*"}
    )
    wildcard = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    other = policy(
        {
            "Effect": "Allow",
            "Action": "application-autoscaling:*",
            "Resource": "arn:aws:application-autoscaling:*:999999999999:scalable-target/*",
        }
    )
    assert (
        classify(iam_event("CreatePolicy", {"policyName": "d", "policyDocument": denied})) is None
    )
    assert classify(iam_event("CreatePolicy", {"policyName": "o", "policyDocument": other})) is None
    alert = classify(iam_event("CreatePolicy", {"policyName": "w", "policyDocument": wildcard}))
    assert alert is not None and alert.rule_id == "iam-policy-grants-aas-writes"


def test_a_policy_the_evaluator_cannot_finish_is_an_alert_saying_so() -> None:
    document = json.dumps(heavy_policy())
    assert len(document) < 256 * 1024  # fits in an event
    alert = classify(
        iam_event(
            "PutUserPolicy", {"userName": "eve", "policyName": "x", "policyDocument": document}
        )
    )
    assert alert is not None and alert.rule_id == "iam-policy-grants-aas-writes"
    assert "could not be evaluated" in alert.summary and "more work" in alert.summary
    assert alert.severity is Severity.HIGH


@pytest.mark.parametrize("document", ["%7Bnot json", '{"Statement": 5}', "x" * 300_000, 42])
def test_an_unreadable_policy_is_an_alert_not_silence(document: Any) -> None:
    alert = classify(iam_event("CreatePolicy", {"policyName": "odd", "policyDocument": document}))
    assert alert is not None and "could not be evaluated" in alert.summary


def test_a_failed_iam_call_granted_nothing() -> None:
    event = iam_event("CreatePolicy", {"policyName": "ops", "policyDocument": policy(AAS_ALL)})
    event["detail"]["errorCode"] = "MalformedPolicyDocumentException"
    assert classify(event) is None
    scoped = iam_event(
        "PutGroupPolicy",
        {"groupName": "g", "policyName": "p", "policyDocument": url_encoded(policy(AAS_SCOPED))},
    )
    assert classify(scoped) is None


# --- endpoints ----------------------------------------------------------------------------


def _services(mapping: dict[str, str]) -> Any:
    return lambda account, region, endpoint_id: mapping.get(endpoint_id)


def test_an_aas_endpoint_known_by_the_lookup_alerts_at_the_check_severity() -> None:
    event = dict(RISKY)["vpce-aas-endpoint-changed"]
    aas = "com.amazonaws.eu-west-1.application-autoscaling"
    alert = classify(
        event, AlertContext(endpoint_service=_services({"vpce-0a1b2c3d4e5f60718": aas}))
    )
    assert alert is not None and alert.severity is get_check("vpc_endpoint_aas_missing").severity
    assert alert.resource == "vpce-0a1b2c3d4e5f60718"
    s3 = "com.amazonaws.eu-west-1.s3"
    other = AlertContext(endpoint_service=_services({"vpce-0a1b2c3d4e5f60718": s3}))
    assert classify(event, other) is None


def test_an_endpoint_of_unknown_service_is_one_level_lower() -> None:
    event = ec2_event(
        "ModifyVpcEndpoint",
        {
            "ModifyVpcEndpointRequest": {
                "VpcEndpointId": "vpce-0fedcba9876543210",
                "ResetPolicy": True,
            }
        },
    )
    alert = classify(event)
    assert alert is not None
    assert "an endpoint, service unknown" in alert.summary.lower()
    assert alert.severity.rank == get_check("vpc_endpoint_aas_missing").severity.rank - 1


# --- state changes and kinds ----------------------------------------------------------------


def test_scaled_to_max_is_informational_with_before_and_after() -> None:
    alert = classify(scaled_to_max())
    assert alert is not None and alert.severity is Severity.INFORMATIONAL
    assert alert.who is None
    assert [(c.field, c.before, c.after) for c in alert.changes] == [("desired capacity", "5", "8")]
    assert alert.resource == "dynamodb table/my-table dynamodb:table:WriteCapacityUnits"


def test_handled_tells_known_kinds_from_others() -> None:
    assert handled(scaled_to_max(False)) and handled(dict(BENIGN)["read"])
    other = {
        **scaled_to_max(),
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
    }
    assert not handled(other) and not handled([1]) and classify(other) is None


def test_the_prefilter_never_changes_what_the_full_matcher_decides() -> None:
    """Every sample and near-miss, and odd values the prefilter must leave to the matcher."""
    from scalewarden.alerts.classify import _may_match
    from scalewarden.checks.lib.event_pattern import matches

    events = [e for _, e in RISKY] + [e for _, e in BENIGN]
    odd = copy.deepcopy(dict(RISKY)["aas-scaling-suspended"])
    odd["detail"]["eventName"] = ["RegisterScalableTarget"]
    events.append(odd)
    for event in events:
        kind = (event.get("source"), event.get("detail-type"), event["detail"].get("eventName"))
        for rule in RULES:
            if matches(rule.pattern, event):
                assert _may_match(rule.prefilter, kind), (rule.id, event["detail"].get("eventName"))
