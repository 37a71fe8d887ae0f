"""Hostile requests against the real app: signatures, bodies Slack never sends, retries.

Each test pins a hole that was open once or a guarantee that must stay."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from harness import (
    ADMIN,
    CHANNEL,
    USER,
    action_body,
    command_body,
    sign,
)

from scalewarden.slack.views.buttons import ACTION_SHARE

pytestmark = pytest.mark.asyncio

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# -- signatures ---------------------------------------------------------------------------


#: One request of every kind the app serves, each with a body Slack could send.
def _kinds(url: str) -> list[tuple[str, bytes, str]]:
    return [
        ("command", command_body("scan", user=ADMIN, channel=CHANNEL, response_url=url), FORM),
        ("help command", command_body("help", user=USER, channel=CHANNEL, response_url=url), FORM),
        (
            "url_verification",
            json.dumps({"type": "url_verification", "challenge": "c"}).encode(),
            JSON,
        ),
        ("button", action_body(ACTION_SHARE, "{}", user=USER, response_url=url), FORM),
        (
            "event",
            json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {}}).encode(),
            JSON,
        ),
    ]


Headers = list[tuple[str, str | bytes]]


def _unsigned_variants(body: bytes, now: int) -> list[tuple[str, bytes, Headers]]:
    """Every way a request for ``body`` can arrive without a valid signature over it."""
    good = sign(body, timestamp=now)
    ts, sig = good["X-Slack-Request-Timestamp"], good["X-Slack-Signature"]
    digest = sig.removeprefix("v0=")
    forged = "v0=" + "0" * 64

    def signed(**kwargs: Any) -> Headers:
        return list(sign(body, **kwargs).items())

    return [
        ("unsigned", body, []),
        ("timestamp only", body, [("X-Slack-Request-Timestamp", ts)]),
        ("signature only", body, [("X-Slack-Signature", sig)]),
        (
            "forged signature",
            body,
            [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", forged)],
        ),
        ("wrong secret", body, signed(secret="x" * 32, timestamp=now)),
        ("stale by 6 minutes", body, signed(timestamp=now - 6 * 60)),
        ("6 minutes ahead", body, signed(timestamp=now + 6 * 60)),
        (
            "v1 scheme",
            body,
            [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", "v1=" + digest)],
        ),
        ("no scheme", body, [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", digest)]),
        ("timestamp 1e9", body, [("X-Slack-Request-Timestamp", "1e9"), ("X-Slack-Signature", sig)]),
        (
            "timestamp soon",
            body,
            [("X-Slack-Request-Timestamp", "soon"), ("X-Slack-Signature", sig)],
        ),
        (
            "spaced timestamp",
            body,
            [("X-Slack-Request-Timestamp", f" {now}"), ("X-Slack-Signature", sig)],
        ),
        (
            "Arabic-Indic digits",
            body,
            [("X-Slack-Request-Timestamp", "٣٣٣".encode()), ("X-Slack-Signature", sig)],
        ),
        # A forged signature first, the genuine one second: the first one counts.
        (
            "forged then genuine",
            body,
            [
                ("X-Slack-Request-Timestamp", ts),
                ("X-Slack-Signature", forged),
                ("X-Slack-Signature", sig),
            ],
        ),
        (
            "stale then fresh timestamp",
            body,
            [
                ("X-Slack-Request-Timestamp", str(now - 600)),
                ("X-Slack-Request-Timestamp", ts),
                ("X-Slack-Signature", sig),
            ],
        ),
        # The genuine headers over a body altered after signing.
        ("one byte altered", body[:-1] + bytes([body[-1] ^ 1]), [*good.items()]),
        ("field appended", body + b"&extra=1", [*good.items()]),
    ]


async def test_every_request_without_a_valid_signature_gets_401_and_does_nothing(
    make_harness: Any,
) -> None:
    """Commands, events, buttons and url_verification alike: one check, before parsing, and
    every way of getting it wrong is refused. One app meets them all, as the service does."""
    async with make_harness() as h:
        now = int(time.time())
        cases = [
            (f"{kind}: {variant}", content_type, sent, headers)
            for kind, body, content_type in _kinds(h.fake.response_url())
            for variant, sent, headers in _unsigned_variants(body, now)
        ]
        # Bodies that would not even parse: the signature is checked before any parsing.
        cases += [
            ("unsigned JSON that does not parse", JSON, b"{not json", []),
            (
                "undecodable form signed over another body",
                FORM,
                b"\xff\xfe",
                [*sign(b"other").items()],
            ),
        ]
        accepted = []
        for name, content_type, sent, headers in cases:
            response = await h.client.post(
                "/slack/events", content=sent, headers=[("Content-Type", content_type), *headers]
            )
            if response.status_code != 401:
                accepted.append((name, response.status_code, response.text[:100]))
        assert accepted == []
        assert len(cases) == 5 * 17 + 2
        # Nothing reached the listeners: no Slack call, no audit row.
        await h.settle()
        assert h.fake.calls == []
        assert h.store.audit_entries() == []
        # The same app still serves a correctly signed request.
        ok = await h.command("help", user=USER)
        assert ok.status_code == 200 and "How to use" in ok.text


# -- bodies -------------------------------------------------------------------------------


#: Signed bodies Slack never sends: malformed (not JSON, wrong shapes, bad encodings) and
#: hostile (deep nesting, huge repetition, numbers out of range).
BAD_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", JSON),
    (b"[1, 2, 3]", JSON),
    (b'"just a string"', JSON),
    (b'{"type": "event_callback", "event": "oops"}', JSON),
    (b'{"type": 5}', JSON),
    (b'{"type": "event_callback", "event": {"type": ["x"]}}', JSON),
    (b"payload=%7Bnot-json", FORM),
    (b"payload=%5B1%2C2%5D", FORM),
    (b"payload=" + json.dumps({"type": "block_actions", "actions": "x"}).encode(), FORM),
    (b"payload=" + json.dumps({"type": "block_actions", "user": 5}).encode(), FORM),
    (b"\xff\xfe\xfd", FORM),
    (b"", FORM),
    (b"&&&", FORM),
    (b"[" * 200_000, JSON),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
    (b"payload=" + b"%5B" * 100_000, FORM),
    (b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A" + b"%5B" * 50_000, FORM),
    (
        b"payload=" + json.dumps({"type": "block_actions", "actions": [{"value": 5}]}).encode(),
        FORM,
    ),
    (json.dumps({"type": "event_callback", "event_id": ["x"], "event": {}}).encode(), JSON),
    (b"payload=" + json.dumps({"type": "block_actions", "actions": []}).encode(), FORM),
    (b"payload=%FF%FE", FORM),
    (b"\x00\x01\x02", FORM),
    (b"a=1&" * 200_000, FORM),
    (b"   ", JSON),
    (b"null", JSON),
    (b"1e999999", JSON),
]


async def test_malformed_and_hostile_signed_bodies_get_a_4xx_and_do_nothing(
    make_harness: Any,
) -> None:
    """One app for every body, as one service meets them all: each gets a 4xx, never a 500,
    and none of them makes the app call Slack."""
    async with make_harness() as h:
        for number, (body, content_type) in enumerate(BAD_BODIES):
            response = await h.post(body, content_type)
            assert 400 <= response.status_code < 500, (number, response.text[:200])
            await h.settle()
            assert h.fake.calls == [], number


async def test_a_body_of_exactly_one_mebibyte_is_read(make_harness: Any) -> None:
    async with make_harness() as h:
        head = command_body("help", user=USER, channel=CHANNEL, response_url=h.fake.response_url())
        body = head + b"&pad=" + b"a" * (1024 * 1024 - len(head) - 5)
        assert len(body) == 1024 * 1024
        response = await h.post(body, FORM)
        assert response.status_code == 200
        one_more = await h.post(body + b"a", FORM)
        assert one_more.status_code == 413

        async def chunks(data: bytes) -> Any:  # no Content-Length: the bytes are counted
            for start in range(0, len(data), 65536):
                yield data[start : start + 65536]

        for data, status in ((body, 200), (body + b"a", 413)):
            streamed = await h.client.post(
                "/slack/events",
                content=chunks(data),
                headers={"Content-Type": FORM, **sign(data)},
            )
            assert streamed.status_code == status


async def test_commands_that_mention_payload_are_understood(make_harness: Any) -> None:
    """Bolt treats any form body containing "payload" as an interaction: a channel named
    #payload-team or a question about payloads must still reach the command handler."""
    async with make_harness() as h:
        response = await h.command("ask does the API encrypt the payload in transit?")
        assert response.status_code == 200, response.text
        assert response.json()["text"] == "Looking that up…"
        body = urlencode(
            {
                "team_id": "T0000001",
                "channel_id": CHANNEL,
                "channel_name": "payload-team",
                "user_id": USER,
                "command": "/scalewarden",
                "text": "help",
                "response_url": h.fake.response_url(),
            }
        ).encode()
        response = await h.post(body, FORM)
        assert response.status_code == 200 and "/scalewarden" in response.text


async def test_slack_notices_without_a_listener_are_not_refused_as_malformed(
    make_harness: Any,
) -> None:
    async with make_harness() as h:
        notice = {"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1}
        response = await h.post(json.dumps(notice).encode(), JSON)
        assert response.status_code != 400 and response.status_code < 500
        ssl_check = await h.post(b"ssl_check=1&token=x", FORM)
        assert ssl_check.status_code == 200


# -- retries and de-duplication -----------------------------------------------------------


async def test_events_without_an_event_id_are_still_answered(make_harness: Any) -> None:
    async with make_harness() as h:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0000001",
                "event": {
                    "type": "app_mention",
                    "user": USER,
                    "text": "<@UBOT0001> which TLS version?",
                    "ts": "1.9",
                    "channel": CHANNEL,
                },
            }
        ).encode()
        assert (await h.post(body, JSON)).status_code == 200
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))


async def test_a_sender_that_hangs_up_mid_body_is_not_a_server_error(make_harness: Any) -> None:
    """Driven at the ASGI level: an HTTP client cannot disconnect half-way on purpose."""
    async with make_harness() as h:
        incoming: list[dict[str, Any]] = [
            {"type": "http.request", "body": b"text=half", "more_body": True},
            {"type": "http.disconnect"},
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "method": "POST",
            "path": "/slack/events",
            "raw_path": b"/slack/events",
            "headers": [(b"content-type", FORM.encode())],
            "query_string": b"",
            "http_version": "1.1",
            "scheme": "http",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
        }
        await h.app(scope, receive, send)
        statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
        assert statuses == [400]
        assert h.fake.calls == []


async def test_old_event_ids_are_forgotten_so_the_table_does_not_grow_forever(
    make_harness: Any,
) -> None:
    from datetime import timedelta

    async with make_harness(prune_interval=0.02, event_retention=timedelta(0)) as h:
        assert h.store.claim_event("EvOLD0001")
        # Once pruned, the id can be claimed again: the row is gone.
        await h.fake.wait_for(lambda: h.store.claim_event("EvOLD0001"))
