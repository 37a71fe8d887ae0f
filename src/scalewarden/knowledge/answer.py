"""Answers: the public API that the CLI, Slack and HTTP all call.

``KnowledgeBase(folders).answer(question, top=3) -> Answer`` validates the question, searches
the engine of those folders (built once per process) and returns the best sections with a
focused snippet each, or an honest "no answer" with the closest topics when nothing matches
well. The folders are given, never read from the settings here: the CLI and ``create_app``
build the ``KnowledgeBase`` from theirs, so an app made with other settings answers from its
own articles. ``Answer.to_dict()`` is the JSON contract
of ``scalewarden ask --json``; keep both stable.

The no-answer decision uses two signals of the best section, calibrated on the development
set and the tuning half of the off-topic questions (``bench/devset/offtopic.yaml``;
``bench/retrieval.py`` prints the margins and the held-out half's result):

* *score*: its ranking score, measured in units of the IDF of a word found in one section
  only (BM25 scores grow with the logarithm of the corpus size; the unit makes the rule hold
  for a ten-article folder as for ten thousand sections). Off-topic questions share a generic
  word or two with the knowledge base and score low: on the shipped articles "recommend a
  good sci-fi novel" reaches about 0.6 units through "recommended"; real questions with as
  little coverage score 1.0 and more.
* *coverage*: the share of the question's meaningful words, weighted by IDF, that it contains
  at all. A short precise question ("is there an AAS console") scores modestly but is fully
  covered; "how do I bake bread" covers almost nothing.

A section answers when it scores well with some coverage, or modestly with most of it, *and*
the match is anchored in the subject of the knowledge base (:mod:`.anchors`): near-topic
questions ("create an s3 bucket", "iam password policy for users", "asg warm pool") share
enough cloud vocabulary with the articles to pass the first test, but none of their matched
words is a concept of Application Auto Scaling or a distinctive word of a section's title.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scalewarden.knowledge.corpus import LoadProblem
    from scalewarden.knowledge.index import Hit, Query, SearchIndex
    from scalewarden.knowledge.snippets import Analysed
    from scalewarden.settings import Settings

#: Longest question accepted, in characters (Slack messages can be long; questions are not).
MAX_QUESTION_CHARS = 2000
#: Most results one answer may hold.
MAX_TOP = 10
#: The best section answers with a strong score and a little coverage …
STRONG_SCORE = 0.9
STRONG_MIN_COVERAGE = 0.2
#: … or with a modest score and most of the question covered (scores in rare-word IDF units).
MIN_SCORE = 0.5
MIN_COVERAGE = 0.6
#: Results after the first must score at least this fraction of the first one.
RELATIVE_FLOOR = 0.3
#: How many topics a no-answer suggests.
SUGGESTIONS = 3

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


@dataclass(frozen=True, slots=True)
class Decision:
    """The no-answer rule's verdict on a question's best section, with its reason in words."""

    answered: bool
    reason: str


class QuestionError(ValueError):
    """A question that cannot be searched; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class Result:
    """One section of an answer."""

    article_id: str
    title: str
    section: str
    snippet: str
    score: float
    sources: tuple[str, ...]
    #: ``article-id#anchor``: what checks link to (``Check.kb_section``).
    section_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "section": self.section,
            "section_id": self.section_id,
            "snippet": self.snippet,
            "score": self.score,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """What a question gets: results best first, or ``answered=False`` and suggestions."""

    question: str
    answered: bool
    results: tuple[Result, ...] = ()
    suggestions: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: ``question``, ``answered``, ``results`` (+ ``suggestions``)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "results": [r.to_dict() for r in self.results],
            "suggestions": list(self.suggestions),
        }


def validate_question(question: object) -> str:
    """The question stripped of surrounding blanks, or :class:`QuestionError`."""
    from scalewarden.knowledge.text import STOP_WORDS, words

    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty: ask something like 'which TLS version?'")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is too long ({len(text):,} characters; the limit is "
            f"{MAX_QUESTION_CHARS:,}): ask one thing at a time"
        )
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in text):
        raise QuestionError("the question contains control characters")
    surface = words(text)
    if not surface:
        raise QuestionError("the question has no words to search for")
    if all(w in STOP_WORDS for w in surface):
        raise QuestionError(
            "the question has only common words (like 'how', 'the', 'is'): "
            "name what you want to know about"
        )
    return text


class Engine:
    """A loaded index plus the answering policy; one per knowledge base and process (see
    :meth:`KnowledgeBase.engine`)."""

    def __init__(self, index: SearchIndex, *, from_cache: bool = False) -> None:
        self.index = index
        self.from_cache = from_cache
        self._blocks: dict[int, list[Analysed]] = {}

    @property
    def problems(self) -> tuple[LoadProblem, ...]:
        """Files that did not load (the CLI prints them as warnings)."""
        return self.index.problems

    @property
    def empty(self) -> bool:
        """True when the index holds no section, so that every question would go unanswered:
        a broken install, which must be said rather than answered "no confident answer"."""
        return not self.index.sections

    def answer(self, question: str, top: int = 3) -> Answer:
        """Validate, search, decide, and cut snippets."""
        text = validate_question(question)
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
            raise QuestionError(f"top must be a whole number from 1 to {MAX_TOP}")
        query, hits = self.index.search(text, top=max(top, SUGGESTIONS))
        if not hits or not self.decide(query, hits[0]).answered:
            return Answer(text, False, (), self._suggest(hits), corrections=query.corrections)
        weights = self.index.term_weights(query)
        floor = hits[0].score * RELATIVE_FLOOR
        results = []
        for hit in hits[:top]:
            if hit.score < floor:
                break
            section = self.index.sections[hit.index]
            results.append(
                Result(
                    section.article_id,
                    section.title,
                    section.heading,
                    self._snippet(hit.index, weights),
                    round(hit.score, 3),
                    section.sources,
                    section.section_id,
                )
            )
        return Answer(text, True, tuple(results), (), corrections=query.corrections)

    def explain(self, article_id: str, about: str = "") -> Result | None:
        """The section ``article_id`` names, or the one of that article that best fits ``about``.

        A section id (``article-id#anchor``, what a check links to: ``Check.kb_section``) names
        exactly one section. A bare article id is looked up by id, not searched for, and
        ``about`` (e.g. a check's title) only picks the section within it (the first one when
        no word of it matches). ``None`` when no such section or article is loaded.
        """
        if "#" in article_id:
            sections = [i for i, s in enumerate(self.index.sections) if s.section_id == article_id]
        else:
            sections = [i for i, s in enumerate(self.index.sections) if s.article_id == article_id]
        if not sections:
            return None
        query = self.index.analyse(about)
        scores, _, _ = self.index.score(query)
        best = max(sections, key=lambda i: (float(scores[i]), -i))
        section = self.index.sections[best]
        return Result(
            section.article_id,
            section.title,
            section.heading,
            self._snippet(best, self.index.term_weights(query)),
            round(float(scores[best]), 3),
            section.sources,
            section.section_id,
        )

    def _snippet(self, index: int, weights: dict[str, float]) -> str:
        from scalewarden.knowledge.snippets import analyse_blocks, choose_snippet

        analysed = self._blocks.get(index)
        if analysed is None:
            analysed = self._blocks[index] = analyse_blocks(self.index.sections[index].body)
        return choose_snippet(analysed, weights)

    def decide(self, query: Query, hit: Hit) -> Decision:
        """Whether the best section answers the question, and why (see the module docstring)."""
        from scalewarden.knowledge.anchors import anchoring

        score = hit.score / self.index.rare_idf
        if score >= STRONG_SCORE:
            confident = hit.coverage >= STRONG_MIN_COVERAGE
        else:
            confident = score >= MIN_SCORE and hit.coverage >= MIN_COVERAGE
        if not confident:
            return Decision(False, f"weak match (score {score:.2f}, coverage {hit.coverage:.2f})")
        anchors = anchoring(self.index, query, hit.index, hit.coverage)
        return Decision(anchors.anchored, anchors.explain())

    def _suggest(self, hits: Sequence[Hit]) -> tuple[str, ...]:
        """Closest article titles from weak matches; the topics covered when nothing matched."""
        titles: list[str] = []
        for hit in hits:
            title = self.index.sections[hit.index].title
            if title not in titles:
                titles.append(title)
        if titles:
            return tuple(titles[:SUGGESTIONS])
        topics = dict.fromkeys(s.topic for s in self.index.sections if s.topic)
        return tuple(str(t).replace("-", " ") for t in topics)


def build_engine(
    knowledge_dir: Path | None,
    extra_dirs: Sequence[Path] = (),
    cache_dir: Path | None = None,
    *,
    use_cache: bool = True,
) -> Engine:
    """Read the folders, then load the index from the cache or build (and cache) it."""
    from scalewarden.knowledge import cache
    from scalewarden.knowledge.corpus import content_hash, parse_sources, read_sources
    from scalewarden.knowledge.index import SearchIndex

    files = read_sources(knowledge_dir, extra_dirs)
    directory = cache_dir or cache.default_cache_dir()
    key = cache.cache_key(content_hash(files))
    if use_cache:
        cached = cache.load(directory, key)
        if cached is not None:
            return Engine(cached, from_cache=True)
    index = SearchIndex.build(parse_sources(files))
    if use_cache:
        cache.save(directory, key, index)
    return Engine(index)


@dataclass(frozen=True)
class KnowledgeBase:
    """Where the articles are and where their index is cached: all the engine needs to know.

    Built at the edge (the CLI, ``create_app``) and passed down. Equal folders share one
    engine per process, so every app or command on the same articles loads the index once.
    """

    knowledge_dir: Path | None
    extra_dirs: tuple[Path, ...] = ()
    cache_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeBase:
        """The knowledge base ``settings`` name (``SCALEWARDEN_KNOWLEDGE_DIR`` …)."""
        return cls(
            settings.knowledge_path, tuple(settings.extra_knowledge_dirs), settings.cache_dir
        )

    def engine(self) -> Engine:
        """The engine of these folders, built on first use and then shared (thread-safe)."""
        engine = _engines.get(self)
        if engine is None:
            with _engines_lock:
                engine = _engines.get(self)
                if engine is None:
                    engine = build_engine(self.knowledge_dir, self.extra_dirs, self.cache_dir)
                    if len(_engines) >= MAX_ENGINES:
                        del _engines[next(iter(_engines))]  # the oldest
                    _engines[self] = engine
        return engine

    def answer(self, question: str, top: int = 3) -> Answer:
        """Answer one question from these articles; raises :class:`QuestionError`."""
        return self.engine().answer(question, top)

    def explain(self, article_id: str, about: str = "") -> Result | None:
        """One section by id, or the best of one article (see :meth:`Engine.explain`)."""
        return self.engine().explain(article_id, about)


#: Engines kept at once: a process uses one knowledge base; tests switch between a few.
MAX_ENGINES = 4
_engines: dict[KnowledgeBase, Engine] = {}
_engines_lock = threading.Lock()


def forget_engines() -> None:
    """Drop every loaded engine (after the articles changed on disk)."""
    with _engines_lock:
        _engines.clear()


def empty_index_message(folder: Path | None) -> str:
    """Why no question can be answered, and what to do about it (CLI and ``/readyz``)."""
    return (
        f"the knowledge index holds no sections (articles looked for in {folder}). "
        "Reinstall scalewarden (the articles ship inside the package), or point "
        "SCALEWARDEN_KNOWLEDGE_DIR at a folder of articles."
    )
