"""``/scalewarden digest``, ``mute`` and ``unmute`` end to end: signed requests into the real
app, a real database (SQLite and PostgreSQL), the Slack stand-in for the Web API."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness import ADMIN, CHANNEL, USER, RecordingScanner, build_report

from database_fixtures import BACKENDS
from scalewarden.checks.model import ScanReport, Status
from scalewarden.scan import ScanScope
from scalewarden.slack.views.buttons import ACTION_DIGEST_FULL, DigestPayload
from scalewarden.store import Store

pytestmark = pytest.mark.asyncio


class DigestRunner:
    """The digests' scan for tests where AWS is not the point: a fixed report, mutes applied
    by the one matcher, as the real runner does."""

    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.scopes: list[ScanScope] = []

    def __call__(self, scope: ScanScope, mutelist: Any) -> ScanReport:
        import dataclasses
        import uuid

        self.scopes.append(scope)
        findings = mutelist.apply(self.report.findings, datetime.now(UTC))
        return dataclasses.replace(self.report, scan_id=uuid.uuid4().hex, findings=findings)


@pytest.fixture
def digest_runner() -> DigestRunner:
    return DigestRunner(build_report(8, errors=1))


async def _reply(h: Any, hook: str = "cmd") -> str:
    await h.fake.wait_for(lambda: h.fake.webhook_calls(hook))
    await h.settle()
    return json.dumps([c.params for c in h.fake.webhook_calls(hook)])


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_subscribe_list_preview_and_unsubscribe(
    make_harness: Any, digest_runner: DigestRunner
) -> None:
    async with make_harness(digest_runner=digest_runner) as h:
        response = await h.command(
            "digest subscribe weekdays 09:00 tz=Europe/Berlin min=medium regions=eu-west-1",
            hook="sub",
        )
        assert response.json()["text"] == "Setting up the digest…"
        reply = await _reply(h, "sub")
        (subscription,) = h.store.subscriptions()
        assert f"Digest #{subscription.id} subscribed" in reply
        assert (subscription.channel, subscription.schedule, subscription.timezone) == (
            CHANNEL,
            "weekdays 09:00",
            "Europe/Berlin",
        )
        assert subscription.min_severity == "medium" and subscription.regions == ("eu-west-1",)
        assert subscription.created_by == ADMIN
        (info,) = h.fake.api_calls("conversations.info")
        assert info.params["channel"] == CHANNEL

        await h.command("digest list", hook="list")
        assert f"#{subscription.id} weekdays 09:00 (Europe/Berlin), medium" in await _reply(
            h, "list"
        )

        await h.command(f"digest preview {subscription.id}", hook="preview")
        preview = await _reply(h, "preview")
        assert "Baseline" in preview and '"response_type": "ephemeral"' in preview
        assert digest_runner.scopes[0].regions == ["eu-west-1"]
        # The preview went to the admin only: nothing was posted in the channel.
        assert not h.fake.api_calls("chat.postMessage")

        await h.command(f"digest unsubscribe {subscription.id}", hook="unsub")
        assert f"Digest #{subscription.id} removed" in await _reply(h, "unsub")
        assert h.store.subscriptions() == []
        outcomes = [e["outcome"] for e in h.store.audit_entries()]
        assert outcomes.count("completed") == 4


async def test_a_preview_whose_scan_cannot_run_says_why(make_harness: Any) -> None:
    from scalewarden.scan import ScanError

    def broken(scope: ScanScope, mutelist: Any) -> ScanReport:
        raise ScanError("no AWS credentials were found")

    async with make_harness(digest_runner=broken) as h:
        subscription = h.store.add_subscription(
            channel=CHANNEL,
            schedule="daily 09:00",
            timezone="UTC",
            min_severity="low",
            regions=(),
            accounts=(),
            created_by=ADMIN,
            now=datetime.now(UTC),
        )
        await h.command(f"digest preview {subscription.id}")
        reply = await _reply(h)
        assert "The scan could not run: no AWS credentials were found" in reply
        assert h.store.scan_history() == []


@pytest.mark.parametrize(
    ("channel", "env", "text", "reason"),
    [
        ({"is_member": False}, {}, "digest subscribe daily 09:00", "not a member of this channel"),
        ({"not_found": True}, {}, "digest subscribe daily 09:00", "not a member of this channel"),
        (
            {"is_member": True, "is_ext_shared": True},
            {},
            "digest subscribe daily 09:00",
            "shared with another organisation",
        ),
        (
            {},
            {"SCALEWARDEN_SCAN_ACCOUNTS": "111111111111"},
            "digest subscribe daily 09:00 accounts=111111111111,222222222222",
            "222222222222 are not among the accounts this service scans",
        ),
        (
            {},
            {},
            "digest subscribe daily 09:00 accounts=111111111111",
            "account 111111111111 is not this service's own account (123456789012)",
        ),
    ],
)
async def test_subscriptions_the_service_must_not_make_are_refused_and_nothing_is_written(
    make_harness: Any, aws_env: str, channel: dict, env: dict, text: str, reason: str
) -> None:
    async with make_harness(settings_env=env) as h:
        if channel:
            h.fake.channels[CHANNEL] = channel
        await h.command(text)
        assert reason in await _reply(h)
        assert h.store.subscriptions() == []
        assert h.store.audit_entries()[0]["outcome"] == "refused"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("digest subscribe daily 09:00 tz=Europe/Nowhere", "unknown time zone"),
        ('digest subscribe "61 9 * * *"', "bad cron expression"),
        ('mute no_such_check reason="x"', "I don't know the check `no_such_check`"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_writes_nothing(
    make_harness: Any, text: str, problem: str
) -> None:
    async with make_harness() as h:
        response = await h.command(text)
        await h.settle()
        answered = response.text + json.dumps([c.params for c in h.fake.webhook_calls()])
        assert problem in answered
        assert h.store.subscriptions() == [] and h.store.mutes() == []


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_mute_list_and_unmute(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.command(
            'mute dynamodb_table_autoscaling_enabled table/orders-* reason="load tests" '
            "until=2099-12-31",
            hook="mute",
        )
        reply = await _reply(h, "mute")
        (mute,) = h.store.mutes()
        assert f"Mute #{mute.id}" in reply and "until 2099-12-31" in reply
        assert (mute.check_id, mute.resource_pattern, mute.reason, mute.author) == (
            "dynamodb_table_autoscaling_enabled",
            "table/orders-*",
            "load tests",
            ADMIN,
        )
        assert mute.expires_at is not None and mute.expires_at.year == 2099

        await h.command("mute list", hook="list")
        assert f"#{mute.id} `dynamodb_table_autoscaling_enabled` table/orders-*" in await _reply(
            h, "list"
        )
        await h.command(f"unmute {mute.id}", hook="unmute")
        assert f"Mute #{mute.id} removed" in await _reply(h, "unmute")
        assert h.store.mutes() == []
        await h.command(f"unmute {mute.id}", hook="again")
        assert "There is no mute" in await _reply(h, "again")


async def test_a_mute_that_already_expired_is_refused(make_harness: Any) -> None:
    async with make_harness() as h:
        await h.command('mute dynamodb_table_autoscaling_enabled reason="x" until=2020-01-01')
        assert "in the past" in await _reply(h)
        assert h.store.mutes() == []


async def test_a_slack_scan_applies_stored_mutes_and_stores_the_cli_scope_key(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness() as h:
        h.store.add_mute(
            check_id="dynamodb_table_autoscaling_enabled",
            resource_pattern="orders-0001",  # the bare resource name, as users see it
            accounts=(),
            regions=(),
            reason="accepted",
            author="U1",
            now=datetime.now(UTC),
            expires_at=None,
        )
        await h.command("scan")
        await h.fake.wait_for(lambda: h.store.audit_entries())
        stored = h.store.latest_scan()
        assert stored is not None
        status = {f["resource_id"]: f["status"] for f in stored["findings"]}
        assert status["table/orders-0001"] == Status.MUTED.value
        assert status["table/orders-0002"] == Status.FAIL.value
        (summary,) = h.store.scan_history()
        # The same key as `scalewarden scan --save --regions all` (the default service scope).
        assert summary.scope_key == ScanScope(regions=["all"]).key()


async def test_scan_results_go_by_dm_outside_the_security_channels(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    async with make_harness() as h:
        response = await h.command("scan", channel="C0GENERAL")
        assert "direct message" in response.json()["text"]
        await h.fake.wait_for(lambda: h.store.audit_entries())
        (opened,) = h.fake.api_calls("conversations.open")
        assert opened.params["users"] == ADMIN
        channels = {c.params["channel"] for c in h.fake.api_calls("chat.postMessage")}
        channels |= {c.params["channel"] for c in h.fake.api_calls("chat.update")}
        assert channels == {"D" + ADMIN[1:]}


async def test_a_scan_of_an_account_outside_the_configured_ones_is_refused(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    env = {"SCALEWARDEN_SCAN_ACCOUNTS": "111111111111"}
    async with make_harness(settings_env=env) as h:
        response = await h.command("scan account=999999999999")
        assert "999999999999 are not among the accounts" in response.json()["text"]
        await h.settle()
        assert scanner.calls == []
        response = await h.command("scan account=111111111111", hook="ok")
        assert response.json()["text"].startswith("Scanning 1 account")


async def test_the_full_list_button_shows_admins_only(
    make_harness: Any, digest_runner: DigestRunner
) -> None:
    from scalewarden.digests.scheduler import scan_and_store, subscription_scope

    async with make_harness(digest_runner=digest_runner) as h:
        subscription = h.store.add_subscription(
            channel=CHANNEL,
            schedule="daily 09:00",
            timezone="UTC",
            min_severity="informational",
            regions=(),
            accounts=(),
            created_by=ADMIN,
            now=datetime.now(UTC),
        )
        scan = scan_and_store(
            h.store, subscription_scope(subscription), digest_runner, requested_by="digest"
        )
        value = DigestPayload(subscription.id, scan.scan_id).encode()
        await h.action(ACTION_DIGEST_FULL, value, user=USER, hook="user")
        assert "only scalewarden admins" in await _reply(h, "user")
        await h.action(ACTION_DIGEST_FULL, value, user=ADMIN, hook="admin")
        shown = await _reply(h, "admin")
        assert "the full list" in shown and '"response_type": "ephemeral"' in shown


async def test_an_unreachable_database_fails_readyz_and_commands_say_try_again(
    make_harness: Any,
) -> None:
    away = Store("postgresql+psycopg://postgres@127.0.0.1:9/scalewarden?connect_timeout=2")
    async with make_harness(store=away) as h:
        ready = await h.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        await h.command("mute list")
        assert "try again" in await _reply(h)
        await h.command('mute dynamodb_table_autoscaling_enabled reason="x"', hook="add")
        assert "try again" in await _reply(h, "add")


async def test_a_locked_sqlite_database_fails_readyz_until_the_lock_goes(
    make_harness: Any, tmp_path: Path
) -> None:
    async with make_harness() as h:
        assert (await h.client.get("/readyz")).json()["database"] == "reachable"
        path = h.store.engine.url.database
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            ready = await h.client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert (await h.client.get("/readyz")).json()["database"] == "reachable"


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_a_mute_narrowed_to_accounts_and_regions_mutes_only_there(
    make_harness: Any, scanner: RecordingScanner
) -> None:
    """``accounts=`` and ``regions=`` are stored with the mute and matched by the one matcher:
    the table in eu-west-1 is MUTED, the same check's tables in us-east-1 are not."""
    env = {"SCALEWARDEN_SCAN_ACCOUNTS": "123456789012", "SCALEWARDEN_SCAN_REGIONS": "all"}
    async with make_harness(settings_env=env) as h:
        await h.command(
            'mute dynamodb_table_autoscaling_enabled reason="eu load tests" '
            "accounts=123456789012 region=EU-West-1",
            hook="mute",
        )
        reply = await _reply(h, "mute")
        (mute,) = h.store.mutes()
        assert (mute.accounts, mute.regions) == (("123456789012",), ("eu-west-1",))
        assert "in 123456789012 / eu-west-1" in reply
        await h.command("mute list", hook="list")
        assert f"#{mute.id} `dynamodb_table_autoscaling_enabled` * in 123456789012 / eu-west-1" in (
            await _reply(h, "list")
        )
        await h.command("scan")
        await h.fake.wait_for(lambda: len(h.store.audit_entries()) == 3)
        stored = h.store.latest_scan()
        assert stored is not None
        status = {
            (f["region"], f["status"])
            for f in stored["findings"]
            if f["check_id"] == "dynamodb_table_autoscaling_enabled"
        }
        assert status == {("eu-west-1", "MUTED"), ("us-east-1", "FAIL")}


@pytest.mark.parametrize(
    ("env", "text", "reason"),
    [
        (
            {"SCALEWARDEN_SCAN_ACCOUNTS": "111111111111"},
            "accounts=111111111111,222222222222",
            "222222222222 are not among the accounts this service scans",
        ),
        (
            {},
            "accounts=111111111111",
            "account 111111111111 is not this service's own account (123456789012)",
        ),
        (
            {"SCALEWARDEN_SCAN_REGIONS": "eu-west-1,us-east-1"},
            "regions=eu-west-1,ap-south-1",
            "ap-south-1 are not among the regions this service scans (eu-west-1, us-east-1)",
        ),
        ({}, "regions=mars-north-1", "unknown region(s): mars-north-1"),
        ({}, "accounts=12345", "account ids must be 12 digits: 12345"),
        ({}, "regions=", "`regions=` needs a value"),
    ],
)
async def test_a_mute_outside_the_service_scope_is_refused_and_nothing_is_written(
    make_harness: Any, aws_env: str, env: dict, text: str, reason: str
) -> None:
    async with make_harness(settings_env=env) as h:
        response = await h.command(f'mute dynamodb_table_autoscaling_enabled reason="x" {text}')
        await h.settle()
        answered = response.text + json.dumps([c.params for c in h.fake.webhook_calls()])
        assert reason in answered
        assert h.store.mutes() == []


async def test_commands_on_a_locked_sqlite_database_say_try_again_and_write_nothing(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another process holds SQLite's write lock past the busy timeout: `mute` and `digest
    subscribe` answer "try again", and once the lock is gone no row of theirs exists."""
    from scalewarden.slack.listeners.digests import TRY_AGAIN
    from scalewarden.store import engine

    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_S", 0.3)  # production waits 15 s
    store = Store.open(f"sqlite:///{tmp_path / 'locked.db'}")
    try:
        async with make_harness(store=store) as h:
            holder = sqlite3.connect(str(tmp_path / "locked.db"), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                await h.command(
                    'mute dynamodb_table_autoscaling_enabled reason="x" until=2099-01-01',
                    hook="mute",
                )
                await h.command("digest subscribe daily 09:00 min=high", hook="sub")
                await h.command("unmute 1", hook="unmute")
                for hook in ("mute", "sub", "unmute"):
                    assert TRY_AGAIN in await _reply(h, hook)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert h.store.mutes() == [] and h.store.subscriptions() == []
            # The database is back: the same command now works.
            await h.command('mute dynamodb_table_autoscaling_enabled reason="x"', hook="again")
            assert "Mute #1" in await _reply(h, "again")
    finally:
        store.close()
