"""A stand-in for Slack's Web API and ``response_url`` webhooks, on 127.0.0.1, port 0.

It is a real HTTP server (aiohttp) running on the test's event loop, so the app's real
``AsyncWebClient``, retry handlers and webhook client talk to it exactly as they would to
Slack. Every call is recorded; failures (429 with ``Retry-After``, 5xx) can be queued per
method to exercise the retry handlers, and :meth:`FakeSlack.hold` leaves every Web API call
unanswered until :meth:`FakeSlack.release` (a slow Slack, without timing anything). It also
speaks Socket Mode: ``apps.connections.open`` hands out a WebSocket URL on the same server,
:meth:`FakeSlack.push` sends an envelope down the connection, and every message the app sends
back (its acknowledgements) is recorded in ``socket_received``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    """One recorded request."""

    path: str
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    raw: bytes = b""


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0


class FakeSlack:
    """The recording stand-in; use :meth:`start` / :meth:`stop` (or the pytest fixture)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        #: Calls the app made while starting (``auth.test``), moved here by :meth:`started`.
        self.startup_calls: list[Call] = []
        self.usergroups: dict[str, list[str]] = {}
        #: Fields added to (or replacing) the ``auth.test`` answer: another installation.
        self.auth_test: dict[str, Any] = {}
        #: ``conversations.info`` answers by channel id (default: a channel the bot is in).
        self.channels: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        #: Open unless :meth:`hold` closed it: Web API calls wait here until :meth:`release`.
        self._open = asyncio.Event()
        self._open.set()
        #: Web API calls waiting for :meth:`release` right now.
        self.held: list[Call] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._socket_open = asyncio.Event()
        self.socket_received: list[dict[str, Any]] = []
        self.base_url = ""

    # lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/webhook/{name}", self._webhook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        port = server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._stopping.set()  # a delayed answer ends now, so stopping never waits it out
        self._open.set()
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/webhook/{name}"

    # control --------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (after ``delay`` s)."""
        self._failures.setdefault(method, []).extend(
            _Failure(status, dict(headers or {}), body, delay) for _ in range(times)
        )

    def hold(self) -> None:
        """From now on every Web API call is recorded and then left unanswered (a slow or
        hung Slack) until :meth:`release`. Webhooks (``response_url``) are not held."""
        self._open.clear()

    def release(self) -> None:
        """Answer every held call, and the ones that follow, as usual."""
        self._open.set()

    def started(self) -> None:
        """The app has started: from now on ``calls`` holds only what requests cause."""
        self.startup_calls += self.calls
        self.calls = []

    def api_calls(self, method: str) -> list[Call]:
        """Every call of ``method``, start-up included."""
        return [c for c in self.startup_calls + self.calls if c.path == f"/api/{method}"]

    def webhook_calls(self, name: str | None = None) -> list[Call]:
        prefix = "/webhook/" + (name or "")
        return [c for c in self.calls if c.path.startswith(prefix)]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` is true (polls; fails the test on timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() > deadline:
                raise AssertionError(f"condition not met; calls: {[c.path for c in self.calls]}")
            await asyncio.sleep(0.01)

    # handlers -------------------------------------------------------------------------------

    @staticmethod
    async def _params(request: web.Request) -> tuple[dict[str, Any], bytes]:
        raw = await request.read()
        if request.content_type == "application/json":
            data = json.loads(raw or b"{}")
            return (data if isinstance(data, dict) else {"_": data}), raw
        if request.content_type.startswith("multipart/"):
            return dict(request.query), raw
        params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        params.update(request.query)
        return params, raw

    def _record(self, request: web.Request, params: dict[str, Any], raw: bytes) -> None:
        self.calls.append(Call(request.path, request.method, params, dict(request.headers), raw))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, raw = await self._params(request)
        self._record(request, params, raw)
        if not self._open.is_set():
            call = self.calls[-1]
            self.held.append(call)
            try:
                await self._open.wait()
            finally:
                self.held.remove(call)
        queued = self._failures.get(method)
        if queued:
            failure = queued.pop(0)
            if failure.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), failure.delay)
            body = failure.body or {"ok": False, "error": "fake_failure"}
            return web.json_response(body, status=failure.status, headers=failure.headers)
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "scalewarden",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                **self.auth_test,
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base_url.replace("http", "ws", 1) + "/socket"}
        if method == "conversations.info":
            channel = str(params.get("channel"))
            info = self.channels.get(channel, {"is_member": True, "is_ext_shared": False})
            if info.get("not_found"):
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": channel, **info}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users"))[1:]}}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            link = f"https://example.slack.com/archives/{params.get('channel')}/p{ts}"
            return {"ok": True, "channel": params.get("channel"), "permalink": link}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1"}}
        if method == "usergroups.users.list":
            users = self.usergroups.get(str(params.get("usergroup")))
            if users is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": users}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = params.get("files")
            parsed = json.loads(files) if isinstance(files, str) else files or []
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title")} for f in parsed],
            }
        return {"ok": True}

    async def _webhook(self, request: web.Request) -> web.Response:
        params, raw = await self._params(request)
        self._record(request, params, raw)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self._record(request, {}, raw)
        return web.Response(text=f"OK - {len(raw)}")

    # Socket Mode ----------------------------------------------------------------------------

    async def push(self, envelope: dict[str, Any], timeout: float = 10.0) -> None:
        """Send one Socket Mode envelope to the connected app (waits for the connection)."""
        await asyncio.wait_for(self._socket_open.wait(), timeout)
        assert self._socket is not None
        await self._socket.send_str(json.dumps(envelope))

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket_open.set()
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                self.socket_received.append(json.loads(message.data))
        return socket
