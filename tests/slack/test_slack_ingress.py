"""Requests to /slack/events: Bolt's own signature check, sizes, retries, duplicates (every
unsigned variant of every request kind is one table in `test_slack_hostile_requests.py`)."""

from __future__ import annotations

import json
import time
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


async def test_the_production_app_refuses_what_did_not_pass_the_ingress(make_harness: Any) -> None:
    """The signature is checked once, by the ingress; Bolt's own check is off. Defence in
    depth still holds: a request that reaches `create_app()`'s Bolt app without passing the
    ingress (a future route, a refactor) is refused, forged, unsigned or even correctly
    signed, and only the ingress's mark lets one through."""
    from slack_bolt.middleware.request_verification.async_request_verification import (
        AsyncRequestVerification,
    )

    from scalewarden.slack.app import SIGNED_AT_EDGE, mark_signed
    from scalewarden.slack.ingress import _bolt_request, parse_body

    async with make_harness() as h:
        bolt = h.app.state.bolt
        assert not any(isinstance(m, AsyncRequestVerification) for m in bolt._async_middleware_list)
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
        signed = await bolt.async_dispatch(_bolt_request(text, payload, "", headers(body)))
        assert signed.status == 401
        # A mark spelt out by hand (any value but the ingress's own object) is no mark.
        faked = _bolt_request(text, payload, "", headers(body))
        faked.context[SIGNED_AT_EDGE] = True
        assert (await bolt.async_dispatch(faked)).status == 401
        await h.settle()
        assert h.fake.calls == []  # nothing reached the listener
        good = await bolt.async_dispatch(
            mark_signed(_bolt_request(text, payload, "", headers(body)))
        )
        assert good.status == 200
        assert "How to use /scalewarden" in json.dumps(good.body)


async def test_bad_signatures_are_refused_at_the_edge_with_bolts_check_off(
    make_harness: Any,
) -> None:
    """Over HTTP, every way a signature can be wrong is still a 401 and reaches no listener
    now that the ingress's check is the only one."""
    async with make_harness() as h:
        body = command_body(
            "ask what is a service-linked role",
            user=USER,
            channel=CHANNEL,
            response_url=h.fake.response_url(),
        )
        good = sign(body)
        stale = sign(body, timestamp=int(time.time()) - 6 * 60)
        attempts = [
            {**good, "X-Slack-Signature": "v0=" + "0" * 64},  # wrong HMAC
            sign(b"another body"),  # someone else's body
            stale,  # outside the replay window
            {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},  # none
            {**good, "X-Slack-Request-Timestamp": "not-a-number"},
        ]
        for headers in attempts:
            response = await h.post(body, FORM, headers=headers, signed=False)
            assert response.status_code == 401, headers
        await h.settle()
        assert h.fake.calls == [] and h.fake.webhook_calls() == []
        assert h.store.audit_entries() == []
        assert (await h.post(body, FORM)).status_code == 200


async def test_each_request_gets_its_own_client_with_the_bot_token(make_harness: Any) -> None:
    """The client a listener gets is a copy of the app's (no new client per request), yet
    still its own: the bot token and the request's workspace, the app's session and base URL,
    and what one request does to its client reaches neither the app's nor the next one's."""
    from fake_slack import TEAM_ID
    from harness import BOT_TOKEN

    async with make_harness() as h:
        bolt = h.app.state.bolt
        seen: list[tuple[Any, str, dict[str, str], int]] = []

        @bolt.middleware
        async def spy(context: Any, next: Any) -> None:
            client = context.client
            seen.append((client, client.token, dict(client.headers), len(client.retry_handlers)))
            client.headers["X-Changed"] = "by this request"
            client.retry_handlers.clear()
            client.token = "xoxb-changed"
            await next()

        for _ in range(2):
            response = await h.command("help", user=USER)
            assert "How to use /scalewarden" in json.dumps(response.json())
        (first, _, _, _), (second, token, headers, handlers) = seen
        assert first is not second and bolt.client not in (first, second)
        assert token == BOT_TOKEN  # not the first request's change
        assert second.default_params == {"team_id": TEAM_ID}
        assert (second.session, second.base_url) == (bolt.client.session, bolt.client.base_url)
        assert handlers == len(bolt.client.retry_handlers) > 0
        assert "X-Changed" not in bolt.client.headers and headers == bolt.client.headers
        assert bolt.client.token == BOT_TOKEN and bolt.client.default_params == {}
