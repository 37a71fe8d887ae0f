"""``scalewarden scan``: exit codes, formats, output file and usage errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.localaws import seed_iam, seed_scenario

runner = CliRunner()


@pytest.fixture
def seeded(aws_env: str) -> str:
    seed_scenario("us-east-1")
    seed_iam()
    return aws_env


def scan(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_to_stdout_and_exit_1_on_high_findings(seeded: str) -> None:
    code, out, err = scan("--format", "json", "--checks", "identity-and-access-management")
    assert code == 1  # iam_policy_aas_write_unrestricted (high) fails; default --fail-on high
    report = json.loads(out)
    assert set(report) >= {
        "scan_id",
        "started_at",
        "finished_at",
        "accounts",
        "regions",
        "summary",
        "findings",
    }
    assert report["regions"] == ["us-east-1"]
    assert any(
        f["check_id"] == "iam_policy_aas_write_unrestricted" and f["status"] == "FAIL"
        for f in report["findings"]
    )
    assert "123456789012" in err  # progress went to stderr, not into the JSON


def test_fail_on_threshold_decides_the_exit_code(seeded: str) -> None:
    code, _, _ = scan("--format", "json", "--checks", "target_fixed_capacity", "--fail-on", "high")
    assert code == 0  # only a low finding
    code, _, _ = scan("--format", "json", "--checks", "target_fixed_capacity", "--fail-on", "LOW")
    assert code == 1


def test_output_file(seeded: str, tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    code, out, err = scan(
        "--format",
        "csv",
        "--output",
        str(target),
        "--checks",
        "target_fixed_capacity",
        "--fail-on",
        "critical",
    )
    assert code == 0
    assert out == ""
    assert str(target) in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert any(r["check_id"] == "target_fixed_capacity" and r["status"] == "FAIL" for r in rows)


@pytest.mark.parametrize("fmt", ["table", "markdown", "ocsf", "asff"])
def test_every_format_renders(seeded: str, fmt: str) -> None:
    code, out, _ = scan(
        "--format", fmt, "--checks", "target_fixed_capacity", "--fail-on", "critical"
    )
    assert code == 0
    assert "target_fixed_capacity" in out or "fixed capacity" in out.lower()
    if fmt == "ocsf":
        events = json.loads(out)
        assert {e["metadata"]["event_code"] for e in events} == {"target_fixed_capacity"}
        assert "FAIL" in {e["status_code"] for e in events}
    elif fmt == "asff":
        findings = json.loads(out)
        assert {f["GeneratorId"] for f in findings} == {"scalewarden-target_fixed_capacity"}
        assert "FAILED" in {f["Compliance"]["Status"] for f in findings}


def test_format_aliases_are_accepted_like_their_format(seeded: str) -> None:
    """``md`` was rejected by the CLI although the report layer renders it (one list now)."""
    args = ("--checks", "target_fixed_capacity", "--fail-on", "critical")
    code, out, err = scan("--format", "md", *args)
    assert code == 0, err
    assert out.startswith("# scalewarden scan ")  # Markdown, not the table
    assert "target_fixed_capacity" in out
    code, upper, _ = scan("--format", "MARKDOWN", *args)
    assert code == 0
    assert upper.startswith("# scalewarden scan ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--regions", "us-east-1,moon-1"], "moon-1"),
        (["--checks", "no_such_check"], "no_such_check"),
        (["--fail-on", "urgent"], "urgent"),
        (["--format", "xml"], "xml"),
        (["--accounts", "12345"], "12 digits"),
        (["--accounts", "111111111111"], "--role-name"),
        (["--organization"], "--role-name"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    aws_env: str, args: list[str], message: str
) -> None:
    code, out, err = scan(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def only_region_setting(monkeypatch: pytest.MonkeyPatch, region: str | None) -> None:
    """No region for boto3 (``AWS_REGION``, ``AWS_DEFAULT_REGION``); ``region`` in ours."""
    from scalewarden.settings import get_settings

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    if region is None:
        monkeypatch.delenv("SCALEWARDEN_AWS_REGION", raising=False)
    else:
        monkeypatch.setenv("SCALEWARDEN_AWS_REGION", region)
    get_settings.cache_clear()


def test_the_region_setting_alone_is_enough(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``SCALEWARDEN_AWS_REGION`` used to have no effect: "no AWS region configured"."""
    only_region_setting(monkeypatch, "us-east-1")
    code, out, err = scan("--format", "json", "--checks", "target_fixed_capacity")
    assert code == 0, err
    report = json.loads(out)
    assert report["regions"] == ["us-east-1"]
    assert any(
        f["check_id"] == "target_fixed_capacity" and f["status"] == "FAIL"
        for f in report["findings"]
    )


def test_the_region_setting_wins_over_the_aws_default(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("SCALEWARDEN_AWS_REGION", "us-east-1")
    from scalewarden.settings import get_settings

    get_settings.cache_clear()
    code, out, err = scan("--format", "json", "--checks", "target_fixed_capacity")
    assert code == 0, err
    assert json.loads(out)["regions"] == ["us-east-1"]


def test_no_region_anywhere_scans_every_enabled_region(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Prowler does (issue 10): not an error, and the user is told what was chosen.
    only_region_setting(monkeypatch, None)
    code, out, err = scan("--format", "json", "--checks", "target_fixed_capacity")
    assert code == 0, err
    assert "no region configured" in err and "every enabled region" in err
    assert len(json.loads(out)["regions"]) > 1


def test_no_credentials_exit_4(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    code, out, err = scan("--format", "json")
    assert code == 4
    assert "no AWS credentials" in err
    assert out == ""


def test_mutelist_mutes_matching_findings(seeded: str, tmp_path: Path) -> None:
    mutelist = tmp_path / "mute.yaml"
    mutelist.write_text(
        "mutes:\n"
        "  - checks: [target_fixed_capacity]\n"
        "    reason: capacity pinned on purpose during the migration\n"
    )
    code, out, _ = scan(
        "--format",
        "json",
        "--checks",
        "target_fixed_capacity",
        "--mutelist",
        str(mutelist),
        "--fail-on",
        "low",
    )
    statuses = {f["status"] for f in json.loads(out)["findings"]}
    assert "MUTED" in statuses and "FAIL" not in statuses
    assert code == 0


def test_broken_mutelist_is_a_usage_error(aws_env: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mutes: [unclosed")
    code, _, err = scan("--mutelist", str(bad))
    assert code == 2
    assert "bad.yaml" in err
