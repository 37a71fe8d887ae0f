"""Logging of the service: JSON lines for a log collector, readable text on a terminal.

``configure_logging(settings.log_format)`` is called once by ``scalewarden serve``. It installs
one handler on the root logger, so that our lines, uvicorn's and the libraries' share one
format, and quiets the libraries whose INFO lines are noise in production (Alembic's migration
steps at every start, botocore's "found credentials" and endpoint lines, bm25s's progress).

Every line written while a request is served carries that request's id (``request_id``): the
proxy's ``X-Request-Id`` when it sends a sane one, else a new one. ``RequestLogMiddleware``
sets it, answers it back in the ``X-Request-Id`` header, and writes one line per request with
its method, path, status and duration.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalewarden.checks.lib.redact import redact

LogFormat = Literal["auto", "json", "text"]

#: The id of the request being served (empty outside a request).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

#: Libraries whose INFO lines say nothing an operator needs; their warnings still show.
QUIET = ("alembic", "botocore", "boto3", "urllib3", "bm25s", "aiohttp.access", "uvicorn.access")

#: A request id from a proxy is kept only when it looks like one (no spaces, no control
#: characters, no log injection); anything else is replaced by our own.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: Probes answered often and fine: their successes are not logged, their failures are.
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})

#: The fields a record may carry for the request line (``extra=...``).
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


#: Characters a log line shows escaped: C0 and C1 controls (a newline would forge a line of
#: its own, ESC and CSI drive the terminal reading it), line and paragraph separators and
#: bidirectional controls. ``_TRACEBACK_CONTROL`` keeps the newlines a traceback is made of.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TRACEBACK_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_message(text: str) -> str:
    """Log text fit for any sink: secrets masked, lone surrogates replaced (``redact``), and
    control characters written as escapes, so a name in an error message can neither forge a
    log line nor drive an operator's terminal."""
    return _CONTROL.sub(_escaped, redact(text))


def safe_traceback(text: str) -> str:
    """A traceback as ``safe_message`` treats a message, its own newlines kept."""
    return _TRACEBACK_CONTROL.sub(_escaped, redact(text))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, request fields.

    An exception is one ``error`` field (type and message) plus the traceback as a string, so
    that a failure stays one line for the collector.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": safe_message(record.getMessage()),
        }
        rid = getattr(record, "request_id", "")
        if rid:
            line["request_id"] = rid
        for name in _REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line["error"] = safe_message(f"{type(error).__name__}: {error}"[:500])
            line["traceback"] = safe_traceback(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message [request id]`` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.makeLogRecord(record.__dict__)
        shown.msg, shown.args = safe_message(record.getMessage()), None
        shown.exc_text = None
        text = super().format(shown)
        if shown.exc_text:  # the traceback, appended by ``format`` after the message
            head, _, tail = text.partition(shown.exc_text)
            text = head + safe_traceback(shown.exc_text) + tail
        rid = getattr(record, "request_id", "")
        return f"{text} [{rid}]" if rid else text


def resolve_format(fmt: LogFormat, stream: TextIO) -> Literal["json", "text"]:
    """``auto`` means text on a terminal and JSON anywhere else (a container, a file)."""
    if fmt == "auto":
        return "text" if stream.isatty() else "json"
    return fmt


def configure_logging(fmt: LogFormat = "auto", *, stream: TextIO | None = None) -> None:
    """Install the one root handler in ``fmt`` and quiet the noisy libraries."""
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if resolve_format(fmt, out) == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    # Some libraries set their own logger to DEBUG when imported (bm25s does): the handler
    # itself keeps to INFO, whatever a logger says.
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own loggers propagate to the root handler instead of printing in their format.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


class RequestLogMiddleware:
    """Gives every request an id and writes one line when it is answered."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger("scalewarden.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), ""
        )
        rid = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if status >= 400 or scope.get("path", "") not in PROBES:
                self._log(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        self.logger.info(
            "%s %s %d",
            scope.get("method", ""),
            scope.get("path", ""),
            status,
            extra={
                "method": scope.get("method", ""),
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
