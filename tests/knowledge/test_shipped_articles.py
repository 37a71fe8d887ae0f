"""Every shipped article obeys the contract, cites real pages, is in our own words, and the
development set's labels exist and are answered (top-1 ≥ 0.90), and near-topic questions are
declined."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from reference_data import require_reference
from scalewarden.knowledge.answer import RELATIVE_FLOOR, Engine
from scalewarden.knowledge.corpus import Corpus, load_corpus, source_page
from scalewarden.knowledge.devset import by_set, load_labelled, load_off_topic
from scalewarden.knowledge.index import SearchIndex
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = DEFAULT_KNOWLEDGE_DIR
DEVSET = ROOT / "bench" / "devset"
#: Sharing this many consecutive words with a reference page counts as copying.
RUN = 12
MIN_TOP1 = 0.90
#: The development set's size: a set that moved or emptied fails the gates instead of skipping
#: them. Update it when questions are added.
DEVELOPMENT_QUESTIONS = 199
#: Share of off-topic questions that must be declined. The rule was written on the tuning half,
#: which it declines entirely; the held-out half measures how it generalises (see the
#: benchmark for the figure) and may only get better.
MIN_DECLINED = {"tuning": 1.0, "held-out": 0.85}

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def reference_dir() -> Path:
    return require_reference("aas-user-guide")


@cache
def shipped() -> Corpus:
    return load_corpus(KNOWLEDGE)


def article_files() -> list[Path]:
    return sorted(p for p in KNOWLEDGE.glob("*.md") if p.name.lower() != "readme.md")


def test_every_article_loads_without_problems() -> None:
    corpus = shipped()
    assert article_files(), "the knowledge folder has no articles"
    assert [str(p) for p in corpus.problems] == []
    assert len(corpus.articles) == len(article_files())


def test_ids_are_unique_and_match_file_names() -> None:
    ids = [a.id for a in shipped().articles]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(p.stem for p in article_files())


def guide_pages(folder: Path) -> set[str]:
    """Every page of the guide: the copied ones, and those its ``INDEX.txt`` lists as not
    copied (real pages, such as the quotas page, whose text is not in the snapshot)."""
    pages = {p.stem for p in folder.glob("*.md")}
    index = folder / "INDEX.txt"
    if index.exists():
        for line in index.read_text(encoding="utf-8").splitlines():
            name = line.lstrip("* ").strip()
            if not line.startswith("#") and name.endswith(".md"):
                pages.add(name.removesuffix(".md"))
    return pages


def test_sources_point_at_pages_of_the_reference_guide() -> None:
    folder = reference_dir()
    pages = guide_pages(folder)
    assert {"application-auto-scaling-quotas", "security"} <= pages
    missing = {
        (section.article_id, url)
        for section in shipped().sections
        for url in section.sources
        if source_page(url) not in pages
    }
    missing |= {
        (article.id, url)
        for article in shipped().articles
        for url in article.sources
        if source_page(url) not in pages
    }
    assert sorted(missing) == []


def test_sections_cite_one_to_three_pages() -> None:
    too_many = [
        (s.article_id, s.heading, len(s.sources))
        for s in shipped().sections
        if not 1 <= len(s.sources) <= 3
    ]
    assert too_many == []


def code_blocks(text: str, language: str) -> Iterator[str]:
    lines = text.split("\n")
    inside: list[str] | None = None
    for line in lines:
        if inside is None:
            if re.match(rf"^\s{{0,3}}```{language}\s*$", line):
                inside = []
        elif _FENCE.match(line):
            yield "\n".join(inside)
            inside = None
        else:
            inside.append(line)


def test_every_json_block_parses() -> None:
    failures = []
    for path in article_files():
        for i, block in enumerate(code_blocks(path.read_text(encoding="utf-8"), "json")):
            try:
                json.loads(block)
            except json.JSONDecodeError as exc:
                failures.append(f"{path.name} json block {i + 1}: {exc}")
    assert failures == []


def prose_words(text: str) -> list[str]:
    """Lower-cased words outside front matter and code, punctuation stripped."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end != -1 else text
    kept: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    prose = "\n".join(kept).replace("\\", "")
    prose = re.sub(r"<a name=[^>]*></a>", " ", prose)
    # Inline code is an identifier (an ARN, an action, a CLI flag), a fact rather than prose.
    prose = re.sub(r"`[^`\n]*`", " ", prose)
    return re.findall(r"[a-z0-9]+", prose.lower())


def runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def test_articles_are_in_our_own_words() -> None:
    folder = reference_dir()
    reference: set[tuple[str, ...]] = set()
    for page in folder.glob("*.md"):
        reference |= runs(prose_words(page.read_text(encoding="utf-8")))
    copied = []
    for path in article_files():
        shared = runs(prose_words(path.read_text(encoding="utf-8"))) & reference
        copied.extend(f"{path.name}: {' '.join(run)}" for run in sorted(shared)[:3])
    assert copied == []


@cache
def shipped_engine() -> Engine:
    return Engine(SearchIndex.build(shipped()))


def test_devset_labels_point_at_existing_sections() -> None:
    items = load_labelled(DEVSET)
    development = by_set(items)["development"]
    assert len(development) == DEVELOPMENT_QUESTIONS, "update the count when the set changes"
    known = {(s.article_id, s.heading) for s in shipped().sections}
    wrong = [
        f"{i.file}: {i.q!r} → {i.article} / {i.section}"
        for i in items
        if (i.article, i.section) not in known
    ]
    assert wrong == []
    questions = [i.q for i in items]
    assert len(questions) == len(set(questions)), "duplicate development questions"


def test_devset_top1_accuracy_and_nothing_declined() -> None:
    # The development set only: the practice and held-out sets measure generalisation and are
    # reported by the benchmark, not held to the development bar.
    items = by_set(load_labelled(DEVSET))["development"]
    assert len(items) == DEVELOPMENT_QUESTIONS, "update the count when the set changes"
    engine = shipped_engine()
    misses = []
    declined = []
    for item in items:
        answer = engine.answer(item.q, 3)
        if not answer.answered:
            declined.append(item.q)
        results = answer.results
        if not results or (results[0].article_id, results[0].section) != (
            item.article,
            item.section,
        ):
            misses.append(item.q)
    accuracy = 1 - len(misses) / len(items)
    assert accuracy >= MIN_TOP1, f"top-1 {accuracy:.3f}; misses: {misses}"
    assert declined == [], "development questions must be answered"


def test_off_topic_set_is_large_split_and_distinct_from_the_devset() -> None:
    off = load_off_topic(DEVSET)
    assert len(off) >= 80
    splits = Counter(o.split for o in off)
    assert set(splits) == {"tuning", "held-out"}
    assert min(splits.values()) >= 0.4 * len(off)  # two real halves
    questions = [o.q for o in off]
    assert len(questions) == len(set(questions)), "duplicate off-topic questions"
    assert not set(questions) & {i.q for i in load_labelled(DEVSET)}


@pytest.mark.parametrize("split", ["tuning", "held-out"])
def test_off_topic_questions_are_declined_with_suggestions(split: str) -> None:
    off = [o for o in load_off_topic(DEVSET) if o.split == split]
    engine = shipped_engine()
    answered = []
    for item in off:
        answer = engine.answer(item.q, 3)
        if answer.answered:
            answered.append(f"{item.q!r} → {answer.results[0].section}")
        else:
            assert answer.results == () and answer.suggestions, item.q
    declined = 1 - len(answered) / len(off)
    assert declined >= MIN_DECLINED[split], f"{split}: declined {declined:.3f}; {answered}"


def test_every_development_answer_keeps_results_above_the_floor() -> None:
    items = by_set(load_labelled(DEVSET))["development"]
    assert len(items) == DEVELOPMENT_QUESTIONS, "update the count when the set changes"
    cut = 0
    for item in items:
        results = shipped_engine().answer(item.q, 3).results
        assert all(r.score >= RELATIVE_FLOOR * results[0].score for r in results), item.q
        cut += len(results) < 3
    assert cut > 0
