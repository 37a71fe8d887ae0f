"""The question-intent cue: what a person needs versus what a role is allowed."""

from __future__ import annotations

import pytest

from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.intent import heading_intent, question_intent


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
