"""The domain-anchor part of the no-answer rule: near-topic questions are declined, questions
that name what the knowledge base is about are answered, and the rule says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalewarden.knowledge.anchors import (
    DOMAIN_TERMS,
    GENERIC_TERMS,
    SERVICE_TERMS,
    Anchoring,
    anchoring,
    neighbour_words,
)
from scalewarden.knowledge.answer import Engine, build_engine
from scalewarden.knowledge.index import FIELDS, SearchIndex
from scalewarden.knowledge.text import stem

FIXTURES = Path(__file__).parent / "fixtures"


def best(index: SearchIndex, question: str) -> tuple[Anchoring, str]:
    query, hits = index.search(question, 1)
    assert hits, question
    return anchoring(index, query, hits[0].index), index.sections[hits[0].index].heading


def test_contains_agrees_with_the_postings(index: SearchIndex) -> None:
    """The binary search finds exactly the sections each field's column lists."""
    for term, term_id in index.vocab.items():
        for field in FIELDS:
            p = index.postings[field]
            listed = set(p.indices[p.indptr[term_id] : p.indptr[term_id + 1]].tolist())
            for section in range(len(index.sections)):
                assert index.contains(term, section, (field,)) == (section in listed)
    assert not index.contains("no-such-term", 0)


@pytest.mark.parametrize(
    "question",
    [
        "how do i delete an iam role with the aws cli",  # delete / iam / role: generic
        "create an iam role for my app",
        "aws iam delete role",
    ],
)
def test_matches_on_generic_cloud_words_only_are_declined(engine: Engine, question: str) -> None:
    query, hits = engine.index.search(question, 1)
    decision = engine.decide(query, hits[0])
    assert decision.reason == "no domain term and no distinctive title term matched"
    answer = engine.answer(question)
    assert not answer.answered and answer.results == ()
    assert answer.suggestions  # the closest topics instead of a guess


@pytest.mark.parametrize(
    ("question", "heading", "anchor"),
    [
        ("how do i delete the slr", "How do I delete a service-linked role?", "link"),
        ("trust policy json", "What does a trust policy look like?", "trust"),
        ("which tls version", "Which TLS version do clients need?", "tls"),
    ],
)
def test_questions_naming_domain_concepts_are_answered(
    engine: Engine, question: str, heading: str, anchor: str
) -> None:
    anchors, found = best(engine.index, question)
    assert found == heading
    assert anchor in anchors.domain and anchors.anchored
    assert engine.answer(question).answered


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("delete my asg service linked role", ("asg",)),
        ("which permission creates the role for my asg", ("asg",)),
        ("trust policy for my kubernetes pod role", ("kubernetes", "pod")),
    ],
)
def test_neighbouring_products_are_declined(
    engine: Engine, question: str, words: tuple[str, ...]
) -> None:
    anchors, _ = best(engine.index, question)
    assert anchors.neighbour == words and not anchors.proper
    assert not anchors.anchored
    assert anchors.explain().startswith("about a neighbouring product")
    assert not engine.answer(question).answered


def test_a_neighbouring_product_beside_the_service_itself_is_answered(engine: Engine) -> None:
    question = "which permission creates the role for my autoscaling group scalable target"
    anchors, heading = best(engine.index, question)
    assert anchors.neighbour == ("autoscaling group",)
    assert anchors.proper and anchors.anchored
    assert heading == "Which permission creates the role?"
    assert engine.answer(question).answered


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("instance refresh on my ASG", ("asg", "instance refresh")),
        ("lifecycle hook on the auto scaling group", ("lifecycle hook", "scaling group")),
        ("ec2 auto scaling warm pool", ("ec2 auto scaling", "warm pool")),
        ("EC2 autoscaling for spot fleet", ("ec2 autoscaling",)),
        ("ec2 spot fleet auto scaling", ()),
        ("EKS pods and Karpenter", ("eks", "pods", "karpenter")),
        ("register a scalable target", ()),
        ("scaling groups of targets", ("scaling groups",)),
    ],
)
def test_neighbour_words_and_phrases(question: str, found: tuple[str, ...]) -> None:
    assert neighbour_words(question) == found


def test_extra_folders_anchor_on_their_own_titles(tmp_path: Path) -> None:
    """A runbook's subject is not in any list: its heading and title words anchor it."""
    engine = build_engine(FIXTURES / "kb", (FIXTURES / "extra",), tmp_path)
    question = "who approves a rotation of the pager secret"
    query, hits = engine.index.search(question, 1)
    anchors = anchoring(engine.index, query, hits[0].index)
    assert anchors.domain == ()
    assert {"pager", "secret"} <= set(anchors.titles)
    assert engine.decide(query, hits[0]).reason.startswith("anchored on ")
    assert engine.answer(question).answered


def test_a_weak_match_says_so(engine: Engine) -> None:
    query, hits = engine.index.search("rotate the sourdough starter with a proxy", 1)
    decision = engine.decide(query, hits[0])
    assert not decision.answered
    assert decision.reason.startswith("weak match (score ")


def test_vocabularies_are_stemmed_and_do_not_overlap() -> None:
    """Lists hold index terms (stemmed), and a word cannot be domain and generic at once."""
    assert stem("scaling") in DOMAIN_TERMS and stem("bucket") in GENERIC_TERMS
    assert stem("dynamodb") in SERVICE_TERMS
    assert not DOMAIN_TERMS & GENERIC_TERMS
    assert not DOMAIN_TERMS & SERVICE_TERMS
    assert "access" in GENERIC_TERMS and "abac" in DOMAIN_TERMS  # "abac" expands to "access"


@pytest.mark.parametrize(
    "question",
    [
        "zero trust",  # "trust" of trust policies, nothing else of the question
        "aws sso",  # an alias of the set-up article, naming another product
        "email validation",  # "email" of the alarm-notification heading, half the question
    ],
)
def test_one_generic_anchor_does_not_answer_a_question_about_something_else(
    shipped: Engine, question: str
) -> None:
    query, hits = shipped.index.search(question, 1)
    anchors = anchoring(shipped.index, query, hits[0].index, hits[0].coverage)
    assert len(anchors.anchors) == 1 and not anchors.core
    assert not anchors.anchored
    assert "not specific enough" in anchors.explain()
    assert not shipped.answer(question).answered


@pytest.mark.parametrize(
    ("question", "core"),
    [
        ("elasticmapreduce instancegroup resource id format", "resourceid"),
        ("what happens if someone deletes the ECS service-linked role", "link"),
    ],
)
def test_a_concept_of_the_service_anchors_alone(shipped: Engine, question: str, core: str) -> None:
    query, hits = shipped.index.search(question, 1)
    anchors = anchoring(shipped.index, query, hits[0].index, hits[0].coverage)
    assert core in anchors.core and anchors.anchored
    assert shipped.answer(question).answered


def test_ec2_auto_scaling_features_are_declined_unless_the_service_is_named(
    shipped: Engine,
) -> None:
    """Warm pools belong to EC2 Auto Scaling groups; "pool" alone matched WorkSpaces pools."""
    assert not shipped.answer("ec2 auto scaling warm pool").answered
    assert shipped.answer("does aas share cloudtrail event names with ec2 auto scaling").answered


def test_one_anchor_in_the_heading_with_the_question_covered_answers(shipped: Engine) -> None:
    """A short precise question on a topic word still gets its answer."""
    answer = shipped.answer("max size of a vpce policy")
    assert answer.answered
    assert "20,480 characters" in answer.results[0].snippet


def test_a_policy_question_naming_only_a_service_finds_its_policy(shipped: Engine) -> None:
    """Every word is generic or a service's name, none anchors alone: it was declined, although
    a section is titled with that very service and kind of thing."""
    answer = shipped.answer("iam policy for dynamodb only")
    assert answer.answered
    top = answer.results[0]
    assert top.section == "Policy example: permissions to set up DynamoDB auto scaling"
    assert "iam:CreateServiceLinkedRole" in section_body(shipped, top.article_id, top.section)
    # a word no heading of ours names keeps such a question declined
    assert not shipped.answer("dynamodb ttl not deleting items").answered


def test_a_section_that_discusses_the_neighbouring_product_answers_the_comparison(
    shipped: Engine,
) -> None:
    """'ec2 auto scaling' declined every question naming it, even one our CloudTrail pages
    answer (the five event names both services have)."""
    answer = shipped.answer("cloudtrail event names shared with ec2 auto scaling")
    assert answer.answered
    top = answer.results[0]
    body = section_body(shipped, top.article_id, top.section)
    assert "EC2 Auto Scaling" in body and "GetPredictiveScalingForecast" in body
    # the neighbour's own name is not an anchor: its features stay declined
    assert not shipped.answer("ec2 auto scaling lifecycle hook timeout").answered


@pytest.mark.parametrize(
    ("question", "why"),
    [
        # the set-up article lists SSO as an alias; permission sets are Identity Center's
        ("aws sso permission sets", "only lists as an alias (sso)"),
        # AAS never uses a task role; the ECS SLR's policy is not what to grant the task
        ("ecs task role permissions", "role the section never mentions (task role)"),
        ("lambda execution role permissions", "role the section never mentions"),
    ],
)
def test_questions_about_another_products_identities_are_declined(
    shipped: Engine, question: str, why: str
) -> None:
    query, hits = shipped.index.search(question, 1)
    anchors = anchoring(shipped.index, query, hits[0].index, hits[0].coverage)
    assert why in anchors.explain()
    assert not shipped.answer(question).answered


@pytest.mark.parametrize(
    "question",
    [
        "sso users for aas setup",  # the set-up page does mention IAM Identity Center users
        "does the ecs slr replace the old ecs service role",
        "service-linked role vs service role for emr",
    ],
)
def test_the_roles_and_sign_in_the_articles_cover_are_still_answered(
    shipped: Engine, question: str
) -> None:
    assert shipped.answer(question).answered


def section_body(engine: Engine, article_id: str, heading: str) -> str:
    return next(
        s.body for s in engine.index.sections if s.article_id == article_id and s.heading == heading
    )
