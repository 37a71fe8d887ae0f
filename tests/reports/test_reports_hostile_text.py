"""Hostile names through every output: reports in each format and the Slack scan views.

Whoever controls a scanned account chooses its names, tags and messages' contents. Whatever
they hold (terminal escapes, markup, spreadsheet formulas, lone surrogates, lookalike-spelt
secrets, Slack mentions), every output encodes, shows no secret and runs none of it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.reports import FORMATS, render
from scalewarden.slack.views.scan import scan_messages

SECRET = "hunter2hunter2"
PIECES = [
    "\x1b[31m",  # ANSI colour
    "\x1b]0;pwned\x07",  # OSC: retitle the terminal
    "\x9b2J",  # C1 CSI: clear the screen
    "\r\n",
    "\u202e",  # right-to-left override
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\t",
    "<!channel>",
    "<@U0123ABCD>",
    "*bold* _it_ `code`",
    "\ud800",
    "\udfff",
    # A key word glued after a letter is a longer word (``dbpassword``), by the detector's
    # rule: these start after a separator.
    f" p\u0430ssword={SECRET} ",
    f" tok\u200ben={SECRET} ",
    "XAKIAIOSFODNN7EXAMPLE",
    "|",
    "name",
]
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), min_size=1, max_size=6).map(
    "".join
)
WHEN = datetime(2026, 12, 1, tzinfo=UTC)
_TERMINAL_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _report(name: str, message: str) -> ScanReport:
    finding = Finding(
        check_id="target_fixed_capacity",
        title="Fixed capacity",
        severity=Severity.HIGH,
        status=Status.FAIL,
        account_id="111122223333",
        account_name=name,
        region="eu-west-1",
        resource_id=f"service/{name}",
        resource_arn=f"arn:aws:ecs:eu-west-1:111122223333:service/{name}",
        message=message,
        remediation="Scale it.",
        kb_article="resilience",
        evidence={name: [message]},
    )
    return ScanReport(
        scan_id="scan-1",
        started_at=WHEN,
        finished_at=WHEN,
        accounts=[{"id": "111122223333", "name": name, "regions": ["eu-west-1"]}],
        regions=["eu-west-1"],
        findings=[finding],
        coverage=[
            {"account_id": "111122223333", "region": "eu-west-1", "source": "s", "reason": name}
        ],
    )


@given(name=hostile, message=hostile)
@example(name=f"\x1b]0;x\x07 p\u0430ssword={SECRET}\ud800", message="=cmd|' /C calc'!A0")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_report_format_encodes_and_shows_nothing_it_must_not(name: str, message: str) -> None:
    report = _report(name, message)
    for fmt in FORMATS:
        out = render(report, fmt)
        out.encode("utf-8")  # a lone surrogate anywhere fails the file
        assert SECRET not in out, fmt
        assert "XAKIAIOSFODNN7EXAMPLE" not in out, fmt
    for readable in ("table", "markdown"):
        assert not _TERMINAL_CONTROL.search(render(report, readable)), readable
    html = render(report, "html")
    assert "<script>alert" not in html and "<img" not in html
    for row in csv.reader(io.StringIO(render(report, "csv"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    for fmt in ("json", "ocsf", "asff"):
        json.loads(render(report, fmt))


def _texts(blocks: object) -> list[str]:
    """Every text Slack renders in ``blocks`` (button values are data, never shown)."""
    if isinstance(blocks, dict):
        return [
            t
            for key, value in blocks.items()
            if key != "value"
            for t in ([value] if key == "text" and isinstance(value, str) else _texts(value))
        ]
    if isinstance(blocks, list):
        return [t for b in blocks for t in _texts(b)]
    return []


@given(name=hostile, message=hostile)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_slack_scan_views_encode_and_ping_nobody(name: str, message: str) -> None:
    split = scan_messages(_report(name, message))
    json.dumps(split.blocks, ensure_ascii=False).encode("utf-8")
    for text in [split.text, *_texts(split.blocks)]:
        text.encode("utf-8")
        assert SECRET not in text
        assert "<!channel>" not in text and "<@U0123ABCD>" not in text
        # No terminal escape, bidirectional override or forged line from a name.
        assert not _TERMINAL_CONTROL.search(text), text
