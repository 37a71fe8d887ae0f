"""Service logs: JSON lines with a request id and duration, readable text, no start-up noise."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalewarden.logs import QUIET, configure_logging, resolve_format


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging configured into a string; the process's logging is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in QUIET}
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_json_lines_carry_the_request_id_and_duration(
    make_harness: Any, log_stream: io.StringIO
) -> None:
    configure_logging("json", stream=log_stream)
    async with make_harness() as h:
        given = await h.client.get("/api/v1/checks", headers={"X-Request-Id": "proxy-42"})
        made = await h.client.get("/api/v1/checks", headers={"X-Request-Id": "bad id\n{"})
    assert given.headers["x-request-id"] == "proxy-42"
    assert made.headers["x-request-id"] not in ("", "bad id\n{")
    lines = [r for r in _json_lines(log_stream.getvalue()) if r.get("path") == "/api/v1/checks"]
    assert [r["request_id"] for r in lines] == ["proxy-42", made.headers["x-request-id"]]
    assert all(r["status"] == 200 and r["duration_ms"] >= 0 for r in lines)
    assert all(r["level"] == "info" and r["logger"] == "scalewarden.http" for r in lines)


async def test_text_format_is_one_readable_line(make_harness: Any, log_stream: io.StringIO) -> None:
    configure_logging("text", stream=log_stream)
    async with make_harness() as h:
        await h.client.get("/api/v1/checks", headers={"X-Request-Id": "abc"})
    line = next(x for x in log_stream.getvalue().splitlines() if "/api/v1/checks" in x)
    assert "GET /api/v1/checks 200" in line and line.endswith("[abc]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_auto_is_text_on_a_terminal_and_json_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_format("auto", Terminal()) == "text"
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("text", io.StringIO()) == "text"


def test_an_exception_stays_one_json_line(log_stream: io.StringIO) -> None:
    configure_logging("json", stream=log_stream)
    try:
        raise RuntimeError("database went away")
    except RuntimeError:
        logging.getLogger("scalewarden.test").exception("the scan failed")
    (record,) = _json_lines(log_stream.getvalue())
    assert record["error"] == "RuntimeError: database went away"
    assert "Traceback" in record["traceback"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_stop(tmp_path: Path, **extra_env: str) -> tuple[list[dict[str, Any]], str]:
    """Start ``scalewarden serve`` with JSON logs, wait until ready, ask one API route, stop;
    the log records (every line must parse) and the raw stderr."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCALEWARDEN_", "SLACK_"))}
    env |= {
        "SCALEWARDEN_LOG_FORMAT": "json",
        "SCALEWARDEN_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        "SCALEWARDEN_CACHE_DIR": str(tmp_path / "cache"),
        **extra_env,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "scalewarden.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, "the service exited"
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/checks", timeout=5):
            pass
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert out == ""
    return _json_lines(err), err


HOSTILE = "role/p\u0430ssword=hunter2hunter2\n2026-01-01 INFO forged line\x1b]0;pwned\x07\ud800"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_hostile_names_in_log_lines_are_masked_escaped_and_encodable(
    log_stream: io.StringIO, fmt: str
) -> None:
    configure_logging(fmt, stream=log_stream)  # type: ignore[arg-type]
    log = logging.getLogger("scalewarden.test")
    log.warning("check raised on %s", HOSTILE)
    try:
        raise KeyError(HOSTILE)
    except KeyError:
        log.exception("collector task failed for %s", HOSTILE)
    out = log_stream.getvalue()
    out.encode("utf-8")
    assert "hunter2hunter2" not in out
    assert "\x1b" not in out and "\x07" not in out
    if fmt == "json":
        assert all(json.loads(line) for line in out.splitlines())
    else:
        assert not any(line.startswith("2026-01-01 INFO forged") for line in out.splitlines())


def test_serve_starts_quietly_in_json(tmp_path: Path) -> None:
    """No Alembic or botocore INFO lines, "Slack routes are off" once, every line JSON."""
    records, err = _serve_and_stop(tmp_path)
    messages = [r["message"] for r in records]
    assert sum("Slack routes are off" in m for m in messages) == 1
    assert not [r for r in records if r["logger"].startswith(("alembic", "botocore", "bm25s"))]
    assert any(r.get("path") == "/api/v1/checks" for r in records)
    assert "Traceback" not in err


def test_serve_with_slack_unreachable_says_so_once_and_no_bolt_warning(tmp_path: Path) -> None:
    """Slack on, its Web API unreachable: one line says why; Bolt's "token will be unused"
    warning is not there; no traceback."""
    records, err = _serve_and_stop(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5",
        # Nothing listens on port 9 of loopback.
        SCALEWARDEN_SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    problems = [r for r in records if r["level"] in ("warning", "error", "critical")]
    assert [r["logger"] for r in problems] == ["scalewarden.slack.workspace"], problems
    assert "Slack's Web API is unreachable" in problems[0]["message"]
    assert not [r for r in records if "will be unused" in r["message"]]
    assert "Traceback" not in err and "xoxb-" not in err
