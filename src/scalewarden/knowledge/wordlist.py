"""Real English words, which the typo corrector must leave alone, and the everyday ones.

A word that is not in the knowledge base is not necessarily a typo: "rotate the master password"
once became "matter" and got an answer about something else. The list is the English frequency
dictionary that pyspellchecker maintains and ships (about 160,000 words), not a hand list. It is
loaded at most once per process: on the first question that has a word the knowledge base does
not know, or when an index is built (for the everyday words it stores), then kept.
"""

from __future__ import annotations

from functools import cache

#: Occurrences in pyspellchecker's frequency list at and above which a word is everyday
#: English: about the 1,000 most frequent words ("far", "back", "exactly", "anything").
COMMON_FREQUENCY = 100_000


@cache
def _frequencies() -> dict[str, int]:
    """pyspellchecker's English dictionary: word → occurrences in its source texts."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


@cache
def english_words() -> frozenset[str]:
    """Every lower-case alphabetic word of pyspellchecker's English dictionary."""
    return frozenset(word for word in _frequencies() if word.isalpha())


def is_english_word(word: str) -> bool:
    """Whether ``word`` (lower case) is a real English word."""
    return word in english_words()


def common_english_words(min_frequency: int = COMMON_FREQUENCY) -> frozenset[str]:
    """The everyday English words: those the dictionary counts at least ``min_frequency`` times.

    A question is mostly covered by a section when the section holds its informative words;
    "how far back can i see scaling activities" should not look uncovered because "far" and
    "back" appear in no section. The index stores this small set so queries need no dictionary.
    """
    return frozenset(w for w, n in _frequencies().items() if n >= min_frequency and w.isalpha())
