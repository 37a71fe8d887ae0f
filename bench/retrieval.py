"""Retrieval benchmark: quality on the development set, latency, build time, cold start.

Run ``python bench/retrieval.py`` (add ``--write`` to replace the ``## Retrieval`` section of
``docs/benchmarks.md``). It reports, in one run and on the same questions:

* our engine (``Engine.answer``: BM25F + synonyms + typo correction + the no-answer rule;
  a question it declines to answer counts as a miss);
* plain BM25 (``bm25s`` alone on title + heading + body, its English stop words, no
  synonyms, no typo correction);
* plain rapidfuzz (``process.extract`` with ``WRatio`` and with ``token_set_ratio`` over the
  same section texts);

each on the development set (the area files the articles were written with) and, apart, on
the practice set (``practice.yaml``, which tuning may look at) and the held-out set
(``heldout.yaml``, written from the AWS pages and never tuned on), with the questions of each
set that the engine wrongly declines. The development figure alone would flatter the engine:
the held-out one says how it does on questions nobody fitted it to;

then, with ``--before REV`` (one or more), the same quality figures for the code, articles and
questions of an earlier commit, side by side with the working tree's, measured in the same run
(each revision is exported to a temporary folder and measured in a child process on its own
``src``);

then the no-answer behaviour on off-topic questions, the score/coverage margins behind the
no-answer thresholds, query latency on the shipped knowledge base and on a synthetic corpus
of 10,000 sections, index build and cache load times, and the wall time of a cold
``scalewarden ask`` process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# This folder holds bench/http.py, which would shadow the standard library's http package for
# the libraries imported below: take the script's own folder off the import path first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from scalewarden.knowledge import devset  # noqa: E402
from scalewarden.knowledge.answer import Engine, build_engine  # noqa: E402
from scalewarden.knowledge.corpus import Article, Corpus, Section, load_corpus  # noqa: E402
from scalewarden.knowledge.devset import (  # noqa: E402
    LABELLED_SETS,
    OFF_TOPIC_FILE,
    LabelledQuestion,
    OffTopicQuestion,
    by_set,
    load_labelled,
)
from scalewarden.knowledge.index import SearchIndex  # noqa: E402
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR  # noqa: E402

KNOWLEDGE = DEFAULT_KNOWLEDGE_DIR
DEVSET = ROOT / "bench" / "devset"
DOC = ROOT / "docs" / "benchmarks.md"


def load_devset(folder: Path = DEVSET) -> dict[str, list[LabelledQuestion]]:
    """The labelled questions (every ``*.yaml`` but the off-topic file), by set."""
    return by_set(load_labelled(folder))


def load_off_topic(folder: Path = DEVSET) -> list[OffTopicQuestion]:
    """The questions that must be declined, each in its tuning or held-out half."""
    return devset.load_off_topic(folder)


def files_of(items: Sequence[LabelledQuestion]) -> str:
    """The files a set's questions come from, for the report (``a.yaml, b.yaml``)."""
    return ", ".join(dict.fromkeys(sorted(item.file for item in items)))


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


Ranker = Callable[[str], list[tuple[str, str]]]


def evaluate(rank: Ranker, questions: Sequence[LabelledQuestion]) -> tuple[float, float, list[str]]:
    """Top-1 accuracy, MRR@3 and the misses (question → what came first)."""
    hits = 0
    rr = 0.0
    misses: list[str] = []
    for item in questions:
        ranked = rank(item.q)[:3]
        target = (item.article, item.section)
        if ranked and ranked[0] == target:
            hits += 1
        if target in ranked:
            rr += 1.0 / (ranked.index(target) + 1)
        else:
            first = f"{ranked[0][0]} / {ranked[0][1]}" if ranked else "(no answer)"
            misses.append(f"{item.q!r}: expected {item.article} / {item.section}; got {first}")
    n = len(questions) or 1
    return hits / n, rr / n, misses


def ours(engine: Engine) -> Ranker:
    def rank(q: str) -> list[tuple[str, str]]:
        answer = engine.answer(q, 3)
        return [(r.article_id, r.section) for r in answer.results]

    return rank


def section_text(s: Section) -> str:
    return f"{s.title}\n{s.heading}\n{s.body}"


def plain_bm25(sections: Sequence[Section]) -> Ranker:
    import bm25s

    model = bm25s.BM25()
    model.index(
        bm25s.tokenize([section_text(s) for s in sections], stopwords="en", show_progress=False),
        show_progress=False,
    )

    def rank(q: str) -> list[tuple[str, str]]:
        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        k = min(3, len(sections))
        docs, _ = model.retrieve(tokens, k=k, show_progress=False)
        return [(sections[i].article_id, sections[i].heading) for i in docs[0]]

    return rank


def plain_fuzz(sections: Sequence[Section], scorer_name: str) -> Ranker:
    from rapidfuzz import fuzz, process, utils

    scorer = getattr(fuzz, scorer_name)
    texts = [section_text(s) for s in sections]

    def rank(q: str) -> list[tuple[str, str]]:
        found = process.extract(q, texts, scorer=scorer, processor=utils.default_process, limit=3)
        return [(sections[i].article_id, sections[i].heading) for _, _, i in found]

    return rank


def latencies(
    engine: Engine, questions: Sequence[str], rounds: int = 5
) -> tuple[list[float], list[float]]:
    """Wall time of ``Engine.answer`` in ms, after one warm-up pass.

    Returns (best of ``rounds`` per question, every sample). The per-question best filters
    out the time the process spent preempted on a shared machine; every sample is kept too,
    so the report shows both.
    """
    for q in questions:
        engine.answer(q, 3)
    best: list[float] = []
    samples: list[float] = []
    for q in questions:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            engine.answer(q, 3)
            times.append((time.perf_counter() - start) * 1000)
        best.append(min(times))
        samples.extend(times)
    return best, samples


def synthetic_corpus(real: Corpus, size: int, seed: int = 7) -> Corpus:
    """The real sections plus filler sections drawn from the real word distribution.

    Filler reuses the knowledge base's own vocabulary and frequencies, so postings lists are
    as long as they would be in a large documentation set on the same subject.
    """
    rng = random.Random(seed)
    vocab: list[str] = []
    for s in real.sections:
        vocab.extend(s.body.split())
    articles = list(real.articles)
    sections_needed = size - len(real.sections)
    per_article = 10
    for a in range(max(0, sections_needed) // per_article + 1):
        count = min(per_article, sections_needed - a * per_article)
        if count <= 0:
            break
        article_id = f"synthetic-{a:05d}"
        sections = tuple(
            Section(
                article_id,
                f"Synthetic article {a}",
                " ".join(rng.choices(vocab, k=8)) + "?",
                "\n\n".join(" ".join(rng.choices(vocab, k=60)) for _ in range(3)),
                (),
            )
            for _ in range(count)
        )
        articles.append(
            Article(article_id, f"Synthetic article {a}", None, (), (), None, "", sections, False)
        )
    return Corpus(tuple(articles))


def cold_ask(runs: int, cache_dir: Path) -> list[float]:
    """Wall time in ms of ``scalewarden ask`` in a new process (cache already warm)."""
    exe = Path(sys.executable).with_name("scalewarden")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "scalewarden.cli"]
    env = {**os.environ, "SCALEWARDEN_CACHE_DIR": str(cache_dir)}
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [*cmd, "ask", "which TLS version do clients need?", "--json"],
            env=env,
            capture_output=True,
            check=False,
        )
        out.append((time.perf_counter() - start) * 1000)
    return out


#: Spelled out rather than taken from ``LABELLED_SETS``: ``--before`` runs this script on an
#: earlier tree, whose loader may know fewer sets (their figures are then empty, not missing).
QUALITY_SETS = (
    "development",
    "practice",
    "practice 2",
    "practice 3",
    "held-out",
    "held-out 2",
    "held-out 3",
)


def quality(root: Path) -> dict[str, object]:
    """Top-1, wrongly declined and off-topic declines of the tree at ``root`` (its own code,
    articles and questions: labels follow heading renames), and p99 latency over every set."""
    # The articles live in the package since they ship as package data; earlier trees kept
    # them at the top.
    articles = root / "src" / "scalewarden" / "knowledge_base"
    engine = Engine(
        SearchIndex.build(load_corpus(articles if articles.is_dir() else root / "knowledge"))
    )
    folder = root / "bench" / "devset"
    sets = by_set(load_labelled(folder))
    out: dict[str, object] = {}
    asked: list[str] = []
    for name in QUALITY_SETS:
        items = sets.get(name, [])
        asked.extend(q.q for q in items)
        top1, _, _ = evaluate(ours(engine), items)
        declined = sum(not engine.answer(q.q, 3).answered for q in items)
        out[name] = [len(items), round(top1, 3), declined]
    for split in ("tuning", "held-out"):
        off = [o for o in devset.load_off_topic(folder) if o.split == split]
        out[f"off-topic {split}"] = [len(off), sum(not engine.answer(o.q, 3).answered for o in off)]
    best, _ = latencies(engine, asked, rounds=3)
    out["p99 ms"] = round(percentile(best, 99), 2)
    return out


def quality_of(rev: str) -> dict[str, object]:
    """:func:`quality` of commit ``rev``, exported and measured with its own code."""
    with tempfile.TemporaryDirectory() as tmp:
        top_level = subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:knowledge"], check=False
        )
        paths = ["src", "bench", *(["knowledge"] if top_level.returncode == 0 else [])]
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, *paths],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        script = Path(tmp) / "bench" / "retrieval.py"
        shutil.copy(Path(__file__), script)  # this run's measurement, that tree's code
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        done = subprocess.run(
            [sys.executable, str(script), "--quality"],
            capture_output=True,
            check=True,
            env=env,
            text=True,
        )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def side_by_side(columns: dict[str, dict[str, object]]) -> list[str]:
    """The before/after table: one column per revision, one row per figure."""
    names = list(columns)
    lines = [
        "| figure | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for name in QUALITY_SETS:
        cells = []
        for col in columns.values():
            n, top1, declined = col[name]  # type: ignore[misc]
            cells.append(f"{top1:.3f} ({declined} declined)" if n else "–")
        size = next(c[name][0] for c in columns.values() if c[name][0])  # type: ignore[index]
        lines.append(f"| {name} ({size}): top-1 | " + " | ".join(cells) + " |")
    for split in ("tuning", "held-out"):
        key = f"off-topic {split}"
        cells = [f"{c[key][1]}/{c[key][0]}" for c in columns.values()]  # type: ignore[index]
        lines.append(f"| off-topic declined, {split} half | " + " | ".join(cells) + " |")
    lines.append(
        "| p99 latency, every labelled question (best of 3) | "
        + " | ".join(f"{c['p99 ms']:.2f} ms" for c in columns.values())
        + " |"
    )
    return lines


def subject(rev: str) -> str:
    """A commit's subject line, to say what a column measured."""
    return subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%s", rev],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()


def issue_targets(figures: dict[str, object]) -> list[tuple[str, bool]]:
    """The generalisation targets: held-out top-1, no development question declined, off-topic
    questions declined in each half, in-process p99."""

    def top1(name: str) -> float:
        return float(figures[name][1])  # type: ignore[index]

    def off(split: str) -> float:
        total, declined = figures[f"off-topic {split}"]  # type: ignore[misc]
        return float(declined) / float(total)

    return [
        ("top-1 ≥ 0.85 on held-out", top1("held-out") >= 0.85),
        ("top-1 ≥ 0.85 on held-out 2", top1("held-out 2") >= 0.85),
        ("top-1 ≥ 0.85 on held-out 3", top1("held-out 3") >= 0.85),
        ("0 development questions declined", figures["development"][2] == 0),  # type: ignore[index]
        ("off-topic declined ≥ 0.95 (tuning half)", off("tuning") >= 0.95),
        ("off-topic declined ≥ 0.95 (held-out half)", off("held-out") >= 0.95),
        ("p99 < 5 ms", float(figures["p99 ms"]) < 5),  # type: ignore[arg-type]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quality", action="store_true", help="print this tree's quality figures as JSON"
    )
    parser.add_argument(
        "--before",
        action="append",
        default=[],
        metavar="REV",
        help="also measure this earlier commit, side by side (repeatable)",
    )
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--misses",
        choices=LABELLED_SETS,
        action="append",
        default=[],
        help="list the misses of this set (repeatable)",
    )
    parser.add_argument("--synthetic", type=int, default=10_000, help="synthetic corpus size")
    args = parser.parse_args()
    if args.quality:
        print(json.dumps(quality(ROOT)))
        return 0

    sets = load_devset()
    questions = sets["development"]
    corpus = load_corpus(KNOWLEDGE)
    if corpus.problems:
        for p in corpus.problems:
            print(f"warning: {p}", file=sys.stderr)

    start = time.perf_counter()
    import bm25s  # noqa: F401  (import time reported apart from build time)

    import_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    index = SearchIndex.build(corpus)
    build_ms = (time.perf_counter() - start) * 1000
    engine = Engine(index)

    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        build_engine(KNOWLEDGE, (), cache_dir)  # writes the cache
        start = time.perf_counter()
        cached = build_engine(KNOWLEDGE, (), cache_dir)
        load_ms = (time.perf_counter() - start) * 1000
        assert cached.from_cache
        cold = cold_ask(5, cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        first_run = cold_ask(1, Path(tmp))  # empty cache: imports bm25s, builds, writes

    rank_bm25 = plain_bm25(corpus.sections)
    rows: list[tuple[str, float, float]] = []
    top1, mrr, _ = evaluate(ours(engine), questions)
    rows.append(("scalewarden (BM25F + synonyms + typos)", top1, mrr))
    for name, ranker in (
        ("plain BM25 (bm25s)", rank_bm25),
        ("plain rapidfuzz WRatio", plain_fuzz(corpus.sections, "WRatio")),
        ("plain rapidfuzz token_set_ratio", plain_fuzz(corpus.sections, "token_set_ratio")),
    ):
        t1, m, _ = evaluate(ranker, questions)
        rows.append((name, t1, m))

    off_topic = load_off_topic()
    off_answered = [o for o in off_topic if engine.answer(o.q, 3).answered]
    halves = {
        split: (
            sum(o.split == split for o in off_answered),
            sum(o.split == split for o in off_topic),
        )
        for split in ("tuning", "held-out")
    }
    kinds = dict.fromkeys(o.kind for o in off_topic)
    by_kind = {
        kind: (
            sum(o.kind == kind for o in off_topic) - sum(o.kind == kind for o in off_answered),
            sum(o.kind == kind for o in off_topic),
        )
        for kind in kinds
    }

    def why(q: str) -> str:
        """The no-answer rule's reason for answering an off-topic question."""
        query, hits = index.search(q, 1)
        return engine.decide(query, hits[0]).reason

    declined = {
        name: [q.q for q in items if not engine.answer(q.q, 3).answered]
        for name, items in sets.items()
    }
    dev_declined = declined["development"]
    set_rows = []
    set_misses: dict[str, list[str]] = {}
    for name, items in sets.items():
        if not items:
            continue
        t1, m, set_misses[name] = evaluate(ours(engine), items)
        b1, _, _ = evaluate(rank_bm25, items)
        set_rows.append(
            f"| {name} (`{files_of(items)}`) | {len(items)} | {t1:.3f} | {m:.3f} | "
            f"{len(declined[name])} | {b1:.3f} |"
        )

    # margins behind the no-answer thresholds
    def best(q: str) -> tuple[float, float]:
        """Best section's score (in rare-word IDF units, as the rule sees it) and coverage."""
        _, hits = index.search(q, 1)
        return (hits[0].score / index.rare_idf, hits[0].coverage) if hits else (0.0, 0.0)

    dev_best = [best(q.q) for q in questions]
    off_best = [best(o.q) for o in off_topic]

    lat, lat_all = latencies(engine, [q.q for q in questions])
    synth = synthetic_corpus(corpus, args.synthetic)
    start = time.perf_counter()
    synth_index = SearchIndex.build(synth)
    synth_build_ms = (time.perf_counter() - start) * 1000
    synth_lat, synth_all = latencies(Engine(synth_index), [q.q for q in questions], rounds=3)

    # earlier commits last, so that the import and build timings above start cold
    columns = {f"`{rev}`": quality_of(rev) for rev in args.before}
    if columns:
        columns["this tree"] = quality(ROOT)

    n_sections = len(corpus.sections)
    dev_scores = [s for s, _ in dev_best]
    off_scores = [s for s, _ in off_best]
    targets = [
        ("top-1 ≥ 0.90", rows[0][1] >= 0.90),
        ("ahead of both baselines", all(rows[0][1] > t1 for _, t1, _ in rows[1:])),
        ("p99 < 5 ms on the shipped KB", percentile(lat, 99) < 5),
        (f"p99 < 50 ms at {len(synth.sections):,} sections", percentile(synth_lat, 99) < 50),
    ]
    lines = [
        "## Retrieval",
        "",
        f"`python bench/retrieval.py` on {len(questions)} development questions "
        f"(`bench/devset/`), {len(corpus.articles)} articles, {n_sections} sections. "
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| ranker | top-1 | MRR@3 |",
        "| --- | --- | --- |",
        *(f"| {name} | {t1:.3f} | {m:.3f} |" for name, t1, m in rows),
        "",
        "The development set was written with the articles, so it flatters the engine. Sets "
        "written later from the AWS guide pages (not the articles), phrased the same way, say "
        "how it generalises: three practice sets, which tuning may look at, and three "
        "held-out sets, which nothing was tuned on (a question wrongly declined counts as a "
        "miss). Practice 2 (`practice2.yaml`, Slack shorthand: slr, vpce, scp, prod) and "
        "practice 3 (`practice3.yaml`, the same shorthand with near-miss phrasings: section "
        "pairs either of which sounds right, role names, named facts) were each committed "
        "before any change they measure and have been tuning sets since; their first figures "
        "are the honest ones (practice 3: 0.779 on the starting code). Looked at while "
        "tuning: every miss of the development and practice sets; of held-out and held-out 2, "
        "in earlier rounds, only the classes of their failures, never to fit a question; "
        "held-out 3 not at all. No held-out file (`heldout.yaml`, `heldout2.yaml`, "
        "`heldout3.yaml`) was opened or read: their figures are totals only; in the latest "
        "round they were measured once, after the changes were final, side by side with the "
        "starting commit, and nothing was changed in response. The "
        "sections' `questions` blocks (document expansion by hand, the doc2query idea) were "
        "written from each section's own text and the AWS guide pages and checked against the "
        "development and practice sets only, whose figures they flatter.",
        "",
        "| set | questions | top-1 | MRR@3 | wrongly declined | plain BM25 top-1 |",
        "| --- | --- | --- | --- | --- | --- |",
        *set_rows,
        "",
        "| measure | value |",
        "| --- | --- |",
        *(
            f"| off-topic questions declined, {split} half | {total - wrong}/{total} |"
            for split, (wrong, total) in halves.items()
        ),
        f"| dev questions declined (no answer) | {len(dev_declined)}/{len(questions)} |",
        f"| query latency p50 / p99, shipped KB | {percentile(lat, 50):.2f} ms / "
        f"{percentile(lat, 99):.2f} ms (all samples p99 {percentile(lat_all, 99):.2f} ms) |",
        f"| query latency p50 / p99, {len(synth.sections):,} sections | "
        f"{percentile(synth_lat, 50):.2f} ms / {percentile(synth_lat, 99):.2f} ms "
        f"(all samples p99 {percentile(synth_all, 99):.2f} ms) |",
        f"| index build, shipped KB (bm25s import {import_ms:.0f} ms apart) | {build_ms:.0f} ms |",
        f"| index build, {len(synth.sections):,} sections | {synth_build_ms:.0f} ms |",
        f"| index load from cache | {load_ms:.1f} ms |",
        f"| cold `scalewarden ask --json` process, warm cache (median of 5) | "
        f"{statistics.median(cold):.0f} ms |",
        f"| cold `scalewarden ask --json` process, empty cache (builds the index) | "
        f"{first_run[0]:.0f} ms |",
        "",
        "Targets: "
        + "; ".join(f"{name} {'met' if ok else '**not met**'}" for name, ok in targets)
        + ".",
        "",
        f"Off-topic questions (`bench/devset/{OFF_TOPIC_FILE}`, {len(off_topic)} near-topic "
        "and unrelated questions, none of which may be answered) declined by kind: "
        + ", ".join(f"{kind} {ok}/{total}" for kind, (ok, total) in by_kind.items())
        + ". The no-answer rule was written on the tuning half only; the held-out questions "
        "were not inspected until it was final. Answered anyway: "
        + ("; ".join(f"{o.q!r} ({o.split}, {why(o.q)})" for o in off_answered) or "none")
        + ".",
        "",
        "No-answer margins (best section's score in rare-word IDF units, the unit the rule "
        f"uses): weakest development question {min(dev_scores):.2f}, strongest off-topic "
        f"question {max(off_scores):.2f}; coverage of the best section: development minimum "
        f"{min(c for _, c in dev_best):.2f}, off-topic maximum {max(c for _, c in off_best):.2f}. "
        "Near-topic questions overlap the development set on both, so the rule also asks for "
        "a domain anchor (`scalewarden.knowledge.anchors`).",
        "",
        "Latency is `Engine.answer` (analysis, scoring, no-answer decision and snippets), "
        "in-process after one warm-up pass; p50/p99 are over the questions, each timed as the "
        "best of 5 runs (3 on the synthetic corpus) so that preemption on the shared machine "
        "does not count as our time; the p99 of every raw sample is given alongside. The "
        "synthetic corpus is the shipped sections plus filler drawn from their own word "
        "distribution. The cold process time is dominated by imports (Typer, pydantic, "
        "numpy); the index itself loads from the cache in milliseconds. Quality figures are "
        "deterministic; latency is not: the 2-core machine is shared and was busy during "
        "these runs, so the same code measures differently from run to run (compare the p99 "
        "columns of one run only). Building the index also loads pyspellchecker's dictionary "
        "once, for the everyday words it stores; a cached index does not.",
        "",
    ]
    if columns:
        lines += [
            "### Before and after",
            "",
            "Measured in the same run (`--before`): each column is that commit's code, "
            "articles and questions (labels follow renamed headings; the questions are the "
            "same). A wrongly declined question counts as a miss.",
            "",
            *side_by_side(columns),
            "",
            "Commits: "
            + "; ".join(f"`{rev}` {subject(rev)!r}" for rev in args.before)
            + ". Targets (this tree): "
            + "; ".join(
                f"{name} {'met' if ok else '**not met**'}"
                for name, ok in issue_targets(columns["this tree"])
            )
            + ".",
            "",
        ]
    report = "\n".join(lines)
    print(report)
    if dev_declined:
        print("dev declined:", dev_declined)
    for name in dict.fromkeys(args.misses):
        print(f"\n{name} misses:")
        print("\n".join(set_misses.get(name, [])) or "none")
    if args.write:
        write_section(report)
    return 0


def write_section(report: str, heading: str = "## Retrieval") -> None:
    """Replace (or append) the section of docs/benchmarks.md that ``heading`` opens."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    lines = text.split("\n")
    try:
        start = lines.index(heading)
    except ValueError:
        DOC.write_text(text.rstrip("\n") + "\n\n" + report, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    new = [*lines[:start], *report.rstrip("\n").split("\n"), "", *lines[end:]]
    DOC.write_text("\n".join(new).rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
