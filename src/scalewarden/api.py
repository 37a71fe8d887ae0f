"""The JSON API (``/api/v1``): answers and the check catalogue, as an ``APIRouter``.

Handlers receive what they use through typed dependencies: :data:`Services` (the same
``SlackServices`` the Slack listeners use, set on ``app.state`` by ``create_app``) and
:data:`AppMetrics`. Tests can override either with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from scalewarden.slack.metrics import Metrics
from scalewarden.slack.services import SlackServices

#: Longest question the API accepts, in characters.
MAX_API_QUESTION = 5000


def get_services(request: Request) -> SlackServices:
    """The application's services (``create_app`` puts them on ``app.state``)."""
    services: SlackServices = request.app.state.services
    return services


def get_metrics(request: Request) -> Metrics:
    """The application's own metrics registry."""
    metrics: Metrics = request.app.state.metrics
    return metrics


Services = Annotated[SlackServices, Depends(get_services)]
AppMetrics = Annotated[Metrics, Depends(get_metrics)]

router = APIRouter(prefix="/api/v1")


class AskBody(BaseModel):
    """``POST /api/v1/ask``."""

    question: str = Field(max_length=MAX_API_QUESTION)
    top: int = Field(default=3, ge=1, le=10)


async def _ask(services: SlackServices, metrics: Metrics, question: str, top: int) -> JSONResponse:
    from scalewarden.knowledge.answer import QuestionError

    try:
        answer = await services.answer(question, top)
    except QuestionError as exc:
        metrics.answers.labels(source="api", outcome="invalid").inc()
        return JSONResponse({"error": str(exc)}, status_code=400)
    outcome = "answered" if answer.answered else "no_answer"
    metrics.answers.labels(source="api", outcome=outcome).inc()
    return JSONResponse(answer.to_dict())


@router.get("/ask")
async def ask_get(
    services: Services,
    metrics: AppMetrics,
    q: Annotated[str, Query(max_length=MAX_API_QUESTION)],
    top: Annotated[int, Query(ge=1, le=10)] = 3,
) -> JSONResponse:
    """Answer ``q`` from the knowledge base (the ``ask --json`` contract)."""
    return await _ask(services, metrics, q, top)


@router.post("/ask")
async def ask_post(body: AskBody, services: Services, metrics: AppMetrics) -> JSONResponse:
    """Answer ``question`` from the knowledge base (the ``ask --json`` contract)."""
    return await _ask(services, metrics, body.question, body.top)


@router.get("/checks")
async def checks_route(services: Services, topic: str | None = None) -> JSONResponse:
    """The check catalogue (read-only; no AWS call)."""
    catalog = [c.to_dict() for c in services.checks() if topic is None or c.topic == topic]
    return JSONResponse({"checks": catalog, "count": len(catalog)})
