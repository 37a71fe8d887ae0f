"""The HTTP surface as a client meets it: the OpenAPI UI, ``HEAD`` probes, and one error
shape, ``{"error", "code"}``, for every error whatever raised it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from scalewarden.web import MAX_BODY_BYTES


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "code"}, body
    assert body["code"] == code and body["error"]
    return str(body["error"])


async def test_docs_serve_the_openapi_ui_of_every_api_route(make_harness: Any) -> None:
    async with make_harness() as h:
        docs = await h.client.get("/docs")
        assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
        assert "swagger-ui" in docs.text and "/openapi.json" in docs.text
        schema = (await h.client.get("/openapi.json")).json()
        assert {"/api/v1/ask", "/api/v1/checks", "/api/v1/scans", "/healthz"} <= set(
            schema["paths"]
        )
        assert "/slack/events" not in schema["paths"]  # Slack's URL is not an API
        error = schema["components"]["schemas"]["ErrorBody"]
        assert set(error["required"]) == {"error", "code"}
        ask = schema["paths"]["/api/v1/ask"]["get"]["responses"]
        assert ask["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_head_probes_answer_without_a_body(make_harness: Any, path: str) -> None:
    async with make_harness() as h:
        await h.settle()
        got = await h.client.get(path)
        head = await h.client.head(path)
        assert head.status_code == got.status_code
        assert head.headers["content-type"] == got.headers["content-type"]


async def test_every_error_has_the_one_shape(make_harness: Any) -> None:
    async with make_harness() as h:
        _error(await h.client.get("/no/such/path"), 404, "not_found")
        _error(await h.client.get("/api/v1/no-such-route"), 404, "not_found")
        _error(await h.client.post("/healthz"), 405, "method_not_allowed")
        _error(await h.client.delete("/api/v1/ask"), 405, "method_not_allowed")
        # A missing q and an empty q: both refused in the same shape (422 and 400).
        missing = _error(await h.client.get("/api/v1/ask"), 422, "invalid_request")
        assert "q" in missing
        _error(await h.client.get("/api/v1/ask", params={"q": " "}), 400, "invalid_question")
        _error(await h.client.get("/api/v1/ask?q=x&top=99"), 422, "invalid_request")
        _error(
            await h.client.post(
                "/api/v1/ask", content=b"{", headers={"Content-Type": "application/json"}
            ),
            422,
            "invalid_request",
        )
        big = b"x" * (MAX_BODY_BYTES + 1)
        _error(await h.client.post("/api/v1/ask", content=big), 413, "body_too_large")
        many = {f"x-h{i}": "v" for i in range(300)}
        _error(await h.client.get("/healthz", headers=many), 431, "headers_too_large")
        forged = await h.client.post(
            "/slack/events",
            content=b"command=%2Fscalewarden",
            headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
        )
        _error(forged, 401, "invalid_signature")


async def test_slack_off_is_an_error_in_the_same_shape(make_harness: Any) -> None:
    env = {"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}
    async with make_harness(settings_env=env) as h:
        message = _error(await h.client.post("/slack/events", content=b"{}"), 503, "slack_disabled")
        assert "SLACK_SIGNING_SECRET" in message


async def test_an_unexpected_failure_is_a_500_in_the_same_shape(make_harness: Any) -> None:
    from scalewarden.api import get_services

    def broken() -> Any:
        raise RuntimeError("the services are gone: secret-internal-detail")

    async with make_harness() as h:
        h.app.dependency_overrides[get_services] = broken
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=h.app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        async with client:
            response = await client.get("/api/v1/checks")
        message = _error(response, 500, "internal_error")
        assert "secret-internal-detail" not in message


@pytest.mark.parametrize(
    "scan_id", ["%C2%85", "%20%20", "x" * 300], ids=["nel", "spaces", "too-long"]
)
async def test_a_scan_id_no_scan_can_have_is_a_404(make_harness: Any, scan_id: str) -> None:
    """Found by the schema fuzzer: a path id of only U+0085 reached the store, which refuses
    a blank id, and the API answered 500."""
    token = "polish-api-token-0123456789abcdef"
    async with make_harness(settings_env={"SCALEWARDEN_API_TOKEN": token}) as h:
        auth = {"Authorization": f"Bearer {token}"}
        for tail in ("", "/findings", "/report"):
            response = await h.client.get(f"/api/v1/scans/{scan_id}{tail}", headers=auth)
            message = _error(response, 404, "not_found")
            assert len(message) < 200
