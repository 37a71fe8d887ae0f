"""The pure parser of ``/scalewarden ...`` text."""

from __future__ import annotations

import pytest

from scalewarden.slack.commands import (
    AskCommand,
    FindingsCommand,
    HelpCommand,
    ScanCommand,
    command_name,
    parse_command,
)


def test_ask_keeps_the_question_verbatim() -> None:
    assert parse_command("ask  Which TLS version?  ") == AskCommand("Which TLS version?")
    assert parse_command("ASK what is a scalable target") == AskCommand("what is a scalable target")


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "--help"])
def test_help_without_problem(text: str) -> None:
    assert parse_command(text) == HelpCommand()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ask", "needs a question"),
        ("frobnicate now", "don't know the subcommand `frobnicate`"),
        ("findings urgent", "`urgent` is not a severity"),
        ("findings high low", "at most one severity"),
        ("scan region=mars-1", "not an AWS region"),
        ("scan account=12345", "12-digit"),
        ("scan colour=blue", "unknown scan option"),
        ("scan region=", "needs a value"),
        ("scan resilience data-protection", "at most one topic"),
        ("scan resilience some_check_id", "either check ids or a topic"),
        ("scan Not!Valid", "neither a check id nor a topic"),
        ("ask " + "x" * 1001, "too long"),
    ],
)
def test_bad_input_becomes_help_with_the_problem(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, HelpCommand)
    assert parsed.problem is not None and problem in parsed.problem


def test_scan_with_everything() -> None:
    parsed = parse_command(
        "scan dynamodb_table_autoscaling_enabled,ecs_x region=us-east-1,EU-WEST-1 "
        "region=us-east-1 account=123456789012"
    )
    assert parsed == ScanCommand(
        check_ids=("dynamodb_table_autoscaling_enabled", "ecs_x"),
        regions=("us-east-1", "eu-west-1"),
        accounts=("123456789012",),
    )
    assert command_name(parsed) == "scan"


def test_scan_topic_and_defaults() -> None:
    assert parse_command("scan") == ScanCommand()
    assert parse_command("scan identity-and-access-management") == ScanCommand(
        topic="identity-and-access-management"
    )
    assert parse_command("scan regions=us-gov-west-1").regions == ("us-gov-west-1",)


def test_findings_severity_normalised() -> None:
    assert parse_command("findings") == FindingsCommand()
    assert parse_command("findings HIGH") == FindingsCommand("high")
    assert parse_command("findings info") == FindingsCommand("informational")


def test_non_breaking_spaces_and_long_unknown_words_are_safe() -> None:
    assert parse_command("ask\u00a0what is a target") == AskCommand("what is a target")
    parsed = parse_command("z" * 500)
    assert isinstance(parsed, HelpCommand) and parsed.problem is not None
    assert len(parsed.problem) < 100
