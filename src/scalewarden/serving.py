"""How the service listens: uvicorn's limits, and a deadline for every request on a connection.

An unsigned client can reach the Slack request URL, so the server itself must bound what one
connection costs before any signature is checked:

- **Header size.** A header block that is still incomplete past 64 KiB is refused with a
  400 and the connection closed, so a stalled connection buffers at most that much (plus one
  read); the app refuses a complete block over 64 KiB or 200 fields with a 431
  (``HeaderLimitMiddleware``). The service runs on httptools (a C parser): uvicorn's
  httptools protocol has no such bound (a 20 MB header line was answered 200), so
  :class:`LimitedHttpToolsProtocol` counts the bytes of an incomplete block itself. uvicorn's
  h11 protocol bounds it (``h11_max_incomplete_event_size``), and :class:`DeadlineProtocol`
  serves on h11 with the same deadline; it costs more CPU per request (``bench/http.py``
  measures both in one run), so it is kept for comparison only.
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
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)

#: Largest header block accepted, in bytes (refused with a 400 while it arrives).
MAX_HEADER_BYTES = 64 * 1024
#: Seconds an idle keep-alive connection stays open after a response.
KEEP_ALIVE_SECONDS = 5


class _RequestDeadline:
    """The deadline shared by both protocols, in one place: armed when the connection opens
    and again when a response ends, disarmed once a read completes the request; when it fires
    first, the connection is closed (the app sees a disconnect if it was reading the body, and
    nothing else waits). Each protocol says only what "the request is complete" means for its
    parser (``_request_complete``); the mixin sits before uvicorn's protocol in the MRO, so its
    ``super()`` calls reach uvicorn's."""

    request_deadline: float = 10.0
    _deadline: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    client: tuple[str, int] | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._request_complete():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_deadline, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_complete(self) -> bool:
        """Whether a request has fully arrived that has not been answered yet."""
        raise NotImplementedError

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self._request_complete():
            return
        logger.info(
            "closed a connection from %s: no complete request within %.0f s",
            self.client[0] if self.client else "an unknown address",
            self.request_deadline,
        )
        self.transport.close()


class DeadlineProtocol(_RequestDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request on the connection (h11 bounds
    an incomplete header block itself: ``h11_max_incomplete_event_size``)."""

    def _request_complete(self) -> bool:
        # h11 starts the next cycle (IDLE) when a response ends, so this is per request.
        return self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)


class LimitedHttpToolsProtocol(_RequestDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol (a C parser: less CPU per request than h11) with the same
    deadline, and a bound on an incomplete header block, which httptools lacks: the bytes
    received while a request's header block is still incomplete are counted, and past
    ``MAX_HEADER_BYTES`` the request is refused with a 400 and the connection closed. So a
    stalled or endless header costs at most that much (plus one read) per connection."""

    _header_bytes = 0
    _in_headers = True
    #: Requests fully received and responses fully sent on this connection: a request is
    #: complete while more have arrived than were answered (pipelined ones included).
    _requests_received = 0
    _responses_sent = 0
    #: A header block or a request ended during the current read.
    _boundary = False

    def data_received(self, data: bytes) -> None:
        counting, self._boundary = self._in_headers, False
        super().data_received(data)
        # Only a read that stayed inside one incomplete header block counts: a read in which
        # a header block or a whole request ended also carries body bytes, which the body
        # limits bound (so the next request's first read is not counted: at most one read).
        if counting and not self._boundary and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._disarm()
                self.send_400_response("Request header fields too large.")

    def on_headers_complete(self) -> None:
        self._in_headers, self._boundary = False, True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._requests_received += 1
        self._boundary = True
        # Whatever arrives next is the next request's header block (keep-alive, pipelining).
        self._in_headers, self._header_bytes = True, 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._responses_sent += 1
        super().on_response_complete()

    def _request_complete(self) -> bool:
        return self._requests_received > self._responses_sent


#: The HTTP implementations the service can run on, with the limits above.
PROTOCOLS: dict[str, type[_RequestDeadline]] = {
    "httptools": LimitedHttpToolsProtocol,
    "h11": DeadlineProtocol,
}


def deadline_protocol(seconds: float, http: str = "httptools") -> type[asyncio.Protocol]:
    """The protocol class for ``http`` with its deadline set (uvicorn builds the protocol)."""
    base = PROTOCOLS[http]
    return type(base.__name__, (base,), {"request_deadline": seconds})


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    request_timeout: float,
    max_connections: int,
    http: str = "httptools",
    **extra: Any,
) -> uvicorn.Config:
    """The uvicorn configuration ``scalewarden serve`` runs with (and the tests serve);
    ``http="h11"`` gives the pure-Python parser with the same limits (for comparison)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=deadline_protocol(request_timeout, http),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=max_connections,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,
        **extra,
    )
