"""The search index: BM25 over sections, with synonym expansion and typo correction.

Each section is indexed as three fields, each its own BM25 matrix built by ``bm25s``:

* ``heading`` – the ``##`` heading, which in our articles is the question the section answers;
* ``body`` – the section text;
* ``article`` – the article title and its ``aliases`` (other phrasings, acronyms);
* ``questions`` – the questions the section lists as the ones it answers, phrased as people
  type them (:func:`.corpus._section_questions`): the words people use that the article
  does not (document expansion by hand, the "doc2query" idea). Indexed, never shown.

A section's score is the weighted sum of its field scores (a BM25F-like mix: each field keeps
its own length normalisation, so a short heading that matches is not drowned by a long body).
``bm25s`` computes every (term, section) score eagerly into a sparse matrix, so a query is a
sum of a few matrix columns. Queries do that sum with numpy directly on the stored arrays:
the index loads from the cache without importing ``bm25s`` (and SciPy), which keeps a cold
``scalewarden ask`` fast.

Headings are our questions, so the order of their words means something that a bag of words
loses: "manage scaling policies but not scheduled actions" and "manage scheduled actions but
not scaling policies" hold the same words and score the same. Pairs of words the question
typed next to each other that also stand next to each other in a section's heading add a
small phrase score, enough to break such ties and no more (a larger weight lets incidental
pairs outvote the words themselves).

Questions are analysed like documents (:mod:`.text`, :mod:`.synonyms`), plus one step
documents do not need: words that are not in the index vocabulary are corrected with rapidfuzz
(optimal string alignment distance, same first letter, the most frequent candidate wins) or
split into two known words. Words that stay unknown count against the answer's *coverage*,
which is what lets :mod:`.answer` say "I don't know" instead of guessing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from scalewarden.knowledge.corpus import Corpus, LoadProblem, Section
from scalewarden.knowledge.intent import (
    heading_facts,
    heading_intent,
    question_facts,
    question_intent,
)
from scalewarden.knowledge.synonyms import SYNONYMS, expand, spans
from scalewarden.knowledge.text import (
    STOP_WORDS,
    identifier_words,
    negated_terms,
    stem,
    words,
)
from scalewarden.knowledge.wordlist import aws_terms, common_english_words, is_english_word

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Field names, in storage order, and how much each contributes to a section's score.
FIELDS: tuple[str, ...] = ("heading", "body", "article", "questions")
FIELD_WEIGHTS: dict[str, float] = {"heading": 1.2, "body": 1.0, "article": 0.5, "questions": 0.6}

#: BM25 parameters (the Lucene variant of ``bm25s``).
K1 = 1.2
B = 0.75

#: Rank by ``bm25f * coverage ** COORDINATION``: among sections that score alike, the one that
#: contains more of the question's words wins (the "coordination factor" of classic Lucene).
COORDINATION = 0.25

#: Heading phrase score: each pair of adjacent typed words (stemmed) that is also adjacent in a
#: section's heading adds ``PHRASE_WEIGHT * idf(pair among headings)``. A tie-breaker: a rare
#: pair adds about a fifth of what one rare word does.
PHRASE_WEIGHT = 0.05

#: An everyday English word ("far", "back", "exactly") counts for this share of its IDF mass in
#: a question's coverage (:attr:`Hit.coverage`), not in its score: such words are what people
#: type around the subject, so a section that lacks them still covers the question. Measured on
#: the development, practice and tuning off-topic sets (``bench/retrieval.py``).
COMMON_WORD_COVERAGE = 0.5

#: Contrast: a section whose heading excludes something ("manage scaling policies but not
#: scheduled actions") has its score multiplied by ``1 + CONTRAST_WEIGHT * net``, where ``net``
#: is the share of the excluded terms the question excludes too, less the share it asks for.
#: Without it that heading and its mirror image ("scheduled actions but not scaling policies")
#: hold the same words and tie. A share, not IDF mass: the excluded words ("scaling",
#: "policies") are in nearly every section, so their IDF is close to nothing.
CONTRAST_WEIGHT = 0.3

#: Identifier cap: the terms that come only from the CamelCase parts of a long identifier typed
#: in the question (a policy or role name, ``AWSApplicationAutoscalingECSServicePolicy``;
#: :func:`.text.identifier_words`) add to a section's score at most ``IDENTIFIER_CAP`` times
#: what they add to the section that matches them best. The whole identifier, which only the
#: sections naming it hold, is not capped: it picks the topic, and the other words ("can I
#: attach it", "who deleted it") pick the section among that topic's sections. Uncapped, the
#: identifier's many parts outvote them and the section that spells the name out most wins.
#: Measured on the development, practice and practice 2 sets (``bench/lexical_sweep.py``).
IDENTIFIER_CAP = 0.6

#: Intent: a section whose heading asks about the same kind of permissions as the question
#: (what someone needs, or what a role is allowed; :mod:`.intent`) has its score multiplied
#: by ``1 + INTENT_WEIGHT``.
#: 0.7 since "perms to register an msk cluster" still found the service's own page at 0.3
#: (practice 3); 0.9 and above cost a development question (``bench/lexical_sweep.py``).
INTENT_WEIGHT = 0.7

#: Named facts: a section whose heading promises a fact the question asks for by name (a
#: role's name, an ARN, a trust principal, what deletion does, the endpoint service name;
#: :func:`.intent.question_facts`) has its score multiplied by ``1 + FACT_WEIGHT``.
FACT_WEIGHT = 0.5

#: A corrected word is probably, not certainly, what the user meant.
CORRECTION_WEIGHT = 0.8
#: Words shorter than this are never corrected ("ecs" is not a typo of "ec2").
MIN_CORRECTION_LENGTH = 5
#: How many words' corrections an index remembers (least recently used forgotten first). Every
#: distinct unknown word of every question is looked up, so an unbounded memo grows with the
#: traffic (or with a flood of made-up words) for as long as the process lives; a few thousand
#: words cover a team's vocabulary of typos.
CORRECTIONS_CACHED = 4096


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One stemmed term of a question, with how much it counts and where it came from."""

    term: str
    weight: float
    origin: str


@dataclass(frozen=True, slots=True)
class Query:
    """The analysed question: terms, the corrections made, and words nobody knows."""

    text: str
    terms: tuple[QueryTerm, ...]
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()
    #: pairs of adjacent typed words (stemmed, stop words skipped), for the phrase score
    pairs: tuple[tuple[str, str], ...] = ()
    #: terms that only an identifier typed in the question brought (see :data:`IDENTIFIER_CAP`)
    identifiers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked section: its position in :attr:`SearchIndex.sections`, score and coverage.

    ``matched`` is the IDF-weighted mass of the question's terms that the section contains at
    all, in any field; ``coverage`` is that mass as a share of the whole question's (1.0 means
    every meaningful word of the question appears in the section), with everyday English words
    counting less (:data:`COMMON_WORD_COVERAGE`). Ranking uses the plain share.
    """

    index: int
    score: float
    coverage: float
    matched: float = 0.0


@dataclass(frozen=True, slots=True)
class _Postings:
    """One field's BM25 matrix in CSC form: column ``t`` holds the sections containing term ``t``
    (rows ``indices[indptr[t]:indptr[t+1]]``) and their BM25 scores (``data``)."""

    data: NDArray[np.float32]
    indices: NDArray[np.int32]
    indptr: NDArray[np.int64]


def section_fields(section: Section) -> dict[str, list[str]]:
    """The surface words of each field of a section (before synonyms and stemming)."""
    article = words(section.title)
    for alias in section.aliases:
        article.extend(words(alias))
    return {
        "heading": words(section.heading),
        "body": words(section.body),
        "article": article,
        "questions": [w for q in section.questions for w in words(q)],
    }


def document_terms(surface: Sequence[str]) -> list[str]:
    """The index's view of a field: synonyms expanded, stop words dropped, stemmed."""
    return [stem(w) for w in expand(surface) if w not in STOP_WORDS]


def _document_frequencies(postings: dict[str, _Postings], n_terms: int) -> NDArray[np.int32]:
    """Sections containing each term in any field: distinct (term, section) pairs, counted."""
    terms = [
        np.repeat(np.arange(n_terms, dtype=np.int64), np.diff(p.indptr)) for p in postings.values()
    ]
    rows = [p.indices.astype(np.int64) for p in postings.values()]
    if not terms:
        return np.zeros(n_terms, dtype=np.int32)
    pairs = np.unique(np.concatenate(terms) * (1 << 32) + np.concatenate(rows))
    return np.bincount(pairs >> 32, minlength=n_terms).astype(np.int32)


def _idf(df: int, n_docs: int) -> float:
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


class SearchIndex:
    """Sections plus their BM25 field matrices and the vocabularies used to correct typos."""

    def __init__(
        self,
        sections: Sequence[Section],
        vocab: dict[str, int],
        postings: dict[str, _Postings],
        surface_vocab: dict[str, int],
        df: NDArray[np.int32],
        problems: Sequence[LoadProblem] = (),
        common_words: frozenset[str] = frozenset(),
        aws_words: frozenset[str] = frozenset(),
    ) -> None:
        self.sections: tuple[Section, ...] = tuple(sections)
        self.vocab = vocab
        self.postings = postings
        #: term id → number of sections containing the term in any field
        self.df = df
        #: surface word → number of sections it appears in (for typo correction)
        self.surface_vocab = surface_vocab
        self.problems: tuple[LoadProblem, ...] = tuple(problems)
        #: everyday English words (:data:`COMMON_WORD_COVERAGE`), kept with the index so that
        #: a query never loads the dictionary for them
        self.common_words = common_words
        #: the words of AWS's service names (:func:`.wordlist.aws_terms`), never corrected;
        #: kept with the index for the same reason
        self.aws_words = aws_words
        self._correctable = sorted(
            w for w in surface_vocab if len(w) >= MIN_CORRECTION_LENGTH - 1 and w.isalpha()
        )
        self._corrections = lru_cache(maxsize=CORRECTIONS_CACHED)(self._closest)
        self._phrases: dict[tuple[str, str], tuple[NDArray[np.int32], float]] | None = None
        #: (section, terms its heading keeps, terms it excludes) of contrasting headings
        self._contrasts: list[tuple[int, frozenset[str], frozenset[str]]] | None = None
        self._intents: list[str | None] | None = None
        self._facts: list[frozenset[str]] | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, corpus: Corpus) -> SearchIndex:
        """Analyse every section and let ``bm25s`` compute the three field matrices."""
        import bm25s

        sections = corpus.sections
        surface_df: Counter[str] = Counter()
        vocab: dict[str, int] = {}
        field_ids: dict[str, list[list[int]]] = {f: [] for f in FIELDS}
        for section in sections:
            fields = section_fields(section)
            surface_df.update(set().union(*fields.values()))
            for name in FIELDS:
                field_ids[name].append(
                    [vocab.setdefault(t, len(vocab)) for t in document_terms(fields[name])]
                )
        for key in SYNONYMS:
            for word in key.split():
                surface_df.setdefault(word, 0)

        postings: dict[str, _Postings] = {}
        for name in FIELDS:
            docs = field_ids[name]
            if not vocab or not any(docs):
                empty_ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
                postings[name] = _Postings(
                    np.zeros(0, np.float32), np.zeros(0, np.int32), empty_ptr
                )
                continue
            model = bm25s.BM25(k1=K1, b=B, method="lucene")
            model.index((docs, dict(vocab)), create_empty_token=False, show_progress=False)
            scores = model.scores
            postings[name] = _Postings(
                np.asarray(scores["data"], dtype=np.float32),
                np.asarray(scores["indices"], dtype=np.int32),
                np.asarray(scores["indptr"], dtype=np.int64),
            )
        df = _document_frequencies(postings, len(vocab))
        return cls(
            sections,
            vocab,
            postings,
            dict(surface_df),
            df,
            corpus.problems,
            common_english_words(),
            aws_terms(),
        )

    # ------------------------------------------------------------------ queries

    def _known(self, word: str) -> bool:
        return (
            word in self.surface_vocab
            or word in STOP_WORDS
            or stem(word) in self.vocab
            or not word.isalpha()
        )

    def correct(self, word: str) -> str | None:
        """The vocabulary word closest to an unknown ``word``, or ``None`` if none is close.

        A real English word or an AWS product's name is never corrected (:mod:`.wordlist`):
        "master" is not a typo of "matter", nor "memorydb" of "memory", and rewriting either
        would answer a question nobody asked.

        One edit is allowed up to 7 letters and two beyond; the first letter must match
        (people rarely mistype it and it keeps "bread" from becoming "read"); among equally
        close candidates the one found in most sections wins.
        """
        return self._corrections(word)

    @property
    def corrections_cached(self) -> int:
        """How many words' corrections are remembered (at most :data:`CORRECTIONS_CACHED`)."""
        return self._corrections.cache_info().currsize

    def _closest(self, word: str) -> str | None:
        """:meth:`correct` uncached."""
        if word in self.aws_words or is_english_word(word):
            return None
        best: str | None = None
        if len(word) >= MIN_CORRECTION_LENGTH and word.isalpha():
            from rapidfuzz import process
            from rapidfuzz.distance import OSA

            max_edits = 1 if len(word) <= 7 else 2
            candidates = process.extract(
                word,
                self._correctable,
                scorer=OSA.distance,
                score_cutoff=max_edits,
                limit=20,
            )
            ranked = sorted(
                (dist, -self.surface_vocab[cand], cand)
                for cand, dist, _ in candidates
                if cand[0] == word[0] and abs(len(cand) - len(word)) <= max_edits
            )
            if ranked:
                best = ranked[0][2]
        if best is None:
            best = self._split(word)
        return best

    def _split(self, word: str) -> str | None:
        """``servicelinked`` → ``service linked``: two known words run together."""
        if len(word) < 6 or not word.isalpha():
            return None
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if self.surface_vocab.get(left, 0) > 0 and self.surface_vocab.get(right, 0) > 0:
                return f"{left} {right}"
        return None

    def analyse(self, question: str) -> Query:
        """Question → weighted stemmed terms (typos corrected, synonyms expanded)."""
        surface: list[str] = []
        corrected_words: set[str] = set()
        corrections: list[tuple[str, str]] = []
        unknown: list[str] = []
        for word in words(question):
            if self._known(word):
                surface.append(word)
                continue
            fixed = self.correct(word)
            if fixed is None:
                unknown.append(word)
                surface.append(word)
            else:
                corrections.append((word, fixed))
                for part in fixed.split():
                    surface.append(part)
                    corrected_words.add(part)

        weights: dict[str, QueryTerm] = {}
        typed: list[str] = []
        from_identifiers = identifier_words(question)
        plain: set[str] = set()
        for word, origin, share in _expand_with_origin(surface):
            if word in STOP_WORDS:
                continue
            weight = share * (CORRECTION_WEIGHT if origin in corrected_words else 1.0)
            term = stem(word)
            if not set(origin.split()) <= from_identifiers:
                plain.add(term)
            # an expansion's words come from the synonym table, not from the user: they break
            # a phrase rather than join one
            typed.append(term if share == 1.0 else "")
            previous = weights.get(term)
            if previous is None or previous.weight < weight:
                weights[term] = QueryTerm(term, weight, origin)
        return Query(
            question,
            tuple(weights.values()),
            tuple(corrections),
            tuple(unknown),
            tuple(dict.fromkeys(adjacent_pairs(typed))),
            frozenset(weights) - plain,
        )

    def _column(self, field: str, term_id: int) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        p = self.postings[field]
        start, end = int(p.indptr[term_id]), int(p.indptr[term_id + 1])
        return p.indices[start:end], p.data[start:end]

    def score(self, query: Query) -> tuple[NDArray[np.float32], NDArray[np.float32], float]:
        """Per-section BM25F scores, matched IDF mass, and the question's total IDF mass."""
        n = len(self.sections)
        scores = np.zeros(n, dtype=np.float32)
        matched = np.zeros(n, dtype=np.float32)
        present = np.zeros(n, dtype=bool)
        total = 0.0
        for qt in query.terms:
            term_id = self.vocab.get(qt.term)
            if term_id is None:
                total += qt.weight * _idf(0, n)
                continue
            mass = qt.weight * _idf(int(self.df[term_id]), n)
            total += mass
            for field in FIELDS:
                rows, data = self._column(field, term_id)
                if len(rows):
                    scores[rows] += data * (qt.weight * FIELD_WEIGHTS[field])
                    present[rows] = True
            matched[present] += mass
            present[:] = False
        return scores, matched, total

    def cap_identifiers(self, query: Query, scores: NDArray[np.float32]) -> NDArray[np.float32]:
        """``scores`` with the identifier terms' share capped (see :data:`IDENTIFIER_CAP`)."""
        terms = tuple(qt for qt in query.terms if qt.term in query.identifiers)
        part, _, _ = self.score(Query(query.text, terms))
        cap = IDENTIFIER_CAP * float(part.max())
        return scores - part + np.minimum(part, cap)

    def _heading_phrases(self) -> dict[tuple[str, str], tuple[NDArray[np.int32], float]]:
        """Adjacent term pair → (sections whose heading holds it, its IDF among headings).

        Derived from the headings on first use instead of stored in the cache: a few pairs per
        heading are cheap to rebuild, and the cache format stays as it is.
        """
        if self._phrases is None:
            where: dict[tuple[str, str], list[int]] = {}
            for i, section in enumerate(self.sections):
                for pair in set(adjacent_pairs(document_terms(words(section.heading)))):
                    where.setdefault(pair, []).append(i)
            n = len(self.sections)
            self._phrases = {
                pair: (np.asarray(rows, dtype=np.int32), _idf(len(rows), n))
                for pair, rows in where.items()
            }
        return self._phrases

    def phrase_scores(self, query: Query) -> NDArray[np.float32]:
        """Per-section heading phrase score (see :data:`PHRASE_WEIGHT`)."""
        scores = np.zeros(len(self.sections), dtype=np.float32)
        if not query.pairs or not PHRASE_WEIGHT:
            return scores
        phrases = self._heading_phrases()
        for pair in query.pairs:
            found = phrases.get(pair)
            if found is not None:
                rows, idf = found
                scores[rows] += PHRASE_WEIGHT * idf
        return scores

    def contrast_factors(self, query: Query) -> NDArray[np.float32] | None:
        """Per-section contrast factor (see :data:`CONTRAST_WEIGHT`), or ``None`` when no
        heading excludes anything. Derived from the headings on first use, like the phrases.

        A contrast has two sides: the factor applies only when the question also asks for part
        of what the heading keeps. "target with no scaling policy or scheduled action" excludes
        both sides of "scheduled actions but not scaling policies": it is about neither.
        """
        if self._contrasts is None:
            self._contrasts = []
            for i, section in enumerate(self.sections):
                excluded = negated_terms(section.heading, contrast_only=True)
                if excluded:
                    kept = frozenset(document_terms(words(section.heading))) - excluded
                    self._contrasts.append((i, kept, excluded))
        if not self._contrasts or not CONTRAST_WEIGHT:
            return None
        excluded_by_question = negated_terms(query.text)
        wanted = {qt.term for qt in query.terms} - excluded_by_question
        factors = np.ones(len(self.sections), dtype=np.float32)
        for i, kept, excluded in self._contrasts:
            if not kept & wanted:
                continue
            agree = len(excluded & excluded_by_question)
            conflict = len(excluded & wanted)
            factors[i] += CONTRAST_WEIGHT * (agree - conflict) / len(excluded)
        return factors

    def intent_factors(self, intent: str) -> NDArray[np.float32]:
        """Per-section intent factor (see :data:`INTENT_WEIGHT`)."""
        if self._intents is None:
            self._intents = [heading_intent(s.heading) for s in self.sections]
        same = np.asarray([i == intent for i in self._intents], dtype=np.float32)
        return 1.0 + INTENT_WEIGHT * same

    def fact_factors(self, facts: frozenset[str]) -> NDArray[np.float32]:
        """Per-section named-fact factor (see :data:`FACT_WEIGHT`)."""
        if self._facts is None:
            self._facts = [frozenset(heading_facts(s.heading)) for s in self.sections]
        same = np.asarray([bool(f & facts) for f in self._facts], dtype=np.float32)
        return 1.0 + FACT_WEIGHT * same

    def contains(self, term: str, section: int, fields: Sequence[str] = FIELDS) -> bool:
        """Whether ``section`` contains the stemmed ``term`` in any of ``fields``.

        A column lists the sections holding the term in ascending order (CSC form), so this
        is a binary search, cheap enough to run for every term of a question.
        """
        term_id = self.vocab.get(term)
        if term_id is None:
            return False
        for field in fields:
            rows, _ = self._column(field, term_id)
            at = int(rows.searchsorted(section))
            if at < len(rows) and int(rows[at]) == section:
                return True
        return False

    @property
    def rare_idf(self) -> float:
        """The IDF of a term found in a single section: the scale of this index's scores."""
        return _idf(1, max(len(self.sections), 2))

    def term_weights(self, query: Query) -> dict[str, float]:
        """Each query term's weight times its IDF (how much finding it in a text means)."""
        n = len(self.sections)
        out: dict[str, float] = {}
        for qt in query.terms:
            term_id = self.vocab.get(qt.term)
            if term_id is not None:
                out[qt.term] = qt.weight * _idf(int(self.df[term_id]), n)
        return out

    def search(self, question: str, top: int = 3) -> tuple[Query, list[Hit]]:
        """The ``top`` best sections for a question (possibly weak: :mod:`.answer` decides)."""
        query = self.analyse(question)
        scores, matched, total = self.score(query)
        if not len(scores):
            return query, []
        if query.identifiers and IDENTIFIER_CAP < 1.0:
            scores = self.cap_identifiers(query, scores)
        if query.pairs:
            scores = scores + self.phrase_scores(query)
        contrast = self.contrast_factors(query)
        if contrast is not None:
            scores = scores * contrast
        intent = question_intent(question)
        if intent is not None and INTENT_WEIGHT:
            scores = scores * self.intent_factors(intent)
        facts = question_facts(question)
        if facts and FACT_WEIGHT:
            scores = scores * self.fact_factors(frozenset(facts))
        if COORDINATION and total > 0:
            scores = scores * (matched / total) ** COORDINATION
        k = min(top, len(scores))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = sorted(best.tolist(), key=lambda i: (-float(scores[i]), i))
        typed_everyday = {qt.term for qt in query.terms if qt.origin in self.common_words}
        everyday = [
            (term, mass * (1.0 - COMMON_WORD_COVERAGE))
            for term, mass in self.term_weights(query).items()
            if term in typed_everyday
        ]
        spare = total - sum(mass for _, mass in everyday)
        hits = []
        for i in order:
            if scores[i] <= 0:
                continue
            held = float(matched[i]) - sum(m for t, m in everyday if self.contains(t, i))
            hits.append(Hit(i, float(scores[i]), held / spare, float(matched[i])))
        return query, hits

    # ------------------------------------------------------------------ persistence

    def to_state(self) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
        """Arrays and JSON-able metadata that :meth:`from_state` rebuilds the index from."""
        arrays: dict[str, NDArray[Any]] = {}
        for name, p in self.postings.items():
            arrays[f"{name}.data"] = p.data
            arrays[f"{name}.indices"] = p.indices
            arrays[f"{name}.indptr"] = p.indptr
        arrays["df"] = self.df
        meta = {
            "vocab": sorted(self.vocab, key=self.vocab.__getitem__),
            "surface_vocab": self.surface_vocab,
            "sections": [
                {
                    "article_id": s.article_id,
                    "title": s.title,
                    "heading": s.heading,
                    "body": s.body,
                    "sources": list(s.sources),
                    "aliases": list(s.aliases),
                    "topic": s.topic,
                    "path": s.path,
                    "anchor": s.anchor,
                    "questions": list(s.questions),
                }
                for s in self.sections
            ],
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
            "common_words": sorted(self.common_words),
            "aws_words": sorted(self.aws_words),
        }
        return arrays, meta

    @classmethod
    def from_state(cls, arrays: dict[str, NDArray[Any]], meta: dict[str, Any]) -> SearchIndex:
        sections = [
            Section(
                s["article_id"],
                s["title"],
                s["heading"],
                s["body"],
                tuple(s["sources"]),
                tuple(s["aliases"]),
                s["topic"],
                s["path"],
                s.get("anchor", ""),
                tuple(s.get("questions", ())),
            )
            for s in meta["sections"]
        ]
        postings = {
            name: _Postings(
                arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]
            )
            for name in FIELDS
        }
        vocab = {term: i for i, term in enumerate(meta["vocab"])}
        problems = [LoadProblem(p["path"], p["message"]) for p in meta["problems"]]
        surface = dict(meta["surface_vocab"])
        common = frozenset(meta.get("common_words", ()))
        aws = frozenset(meta.get("aws_words", ()))
        return cls(sections, vocab, postings, surface, arrays["df"], problems, common, aws)


def adjacent_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """Neighbouring terms as pairs; an empty term breaks the chain, a repeat is no pair."""
    return [(a, b) for a, b in pairwise(terms) if a and b and a != b]


def _expand_with_origin(surface: Sequence[str]) -> list[tuple[str, str, float]]:
    """Expand synonyms, remembering which typed word each term came from.

    An expansion shares its weight among its words (``1/sqrt(n)`` each) so that one acronym
    typed by the user does not outweigh the rest of the question.
    """
    out: list[tuple[str, str, float]] = []
    for typed, replacement in spans(surface):
        origin = " ".join(typed)
        share = 1.0 if len(replacement) == 1 else 1.0 / math.sqrt(len(replacement))
        out.extend((w, origin, share) for w in replacement)
    return out
