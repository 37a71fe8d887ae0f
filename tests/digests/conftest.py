"""Digest tests run on SQLite and on PostgreSQL, like the store's, and post to the Slack
stand-in the Slack tests use."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))

from database_fixtures import *  # noqa: F403  (database_url, store … on both backends)
