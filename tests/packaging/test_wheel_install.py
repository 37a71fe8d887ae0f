"""A wheel, installed outside the checkout, answers a question and serves as the image does.

This is what a user gets from ``pip install scalewarden``: the wheel is built from a copy of
the sources, installed into a fresh virtualenv, and run from a folder that is not the checkout.
To stay hermetic (no download) and fast, the fresh virtualenv installs only the wheel
(``--no-deps --no-index``) and sees the already-installed dependencies through a ``.pth`` file
naming this environment's site-packages. A ``.pth`` inside that folder is not processed, so the
editable install of the checkout stays out of sight: the test checks that ``scalewarden`` is
imported from the fresh virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from scalewarden.settings import DEFAULT_KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "deploy"))
from deploy_files import dockerfile, exec_form, final_stage  # noqa: E402

pytestmark = pytest.mark.wheel


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel built from the sources; returns its folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    pip = [sys.executable, "-m", "pip"]
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    built = _run([*pip, *build, "--wheel-dir", str(base / "dist"), str(source)])
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("scalewarden-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    articles = {p.name for p in DEFAULT_KNOWLEDGE_DIR.glob("*.md")}
    assert articles and {f"scalewarden/knowledge_base/{a}" for a in articles} <= names
    assert any(n.startswith("scalewarden/store/migrations/versions/0001") for n in names)

    venv = base / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(purelib.stdout.strip()) / "_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    install = _run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)]
    )
    assert install.returncode == 0, install.stderr
    return venv


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCALEWARDEN_", "AWS_", "SLACK_")) and k != "PYTHONPATH"
    }
    env["SCALEWARDEN_CACHE_DIR"] = str(home / "cache")
    return env


def test_installed_wheel_answers_from_another_folder(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import scalewarden; print(scalewarden.__file__)",
        ],
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout
    asked = _run(
        [str(installed / "bin" / "scalewarden"), "ask", "which tls version", "--json"],
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answered"] is True
    assert answer["results"][0]["article_id"] == "infrastructure-security"
    assert "TLS" in answer["results"][0]["snippet"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_image_command_serves_ready_and_passes_its_health_check(
    installed: Path, tmp_path: Path
) -> None:
    """The Dockerfile's CMD and HEALTHCHECK, run from the wheel (no Docker engine here)."""
    stage = final_stage(dockerfile())
    port = str(_free_port())
    cmd = exec_form(next(s["value"] for s in stage if s["instruction"] == "CMD"))
    cmd[cmd.index("--port") + 1] = port
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    probe = exec_form(next(s["value"] for s in stage if s["instruction"] == "HEALTHCHECK"))
    probe = [part.replace(":3000/", f":{port}/") for part in probe]
    env = _env(tmp_path) | {"SCALEWARDEN_DATABASE_URL": f"sqlite:///{tmp_path}/scalewarden.db"}
    bin_dir = installed / "bin"
    server = subprocess.Popen(
        [str(bin_dir / cmd[0]), *cmd[1:]],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready: dict[str, object] = {}
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    ready = json.loads(r.read())
                    break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, "the service exited"
                time.sleep(0.1)
        assert ready.get("ready") is True, ready
        healthy = _run([str(bin_dir / probe[0]), *probe[1:]], cwd=tmp_path, env=env)
        assert healthy.returncode == 0, healthy.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    # uvicorn shuts down cleanly, then re-raises the signal it caught (as a shell expects).
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "Traceback" not in output
