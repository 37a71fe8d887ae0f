"""``scalewarden alerts add|list|remove`` against a real database (and the Slack stand-in for
the channel rules)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.settings import get_settings
from scalewarden.store import Store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    monkeypatch.setenv("SCALEWARDEN_DATABASE_URL", url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeSlack()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SCALEWARDEN_SLACK_API_URL", fake.api_url)
    get_settings.cache_clear()
    yield fake
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_add_list_remove(db: str) -> None:
    code, out, err = cli("alerts", "add", "--channel", "C0SECURITY", "--regions", "eu-west-1")
    assert code == 0 and out.strip() == "1"
    assert "channel was not checked" in err
    code, out, _ = cli(
        "alerts",
        "add",
        "--channel",
        "C0OPS",
        "--min-severity",
        "high",
        "--accounts",
        "123456789012",
    )
    assert code == 0
    code, out, _ = cli("alerts", "list", "--json")
    rows = json.loads(out)
    assert [(r["channel"], r["min_severity"], r["regions"], r["accounts"]) for r in rows] == [
        ("C0SECURITY", "medium", ["eu-west-1"], []),
        ("C0OPS", "high", [], ["123456789012"]),
    ]
    code, out, _ = cli("alerts", "list")
    assert "#1 C0SECURITY min=medium (eu-west-1; every account)" in out
    assert cli("alerts", "remove", "1")[0] == 0
    code, _, err = cli("alerts", "remove", "1")
    assert code == 2 and "no alert subscription #1" in err
    with Store(db) as store:
        assert [s.channel for s in store.alert_subscriptions()] == ["C0OPS"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--channel", "#security"], "not a Slack channel id"),
        (["--channel", "C0SEC", "--min-severity", "loud"], "unknown severity"),
        (["--channel", "C0SEC", "--regions", "mars-north-1"], "mars-north-1"),
        (["--channel", "C0SEC", "--accounts", "12"], "12"),
    ],
)
def test_bad_input_is_exit_2_and_stores_nothing(db: str, args: list[str], problem: str) -> None:
    code, _, err = cli("alerts", "add", *args)
    assert code == 2 and problem in err
    with Store.open(db) as store:
        assert store.alert_subscriptions() == []


def test_with_a_token_the_channel_rules_apply(db: str, slack: FakeSlack) -> None:
    slack.channels["C0SHARED"] = {"is_member": True, "is_ext_shared": True}
    slack.channels["C0OUTSIDE"] = {"is_member": False}
    code, _, err = cli("alerts", "add", "--channel", "C0SHARED")
    assert code == 2 and "shared with another organisation" in err
    code, _, err = cli("alerts", "add", "--channel", "C0OUTSIDE")
    assert code == 2 and "not a member" in err
    code, out, err = cli("alerts", "add", "--channel", "C0MINE")
    assert code == 0 and out.strip() == "1" and "not checked" not in err
    with Store(db) as store:
        assert [s.channel for s in store.alert_subscriptions()] == ["C0MINE"]
