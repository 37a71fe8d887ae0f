"""Real English words and AWS product names, which the typo corrector must leave alone.

A word that is not in the knowledge base is not necessarily a typo: "rotate the master password"
once became "matter" and got an answer about something else. The list is the English frequency
dictionary that pyspellchecker maintains and ships (about 160,000 words), not a hand list. It is
loaded at most once per process: on the first question that has a word the knowledge base does
not know, or when an index is built (for the everyday words it stores), then kept.

AWS product names are no English words ("opensearch", "memorydb", "documentdb") and were once
"corrected" into ones ("open search", "memory", "document"), which found another topic. Their
maintained list is botocore's service models: every service's id, full name, abbreviation,
endpoint prefix and signing name, read from the head of each model file (about 0.2 s, once,
when an index is built; the index stores the words, so a query never reads botocore).
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path

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


#: The metadata fields of a botocore service model that name the service.
_NAME_FIELDS = (
    "serviceId",
    "serviceFullName",
    "serviceAbbreviation",
    "endpointPrefix",
    "signingName",
)
_NAME_RE = re.compile(r'"(?:' + "|".join(_NAME_FIELDS) + r')"\s*:\s*"([^"\\]{1,200})"')
#: How much of a model file holds its metadata (it comes first, before the operations).
_MODEL_HEAD = 4096


def botocore_data_dir() -> Path | None:
    """botocore's folder of service models, found without importing botocore."""
    spec = find_spec("botocore")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "data"
    return folder if folder.is_dir() else None


def aws_service_names(data_dir: Path | None = None) -> list[str]:
    """Every AWS service's names as botocore's models give them: the model folder's name and,
    from the newest model's metadata, its id, full name, abbreviation, endpoint prefix and
    signing name ("docdb", "Amazon DocumentDB with MongoDB compatibility", "rds" …)."""
    folder = data_dir or botocore_data_dir()
    if folder is None:
        return []
    names: list[str] = []
    for service in sorted(p for p in folder.iterdir() if p.is_dir()):
        names.append(service.name)
        models = sorted(service.glob("*/service-2.json*"))
        if not models:
            continue
        opener = gzip.open if models[-1].suffix == ".gz" else open
        try:
            with opener(models[-1], "rb") as fh:
                head = fh.read(_MODEL_HEAD).decode("utf-8", "replace")
        except (OSError, EOFError):
            continue
        names.extend(_NAME_RE.findall(head.split('"operations"', 1)[0]))
    return names


def aws_terms(data_dir: Path | None = None) -> frozenset[str]:
    """The words of AWS's service names that are no English words ("opensearch", "memorydb",
    "documentdb", "guardduty"), lower case, as :func:`.text.words` splits them."""
    from scalewarden.knowledge.text import words

    found = {w for name in aws_service_names(data_dir) for w in words(name)}
    return frozenset(w for w in found if w.isalpha() and len(w) > 2 and not is_english_word(w))
