"""The evaluation sets of the knowledge search: labelled questions and off-topic questions.

Both live in one folder (``bench/devset/`` in the repository). Every ``*.yaml`` file there is a
list of labelled questions (``q``, ``article``, ``section``), except :data:`OFF_TOPIC_FILE`,
which lists questions that must be declined (``q``, ``kind``, ``split``). Labelled files belong
to one of three sets (:func:`set_of`): the development set the articles were written with, a
practice set that tuning may look at, and a held-out set that nothing is tuned on, so that its
figure says how retrieval generalises rather than how well it was fitted.
The benchmark and the tests read them through this one module so that they always agree on
what a file means; a malformed entry is a :class:`DevsetError` naming the file and
the entry, never a ``KeyError`` deep inside a benchmark.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The file of questions that must get no answer.
OFF_TOPIC_FILE = "offtopic.yaml"
#: ``split`` values: the no-answer rule may be calibrated on ``tuning`` questions only.
SPLITS: tuple[str, ...] = ("tuning", "held-out")

#: Labelled questions that nothing is tuned on: written from the AWS pages, not the articles.
HELD_OUT_FILE = "heldout.yaml"
#: A second held-out set, written later from the coverage list and the AWS pages the same way.
HELD_OUT_2_FILE = "heldout2.yaml"
#: A third held-out set, written from the coverage list and the AWS pages before the lexical
#: and embedding retrieval changes it measures.
HELD_OUT_3_FILE = "heldout3.yaml"
#: Labelled questions written like the held-out ones, which tuning may look at.
PRACTICE_FILE = "practice.yaml"
#: A second practice set, written in Slack shorthand from the AWS pages and the coverage list,
#: committed before it was tuned on; a tuning set from then on, reported apart from the first.
PRACTICE_2_FILE = "practice2.yaml"
#: A third practice set written the same way, with near-miss phrasings (section pairs either of
#: which sounds right, role names, named facts); committed before the changes it measures.
PRACTICE_3_FILE = "practice3.yaml"
#: The labelled sets, in report order. Every other labelled file is part of ``development``.
LABELLED_SETS: tuple[str, ...] = (
    "development",
    "practice",
    "practice 2",
    "practice 3",
    "held-out",
    "held-out 2",
    "held-out 3",
)
_SET_OF_FILE = {
    HELD_OUT_FILE: "held-out",
    HELD_OUT_2_FILE: "held-out 2",
    HELD_OUT_3_FILE: "held-out 3",
    PRACTICE_FILE: "practice",
    PRACTICE_2_FILE: "practice 2",
    PRACTICE_3_FILE: "practice 3",
}


class DevsetError(ValueError):
    """An evaluation file that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    """A development question and the one section that answers it best."""

    q: str
    article: str
    section: str
    file: str


@dataclass(frozen=True, slots=True)
class OffTopicQuestion:
    """A question the knowledge base must decline, and which half of the set it is in."""

    q: str
    kind: str
    split: str


def _entries(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DevsetError(f"{path.name}: cannot be read ({exc.__class__.__name__})") from exc
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise DevsetError(f"{path.name}: expected a YAML list of mappings")
    return data


def _text(path: Path, number: int, item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DevsetError(f"{path.name}: entry {number} needs a non-empty text '{key}'")
    return value


def load_labelled(folder: Path, sets: Collection[str] | None = None) -> list[LabelledQuestion]:
    """Every labelled question of the folder's ``*.yaml`` files (the off-topic file aside).

    With ``sets``, only the files of those sets (:func:`set_of`) are opened at all: a tuning
    tool then cannot read a held-out file, not even by accident.
    """
    questions: list[LabelledQuestion] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == OFF_TOPIC_FILE:
            continue
        if sets is not None and set_of(path.name) not in sets:
            continue
        for number, item in enumerate(_entries(path), start=1):
            questions.append(
                LabelledQuestion(
                    _text(path, number, item, "q"),
                    _text(path, number, item, "article"),
                    _text(path, number, item, "section"),
                    path.name,
                )
            )
    return questions


def set_of(file: str) -> str:
    """Which labelled set a file of the folder belongs to (one of :data:`LABELLED_SETS`).

    The development set is every file not named here, so a new area file joins it without a
    change to this module; only the held-out and practice files are set apart.
    """
    return _SET_OF_FILE.get(file, "development")


def by_set(questions: list[LabelledQuestion]) -> dict[str, list[LabelledQuestion]]:
    """The questions grouped by :func:`set_of` their file, every set present (maybe empty)."""
    groups: dict[str, list[LabelledQuestion]] = {name: [] for name in LABELLED_SETS}
    for item in questions:
        groups[set_of(item.file)].append(item)
    return groups


def load_off_topic(folder: Path) -> list[OffTopicQuestion]:
    """The off-topic questions, or none when the folder has no :data:`OFF_TOPIC_FILE`."""
    path = folder / OFF_TOPIC_FILE
    if not path.exists():
        return []
    questions: list[OffTopicQuestion] = []
    for number, item in enumerate(_entries(path), start=1):
        split = _text(path, number, item, "split")
        if split not in SPLITS:
            raise DevsetError(
                f"{path.name}: entry {number} has split {split!r}; use one of {', '.join(SPLITS)}"
            )
        questions.append(
            OffTopicQuestion(
                _text(path, number, item, "q"), _text(path, number, item, "kind"), split
            )
        )
    return questions
