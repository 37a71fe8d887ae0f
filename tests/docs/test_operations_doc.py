"""docs/operations.md: its configuration reference is complete and up to date."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from scalewarden.configref import BEGIN, END, env_names, reference_table, with_reference
from scalewarden.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_setting_says_what_it_does() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not missing, f"settings without a description: {missing}"


def test_reference_names_every_environment_variable() -> None:
    table = reference_table()
    for name, field in Settings.model_fields.items():
        for variable in env_names(name, field):
            assert f"`{variable}`" in table


def test_operations_doc_holds_the_current_reference() -> None:
    committed = DOC.read_text(encoding="utf-8")
    expected = with_reference(committed)
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "docs/operations.md",
            "generated",
        )
    )
    assert not diff, f"the configuration reference is stale: run `make docs`\n{diff}"


def test_a_document_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        with_reference(f"# no table here\n{END}\n{BEGIN}\n")


def test_the_slack_doc_says_where_scans_get_their_aws_credentials_and_region() -> None:
    slack = (DOC.parent / "slack.md").read_text(encoding="utf-8")
    section = slack.split("\n## AWS credentials and region\n", 1)[1].split("\n## ", 1)[0]
    needed_terms = ("credential chain", "SCALEWARDEN_SCAN_REGIONS", "AWS_REGION", "operations.md")
    for needed in needed_terms:
        assert needed in section, needed
    assert "\n## AWS credentials and region\n" in DOC.read_text(encoding="utf-8")
