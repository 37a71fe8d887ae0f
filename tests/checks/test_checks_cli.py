"""`scalewarden checks`: the catalogue on the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from scalewarden.checks.registry import all_checks
from scalewarden.cli import app

runner = CliRunner()


def test_json_lists_every_check_with_metadata() -> None:
    result = runner.invoke(app, ["checks", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [c["id"] for c in data] == [c.id for c in all_checks()]
    first = data[0]
    for key in (
        "id",
        "title",
        "topic",
        "severity",
        "description",
        "risk",
        "remediation",
        "remediation_snippet",
        "kb_article",
        "kb_section",
        "compliance",
        "sources",
        "scope",
    ):
        assert key in first


def test_table_and_selection() -> None:
    result = runner.invoke(app, ["checks", "--checks", "vpc-endpoints"])
    assert result.exit_code == 0
    assert "vpc_endpoint_aas_sg_open" in result.stdout
    assert "slr_unused" not in result.stdout


def test_unknown_selection_is_a_usage_error() -> None:
    result = runner.invoke(app, ["checks", "--checks", "nope"])
    assert result.exit_code == 2
    assert "unknown check or topic: nope" in result.stderr
