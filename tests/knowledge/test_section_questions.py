"""Per-section ``questions`` blocks: they parse, stay out of answers, and lead paraphrases home.

Each shipped section may list the questions it answers, phrased as people type them in Slack
(abbreviations such as "slr", "vpce", "perms"). They are indexed as a field of their own so a
question worded unlike the article still finds it; they are never part of the text shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.corpus import (
    MAX_SECTION_QUESTIONS,
    ArticleError,
    Corpus,
    load_corpus,
    parse_article,
)
from scalewarden.knowledge.index import SearchIndex
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

_BLOCK = re.compile(r"^```questions\s*$", re.MULTILINE)

_FRONT = """---
id: demo
title: Demo article
topic: identity-and-access-management
sources: [security_iam_troubleshoot]
reviewed: 2026-11-01
---
# Demo article
"""


@pytest.fixture(scope="module")
def shipped_corpus() -> Corpus:
    return load_corpus(DEFAULT_KNOWLEDGE_DIR)


def test_every_shipped_questions_block_parses_and_is_taken_out_of_the_body(
    shipped_corpus: Corpus,
) -> None:
    assert shipped_corpus.problems == ()
    blocks = sum(
        len(_BLOCK.findall(path.read_text(encoding="utf-8")))
        for path in sorted(DEFAULT_KNOWLEDGE_DIR.glob("*.md"))
    )
    with_questions = [s for s in shipped_corpus.sections if s.questions]
    # one block per section, each parsed into that section's questions
    assert len(with_questions) == blocks
    # most sections carry questions; the rest are listed by the benchmark as uncovered
    assert len(with_questions) >= 0.9 * len(shipped_corpus.sections)
    for section in shipped_corpus.sections:
        assert "```questions" not in section.body, section.heading
        assert len(section.questions) <= MAX_SECTION_QUESTIONS
        for question in section.questions:
            assert question.strip() == question and question, section.heading


def test_questions_are_indexed_but_never_shown(shipped_corpus: Corpus) -> None:
    engine = Engine(SearchIndex.build(shipped_corpus))
    answer = engine.answer("what's the vpce service name for aas", 3)
    assert answer.answered
    first = answer.results[0]
    assert first.section.startswith("What is the VPC endpoint service name")
    section = next(s for s in shipped_corpus.sections if s.heading == first.section)
    for question in section.questions:
        assert question not in first.snippet


def _article(section_text: str) -> str:
    return (
        _FRONT + "\n## How do I fix the thing?\nSources: security_iam_troubleshoot\n" + section_text
    )


def test_a_questions_block_parses_into_the_section() -> None:
    text = _article(
        '\n```questions\n- "thing broke, perms?"\n- how to unbreak it\n```\n\nRestart the thing.\n'
    )
    article = parse_article(text, "demo.md", "demo", shipped=True)
    (section,) = article.sections
    assert section.questions == ("thing broke, perms?", "how to unbreak it")
    assert section.body == "Restart the thing."


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("```questions\n- fine\n", "questions block never ends"),
        ("```questions\nnot: a list\n```\n", "must be a YAML list"),
        ("```questions\n- [nested]\n```\n", "must be a YAML list"),
        ("```questions\n- 'unclosed\n```\n", "invalid questions block"),
        ("```questions\n- " + "x" * 300 + "\n```\n", "at most"),
    ],
)
def test_a_broken_questions_block_names_the_section(block: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message) as info:
        parse_article(_article("\n" + block + "\nText.\n"), "demo.md", "demo", shipped=True)
    assert "How do I fix the thing?" in str(info.value)


def test_a_word_only_the_questions_use_finds_the_section(tmp_path: Path) -> None:
    """The point of the field: the article never says "zorbleflux", its question list does."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "demo.md").write_text(
        _FRONT
        + "\n## How do I rotate the signing key?\n\n```questions\n"
        + "- zorbleflux key rotation\n```\n\nCreate a new key, then retire the old one.\n"
        + "\n## How do I list the keys?\n\nCall the list operation.\n",
        encoding="utf-8",
    )
    index = SearchIndex.build(load_corpus(folder))
    _, hits = index.search("zorbleflux", 2)
    assert hits
    assert index.sections[hits[0].index].heading == "How do I rotate the signing key?"
    # and the cache round trip keeps the questions
    arrays, meta = index.to_state()
    again = SearchIndex.from_state(arrays, meta)
    assert again.sections[0].questions == ("zorbleflux key rotation",)
    _, hits = again.search("zorbleflux", 1)
    assert again.sections[hits[0].index].heading == "How do I rotate the signing key?"


#: Paraphrases written for this test from the sections themselves; none of them is in a
#: benchmark set.
PARAPHRASES = [
    (
        "could the lambda concurrency slr touch our function code",
        "iam-managed-policies",
        "What does the Lambda managed policy "
        "AWSApplicationAutoscalingLambdaConcurrencyPolicy allow?",
    ),
    (
        "is there a config rule that flags ddb tables with no autoscaling",
        "compliance-validation",
        "Is there a Security Hub control or AWS Config rule for Application Auto Scaling "
        "(DynamoDB tables without capacity auto scaling)?",
    ),
    (
        "someone removed the slr for ecs scaling, what breaks",
        "service-linked-roles",
        "How do I delete a service-linked role, and what happens if someone does?",
    ),
    (
        "vpce policy that allows only describe calls for autoscaling",
        "vpc-endpoints",
        "How do I restrict Application Auto Scaling API calls with a VPC endpoint policy?",
    ),
    (
        "can we bring our own cmk for aas data",
        "data-protection",
        "Is Application Auto Scaling data encrypted at rest, and can I use my own KMS key?",
    ),
    (
        "deny changing min/max on prod tagged targets",
        "tagging-abac",
        "How do I stop people changing, suspending or deleting scaling on production targets?",
    ),
]


@pytest.mark.parametrize(("question", "article", "section"), PARAPHRASES)
def test_paraphrases_reach_their_section(
    shipped: Engine, question: str, article: str, section: str
) -> None:
    answer = shipped.answer(question, 3)
    assert answer.answered, question
    assert (answer.results[0].article_id, answer.results[0].section) == (article, section)
