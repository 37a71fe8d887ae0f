"""Snippets: blocks, the choice of the most relevant one, and truncation."""

from __future__ import annotations

from scalewarden.knowledge.snippets import MAX_SNIPPET, best_snippet, blocks

SECTION = """The first paragraph answers the question directly.

Another paragraph about rotation of keys and secrets.

Steps to follow:

- open the console
- pick the endpoint

```json
{"a": 1,

 "b": 2}
```

| col | col |
| --- | --- |
| x | y |
"""


def test_blocks_respect_fences_lists_and_tables() -> None:
    kinds = [b.kind for b in blocks(SECTION)]
    assert kinds == ["paragraph", "paragraph", "paragraph", "list", "code", "table"]
    code = blocks(SECTION)[4].text
    assert code.startswith("```json") and code.endswith("```") and '"b": 2' in code


def test_first_paragraph_wins_unless_another_block_is_clearly_better() -> None:
    assert best_snippet(SECTION, {"question": 1.0}) == (
        "The first paragraph answers the question directly."
    )
    assert best_snippet(SECTION, {"rotat": 2.0, "secret": 2.0}).startswith("Another paragraph")


def test_a_lead_in_brings_its_list() -> None:
    snippet = best_snippet(SECTION, {"step": 3.0, "follow": 3.0})
    assert snippet.startswith("Steps to follow:")
    assert "- pick the endpoint" in snippet


def test_long_sections_are_cut_at_a_boundary() -> None:
    paragraph = " ".join(f"Sentence number {i} says something." for i in range(200))
    snippet = best_snippet(paragraph, {"sentenc": 1.0})
    assert len(snippet) <= MAX_SNIPPET
    assert snippet.endswith("…")
    assert len(snippet) > MAX_SNIPPET // 2


def test_cut_code_blocks_stay_closed() -> None:
    code = "```text\n" + "\n".join(f"line {i} of output" for i in range(300)) + "\n```"
    snippet = best_snippet(code, {"line": 1.0})
    assert len(snippet) <= MAX_SNIPPET
    assert snippet.count("```") == 2


ROLES = """Each namespace has one role, named `Prefix_<Suffix>`. The suffix for each namespace:

| Namespace | Role name suffix |
| --- | --- |
| `ecs` | `_ECSService` |
| `kafka` | `_KafkaCluster` |
| `neptune` | `_NeptuneCluster` |

Roles are created when the first target is registered.
"""


def test_a_table_the_question_names_one_row_of_is_cut_to_that_row() -> None:
    snippet = best_snippet(ROLES, {"kafka": 2.0, "role": 0.5, "nam": 0.5, "suffix": 1.5})
    assert snippet.startswith("Each namespace has one role")
    table = "| Namespace | Role name suffix |\n| --- | --- |\n| `kafka` | `_KafkaCluster` |"
    assert table in snippet
    assert "_ECSService" not in snippet and "_NeptuneCluster" not in snippet


def test_a_common_word_or_one_every_row_shares_names_no_row() -> None:
    """'suffix' is in every row's header only and 'role' in the lead: the whole table stays."""
    snippet = best_snippet(ROLES, {"role": 0.5, "suffix": 1.5})
    assert "_ECSService" in snippet and "_NeptuneCluster" in snippet
    lead_only = "The lead names it.\n\n" + ROLES.split("\n\n", 1)[1]
    assert best_snippet(lead_only, {"lead": 2.0, "ecs": 0.1}) == "The lead names it."
