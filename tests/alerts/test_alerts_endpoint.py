"""``POST /aws/events`` against the real app under uvicorn, with the Slack stand-in and a real
database: authentication, bodies, unknown kinds, retries of one event id, delivery once per
channel, Slack's 429 and refusals, bursts."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from alert_samples import ECS_TARGET, RISKY, aas_event, scaled_to_max
from harness import RecordingScanner, build_report, sample_check

from database_fixtures import BACKENDS
from scalewarden.serving import server_config
from scalewarden.web import create_app

KEY = "k3y-for-tests-0123456789"
SEC = "C0000SECU"
OPS = "C0000OPSS"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@contextlib.asynccontextmanager
async def served(
    make_settings: Callable[..., Any], store: Any, **env: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = make_settings(**{"SCALEWARDEN_EVENTS_KEY": KEY, **env})
    app = create_app(
        settings,
        store=store,
        scanner=RecordingScanner(build_report(1)),
        checks=lambda: [sample_check()],
        slack_backoff=0.001,
    )
    import uvicorn

    server = uvicorn.Server(
        server_config(
            app,
            host="127.0.0.1",
            port=0,
            request_timeout=5.0,
            max_connections=200,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client, app
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


def _subscribe(store: Any, channel: str, min_severity: str = "low", **scope: Any) -> None:
    store.add_alert_subscription(
        channel=channel,
        min_severity=min_severity,
        regions=scope.get("regions", []),
        accounts=scope.get("accounts", []),
        created_by="UADMIN001",
        now=NOW,
    )


async def _send(
    client: httpx.AsyncClient, event: Any, key: str | bytes | None = KEY
) -> httpx.Response:
    headers: dict[str, Any] = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-Scalewarden-Key"] = key
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return await client.post("/aws/events", content=body, headers=headers)


def _shown(node: Any) -> list[str]:
    """Every text Slack renders in ``node`` (button values are data, not shown)."""
    if isinstance(node, list):
        return [t for item in node for t in _shown(item)]
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for k, v in node.items() if k != "value" for t in _shown(v)]
    return []


def _posts(fake: Any, channel: str | None = None) -> list[Any]:
    calls = fake.api_calls("chat.postMessage")
    return [c for c in calls if channel is None or c.params.get("channel") == channel]


async def _metric(client: httpx.AsyncClient, outcome: str) -> float:
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(f'scalewarden_aws_events_total{{outcome="{outcome}"}}'):
            return float(line.split()[-1])
    return 0.0


async def test_off_without_the_key_setting(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    async with served(make_settings, store, SCALEWARDEN_EVENTS_KEY="") as (client, _):
        response = await _send(client, dict(RISKY)["aas-scaling-suspended"])
        assert response.status_code == 404
    assert _posts(fake_slack) == []


async def test_wrong_or_missing_key_is_401_and_nothing_happens(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    async with served(make_settings, store) as (client, app):
        event = dict(RISKY)["aas-scaling-suspended"]
        for key in (None, "", KEY[:-1], KEY + "x", KEY.upper(), "ключ".encode()):
            response = await _send(client, event, key=key)
            assert response.status_code == 401, key
            assert response.json()["code"] == "unauthorized"
        await app.state.alerts.idle()
        assert await _metric(client, "refused") == 6
    assert _posts(fake_slack) == []


async def test_malformed_and_non_event_bodies_are_400(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    event = dict(RISKY)["aas-scaling-suspended"]
    no_id = {k: v for k, v in event.items() if k != "id"}
    bodies = [
        b"{not json",
        b"",
        b"[1, 2]",
        b'"event"',
        b"[" * 100_000,
        json.dumps(no_id).encode(),
        json.dumps({**event, "detail": "x"}).encode(),
        json.dumps({**event, "id": 5}).encode(),
        json.dumps({**event, "id": ""}).encode(),
        b"\xff\xfe",
    ]
    async with served(make_settings, store) as (client, app):
        for body in bodies:
            response = await _send(client, body)
            assert response.status_code == 400, body[:40]
            assert response.json()["code"] == "malformed_event"
        too_big = {**event, "padding": "x" * (1024 * 1024)}
        assert (await _send(client, too_big)).status_code == 413
        await app.state.alerts.idle()
    assert _posts(fake_slack) == []


async def test_unhandled_kinds_are_202_counted_and_never_posted(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC, "informational")
    other = {
        **scaled_to_max(),
        "id": "other-1",
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
    }
    async with served(make_settings, store) as (client, app):
        for i in range(3):
            response = await _send(client, {**other, "id": f"other-{i}"})
            assert response.status_code == 202 and response.json() == {"status": "ignored"}
        await app.state.alerts.idle()
        assert await _metric(client, "unhandled") == 3
    assert _posts(fake_slack) == []


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_a_risky_event_is_posted_once_per_channel_and_a_retry_not_again(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC, "medium")
    _subscribe(store, SEC, "low")  # a second subscription of the same channel: still once
    _subscribe(store, OPS, "high")  # too low a severity for this channel
    _subscribe(store, "C0000EUWE", regions=["eu-west-1"])  # another region
    event = dict(RISKY)["aas-scaling-suspended"]
    async with served(make_settings, store) as (client, app):
        first = await _send(client, event)
        assert first.status_code == 202 and first.json() == {"status": "accepted"}
        await app.state.alerts.idle()
        retried = await asyncio.gather(*(_send(client, event) for _ in range(5)))
        assert {r.status_code for r in retried} == {202}
        await app.state.alerts.idle()
        assert await _metric(client, "duplicate") == 5
    (post,) = _posts(fake_slack)
    assert post.params["channel"] == SEC
    text = json.dumps(post.params["blocks"])
    assert "Scaling suspended" in text and "Bob" in text and "us-west-2" in text
    (delivery,) = store.alert_deliveries()
    assert (delivery.channel, delivery.state, delivery.rule_id) == (
        SEC,
        "posted",
        "aas-scaling-suspended",
    )


async def test_ids_are_normalised_like_slacks_a_huge_id_is_deduplicated_too(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    event = copy.deepcopy(dict(RISKY)["aas-scaling-suspended"])
    event["id"] = "e\x00" + "x" * 5000
    async with served(make_settings, store) as (client, app):
        for _ in range(3):
            assert (await _send(client, event)).status_code == 202
            await app.state.alerts.idle()
        # Ids that differ only past the part an alert shows are still different events.
        other = {**event, "id": event["id"] + "y"}
        assert (await _send(client, other)).status_code == 202
        await app.state.alerts.idle()
    assert len(_posts(fake_slack)) == 2


async def test_a_429_is_retried_after_retry_after_and_posted_once(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    fake_slack.fail(
        "chat.postMessage",
        429,
        headers={"Retry-After": "0"},
        body={"ok": False, "error": "ratelimited"},
    )
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, dict(RISKY)["aas-scaling-suspended"])).status_code == 202
        await app.state.alerts.idle()
    assert len(_posts(fake_slack)) == 2  # the refused attempt and the retry
    (delivery,) = store.alert_deliveries()
    assert delivery.state == "posted"


async def test_a_refusal_is_recorded_failed_and_shown_on_the_subscription(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    fake_slack.fail("chat.postMessage", 200, body={"ok": False, "error": "not_in_channel"})
    async with served(make_settings, store) as (client, app):
        event = dict(RISKY)["aas-scaling-suspended"]
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
        assert (await _send(client, event)).status_code == 202  # a retry: not posted again
        await app.state.alerts.idle()
    assert len(_posts(fake_slack)) == 1
    (delivery,) = store.alert_deliveries()
    assert delivery.state == "failed" and "not_in_channel" in (delivery.last_error or "")
    (subscription,) = store.alert_subscriptions()
    assert "not_in_channel" in (subscription.last_error or "")


async def test_a_server_error_after_the_retries_is_uncertain_never_reposted(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    fake_slack.fail("chat.postMessage", 503, times=10)
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, dict(RISKY)["aas-scaling-suspended"])).status_code == 202
        await app.state.alerts.idle()
    (delivery,) = store.alert_deliveries()
    assert delivery.state == "uncertain"
    assert len(_posts(fake_slack)) == 4  # one attempt and the SDK's three retries


async def test_a_burst_from_one_principal_becomes_one_message_and_a_thread(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    async with served(make_settings, store, SCALEWARDEN_ALERT_BURST="2") as (client, app):
        for i in range(6):
            event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": f"p{i}"})
            event["id"] = f"burst-{i}"
            assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
        other = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "q"})
        other["id"] = "someone-else"
        other["detail"]["userIdentity"]["arn"] = "arn:aws:iam::123456789012:user/Carol"
        assert (await _send(client, other)).status_code == 202
        await app.state.alerts.idle()
    posts = _posts(fake_slack)
    assert len(posts) == 7
    top = [p for p in posts if not p.params.get("thread_ts")]
    threaded = [p for p in posts if p.params.get("thread_ts")]
    assert len(top) == 4 and len(threaded) == 3  # 2 alone, the burst's head, Carol's
    head = top[2]
    assert "More than 2 alerts from" in json.dumps(head.params["blocks"])
    assert "Bob" in json.dumps(head.params["blocks"])
    # The head's ts is what the fake answered for the third post.
    assert {p.params["thread_ts"] for p in threaded} == {"1700000000.000003"}
    assert "Carol" in json.dumps(top[3].params["blocks"])


async def test_mrkdwn_in_event_fields_is_shown_literally(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    event = aas_event(
        "DeleteScalingPolicy",
        {
            **ECS_TARGET,
            "resourceId": "service/<!channel>/<http://evil.example|aws.amazon.com>`x`",
            "policyName": "<@U0BOSS> *urgent*",
        },
    )
    event["detail"]["userIdentity"]["userName"] = "<!here>"
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
    (post,) = _posts(fake_slack)
    blocks = "\n".join(_shown(post.params["blocks"])) + post.params["text"]
    for raw in ("<!channel>", "<!here>", "<http://evil", "<@U0BOSS>"):
        assert raw not in blocks
    shown = "\n".join(_shown(post.params["blocks"]))
    assert "&lt;!channel&gt;" in shown and "&lt;!here&gt;" in shown


async def test_a_stored_mute_of_the_check_and_resource_silences_similar_alerts(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    _subscribe(store, SEC)
    store.add_mute(
        check_id="target_without_scaling_policy",
        resource_pattern="service/prod-cluster/*",
        accounts=[],
        regions=[],
        reason="migration",
        author="UADMIN001",
        now=NOW,
        expires_at=None,
    )
    async with served(make_settings, store) as (client, app):
        muted = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "p"})
        muted["id"] = "muted-1"
        other = aas_event(
            "DeleteScalingPolicy",
            {**ECS_TARGET, "resourceId": "service/other-cluster/api", "policyName": "p"},
        )
        other["id"] = "other-cluster"
        for event in (muted, other):
            assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
        assert await _metric(client, "muted") == 1
    (post,) = _posts(fake_slack)
    assert "other-cluster" in json.dumps(post.params["blocks"])


async def test_a_key_with_non_ascii_characters_is_compared_as_sent(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    key = "schlüssel-ключ-0123456789"
    async with served(make_settings, store, SCALEWARDEN_EVENTS_KEY=key) as (client, app):
        event = dict(RISKY)["aas-scaling-suspended"]
        assert (await _send(client, event, key=key.encode())).status_code == 202
        assert (await _send(client, event, key=key.encode("latin-1", "replace"))).status_code == 401
        await app.state.alerts.idle()


async def test_alerts_held_up_by_slack_never_starve_the_slack_acks_or_readiness(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    """A slow or rate-limiting Slack holds each channel's post (and its SDK retries) for
    seconds to minutes. With more subscribed channels than the loop's default worker threads,
    those posts must not take every thread: the Slack edge claims event ids and ``/readyz``
    pings the database in such threads, and Slack wants its ack within 3 seconds."""
    import os

    from harness import event_body, mention, sign

    cpus = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    channels = [f"C{n:08d}" for n in range(min(32, cpus + 4) + 1)]
    for channel in channels:
        _subscribe(store, channel)
    async with served(make_settings, store) as (client, app):
        # Start-up's auth.test must have been answered before Slack is held, or /readyz says
        # "checking" for a reason this test is not about.
        for _ in range(500):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.02)
        fake_slack.hold()
        try:
            response = await _send(client, dict(RISKY)["aas-scaling-suspended"])
            assert response.status_code == 202
            # Once one post is held, every channel's delivery has been handed to a thread.
            await fake_slack.wait_for(lambda: _posts(fake_slack))
            ready = await client.get("/readyz", timeout=8)
            assert ready.status_code == 200, ready.text
            body = event_body(mention("hello", ts="1733500000.000100"), "Ev0STARVED01")
            headers = {"Content-Type": "application/json", **sign(body)}
            acked = await client.post("/slack/events", content=body, headers=headers, timeout=8)
            assert acked.status_code == 200
        finally:
            fake_slack.release()
        await app.state.alerts.idle()
    posted = [p.params["channel"] for p in _posts(fake_slack) if p.params["channel"] in channels]
    assert sorted(posted) == channels  # every channel's alert, once, after the release


async def test_the_queue_behind_the_202_is_bounded_in_bytes_not_only_in_events(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    """Up to 10,000 events wait while the database is stalled; at up to 1 MiB each that is
    gigabytes. Past a byte budget the endpoint must answer 503 (EventBridge retries later)."""
    import sqlite3

    _subscribe(store, SEC)
    event = copy.deepcopy(dict(RISKY)["aas-scaling-suspended"])
    event["detail"]["requestParameters"]["padding"] = "x" * 900_000
    locker = sqlite3.connect(store.engine.url.database, timeout=1, isolation_level=None)
    statuses: list[int] = []
    async with served(make_settings, store) as (client, app):
        locker.execute("BEGIN EXCLUSIVE")  # the classifier's claim waits on this lock
        try:
            for n in range(150):  # 135 MB offered
                event["id"] = f"big-{n}"
                response = await _send(client, event)
                statuses.append(response.status_code)
                if response.status_code == 503:
                    assert response.headers["Retry-After"] == "1"
                    break
        finally:
            locker.rollback()
            locker.close()
        await app.state.alerts.idle()
    assert statuses[-1] == 503, f"{len(statuses)} events of 900 KB all queued"
    assert set(statuses[:-1]) == {202}


async def test_alerts_waiting_for_a_held_up_slack_are_bounded_and_push_back(
    make_settings: Callable[..., Any],
    store: Any,
    fake_slack: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While Slack holds a channel's posts, its alerts wait; they must not pile up without
    bound behind an emptied event queue. Past the channel's bound the event queue fills and
    the endpoint answers 503; every event that got a 202 is still posted once afterwards."""
    from scalewarden.slack import alert_delivery

    monkeypatch.setattr(alert_delivery, "QUEUE_SIZE", 20)
    monkeypatch.setattr(alert_delivery, "CHANNEL_QUEUE", 5, raising=False)
    _subscribe(store, SEC)
    event = copy.deepcopy(dict(RISKY)["aas-scaling-suspended"])
    statuses: list[int] = []
    async with served(make_settings, store) as (client, app):
        fake_slack.hold()
        try:
            for n in range(300):
                event["id"] = f"held-{n}"
                response = await _send(client, event)
                statuses.append(response.status_code)
                if response.status_code == 503:
                    break
                await asyncio.sleep(0)
        finally:
            fake_slack.release()
        await app.state.alerts.idle()
    assert statuses[-1] == 503, f"{len(statuses)} risky events accepted behind a held Slack"
    posted = [p for p in _posts(fake_slack) if p.params["channel"] == SEC]
    assert len(posted) == statuses.count(202)
    assert {d.state for d in store.alert_deliveries()} == {"posted"}


async def test_when_a_thread_head_fails_the_next_alert_heads_the_thread_not_the_channel(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    """The channel's rate limit sends the rest of a storm to one thread. If Slack refused the
    post that was to head it, the later alerts must not each land in the channel instead:
    the next one heads the thread."""
    _subscribe(store, SEC)
    env = {"SCALEWARDEN_ALERT_CHANNEL_RATE": "1", "SCALEWARDEN_ALERT_BURST": "100"}
    async with served(make_settings, store, **env) as (client, app):
        for i in range(6):
            if i == 1:  # the overflow head: refused
                fake_slack.fail("chat.postMessage", 200, body={"ok": False, "error": "fatal"})
            event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": f"p{i}"})
            event["id"] = f"storm-{i}"
            assert (await _send(client, event)).status_code == 202
            await app.state.alerts.idle()
    posts = _posts(fake_slack)
    assert len(posts) == 6
    top = [p for p in posts[2:] if not p.params.get("thread_ts")]
    assert len(top) == 1, "every alert after the refused head went to the channel"
    assert "More than 1 alerts in this channel" in json.dumps(top[0].params["blocks"])
    # The new head is the fake's second answered post (the refused one got no ts).
    assert {p.params.get("thread_ts") for p in posts[3:]} == {"1700000000.000002"}


async def test_a_policy_document_nested_too_deeply_is_an_alert_to_review_not_an_error(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any
) -> None:
    """A policy document the evaluator cannot read is alerted as "could not be evaluated";
    one nested past the JSON reader's depth raised instead, and no alert was posted."""
    _subscribe(store, SEC)
    event = copy.deepcopy(dict(RISKY)["iam-policy-grants-aas-writes"])
    event["detail"]["requestParameters"]["policyDocument"] = (
        '{"Statement":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"
    )
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
        assert await _metric(client, "error") == 0
    (post,) = _posts(fake_slack)
    assert "could not be evaluated" in json.dumps(post.params["blocks"])


def _register_target(tags: dict[str, str]) -> None:
    """The sample events' ECS target, registered in the local AWS with ``tags``."""
    import boto3

    boto3.client("application-autoscaling", region_name="us-west-2").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=ECS_TARGET["resourceId"],
        ScalableDimension=ECS_TARGET["scalableDimension"],
        MinCapacity=2,
        MaxCapacity=10,
        Tags=tags,
    )


async def test_a_failed_look_up_is_posted_with_what_could_not_be_learned(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any, aws_env: str, local_aws: Any
) -> None:
    """The default single-account set-up against the local AWS: the service learns its own
    account, reads the target's tags live, is refused, and the alert is still posted, saying
    what it could not learn and why (escaped like every event text)."""
    _register_target({"environment": "production"})
    fault = local_aws.inject_fault(
        "application-autoscaling", "ListTagsForResource", "AccessDeniedException", "<!channel>"
    )
    _subscribe(store, SEC)
    event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu"})
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
    (post,) = _posts(fake_slack, SEC)
    shown = " ".join(_shown(post.params["blocks"]))
    assert "Could not learn" in shown
    assert "protection tag unknown: AccessDenied on ListTagsForResource" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert fault.hits == 1
    (delivery,) = store.alert_deliveries()
    assert (delivery.state, delivery.severity) == ("posted", "low")


async def test_a_live_read_raises_the_posted_alert_for_a_protected_target(
    make_settings: Callable[..., Any], store: Any, fake_slack: Any, aws_env: str
) -> None:
    _register_target({"environment": "Production"})
    _subscribe(store, SEC)
    event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu"})
    async with served(make_settings, store) as (client, app):
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
    (post,) = _posts(fake_slack, SEC)
    assert "the target carries a protection tag" in " ".join(_shown(post.params["blocks"]))
    (delivery,) = store.alert_deliveries()
    assert delivery.severity == "medium"


@pytest.mark.parametrize(
    ("tags", "severity"),
    [({"tier": "GOLD"}, "medium"), ({"environment": "production"}, "low")],
)
async def test_the_protection_tag_setting_decides_which_targets_raise_an_alert(
    make_settings: Callable[..., Any],
    store: Any,
    fake_slack: Any,
    aws_env: str,
    tags: dict[str, str],
    severity: str,
) -> None:
    """``SCALEWARDEN_ALERT_PROTECTION_TAG=tier=gold``: a gold target raises the alert, and
    one tagged ``environment=production`` (the default tag) no longer does."""
    _register_target(tags)
    _subscribe(store, SEC)
    event = aas_event("DeleteScalingPolicy", {**ECS_TARGET, "policyName": "cpu"})
    env = {"SCALEWARDEN_ALERT_PROTECTION_TAG": " tier = gold "}
    async with served(make_settings, store, **env) as (client, app):
        assert (await _send(client, event)).status_code == 202
        await app.state.alerts.idle()
    (post,) = _posts(fake_slack, SEC)
    raised = "the target carries a protection tag" in " ".join(_shown(post.params["blocks"]))
    assert raised == (severity == "medium")
    (delivery,) = store.alert_deliveries()
    assert delivery.severity == severity


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("production", "KEY=VALUE"),
        ("environment=", "KEY=VALUE"),
        ("=production", "KEY=VALUE"),
        ("k=" + "v" * 257, "at most 128 characters"),
        ("env\x1b=prod", "control characters"),
    ],
)
def test_an_invalid_protection_tag_setting_fails_at_start_up(
    make_settings: Callable[..., Any], value: str, reason: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as failure:
        make_settings(SCALEWARDEN_ALERT_PROTECTION_TAG=value)
    assert "alert_protection_tag" in str(failure.value) and reason in str(failure.value)
