"""The corrections of the shipped articles stay corrected.

Each test pins one fact that a review found wrong or missing: the policies people copy, the
API names shared with EC2 Auto Scaling (checked against botocore's own models), and the dates
and names that changed after the 2023 guide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache

import botocore.session

from scalewarden.knowledge.corpus import Section, load_corpus
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

#: Actions that only read: a read-only policy may grant nothing else.
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$")


@cache
def sections() -> dict[tuple[str, str], Section]:
    return {(s.article_id, s.heading): s for s in load_corpus(DEFAULT_KNOWLEDGE_DIR).sections}


def body(article: str, heading: str) -> str:
    return sections()[(article, heading)].body


def article_text(article: str) -> str:
    return "\n".join(s.body for (a, _), s in sections().items() if a == article)


def json_blocks(text: str) -> Iterator[dict[str, object]]:
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.S):
        yield json.loads(block)


def statements(text: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for doc in json_blocks(text):
        value = doc.get("Statement", [])
        found.extend(value if isinstance(value, list) else [value])
    return found


def actions(statement: dict[str, object]) -> set[str]:
    value = statement.get("Action", [])
    return {value} if isinstance(value, str) else set(value)  # type: ignore[arg-type]


def operations(service: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return set(model.operation_names)


PRODUCTION = "How do I stop people changing, suspending or deleting scaling on production targets?"


def test_production_deny_covers_every_call_that_weakens_scaling_and_the_tag() -> None:
    denies = [s for s in statements(body("tagging-abac", PRODUCTION)) if s["Effect"] == "Deny"]
    denied = set().union(*(actions(s) for s in denies))
    for call in (
        "RegisterScalableTarget",
        "PutScalingPolicy",
        "PutScheduledAction",
        "DeregisterScalableTarget",
        "DeleteScalingPolicy",
        "DeleteScheduledAction",
        "TagResource",
        "UntagResource",
    ):
        assert f"application-autoscaling:{call}" in denied, call
    tag_rule = next(s for s in denies if "application-autoscaling:TagResource" in actions(s))
    assert "environment" in json.dumps(tag_rule["Condition"])
    assert "SuspendedState" in body("tagging-abac", PRODUCTION)


def test_tag_deny_is_said_to_cover_tags_given_at_registration() -> None:
    text = body(
        "tagging-abac", "How do I control who can add, change or remove tags on scalable targets?"
    )
    assert "not covered" not in text
    assert "dependent action of `RegisterScalableTarget`" in text


def test_dynamodb_only_policy_grants_what_aas_checks() -> None:
    text = body(
        "iam-how-aas-works-with-iam",
        "Which condition keys can I use in Application Auto Scaling policies?",
    )
    granted = set().union(*(actions(s) for s in statements(text)))
    assert {
        "dynamodb:DescribeTable",
        "dynamodb:UpdateTable",
        "cloudwatch:PutMetricAlarm",
    } <= granted
    slr = next(s for s in statements(text) if "iam:CreateServiceLinkedRole" in actions(s))
    assert str(slr["Resource"]).endswith("AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
    assert "iam:AWSServiceName" in json.dumps(slr["Condition"])


def test_console_section_shows_a_truly_read_only_policy() -> None:
    text = body(
        "iam-policy-examples",
        "What extra permissions are needed to configure scaling in the AWS console?",
    )
    read_only = [s for s in statements(text) if s.get("Sid") == "ReadOnlySpotFleetScalingConsole"]
    assert read_only, "the read-only variant is missing"
    assert all(READ_ONLY.match(a) for a in actions(read_only[0])), actions(read_only[0])
    assert "cloudwatch:PutMetricAlarm" in text and "only makes the AAS part" in text


def test_vpc_endpoints_allow_central_endpoints_and_show_how_to_force_them() -> None:
    text = article_text("vpc-endpoints")
    assert "each VPC that needs private access gets its own" not in text
    assert "Route 53 Resolver" in body(
        "vpc-endpoints", "Does each VPC need its own Application Auto Scaling endpoint?"
    )
    force = body(
        "vpc-endpoints",
        "How do I force Application Auto Scaling calls through the VPC endpoint (aws:SourceVpce)?",
    )
    assert any("aws:SourceVpce" in json.dumps(s.get("Condition")) for s in statements(force))
    org = body(
        "vpc-endpoints",
        "How do I restrict the endpoint to my organization's principals (aws:PrincipalOrgID)?",
    )
    assert any("aws:PrincipalOrgID" in json.dumps(s.get("Condition")) for s in statements(org))
    assert "the 2023 user guide recommends it" in article_text("vpc-endpoints")


def test_every_api_name_shared_with_ec2_auto_scaling_is_named() -> None:
    shared = operations("autoscaling") & operations("application-autoscaling")
    assert len(shared) == 5  # the review's count, from botocore's own models
    for article, heading in (
        (
            "monitoring-cloudtrail",
            "How do I find Application Auto Scaling API calls in CloudTrail?",
        ),
        (
            "monitoring-eventbridge",
            "Which events does Application Auto Scaling send to EventBridge?",
        ),
    ):
        text = body(article, heading)
        assert all(f"`{name}`" in text for name in shared), (article, shared)


def test_tag_calls_are_suggested_for_alerts_and_read_events_are_explained() -> None:
    alert = body(
        "monitoring-eventbridge",
        (
            "Why alert on destructive scaling calls, and how do I alert when "
            "someone deletes a scaling policy or deregisters a target?"
        ),
    )
    assert "`TagResource`/`UntagResource`" in alert
    reads = body(
        "monitoring-cloudtrail",
        "Does CloudTrail log Describe (read-only) calls to Application Auto Scaling?",
    )
    assert "read events" in reads and "Write only" in reads


def test_managed_policy_changes_carry_dates_and_emr_predates_2023() -> None:
    text = body(
        "iam-managed-policies",
        "How have the Application Auto Scaling managed policies changed over time?",
    )
    assert "no dates" not in text
    assert "13 November 2023" in text and "26 October 2017" in text
    assert re.search(r"EMR .*predates the 2023 guide", text)


def test_ecs_predictive_scaling_matches_botocore() -> None:
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    assert "PredictiveScaling" in model.shape_for("PolicyType").enum
    ecs = body("service-integrations", "Amazon ECS (ecs)")
    assert "`PredictiveScaling`" in ecs and "predictive scaling" in ecs


def test_appstream_new_name_keeps_its_namespace() -> None:
    section = sections()[("service-integrations", "Amazon AppStream 2.0 (appstream)")]
    assert "Amazon WorkSpaces Applications" in section.body
    assert "namespace `appstream`, not\n`workspaces`" in section.body
    articles = {a.id: a for a in load_corpus(DEFAULT_KNOWLEDGE_DIR).articles}
    assert "WorkSpaces Applications" in articles["service-integrations"].aliases


def test_smaller_points() -> None:
    assert "name roles differently" not in article_text("service-linked-roles")
    assert "other write calls" in article_text("iam-permission-validation")
    alarms = article_text("monitoring-alarm-notifications")
    assert "metric-math expression" in alarms and "composite alarm" in alarms
    policies = article_text("iam-managed-policies")
    assert "`ecs:UpdateService` on `*` is broader than scaling" in policies
    assert "`dynamodb:UpdateTable` is the action that changes provisioned capacity, but" in policies
