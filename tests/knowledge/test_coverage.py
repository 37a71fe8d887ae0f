"""Questions people asked that the knowledge base once could not answer, and the "why does this
matter, how do I fix it" question of every scan check, are answered from the section that
covers them (top-1, not declined)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from scalewarden.checks.registry import all_checks
from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.corpus import load_corpus
from scalewarden.knowledge.index import SearchIndex

ROOT = Path(__file__).resolve().parents[2]

#: (question, article, section): one per point of the coverage list.
COVERAGE = [
    (
        "does app autoscaling encrypt its config at rest with kms",
        "data-protection",
        "Is Application Auto Scaling data encrypted at rest, and can I use my own KMS key?",
    ),
    (
        "ipv6 dual-stack endpoint for application auto scaling",
        "data-protection",
        "Does Application Auto Scaling have dual-stack (IPv6) endpoints?",
    ),
    (
        "fips endpoint for the application autoscaling api",
        "data-protection",
        "Does Application Auto Scaling support FIPS endpoints?",
    ),
    (
        "secure the api gateway endpoint of a custom resource scalable target",
        "data-protection",
        "How do I secure the API Gateway endpoint behind a custom resource target?",
    ),
    (
        "which aas actions support resource-level permissions",
        "iam-how-aas-works-with-iam",
        "Which actions support resource-level permissions and aws:ResourceTag?",
    ),
    (
        "stop someone suspending scaling or changing min max on production",
        "tagging-abac",
        "How do I stop people changing, suspending or deleting scaling on production targets?",
    ),
    (
        "scp that protects auto scaling across the organization",
        "iam-policy-examples",
        "How do I protect scaling across an organization with an SCP or permissions boundary?",
    ),
    (
        "permissions for predictive scaling",
        "iam-policy-examples",
        "Which permissions does predictive scaling need?",
    ),
    (
        "restrict the vpc endpoint to our organization with aws:PrincipalOrgID",
        "vpc-endpoints",
        "How do I restrict the endpoint to my organization's principals (aws:PrincipalOrgID)?",
    ),
    (
        "which availability zones offer the aas interface endpoint",
        "vpc-endpoints",
        "In which Regions and Availability Zones is the endpoint available?",
    ),
    (
        "centralized vpc endpoint shared by many vpcs",
        "vpc-endpoints",
        "Does each VPC need its own Application Auto Scaling endpoint?",
    ),
    (
        "require calls to come through the vpc endpoint with aws:SourceVpce",
        "vpc-endpoints",
        "How do I force Application Auto Scaling calls through the VPC endpoint (aws:SourceVpce)?",
    ),
    (
        "which compliance programs is application auto scaling in scope for",
        "compliance-validation",
        "Which compliance programs cover Application Auto Scaling?",
    ),
    (
        "does aws config record scalable targets",
        "compliance-validation",
        "Does AWS Config record Application Auto Scaling resources?",
    ),
    (
        "security hub controls for auto scaling",
        "compliance-validation",
        "Is there a Security Hub control or AWS Config rule for Application Auto Scaling?",
    ),
    (
        "application auto scaling service quotas",
        "resilience",
        "What are the Application Auto Scaling service quotas?",
    ),
    (
        "what happens to capacity if cloudwatch is impaired",
        "resilience",
        "What happens to capacity when Application Auto Scaling or CloudWatch is impaired?",
    ),
    (
        "application auto scaling in govcloud",
        "resilience",
        "How does Application Auto Scaling differ in AWS GovCloud (US)?",
    ),
    (
        "how long is scaling activity history kept",
        "resilience",
        "How long does Application Auto Scaling keep scaling activity history?",
    ),
    (
        "are read-only describe calls logged by cloudtrail",
        "monitoring-cloudtrail",
        "Does CloudTrail log Describe (read-only) calls to Application Auto Scaling?",
    ),
]


@cache
def engine() -> Engine:
    return Engine(SearchIndex.build(load_corpus(ROOT / "knowledge")))


@pytest.mark.parametrize(("question", "article", "section"), COVERAGE, ids=[c[0] for c in COVERAGE])
def test_coverage_question_is_answered_from_its_section(
    question: str, article: str, section: str
) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered, question
    best = answer.results[0]
    assert (best.article_id, best.section) == (article, section)


#: Checks whose finding title does not yet lead to their own article: the "why and how to fix"
#: of these is written in another article or not at all. The list may only shrink.
KNOWN_GAPS = {
    "iam_policy_aas_write_unrestricted",
    "iam_principal_aas_write_access",
    "iam_create_slr_unscoped",
    "vpc_endpoint_aas_policy_full_access",
    "eventbridge_aas_destructive_alerting",
    "target_without_scaling_policy",
    "dynamodb_table_autoscaling_enabled",
}


def answers_from_its_article(title: str, kb_article: str) -> bool:
    """A finding title pasted as a question is answered from the check's ``kb_article``."""
    answer = engine().answer(title.lower(), 3)
    return answer.answered and answer.results[0].article_id == kb_article


def test_every_check_title_leads_to_its_article_except_the_named_gaps() -> None:
    missing = {c.id for c in all_checks() if not answers_from_its_article(c.title, c.kb_article)}
    assert missing == KNOWN_GAPS


#: (question, article, section, the fact the reply must carry): questions that name the fact
#: they want get the section holding it, and a snippet that states it.
NAMED_FACTS = [
    (
        "name of the DynamoDB service-linked role",
        "service-integrations",
        "Amazon DynamoDB (dynamodb)",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "what is the endpoint service name",
        "vpc-endpoints",
        "What is the VPC endpoint service name, and how do I create the endpoint?",
        "com.amazonaws.<region>.application-autoscaling",
    ),
    (
        "what happens if someone deletes the ECS service-linked role",
        "service-linked-roles",
        "How do I delete a service-linked role, and what happens if someone does?",
        "AAS creates the role again",
    ),
    (
        "which slr does the kafka namespace use",
        "service-linked-roles",
        "Which service-linked role does each service namespace use?",
        "`_KafkaCluster`",
    ),
]


@pytest.mark.parametrize(("question", "article", "section", "fact"), NAMED_FACTS)
def test_a_question_naming_a_fact_gets_the_fact(
    question: str, article: str, section: str, fact: str
) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered
    best = answer.results[0]
    assert (best.article_id, best.section) == (article, section)
    assert fact in best.snippet
    assert "arn:aws:iam::" not in best.snippet  # the ARN template is not the name


def test_a_named_row_comes_without_the_rows_nobody_asked_for() -> None:
    snippet = engine().answer("which slr does the kafka namespace use", 3).results[0].snippet
    assert "_ECSService" not in snippet and "_DynamoDBTable" not in snippet
