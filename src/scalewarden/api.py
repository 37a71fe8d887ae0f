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
from typing import Annotated, Any

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


class ErrorBody(BaseModel):
    """Every error the service answers, on every route: a message and a stable code."""

    error: str = Field(description="What went wrong, for people.")
    code: str = Field(description="A stable code for programs, e.g. `not_found`.")


_ERROR_MEANINGS = {
    400: "The request is understood but its content is refused",
    401: "The bearer token is missing or wrong",
    404: "Nothing has that id",
    409: "Not yet, or never, available for this scan",
    422: "A parameter or the body does not validate",
    429: "Refused by the scan queue's limits",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each in the one error shape."""
    return {
        status: {"model": ErrorBody, "description": _ERROR_MEANINGS[status]} for status in statuses
    }


#: Why a status was answered, as the ``code`` of errors that are not raised by our own routes
#: (an unknown path, a method the route does not take, a body over the limit).
STATUS_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


def status_code_name(status: int) -> str:
    """The ``code`` for an error answered with HTTP ``status`` alone."""
    return STATUS_CODES.get(status, "http_" + str(status))


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
    # Header values arrive decoded as Latin-1: encoding them back gives the bytes as sent, so
    # a token with non-ASCII characters (sent as UTF-8) compares equal to its UTF-8 bytes.
    return credentials.strip().encode("latin-1")


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

router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(check_api_token)],
    responses=error_responses(401, 422),
)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in the one error shape: :class:`ApiError`, invalid requests (422),
    Starlette's own (an unknown path is 404, a method the route does not take 405) and an
    unexpected exception (500, logged with its traceback by the server; the body names
    nothing of it)."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return api_error(exc.status, exc.code, exc.message, exc.headers)

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors()[:5]
        )
        return api_error(422, "invalid_request", problems or "invalid request")

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return api_error(
            exc.status_code, status_code_name(exc.status_code), detail, dict(exc.headers or {})
        )

    async def on_crash(_: Request, exc: Exception) -> JSONResponse:
        return api_error(500, "internal_error", "the service failed to answer this request")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_crash)


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


@router.get("/ask", responses=error_responses(400))
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


@router.post("/ask", responses=error_responses(400))
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
