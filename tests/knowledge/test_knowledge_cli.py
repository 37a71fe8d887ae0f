"""`scalewarden ask`: output, the JSON contract, exit codes, warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.cli.app import EXIT_OK, EXIT_USAGE

FIXTURES = Path(__file__).parent / "fixtures"

runner = CliRunner()


def test_json_output_is_the_contract(knowledge_env: Callable[..., Path]) -> None:
    result = runner.invoke(app, ["ask", "how do i delete the slr", "--json", "--top", "2"])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"question", "answered", "results"}
    assert data["answered"] is True
    assert len(data["results"]) <= 2
    assert data["results"][0]["section"] == "How do I delete a service-linked role?"
    # A heading without an explicit anchor is named by its slug.
    assert data["results"][0]["section_id"] == (
        data["results"][0]["article_id"] + "#how-do-i-delete-a-service-linked-role"
    )
    assert set(data["results"][0]) == {
        "article_id",
        "title",
        "section",
        "section_id",
        "snippet",
        "score",
        "sources",
    }


def test_readable_output_shows_section_snippet_and_sources(
    knowledge_env: Callable[..., Path],
) -> None:
    result = runner.invoke(app, ["ask", "which tls version"])
    assert result.exit_code == EXIT_OK, result.output
    assert "Which TLS version do clients need?" in result.stdout
    assert "TLS 1.2" in result.stdout
    assert (
        "https://docs.aws.amazon.com/autoscaling/application/userguide/"
        "infrastructure-security.html" in result.stdout
    )


def test_no_answer_is_said_plainly(knowledge_env: Callable[..., Path]) -> None:
    result = runner.invoke(app, ["ask", "how do i bake bread"])
    assert result.exit_code == EXIT_OK
    assert "No confident answer" in result.stdout
    assert "Closest topics" in result.stdout
    data = json.loads(runner.invoke(app, ["ask", "how do i bake bread", "--json"]).stdout)
    assert data["answered"] is False and data["results"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "empty"),
        (["ask", "   "], "empty"),
        (["ask", "x" * 10_000], "too long"),
        (["ask", "tls\x07"], "control characters"),
        (["ask", "what is it"], "only common words"),
        (["ask", "tls", "--top", "0"], "--top"),
        (["ask", "tls", "--top", "99"], "--top"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    knowledge_env: Callable[..., Path], args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_broken_extra_article_warns_names_the_file_and_still_answers(
    knowledge_env: Callable[..., Path], tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "broken.md").write_text("---\ntitle: [oops\n---\n")
    knowledge_env(extra=(notes,))
    result = runner.invoke(app, ["ask", "which tls version", "--json"])
    assert result.exit_code == EXIT_USAGE  # scripts notice the broken file …
    assert "broken.md" in result.stderr and "invalid YAML" in result.stderr
    assert json.loads(result.stdout)["answered"] is True  # … and still get the answer


def test_cold_process_end_to_end(tmp_path: Path) -> None:
    """The installed entry point in a fresh process: no traceback, exit codes hold."""
    env = {
        **os.environ,
        "SCALEWARDEN_KNOWLEDGE_DIR": str(FIXTURES / "kb"),
        "SCALEWARDEN_KNOWLEDGE_DIRS": "",
        "SCALEWARDEN_CACHE_DIR": str(tmp_path),
    }
    code = "from scalewarden.cli import main; main()"
    ok = subprocess.run(
        [sys.executable, "-c", code, "ask", "vpce service name", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["results"][0]["article_id"] == "endpoint-basics"
    bad = subprocess.run(
        [sys.executable, "-c", code, "ask", ""],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error:") and "Traceback" not in bad.stderr


def test_terminal_rendering_never_cuts_an_identifier() -> None:
    from rich.console import Console

    from scalewarden.cli.ask import print_markdown

    snippet = (
        "Lambda needs these:\n\n"
        "| Service (namespace) | Actions |\n| --- | --- |\n"
        "| Lambda provisioned concurrency (`lambda`) | `lambda:PutProvisionedConcurrencyConfig`, "
        "`lambda:GetProvisionedConcurrencyConfig`, "
        "`lambda:DeleteProvisionedConcurrencyConfig` |\n\n"
        "```json\n"
        '{"Resource": "arn:aws:iam::*:role/aws-service-role/lambda.application-autoscaling.'
        'amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"}\n'
        "```"
    )
    console = Console(force_terminal=True, width=80, record=True, color_system=None)
    print_markdown(console, snippet)
    shown = console.export_text()
    assert "…" not in shown
    assert "lambda:DeleteProvisionedConcurrencyConfig" in shown
    assert "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency" in shown
