"""``scan --save``, ``history`` and ``diff`` against the local AWS and a real database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.localaws import LocalAws, SeededRegion, seed_scenario

runner = CliRunner()


@pytest.fixture
def seeded(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SeededRegion:
    monkeypatch.setenv("SCALEWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'history.db'}")
    from scalewarden.settings import get_settings

    get_settings.cache_clear()
    return seed_scenario("us-east-1")


def _saved_scan(*args: str) -> str:
    result = runner.invoke(
        app, ["scan", "--save", "--format", "json", "--fail-on", "critical", *args]
    )
    assert result.exit_code == 0, result.stderr
    match = re.search(r"scan saved as (\w+)", result.stderr)
    assert match, result.stderr
    assert json.loads(result.stdout)["scan_id"] == match.group(1)
    return match.group(1)


def _diff(old: str, new: str) -> dict:
    result = runner.invoke(app, ["diff", old, new, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _fixed_ids(findings: list[dict]) -> set[str]:
    return {f["resource_id"] for f in findings if f["check_id"] == "target_fixed_capacity"}


def _unfix(target: str) -> None:
    boto3.client("application-autoscaling", region_name="us-east-1").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=target,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=3,
        MaxCapacity=9,
    )


def test_saved_scans_list_newest_first_and_diff_resolves_a_fix(seeded: SeededRegion) -> None:
    checks = "target_fixed_capacity,target_single_instance_minimum"
    first = _saved_scan("--checks", checks)
    _unfix(seeded.fixed_capacity[0])
    second = _saved_scan("--checks", checks)

    listed = runner.invoke(app, ["history", "--json"])
    assert listed.exit_code == 0, listed.stderr
    history = json.loads(listed.stdout)
    assert [h["scan_id"] for h in history] == [second, first]
    assert history[0]["requested_by"] == "cli"
    assert history[0]["regions"] == ["us-east-1"]
    assert history[0]["checks"] == 2
    assert history[0]["scope_key"] == history[1]["scope_key"]
    assert history[1]["by_status"]["FAIL"] > history[0]["by_status"]["FAIL"]

    diff = _diff(first, second)
    assert diff["baseline"] is False
    assert _fixed_ids(diff["resolved"]) == {
        f"ecs:{seeded.fixed_capacity[0]}:ecs:service:DesiredCount"
    }
    assert diff["new"] == [] and diff["unverified"] == []
    assert {f["check_id"] for f in diff["open"]} == {"target_single_instance_minimum"}
    assert set(diff["resolved"][0]) >= {"check_id", "severity", "status", "fingerprint"}

    text = runner.invoke(app, ["history", "--limit", "1"])
    assert text.exit_code == 0 and second in text.stdout and first not in text.stdout


def test_a_scan_that_could_not_read_resolves_nothing(
    seeded: SeededRegion, local_aws: LocalAws
) -> None:
    first = _saved_scan("--checks", "target_fixed_capacity")
    _unfix(seeded.fixed_capacity[0])
    local_aws.inject_fault(
        "application-autoscaling", "DescribeScalableTargets", "AccessDeniedException"
    )
    blind = _saved_scan("--checks", "target_fixed_capacity")
    local_aws.clear_faults()

    diff = _diff(first, blind)
    assert diff["resolved"] == []
    assert _fixed_ids(diff["unverified"]) == {
        f"ecs:{seeded.fixed_capacity[0]}:ecs:service:DesiredCount"
    }
    assert [f["status"] for f in diff["not_evaluated"]] == ["ERROR"]


def test_a_narrower_scan_resolves_nothing_it_did_not_check(seeded: SeededRegion) -> None:
    wide = _saved_scan("--checks", "target_fixed_capacity,target_single_instance_minimum")
    narrow = _saved_scan("--checks", "target_single_instance_minimum")
    diff = _diff(wide, narrow)
    assert diff["resolved"] == []
    assert _fixed_ids(diff["unverified"]) == {
        f"ecs:{t}:ecs:service:DesiredCount" for t in seeded.fixed_capacity
    }
    history = json.loads(runner.invoke(app, ["history", "--json"]).stdout)
    assert history[0]["scope_key"] != history[1]["scope_key"]


def test_unknown_scan_ids_and_bad_limits_are_usage_errors(seeded: SeededRegion) -> None:
    first = _saved_scan("--checks", "target_fixed_capacity")
    result = runner.invoke(app, ["diff", first, "nope"])
    assert result.exit_code == 2
    assert "no stored scan with id nope" in result.stderr
    assert runner.invoke(app, ["history", "--limit", "0"]).exit_code == 2


def test_history_of_an_empty_database_says_how_to_fill_it(seeded: SeededRegion) -> None:
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 0
    assert "scan --save" in result.stdout
