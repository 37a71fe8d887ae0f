"""``scalewarden scan`` the way Prowler users drive it: narrow terminals, filters, several
outputs from one scan, compliance, ``--fail-on none``, ``-h`` everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.localaws import register_targets, seed_iam, seed_scenario

runner = CliRunner()


@pytest.fixture
def seeded(aws_env: str) -> str:
    seed_scenario("us-east-1")
    seed_iam()
    return aws_env


def scan(*args: str, columns: int = 160) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan", *args], env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


def test_table_fits_80_columns_without_splitting_an_identifier(seeded: str) -> None:
    _, raw, _ = scan("--format", "json")
    findings = json.loads(raw)["findings"]
    code, out, err = scan(columns=80)
    assert code == 1, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Summary by severity" in out and "Summary by check" in out
    for check in {f["check_id"] for f in findings}:
        assert any(check in line for line in lines), f"{check} was split or lost"
    listed = [f for f in findings if f["status"] != "PASS"]
    assert listed
    for f in listed:
        resource = f["resource_id"]
        tail = resource.replace(":", "/").rsplit("/", 1)[-1]
        whole = any(resource in line for line in lines)
        shortened = any("…" in line and line.rstrip(" │").endswith(tail) for line in lines)
        assert whole or shortened, resource


def test_wide_prints_every_value_whole(seeded: str) -> None:
    code, narrow, _ = scan(columns=80)
    assert code == 1
    _, wide, _ = scan("--wide", columns=80)
    assert "…" in narrow  # the seeded account has ids longer than an 80-column cell
    assert wide.count("…") < narrow.count("…")


def test_fail_on_none_exits_0_with_high_failures(seeded: str) -> None:
    code, out, _ = scan("--format", "json", "--fail-on", "none")
    assert code == 0
    assert json.loads(out)["summary"]["fail_by_severity"]["high"] >= 1


def test_severity_and_exclude_checks_choose_what_runs(seeded: str) -> None:
    code, out, _ = scan("--format", "json", "--severity", "low,informational")
    severities = {f["severity"] for f in json.loads(out)["findings"]}
    assert severities and severities <= {"low", "informational"}
    assert code == 0  # nothing high ran, so nothing high failed
    code, out, _ = scan(
        "--format", "json", "--exclude-checks", "identity-and-access-management,resilience"
    )
    topics_left = {f["check_id"] for f in json.loads(out)["findings"]}
    assert not any(c.startswith(("iam_", "slr_", "target_", "scaling_")) for c in topics_left)
    assert "vpc_endpoint_aas_missing" in topics_left


def test_status_filters_the_report_but_not_the_exit_code(seeded: str) -> None:
    code, out, _ = scan("--format", "json", "--status", "PASS")
    statuses = {f["status"] for f in json.loads(out)["findings"]}
    assert statuses == {"PASS"}
    assert code == 1  # the high FAIL still fails the run


def test_region_is_an_alias_of_regions(seeded: str) -> None:
    code, out, _ = scan("--format", "json", "--region", "us-east-1", "--checks", "resilience")
    assert code in (0, 1)
    assert json.loads(out)["regions"] == ["us-east-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--severity", "severe"], "unknown severity"),
        (["--status", "BROKEN"], "unknown status"),
        (["--exclude-checks", "nope"], "unknown check or topic"),
        (["--format", "json,csv"], "--output-dir"),
        (["--fail-on", "never"], "unknown severity"),
        (["--compliance", "cis-1.4"], "unknown compliance framework"),
        (["--severity", "critical"], "no check left to run"),
    ],
)
def test_bad_options_exit_2(aws_env: str, args: list[str], message: str) -> None:
    code, _, err = scan(*args)
    assert code == 2
    assert message in err


def test_several_formats_from_one_scan(seeded: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports" / "today"  # created when missing
    code, out, err = scan(
        "--format", "json,csv,ocsf,html,table", "--output-dir", str(out_dir), "--fail-on", "none"
    )
    assert code == 0, err
    assert out.strip() == ""  # everything went to files
    files = sorted(p.name for p in out_dir.iterdir())
    main_json = next(n for n in files if n.endswith(".json") and not n.endswith(".ocsf.json"))
    scan_id = json.loads((out_dir / main_json).read_text())["scan_id"]
    stem = f"scalewarden-{scan_id}"
    assert files == sorted(
        f"{stem}.{ext}" for ext in ("json", "csv", "ocsf.json", "html", "txt")
    ), files
    ocsf = json.loads((out_dir / f"{stem}.ocsf.json").read_text())
    assert {item["unmapped"]["scan_id"] for item in ocsf} == {scan_id}  # one scan, not five
    assert scan_id in (out_dir / f"{stem}.html").read_text()
    assert "Summary by check" in (out_dir / f"{stem}.txt").read_text()
    assert err.count("report written to") == 5


def test_compliance_table_after_the_report(seeded: str) -> None:
    code, out, _ = scan("--compliance", "cis", columns=100)
    assert code == 1
    assert "CIS-7.0" in out
    table = out[out.index("CIS-7.0") :]
    assert "4.1" in table and "cloudtrail_multiregion_management_events" in table
    assert "PASS" in table and "FAIL" in table and "ERROR" in table
    # With a machine format on stdout the table goes to stderr and the JSON stays valid.
    code, out, err = scan("--format", "json", "--compliance", "nist")
    assert code == 1
    report = json.loads(out)
    assert "SC-5(2)" in err
    trail = next(
        f for f in report["findings"] if f["check_id"] == "cloudtrail_multiregion_management_events"
    )
    assert trail["compliance"]["CIS-7.0"] == ["4.1"]


def test_no_region_configured_scans_every_enabled_region(
    aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_targets("eu-west-1", "ecs", 1, prefix="far", min_capacity=3, max_capacity=3)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, out, err = scan("--format", "json", "--checks", "target_fixed_capacity")
    assert code == 0, err
    assert "every enabled region" in err
    report = json.loads(out)
    assert len(report["regions"]) > 1 and "eu-west-1" in report["regions"]
    assert any(f["region"] == "eu-west-1" and f["status"] == "FAIL" for f in report["findings"])


def test_progress_is_a_summary_line_when_stderr_is_not_a_terminal(seeded: str) -> None:
    _, _, err = scan("--format", "json", "--checks", "resilience")
    assert "Collecting" not in err and "\x1b[" not in err
    line = next(line for line in err.splitlines() if line.startswith("scanned "))
    calls = int(line.split(" API calls")[0].rsplit(" ", 1)[1])
    assert calls > 0


def test_dash_h_works_on_the_root_and_every_command() -> None:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    groups = [g.name or "" for g in app.registered_groups]
    assert {"scan", "ask", "checks"} <= set(names)
    for args in ([], *([n] for n in names + groups)):
        result = runner.invoke(app, [*args, "-h"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_ask_joins_unquoted_words() -> None:
    result = runner.invoke(app, ["ask", "what", "is", "the", "slr", "for", "ecs", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["question"] == "what is the slr for ecs"


def test_checks_compliance_lists_the_frameworks() -> None:
    result = runner.invoke(app, ["checks", "--compliance", "--json"])
    assert result.exit_code == 0
    ids = {f["id"] for f in json.loads(result.stdout)}
    assert ids == {"aws_fsbp", "cis_7.0", "nist_800_53_rev5", "iso27001_2022"}
    text = runner.invoke(app, ["checks", "--compliance"], env={"COLUMNS": "80"}).stdout
    assert "cis_7.0" in text and "v7.0.0" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_several_formats_are_written_all_or_none(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One format failing after the scan (here the HTML renderer) must not leave the others
    # behind as a partial set, nor end in a traceback.
    import scalewarden.reports.html as html_report

    def broken(report: object) -> str:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(html_report, "render", broken)
    out_dir = tmp_path / "reports"
    code, _, err = scan("--format", "json,csv,html", "--output-dir", str(out_dir))
    assert code == 3, err
    assert "error:" in err and "renderer broke" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []
