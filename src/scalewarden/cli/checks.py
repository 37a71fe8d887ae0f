"""`scalewarden checks`."""

from __future__ import annotations

from scalewarden.cli.app import app  # noqa: F401
