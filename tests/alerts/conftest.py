"""The alert endpoint's tests reuse the Slack harness: stand-in, signed requests, fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))

from slack_fixtures import *  # noqa: F403
