"""``scalewarden digest`` and ``scalewarden mute`` against the local AWS, a real database and
the Slack stand-in."""

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
from scalewarden.localaws import SeededRegion, seed_scenario
from scalewarden.settings import get_settings
from scalewarden.store import Store

runner = CliRunner()
KEYS = {"subscription_id", "scan_id", "baseline", "new", "resolved", "open", "muted"}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'digests.db'}"
    monkeypatch.setenv("SCALEWARDEN_DATABASE_URL", url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    return url


@pytest.fixture
def seeded(aws_env: str, db: str) -> SeededRegion:
    get_settings.cache_clear()
    return seed_scenario("us-east-1")


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """The Web API stand-in on a loop of its own, for the synchronous CLI to call."""
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
    get_settings.cache_clear()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def add(*extra: str) -> int:
    code, out, err = cli(
        "digest", "add", "--channel", "C0SECURITY", "--schedule", "daily 09:00", *extra
    )
    assert code == 0, err
    return int(out.strip())


def test_add_list_and_remove(db: str) -> None:
    first = add("--timezone", "Europe/Berlin", "--min-severity", "medium", "--regions", "eu-west-1")
    second = add("--accounts", "111111111111")
    code, out, _ = cli("digest", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [s["id"] for s in listed] == [first, second]
    assert listed[0]["timezone"] == "Europe/Berlin" and listed[0]["min_severity"] == "medium"
    assert listed[0]["regions"] == ["eu-west-1"] and listed[1]["accounts"] == ["111111111111"]
    assert listed[0]["next_fire_time"].endswith(("T07:00:00+00:00", "T08:00:00+00:00"))
    assert listed[0]["last_error"] is None and listed[0]["last_delivery"] is None
    code, out, _ = cli("digest", "list")
    assert f"#{first} C0SECURITY daily 09:00 Europe/Berlin" in out
    assert cli("digest", "remove", str(first))[0] == 0
    assert [s["id"] for s in json.loads(cli("digest", "list", "--json")[1])] == [second]
    code, _, err = cli("digest", "remove", str(first))
    assert code == 2 and f"no digest subscription #{first}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--schedule", "*/5 * * * *"], "more often than once an hour"),
        (["--schedule", "daily 9"], "not a time of day"),
        (["--schedule", "0 9 * *"], "is not a schedule"),
        (["--timezone", "Europe/Nowhere"], "unknown time zone"),
        (["--min-severity", "severe"], "unknown severity"),
        (["--regions", "mars-1"], "unknown region"),
        (["--accounts", "123"], "12 digits"),
        (["--channel", "#security"], "not a Slack channel id"),
    ],
)
def test_bad_input_is_exit_2_and_stores_nothing(db: str, args: list[str], message: str) -> None:
    base = {"--channel": "C0SECURITY", "--schedule": "daily 09:00"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    code, out, err = cli("digest", "add", *[x for kv in base.items() for x in kv])
    assert code == 2
    assert message in err and out == ""
    with Store.open(db) as store:
        assert store.subscriptions() == []


def test_run_dry_run_json_is_a_baseline_then_a_diff(seeded: SeededRegion) -> None:
    sid = add("--regions", "us-east-1")
    code, out, err = cli("digest", "run", str(sid), "--dry-run", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert set(first) >= KEYS | {"not_evaluated"}
    assert first["subscription_id"] == sid and first["baseline"] is True
    assert first["new"] == [] and first["open"]
    assert all(f["status"] == "FAIL" for f in first["open"])
    assert {"check_id", "severity", "resource_id", "fingerprint"} <= set(first["open"][0])
    code, out, err = cli("digest", "run", str(sid), "--dry-run", "--json")
    second = json.loads(out)
    assert second["baseline"] is False and second["new"] == [] and second["resolved"] == []
    assert len(second["open"]) == len(first["open"])
    code, out, _ = cli("digest", "run", str(sid), "--dry-run")
    assert out.startswith("No change since the last scan:")


def test_run_applies_stored_mutes(seeded: SeededRegion) -> None:
    sid = add("--regions", "us-east-1")
    fixed = seeded.fixed_capacity[0]
    code, _, err = cli(
        "mute",
        "add",
        "target_fixed_capacity",
        fixed,
        "--reason",
        "by design",
        "--until",
        "2999-12-31",
    )
    assert code == 0, err
    digest = json.loads(cli("digest", "run", str(sid), "--dry-run", "--json")[1])
    muted = [f for f in digest["muted"] if f["check_id"] == "target_fixed_capacity"]
    assert [f["resource_id"] for f in muted] == [f"ecs:{fixed}:ecs:service:DesiredCount"]
    assert "by design" in muted[0]["message"]


def test_run_posts_once_through_a_rate_limit(seeded: SeededRegion, slack: FakeSlack) -> None:
    sid = add("--regions", "us-east-1")
    slack.fail("chat.postMessage", 429, headers={"Retry-After": "0"})
    code, _, err = cli("digest", "run", str(sid))
    assert code == 0, err
    posts = [c for c in slack.api_calls("chat.postMessage") if c.params.get("channel")]
    assert len(posts) == 2  # the 429, then the message
    assert posts[-1].params["channel"] == "C0SECURITY"
    assert posts[-1].params["text"].startswith("Baseline scan:")
    assert "posted to C0SECURITY" in err


def test_run_without_a_token_refuses_before_scanning(seeded: SeededRegion) -> None:
    sid = add()
    code, _, err = cli("digest", "run", str(sid))
    assert code == 2 and "SLACK_BOT_TOKEN" in err
    assert cli("digest", "run", "999", "--dry-run")[0] == 2


def test_mute_add_list_remove_and_bad_input(db: str) -> None:
    code, out, err = cli(
        "mute",
        "add",
        "target_fixed_capacity",
        "service/batch/*",
        "--reason",
        "batch",
        "--until",
        "2999-01-01",
        "--regions",
        "us-east-1",
    )
    assert code == 0, err
    mute_id = int(out)
    listed = json.loads(cli("mute", "list", "--json")[1])
    assert listed[0]["id"] == mute_id and listed[0]["active"] is True
    assert listed[0]["resource_pattern"] == "service/batch/*"
    for args, message in (
        (["nope", "--reason", "x"], "unknown check id"),
        (["target_fixed_capacity", "--reason", "x", "--until", "2001-01-01"], "in the past"),
        (["target_fixed_capacity", "--reason", " "], "needs a reason"),
    ):
        code, _, err = cli("mute", "add", *args)
        assert code == 2 and message in err
    assert len(json.loads(cli("mute", "list", "--json")[1])) == 1
    assert cli("mute", "remove", str(mute_id))[0] == 0
    assert cli("mute", "remove", str(mute_id))[0] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["digest", "run", "99999999999999999999", "--dry-run"],
        ["digest", "remove", "99999999999999999999"],
        ["mute", "remove", "99999999999999999999"],
        ["digest", "run", "2147483648", "--dry-run"],
    ],
)
def test_an_id_beyond_any_row_is_a_usage_error_not_a_crash(db: str, args: list[str]) -> None:
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert "id must be" in err or "no digest subscription" in err or "no mute" in err


def test_a_posted_digest_shows_hostile_names_literally(db: str, slack: FakeSlack) -> None:
    """A resource name is the scanned account's to choose. Posted as mrkdwn text, ``<!channel>``
    would ping everyone and ``<http://…|…>`` would disguise a link: they must arrive escaped."""
    from datetime import UTC, datetime

    from digest_builders import finding

    from scalewarden.cli.digest import post_text
    from scalewarden.digests.result import DigestResult
    from scalewarden.store.records import Subscription

    hostile = "svc/<!channel>/<http://evil.example|aws.amazon.com>&<@U0ADMIN>"
    result = DigestResult(
        subscription_id=1, scan_id="s1", baseline=False, new=[finding(resource_id=hostile)]
    )
    subscription = Subscription(
        id=1,
        channel="C0SECURITY",
        schedule="daily 09:00",
        timezone="UTC",
        min_severity="low",
        regions=(),
        accounts=(),
        created_by="cli",
        created_at=datetime.now(UTC),
    )
    post_text(get_settings(), subscription, result)
    [post] = slack.api_calls("chat.postMessage")
    text = post.params["text"]
    assert "<" not in text and ">" not in text
    assert "svc/&lt;!channel&gt;/&lt;http://" in text and "U0ADMIN&gt;" in text


def test_add_with_a_token_applies_the_channel_rules_and_stores_nothing_refused(
    db: str, slack: FakeSlack
) -> None:
    """The same channel rules as ``/scalewarden digest subscribe`` and ``alerts add``."""
    slack.channels["C0SHARED"] = {"is_member": True, "is_ext_shared": True}
    slack.channels["C0OUTSIDE"] = {"is_member": False}
    base = ("digest", "add", "--schedule", "daily 09:00", "--channel")
    code, _, err = cli(*base, "C0SHARED")
    assert code == 2 and "shared with another organisation" in err
    code, _, err = cli(*base, "C0OUTSIDE")
    assert code == 2 and "not a member" in err
    with Store.open(db) as store:
        assert store.subscriptions() == []
    code, out, err = cli(*base, "C0MINE")
    assert code == 0 and out.strip() == "1" and "not checked" not in err


def test_add_without_a_token_says_the_channel_was_not_checked(db: str) -> None:
    code, out, err = cli("digest", "add", "--channel", "C0SECURITY", "--schedule", "daily 09:00")
    assert code == 0 and out.strip() == "1" and "not checked" in err
