"""Every regular expression of the package is linear in its text (``tests/regex_cost.py``).

Names, tags, URLs, policy documents and event fields reach these expressions, and a megabyte
is an ordinary EventBridge event. No timing is asserted: the expressions are read for the
shapes that make ``re`` super-linear, and the reader is shown to catch each shape this
project has shipped before.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest

import scalewarden
from regex_cost import problems
from scalewarden.checks.lib.redact import find_secrets, redact
from scalewarden.knowledge.text import words

#: Expressions the reader cannot prove linear, each with the reason it is. Knowledge-base
#: Markdown is our own text; the others are anchored where the reader does not look.
REVIEWED = {
    # Tried at the first "eyJ" of each run only (``_jwt_matches``).
    ("scalewarden.checks.lib.redact", "_PATTERNS[6][1]"): "one try per run",
    ("scalewarden.checks.lib.redact", "_JWT"): "one try per run",
    # Each alternative starts at a key name (a fixed word); the last one matches any run.
    ("scalewarden.aws.session", "_SECRET_PATTERNS[1][0]"): "starts at a key name",
    # Findall over a question: the last alternative matches any run, so no start fails.
    ("scalewarden.knowledge.text", "_TOKEN_RE"): "a last alternative never fails",
    ("scalewarden.knowledge.text", "_CAMEL_RE"): "a last alternative never fails",
    # Our own articles, read once when the index is built.
    ("scalewarden.knowledge.corpus", "_SOURCES_LINE_RE"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_CODE_SPAN"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_LINK"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_BOLD"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_LIST_ITEM"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_HEADING"): "shipped Markdown only",
    ("scalewarden.knowledge.mrkdwn", "_TABLE_RULE"): "shipped Markdown only",
}


def _patterns(value: object, label: str, depth: int = 0) -> Iterator[tuple[str, re.Pattern[str]]]:
    if isinstance(value, re.Pattern):
        yield label, value
    elif depth < 3 and isinstance(value, tuple | list | frozenset | set):
        for k, item in enumerate(value):
            yield from _patterns(item, f"{label}[{k}]", depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for k, item in value.items():
            yield from _patterns(item, f"{label}[{k}]", depth + 1)


def _module_patterns() -> Iterator[tuple[str, str, re.Pattern[str]]]:
    for info in pkgutil.walk_packages(scalewarden.__path__, "scalewarden."):
        if info.name.endswith(("__main__", "migrations.env")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            for label, pattern in _patterns(value, name):
                if isinstance(pattern.pattern, str):
                    yield info.name, label, pattern


def test_every_module_expression_is_linear_or_reviewed() -> None:
    seen: set[int] = set()
    unreviewed: list[str] = []
    for module, label, pattern in _module_patterns():
        if id(pattern) in seen:
            continue
        seen.add(id(pattern))
        found = problems(pattern)
        if found and (module, label) not in REVIEWED:
            unreviewed.append(f"{module}.{label} {pattern.pattern!r}: {[p.shape for p in found]}")
    assert len(seen) > 50  # the walk found the package's expressions
    assert unreviewed == []


@pytest.mark.parametrize(
    ("pattern", "shape"),
    [
        # The e-mail shape before: a megabyte of letters and one "@" took hours.
        (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "restarts"),
        # Hyphenated words of a question before: 40,000 letters took 40 s.
        (r"[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)+", "restarts"),
        # The session log filter before: 24 backslashes took 13 s.
        (r"""(["']Token["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", "overlapping alternatives"),
        (r"(a+)+b", "nested repeats"),
        (r"(?:\w+\s?)*$", "nested repeats"),
    ],
)
def test_the_reader_catches_each_shape_shipped_before(pattern: str, shape: str) -> None:
    assert shape in [p.shape for p in problems(re.compile(pattern))]


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?<=://)[^/\s?#@]+(?:@[^/\s?#@]+)*@",  # "@" starts each round: one way to split
        r"(?i)\b(?:password|token)s?\s*[=:]\s*\S+",  # entered after a key word
        r"[A-Za-z0-9._%+-]{1,64}+@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}",  # bounded
        r"(?<![a-z0-9])[0-9]*+([a-z][a-z0-9]*+(?:-[a-z][a-z0-9]*+)+)",  # one start per run
    ],
)
def test_the_reader_passes_linear_shapes(pattern: str) -> None:
    assert problems(re.compile(pattern)) == []


#: A megabyte of each shape that cost more than linear time before (they stall the test run
#: if that comes back; nothing is timed).
MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "a" * MEGABYTE + "@",
        "x@" + "a." * (MEGABYTE // 2),
        "eyJ" * (MEGABYTE // 3),
        "a@b.cc " * (MEGABYTE // 7),
    ],
    ids=["letters-then-at", "at-then-dots", "eyJ-run", "many-addresses"],
)
def test_a_megabyte_of_a_former_worst_case_is_redacted(text: str) -> None:
    out = redact(text)
    assert "a@b.cc" not in out
    assert len(find_secrets(text)) == len(find_secrets(text))


def test_a_megabyte_word_in_a_question_is_tokenised() -> None:
    assert words("a" * MEGABYTE + "-b") == ["a" * MEGABYTE, "b", "a" * MEGABYTE + "b"]
