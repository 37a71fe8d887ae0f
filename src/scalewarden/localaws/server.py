"""moto's threaded server on loopback, with fault injection and latency for tests and benchmarks.

``LocalAws`` starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 (a free port) in this
process, after ``patches.install_patches()`` has fixed moto where it differs from AWS. Two test
aids ride on one hook in front of moto's request dispatcher:

* ``LocalAws.inject_fault()`` answers chosen operations with an AWS error (AccessDenied,
  throttling …), optionally only for one account or region, to exercise the ERROR paths.
  Each ``Fault`` counts its hits, so a test can tell how often an operation was asked for.
* ``LocalAws.latency`` sleeps that many seconds in the server before answering each request:
  the benchmark's stand-in for the round trip to AWS.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scalewarden.localaws.patches import install_patches

#: The access key moto maps to its default account 123456789012.
DEFAULT_ACCOUNT_ID = "123456789012"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

_hook_lock = threading.Lock()
_hooked = False


@dataclass
class Fault:
    """Answer ``operation`` of ``service`` with the AWS error ``code`` (optionally scoped)."""

    service: str
    operation: str
    code: str
    message: str
    account_id: str | None = None
    region: str | None = None
    #: How many more requests to fail; ``None`` = every one.
    remaining: int | None = None
    hits: int = 0
    #: Request parameters that must have these values (``{"ServiceNamespace": "ecs"}``).
    parameters: Mapping[str, str] | None = None

    def matches(
        self,
        service: str,
        operation: str,
        account_id: str,
        region: str,
        param: Callable[[str], Any] = lambda _name: None,
    ) -> bool:
        return (
            self.service in ("*", service)
            and self.operation in ("*", operation)
            and (self.account_id is None or self.account_id == account_id)
            and (self.region is None or self.region == region)
            and (self.remaining is None or self.remaining > 0)
            and all(param(k) == v for k, v in (self.parameters or {}).items())
        )


@dataclass
class _Control:
    """Process-wide state read by the patched dispatcher (one moto per process)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0
    requests: int = 0

    def take_fault(
        self,
        service: str,
        operation: str,
        account: str,
        region: str,
        param: Callable[[str], Any] = lambda _name: None,
    ) -> Fault | None:
        with self.lock:
            self.requests += 1
            for fault in self.faults:
                if fault.matches(service, operation, account, region, param):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None


_control = _Control()


def _patch_dispatch() -> None:
    """Hook every request: injected latency first, then injected faults, then moto."""
    from moto.core.responses import BaseResponse

    original = BaseResponse._dispatch

    def _dispatch(self: Any, request: Any, full_url: Any = None, headers: Any = None) -> Any:
        if _control.latency:
            time.sleep(_control.latency)
        self.setup_class(request, full_url, headers)
        try:
            action = self._get_action()
        except Exception:
            action = None
        if action:
            fault = _control.take_fault(
                str(getattr(self, "boto3_service_name", "")),
                str(action),
                str(self.current_account),
                str(getattr(self, "region", "")),
                self._get_param,
            )
            if fault is not None:
                return _error_response(str(self.boto3_service_name), fault)
        return self.call_action()

    _dispatch.__wrapped__ = original  # type: ignore[attr-defined]
    BaseResponse._dispatch = _dispatch  # type: ignore[method-assign]


def _protocol(service: str) -> str:
    import botocore.session

    return str(botocore.session.get_session().get_service_model(service).protocol)


def _error_response(service: str, fault: Fault) -> tuple[int, dict[str, str], str]:
    """An AWS error in the wire format of ``service``'s protocol (what botocore parses)."""
    from xml.sax.saxutils import escape

    protocol = _protocol(service)
    status = 400
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": fault.code, "message": fault.message})
        return (
            status,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": fault.code},
            body,
        )
    code, message = escape(fault.code), escape(fault.message)
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>fault</RequestID></Response>"
        )
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        )
    return status, {"Content-Type": "text/xml"}, body


def install_hook() -> None:
    """Put the latency and fault hook in front of moto's dispatcher, once per process."""
    global _hooked
    with _hook_lock:
        if not _hooked:
            _patch_dispatch()
            _hooked = True


class LocalAws:
    """moto's threaded server on 127.0.0.1, patched to behave like AWS."""

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint_url: str = ""

    def start(self) -> str:
        """Start on a free loopback port and return the endpoint URL."""
        from moto.server import ThreadedMotoServer

        install_patches()
        install_hook()
        # moto logs a traceback for every operation it does not implement: the client already
        # gets an error answer, so keep test and demo output readable.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every resource in every account and region, and every injected fault."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        self.clear_faults()
        self.latency = 0.0

    @property
    def latency(self) -> float:
        return _control.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        _control.latency = max(0.0, seconds)

    @property
    def request_count(self) -> int:
        """Requests served since start (faulted ones included)."""
        return _control.requests

    def inject_fault(
        self,
        service: str,
        operation: str,
        code: str,
        message: str = "",
        *,
        account_id: str | None = None,
        region: str | None = None,
        times: int | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer ``service``'s ``operation`` (e.g. ``"dynamodb"``, ``"ListTables"``; ``"*"``
        matches any) with the AWS error ``code``, optionally only for one account/region,
        for requests with the given ``parameters`` (``{"ServiceNamespace": "ecs"}``: one
        namespace refused) and ``times`` times. CloudWatch's CBOR protocol is not
        supported."""
        if service != "*" and _protocol(service) not in ("json", "rest-json", "query", "ec2"):
            raise ValueError(f"fault injection does not support {service}'s wire protocol")
        fault = Fault(
            service,
            operation,
            code,
            message or code,
            account_id,
            region,
            remaining=times,
            parameters=dict(parameters) if parameters else None,
        )
        with _control.lock:
            _control.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with _control.lock:
            _control.faults.clear()

    @contextlib.contextmanager
    def environment(self, region: str = "us-east-1") -> Iterator[None]:
        """Point boto3 at this server with fake credentials, restoring the env afterwards."""
        values = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
        saved = {k: os.environ.get(k) for k in [*values, "AWS_PROFILE"]}
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(values)
        try:
            yield
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
