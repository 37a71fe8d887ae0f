"""The question-intent cues: what a person needs versus what a role is allowed, and the named
fact a question asks for (a role's name, an ARN, a trust principal, deletion, a service name)."""

from __future__ import annotations

import pytest

from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.intent import (
    heading_facts,
    heading_intent,
    question_facts,
    question_intent,
)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("lambda provisioned concurrency, what lambda perms does the user need", "needs"),
        ("which rds perms to register an aurora cluster", "needs"),
        ("minimum permissions to call PutScalingPolicy", "needs"),
        ("what perms does the sagemaker scaling role get", "grants"),
        ("what permissions does the dynamodb slr have", "grants"),
        # no permissions asked about, or nothing says which kind
        ("what does the ecs slr do", None),
        ("who can see the scaling permissions", None),
        ("what iam does my user need to set up ecs scaling", "needs"),
    ],
)
def test_question_intent(question: str, intent: str | None) -> None:
    assert question_intent(question) == intent


@pytest.mark.parametrize(
    ("heading", "intent"),
    [
        ("Which target service permissions do ECS, Lambda and MSK need?", "needs"),
        ("What permissions does someone need to configure Application Auto Scaling?", "needs"),
        (
            "What does the ECS managed policy AWSApplicationAutoscalingECSServicePolicy allow?",
            "grants",
        ),
        # a person's own policy that allows something is not what a role is granted
        ("Access is denied although my IAM policy allows the action", None),
        ("How do I delete a service-linked role?", None),
    ],
)
def test_heading_intent(heading: str, intent: str | None) -> None:
    assert heading_intent(heading) == intent


#: Questions whose subject words point at a service's integration page or at the other kind of
#: permissions section; only the intent cue tells which section answers.
BY_INTENT = [
    (
        "perms to register a kafka cluster's broker storage",
        "Which target service permissions do ECS, Lambda, SageMaker, MSK and the other "
        "services need?",
    ),
    (
        "which sagemaker perms does my deploy user need to set up variant scaling",
        "Which target service permissions do ECS, Lambda, SageMaker, MSK and the other "
        "services need?",
    ),
    (
        "what permissions does the dynamodb scaling role get",
        "What does the DynamoDB managed policy AWSApplicationAutoscalingDynamoDBTablePolicy allow?",
    ),
]


@pytest.mark.parametrize(("question", "section"), BY_INTENT)
def test_the_section_with_the_questions_intent_comes_first(
    shipped: Engine, question: str, section: str
) -> None:
    assert shipped.answer(question).results[0].section == section


@pytest.mark.parametrize(("question", "section"), BY_INTENT)
def test_without_the_intent_cue_another_section_comes_first(
    shipped: Engine, question: str, section: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the cue exists for (if this starts passing, the cue may be unneeded)."""
    monkeypatch.setattr("scalewarden.knowledge.index.INTENT_WEIGHT", 0.0)
    assert shipped.answer(question).results[0].section != section


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("slr name for comprehend", {"role-name"}),
        ("what is the role called that aas uses for spot fleet", {"role-name"}),
        ("arn of the neptune slr", {"arn"}),
        ("which principal does the lambda slr trust", {"principal"}),
        ("someone deleted AWSServiceRoleForApplicationAutoScaling_ECSService", {"deletion"}),
        ("endpoint service name for the vpce", {"service-name"}),
        ("can i attach the ecs scaling policy to my ci role", {"attachment"}),
        # a name asked for together with another fact wants the service's own page
        ("dynamodb role name and principal", set()),
        # EMR's scaling role is a service role of the customer's, not a service-linked one
        ("EMR_AutoScaling_DefaultRole trust policy principals", set()),
        ("what does the ecs slr do", set()),
    ],
)
def test_question_facts(question: str, facts: set[str]) -> None:
    assert question_facts(question) == facts


@pytest.mark.parametrize(
    ("heading", "facts"),
    [
        ("Which service-linked role does each service namespace use?", {"role-name"}),
        ("What is the ARN of an Application Auto Scaling service-linked role?", {"arn"}),
        ("How do I delete a service-linked role, and what happens if someone does?", {"deletion"}),
        (
            "What is the VPC endpoint service name, and how do I create the endpoint?",
            {"service-name"},
        ),
        # the roles' alarm permissions are not about deleting the role
        (
            "Can the Application Auto Scaling service-linked roles delete any CloudWatch alarm?",
            set(),
        ),
        (
            "Can I attach the Application Auto Scaling managed policies to my users or roles?",
            {"attachment"},
        ),
        ("Amazon Lambda (lambda)", set()),
    ],
)
def test_heading_facts(heading: str, facts: set[str]) -> None:
    assert heading_facts(heading) == facts


#: Questions naming a service and the fact they want: the service's words favour its own
#: integration page, which mentions the fact in passing; only the named-fact cue lifts the
#: section that gives the fact for every service.
BY_FACT = [
    (
        "what is the role name of the sagemaker slr",
        "Which service-linked role does each service namespace use?",
    ),
    (
        "name of the role aas uses for comprehend",
        "Which service-linked role does each service namespace use?",
    ),
    (
        "arn of the neptune slr",
        "What is the ARN of an Application Auto Scaling service-linked role?",
    ),
]

#: A managed policy named in full picks its own section; "attach" asks the other question.
ATTACH = (
    "can i attach AWSApplicationAutoscalingLambdaConcurrencyPolicy to my ci user",
    "Can I attach the Application Auto Scaling managed policies to my users or roles?",
)


def test_asking_to_attach_a_named_managed_policy_finds_whether_you_may(shipped: Engine) -> None:
    assert shipped.answer(ATTACH[0]).results[0].section == ATTACH[1]


def test_without_the_named_fact_cue_the_policys_own_section_comes_first(
    shipped: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scalewarden.knowledge.index.FACT_WEIGHT", 0.0)
    first = shipped.answer(ATTACH[0]).results[0].section
    assert first.startswith("What does the Lambda managed policy")


@pytest.mark.parametrize(("question", "section"), BY_FACT)
def test_the_section_giving_the_named_fact_comes_first(
    shipped: Engine, question: str, section: str
) -> None:
    assert shipped.answer(question).results[0].section == section


@pytest.mark.parametrize(("question", "section"), BY_FACT)
def test_without_the_named_fact_cue_the_service_page_comes_first(
    shipped: Engine, question: str, section: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the cue exists for (if this starts passing, the cue may be unneeded)."""
    monkeypatch.setattr("scalewarden.knowledge.index.FACT_WEIGHT", 0.0)
    assert shipped.answer(question).results[0].article_id == "service-integrations"


@pytest.mark.parametrize(
    "question",
    ["delete my iam user name", "what is my account name", "rotate the rds master password"],
)
def test_fact_words_do_not_make_an_off_topic_question_answerable(
    shipped: Engine, question: str
) -> None:
    assert not shipped.answer(question).answered
