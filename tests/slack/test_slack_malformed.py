"""Malformed but signed payloads: a 400 with a log line, never a 500 and a traceback.

The four shapes the issue names first, then a property test over random payloads built from
Slack's own payload shapes (a signed request can only come from Slack, but Slack's shapes vary
and change, and a 500 makes Slack retry a delivery that will fail the same way again).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from fake_slack import TEAM_ID
from harness import CHANNEL, USER

FORM = "application/x-www-form-urlencoded"


def _interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


MALFORMED: dict[str, tuple[bytes, str]] = {
    "view_submission without view.type": (
        _interaction(
            {
                "type": "view_submission",
                "team": {"id": TEAM_ID},
                "user": {"id": USER, "team_id": TEAM_ID},
                "view": {"id": "V1", "callback_id": "x", "state": {"values": {}}},
            }
        ),
        FORM,
    ),
    "interactive_message without actions": (
        _interaction(
            {
                "type": "interactive_message",
                "callback_id": "legacy",
                "team": {"id": TEAM_ID},
                "user": {"id": USER},
                "channel": {"id": CHANNEL},
            }
        ),
        FORM,
    ),
    "workflow_step_edit": (
        _interaction(
            {
                "type": "workflow_step_edit",
                "callback_id": "step",
                "team": {"id": TEAM_ID},
                "user": {"id": USER},
                "trigger_id": "1.2.3",
                "workflow_step": {"workflow_step_edit_id": "e1"},
            }
        ),
        FORM,
    ),
    "url_verification with a null event": (
        json.dumps(
            {"type": "url_verification", "challenge": "abc", "token": "t", "event": None}
        ).encode(),
        "application/json",
    ),
    "event_callback with a null event": (
        json.dumps(
            {"type": "event_callback", "team_id": TEAM_ID, "event_id": "EvNULL", "event": None}
        ).encode(),
        "application/json",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_malformed_signed_payloads_are_400_with_a_log_line(
    make_harness: Any, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    body, content_type = MALFORMED[name]
    caplog.set_level(logging.INFO, logger="scalewarden")
    async with make_harness() as h:
        response = await h.post(body, content_type)
    assert response.status_code == 400, (name, response.status_code, response.text)
    assert any("malformed Slack request" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"


# -- the property: random signed payloads in Slack's shapes never get a 5xx --------------------

HOOK = "http://hook.invalid/r"

# Slack's shapes (trimmed to the fields Bolt and the listeners read), the seeds of the search.
SHAPES: list[dict[str, Any]] = [
    {
        "command": "/scalewarden",
        "text": "help",
        "team_id": TEAM_ID,
        "user_id": USER,
        "channel_id": CHANNEL,
        "response_url": HOOK,
        "trigger_id": "1.2.3",
    },
    {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "event_id": "EvPROP",
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
        "event": {
            "type": "app_mention",
            "user": USER,
            "channel": CHANNEL,
            "text": "hi",
            "ts": "1.2",
        },
    },
    {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "event_id": "EvPROP2",
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": USER,
            "channel": "D1",
            "text": "x",
        },
    },
    {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "event_id": "EvPROP3",
        "event": {"type": "app_home_opened", "user": USER, "tab": "home"},
    },
    {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": USER, "team_id": TEAM_ID},
        "channel": {"id": CHANNEL},
        "response_url": HOOK,
        "actions": [{"action_id": "share_answer", "value": '{"q": "tls"}', "type": "button"}],
    },
    {"type": "url_verification", "challenge": "abc", "token": "t"},
    {"type": "view_submission", "team": {"id": TEAM_ID}, "view": {"id": "V1", "type": "modal"}},
    {"type": "view_closed", "view": {"id": "V1", "type": "modal"}},
    {"type": "shortcut", "callback_id": "c", "team": {"id": TEAM_ID}},
    {"type": "message_action", "callback_id": "c", "message": {"text": "x"}},
    {"type": "interactive_message", "callback_id": "c", "actions": [{"name": "x"}]},
    {"type": "workflow_step_edit", "callback_id": "c", "workflow_step": {}},
    {"type": "block_suggestion", "action_id": "a", "value": "x"},
    {"type": "app_rate_limited", "team_id": TEAM_ID, "minute_rate_limited": 1},
]


def _payloads() -> Any:
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.text(max_size=8),
        st.sampled_from(["", "block_actions", "event_callback", "message", "app_mention"]),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=6,
    )
    keys = st.sampled_from(
        sorted(
            {k for shape in SHAPES for k in shape}
            | {"type", "event", "view", "actions", "user", "team", "enterprise", "container"}
        )
    )

    @st.composite
    def mutated(draw: Any) -> dict[str, Any]:
        payload = json.loads(json.dumps(draw(st.sampled_from(SHAPES))))
        for _ in range(draw(st.integers(1, 4))):
            # A field of the payload or of one of its objects: dropped, nulled or replaced.
            target = payload
            nested = [v for v in payload.values() if isinstance(v, dict)]
            nested += [item for v in payload.values() if isinstance(v, list) for item in v]
            nested = [v for v in nested if isinstance(v, dict)]
            if nested and draw(st.booleans()):
                target = draw(st.sampled_from(nested))
            operation = draw(st.sampled_from(["drop", "drop", "null", "set"]))
            if operation != "set" and target:
                key = draw(st.sampled_from(sorted(target)))
                if operation == "drop":
                    del target[key]
                else:
                    target[key] = None
            else:
                target[draw(keys)] = draw(values)
        return payload

    return mutated()


async def test_random_signed_payloads_in_slacks_shapes_never_get_a_5xx(make_harness: Any) -> None:
    """Hypothesis mutates Slack's shapes (fields dropped, retyped, nulled, nested) and posts
    each, signed, as JSON or as an interaction form; every answer must be below 500."""
    import asyncio

    from hypothesis import HealthCheck, given, settings

    async with make_harness() as h:
        loop = asyncio.get_running_loop()
        hook = h.fake.response_url("prop")
        seen: list[tuple[int, dict[str, Any]]] = []

        @settings(
            max_examples=200,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(payload=_payloads())
        def never_5xx(payload: dict[str, Any]) -> None:
            payload = json.loads(json.dumps(payload).replace(HOOK, hook))
            if "command" in payload:
                body = urlencode(
                    {k: json.dumps(v) if not isinstance(v, str) else v for k, v in payload.items()}
                ).encode()
                content_type = FORM
            elif payload.get("type") in (
                None,
                "event_callback",
                "url_verification",
                "app_rate_limited",
            ):
                body, content_type = json.dumps(payload).encode(), "application/json"
            else:
                body, content_type = _interaction(payload), FORM
            future = asyncio.run_coroutine_threadsafe(h.post(body, content_type), loop)
            status = future.result(timeout=30).status_code
            seen.append((status, payload))
            assert status < 500, payload

        await asyncio.to_thread(never_5xx)
        await h.settle()
        statuses = {status for status, _ in seen}
        # The search reached both sides: payloads that were handled and ones refused as malformed.
        assert 400 in statuses and 200 in statuses, statuses
