"""An index with no sections is a broken install: `ask` says so and exits 3, never "no answer"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.cli.app import EXIT_CANNOT_RUN

runner = CliRunner()


@pytest.mark.parametrize("layout", ["empty", "missing", "only-readme"])
def test_ask_with_no_articles_exits_3_and_says_why(
    knowledge_env: Callable[..., Path], tmp_path: Path, layout: str
) -> None:
    folder = tmp_path / "kb"
    if layout != "missing":
        folder.mkdir()
    if layout == "only-readme":
        (folder / "README.md").write_text("# What this folder is\n")
    knowledge_env(knowledge_dir=folder)
    result = runner.invoke(app, ["ask", "which tls version", "--json"])
    assert result.exit_code == EXIT_CANNOT_RUN
    assert result.stdout == ""
    assert "knowledge index holds no sections" in result.stderr
    assert str(folder) in result.stderr
    assert "SCALEWARDEN_KNOWLEDGE_DIR" in result.stderr


def test_ask_with_articles_still_answers(knowledge_env: Callable[..., Path]) -> None:
    result = runner.invoke(app, ["ask", "how do i delete the slr"])
    assert result.exit_code == 0, result.output
    assert "no sections" not in result.output
