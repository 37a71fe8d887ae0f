"""The real app under uvicorn, as ``scalewarden serve`` configures it, attacked on loopback:
slow and idle connections are closed at the request deadline while signed requests on other
connections are answered; oversized headers are refused; connections are bounded.

Every attack is bounded: the deadline is one second here, and each wait gives up after 15 s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from harness import CHANNEL, USER, RecordingScanner, build_report, command_body, sample_check, sign

from scalewarden.serving import server_config
from scalewarden.web import create_app

DEADLINE = 1.0
#: Generous bound for "closed by the server" (the deadline is 1 s; without one, never).
CLOSED_WITHIN = 15.0
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(params=["httptools", "h11"])
def http(request: pytest.FixtureRequest) -> str:
    """Every attack runs against both HTTP implementations ``serving.py`` offers (the service
    serves on httptools)."""
    return str(request.param)


@contextlib.asynccontextmanager
async def serving(
    make_settings: Callable[..., Any], store: Any, http: str, *, max_connections: int = 100
) -> AsyncIterator[str]:
    app = create_app(
        make_settings(),
        store=store,
        scanner=RecordingScanner(build_report(1)),
        checks=lambda: [sample_check()],
    )
    import uvicorn

    config = server_config(
        app,
        host="127.0.0.1",
        port=0,
        request_timeout=DEADLINE,
        max_connections=max_connections,
        http=http,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def _closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection (bounded wait)."""
    received = b""
    async with asyncio.timeout(CLOSED_WITHIN):
        while True:
            try:
                chunk = await reader.read(65536)
            except (ConnectionResetError, BrokenPipeError):  # closed while we still wrote
                return received
            if not chunk:
                return received
            received += chunk


async def _signed_help(client: httpx.AsyncClient, base: str, hook: str) -> httpx.Response:
    body = command_body("help", user=USER, channel=CHANNEL, response_url=hook)
    headers = {"Content-Type": FORM, **sign(body)}
    return await client.post(f"http://{base}/slack/events", content=body, headers=headers)


async def test_a_slow_client_is_closed_at_the_deadline_while_signed_requests_ack(
    make_settings: Callable[..., Any], store: Any, http: str, fake_slack: Any
) -> None:
    async with serving(make_settings, store, http) as base:
        host, port = base.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() + b"\r\n"
            b"X-Padding: " + b"a" * 2000 + b"\r\n\r\n"
        )

        async def trickle() -> int:
            sent = 0
            try:
                for byte in head:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    sent += 1
                    await asyncio.sleep(0.02)
            except OSError:  # the server closed the connection (reset or broken pipe)
                pass
            return sent

        slow = asyncio.create_task(trickle())
        async with httpx.AsyncClient(timeout=10) as client:
            answers = []
            for i in range(10):
                answers.append(await _signed_help(client, base, fake_slack.response_url(f"h{i}")))
                await asyncio.sleep(0.05)
        assert [a.status_code for a in answers] == [200] * 10
        assert all("/scalewarden" in a.text for a in answers)
        answered = await _closed_by_server(reader)
        assert answered == b""  # closed, never answered: the request was never complete
        writer.close()
        sent = await asyncio.wait_for(slow, CLOSED_WITHIN)
        assert sent < len(head)


async def test_idle_and_slow_body_connections_are_closed(
    make_settings: Callable[..., Any], store: Any, http: str
) -> None:
    async with serving(make_settings, store, http) as base:
        host, port = base.split(":")
        idle_reader, idle_writer = await asyncio.open_connection(host, int(port))
        body_reader, body_writer = await asyncio.open_connection(host, int(port))
        body_writer.write(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            b"Content-Type: application/json\r\n\r\n{"
        )
        await body_writer.drain()
        assert await _closed_by_server(idle_reader) == b""
        slow_body = await _closed_by_server(body_reader)
        assert not slow_body.startswith(b"HTTP/1.1 200")
        # A keep-alive connection that goes quiet after a response is closed too.
        ka_reader, ka_writer = await asyncio.open_connection(host, int(port))
        ka_writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await ka_writer.drain()
        assert (await _closed_by_server(ka_reader)).startswith(b"HTTP/1.1 200")
        for writer in (idle_writer, body_writer, ka_writer):
            writer.close()


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Big", "a" * (100 * 1024))],
        [(f"X-H{i}", "v") for i in range(20_000)],
    ],
    ids=["one-100KiB-header", "20000-headers"],
)
async def test_header_blocks_over_64_kib_are_refused(
    make_settings: Callable[..., Any], store: Any, http: str, headers: list[tuple[str, str]]
) -> None:
    async with serving(make_settings, store, http) as base, httpx.AsyncClient(timeout=10) as client:
        try:
            response = await client.get(f"http://{base}/healthz", headers=headers)
        except httpx.TransportError:
            pass  # closed while the headers were still arriving: refused as well
        else:
            assert response.status_code in (400, 431), response.text
        near_limit = [("X-Pad", "a" * (60 * 1024))]
        assert (await client.get(f"http://{base}/healthz", headers=near_limit)).status_code == 200


async def test_connections_are_bounded_and_the_bound_heals(
    make_settings: Callable[..., Any], store: Any, http: str
) -> None:
    """Past ``max_connections`` requests get 503; stalled connections are closed at the
    deadline, after which requests are served again."""
    async with serving(make_settings, store, http, max_connections=20) as base:
        host, port = base.split(":")
        stalled = [await asyncio.open_connection(host, int(port)) for _ in range(25)]
        async with httpx.AsyncClient(timeout=10) as client:
            busy = await client.get(f"http://{base}/healthz")
            assert busy.status_code == 503
            for reader, _ in stalled:
                await _closed_by_server(reader)
            healed = await client.get(f"http://{base}/healthz")
            assert healed.status_code == 200
        for _, writer in stalled:
            writer.close()


async def test_an_endless_header_is_refused_once_past_64_kib(
    make_settings: Callable[..., Any], store: Any, http: str
) -> None:
    """A header block that never ends: refused with a 400 as soon as it passes 64 KiB (not
    buffered until the deadline), so a connection never holds much more than that."""
    async with serving(make_settings, store, http) as base:
        host, port = base.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        # In 8 KiB pieces, each read by the server before the next, and no more once it has
        # answered: writing into a closed connection would reset it and lose the answer.
        answered = b""
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        for _ in range(40):
            writer.write(b"a" * 8192)
            await writer.drain()
            try:
                answered = await asyncio.wait_for(reader.read(65536), 0.02)
            except TimeoutError:
                continue
            break
        answered += await _closed_by_server(reader)
        assert answered.startswith(b"HTTP/1.1 400"), answered[:80]
        writer.close()


async def test_a_large_body_after_small_headers_reaches_the_app(
    make_settings: Callable[..., Any], store: Any, http: str
) -> None:
    """The header bound counts header bytes only: a request whose 200 KB body arrives in the
    same reads as its headers (and ends in them) is the app's to answer, and so is the next
    request on the connection."""
    async with serving(make_settings, store, http) as base, httpx.AsyncClient(timeout=10) as client:
        for _ in range(2):
            response = await client.post(f"http://{base}/healthz", content=b"[" * 200_000)
            assert response.status_code == 405, response.text[:80]
        assert (await client.get(f"http://{base}/healthz")).status_code == 200


async def test_a_connection_that_sends_only_line_breaks_after_a_response_is_closed(
    make_settings: Callable[..., Any], store: Any, http: str
) -> None:
    """Bytes between requests that start no request (the line breaks HTTP lets a client send
    before a request) stop the keep-alive timer; the next request's deadline must still close
    the connection, or one CRLF holds it open for ever."""
    async with serving(make_settings, store, http) as base:
        host, port = base.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        async with asyncio.timeout(CLOSED_WITHIN):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        writer.write(b"\r\n")
        await writer.drain()
        rest = await _closed_by_server(reader)
        assert b"HTTP/1.1 200" not in rest
        writer.close()
