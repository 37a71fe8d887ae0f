"""Every shipped article obeys the contract, cites real pages, is in our own words, and the
development set's labels exist and are answered (top-1 ≥ 0.90)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from reference_data import require_reference
from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.corpus import Corpus, load_corpus, source_page
from scalewarden.knowledge.index import SearchIndex

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
DEVSET = ROOT / "bench" / "devset"
#: Sharing this many consecutive words with a reference page counts as copying.
RUN = 12
MIN_TOP1 = 0.90

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


def test_sources_point_at_pages_of_the_reference_guide() -> None:
    folder = reference_dir()
    pages = {p.stem for p in folder.glob("*.md")}
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


def devset() -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    for path in sorted(DEVSET.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append({"file": path.name, **{k: str(v) for k, v in item.items()}})
    return items


def test_devset_labels_point_at_existing_sections() -> None:
    items = devset()
    if not items:
        pytest.skip("no development questions yet")
    known = {(s.article_id, s.heading) for s in shipped().sections}
    wrong = [
        f"{i['file']}: {i['q']!r} → {i['article']} / {i['section']}"
        for i in items
        if (i["article"], i["section"]) not in known
    ]
    assert wrong == []
    questions = [i["q"] for i in items]
    assert len(questions) == len(set(questions)), "duplicate development questions"


def test_devset_top1_accuracy() -> None:
    items = devset()
    if not items:
        pytest.skip("no development questions yet")
    engine = Engine(SearchIndex.build(shipped()))
    misses = []
    for item in items:
        results = engine.answer(item["q"], 3).results
        if not results or (results[0].article_id, results[0].section) != (
            item["article"],
            item["section"],
        ):
            misses.append(item["q"])
    accuracy = 1 - len(misses) / len(items)
    assert accuracy >= MIN_TOP1, f"top-1 {accuracy:.3f}; misses: {misses}"
