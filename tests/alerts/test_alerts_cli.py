"""`scalewarden events replay`: recorded events through the classifier, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alert_samples import BENIGN, ECS_TARGET, RISKY, aas_event
from typer.testing import CliRunner

from scalewarden.cli import app

runner = CliRunner()


def _write(tmp_path: Path, text: str, name: str = "events.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_json_list_prints_one_alert_per_risky_event(tmp_path: Path) -> None:
    events = [e for _, e in RISKY] + [e for _, e in BENIGN]
    path = _write(tmp_path, json.dumps(events))
    result = runner.invoke(app, ["events", "replay", str(path), "--json"])
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.stdout)
    assert [a["rule_id"] for a in alerts] == [rule_id for rule_id, _ in RISKY]
    assert alerts[0]["who"]["name"] == "Bob" and alerts[0]["kb_article"] == "resilience"


def test_json_lines_and_the_table(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(e) for e in (dict(RISKY)["aas-capacity-pinned"], BENIGN[1][1]))
    path = _write(tmp_path, lines + "\n", "events.jsonl")
    result = runner.invoke(app, ["events", "replay", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2 events, 1 alert" in result.stdout
    assert "aas-capacity-pinned" in result.stdout and "min capacity: 6" in result.stdout
    assert "Bob (AWS Internal)" in result.stdout


def test_one_event_without_alerts_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(BENIGN[0][1]))
    result = runner.invoke(app, ["events", "replay", str(path)])
    assert result.exit_code == 0
    assert result.stdout.strip() == "1 event, no alerts."


def test_protection_tags_can_be_tuned(tmp_path: Path) -> None:
    params = {**ECS_TARGET, "minCapacity": 3, "maxCapacity": 3, "tags": {"tier": "gold"}}
    path = _write(tmp_path, json.dumps(aas_event("RegisterScalableTarget", params)))
    plain = runner.invoke(app, ["events", "replay", str(path), "--json"])
    tuned = runner.invoke(
        app, ["events", "replay", str(path), "--json", "--protection-tag", "tier=gold"]
    )
    assert json.loads(plain.stdout)[0]["severity"] == "low"
    assert json.loads(tuned.stdout)[0]["severity"] == "medium"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("{not json", "is not JSON"),
        ('{"id": "x"}', "is not an EventBridge event: no detail-type"),
        ("[1]", "item 1 is not a JSON object"),
        (json.dumps(BENIGN[0][1]) + "\nnot json\n", "line 2 is not JSON"),
        (json.dumps({**BENIGN[0][1], "detail": []}), "detail is not an object"),
    ],
)
def test_bad_input_is_a_clear_error_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    result = runner.invoke(app, ["events", "replay", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_missing_file_or_bad_option_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["events", "replay", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "cannot read" in result.stderr
    path = _write(tmp_path, json.dumps(BENIGN[0][1]))
    result = runner.invoke(app, ["events", "replay", str(path), "--protection-tag", "tier"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.stderr


def test_hostile_names_are_redacted_in_the_table(tmp_path: Path) -> None:
    secret = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
    event: dict[str, Any] = aas_event(
        "DeregisterScalableTarget", {**ECS_TARGET, "resourceId": f"service/{secret}"}
    )
    path = _write(tmp_path, json.dumps(event))
    result = runner.invoke(app, ["events", "replay", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and secret not in result.stdout
