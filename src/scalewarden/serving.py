"""How the service listens: uvicorn's limits, and a deadline for every request on a connection.

An unsigned client can reach the Slack request URL, so the server itself must bound what one
connection costs before any signature is checked:

- **Header size.** uvicorn's h11 protocol refuses a header block that is still incomplete
  past ``h11_max_incomplete_event_size`` (64 KiB) with a 400, so a stalled connection buffers
  at most that much; the app refuses a complete block over 64 KiB or 200 fields with a 431
  (``HeaderLimitMiddleware``). The httptools protocol has no such bound (a 20 MB header line
  was answered 200), so the service runs on h11.
- **A deadline per request** (``SCALEWARDEN_REQUEST_TIMEOUT``, 10 s). uvicorn has no header or
  body read timeout: a client sending a byte a second held a connection for minutes, and a
  connection that never sends anything was never closed. :class:`DeadlineProtocol` closes the
  connection when a request (headers and body together) is not complete within the deadline,
  counted from when the connection opened or its previous response ended. Idle and half-open
  sockets therefore cost a file descriptor for at most that long.
- **Memory per connection.** Headers are capped as above; uvicorn stops reading a body past 64
  KiB until the app reads it, and the app refuses bodies over 1 MiB (``BodyLimitMiddleware``).
- **Connections.** ``limit_concurrency`` (``SCALEWARDEN_MAX_CONNECTIONS``) answers 503 past
  that many open connections or requests; ``timeout_keep_alive`` closes idle keep-alive
  connections after 5 s.

What a reverse proxy adds on top is in ``docs/operations.md`` ("Connection limits").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

#: Largest header block accepted, in bytes (refused with a 400 while it arrives).
MAX_HEADER_BYTES = 64 * 1024
#: Seconds an idle keep-alive connection stays open after a response.
KEEP_ALIVE_SECONDS = 5


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request on the connection.

    The timer starts when the connection opens and again when a response ends; it stops once
    the request is complete (h11 has seen its end). When it fires first, the connection is
    closed: the app sees a disconnect if it was reading the body, and nothing else waits.
    """

    request_deadline: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED):
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_deadline, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is h11.DONE:
            return
        logger.info(
            "closed a connection from %s: no complete request within %.0f s",
            self.client[0] if self.client else "an unknown address",
            self.request_deadline,
        )
        self.transport.close()


def deadline_protocol(seconds: float) -> type[DeadlineProtocol]:
    """:class:`DeadlineProtocol` with its deadline set (uvicorn builds the protocol itself)."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"request_deadline": seconds})


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    request_timeout: float,
    max_connections: int,
    **extra: Any,
) -> uvicorn.Config:
    """The uvicorn configuration ``scalewarden serve`` runs with (and the tests serve)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=deadline_protocol(request_timeout),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=max_connections,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,
        **extra,
    )
