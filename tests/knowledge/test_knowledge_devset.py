"""Loading the evaluation sets: labelled questions, off-topic questions and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalewarden.knowledge.devset import (
    HELD_OUT_2_FILE,
    HELD_OUT_3_FILE,
    HELD_OUT_FILE,
    LABELLED_SETS,
    OFF_TOPIC_FILE,
    PRACTICE_2_FILE,
    PRACTICE_3_FILE,
    PRACTICE_FILE,
    DevsetError,
    LabelledQuestion,
    OffTopicQuestion,
    by_set,
    load_labelled,
    load_off_topic,
    set_of,
)

LABELLED = """\
- q: "perms for the slr"
  article: service-linked-roles
  section: "What permissions does a user need to create the service-linked role?"
"""
OFF_TOPIC = """\
- q: "how do i bake bread"
  kind: everyday
  split: tuning
- q: "asg warm pool"
  kind: ec2-auto-scaling
  split: held-out
"""


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_the_off_topic_file_is_read_apart_from_the_labelled_ones(tmp_path: Path) -> None:
    write(tmp_path, "iam.yaml", LABELLED)
    write(tmp_path, OFF_TOPIC_FILE, OFF_TOPIC)
    write(tmp_path, "empty.yaml", "")
    assert load_labelled(tmp_path) == [
        LabelledQuestion(
            "perms for the slr",
            "service-linked-roles",
            "What permissions does a user need to create the service-linked role?",
            "iam.yaml",
        )
    ]
    assert load_off_topic(tmp_path) == [
        OffTopicQuestion("how do i bake bread", "everyday", "tuning"),
        OffTopicQuestion("asg warm pool", "ec2-auto-scaling", "held-out"),
    ]


def test_a_folder_without_off_topic_questions_has_none(tmp_path: Path) -> None:
    assert load_off_topic(tmp_path) == []
    assert load_labelled(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (OFF_TOPIC_FILE, '- q: "x"\n  kind: everyday\n  split: training\n', "split 'training'"),
        (OFF_TOPIC_FILE, '- q: "x"\n  split: tuning\n', "entry 1 needs a non-empty text 'kind'"),
        (OFF_TOPIC_FILE, "q: not a list\n", "expected a YAML list"),
        (OFF_TOPIC_FILE, "- [unclosed\n", "cannot be read"),
        ("iam.yaml", '- q: "x"\n  article: a\n', "entry 1 needs a non-empty text 'section'"),
        ("iam.yaml", '- q: ""\n  article: a\n  section: b\n', "needs a non-empty text 'q'"),
    ],
)
def test_malformed_files_name_the_file_and_the_entry(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    write(tmp_path, name, text)
    loader = load_off_topic if name == OFF_TOPIC_FILE else load_labelled
    with pytest.raises(DevsetError, match=message) as info:
        loader(tmp_path)
    assert str(info.value).startswith(f"{name}: ")


def test_held_out_and_practice_files_are_set_apart_from_the_development_set(
    tmp_path: Path,
) -> None:
    write(tmp_path, "iam.yaml", LABELLED)
    write(tmp_path, "platform.yaml", LABELLED.replace("perms for the slr", "tls version"))
    write(tmp_path, HELD_OUT_FILE, LABELLED.replace("perms for the slr", "slr perms?"))
    write(tmp_path, PRACTICE_FILE, LABELLED.replace("perms for the slr", "what perms, slr"))
    write(tmp_path, PRACTICE_2_FILE, LABELLED.replace("perms for the slr", "slr perms pls"))
    write(tmp_path, PRACTICE_3_FILE, LABELLED.replace("perms for the slr", "slr name 4 ecs"))
    write(tmp_path, OFF_TOPIC_FILE, OFF_TOPIC)
    groups = by_set(load_labelled(tmp_path))
    assert list(groups) == list(LABELLED_SETS)
    assert [q.q for q in groups["development"]] == ["perms for the slr", "tls version"]
    assert [q.q for q in groups["practice"]] == ["what perms, slr"]
    assert [q.q for q in groups["practice 2"]] == ["slr perms pls"]
    assert [q.q for q in groups["practice 3"]] == ["slr name 4 ecs"]
    assert [q.q for q in groups["held-out"]] == ["slr perms?"]


def test_a_tuning_tool_never_opens_a_held_out_file(tmp_path: Path) -> None:
    write(tmp_path, "iam.yaml", LABELLED)
    write(tmp_path, PRACTICE_3_FILE, LABELLED.replace("perms for the slr", "slr name 4 ecs"))
    write(tmp_path, HELD_OUT_FILE, "- q: [this file is not even valid")
    write(tmp_path, HELD_OUT_2_FILE, "- q: [nor this one")
    with pytest.raises(DevsetError):
        load_labelled(tmp_path)
    tuning = load_labelled(tmp_path, ("development", "practice 3"))
    assert [q.q for q in tuning] == ["perms for the slr", "slr name 4 ecs"]


def test_every_set_is_present_even_when_empty() -> None:
    assert by_set([]) == {name: [] for name in LABELLED_SETS}
    assert set_of("anything-new.yaml") == "development"
    assert set_of(HELD_OUT_FILE) == "held-out"
    assert set_of(HELD_OUT_3_FILE) == "held-out 3"
