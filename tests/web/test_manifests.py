"""The Slack app manifests declare what the service handles, with the scopes it needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "deploy" / "slack"
SLACK_SOURCE = Path(__file__).resolve().parents[2] / "src" / "scalewarden" / "slack"

#: The bot scope each Web API method we call needs (None: no scope, or not the Web API).
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",  # an answer's account line after a mention
    # the bot's membership and is_ext_shared of a public or private channel
    "conversations_info": ("channels:read", "groups:read"),
    "conversations_open": "im:write",  # scan results by DM
    "chat_update": "chat:write",
    "files_upload_v2": "files:write",
    "usergroups_users_list": "usergroups:read",
    "views_publish": None,  # publishing the Home tab needs no scope
    "chat_getPermalink": None,  # a merged scan's link to its post; Slack asks no scope for it
    "send_dict": None,  # a response_url post, not the Web API
}
#: Scopes that come with what the app subscribes to or offers, not with a method call.
FEATURE_SCOPES = {
    "app_mentions:read",  # the app_mention event
    "im:history",  # the message.im event
    "commands",  # /scalewarden
    "chat:write.public",  # scan results posted in public channels the bot has not joined
}


def _methods_called() -> set[str]:
    calls: set[str] = set()
    for path in SLACK_SOURCE.rglob("*.py"):
        calls.update(re.findall(r"\bclient\.([A-Za-z_0-9]+)\(", path.read_text()))
    return calls


def test_every_web_api_call_has_its_scope_and_no_scope_is_unused() -> None:
    called = _methods_called()
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scope these methods need to METHOD_SCOPES: {unknown}"
    needed = set(FEATURE_SCOPES)
    for method in called:
        scopes = METHOD_SCOPES[method]
        needed.update((scopes,) if isinstance(scopes, str) else scopes or ())
    for name in ("manifest.yml", "manifest.socket-mode.yml"):
        data = yaml.safe_load((ROOT / name).read_text())
        assert set(data["oauth_config"]["scopes"]["bot"]) == needed, name


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket-mode.yml"])
def test_manifest(name: str) -> None:
    data = yaml.safe_load((ROOT / name).read_text())
    events = data["settings"]["event_subscriptions"]
    assert events["bot_events"] == [
        "app_mention",
        "message.im",
        "app_home_opened",
        "subteam_members_changed",
    ]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/scalewarden"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    socket = name == "manifest.socket-mode.yml"
    assert data["settings"]["socket_mode_enabled"] is socket
    if not socket:
        urls = {
            commands[0]["url"],
            events["request_url"],
            data["settings"]["interactivity"]["request_url"],
        }
        assert len(urls) == 1 and urls.pop().endswith("/slack/events")
