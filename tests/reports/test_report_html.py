"""The HTML report: self-contained, escaped, and its filters work in a real browser; and the
format fixes (OCSF times and references, CSV compliance)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from report_samples import build_report

from scalewarden.checks.model import ScanReport, Status
from scalewarden.reports import render

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def hostile_report() -> ScanReport:
    report = build_report()
    first = report.findings[0]
    planted = replace(
        first,
        resource_id=f"table/{HOSTILE}",
        message=f"name {HOSTILE} & more",
        account_name='"><b>x</b>',
        fingerprint="",
    )
    return replace(report, findings=[planted, *report.findings[1:]])


def test_html_is_self_contained_and_escapes_hostile_text() -> None:
    page = render(hostile_report(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours, inline
    # No external asset: nothing loaded from a URL; links only in <a href>.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r'\bsrc="', page)
    assert "default-src 'none'" in page  # the page may not fetch anything at all
    assert "<svg" in page  # the chart is inline


def test_html_counts_filters_remediation_and_explanations() -> None:
    report = build_report()
    page = render(report, "html")
    summary = report.summary
    for status, count in summary["by_status"].items():
        assert f"{status}<b>{count}</b>" in page
    for name in ("severity", "status", "check", "account", "region"):
        assert f'id="f-{name}"' in page
    assert page.count('<tr class="finding"') == len(report.findings)
    assert "Fix:" in page
    # Explanations link to the official page an article cites, or to the check on the page.
    assert "https://docs.aws.amazon.com/autoscaling/application/userguide/" in page
    assert all(f'id="check-{f.check_id}"' in page for f in report.findings)


def test_ocsf_time_in_milliseconds_and_references_are_urls() -> None:
    report = build_report()
    items = json.loads(render(report, "ocsf"))
    expected = int(report.finished_at.timestamp() * 1000)
    for item in items:
        assert item["time"] == expected and item["finding_info"]["created_time"] == expected
        assert item["time_dt"].startswith("2026-01-01T10:00:05")
        for ref in item["remediation"]["references"]:
            assert ref.startswith("https://"), ref
    assert any(item["remediation"]["references"] for item in items)


def test_csv_compliance_reads_framework_colon_ids() -> None:
    rows = list(csv.DictReader(io.StringIO(render(build_report(), "csv"), newline="")))
    trail = next(r for r in rows if r["check_id"] == "cloudtrail_multiregion_management_events")
    assert "CIS-7.0: 4.1" in trail["compliance"]
    assert "NIST-800-53-Revision-5: AU-2 | AU-12" in trail["compliance"]
    assert "{" not in trail["compliance"]


# -- in a real browser ------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (it is in CI)")


def _browser(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--metrics-recording-only",
            # Hermetic: the browser's own background calls cannot leave the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rows(dom: str) -> list[tuple[str, bool]]:
    """(data-status, hidden) of every finding row in a dumped DOM."""
    out = []
    for tag in re.findall(r'<tr class="finding"[^>]*>', dom):
        status = re.search(r'data-status="([^"]*)"', tag)
        out.append((status.group(1) if status else "", " hidden" in tag))
    return out


def test_filters_work_in_a_real_browser_and_nothing_is_fetched(tmp_path: Path) -> None:
    report = hostile_report()
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    netlog = tmp_path / "net.json"

    result = _browser(
        f"--log-net-log={netlog}", "--dump-dom", f"{page.as_uri()}#status=FAIL", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = _rows(result.stdout)
    assert len(rows) == len(report.findings)
    assert {s for s, hidden in rows if not hidden} == {"FAIL"}  # the preset filter applied
    assert any(hidden for _, hidden in rows)
    shown = sum(1 for f in report.findings if f.status is Status.FAIL)
    assert f"{shown} of {len(report.findings)} shown" in result.stdout
    assert "<script>alert" not in result.stdout  # still text after the script ran

    both = _browser(
        "--dump-dom",
        f"{page.as_uri()}?severity=high&status=FAIL&region=global",
        tmp_path=tmp_path,
    )
    expected = [
        f
        for f in report.findings
        if f.status is Status.FAIL and f.severity.value == "high" and f.region == "global"
    ]
    visible = [tag for tag in re.findall(r'<tr class="finding"[^>]*>', both.stdout)]
    assert len([t for t in visible if " hidden" not in t]) == len(expected) >= 1

    # The net log lists every request; the page's own have a page origin as initiator (the
    # browser's background calls have none). None may leave the file.
    assert not page_requests(netlog) - {page.as_uri()}


def page_requests(netlog: Path) -> set[str]:
    log = json.loads(netlog.read_text(errors="replace"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return {
        str(e["params"].get("url", "")).split("#")[0]
        for e in log["events"]
        if e["type"] == start
        and e.get("params", {}).get("url")
        and e["params"].get("initiator") != "not an origin"
    }


def test_the_request_check_sees_a_page_that_fetches(tmp_path: Path) -> None:
    """The net-log check above can fail: an image outside the policy shows up in it."""
    page = tmp_path / "fetches.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>')
    netlog = tmp_path / "net.json"
    _browser(f"--log-net-log={netlog}", "--dump-dom", page.as_uri(), tmp_path=tmp_path)
    assert "http://example.invalid/x.png" in page_requests(netlog)


def test_screenshot_renders(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(build_report(), "html"), encoding="utf-8")
    shot = Path(os.environ.get("SCALEWARDEN_SCREENSHOT", tmp_path / "report.png"))
    result = _browser(
        f"--screenshot={shot}", "--window-size=1280,1400", page.as_uri(), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
