"""Loading articles: the front-matter contract, sections, sources, extra folders, bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scalewarden.knowledge.corpus import (
    SOURCE_PREFIX,
    ArticleError,
    load_corpus,
    parse_article,
    source_page,
    source_url,
)

FIXTURES = Path(__file__).parent / "fixtures"
KB = FIXTURES / "kb"
EXTRA = FIXTURES / "extra"

GOOD = """---
id: sample
title: Sample article
topic: resilience
sources:
  - https://docs.aws.amazon.com/autoscaling/application/userguide/disaster-recovery-resiliency.html
aliases: [DR, 403]
reviewed: 2026-10-01
---
# Sample article

## First question?
Sources: security, infrastructure-security.html

First answer.

```text
## not a heading inside code
```

## Second question?

Second answer.
"""


def parse(text: str, stem: str = "sample") -> object:
    return parse_article(text, f"{stem}.md", stem, shipped=True)


def test_parses_front_matter_sections_and_sources() -> None:
    article = parse_article(GOOD, "sample.md", "sample", shipped=True)
    assert article.id == "sample"
    assert article.title == "Sample article"
    assert article.topic == "resilience"
    assert article.reviewed == dt.date(2026, 10, 1)
    assert article.aliases == ("DR", "403")  # YAML's number 403 stays a phrasing
    assert [s.heading for s in article.sections] == ["First question?", "Second question?"]
    first, second = article.sections
    assert first.sources == (
        f"{SOURCE_PREFIX}security.html",
        f"{SOURCE_PREFIX}infrastructure-security.html",
    )
    assert "Sources:" not in first.body
    assert "## not a heading inside code" in first.body
    assert second.sources == article.sources  # inherited


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("id: sample\n", ""), "missing: id"),
        (("topic: resilience\n", ""), "missing: topic"),
        (("reviewed: 2026-10-01\n", ""), "missing: reviewed"),
        (("id: sample", "id: other"), "file name stem"),
        (("topic: resilience", "topic: security"), "'topic' 'security' is not one of"),
        (("reviewed: 2026-10-01", "reviewed: last week"), "'reviewed' must be a date"),
        (("aliases: [DR, 403]", "aliases: {a: b}"), "'aliases' must be a list"),
        (
            (
                "https://docs.aws.amazon.com/autoscaling/application/userguide/",
                "https://example.com/",
            ),
            "not a page name or a URL",
        ),
        (("Sources: security,", "Sources: https://example.com/x.html,"), "section 'First"),
        (("title: Sample article", "title: [x"), "invalid YAML in front matter (line "),
        (("## Second question?", "## First question?"), "two sections share the heading"),
    ],
)
def test_front_matter_errors_name_the_problem(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change, 1)
    with pytest.raises(ArticleError) as info:
        parse(text)
    assert message in str(info.value)
    assert str(info.value).startswith("sample.md: ")


def test_missing_or_unterminated_front_matter() -> None:
    with pytest.raises(ArticleError, match="missing YAML front matter"):
        parse("# Just markdown\n\n## Q\n\nA.\n")
    with pytest.raises(ArticleError, match="never ends"):
        parse("---\nid: sample\n# no end\n")
    with pytest.raises(ArticleError, match="must be a YAML mapping"):
        parse("---\n- a\n- b\n---\n## Q\n\nA.\n")


def test_source_urls_and_pages() -> None:
    url = f"{SOURCE_PREFIX}security_iam_troubleshoot.html"
    assert source_url("security_iam_troubleshoot") == url
    assert source_url(url) == url
    assert source_url("security_iam_troubleshoot.md") == url
    assert source_page(url) == "security_iam_troubleshoot"
    for bad in ("https://docs.aws.amazon.com/other/x.html", "two words", "../etc/passwd"):
        with pytest.raises(ValueError):
            source_url(bad)


def test_shipped_fixture_folder_loads() -> None:
    corpus = load_corpus(KB)
    assert corpus.problems == ()
    assert {a.id for a in corpus.articles} == {
        "transport-basics",
        "role-basics",
        "endpoint-basics",
    }
    headings = [s.heading for s in corpus.sections]
    assert "Which TLS version do clients need?" in headings
    # a shipped article's introduction is an overview, not a section
    assert "Transport security for the scaling API" not in headings


def test_extra_folders_take_plain_markdown() -> None:
    corpus = load_corpus(None, [EXTRA])
    assert corpus.problems == ()
    by_id = {a.id: a for a in corpus.articles}
    assert set(by_id) == {"extra/runbook", "extra/nested/oncall"}
    runbook = by_id["extra/runbook"]
    assert runbook.title == "Rotating the on-call pager secret"
    assert runbook.topic is None
    # a long introduction answers on its own, then the ## sections
    assert [s.heading for s in runbook.sections] == [
        "Rotating the on-call pager secret",
        "Who approves a rotation?",
    ]
    oncall = by_id["extra/nested/oncall"]
    assert oncall.title == "extra/nested/oncall"  # no heading at all: the path names it
    assert len(oncall.sections) == 1


def test_broken_files_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\n## Q?\n\nAn answer.\n")
    (tmp_path / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\n# T\n")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    (tmp_path / "folder.md").mkdir()  # cannot be read as a file
    corpus = load_corpus(KB, [tmp_path, tmp_path / "missing"])
    problems = {Path(p.path).name: p.message for p in corpus.problems}
    assert set(problems) == {"bad-yaml.md", "latin1.md", "folder.md", "missing"}
    assert "invalid YAML" in problems["bad-yaml.md"]
    assert "UTF-8" in problems["latin1.md"]
    assert "cannot read" in problems["folder.md"]
    assert "not found" in problems["missing"]
    ids = {a.id for a in corpus.articles}
    assert f"{tmp_path.name}/good" in ids and "transport-basics" in ids


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = GOOD.replace("id: sample", "id: same")
    (tmp_path / "a" / "same.md").write_text(text)
    (tmp_path / "b" / "same.md").write_text(text)
    corpus = load_corpus(tmp_path)
    assert len(corpus.articles) == 1
    assert "already used" in corpus.problems[0].message


def test_extra_folders_with_the_same_file_names_do_not_clash(tmp_path: Path) -> None:
    for team in ("payments", "search"):
        (tmp_path / team).mkdir()
        (tmp_path / team / "README.md").write_text(f"# {team} runbooks\n\nNotes of {team}.\n")
    corpus = load_corpus(None, [tmp_path / "payments", tmp_path / "search"])
    assert corpus.problems == ()
    assert sorted(a.id for a in corpus.articles) == ["payments/README", "search/README"]


def test_readme_in_the_shipped_folder_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# How to write articles\n")
    (tmp_path / "sample.md").write_text(GOOD)
    corpus = load_corpus(tmp_path)
    assert corpus.problems == ()
    assert [a.id for a in corpus.articles] == ["sample"]


def test_sections_are_named_by_their_explicit_anchor_or_their_heading() -> None:
    """What checks link to: ``article#anchor``; the anchor is never shown in the heading."""
    text = GOOD.replace("## Second question?", "## Second question? {#second}")
    article = parse_article(text, "sample.md", "sample", shipped=True)
    first, second = article.sections
    assert (first.heading, first.section_id) == ("First question?", "sample#first-question")
    assert (second.heading, second.section_id) == ("Second question?", "sample#second")
    twice = text.replace("## First question?", "## First question? {#second}")
    with pytest.raises(ArticleError, match="two sections share the anchor 'second'"):
        parse_article(twice, "sample.md", "sample", shipped=True)
