"""`scalewarden demo` and `scan --demo`: the extra's hint, the port check, clean-up, exit codes.

The runs that start a local AWS do so in their own process: moto's backends are global to a
process, and the session's local AWS (tests/conftest.py) must not see the demo's account.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalewarden.cli import app
from scalewarden.cli.app import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

runner = CliRunner()
BIN = Path(sys.executable).parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALEWARDEN_"))}
    env.update(
        {
            "AWS_PROFILE": "does-not-exist",  # must not leak into the demo
            "TMPDIR": str(tmp_path),
            "SCALEWARDEN_CACHE_DIR": str(tmp_path / "cache"),
            "COLUMNS": "250",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "scalewarden.cli", *args]


@pytest.fixture
def busy_port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("args", [["demo", "--no-serve"], ["scan", "--demo"]])
def test_without_the_demo_extra_the_hint_names_it(
    monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # what an install without the extra sees
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_CANNOT_RUN
    assert "pip install 'scalewarden[demo]'" in result.stderr
    assert "moto" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "111111111111", "--role-name", "R"], "--accounts"),
        (["--organization", "--role-name", "R"], "--organization"),
        (["--profile", "prod"], "--profile"),
        (["--save"], "--save"),
        (["--regions", "ap-south-1"], "ap-south-1"),
    ],
)
def test_scan_demo_refuses_real_scope(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["scan", "--demo", *args])
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr


def test_scan_demo_exit_codes_and_output_options(tmp_path: Path) -> None:
    failing = subprocess.run(
        _cli("scan", "--demo", "--format", "json", "--fail-on", "high"),
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(tmp_path),
        check=False,
    )
    assert failing.returncode == EXIT_FINDINGS, failing.stderr
    assert "No real AWS account is touched" in failing.stderr
    report = json.loads(failing.stdout)
    assert report["accounts"][0]["id"] == "123456789012"
    assert sorted(report["regions"]) == ["eu-west-1", "us-east-1"]
    assert report["summary"]["fail_by_severity"]["high"] >= 1
    assert report["summary"]["fail_by_severity"]["critical"] == 0

    out = tmp_path / "demo.csv"
    passing = subprocess.run(
        [
            *_cli("scan", "--demo", "--regions", "us-east-1", "--format", "csv"),
            "--fail-on",
            "critical",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(tmp_path),
        check=False,
    )
    assert passing.returncode == EXIT_OK, passing.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) > 10
    # Only the region asked for was read (a trail may still name its own home region).
    assert {row["region"] for row in rows if row["check_id"].startswith("target_")} == {"us-east-1"}


def test_demo_refuses_a_busy_port_before_the_walk_through(tmp_path: Path, busy_port: int) -> None:
    done = subprocess.run(
        _cli("demo", "--port", str(busy_port)),
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
        check=False,
    )
    assert done.returncode == EXIT_CANNOT_RUN
    assert f"127.0.0.1:{busy_port}" in done.stderr and "--port" in done.stderr
    assert done.stdout == ""  # nothing of the walk-through ran


def test_demo_serves_prints_a_working_scan_command_and_cleans_up_on_ctrl_c(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    proc = subprocess.Popen(
        _cli("demo", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("or, any time"):
                break
        text = "".join(lines)
        base = re.search(r"Serving on (http://127\.0\.0\.1:\d+)", text)
        assert base is not None, text
        assert list(tmp_path.glob("scalewarden-demo-*")), "the demo database folder is missing"
        with urllib.request.urlopen(f"{base.group(1)}/healthz", timeout=10) as response:
            assert response.status == 200
        # The stored demo scan, over the API, with the token the demo printed.
        token = re.search(r"The API token is made for this run: (\S+)", text)
        assert token is not None, text
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        request = urllib.request.Request(f"{base.group(1)}/api/v1/scans", headers=auth)
        with urllib.request.urlopen(request, timeout=10) as response:
            (stored,) = json.loads(response.read())["scans"]
        findings_url = next(
            line.split()[-1].strip("'") for line in lines if "/findings?severity=high" in line
        )
        assert stored["id"] in findings_url
        request = urllib.request.Request(findings_url, headers=auth)
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.loads(response.read())
        assert page["count"] > 0 and {f["severity"] for f in page["findings"]} <= {
            "high",
            "critical",
        }
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base.group(1)}/api/v1/scans", timeout=10)
        assert refused.value.code == 401
        # The command as printed, run by a shell as a user would paste it.
        command = next(line.strip() for line in lines if "scalewarden scan --regions" in line)
        scan = subprocess.run(
            f"{command} --format json",
            shell=True,
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            check=False,
        )
        assert scan.returncode == EXIT_FINDINGS, scan.stderr
        assert json.loads(scan.stdout)["summary"]["by_status"]["FAIL"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert not list(tmp_path.glob("scalewarden-demo-*")), "the demo left its folder behind"
