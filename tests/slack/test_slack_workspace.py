"""One workspace: requests from any other workspace or organisation are refused and audited.

Slack signs what it delivers from everywhere the app can be reached (another workspace, an
organisation, a Slack Connect channel), and admin rights are granted by user id alone: an
admin's id in a request from elsewhere must not get findings or start a scan.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fake_slack import TEAM_ID
from harness import ADMIN, CHANNEL, USER, RecordingScanner, action_body, command_body, mention

from scalewarden.slack.views.buttons import ACTION_SHARE, AnswerPayload

FORM = "application/x-www-form-urlencoded"


def _command(h: Any, text: str, **fields: str) -> bytes:
    body = dict(
        parse_qsl(
            command_body(
                text, user=ADMIN, channel=CHANNEL, response_url=h.fake.response_url()
            ).decode()
        )
    )
    body.update(fields)
    return urlencode(body).encode()


@pytest.mark.parametrize(
    "fields",
    [{"team_id": "T0OTHER01"}, {"enterprise_id": "E0GRID001"}],
    ids=["another-team", "an-enterprise"],
)
async def test_an_admin_id_from_elsewhere_gets_no_scan_and_no_findings(
    make_harness: Any, scanner: RecordingScanner, fields: dict[str, str]
) -> None:
    async with make_harness() as h:
        h.store.save_scan({**json.loads(json.dumps(scanner.report.to_dict()))})
        for text in ("scan", "findings"):
            response = await h.post(_command(h, text, **fields), FORM)
            assert response.status_code == 200
            assert "installed in another Slack workspace" in response.json()["text"]
        await h.settle()
        assert scanner.calls == []
        assert h.fake.webhook_calls() == [] and h.fake.api_calls("chat.postMessage") == []
        refused = h.store.audit_entries()
        assert len(refused) == 2 and {e["outcome"] for e in refused} == {"refused"}
        assert {e["user_id"] for e in refused} == {ADMIN}
        assert all("not the installed one" in e["detail"] for e in refused)
        # The same admin from the installed workspace is served as before.
        ok = await h.command("scan")
        assert ok.json()["text"].startswith("Scanning")
        await h.settle()
        assert len(scanner.calls) == 1


async def test_events_and_clicks_from_elsewhere_are_refused(make_harness: Any) -> None:
    async with make_harness() as h:
        event = mention("<@UBOT0001> which TLS version?", ts="1.1")
        foreign_event = json.loads(
            (await _event_bytes(event, "EvFOREIGN")).replace(TEAM_ID.encode(), b"T0OTHER01")
        )
        assert (
            await h.post(json.dumps(foreign_event).encode(), "application/json")
        ).status_code == 200
        connect = mention("<@UBOT0001> which TLS version?", ts="1.2", user_team="T0OTHER01")
        assert (await h.event(connect, event_id="EvCONNECT")).status_code == 200
        value = AnswerPayload("which TLS version?", ()).encode()
        click = action_body(ACTION_SHARE, value, user=USER, response_url=h.fake.response_url())
        foreign_click = click.replace(TEAM_ID.encode(), b"T0OTHER01")
        assert (await h.post(foreign_click, FORM)).status_code == 200
        await h.settle()
        assert h.fake.api_calls("chat.postMessage") == [] and h.fake.webhook_calls() == []
        outcomes = [(e["command"], e["outcome"]) for e in h.store.audit_entries()]
        assert sorted(outcomes) == [
            ("app_mention", "refused"),
            ("app_mention", "refused"),
            (ACTION_SHARE, "refused"),
        ]


async def _event_bytes(event: dict[str, Any], event_id: str) -> bytes:
    from harness import event_body

    return event_body(event, event_id)


async def test_auth_test_is_called_once_for_the_process(make_harness: Any) -> None:
    async with make_harness() as h:
        assert [c.path for c in h.fake.startup_calls] == ["/api/auth.test"]
        for _ in range(3):
            await h.command("help")
        await h.event(mention("<@UBOT0001> hi", ts="1.3"), event_id="EvONCE")
        await h.settle()
        assert len(h.fake.api_calls("auth.test")) == 1  # the start-up answer serves them all
        installation = h.app.state.workspace.installation
        assert installation.team_id == TEAM_ID and installation.enterprise_id is None


async def test_an_auth_test_failure_at_start_is_retried_in_the_background(
    make_harness: Any, fake_slack: Any
) -> None:
    fake_slack.fail("auth.test", 500, times=3)  # the start-up call and its two retries
    async with make_harness() as h:
        assert [c.path for c in h.fake.startup_calls] == ["/api/auth.test"] * 3
        await h.fake.wait_for(lambda: h.app.state.workspace.installation is not None)
        assert h.app.state.workspace.installation.team_id == TEAM_ID
        response = await h.command("help")
        assert response.status_code == 200 and "/scalewarden" in response.text


async def test_an_organisation_wide_install_serves_every_workspace_of_its_organisation(
    make_harness: Any, fake_slack: Any, scanner: RecordingScanner
) -> None:
    fake_slack.auth_test.update(
        {"enterprise_id": "E0GRID001", "is_enterprise_install": True, "team_id": "E0GRID001"}
    )
    async with make_harness() as h:
        inside = await h.post(
            _command(h, "scan", team_id="T0SISTER1", enterprise_id="E0GRID001"), FORM
        )
        assert inside.json()["text"].startswith("Scanning")
        outside = await h.post(
            _command(h, "scan", team_id="T0SISTER1", enterprise_id="E0OTHER01"), FORM
        )
        assert "installed in another Slack workspace" in outside.json()["text"]
        no_org = await h.post(_command(h, "scan"), FORM)
        assert "installed in another Slack workspace" in no_org.json()["text"]
        await h.settle()
        assert len(scanner.calls) == 1
