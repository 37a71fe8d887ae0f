"""Requests to /slack/events: Bolt's own signature check, sizes, retries, duplicates (every
unsigned variant of every request kind is one table in `test_slack_hostile_requests.py`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import CHANNEL, USER, command_body, event_body, sign

from database_fixtures import BACKENDS

pytestmark = pytest.mark.asyncio

FORM = "application/x-www-form-urlencoded"


async def test_bodies_over_one_mebibyte_get_413_before_anything_runs(make_harness: Any) -> None:
    async with make_harness() as h:
        big = b"text=" + b"a" * (1024 * 1024)
        by_length = await h.post(big, FORM)
        assert by_length.status_code == 413

        async def chunks():  # no Content-Length: the bytes themselves are counted
            for _ in range(20):
                yield b"a" * 65536

        streamed = await h.client.post(
            "/slack/events", content=chunks(), headers={"Content-Type": FORM, **sign(b"")}
        )
        assert streamed.status_code == 413
        bad_length = await h.client.post(
            "/slack/events", content=b"x", headers={"Content-Length": "abc"}
        )
        assert bad_length.status_code == 400
        assert h.fake.calls == []


async def test_url_verification_challenge(make_harness: Any) -> None:
    async with make_harness() as h:
        body = json.dumps({"type": "url_verification", "challenge": "abc123"}).encode()
        response = await h.post(body, "application/json")
        assert response.status_code == 200 and "abc123" in response.text


async def test_slack_retries_are_acknowledged_and_not_processed(make_harness: Any) -> None:
    """A retry of an event whose first delivery was taken (its id is claimed) is dropped."""
    async with make_harness() as h:
        assert h.store.claim_event("EvRETRY1")  # the first delivery, taken by some replica
        event = {
            "type": "app_mention",
            "user": USER,
            "text": "<@UBOT0001> what is TLS?",
            "ts": "1700000000.000100",
            "channel": CHANNEL,
        }
        retry = await h.event(
            event,
            event_id="EvRETRY1",
            headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert retry.status_code == 200
        assert retry.headers.get("x-slack-no-retry") == "1"
        await h.settle()
        assert h.fake.api_calls("chat.postMessage") == []


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_events_are_deduplicated_on_event_id_across_replicas(make_harness: Any) -> None:
    async with make_harness() as first, make_harness() as second:
        event = {
            "type": "app_mention",
            "user": USER,
            "text": "<@UBOT0001> which TLS version?",
            "ts": "1700000000.000200",
            "channel": CHANNEL,
        }
        a = await first.event(event, event_id="EvSAME01")
        b = await second.event(event, event_id="EvSAME01")
        assert a.status_code == 200 and b.status_code == 200
        await first.fake.wait_for(lambda: first.fake.api_calls("chat.postMessage"))
        await first.settle()
        await second.settle()
        assert len(first.fake.api_calls("chat.postMessage")) == 1


async def test_events_are_answered_when_the_store_cannot_deduplicate_them(
    make_harness: Any, store: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A database outage must not swallow questions: the event is processed (a rare duplicate
    answer is better than a lost question), and the outage is logged."""
    from sqlalchemy.exc import OperationalError

    def unavailable(event_id: str) -> bool:
        raise OperationalError("INSERT INTO processed_events", {}, Exception("server closed"))

    monkeypatch.setattr(store, "claim_event", unavailable)
    async with make_harness() as h:
        event = {
            "type": "app_mention",
            "user": USER,
            "text": "<@UBOT0001> which TLS version?",
            "ts": "1700000000.000300",
            "channel": CHANNEL,
        }
        assert (await h.event(event, event_id="EvNODB01")).status_code == 200
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        await h.settle()
    (post,) = h.fake.api_calls("chat.postMessage")
    assert post.params["thread_ts"] == "1700000000.000300" and "TLS" in json.dumps(post.params)
    assert "event de-duplication unavailable: OperationalError" in caplog.text


async def test_bots_and_own_messages_are_ignored(make_harness: Any) -> None:
    async with make_harness() as h:
        events = [
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D1",
                "user": "UOTHER",
                "bot_id": "BOTHER",
                "text": "what is TLS?",
                "ts": "1.1",
            },
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D1",
                "subtype": "bot_message",
                "text": "what is TLS?",
                "ts": "1.2",
            },
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D1",
                "user": "UBOT0001",
                "bot_id": "BBOT0001",
                "text": "what is TLS?",
                "ts": "1.3",
            },
            {
                "type": "app_mention",
                "channel": CHANNEL,
                "user": "UOTHER",
                "bot_id": "BOTHER",
                "text": "<@UBOT0001> what is TLS?",
                "ts": "1.4",
            },
        ]
        for i, event in enumerate(events):
            assert (await h.event(event, event_id=f"EvBOT{i}")).status_code == 200
        # A human's DM afterwards is answered: the bot is alive, it just ignored the bots.
        human = {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": USER,
            "text": "which TLS version does the API require?",
            "ts": "1.5",
        }
        await h.event(human, event_id="EvHUMAN")
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        await h.settle()
        assert len(h.fake.api_calls("chat.postMessage")) == 1


async def test_slack_routes_off_without_settings(make_harness: Any) -> None:
    async with make_harness(settings_env={"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}) as h:
        response = await h.post(event_body({"type": "app_mention"}, "Ev1"), "application/json")
        assert response.status_code == 503
        assert response.json()["code"] == "slack_disabled"
        assert "Slack routes are off" in response.json()["error"]
        assert (await h.client.get("/healthz")).status_code == 200


async def test_bolts_own_signature_check_still_sees_the_raw_body() -> None:
    """The ingress hands Bolt its parse of the body; Bolt's second check must still run on the
    bytes as received, so a request whose signature does not match them is refused there too."""
    from harness import SIGNING_SECRET, TEAM_ID
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.authorization import AuthorizeResult

    from scalewarden.slack.ingress import _bolt_request, parse_body

    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=TEAM_ID, bot_token="xoxb-test")

    bolt = AsyncApp(signing_secret=SIGNING_SECRET, authorize=authorize)
    seen: list[dict[str, Any]] = []

    @bolt.command("/scalewarden")
    async def listener(ack: Any, command: dict[str, Any]) -> None:
        seen.append(command)
        await ack()

    body = command_body(
        "ask what is a service-linked role",
        user=USER,
        channel=CHANNEL,
        response_url="https://hooks.slack.invalid/x",
    )
    text = body.decode()
    payload = parse_body(text, FORM)
    headers = {"content-type": FORM, **{k.lower(): v for k, v in sign(body).items()}}

    request = _bolt_request(text, payload, "", headers)
    assert (request.mode, request.raw_body, request.body) == ("http", text, payload)
    assert (await bolt.async_dispatch(request)).status == 200
    assert seen and seen[0]["text"] == "ask what is a service-linked role"

    other = {**headers, **{k.lower(): v for k, v in sign(b"something else").items()}}
    assert (await bolt.async_dispatch(_bolt_request(text, payload, "", other))).status == 401
    assert len(seen) == 1


async def test_the_production_app_runs_bolts_signature_check_too(make_harness: Any) -> None:
    """Defence in depth: `create_app()`'s Bolt app verifies signatures itself, so a request
    that reached it without passing the ingress (a future route, a refactor) is still refused."""
    from scalewarden.slack.ingress import _bolt_request, parse_body

    async with make_harness() as h:
        bolt = h.app.state.bolt
        body = command_body("help", user=USER, channel=CHANNEL, response_url=h.fake.response_url())
        text = body.decode()
        payload = parse_body(text, FORM)

        def headers(signed_body: bytes) -> dict[str, str]:
            return {"content-type": FORM, **{k.lower(): v for k, v in sign(signed_body).items()}}

        forged = await bolt.async_dispatch(_bolt_request(text, payload, "", headers(b"other")))
        assert forged.status == 401
        unsigned = await bolt.async_dispatch(
            _bolt_request(text, payload, "", {"content-type": FORM})
        )
        assert unsigned.status == 401
        await h.settle()
        assert h.fake.calls == []  # nothing reached the listener
        good = await bolt.async_dispatch(_bolt_request(text, payload, "", headers(body)))
        assert good.status == 200
        assert "How to use /scalewarden" in json.dumps(good.body)
