"""`/readyz` is not ready when the knowledge index holds no sections (a broken install)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from scalewarden.knowledge.answer import build_engine

pytestmark = pytest.mark.asyncio


async def test_empty_index_is_not_ready_and_says_why(make_harness: Any, tmp_path: Path) -> None:
    empty = tmp_path / "kb"
    empty.mkdir()
    async with make_harness(index_loader=lambda: build_engine(empty, use_cache=False)) as h:
        for _ in range(200):  # the index loads in the background at start-up
            response = await h.client.get("/readyz")
            if response.json()["index"] != "loading":
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 503
        body = response.json()
        assert body["ready"] is False and body["index"] == "failed"
        assert "holds no sections" in body["index_error"]
