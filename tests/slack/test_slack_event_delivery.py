"""Events API deliveries: retries after a lost first delivery, ids de-duplication cannot hold."""

from __future__ import annotations

from typing import Any

import pytest
from harness import CHANNEL, USER, mention

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def test_a_retry_whose_first_delivery_was_lost_is_answered_once(make_harness: Any) -> None:
    """The first delivery died in a restart (its id was never claimed): the retry is the only
    copy, so it is processed; the second retry of the same event is dropped."""
    async with make_harness() as h:
        event = mention("<@UBOT0001> which TLS version?", ts="1700000000.000300")
        first_retry = await h.event(event, event_id="EvLOST001", headers=RETRY)
        assert first_retry.status_code == 200
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        second = await h.event(
            event, event_id="EvLOST001", headers={**RETRY, "X-Slack-Retry-Num": "2"}
        )
        assert second.status_code == 200
        assert second.headers.get("x-slack-no-retry") == "1"
        await h.settle()
        posts = h.fake.api_calls("chat.postMessage")
        assert len(posts) == 1 and posts[0].params["channel"] == CHANNEL


async def test_a_retry_of_a_command_or_an_event_without_an_id_is_still_dropped(
    make_harness: Any,
) -> None:
    async with make_harness() as h:
        event = mention("<@UBOT0001> which TLS version?", ts="1700000000.000301")
        from harness import event_body

        body = event_body(event, "EvNOID").replace(b'"event_id": "EvNOID", ', b"")
        assert b"event_id" not in body
        response = await h.post(body, "application/json", headers=RETRY)
        assert response.status_code == 200
        assert response.headers.get("x-slack-no-retry") == "1"
        await h.settle()
        assert h.fake.api_calls("chat.postMessage") == []


@pytest.mark.parametrize(
    "event_id",
    [
        "Ev" + "A" * 400,
        "Ev01\x00ABC",
        "Ev\u2028x",
        "Ev\ud800x",
        "sha256:" + "0" * 64,
        "  ",
    ],
    ids=["too-long", "nul", "line-separator", "lone-surrogate", "hash-prefix", "blank"],
)
async def test_ids_the_store_cannot_hold_are_still_processed_once(
    make_harness: Any, event_id: str
) -> None:
    """De-duplication does not fail open: the same odd id delivered three times (twice by
    other replicas, once as a retry) is answered once."""
    async with make_harness() as h, make_harness() as other:
        event = mention("<@UBOT0001> which TLS version?", ts="1700000000.000302", user=USER)
        assert (await h.event(event, event_id=event_id)).status_code == 200
        await h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))
        assert (await other.event(event, event_id=event_id)).status_code == 200
        assert (await h.event(event, event_id=event_id, headers=RETRY)).status_code == 200
        await h.settle()
        await other.settle()
        assert len(h.fake.api_calls("chat.postMessage")) == 1
