"""The benchmark's stand-in for Slack (``bench/http.py --stand-in``) takes what the service
sends it during a benchmarked scan, the report file included: a scan's upload that failed
there logged an error per scan and left the upload path unmeasured."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from slack_sdk import WebClient

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http.py"
#: A bound on waiting for the stand-in to listen (it starts in a second on a quiet machine).
STARTS_WITHIN = 30.0


def _count(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/count", timeout=5) as response:
        return dict(json.load(response))


def test_the_stand_in_takes_a_report_file_upload() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, str(BENCH), "--stand-in", "--port", str(port)])
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while True:
            try:
                before = _count(base)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        client = WebClient(token="xoxb-bench", base_url=f"{base}/api/")
        # What the service's scan flow calls when the findings overflow the message.
        answer = client.files_upload_v2(
            channel="C0BENCH", content="check,status\n", filename="report.csv", title="Report"
        )
        assert answer["ok"] is True
        assert _count(base)["uploads"] == before.get("uploads", 0) + 1
    finally:
        proc.terminate()
        proc.wait(10)
