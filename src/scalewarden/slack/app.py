"""The Bolt ``AsyncApp`` factory and its Web API client.

The client's base URL comes from the settings so that tests and local stand-ins can point it
at loopback. Retry handlers are added explicitly: the SDK retries only connection errors by
default, while Slack answers bursts with 429 + ``Retry-After`` and has the odd 5xx.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    BackoffRetryIntervalCalculator,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from scalewarden.slack.audit import Actor
from scalewarden.slack.listeners import register_all
from scalewarden.slack.listeners.commands import ShedQuestionsWhenBusy
from scalewarden.slack.metrics import Metrics
from scalewarden.slack.payloads import event_id_of
from scalewarden.slack.services import SlackServices
from scalewarden.slack.workspace import InstalledWorkspace, WorkspaceGuard, WorkspaceReady

logger = logging.getLogger(__name__)

#: Seconds before one Web API attempt is abandoned (then retried with backoff).
DEFAULT_TIMEOUT = 10


class ErrorCounter(AsyncRetryHandler):
    """Counts failed Web API attempts into the metrics; never asks for a retry itself.

    Placed first among the retry handlers, it sees every attempt's outcome, including the
    ones the next handlers then retry.
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        kind: str | None = None
        if error is not None:
            kind = "timeout" if isinstance(error, TimeoutError) else "connection"
        elif response is not None:
            if response.status_code == 429:
                kind = "rate_limited"
            elif response.status_code >= 500:
                kind = "server_error"
            elif response.status_code >= 400:
                kind = "client_error"
            elif isinstance(response.body, dict) and response.body.get("ok") is False:
                kind = "api_error"
        if kind is not None:
            self._metrics.slack_api_errors.labels(kind=kind).inc()
        return False


class ServerErrorRetryHandler(AsyncRetryHandler):
    """Retries 500, 502, 503 and 504 with exponential backoff (the SDK's covers 500/503)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in (500, 502, 503, 504)


def build_web_client(
    token: str | None,
    base_url: str,
    metrics: Metrics,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    retries: int = 2,
    backoff: float = 0.5,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` for ``base_url`` with error counting and retry handlers."""
    if not base_url.endswith("/"):
        base_url += "/"
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ErrorCounter(metrics),
            AsyncRateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
            AsyncConnectionErrorRetryHandler(
                max_retry_count=retries,
                interval_calculator=interval,
                error_types=[
                    aiohttp.ServerConnectionError,
                    aiohttp.ServerDisconnectedError,
                    aiohttp.ClientOSError,
                    asyncio.TimeoutError,
                ],
            ),
        ],
    )


#: The context key under which the ingress marks a request whose signature it has verified.
SIGNED_AT_EDGE = "scalewarden_signed_at_edge"
#: The mark itself: an object only this process holds, compared by identity, so that nothing
#: a request carries (its body, its headers) can stand in for it.
_SIGNED = object()


def mark_signed(request: AsyncBoltRequest) -> AsyncBoltRequest:
    """Mark ``request`` as verified by the ingress (``slack/ingress.py``), which calls this only
    after ``signature.verify`` accepted the raw bytes that ``request`` was built from."""
    request.context[SIGNED_AT_EDGE] = _SIGNED
    return request


class SignedAtEdge(AsyncMiddleware):
    """Bolt's first middleware over HTTP: only a request the ingress verified goes on.

    It replaces Bolt's own signature check, which repeated the ingress's HMAC on every
    request (and re-read the timestamp and signature headers). The ingress verifies the raw
    bytes before anything parses them; a request that reaches Bolt any other way (a future
    route, a refactor, a test) carries no mark and is refused with 401, as Bolt's check
    refused a forged one.
    """

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        if req.context.get(SIGNED_AT_EDGE) is _SIGNED:
            return await next()
        logger.warning("refused a Slack request that did not pass the signature check")
        return BoltResponse(status=401, body={"error": "invalid request"})


class ServiceBolt(AsyncApp):
    """Bolt's ``AsyncApp`` with two per-request costs taken out of its dispatch.

    - **The signature is checked once**, by the ingress; :class:`SignedAtEdge`, first in the
      middleware chain, lets through only the requests it marked (``signed_at_edge``).
      Over Socket Mode there is no signature and no such middleware.
    - **The per-request Web API client is a copy** of the app's client instead of a new
      ``AsyncWebClient``, whose constructor reads four proxy variables from the environment and
      rebuilds the user agent every time. Like Bolt's own, each copy is a separate object with
      its own token, ``team_id`` parameter, headers and list of retry handlers, so a listener
      that changes its client changes nothing shared; the HTTP session, base URL, timeout and
      proxy are the app client's, as they were.
    """

    def __init__(self, *, signed_at_edge: bool, **kwargs: Any) -> None:
        self._signed_at_edge = signed_at_edge
        super().__init__(**kwargs)
        self._context_logger = get_bolt_app_logger(
            app_name=self.name, base_logger=self._base_logger
        )

    def _init_async_middleware_list(self, *args: Any, **kwargs: Any) -> None:
        done = self._init_middleware_list_done
        super()._init_async_middleware_list(*args, **kwargs)
        if self._signed_at_edge and not done:
            self._async_middleware_list.insert(0, SignedAtEdge())

    def _init_context(self, req: AsyncBoltRequest) -> None:
        req.context["logger"] = self._context_logger
        req.context["token"] = self._token
        base = self._async_client
        # A copy without ``copy.copy``'s reduce protocol (a quarter of its cost): the client
        # keeps its whole state in ``__dict__``, and every mutable part is replaced below.
        client = object.__new__(type(base))
        client.__dict__.update(base.__dict__)
        client.token = self._token
        client.headers = dict(base.headers)
        team_id = req.context.team_id
        client.default_params = {"team_id": team_id} if team_id is not None else {}
        client.retry_handlers = list(base.retry_handlers)
        req.context["client"] = client
        req.context["listener_runner"] = self.listener_runner


#: Event ids longer than this (Slack's are about a dozen characters) are claimed as a hash.
EVENT_ID_KEPT = 64
_HASHED = "sha256:"


def event_key(event_id: str) -> str:
    """The key an event is claimed under: the id itself when it is short and printable,
    otherwise ``sha256:`` and the hash of its UTF-8 bytes.

    De-duplication must not fail open. The store refuses an id its column cannot hold (too
    long, blank, a NUL that PostgreSQL cannot store), and a refused claim would let every
    delivery of that event through. An id that itself starts with the prefix is hashed too, so
    a raw id never collides with another's key.
    """
    if (
        len(event_id) <= EVENT_ID_KEPT
        and event_id.isprintable()
        and event_id.strip()
        and not event_id.startswith(_HASHED)
    ):
        return event_id
    return _HASHED + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


class EventDeduplication(AsyncMiddleware):
    """Process each Events API ``event_id`` once, across replicas (claimed in the database).

    Slack redelivers an event when it did not see a 2xx in time; another replica may get the
    copy. The first replica to claim the id owns the event; the others answer 200 and stop. A
    retry (``X-Slack-Retry-Num``) is an ordinary delivery here: if the first one died before it
    claimed the id (a restart), the retry is processed, and otherwise it is dropped.
    When the database cannot be reached a first delivery is processed rather than dropped (a
    rare duplicate answer is better than a lost question), while a retry is dropped (its
    first delivery most likely got through).
    """

    def __init__(self, services: SlackServices) -> None:
        self._services = services

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        store = self._services.store
        event_id = event_id_of(req.body)
        if event_id is None:
            return await next()
        retry = bool(req.headers.get("x-slack-retry-num"))
        claimed = not retry
        if store is not None:
            try:
                claimed = await asyncio.to_thread(store.claim_event, event_key(event_id))
            except Exception as exc:
                logger.warning("event de-duplication unavailable: %s", type(exc).__name__)
        if not claimed:
            self._services.metrics.duplicates.labels(reason="retry" if retry else "event_id").inc()
            headers: dict[str, str | Sequence[str]] = {"X-Slack-No-Retry": "1"} if retry else {}
            return BoltResponse(status=200, body="", headers=headers)
        return await next()


class _TokenWarnings(logging.Filter):
    """Drops Bolt's two start-up warnings about the token being unused, and nothing else.

    Bolt reads ``SLACK_BOT_TOKEN`` from the environment itself whenever no ``token`` argument
    is given, and then warns "As you gave `client` as well, `token` will be unused" because a
    ``client`` was passed too; with that client's token and an ``authorize`` it also warns that
    the token "will be ignored". Both describe this app's set-up exactly as intended: the token
    reaches Bolt through the client (our retry handlers and base URL) and through
    ``authorize``'s result, built from the one ``auth.test`` answer. No combination of
    arguments avoids them while ``SLACK_BOT_TOKEN`` is set, which is how the service is
    configured, so they are filtered by their exact text while the app is built.
    """

    def __init__(self) -> None:
        super().__init__()
        from slack_bolt.logger.messages import (
            warning_client_prioritized_and_token_skipped,
            warning_token_skipped,
        )

        self._texts = {warning_client_prioritized_and_token_skipped(), warning_token_skipped()}

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._texts


def create_bolt_app(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    authorize: Callable[..., Awaitable[AuthorizeResult]] | None = None,
    workspace: InstalledWorkspace | None = None,
    socket_mode: bool = False,
) -> ServiceBolt:
    """The Bolt app with every listener registered.

    ``process_before_response=True`` on purpose. Our listeners only acknowledge and hand
    the slow part to :class:`~scalewarden.slack.background.BackgroundTasks`, so running them
    inline costs microseconds; in exchange Bolt answers as soon as the listener returns, instead
    of starting it fire-and-forget and polling every 10 ms for the ack (which adds ~10 ms to
    every ack and burns CPU under load), and no listener body is ever left untracked.

    Over HTTP the signature is verified once, by the ingress, and Bolt refuses whatever the
    ingress did not mark (:class:`ServiceBolt`); over Socket Mode there is no signature.
    ``authorize`` is normally ``InstalledWorkspace.authorize()`` (one ``auth.test`` for the
    whole process); tests and the benchmark pass their own. Either way the
    :class:`WorkspaceGuard` then refuses requests from outside the installation that
    ``authorize`` describes, before de-duplication claims them. With a ``workspace`` (whose
    ``authorize`` it is), :class:`WorkspaceReady` first refuses at
    once whatever arrives before its ``auth.test`` has succeeded.
    """
    bolt_logger = logging.getLogger("scalewarden.slack.bolt")
    kwargs: dict[str, Any] = {
        "client": client,
        "process_before_response": True,
        "request_verification_enabled": False,
        "signed_at_edge": not socket_mode,
        "ignoring_self_events_enabled": True,
        "logger": bolt_logger,
    }
    if not socket_mode:
        kwargs["signing_secret"] = signing_secret
    if authorize is not None:
        kwargs["authorize"] = authorize
    if workspace is not None:
        kwargs["before_authorize"] = WorkspaceReady(
            workspace, lambda req, reason: audit_refusal(services, req, reason)
        )
    quiet = _TokenWarnings()
    bolt_logger.addFilter(quiet)
    try:
        app = ServiceBolt(**kwargs)
    finally:
        bolt_logger.removeFilter(quiet)
    app.use(WorkspaceGuard(lambda req, reason: audit_refusal(services, req, reason)))
    app.use(EventDeduplication(services))
    app.use(ShedQuestionsWhenBusy(services))
    register_all(app, services)
    return app


async def audit_refusal(services: SlackServices, req: AsyncBoltRequest, reason: str) -> None:
    """Audit a refused request: from outside the installation, or before the installation is
    known (written later)."""
    body = req.body
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    actions = body.get("actions") or [{}]
    if "command" in body:
        action, arguments = str(body.get("command")), str(body.get("text") or "")
    elif event:
        action, arguments = str(event.get("type") or "event"), str(event.get("text") or "")
    else:
        action = str(actions[0].get("action_id") or body.get("type") or "interaction")
        arguments = str(actions[0].get("value") or "")
    context = req.context
    actor = Actor(context.user_id or "unknown", context.team_id, context.channel_id)
    services.tasks.spawn(
        services.audit.record_action(
            actor,
            kind="refused",
            action=action,
            arguments=arguments,
            outcome="refused",
            detail=reason,
        ),
        name="slack-audit",
    )
