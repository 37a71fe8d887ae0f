"""The Slack app manifests declare what the service handles, with the scopes it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "deploy" / "slack"
SCOPES = {
    "app_mentions:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "files:write",
    "im:history",
    "im:write",
    "usergroups:read",
}


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket-mode.yml"])
def test_manifest(name: str) -> None:
    data = yaml.safe_load((ROOT / name).read_text())
    assert set(data["oauth_config"]["scopes"]["bot"]) == SCOPES
    events = data["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_mention", "message.im", "app_home_opened"]
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
