"""The service's non-Slack routes, and one real scan against the local AWS."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from database_fixtures import BACKENDS

pytestmark = pytest.mark.asyncio


async def test_health_and_readiness(make_harness: Any) -> None:
    async with make_harness() as h:
        assert (await h.client.get("/healthz")).json() == {"status": "ok"}
        for _ in range(200):  # the index loads in the background at start-up
            ready = await h.client.get("/readyz")
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert ready.status_code == 200
        assert ready.json() == {
            "ready": True,
            "index": "loaded",
            "database": "reachable",
            "slack": "on",
            "api": "open",
        }


async def test_once_ready_full_collections_are_rare(make_harness: Any) -> None:
    """The loaded index is frozen out of the collector's way, and full collections, which
    walk every live object (a full queue of answers among them), come ten times less often."""
    import gc

    from scalewarden.web import GC_THRESHOLDS

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        async with make_harness() as h:
            for _ in range(200):
                if (await h.client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert gc.get_threshold() == GC_THRESHOLDS
            assert GC_THRESHOLDS[2] >= 100 and gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)


async def test_not_ready_when_the_index_fails_or_the_database_is_down(
    make_harness: Any,
) -> None:
    def broken() -> None:
        raise OSError("knowledge folder missing")

    async with make_harness(index_loader=broken) as h:
        await h.settle()
        response = await h.client.get("/readyz")
        assert response.status_code == 503 and response.json()["index"] == "failed"

    class DownStore:
        def ping(self) -> bool:
            return False

    async with make_harness(store=DownStore(), index_loader=lambda: None) as h:
        response = await h.client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"


async def test_metrics_are_prometheus_text_per_app(make_harness: Any) -> None:
    async with make_harness() as h, make_harness() as other:
        await h.client.get("/healthz")
        await h.command("help")
        text = (await h.client.get("/metrics")).text
        assert 'scalewarden_http_requests_total{route="/healthz",status="200"} 1.0' in text
        assert 'scalewarden_slack_ack_seconds_count{kind="command"} 1.0' in text
        other_text = (await other.client.get("/metrics")).text
        assert 'route="/healthz"' not in other_text


async def test_ask_api_get_and_post(make_harness: Any) -> None:
    async with make_harness() as h:
        got = await h.client.get("/api/v1/ask", params={"q": "which TLS version?", "top": 2})
        assert got.status_code == 200
        body = got.json()
        assert set(body) >= {"question", "answered", "results"} and body["answered"]
        assert len(body["results"]) <= 2
        posted = await h.client.post("/api/v1/ask", json={"question": "which TLS version?"})
        assert posted.status_code == 200 and posted.json()["question"] == "which TLS version?"
        bad = await h.client.post("/api/v1/ask", json={"question": "   "})
        assert bad.status_code == 400 and "empty" in bad.json()["error"]
        malformed = await h.client.post(
            "/api/v1/ask", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert 400 <= malformed.status_code < 500
        assert (await h.client.get("/api/v1/ask", params={"top": 99, "q": "x"})).status_code == 422


async def test_checks_api_lists_the_catalogue(make_harness: Any) -> None:
    from scalewarden.checks.registry import all_checks

    async with make_harness(checks=None) as h:
        body = (await h.client.get("/api/v1/checks")).json()
        assert body["count"] == len(all_checks()) > 0
        assert {"id", "title", "severity", "remediation"} <= set(body["checks"][0])
        topic = body["checks"][0]["topic"]
        narrowed = (await h.client.get("/api/v1/checks", params={"topic": topic})).json()
        assert 0 < narrowed["count"] <= body["count"]


async def test_oversized_api_bodies_get_413(make_harness: Any) -> None:
    async with make_harness() as h:
        big = json.dumps({"question": "x" * (1024 * 1024 + 10)})
        response = await h.client.post("/api/v1/ask", content=big)
        assert response.status_code == 413


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
async def test_real_scan_from_slack_against_local_aws(make_harness: Any, aws_env: str) -> None:
    """The real ``run_scan`` (boto3 → moto on loopback) driven by ``/scalewarden scan``."""
    async with make_harness(scanner=None, checks=None) as h:
        response = await h.command("scan region=us-east-1")
        assert response.json()["text"] == "Scanning 1 region…"
        await h.fake.wait_for(lambda: h.store.audit_entries(), timeout=60)
        entry = h.store.audit_entries()[0]
        assert entry["outcome"] == "completed", entry
        stored = h.store.latest_scan()
        assert stored is not None and stored["regions"] == ["us-east-1"]
        final = h.fake.api_calls("chat.update")[-1]
        assert "Scan results" in json.dumps(final.params)


@pytest.mark.parametrize("secret", ["", "   "])
async def test_a_blank_signing_secret_keeps_the_slack_routes_off(
    make_harness: Any, secret: str
) -> None:
    """Signatures keyed with a blank secret can be computed by anybody."""
    from harness import sign

    from scalewarden.web import slack_configured

    env = {"SLACK_SIGNING_SECRET": secret}  # "" unsets it (harness), "   " is blank
    async with make_harness(settings_env=env) as h:
        body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
        headers = {"Content-Type": "application/json", **sign(body, secret=secret)}
        response = await h.client.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 503
    from scalewarden.settings import Settings

    assert not slack_configured(Settings(slack_bot_token="xoxb-1", slack_signing_secret=secret))
    assert slack_configured(Settings(slack_bot_token="xoxb-1", slack_signing_secret="s3cret"))


ARTICLE = """---
id: pager-rota
title: Rotating the pager secret
topic: resilience
sources:
  - https://docs.aws.amazon.com/autoscaling/application/userguide/what-is-application-auto-scaling.html
aliases: [on-call]
reviewed: 2026-01-01
---
# Rotating the pager secret

## Who approves a rotation of the pager secret?

The duty manager approves every rotation of the pager secret outside business hours.
"""


async def test_the_app_answers_from_the_knowledge_folder_its_settings_name(
    tmp_path: Path, store: Any
) -> None:
    """``create_app(Settings(knowledge_dir=…))`` used to answer from the shipped articles.
    (Asked with the API token: an open API answers from the shipped articles only.)"""
    import httpx

    from scalewarden.settings import Settings
    from scalewarden.web import create_app

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "pager-rota.md").write_text(ARTICLE)
    settings = Settings(
        knowledge_dir=folder,
        knowledge_dirs="",
        cache_dir=tmp_path / "cache",
        api_token="knowledge-folder-test-token",
    )
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app)
    bearer = {"Authorization": "Bearer knowledge-folder-test-token"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://service", headers=bearer) as client,
    ):
        ours = await client.get("/api/v1/ask", params={"q": "who approves a pager rotation"})
        shipped = await client.get("/api/v1/ask", params={"q": "do i need a vpce for aas"})
    assert ours.status_code == 200 and ours.json()["answered"]
    assert {r["article_id"] for r in ours.json()["results"]} == {"pager-rota"}
    assert shipped.json()["answered"] is False  # a shipped article would answer this one


async def test_a_slack_scan_uses_the_region_of_the_app_settings(
    make_harness: Any, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service scans in ``SCALEWARDEN_AWS_REGION`` when boto3 has no region of its own."""
    from scalewarden.localaws import seed_scenario

    seed_scenario("eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    # Empty: the service scans the one configured region rather than every enabled region.
    monkeypatch.setenv("SCALEWARDEN_SCAN_REGIONS", "")
    env = {"SCALEWARDEN_AWS_REGION": "eu-west-1"}
    async with make_harness(settings_env=env, scanner=None, checks=None) as h:
        await h.command("scan target_fixed_capacity")
        await h.fake.wait_for(lambda: h.store.audit_entries(), timeout=60)
        entry = h.store.audit_entries()[0]
        assert entry["outcome"] == "completed", entry
        stored = h.store.latest_scan()
        assert stored is not None and stored["regions"] == ["eu-west-1"]


async def test_request_metrics_label_every_served_route_and_nothing_else(
    make_harness: Any,
) -> None:
    """The route labels come from the app's own routing: a route added to the API router is
    labelled without a list to update, and probes of random paths share one label."""
    async with make_harness() as h:
        await h.client.get("/api/v1/checks")
        await h.command("help")
        await h.client.get("/wp-login.php")
        text = (await h.client.get("/metrics")).text
        assert 'scalewarden_http_requests_total{route="/api/v1/checks",status="200"} 1.0' in text
        assert 'scalewarden_http_requests_total{route="other",status="404"} 1.0' in text
        assert 'scalewarden_http_requests_total{route="/slack/events",status="200"} 1.0' in text
        assert "wp-login" not in text


async def test_api_dependencies_can_be_overridden(make_harness: Any) -> None:
    """The API reads the catalogue through the ``Services`` dependency, so a test (or another
    app) can replace what it serves without touching the Slack side."""
    from dataclasses import replace as dc_replace

    from harness import sample_check

    from scalewarden.api import get_services

    async with make_harness() as h:
        other = dc_replace(h.services, checks=lambda: [sample_check("other_check_id")])
        h.app.dependency_overrides[get_services] = lambda: other
        body = (await h.client.get("/api/v1/checks")).json()
        assert [c["id"] for c in body["checks"]] == ["other_check_id"]
