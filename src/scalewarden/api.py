"""The JSON API (``/api/v1``): answers and the check catalogue, as an ``APIRouter``.

Handlers receive what they use through typed dependencies: :data:`Services` (the same
``SlackServices`` the Slack listeners use, set on ``app.state`` by ``create_app``),
:data:`AppMetrics` and :data:`Caller` (who is asking). Tests can override any of them with
``app.dependency_overrides``.

Access. With ``SCALEWARDEN_API_TOKEN`` set, every route of the router needs
``Authorization: Bearer <token>`` (compared in constant time); a missing or wrong token is a
401 in the API's one error shape, ``{"error": <message>, "code": <code>}``. Without it the API
is open, and then it answers from the shipped knowledge base only: the extra folders of
``SCALEWARDEN_KNOWLEDGE_DIRS`` (a team's private runbooks) are never served to an anonymous
caller. Routes that must never be open (scans) take :data:`TokenRequired`, which also refuses
when no token is configured.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from scalewarden.knowledge.answer import Answer
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


class ApiError(Exception):
    """An API failure, answered in the one error shape (see :func:`api_error`)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def api_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The API's one error shape: ``{"error": <message for people>, "code": <stable code>}``."""
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


@dataclass(frozen=True)
class ApiAccess:
    """What ``create_app`` decided about API access (on ``app.state.api_access``).

    ``token`` is ``SCALEWARDEN_API_TOKEN`` (``None``: the API is open). ``open_answerer``
    answers an anonymous caller from the shipped knowledge base only; ``None`` when the app's
    own answerer already serves nothing else (no extra folders configured).
    """

    token: str | None = None
    open_answerer: Callable[[str, int], Answer] | None = None

    @property
    def is_open(self) -> bool:
        return self.token is None


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling: ``authenticated`` when the request carried the configured token."""

    authenticated: bool


def get_api_access(request: Request) -> ApiAccess:
    """The app's access settings (open when ``create_app`` set none)."""
    access = getattr(request.app.state, "api_access", None)
    return access if isinstance(access, ApiAccess) else ApiAccess()


def _bearer(request: Request) -> bytes | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip().encode("utf-8", "surrogateescape")


def check_api_token(
    request: Request, access: Annotated[ApiAccess, Depends(get_api_access)]
) -> ApiCaller:
    """The token when one is configured (401 otherwise); anyone when the API is open."""
    if access.token is None:
        return ApiCaller(authenticated=False)
    given = _bearer(request)
    # compare_digest takes the same time wherever the first difference is, so the token
    # cannot be guessed a byte at a time from response times.
    if given is None or not hmac.compare_digest(given, access.token.encode("utf-8")):
        raise ApiError(
            401,
            "unauthorized",
            "this API needs the bearer token set in SCALEWARDEN_API_TOKEN",
            {"WWW-Authenticate": 'Bearer realm="scalewarden"'},
        )
    return ApiCaller(authenticated=True)


def require_api_token(caller: Annotated[ApiCaller, Depends(check_api_token)]) -> ApiCaller:
    """For routes that are never open: a token must be configured and presented."""
    if not caller.authenticated:
        raise ApiError(
            401,
            "unauthorized",
            "this route needs SCALEWARDEN_API_TOKEN to be set, and its bearer token",
            {"WWW-Authenticate": 'Bearer realm="scalewarden"'},
        )
    return caller


#: The caller of any ``/api/v1`` route (the router applies :func:`check_api_token` to all).
Caller = Annotated[ApiCaller, Depends(check_api_token)]
#: For routes that need the token even when the rest of the API is open (scans).
TokenRequired = Annotated[ApiCaller, Depends(require_api_token)]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(check_api_token)])


def install_error_handlers(app: FastAPI) -> None:
    """Answer :class:`ApiError` and the API's invalid requests in the one error shape.

    Request validation keeps its 422 status; outside ``/api/v1`` FastAPI's own shape stays.
    """

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return api_error(exc.status, exc.code, exc.message, exc.headers)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if not request.url.path.startswith(router.prefix + "/"):
            from fastapi.exception_handlers import request_validation_exception_handler

            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors()[:5]
        )
        return api_error(422, "invalid_request", problems or "invalid request")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_invalid)


class AskBody(BaseModel):
    """``POST /api/v1/ask``."""

    question: str = Field(max_length=MAX_API_QUESTION)
    top: int = Field(default=3, ge=1, le=10)


Access = Annotated[ApiAccess, Depends(get_api_access)]


async def _ask(
    services: SlackServices,
    metrics: Metrics,
    access: ApiAccess,
    caller: ApiCaller,
    question: str,
    top: int,
) -> JSONResponse:
    from scalewarden.knowledge.answer import QuestionError

    try:
        if access.open_answerer is not None and not caller.authenticated:
            answer = await asyncio.to_thread(access.open_answerer, question, top)
        else:
            answer = await services.answer(question, top)
    except QuestionError as exc:
        metrics.answers.labels(source="api", outcome="invalid").inc()
        return api_error(400, "invalid_question", str(exc))
    outcome = "answered" if answer.answered else "no_answer"
    metrics.answers.labels(source="api", outcome=outcome).inc()
    return JSONResponse(answer.to_dict())


@router.get("/ask")
async def ask_get(
    services: Services,
    metrics: AppMetrics,
    access: Access,
    caller: Caller,
    q: Annotated[str, Query(max_length=MAX_API_QUESTION)],
    top: Annotated[int, Query(ge=1, le=10)] = 3,
) -> JSONResponse:
    """Answer ``q`` from the knowledge base (the ``ask --json`` contract)."""
    return await _ask(services, metrics, access, caller, q, top)


@router.post("/ask")
async def ask_post(
    body: AskBody, services: Services, metrics: AppMetrics, access: Access, caller: Caller
) -> JSONResponse:
    """Answer ``question`` from the knowledge base (the ``ask --json`` contract)."""
    return await _ask(services, metrics, access, caller, body.question, body.top)


@router.get("/checks")
async def checks_route(services: Services, topic: str | None = None) -> JSONResponse:
    """The check catalogue (read-only; no AWS call)."""
    catalog = [c.to_dict() for c in services.checks() if topic is None or c.topic == topic]
    return JSONResponse({"checks": catalog, "count": len(catalog)})
