"""Questions people asked that the knowledge base once could not answer, and the "why does this
matter, how do I fix it" question of every scan check, are answered from the section that
covers them (top-1, not declined)."""

from __future__ import annotations

from functools import cache

import pytest

from scalewarden.checks.model import Check
from scalewarden.checks.registry import all_checks
from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.corpus import load_corpus
from scalewarden.knowledge.index import SearchIndex
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

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
        (
            "Is there a Security Hub control or AWS Config rule for Application "
            "Auto Scaling (DynamoDB tables without capacity auto scaling)?"
        ),
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
    return Engine(SearchIndex.build(load_corpus(DEFAULT_KNOWLEDGE_DIR)))


@pytest.mark.parametrize(("question", "article", "section"), COVERAGE, ids=[c[0] for c in COVERAGE])
def test_coverage_question_is_answered_from_its_section(
    question: str, article: str, section: str
) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered, question
    best = answer.results[0]
    assert (best.article_id, best.section) == (article, section)


#: The section of its ``kb_article`` that answers "why does this matter, and how do I fix it?"
#: for each check. Slack's remediation card finds it by the check's title.
CHECK_SECTIONS = {
    "iam_policy_aas_write_unrestricted": (
        "Why is a policy that allows unrestricted Application Auto Scaling "
        "writes a risk, and how do I fix it?"
    ),
    "iam_principal_aas_write_access": (
        "Who can change scaling in my account, and how do I review that access?"
    ),
    "iam_create_slr_unscoped": (
        "What permissions does a user need to create the service-linked role, "
        "and why limit them with a service condition?"
    ),
    "slr_missing_for_namespace": "Which service-linked role does each service namespace use?",
    "slr_unused": "How do I delete a service-linked role, and what happens if someone does?",
    "vpc_endpoint_aas_missing": (
        "Can I call the Application Auto Scaling API privately from a VPC (PrivateLink)?"
    ),
    "vpc_endpoint_aas_policy_full_access": (
        "Why replace the endpoint's default full-access policy, and with what?"
    ),
    "vpc_endpoint_aas_private_dns_disabled": (
        "How does private DNS work for the Application Auto Scaling endpoint?"
    ),
    "vpc_endpoint_aas_sg_open": (
        "Why should the endpoint's security group not be open to the internet, and how do I fix it?"
    ),
    "cloudtrail_multiregion_management_events": (
        "How do I keep a durable audit log of scaling changes?"
    ),
    "cloudtrail_log_file_validation": "How do I keep a durable audit log of scaling changes?",
    "eventbridge_aas_destructive_alerting": (
        "Why alert on destructive scaling calls, and how do I alert when "
        "someone deletes a scaling policy or deregisters a target?"
    ),
    "eventbridge_aas_scaled_to_max_alerting": (
        "How do I get alerted when a scalable target hits its max capacity?"
    ),
    "config_recorder_enabled": "Does AWS Config record Application Auto Scaling resources?",
    "securityhub_enabled": (
        "Is there a Security Hub control or AWS Config rule for Application "
        "Auto Scaling (DynamoDB tables without capacity auto scaling)?"
    ),
    "target_scaling_suspended": "What does suspended scaling mean, and how do I resume it?",
    "target_fixed_capacity": (
        "Why does a target with fixed capacity, or with no scaling policy or schedule, matter?"
    ),
    "target_without_scaling_policy": (
        "Why does a target with fixed capacity, or with no scaling policy or schedule, matter?"
    ),
    "target_single_instance_minimum": (
        "Why does a minimum capacity of one matter, and how do I fix it?"
    ),
    "scaling_policy_alarms_missing": "What happens when a scaling policy's alarms are missing?",
    "scaling_activity_failures": (
        "Does AWS Health tell me when Application Auto Scaling fails to scale?"
    ),
    "dynamodb_table_autoscaling_enabled": (
        "Is there a Security Hub control or AWS Config rule for Application "
        "Auto Scaling (DynamoDB tables without capacity auto scaling)?"
    ),
    "sensitive_data_in_scaling_names": (
        "Can I put sensitive data in tags or names of scaling resources?"
    ),
    "custom_resource_url_credentials": (
        "How do I secure the API Gateway endpoint behind a custom resource target?"
    ),
}


def test_every_check_names_its_why_and_fix_section() -> None:
    assert set(CHECK_SECTIONS) == {c.id for c in all_checks()}


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_a_check_title_is_answered_by_its_why_and_fix_section(check: Check) -> None:
    answer = engine().answer(check.title.lower(), 3)
    assert answer.answered, check.title
    best = answer.results[0]
    assert (best.article_id, best.section) == (check.kb_article, CHECK_SECTIONS[check.id])


#: (question, article, section, the fact the reply must carry): questions that name the fact
#: they want get the section holding it, and a snippet that states it.
NAMED_FACTS = [
    (
        "name of the DynamoDB service-linked role",
        "service-linked-roles",
        "Which service-linked role does each service namespace use?",
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "what is the endpoint service name",
        "vpc-endpoints",
        "What is the VPC endpoint service name, and how do I create the endpoint?",
        "com.amazonaws.<region>.application-autoscaling",
    ),
    (
        "vpce service name",
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
        "`AWSServiceRoleForApplicationAutoScaling_KafkaCluster`",
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


#: (question, article, section): the everyday word for what the AWS pages name otherwise
#: (limits for quotas, an outage for impairment, prod for production, deny for protect).
EVERYDAY_WORDS = [
    (
        "app autoscaling service limits",
        "resilience",
        "What are the Application Auto Scaling service quotas?",
    ),
    (
        "deny changes to prod scalable targets",
        "tagging-abac",
        "How do I stop people changing, suspending or deleting scaling on production targets?",
    ),
    (
        "what happens to our tables during a cloudwatch outage",
        "resilience",
        "What happens to capacity when Application Auto Scaling or CloudWatch is impaired?",
    ),
    (
        "how long is scaling activity retention",
        "resilience",
        "How long does Application Auto Scaling keep scaling activity history?",
    ),
    # IAM's word for an API call is an action; read-only access means the Describe calls
    (
        "which api calls can i scope by resource in iam",
        "iam-how-aas-works-with-iam",
        "Which actions support resource-level permissions and aws:ResourceTag?",
    ),
    (
        "read only iam policy for the autoscaling team",
        "iam-policy-examples",
        "Policy example: read-only access to Application Auto Scaling",
    ),
]


@pytest.mark.parametrize(
    "question",
    [
        "read only replica for rds postgres",
        "make an s3 bucket read only",
        "rate limit on our api calls to stripe",
    ],
)
def test_the_everyday_words_do_not_make_an_off_topic_question_answerable(question: str) -> None:
    assert not engine().answer(question, 3).answered


@pytest.mark.parametrize(
    ("question", "article", "section"), EVERYDAY_WORDS, ids=[c[0] for c in EVERYDAY_WORDS]
)
def test_everyday_words_find_the_section_that_uses_the_aws_word(
    question: str, article: str, section: str
) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered, question
    first = answer.results[0]
    assert (first.article_id, first.section) == (article, section)


@pytest.mark.parametrize(
    "question",
    [
        "workspaces applications namespace",
        "what namespace does WorkSpaces Applications use",
        "workspaces applications fleet autoscaling",
    ],
)
def test_workspaces_applications_is_answered_as_appstream(question: str) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered
    assert answer.results[0].section_id == "service-integrations#amazon-appstream-2-0-appstream"


@pytest.mark.parametrize(
    "question",
    [
        "can aas scale opensearch",
        "memorydb autoscaling",
        "scale documentdb replicas",
    ],
)
def test_aws_products_aas_does_not_scale_are_declined(question: str) -> None:
    """None of these services is an AAS namespace; an answer about open security groups,
    memory metrics or Aurora replicas is a wrong answer where a decline is right."""
    assert not engine().answer(question, 3).answered


@pytest.mark.parametrize(
    "question",
    [
        "is aas free",
        "cost of application auto scaling",
        "security group for rds",
    ],
)
def test_questions_no_section_covers_are_declined(question: str) -> None:
    assert not engine().answer(question, 3).answered


@pytest.mark.parametrize(
    "question",
    [
        # scaling a product AAS does not scale, asked in its scaling words
        "which namespace is kinesis streams",
        "memorydb cluster scalable dimension",
        # only the service's name and a generic word
        "is application auto scaling free to use",
        "what does aas cost",
        # another service's security group
        "security group rules for neptune",
    ],
)
def test_near_misses_of_each_class_are_declined(question: str) -> None:
    assert not engine().answer(question, 3).answered


@pytest.mark.parametrize(
    ("question", "section_id"),
    [
        # another product as the context of a topic the articles cover
        (
            "exclude aas validation probes from our guardduty/cloudtrail alert rule",
            "iam-permission-validation#how-do-i-filter-application-auto-scaling-validation-probes-out-of-cloudtrail-alerts",
        ),
        # the service's name and a generic word that is the section's subject
        (
            "how do i use application auto scaling",
            "getting-set-up#how-do-i-set-up-an-aws-account-to-use-application-auto-scaling",
        ),
        # an identifier only a section's body holds is the question's subject
        (
            "dynamicscalinginsuspended true, how do i turn scaling back on",
            "resilience#suspended-scaling",
        ),
        # a kind of resource ("tables") names no service
        (
            "what happens to our tables during a cloudwatch outage",
            "resilience#what-happens-to-capacity-when-application-auto-scaling-or-cloudwatch-is-impaired",
        ),
    ],
)
def test_questions_beside_those_classes_keep_their_answer(question: str, section_id: str) -> None:
    answer = engine().answer(question, 3)
    assert answer.answered, question
    assert answer.results[0].section_id == section_id
