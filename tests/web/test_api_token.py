"""``SCALEWARDEN_API_TOKEN``: with it, every ``/api/v1`` route needs the bearer token; without
it, the API is open, says so on ``/readyz``, and never serves the extra knowledge folders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from scalewarden.api import TokenRequired, install_error_handlers
from scalewarden.api import router as api_router

TOKEN = "s3cr3t-api-token-0123456789abcdef"

RUNBOOK = """# Break-glass runbook for the pager rotation

## Who holds the break-glass key for the pager rotation?

The zebra-otter duty manager holds the break-glass key for the pager rotation.
"""


def _every_api_request() -> list[tuple[str, str]]:
    """One request per route of the API router, now and after routes are added."""
    requests = []
    for route in api_router.routes:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        requests += [(method, path) for method in sorted(route.methods)]
    return requests


async def test_every_api_route_needs_the_token_when_one_is_set(make_harness: Any) -> None:
    requests = _every_api_request()
    assert ("GET", "/api/v1/ask") in requests and ("GET", "/api/v1/checks") in requests
    async with make_harness(settings_env={"SCALEWARDEN_API_TOKEN": TOKEN}) as h:
        for method, path in requests:
            for headers in (
                {},
                {"Authorization": "Bearer wrong-token"},
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": f"Bearer {TOKEN[:-1]}"},
                {"Authorization": "Bearer"},
            ):
                response = await h.client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.json()["code"] == "unauthorized"
                assert "SCALEWARDEN_API_TOKEN" in response.json()["error"]
                assert response.headers["www-authenticate"].startswith("Bearer")
        good = {"Authorization": f"Bearer {TOKEN}"}
        asked = await h.client.get("/api/v1/ask", params={"q": "tls version"}, headers=good)
        assert asked.status_code == 200 and asked.json()["answered"]
        posted = await h.client.post("/api/v1/ask", json={"question": "tls"}, headers=good)
        assert posted.status_code == 200
        assert (await h.client.get("/api/v1/checks", headers=good)).status_code == 200
        ready = await h.client.get("/readyz")
        assert ready.json()["api"] == "token"
        # Health, readiness, metrics and Slack's URL keep their own rules.
        assert (await h.client.get("/healthz")).status_code == 200
        assert (await h.client.get("/metrics")).status_code == 200
        assert (await h.command("help")).status_code == 200


async def _open_api_answers_from_the_shipped_articles_only(h: Any, question: dict) -> None:
    """``/readyz`` says the API is open; an anonymous caller asking about the private runbook
    gets nothing of it, and a question the shipped articles cover is still answered."""
    assert (await h.client.get("/readyz")).json()["api"] == "open"
    anonymous = await h.client.get("/api/v1/ask", params=question)
    assert anonymous.status_code == 200
    served = json.dumps([anonymous.json()["results"], anonymous.json()["suggestions"]])
    assert "break-glass" not in served.lower() and "zebra-otter" not in served
    shipped = await h.client.get("/api/v1/ask", params={"q": "which TLS version"})
    assert shipped.json()["answered"]


async def test_an_open_api_never_serves_the_extra_knowledge_folders(
    make_harness: Any, tmp_path: Path
) -> None:
    extra = tmp_path / "runbooks"
    extra.mkdir()
    (extra / "break-glass.md").write_text(RUNBOOK)
    question = {"q": "who holds the zebra-otter break-glass key"}
    env = {"SCALEWARDEN_KNOWLEDGE_DIRS": str(extra), "SCALEWARDEN_CACHE_DIR": str(tmp_path)}
    async with make_harness(settings_env=env, answerer=None) as h:
        await _open_api_answers_from_the_shipped_articles_only(h, question)
        # The same app's Slack side still answers from the runbooks (its users are signed).
        answer = await h.services.answer(question["q"])
        assert answer.results and answer.results[0].article_id.endswith("break-glass")
    env["SCALEWARDEN_API_TOKEN"] = TOKEN
    async with make_harness(settings_env=env, answerer=None) as h:
        allowed = await h.client.get(
            "/api/v1/ask", params=question, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert allowed.json()["results"][0]["article_id"].endswith("break-glass")


async def test_an_open_api_never_serves_a_replacement_knowledge_folder(
    make_harness: Any, tmp_path: Path
) -> None:
    """``SCALEWARDEN_KNOWLEDGE_DIR`` replaces the shipped folder, typically with the shipped
    articles plus the team's own: an anonymous caller gets the shipped articles only."""
    import shutil

    from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

    articles = tmp_path / "articles"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, articles)
    resilience = articles / "resilience.md"
    private_section = RUNBOOK.split("\n", 2)[2].replace(
        "\n\n", "\nSources: disaster-recovery-resiliency\n\n", 1
    )
    resilience.write_text(resilience.read_text() + "\n" + private_section)
    question = {"q": "who holds the zebra-otter break-glass key"}
    env = {"SCALEWARDEN_KNOWLEDGE_DIR": str(articles), "SCALEWARDEN_CACHE_DIR": str(tmp_path)}
    async with make_harness(settings_env=env, answerer=None) as h:
        # The team's folder is indexed: the Slack side answers from the private section.
        answer = await h.services.answer(question["q"])
        assert answer.results and "break-glass" in answer.results[0].section_id
        await _open_api_answers_from_the_shipped_articles_only(h, question)


async def test_a_blank_token_is_no_token(make_harness: Any) -> None:
    async with make_harness(settings_env={"SCALEWARDEN_API_TOKEN": "   "}) as h:
        assert (await h.client.get("/readyz")).json()["api"] == "open"
        assert (await h.client.get("/api/v1/checks")).status_code == 200


@pytest.mark.parametrize("token", [None, TOKEN])
async def test_routes_that_need_the_token_refuse_an_open_api(token: str | None) -> None:
    """``TokenRequired`` (for the scan routes) refuses even when the API is open."""
    from scalewarden.api import ApiAccess

    app = FastAPI()
    app.state.api_access = ApiAccess(token=token)
    install_error_handlers(app)

    @app.get("/api/v1/private")
    async def private(caller: TokenRequired) -> dict[str, bool]:
        return {"authenticated": caller.authenticated}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        anonymous = await client.get("/api/v1/private")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
        with_token = await client.get(
            "/api/v1/private", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert with_token.status_code == (200 if token else 401)


async def test_invalid_api_requests_use_the_one_error_shape(make_harness: Any) -> None:
    async with make_harness() as h:
        invalid = await h.client.get("/api/v1/ask", params={"top": 99, "q": "x"})
        assert invalid.status_code == 422
        assert invalid.json()["code"] == "invalid_request" and "top" in invalid.json()["error"]
        empty = await h.client.get("/api/v1/ask", params={"q": " "})
        assert empty.status_code == 400 and empty.json()["code"] == "invalid_question"


async def test_a_token_with_non_ascii_characters_works_as_sent(make_harness: Any) -> None:
    """A client sends a UTF-8 token as its UTF-8 bytes; the server must compare those bytes
    (the header decoded as Latin-1 and encoded as UTF-8 again never matched)."""
    token = "clé-secrète-ünïcode-0123456789"
    async with make_harness(settings_env={"SCALEWARDEN_API_TOKEN": token}) as h:
        sent = b"Bearer " + token.encode("utf-8")
        allowed = await h.client.get("/api/v1/checks", headers={"Authorization": sent})
        assert allowed.status_code == 200, allowed.text
        wrong = b"Bearer " + token.encode("latin-1")
        refused = await h.client.get("/api/v1/checks", headers={"Authorization": wrong})
        assert refused.status_code == 401
