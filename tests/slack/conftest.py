"""Fixtures for the Slack tests (shared with tests/web via ``slack_fixtures``)."""

from __future__ import annotations

from slack_fixtures import *  # noqa: F403
