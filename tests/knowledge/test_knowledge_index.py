"""The search index: ranking, synonyms, typo correction, coverage, and the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scalewarden.knowledge import cache, wordlist
from scalewarden.knowledge.answer import Engine
from scalewarden.knowledge.corpus import (
    Article,
    Corpus,
    Section,
    content_hash,
    load_corpus,
    read_sources,
)
from scalewarden.knowledge.index import SearchIndex, adjacent_pairs

FIXTURES = Path(__file__).parent / "fixtures"
KB = FIXTURES / "kb"


def top_heading(index: SearchIndex, question: str) -> str:
    _, hits = index.search(question, 3)
    assert hits, question
    return index.sections[hits[0].index].heading


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("which tls version do we need", "Which TLS version do clients need?"),
        ("ECDHE or DHE required?", "Which cipher suites are required?"),
        ("how do i delete the role", "How do I delete a service-linked role?"),
        ("trust policy json", "What does a trust policy look like?"),
        ("endpoint service name", "What is the endpoint service name?"),
        ("iam:CreateServiceLinkedRole", "Which permission creates the role?"),
    ],
)
def test_ranks_known_questions_first(index: SearchIndex, question: str, heading: str) -> None:
    assert top_heading(index, question) == heading


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("delete the slr", "How do I delete a service-linked role?"),
        ("vpce service name", "What is the endpoint service name?"),
        ("perms to create the service linked role", "Which permission creates the role?"),
        ("ssl version", "Which TLS version do clients need?"),
    ],
)
def test_synonyms_and_acronyms_find_their_sections(
    index: SearchIndex, question: str, heading: str
) -> None:
    assert top_heading(index, question) == heading


def test_typos_are_corrected_against_the_vocabulary(index: SearchIndex) -> None:
    query, _ = index.search("polciy to block one action through the endpoint", 3)
    assert ("polciy", "policy") in query.corrections
    assert top_heading(index, "polciy to block an action") == (
        "Can an endpoint policy block a single action?"
    )
    assert index.correct("cihper") == "cipher"  # transposition
    assert index.correct("prinicpal") == "principal"


def test_correction_is_conservative(index: SearchIndex) -> None:
    assert index.correct("bread") is None  # "read" would need a new first letter
    assert index.correct("zzzzzz") is None
    query = index.analyse("tls ecs")  # short words are never "corrected"
    assert query.corrections == ()


def test_a_flood_of_unknown_words_keeps_the_correction_memo_bounded(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every distinct unknown word was remembered for the life of the process: made-up words,
    # one question after another, grew the answer worker's memory without limit
    from scalewarden.knowledge import index as index_module

    monkeypatch.setattr(index_module, "CORRECTIONS_CACHED", 64)
    index = SearchIndex.build(corpus)
    for n in range(1000):
        made_up = "qx" + "".join("abcdefghij"[int(d)] for d in f"{n:04d}") + "zvb"
        index.search(f"{made_up} polciy for the endpoint", 3)
    assert index.corrections_cached == 64
    # what is remembered still corrects, and a forgotten word is corrected again
    assert index.correct("polciy") == "policy"
    assert index.correct("cihper") == "cipher"


@pytest.mark.parametrize("word", ["master", "spending", "matter", "together", "trust"])
def test_real_english_words_are_never_corrected(index: SearchIndex, word: str) -> None:
    # "rotate the master password" once became "matter" and was answered
    assert index.correct(word) is None
    assert index.analyse(f"rotate the {word} password").corrections == ()


@pytest.mark.parametrize("word", ["opensearch", "memorydb", "documentdb", "guardduty"])
def test_aws_product_names_are_never_corrected(index: SearchIndex, word: str) -> None:
    # "opensearch" once became "open search", "memorydb" "memory", "documentdb" "document"
    assert index.correct(word) is None
    query = index.analyse(f"can aas scale {word}")
    assert query.corrections == ()
    assert word in query.unknown


def test_aws_product_names_come_from_botocore_models(tmp_path: Path) -> None:
    import gzip

    model = tmp_path / "docdb" / "2014-10-31" / "service-2.json.gz"
    model.parent.mkdir(parents=True)
    metadata = (
        '{"version":"2.0","metadata":{"endpointPrefix":"rds","serviceAbbreviation":'
        '"Amazon DocDB","serviceFullName":"Amazon DocumentDB with MongoDB compatibility",'
        '"serviceId":"DocDB","signingName":"rds"},"operations":{"X":{"documentation":'
        '"serviceFullName":"Zzzplanted"}}}'
    )
    model.write_bytes(gzip.compress(metadata.encode()))
    (tmp_path / "memorydb").mkdir()  # a service folder alone still names the service
    names = wordlist.aws_service_names(tmp_path)
    assert "Amazon DocumentDB with MongoDB compatibility" in names
    assert "Zzzplanted" not in names  # only the metadata, never the operations
    terms = wordlist.aws_terms(tmp_path)
    assert {"docdb", "documentdb", "mongodb", "memorydb", "rds"} <= terms
    assert not {"amazon", "with", "compatibility"} & terms  # English words need no guard


def test_the_index_keeps_the_aws_product_names(tmp_path: Path) -> None:
    index = SearchIndex.build(load_corpus(KB))
    assert {"opensearch", "memorydb"} <= index.aws_words
    files = read_sources(KB)
    key = cache.cache_key(content_hash(files))
    cache.save(tmp_path, key, index)
    loaded = cache.load(tmp_path, key)
    assert loaded is not None
    assert loaded.aws_words == index.aws_words
    assert loaded.correct("opensearch") is None


def test_cache_key_follows_the_botocore_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "botocore" / "data"
    data.mkdir(parents=True)
    (data.parent / "__init__.py").write_text("__version__ = '1.0'\n")
    monkeypatch.setattr(wordlist, "botocore_data_dir", lambda: data)
    before = cache.cache_key("content")
    (data.parent / "__init__.py").write_text("__version__ = '1.1'\n")
    assert cache.cache_key("content") != before


def test_words_run_together_are_split(index: SearchIndex) -> None:
    assert index.correct("trustpolicy") == "trust policy"
    query = index.analyse("show me a trustpolicy")
    assert ("trustpolicy", "trust policy") in query.corrections
    assert top_heading(index, "show me a trustpolicy") == "What does a trust policy look like?"


def test_unknown_words_lower_coverage(index: SearchIndex) -> None:
    _, full = index.search("tls version", 1)
    _, partial = index.search("tls version for my sourdough starter", 1)
    assert full[0].coverage == pytest.approx(1.0)
    assert partial[0].coverage < 0.6
    query, hits = index.search("kubernetes hpa yaml", 3)
    assert hits == []
    assert set(query.unknown) == {"kubernetes", "hpa", "yaml"}


def test_expansion_does_not_outweigh_the_rest_of_the_question(index: SearchIndex) -> None:
    query = index.analyse("iam trust")
    weights = {t.term: t.weight for t in query.terms}
    assert weights["trust"] == pytest.approx(1.0)
    assert weights["iam"] < 1.0  # "iam" expands to four words sharing one word's weight


def test_state_round_trip_gives_identical_results(index: SearchIndex) -> None:
    arrays, meta = index.to_state()
    again = SearchIndex.from_state(arrays, meta)
    for question in ("delete the slr", "tls", "endpoint policy"):
        scores_a = index.score(index.analyse(question))[0]
        scores_b = again.score(again.analyse(question))[0]
        assert np.array_equal(scores_a, scores_b)
    assert again.sections == index.sections
    assert again.common_words == index.common_words and "exactly" in again.common_words


def test_everyday_words_weigh_less_in_coverage_but_not_in_the_score(shipped: Engine) -> None:
    """Words people type around the subject ("far", "back", "exactly") are in no section; a
    question made mostly of them is still covered by the section holding its informative words.
    The ranking keeps the plain share: the everyday words only move the no-answer decision."""
    index = shipped.index
    question = "how far back does the scaling activity history go, exactly"
    _, hits = index.search(question, 3)
    _, matched, total = index.score(index.analyse(question))
    plain = [float(matched[h.index]) / total for h in hits]
    assert all(h.coverage > share for h, share in zip(hits, plain, strict=True))
    answer = shipped.answer(question)
    assert answer.answered
    assert (
        answer.results[0].section
        == "How long does Application Auto Scaling keep scaling activity history?"
    )


def test_cache_round_trip_and_key(tmp_path: Path) -> None:
    files = read_sources(KB)
    key = cache.cache_key(content_hash(files))
    assert cache.load(tmp_path, key) is None
    index = SearchIndex.build(load_corpus(KB))
    path = cache.save(tmp_path, key, index)
    assert path is not None and path.exists()
    loaded = cache.load(tmp_path, key)
    assert loaded is not None
    assert loaded.sections == index.sections
    assert (
        loaded.search("delete the slr", 1)[1][0].index
        == index.search("delete the slr", 1)[1][0].index
    )


def test_cache_key_follows_the_content(tmp_path: Path) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(f"# {name}\n\ntext\n")
    before = cache.cache_key(content_hash(read_sources(None, [tmp_path])))
    (tmp_path / "b.md").write_text("# b.md\n\nchanged\n")
    after = cache.cache_key(content_hash(read_sources(None, [tmp_path])))
    assert before != after


def test_corrupt_cache_means_rebuild(tmp_path: Path) -> None:
    (tmp_path / "index-deadbeef.npz").write_bytes(b"not a zip file")
    assert cache.load(tmp_path, "deadbeef") is None


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    index = SearchIndex.build(load_corpus(KB))
    assert cache.save(blocker / "cache", "k", index) is None


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    index = SearchIndex.build(load_corpus(KB))
    for i in range(cache.KEEP + 3):
        cache.save(tmp_path, f"k{i}", index)
    assert len(list(tmp_path.glob("index-*.npz"))) == cache.KEEP
    assert (tmp_path / f"index-k{cache.KEEP + 2}.npz").exists()


def _mirror_corpus() -> Corpus:
    """Two sections with the same words in opposite order, and one unrelated section."""
    body = "Allow the scaling policy actions and the scheduled action actions as needed."
    sections = tuple(
        Section("policies", "Policy examples", heading, body, ())
        for heading in (
            "Manage scaling policies but not scheduled actions",
            "Manage scheduled actions but not scaling policies",
            "Which TLS version do clients need?",
        )
    )
    article = Article("policies", "Policy examples", None, (), (), None, "", sections)
    return Corpus((article,))


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        (
            "let the team manage scaling policies but block scheduled actions",
            "Manage scaling policies but not scheduled actions",
        ),
        (
            "team may manage scheduled actions, never scaling policies",
            "Manage scheduled actions but not scaling policies",
        ),
    ],
)
def test_word_order_in_the_heading_breaks_a_tie(question: str, heading: str) -> None:
    index = SearchIndex.build(_mirror_corpus())
    _, hits = index.search(question, 3)
    assert index.sections[hits[0].index].heading == heading
    assert hits[0].score > hits[1].score


def test_the_phrase_score_only_breaks_ties() -> None:
    index = SearchIndex.build(_mirror_corpus())
    query = index.analyse("scaling policies")
    assert query.pairs == (("scal", "polici"),)
    phrase = index.phrase_scores(query)
    assert phrase[0] > 0 and phrase[1] > 0 and phrase[2] == 0  # both headings say it in order
    # same words in both headings; only the second has "actions" right before "not"
    _, hits = index.search("scheduled actions, not policies", 2)
    assert index.sections[hits[0].index].heading.startswith("Manage scheduled actions")


def test_adjacent_pairs_skip_expansions_and_repeats() -> None:
    assert adjacent_pairs(["manag", "scal", "polici"]) == [("manag", "scal"), ("scal", "polici")]
    assert adjacent_pairs(["scal", "scal", "polici"]) == [("scal", "polici")]
    assert adjacent_pairs(["delet", "", "role"]) == []
    index = SearchIndex.build(_mirror_corpus())
    # "slr" is expanded by the synonym table: its words are not phrases the user typed
    assert index.analyse("delete the slr").pairs == ()


@pytest.mark.parametrize(
    ("question", "section"),
    [
        (
            "let devs manage scheduled actions but not touch scaling policies",
            "Policy example: manage scheduled actions but not scaling policies",
        ),
        (
            "people may edit scaling policies, not scheduled actions",
            "Policy example: manage scaling policies but not scheduled actions",
        ),
        (
            "deny scheduled actions, allow scaling policies",
            "Policy example: manage scaling policies but not scheduled actions",
        ),
    ],
)
def test_a_heading_that_excludes_something_wins_over_its_mirror_image(
    shipped: Engine, question: str, section: str
) -> None:
    """The two headings hold the same words; what the question excludes decides."""
    assert shipped.answer(question).results[0].section == section


def _identifier_corpus() -> Corpus:
    """One section spells a policy's name out again and again; another names it once and says
    who may attach it."""
    name = "AWSApplicationAutoscalingECSServicePolicy"
    sections = (
        Section(
            "policies",
            "Managed policies",
            f"What does the ECS managed policy {name} allow?",
            f"{name} lets the ECS service-linked role update ECS services. AWS "
            "Application Auto Scaling ECS service policy: ecs:DescribeServices, "
            "ecs:UpdateService, cloudwatch:PutMetricAlarm. The AWS ECS service policy is an "
            "AWS managed policy for the ECS service.",
            (),
        ),
        Section(
            "policies",
            "Managed policies",
            "Can I attach the managed policies to my users or roles?",
            f"No. Policies such as {name} are attached to service-linked roles only; "
            "attach your own policy to users and roles instead.",
            (),
        ),
        Section(
            "policies",
            "Managed policies",
            "Which TLS version do clients need?",
            "TLS 1.2 or later, with cipher suites that support perfect forward secrecy.",
            (),
        ),
    )
    article = Article("policies", "Managed policies", None, (), (), None, "", sections)
    return Corpus((article,))


def test_an_identifier_picks_the_topic_and_the_other_words_pick_the_section(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = SearchIndex.build(_identifier_corpus())
    question = "can i attach AWSApplicationAutoscalingECSServicePolicy to a user"
    query = index.analyse(question)
    assert {"aws", "ecs", "servic", "polici"} <= query.identifiers
    assert "attach" not in query.identifiers and "user" not in query.identifiers
    _, hits = index.search(question, 2)
    assert index.sections[hits[0].index].heading.startswith("Can I attach")
    # the name alone still finds the section about it
    _, hits = index.search("AWSApplicationAutoscalingECSServicePolicy", 2)
    assert index.sections[hits[0].index].heading.startswith("What does the ECS")


def test_without_the_identifier_cap_the_name_outvotes_the_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The case the cap exists for: uncapped, the section that repeats the name wins (with the
    named-fact cue off, which would lift the "Can I attach" heading on its own)."""
    monkeypatch.setattr("scalewarden.knowledge.index.IDENTIFIER_CAP", 1.0)
    monkeypatch.setattr("scalewarden.knowledge.index.FACT_WEIGHT", 0.0)
    index = SearchIndex.build(_identifier_corpus())
    _, hits = index.search("can i attach AWSApplicationAutoscalingECSServicePolicy to a user", 2)
    assert index.sections[hits[0].index].heading.startswith("What does the ECS")
