"""The FastAPI service: Slack's request URL, health, readiness, metrics and a small JSON API.

``create_app()`` is a factory with dependency injection: the store, the answerer, the scanner
and the Slack client can be passed in, which is how the tests drive the real app against a
local Slack stand-in and moto instead of slack.com and AWS. Without Slack settings the service
still starts (health, metrics, the API) and ``/slack/events`` says plainly that Slack is off.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalewarden.api import ApiAccess, api_error, install_error_handlers, status_code_name
from scalewarden.api import router as api_router
from scalewarden.checks.model import Check
from scalewarden.knowledge.answer import KnowledgeBase
from scalewarden.logs import RequestLogMiddleware
from scalewarden.scan_api import router as scan_api_router
from scalewarden.scanning.jobs import ScanFunction
from scalewarden.scanning.runner import ScanLimits, ScanRunner, ScanStore
from scalewarden.service_scope import ServiceScope
from scalewarden.serving import MAX_HEADER_BYTES
from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR, Settings, get_settings
from scalewarden.slack.access import LOOKUP_TIMEOUT, AccessPolicy
from scalewarden.slack.alert_delivery import AlertPipeline
from scalewarden.slack.background import DEFAULT_QUICK_SLOTS, BackgroundTasks
from scalewarden.slack.digest_poster import digest_web_client
from scalewarden.slack.housekeeping import (
    DEFAULT_EVENT_RETENTION,
    DEFAULT_PRUNE_INTERVAL,
    prune_events_forever,
)
from scalewarden.slack.metrics import Metrics
from scalewarden.slack.services import (
    Answerer,
    CheckCatalog,
    DigestRunner,
    Explainer,
    ServiceStore,
    SlackServices,
)

if TYPE_CHECKING:
    from scalewarden.slack.workspace import InstalledWorkspace
    from scalewarden.store import Store

logger = logging.getLogger(__name__)

#: Seconds before an outgoing call (Web API, ``response_url``) is abandoned and retried.
DEFAULT_HTTP_TIMEOUT = 10
#: Questions in the answer worker's hands at once (each holds a quick slot until its reply is
#: posted): enough that the worker always has the next question while this process posts.
WORKER_QUICK_SLOTS = 8
#: The collector's thresholds once the index is loaded: the defaults for the young
#: generations, and a full collection after 100 middle ones instead of 10. Serving a request
#: leaves no reference cycles behind (``docs/benchmarks.md``, HTTP: none in 500 commands), so a
#: full collection finds almost nothing to free, yet it walks every live object: with the queue
#: of answers full (5,000 waiting jobs, some 155,000 objects) each one paused the loop, and
#: every ack in flight, for tens of milliseconds, about once per 5,000 commands; now at most
#: about once per 25,000. The young collections, which are short, still free cycles promptly.
GC_THRESHOLDS = (700, 10, 100)
#: Largest request body accepted (Slack's own payloads are far smaller).
MAX_BODY_BYTES = 1024 * 1024
SLACK_OFF = (
    "The Slack routes are off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn them on."
)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answers 413 for bodies over the limit before any route or parser runs.

    ``Content-Length`` is checked up front; the bytes actually received are counted too,
    because a chunked request has no length header and a lying client may send more.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                if not value.isdigit():
                    await _error(send, 400, "invalid Content-Length")
                    return
                if int(value) > self.max_bytes:
                    await _error(send, 413, "request body too large")
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _error(send, 413, "request body too large")


#: Most header fields accepted (the largest block, ``MAX_HEADER_BYTES``, is the server's).
MAX_HEADER_FIELDS = 200


class HeaderLimitMiddleware:
    """Answers 431 for a header block over 64 KiB or with more than 200 fields.

    The server bounds what it buffers of headers still arriving (``scalewarden.serving``), but
    a header block that arrives whole is handed over whatever its size; Slack's requests carry
    about fifteen short headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_HEADER_BYTES,
        max_fields: int = MAX_HEADER_FIELDS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_fields = max_fields

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers", [])
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > self.max_fields or size > self.max_bytes:
                await _error(send, 431, "request header fields too large")
                return
        await self.app(scope, receive, send)


def route_label(scope: Scope) -> str:
    """The route a handled request matched, from what the router left in ``scope``.

    FastAPI routes leave themselves (``route``, with the path template); plain Starlette routes
    leave only their ``endpoint``, and have no path parameters here, so their path is the
    label. A request no route matched, or refused before routing (a body over the limit),
    gets "other".
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    if scope.get("endpoint") is not None:
        return str(scope.get("path", "other"))
    return "other"


class RequestMetricsMiddleware:
    """Counts responses by route and status (a pure ASGI wrapper: no per-request overhead).

    The route label is the route the app's own router matched (its path template for API
    routes), and "other" when no route matched, so that probes of random paths cannot grow
    the metrics without bound and a new route needs no list updated.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.metrics.requests.labels(route=route_label(scope), status=str(status)).inc()


async def _error(send: Send, status: int, message: str) -> None:
    """An error answered before any route runs, in the API's one error shape."""
    body = json.dumps({"error": message, "code": status_code_name(status)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: The ``code`` of an error the Slack edge answers, by the kind of request it refused.
_SLACK_ERROR_CODES = {
    "rejected": "invalid_signature",
    "malformed": "malformed_request",
    "unhandled": "unhandled_request",
}


def _slack_error(status: int, kind: str, body: str) -> Response:
    """A refusal of the Slack edge (bad signature, malformed or unhandled payload, Bolt's own
    4xx/5xx) in the one error shape; Slack itself reads only the status."""
    message = body
    with contextlib.suppress(ValueError):
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
            message = parsed["error"]
    code = _SLACK_ERROR_CODES.get(kind) or status_code_name(status)
    return api_error(status, code, message[:500] or "the request was refused")


def _default_checks() -> Sequence[Check]:
    from scalewarden.checks.registry import all_checks

    return list(all_checks())


def build_scan_runner(
    settings: Settings,
    scanner: ScanFunction | None,
    store: Callable[[], ScanStore | None],
) -> ScanRunner:
    """The service's scan queue with the limits of ``settings``.

    The real scan (with the region and pool size of ``settings``) runs in a worker process
    per scan; a substitute ``scanner`` (tests) runs in a thread of this process.
    """
    from functools import partial

    from scalewarden.scan import ScanOptions
    from scalewarden.scanning.executors import Executor, ProcessExecutor, ThreadExecutor
    from scalewarden.scanning.worker import run_job

    executor: Executor
    if scanner is None:
        executor = ProcessExecutor(
            partial(run_job, options=ScanOptions.from_settings(settings)),
            timeout=settings.scan_timeout,
        )
    else:
        executor = ThreadExecutor(scanner)
    limits = ScanLimits(
        slots=settings.scan_slots,
        per_requester=settings.scan_queue_per_user,
        total=settings.scan_queue_total,
    )
    return ScanRunner(executor, limits=limits, store=store)


def _api_access(settings: Settings, knowledge: KnowledgeBase) -> ApiAccess:
    """Who may use ``/api/v1``: the token holder when ``SCALEWARDEN_API_TOKEN`` is set (a
    blank value is no token), anyone otherwise, and then from the shipped articles only.

    "Shipped" means the package's own folder: ``SCALEWARDEN_KNOWLEDGE_DIR`` replaces it with a
    folder of the team's choosing (often the shipped articles plus private ones), which an
    anonymous caller must not read any more than ``SCALEWARDEN_KNOWLEDGE_DIRS``.
    """
    token = settings.api_token.get_secret_value().strip() if settings.api_token else ""
    if token:
        return ApiAccess(token=token)
    own_dir = knowledge.knowledge_dir is None or _same_dir(
        knowledge.knowledge_dir, DEFAULT_KNOWLEDGE_DIR
    )
    if own_dir and not knowledge.extra_dirs:
        return ApiAccess()
    shipped = replace(knowledge, knowledge_dir=DEFAULT_KNOWLEDGE_DIR, extra_dirs=())
    logger.warning(
        "SCALEWARDEN_API_TOKEN is not set: /api/v1 is open and answers from the shipped "
        "articles only, not from SCALEWARDEN_KNOWLEDGE_DIR or SCALEWARDEN_KNOWLEDGE_DIRS"
    )
    return ApiAccess(open_answerer=shipped.answer)


def _same_dir(a: Path, b: Path) -> bool:
    """Whether two paths name one folder (a missing folder compares by its absolute path)."""
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return a.absolute() == b.absolute()


def slack_configured(settings: Settings) -> bool:
    """True when the HTTP Slack routes can work (a token and a signing secret).

    An empty or blank value (``SLACK_SIGNING_SECRET=`` in an env file) is not a secret: an HMAC
    keyed with it is one anybody can compute.
    """
    return all(
        value is not None and value.get_secret_value().strip()
        for value in (settings.slack_bot_token, settings.slack_signing_secret)
    )


def create_app(
    settings: Settings | None = None,
    *,
    store: ServiceStore | None = None,
    answerer: Answerer | None = None,
    scanner: ScanFunction | None = None,
    digest_runner: DigestRunner | None = None,
    checks: CheckCatalog | None = None,
    explainer: Explainer | None = None,
    index_loader: Callable[[], object] | None = None,
    slack_client: AsyncWebClient | None = None,
    slack_backoff: float | None = None,
    authorize: Callable[..., Awaitable[AuthorizeResult]] | None = None,
    socket_mode: bool = False,
    drain_timeout: float = 30.0,
    progress_interval: float = 1.0,
    prune_interval: float = DEFAULT_PRUNE_INTERVAL,
    event_retention: timedelta = DEFAULT_EVENT_RETENTION,
    scheduler_owner: str | None = None,
    admin_lookup_timeout: float = LOOKUP_TIMEOUT,
) -> FastAPI:
    """Build the service. Every argument after ``settings`` replaces a real part (tests).

    ``settings`` defaults to ``get_settings()``; nothing below reads the settings itself.
    ``store`` defaults to ``Store.open(settings.database_url)`` at start-up. ``answerer``
    defaults to the knowledge base the settings name, loaded in the background so that
    ``/readyz`` turns ready once the index is in memory. ``scanner`` (a scan function run in
    a thread) replaces the real scan, which runs in a worker process per scan (in
    ``settings.aws_region`` when the scope names no region).
    ``explainer`` (a check's article section, for the remediation card) defaults to the same
    knowledge base. ``authorize`` skips ``auth.test`` (tests, benchmark). ``slack_backoff``
    replaces the Web API client's retry back-off factor (seconds), so that tests of retried
    failures do not wait out production's half-second steps. ``digest_runner`` replaces the
    digests' scan (by default the scan runner's, like every other scan); the scheduler runs
    when ``settings.scheduler`` is on, a database and a bot token are there
    (``scheduler_owner`` names it in the lease). ``admin_lookup_timeout`` bounds the admin
    group lookup (10 s, after the ack; tests of a stalled lookup shorten it).
    """
    settings = settings or get_settings()
    service_scope = ServiceScope.from_settings(settings)
    metrics = Metrics()
    loader = index_loader
    knowledge = KnowledgeBase.from_settings(settings)
    api_access = _api_access(settings, knowledge)
    # Questions are composed in the answer worker's process when every part of an answer is
    # the service's own (substitutes given here live in this process's memory).
    answer_worker = None
    if settings.answer_worker and answerer is None and checks is None and explainer is None:
        from scalewarden.slack.answer_worker import AnswerWorker, WorkerConfig

        answer_worker = AnswerWorker(WorkerConfig(knowledge))
    if answerer is None:
        answerer = knowledge.answer
        if loader is None:
            loader = knowledge.engine
    services = SlackServices(
        store=store,
        answerer=answerer,
        scans=build_scan_runner(settings, scanner, lambda: services.store),
        checks=checks or _default_checks,
        explainer=explainer or knowledge.explain,
        access=AccessPolicy(
            settings.admin_user_ids,
            settings.admin_usergroup,
            lookup_timeout=admin_lookup_timeout,
        ),
        metrics=metrics,
        tasks=BackgroundTasks(
            quick_slots=WORKER_QUICK_SLOTS if answer_worker is not None else DEFAULT_QUICK_SLOTS
        ),
        answer_worker=answer_worker,
        progress_interval=progress_interval,
        scan_scope=service_scope,
        security_channels=settings.security_channel_ids,
        digest_runner=digest_runner,
    )
    bolt: AsyncApp | None = None
    #: Where the app is installed (``auth.test``), unless the caller authorises itself.
    workspace: InstalledWorkspace | None = None
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if signing_secret is not None and not signing_secret.strip():
        signing_secret = None  # blank: see ``slack_configured``
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if (signing_secret or socket_mode) and (token or authorize is not None):
        from scalewarden.slack.app import build_web_client, create_bolt_app
        from scalewarden.slack.workspace import InstalledWorkspace

        url = settings.slack_api_url
        client = slack_client or (
            build_web_client(token, url, metrics)
            if slack_backoff is None
            else build_web_client(token, url, metrics, backoff=slack_backoff)
        )
        if authorize is None:
            workspace = InstalledWorkspace(client)
        bolt = create_bolt_app(
            services,
            client=client,
            signing_secret=signing_secret,
            authorize=authorize or (workspace.authorize() if workspace else None),
            workspace=workspace,
            socket_mode=socket_mode,
        )
    owns_store = store is None
    raw_events_key = settings.events_key.get_secret_value().strip() if settings.events_key else ""
    events_key = raw_events_key.encode("utf-8") if raw_events_key else None
    from scalewarden.alerts import AlertContext
    from scalewarden.aws.lookups import AlertLookups

    lookups = AlertLookups(
        store=lambda: cast("Store | None", services.store),
        scope=service_scope,
        region=settings.aws_region,
    )
    alerts = AlertPipeline(
        store=lambda: cast("Store | None", services.store),
        context=AlertContext(
            protection_tags=settings.alert_protection_tags,
            target_tags=lookups.target_tags,
            endpoint_service=lookups.endpoint_service,
        ),
        batch_start=lookups.start_batch,
        client=digest_web_client(
            token,
            settings.slack_api_url,
            backoff_factor=0.5 if slack_backoff is None else slack_backoff,
        )
        if token
        else None,
        metrics=metrics,
        burst=settings.alert_burst,
        rate=settings.alert_channel_rate,
    )
    state: dict[str, Any] = {"index_ready": loader is None, "index_error": None}

    async def load_index() -> None:
        assert loader is not None
        try:
            loaded = await asyncio.to_thread(loader)
        except Exception as exc:
            state["index_error"] = f"{type(exc).__name__}: {exc}"[:300]
            logger.error("the knowledge index did not load: %s", state["index_error"])
            return
        if getattr(loaded, "empty", False):
            from scalewarden.knowledge.answer import empty_index_message

            state["index_error"] = empty_index_message(settings.knowledge_path)
            logger.error("%s", state["index_error"])
            return
        state["index_ready"] = True
        # The default answerer searches this very index: from now on a search is cheap
        # enough to run on the event loop (see ``slack/listeners/replies.py``).
        services.answer_on_loop = True
        # The index and the corpus are hundreds of thousands of long-lived objects: move
        # them out of the collector's way so that full collections do not pause the acks.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    async def open_store() -> None:
        from scalewarden.store import Store

        try:
            opened = await asyncio.to_thread(Store.open, settings.database_url)
            services.store = cast(ServiceStore, opened)
        except Exception as exc:
            logger.error("the database is not available: %s", str(exc)[:300])

    def start_scheduler() -> asyncio.Task[None] | None:
        """The digest scheduler, when it is on and can post (a bot token) and scan."""
        if not settings.scheduler or token is None or services.digest_runner is None:
            return None
        from scalewarden.digests.loop import run_scheduler
        from scalewarden.digests.scheduler import SchedulerConfig, new_owner_id
        from scalewarden.slack.digest_poster import SlackDigestPoster, digest_web_client

        client = digest_web_client(token, settings.slack_api_url)
        return asyncio.create_task(
            run_scheduler(
                store=lambda: cast("Store | None", services.store),
                runner=services.digest_runner,
                poster=lambda store: SlackDigestPoster(client, store),
                owner=scheduler_owner or new_owner_id(),
                interval=settings.scheduler_interval,
                config=SchedulerConfig(
                    grace=settings.digest_grace,
                    service_scope=service_scope,
                    # As many groups at once as the digests have places in the scan queue.
                    concurrency=settings.scan_queue_per_user,
                ),
                drain_timeout=drain_timeout,
            ),
            name="digest-scheduler",
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if owns_store and services.store is None:
            await open_store()
        import aiohttp

        # A shared session's timeout replaces the client's own per-call timeout, so it must
        # be the client's: that is what lets a hung call time out and be retried.
        seconds = bolt.client.timeout if bolt is not None else DEFAULT_HTTP_TIMEOUT
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds))
        services.http_session = session
        if bolt is not None:
            bolt.client.session = session
        if service_scope.single_account and service_scope.own is not None:
            # The own account's id (STS), learned in a thread of its own: requests naming an
            # account need it, and none of them waits for it on the loop.
            service_scope.own.request()
        loading = asyncio.create_task(load_index()) if loader is not None else None
        if services.answer_worker is not None:
            # Its index loads in the child meanwhile; a question before then waits for it.
            await services.answer_worker.start()
        learning = (
            asyncio.create_task(workspace.check_until_known(), name="slack-auth-test")
            if workspace is not None
            else None
        )
        pruning = asyncio.create_task(
            prune_events_forever(
                lambda: services.store, interval=prune_interval, retention=event_retention
            ),
            name="prune-processed-events",
        )
        if bolt is None and not socket_mode:
            logger.warning(SLACK_OFF)
        if services.digest_runner is None:
            # Digest scans (the scheduler's thread, previews) go through the same queue.
            services.digest_runner = services.scans.blocking(
                asyncio.get_running_loop(), requester="digest", source="digest"
            )
        scheduling = start_scheduler()
        try:
            yield
        finally:
            if scheduling is not None:
                scheduling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await scheduling
            await alerts.close(drain_timeout)
            cancelled = await services.tasks.close(drain_timeout)
            if cancelled:
                logger.warning("%d Slack task(s) did not finish before shutdown", cancelled)
            if services.answer_worker is not None:
                await services.answer_worker.close()
            # Whatever scan is still queued or running now is stopped: its worker is killed,
            # so the process exits without waiting for the scan's last AWS read.
            await services.scans.close()
            pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruning
            if loading is not None and not loading.done():
                loading.cancel()
            if learning is not None and not learning.done():
                learning.cancel()
            services.http_session = None
            if bolt is not None:
                bolt.client.session = None
            await session.close()
            if owns_store and services.store is not None:
                close = getattr(services.store, "close", None)
                if close is not None:
                    await asyncio.to_thread(close)

    app = FastAPI(
        title="scalewarden",
        summary="Slack security assistant for AWS Application Auto Scaling",
        lifespan=lifespan,
        # FastAPI's own OpenAPI UI at /docs (and the schema at /openapi.json): they describe
        # the routes, never data, so they stay open when the API needs a token.
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    app.state.bolt = bolt
    app.state.workspace = workspace
    app.state.metrics = metrics
    app.state.alerts = alerts
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    # Outermost: every line logged while a request is served carries its id.
    app.add_middleware(RequestLogMiddleware)

    async def slack_events(request: Request) -> Response:
        """Slack's single request URL (events, the slash command, interactivity).

        Registered as a plain Starlette route: it takes the raw request and needs none of
        FastAPI's parameter handling, which would only add latency to every ack.
        """
        started = time.perf_counter()
        if bolt is None or signing_secret is None:
            return api_error(503, "slack_disabled", SLACK_OFF)
        from scalewarden.slack.ingress import handle_slack_request

        try:
            raw = await request.body()
        except ClientDisconnect:
            # The sender hung up mid-body: nothing to verify or answer, and not a server error.
            return api_error(400, "client_disconnected", "the client disconnected")
        result = await handle_slack_request(
            bolt,
            signing_secret=signing_secret,
            raw=raw,
            headers=request.headers,
            # The raw query string: ``request.url`` would build (and parse) a whole URL.
            query=request.scope.get("query_string", b"").decode("latin-1"),
            metrics=metrics,
        )
        metrics.ack_latency.labels(kind=result.kind).observe(time.perf_counter() - started)
        if result.status >= 400:
            return _slack_error(result.status, result.kind, result.body)
        return Response(
            content=result.body,
            status_code=result.status,
            headers=result.headers,
            media_type=None
            if "content-type" in {k.lower() for k in result.headers}
            else "text/plain",
        )

    app.add_route("/slack/events", slack_events, methods=["POST"], include_in_schema=False)

    async def aws_events(request: Request) -> Response:
        """One EventBridge event, as an API destination delivers it (``docs/alerts.md``).

        Off (404, as for an unknown path) without ``SCALEWARDEN_EVENTS_KEY``. The key is
        checked in constant time before the body is read. The 202 means "accepted": the
        event is classified and posted by the alert pipeline afterwards, never before.
        """
        if events_key is None:
            return api_error(404, "not_found", "Not Found")
        from scalewarden.alerts import EventError, handled, validate_envelope

        # Header values arrive decoded as Latin-1: encoding them back gives the bytes as sent.
        supplied = request.headers.get("x-scalewarden-key", "").encode("latin-1")
        if not hmac.compare_digest(supplied, events_key):
            metrics.aws_events.labels(outcome="refused").inc()
            return api_error(401, "unauthorized", "X-Scalewarden-Key is missing or wrong.")
        try:
            raw = await request.body()
        except ClientDisconnect:
            return api_error(400, "client_disconnected", "the client disconnected")
        try:
            data = json.loads(raw)
            event = validate_envelope(data)
            if not event["id"]:
                raise EventError("the event's id is empty")
        except (ValueError, RecursionError) as exc:
            metrics.aws_events.labels(outcome="malformed").inc()
            message = str(exc) if isinstance(exc, EventError) else "the body is not JSON"
            return api_error(400, "malformed_event", message[:300])
        if not handled(event):
            metrics.aws_events.labels(outcome="unhandled").inc()
            return JSONResponse({"status": "ignored"}, status_code=202)
        if not alerts.offer(event, len(raw)):
            metrics.aws_events.labels(outcome="busy").inc()
            return api_error(
                503, "busy", "Too many events queued; retry later.", {"Retry-After": "1"}
            )
        return JSONResponse({"status": "accepted"}, status_code=202)

    app.add_route("/aws/events", aws_events, methods=["POST"], include_in_schema=False)

    # HEAD is its own route (and operation) so that each has one operation id.
    @app.get("/healthz")
    @app.head("/healthz", operation_id="healthz_head")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    def slack_status() -> tuple[str, str | None]:
        """``on``, ``off``, or the start-up check's status, and why Slack is not usable."""
        if workspace is not None:
            return workspace.status.value, workspace.error
        return ("on" if bolt is not None else "off"), None

    not_ready: dict[int | str, dict[str, Any]] = {
        503: {"description": "Not ready: the same body says which part is not"}
    }

    @app.get("/readyz", responses=not_ready)
    @app.head("/readyz", operation_id="readyz_head", responses=not_ready)
    async def readyz() -> JSONResponse:
        """Readiness: the index is loaded, the database answers, and Slack (when on) has
        accepted the bot token.

        Slack's start-up check counts while it runs (``checking``) and when the token is
        refused (``unauthorised``: a replica with a bad token must not take traffic, and a
        rolling update with one stops there). A Slack that does not answer (``unreachable``)
        is reported but does not fail readiness: every replica would fail it at once during a
        Slack outage, and the API and health routes would go down with it for nothing.

        The answer worker (when on) counts until its index has loaded once; a worker that
        stops or reloads after that is reported under ``degraded`` and keeps the replica
        ready (``AnswerWorker.status``).
        """
        database = False
        if services.store is not None:
            database = await asyncio.to_thread(services.store.ping)
        index = bool(state["index_ready"])
        slack, slack_error = slack_status()
        slack_ok = slack not in ("checking", "unauthorised")
        worker = services.answer_worker.status() if services.answer_worker else None
        body: dict[str, Any] = {
            "ready": index and database and slack_ok,
            "index": "loaded" if index else ("failed" if state["index_error"] else "loading"),
            **({"index_error": state["index_error"]} if state["index_error"] else {}),
            "database": "reachable" if database else "unreachable",
            "slack": slack,
            **({"slack_error": slack_error} if slack_error else {}),
            # "open": anyone who reaches the service may use /api/v1 (shipped articles only).
            "api": "open" if api_access.is_open else "token",
        }
        if worker is not None:
            body["ready"] = body["ready"] and not worker.blocks_readiness
            body["answer_worker"] = worker.state
            if worker.error:
                body["answer_worker_error"] = worker.error
            body["answer_worker_restarts"] = worker.restarts
            if worker.state != "ready" and not worker.blocks_readiness:
                body["degraded"] = ["answer_worker"]
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics_route() -> Response:
        metrics.set_slack_status(slack_status()[0])
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.state.api_access = api_access
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(scan_api_router)
    return app
