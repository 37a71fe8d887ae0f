"""Scope flags are checked before any AWS call: malformed input is one usage error (exit 2)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scalewarden.aws.accounts import (
    parse_account_ids,
    role_arn,
    validate_external_id,
    validate_role_name,
)
from scalewarden.aws.regions import parse_regions
from scalewarden.cli import app

runner = CliRunner()


def test_regions_trimmed_and_deduplicated() -> None:
    assert parse_regions(" us-east-1 , eu-west-1,us-east-1 ") == ["us-east-1", "eu-west-1"]
    assert parse_regions("ALL") == ["all"]
    assert parse_regions("all, All") == ["all"]  # a repeated "all" is not "combined"
    assert parse_regions("EU-West-1,eu-west-1") == ["eu-west-1"]
    assert parse_regions("  ") is None


@pytest.mark.parametrize("spec", [",", " , ,"])
def test_regions_with_only_separators_are_an_error(spec: str) -> None:
    with pytest.raises(ValueError, match="no region"):
        parse_regions(spec)


def test_regions_all_cannot_be_combined() -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        parse_regions("all,us-east-1")


@pytest.mark.parametrize(
    "spec", ["١١١١١١١١١١١١", "１１１１１１１１１１１１", "11111111111a", "1111111111111"]
)
def test_account_ids_are_twelve_ascii_digits(spec: str) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        parse_account_ids(spec)


def test_account_ids_deduplicated_and_separators_only_rejected() -> None:
    assert parse_account_ids("111111111111, 111111111111") == ["111111111111"]
    with pytest.raises(ValueError, match="no account id"):
        parse_account_ids(",")


@pytest.mark.parametrize(
    ("given", "arn"),
    [
        ("ScalewardenReadOnly", "arn:aws:iam::111111111111:role/ScalewardenReadOnly"),
        (
            "/security/ScalewardenReadOnly",
            "arn:aws:iam::111111111111:role/security/ScalewardenReadOnly",
        ),
        ("a/b/Scanner/", "arn:aws:iam::111111111111:role/a/b/Scanner"),
    ],
)
def test_role_names_with_paths(given: str, arn: str) -> None:
    assert role_arn("111111111111", validate_role_name(given)) == arn


@pytest.mark.parametrize("bad", ["", "/", "a//b", "has space", "x" * 65, "team/na*me"])
def test_invalid_role_names(bad: str) -> None:
    with pytest.raises(ValueError, match="role-name"):
        validate_role_name(bad)


def test_external_id_checked_without_echoing_it() -> None:
    assert validate_external_id("Tenant-42:abc/=") == "Tenant-42:abc/="
    with pytest.raises(ValueError) as caught:
        validate_external_id("secret value!")
    assert "secret value" not in str(caught.value)
    with pytest.raises(ValueError):
        validate_external_id("x")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--regions", ","], "no region"),
        (["--accounts", "١١١١١١١١١١١١", "--role-name", "R"], "12 digits"),
        (["--accounts", "111111111111", "--role-name", "bad name"], "role-name"),
        (["--accounts", "111111111111", "--role-name", "R", "--external-id", "a b"], "external"),
    ],
)
def test_cli_scope_errors_exit_2(aws_env: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["scan", "--format", "json", *args])
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
