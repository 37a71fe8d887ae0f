"""A local AWS set-up that cannot be used ends ``scan`` with one line and exit code 4.

An unknown profile (from ``--profile`` or ``AWS_PROFILE``), a config file botocore cannot
parse, no credentials, a failing ``credential_process``: the person running the command must
fix their machine, nothing was scanned, and a traceback would only hide the one line that says
what to fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.cli.app import EXIT_AWS_CONFIG

runner = CliRunner()


def _scan(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", "--format", "json", *args])
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("error: AWS set-up: ")
    return lines[0]


@pytest.mark.parametrize("regions", [["--regions", "us-east-1"], []], ids=["regions", "default"])
def test_an_unknown_aws_profile_in_the_environment(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, regions: list[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code, out, err = _scan(*regions)
    assert (code, out) == (EXIT_AWS_CONFIG, "")
    line = _one_error_line(err)
    assert "'no-such-profile'" in line and "AWS_PROFILE" in line


def test_an_unknown_profile_flag(aws_env: str) -> None:
    code, out, err = _scan("--profile", "no-such-profile", "--regions", "us-east-1")
    assert (code, out) == (EXIT_AWS_CONFIG, "")
    line = _one_error_line(err)
    assert "'no-such-profile'" in line and "--profile" in line


def test_a_config_file_that_cannot_be_parsed(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "config"
    broken.write_text("[default\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    code, out, err = _scan("--regions", "us-east-1")
    assert (code, out) == (EXIT_AWS_CONFIG, "")
    assert "ConfigParseError" in _one_error_line(err)


def test_no_credentials_anywhere(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    code, out, err = _scan("--regions", "us-east-1")
    assert (code, out) == (EXIT_AWS_CONFIG, "")
    assert "no AWS credentials found" in _one_error_line(err)


def test_a_failing_credential_process(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "config"
    config.write_text(f"[profile broken]\ncredential_process = {sys.executable} -c 'exit(7)'\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    code, out, err = _scan("--profile", "broken", "--regions", "us-east-1")
    assert (code, out) == (EXIT_AWS_CONFIG, "")
    assert "could not load AWS credentials" in _one_error_line(err)


def test_the_installed_command_says_it_in_one_line(aws_env: str, tmp_path: Path) -> None:
    """As a user runs it: a new process, ``AWS_PROFILE`` naming a profile that is not there."""
    env = {**os.environ, "AWS_PROFILE": "gone"}
    done = subprocess.run(
        [sys.executable, "-m", "scalewarden.cli", "scan", "--regions", "us-east-1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_AWS_CONFIG
    assert done.stdout == ""
    assert "'gone'" in _one_error_line(done.stderr)
