"""`scalewarden serve` starts without Slack settings and says so; Socket Mode needs tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = "from scalewarden.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCALEWARDEN_"))}
    env["SCALEWARDEN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    return env


def test_serve_without_slack_settings_serves_health_and_says_slack_is_off(
    tmp_path: Path,
) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json() == {"status": "ok"}
        events = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"{}", timeout=5)
        assert events.status_code == 503
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Slack routes are off" in err


def test_socket_mode_without_tokens_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CLI, "serve", "--socket-mode"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr


def test_serve_applies_the_connection_limits(tmp_path: Path) -> None:
    """The command itself runs with the limits: an idle connection is closed at the request
    deadline and an oversized header block is refused."""
    port = _free_port()
    env = {**_env(tmp_path), "SCALEWARDEN_REQUEST_TIMEOUT": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=15) as idle:
            assert idle.recv(1024) == b""  # closed by the server, never answered
        try:
            big = httpx.get(
                f"http://127.0.0.1:{port}/healthz", headers={"X-Big": "a" * 100_000}, timeout=10
            )
            assert big.status_code in (400, 431)
        except httpx.TransportError:
            pass  # refused while still arriving
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
