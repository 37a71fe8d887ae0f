"""Resource names from a scanned account shown in code spans: a backtick cannot end the span.

Inside a code span Slack shows ``*bold*``, ``<!here>`` and ``>`` quotes literally, but a
backtick in the name would close the span early and turn the rest of the name into markup.
Every view that quotes a resource, check id or typed value as code uses ``usertext.code``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from scalewarden.checks.model import Finding, ScanReport, Severity, Status
from scalewarden.checks.registry import get_check
from scalewarden.digests.compose import compose
from scalewarden.digests.result import DigestResult
from scalewarden.slack.commands import HelpCommand, parse_command
from scalewarden.slack.usertext import code
from scalewarden.slack.views.checks import check_blocks
from scalewarden.slack.views.digest import digest_messages
from scalewarden.slack.views.home import home_view
from scalewarden.slack.views.scan import finding_block

HOSTILE_NAME = "table/a`*PWNED*` <!here> _x_`"
WHEN = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _finding() -> Finding:
    return Finding(
        check_id="dynamodb_table_autoscaling_enabled",
        title="DynamoDB table without auto scaling",
        severity=Severity.HIGH,
        status=Status.FAIL,
        account_id="123456789012",
        account_name="prod",
        region="eu-west-1",
        resource_id=HOSTILE_NAME,
        resource_arn=None,
        message="The table has no scalable target.",
        remediation="Register the table.",
        kb_article="service-integrations",
    )


def _spans(mrkdwn: str) -> list[str]:
    """The code spans of a mrkdwn text, as Slack pairs backticks (left to right)."""
    return re.findall(r"`([^`]*)`", mrkdwn)


def _assert_name_stays_in_one_span(mrkdwn: str) -> None:
    spans = [s for s in _spans(mrkdwn) if "PWNED" in s]
    assert len(spans) == 1, mrkdwn
    # Nothing of the name leaks outside its span as markup.
    outside = re.sub(r"`[^`]*`", "", mrkdwn)
    assert "PWNED" not in outside and "<!here>" not in mrkdwn


def _texts(blocks: Any) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(json.dumps(blocks, default=lambda b: b.to_dict())))
    return [t for t in found if "PWNED" in t]


def test_code_spans_drop_backticks_and_markup_characters() -> None:
    assert code("a`b") == "`a'b`"
    assert code("<!channel> & co") == "`&lt;!channel&gt; &amp; co`"
    assert code("\u202e\x07") == ""
    assert code("", empty="`(unnamed)`") == "`(unnamed)`"


def test_scan_findings_keep_a_hostile_name_in_its_span() -> None:
    texts = _texts([finding_block(_finding())])
    assert texts
    for text in texts:
        _assert_name_stays_in_one_span(text)


def test_digest_new_and_resolved_findings_keep_a_hostile_name_in_its_span() -> None:
    finding = _finding()
    result = DigestResult(
        subscription_id=1,
        scan_id="s",
        baseline=False,
        new=[finding],
        resolved=[finding],
    )
    messages = digest_messages(compose(result), title="Digest")
    texts = _texts(messages.blocks) + [t for r in messages.thread for t in _texts(r)]
    assert len(texts) >= 2  # the new finding and the resolved one
    for text in texts:
        _assert_name_stays_in_one_span(text)


def test_home_tab_keeps_a_hostile_name_in_its_span() -> None:
    report = ScanReport(scan_id="s", started_at=WHEN, finished_at=WHEN, findings=[_finding()])
    texts = _texts(home_view(latest=report, may_scan=True, admins_configured=True)["blocks"])
    assert texts
    for text in texts:
        _assert_name_stays_in_one_span(text)


def test_remediation_card_keeps_a_hostile_name_from_a_button_in_its_span() -> None:
    check = get_check("dynamodb_table_autoscaling_enabled")
    blocks = check_blocks(check, finding={"resource": HOSTILE_NAME, "account": "1", "region": "x"})
    texts = _texts(blocks)
    assert texts
    for text in texts:
        _assert_name_stays_in_one_span(text)


@pytest.mark.parametrize("typed", ["scan region=eu`*PWNED*`", "scan account=1`*PWNED*`"])
def test_usage_errors_quote_a_typed_value_in_one_span(typed: str) -> None:
    command = parse_command(typed)
    assert isinstance(command, HelpCommand) and command.problem
    _assert_name_stays_in_one_span(command.problem)
