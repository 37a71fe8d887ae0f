"""Fixtures for the knowledge tests: a tiny knowledge base, its index and engine, and a
clean settings environment for the process-wide engine and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scalewarden.knowledge.answer import Engine, forget_engines
from scalewarden.knowledge.corpus import Corpus, load_corpus
from scalewarden.knowledge.index import SearchIndex
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR, get_settings

FIXTURES = Path(__file__).parent / "fixtures"
KB = FIXTURES / "kb"
EXTRA = FIXTURES / "extra"
SHIPPED = DEFAULT_KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(KB)


@pytest.fixture(scope="session")
def index(corpus: Corpus) -> SearchIndex:
    return SearchIndex.build(corpus)


@pytest.fixture(scope="session")
def engine(index: SearchIndex) -> Engine:
    return Engine(index)


@pytest.fixture(scope="session")
def shipped() -> Engine:
    """An engine over the shipped articles (package data), built once per test run."""
    return Engine(SearchIndex.build(load_corpus(SHIPPED)))


@pytest.fixture
def knowledge_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Point the settings at a knowledge folder (fixtures by default) and a private cache.

    Returns a function ``configure(knowledge_dir=KB, extra=())`` that the test calls; the
    process-wide settings and engines are reset before and after.
    """
    cache = tmp_path / "cache"

    def configure(knowledge_dir: Path = KB, extra: tuple[Path, ...] = ()) -> Path:
        monkeypatch.setenv("SCALEWARDEN_KNOWLEDGE_DIR", str(knowledge_dir))
        monkeypatch.setenv("SCALEWARDEN_KNOWLEDGE_DIRS", ":".join(str(p) for p in extra))
        monkeypatch.setenv("SCALEWARDEN_CACHE_DIR", str(cache))
        get_settings.cache_clear()
        forget_engines()
        return cache

    configure()
    yield configure
    get_settings.cache_clear()
    forget_engines()
