"""What the Slack listeners need, gathered in one object handed to every ``register()``.

Listeners never import the store, the answer engine or the scan runner directly: they receive
them here. Tests can therefore drive the real Bolt app with a substitute scan function where
AWS is not the point, while production wires in the real pieces in
:func:`scalewarden.web.create_app`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from scalewarden.checks.model import Check, ScanReport
from scalewarden.knowledge.answer import Answer, Result
from scalewarden.scanning.runner import ScanRunner
from scalewarden.service_scope import ServiceScope
from scalewarden.slack.access import AccessPolicy
from scalewarden.slack.audit import AuditLog
from scalewarden.slack.background import BackgroundTasks
from scalewarden.slack.metrics import Metrics
from scalewarden.store.records import CheckFindings, ScanSummary, StoredScan

if TYPE_CHECKING:
    from scalewarden.slack.answer_worker import AnswerWorker
    from scalewarden.slack.listeners.replies import Composed

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: ``answerer(question, top)`` (by default ``KnowledgeBase.answer``): blocking, worker thread.
Answerer = Callable[[str, int], Answer]
#: ``explainer(article_id, about)``: the section of one article that best fits ``about``.
Explainer = Callable[[str, str], Result | None]
#: The check catalogue (metadata for explanations, validation of check ids).
CheckCatalog = Callable[[], Sequence[Check]]


class ServiceStore(Protocol):
    """The part of :class:`scalewarden.store.Store` the Slack service uses."""

    def ping(self) -> bool: ...
    def claim_event(self, event_id: str) -> bool: ...
    def record_audits(self, entries: Sequence[Mapping[str, Any]]) -> Any: ...
    def save_feedback(self, **kwargs: Any) -> Any: ...
    def save_scan(
        self,
        report: dict,
        *,
        requested_by: str | None = ...,
        scope_key: str | None = ...,
        checks: Sequence[str] | None = ...,
    ) -> str: ...
    def latest_scan(self) -> dict | None: ...
    def scan_record(self, scan_id: str) -> StoredScan | None: ...
    def scan_history(self, *, limit: int = ...) -> list[ScanSummary]: ...
    def scan_findings(
        self,
        scan_id: str,
        *,
        min_severity: str | None = ...,
        status: str | None = ...,
        check_id: str | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> tuple[list[dict], bool] | None: ...
    def latest_findings(self, *, min_severity: str | None = ...) -> list[dict]: ...
    def check_findings(
        self, check_ids: Sequence[str], *, scan_id: str | None = ..., limit: int = ...
    ) -> CheckFindings | None: ...
    def mutes(self) -> list[Any]: ...


#: ``digest_runner(scope, mutelist)``: the scan a digest runs (blocking: a worker thread).
DigestRunner = Callable[[Any, Any], ScanReport]


@dataclass
class SlackServices:
    """Everything a listener may use; one per application."""

    store: ServiceStore | None
    answerer: Answerer
    #: The one scan queue (Slack, digests and the API submit to it); ``create_app`` builds it.
    scans: ScanRunner
    checks: CheckCatalog
    explainer: Explainer
    access: AccessPolicy
    metrics: Metrics
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    #: Interval between progress message updates (Slack allows ~1 update per second).
    progress_interval: float = 1.0
    #: One HTTP session for every Web API and ``response_url`` call (set by the app lifespan):
    #: keep-alive connections instead of a new session and TLS handshake per call.
    http_session: aiohttp.ClientSession | None = None
    #: True once the shipped index is loaded: searches then run on the event loop, where a
    #: sub-millisecond search is cheaper than a thread hand-off (``listeners/replies.py``).
    answer_on_loop: bool = False
    #: Where questions are composed when the service has an answer worker process
    #: (``slack/answer_worker.py``); ``None``: in this process (:meth:`compose`).
    answer_worker: AnswerWorker | None = None
    #: What the service scans (``SCALEWARDEN_SCAN_*``): Slack scans and digests stay within it.
    scan_scope: ServiceScope = field(default_factory=ServiceScope)
    #: Channels where ``/scalewarden scan`` posts results in the channel (else privately).
    security_channels: frozenset[str] = frozenset()
    #: The scan behind ``digest preview`` and the scheduler (``None``: no digests here).
    digest_runner: DigestRunner | None = None
    audit: AuditLog = field(init=False, repr=False)

    async def compose(self, question: str, shareable: bool) -> Composed:
        """The knowledge part of the reply to ``question`` (``replies.compose_reply``): in
        the answer worker's process when there is one, so that its CPU is not the acks';
        otherwise here, where :meth:`run_search` says. Raises ``AnswerWorkerError`` when the
        worker could not answer."""
        from functools import partial

        from scalewarden.slack.listeners.replies import compose_reply

        if self.answer_worker is not None:
            return await self.answer_worker.compose(question, shareable)
        return await self.run_search(
            partial(
                compose_reply,
                shareable=shareable,
                checks=self.checks,
                answer=self.answerer,
                explain=self.explainer,
            ),
            question,
        )

    async def answer(self, question: str, top: int = 3) -> Answer:
        """``answerer(question, top)``, where :meth:`run_search` says."""
        return await self.run_search(self.answerer, question, top)

    async def run_search(self, call: Callable[..., T], *args: Any) -> T:
        """On the event loop once that is the cheaper place (``answer_on_loop``), otherwise
        in a worker thread so that it can never stall the acks."""
        if self.answer_on_loop:
            return call(*args)
        return await asyncio.to_thread(call, *args)

    def __post_init__(self) -> None:
        # The audit log reads ``store`` at write time: the service opens it after start-up.
        self.audit = AuditLog(lambda: self.store)

    def responder(self, response_url: object) -> Responder:
        """A ``respond()`` for ``response_url`` that uses the shared HTTP session."""
        return Responder(response_url if isinstance(response_url, str) else None, self)

    def find_check(self, check_id: str) -> Check | None:
        for check in self.checks():
            if check.id == check_id:
                return check
        return None


class Responder:
    """Posts to a ``response_url`` like Bolt's ``respond``, over the shared session.

    Bolt's own ``respond`` opens a new HTTP session for every call; under load that costs more
    than the answer itself. A failed post is logged with its status and never raised.
    """

    def __init__(self, url: str | None, services: SlackServices) -> None:
        self.url = url
        self._services = services

    async def __call__(self, **message: Any) -> int | None:
        if not self.url:
            logger.warning("no response_url to answer on")
            return None
        client = AsyncWebhookClient(url=self.url, session=self._services.http_session)
        body = {k: v for k, v in message.items() if v is not None}
        response = await client.send_dict(body)
        if response.status_code >= 300:
            logger.warning("response_url answered %s", response.status_code)
        return response.status_code


async def safe_call(what: str, call: Awaitable[T]) -> T | None:
    """Await a Slack call; on failure log it (never a token) and return ``None``.

    The SDK's retry handlers have already retried rate limits, server errors and connection
    problems by the time an exception gets here, so this is the place to give up gracefully:
    a failed post must never take the service down.

    An answer Slack's SDK cannot use (``ok`` with a field missing: a proxy's page, a changed
    API) raises whatever the SDK trips over, a ``TypeError`` or ``KeyError``. That is a failed
    call too: it is logged by its type and the caller goes on, so that what it still has to do
    (the scan's audit entry, the rest of its messages) is not lost with it.
    """
    try:
        return await call
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = getattr(exc.response, "status_code", None)
        logger.warning("Slack call %s failed: status=%s error=%s", what, status, error)
    except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        logger.warning("Slack call %s failed: %s", what, type(exc).__name__)
    except Exception as exc:
        logger.error(
            "Slack call %s failed on an answer it could not use: %s", what, type(exc).__name__
        )
    return None
