"""``--output`` is claimed before the scan and written atomically; ERROR findings are visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.localaws import LocalAws, seed_scenario

runner = CliRunner()


@pytest.fixture
def seeded(aws_env: str) -> str:
    seed_scenario("us-east-1")
    return aws_env


def scan(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_output_directory_missing_fails_before_scanning(seeded: str, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.json"
    code, out, err = scan("--format", "json", "--output", str(target))
    assert code == 2 and out == ""
    assert "does not exist" in err
    # Refused up front: no progress line, i.e. no AWS work was done and thrown away.
    assert "123456789012" not in err
    assert not target.parent.exists()


def test_output_that_is_a_directory_fails_before_scanning(seeded: str, tmp_path: Path) -> None:
    code, _, err = scan("--format", "json", "--output", str(tmp_path))
    assert code == 2
    assert "is a directory" in err and "123456789012" not in err


def test_failed_scan_leaves_no_file_and_keeps_the_old_one(
    aws_env: str, local_aws: LocalAws, tmp_path: Path
) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    target = out_dir / "report.json"
    target.write_text("previous report\n")
    local_aws.inject_fault("sts", "GetCallerIdentity", "ExpiredToken", "expired")
    code, _, _ = scan("--format", "json", "--output", str(target))
    assert code == 4  # credentials refused: nothing scanned
    assert target.read_text() == "previous report\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json"]  # no temp left over


def test_output_replaced_with_the_whole_report(seeded: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    target = out_dir / "report.json"
    target.write_text("previous report\n")
    target.chmod(0o640)
    code, _, err = scan(
        "--format",
        "json",
        "--checks",
        "target_fixed_capacity",
        "--fail-on",
        "critical",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert json.loads(target.read_text())["regions"] == ["us-east-1"]
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json"]


def test_error_at_threshold_warns_but_does_not_fail(seeded: str, local_aws: LocalAws) -> None:
    # The high-severity IAM check cannot read its data: ERROR, not FAIL, and not PASS either.
    local_aws.inject_fault("iam", "GetAccountAuthorizationDetails", "AccessDenied", "denied")
    code, out, err = scan(
        "--format", "json", "--checks", "iam_policy_aas_write_unrestricted", "--fail-on", "high"
    )
    statuses = {f["status"] for f in json.loads(out)["findings"]}
    assert statuses == {"ERROR"}
    assert code == 0  # documented: only FAIL decides the exit code
    assert "warning: 1 finding(s) at or above high are ERROR" in err
    assert "iam_policy_aas_write_unrestricted" in err


def test_error_below_threshold_gives_no_warning(seeded: str, local_aws: LocalAws) -> None:
    local_aws.inject_fault("iam", "GetAccountAuthorizationDetails", "AccessDenied", "denied")
    _, _, err = scan(
        "--format", "json", "--checks", "iam_policy_aas_write_unrestricted", "--fail-on", "critical"
    )
    assert "warning:" not in err


def test_muted_findings_never_fail_the_run(seeded: str, tmp_path: Path) -> None:
    mutes = tmp_path / "mutes.yaml"
    mutes.write_text("mutes:\n  - checks: [target_fixed_capacity]\n    reason: pinned on purpose\n")
    code, out, err = scan(
        "--format",
        "json",
        "--checks",
        "target_fixed_capacity",
        "--fail-on",
        "informational",
        "--mutelist",
        str(mutes),
    )
    statuses = {f["status"] for f in json.loads(out)["findings"]}
    assert "MUTED" in statuses and "FAIL" not in statuses
    assert code == 0 and "warning:" not in err


def test_unexpected_failure_is_one_line_not_a_traceback(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scalewarden.scan as scan_module

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("collector task failed: KeyError('x')")

    monkeypatch.setattr(scan_module, "run_scan", broken)
    result = runner.invoke(app, ["scan", "--format", "json"])
    assert result.exit_code == 3
    assert "error: the scan failed: RuntimeError: collector task failed" in result.stderr
    assert not isinstance(result.exception, RuntimeError)


def test_external_id_without_role_name_is_a_usage_error(aws_env: str) -> None:
    code, out, err = scan("--format", "json", "--external-id", "tenant-42")
    assert code == 2 and out == ""
    assert "--external-id needs --role-name" in err and "tenant-42" not in err


def test_interrupted_scan_writes_nothing(
    seeded: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import scalewarden.scan as scan_module

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_module, "run_scan", interrupted)
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    code, _, err = scan("--format", "json", "--output", str(out_dir / "r.json"))
    assert code == 130
    assert "interrupted" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []
