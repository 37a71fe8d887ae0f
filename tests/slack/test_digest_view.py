"""The digest message: the pure outline and its Block Kit layout within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from scalewarden.checks.model import Finding, Severity, Status
from scalewarden.digests.compose import compose
from scalewarden.digests.result import DigestResult
from scalewarden.slack.commands import DigestCommand, HelpCommand, MuteCommand, UnmuteCommand
from scalewarden.slack.commands import parse_command as parse
from scalewarden.slack.views.buttons import ACTION_DIGEST_FULL, DigestPayload
from scalewarden.slack.views.digest import digest_messages, full_list_messages
from scalewarden.slack.views.text import (
    MAX_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    block_text_length,
)
from scalewarden.store.records import StoredMute

SEVERITIES = list(Severity)


def _finding(i: int, *, status: Status = Status.FAIL, title: str | None = None) -> Finding:
    return Finding(
        check_id="dynamodb_table_autoscaling_enabled",
        title=title or f"DynamoDB table without auto scaling #{i}",
        severity=SEVERITIES[i % len(SEVERITIES)],
        status=status,
        account_id="123456789012",
        account_name="prod",
        region="eu-west-1",
        resource_id=f"table/orders-{i:04d}",
        resource_arn=None,
        message="The table has no scalable target for write capacity. " * 3,
        remediation="Register the table.",
        kb_article="service-integrations",
    )


def _result(**lists: list[Finding]) -> DigestResult:
    return DigestResult(subscription_id=7, scan_id="scan-1", baseline=False, **lists)  # type: ignore[arg-type]


def _within_limits(blocks: list[dict]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    assert block_text_length(blocks) <= MAX_MESSAGE_CHARS
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= MAX_SECTION_CHARS


def test_500_new_findings_fit_the_message_its_thread_and_the_file() -> None:
    result = _result(new=[_finding(i) for i in range(500)], open=[_finding(900)])
    value = DigestPayload(7, "scan-1").encode()
    messages = digest_messages(compose(result), title="Posture digest #7", button_value=value)
    _within_limits(messages.blocks)
    for reply in messages.thread:
        _within_limits(reply)
    assert messages.needs_file and messages.in_message > 0 and messages.thread
    assert messages.in_message + messages.in_thread < 500
    text = json.dumps(messages.blocks)
    assert "500 new, 0 resolved" in text and "the whole scan in the attached file" in text
    buttons = [
        e
        for b in messages.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_DIGEST_FULL
    ]
    assert [DigestPayload.decode(b["value"]) for b in buttons] == [DigestPayload(7, "scan-1")]
    # Worst first: the first finding listed is a critical one.
    first = next(b for b in messages.blocks if "accessory" in b)
    assert "#0" in first["text"]["text"] and SEVERITIES[0] is Severity.CRITICAL


def test_the_full_list_fits_five_ephemeral_messages_and_says_what_is_left() -> None:
    outline = compose(_result(new=[_finding(i) for i in range(500)]))
    messages = full_list_messages(outline, title="Digest #7: the full list")
    assert 1 < len(messages) <= 5
    for blocks in messages:
        _within_limits(blocks)
    assert "more: see the file" in json.dumps(messages[-1])


def test_a_digest_says_counts_resolved_open_muted_lapsed_and_unchecked() -> None:
    lapsed = StoredMute(
        id=3,
        check_id="target_fixed_capacity",
        resource_pattern="ecs:service/*",
        reason="load test",
        author="U1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    result = DigestResult(
        subscription_id=7,
        scan_id="scan-1",
        baseline=False,
        new=[_finding(1)],
        resolved=[_finding(2)],
        open=[_finding(3), _finding(4)],
        muted=[_finding(5, status=Status.MUTED)],
        not_evaluated=[_finding(6, status=Status.ERROR), _finding(7, status=Status.ERROR)],
        lapsed_mutes=[lapsed],
    )
    outline = compose(result)
    assert outline.failing_by_severity == {
        Severity.HIGH: 1,
        Severity.LOW: 1,
        Severity.INFORMATIONAL: 1,
    }
    assert [u.places for u in outline.unchecked] == [2]
    text = json.dumps(digest_messages(outline, title="Posture digest #7").blocks)
    assert "1 new, 1 resolved" in text
    assert "*Still open:* 2" in text and "*Muted:* 1" in text
    assert "Mutes that lapsed" in text and "#3" in text and "load test" in text
    assert "Could not be checked" in text and "dynamodb_table_autoscaling_enabled" in text
    assert "*New* (1)" in text and "*Resolved* (1)" in text and "~DynamoDB table" in text


def test_nothing_changed_is_one_short_line_and_a_baseline_says_so() -> None:
    quiet = digest_messages(compose(_result(open=[_finding(1)])), title="Posture digest #7")
    assert len(quiet.blocks) == 1 and not quiet.thread and not quiet.needs_file
    assert quiet.text.startswith("No change since the last scan: 1 still open")
    baseline = DigestResult(
        subscription_id=7, scan_id="s", baseline=True, open=[_finding(i) for i in range(3)]
    )
    messages = digest_messages(compose(baseline), title="Posture digest #7")
    text = json.dumps(messages.blocks)
    assert "Baseline" in text and "*New*" not in text and "3 open" in text


def test_account_text_is_escaped_and_redacted() -> None:
    hostile = _finding(1, title="<!channel> table password=hunter2hunter2 <https://evil|x>")
    messages = digest_messages(compose(_result(new=[hostile])), title="Posture digest #7")
    text = json.dumps(messages.blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "hunter2hunter2" not in text and "<https://evil" not in text


def test_a_digest_payload_decodes_only_its_own_shape() -> None:
    assert DigestPayload.decode(DigestPayload(3, "abc").encode()) == DigestPayload(3, "abc")
    for junk in (None, "", "[]", '{"d": "3", "s": "x"}', '{"d": true, "s": "x"}', '{"d": 3}'):
        assert DigestPayload.decode(junk) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "digest subscribe daily 09:00 tz=Europe/Berlin min=medium regions=eu-west-1",
            DigestCommand(
                "subscribe",
                schedule="daily 09:00",
                timezone="Europe/Berlin",
                min_severity="medium",
                regions=("eu-west-1",),
            ),
        ),
        (
            "digest subscribe weekly mon 07:30",
            DigestCommand("subscribe", schedule="weekly mon 07:30"),
        ),
        ('digest subscribe "0 9 * * 1-5"', DigestCommand("subscribe", schedule="0 9 * * 1-5")),
        # Slack's clients turn straight quotes into curly ones.
        (
            "digest subscribe \u201c0 9 * * 1-5\u201d",
            DigestCommand("subscribe", schedule="0 9 * * 1-5"),
        ),
        (
            "digest subscribe weekdays 09:00 accounts=111111111111 min=info",
            DigestCommand(
                "subscribe",
                schedule="weekdays 09:00",
                min_severity="informational",
                accounts=("111111111111",),
            ),
        ),
        ("digest list", DigestCommand("list")),
        ("digest preview 12", DigestCommand("preview", 12)),
        ("digest unsubscribe #4", DigestCommand("unsubscribe", 4)),
        (
            'mute target_fixed_capacity ecs:service/batch/* reason="nightly batch" '
            "until=2099-01-31",
            MuteCommand(
                "add",
                check_id="target_fixed_capacity",
                resource_pattern="ecs:service/batch/*",
                reason="nightly batch",
                until="2099-01-31",
            ),
        ),
        (
            'mute target_fixed_capacity reason="accepted"',
            MuteCommand("add", "target_fixed_capacity", None, "accepted"),
        ),
        ("mute list", MuteCommand("list")),
        ("unmute 5", UnmuteCommand(5)),
    ],
)
def test_digest_and_mute_commands_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("digest subscribe daily 25:00", "not a time of day"),
        ('digest subscribe "*/5 * * * *"', "more often than once an hour"),
        ("digest subscribe daily 09:00 tz=Mars/Olympus", "unknown time zone"),
        ("digest subscribe daily 09:00 min=severe", "not a severity"),
        ("digest subscribe daily 09:00 regions=mars-1", "unknown region"),
        ("digest subscribe daily 09:00 accounts=123", "12 digits"),
        ("digest subscribe daily 09:00 colour=red", "unknown digest option"),
        ("digest subscribe", "say when"),
        ("digest subscribe '0 9 * * 1", "quote is not closed"),
        ("digest preview", "one subscription id"),
        ("digest unsubscribe x", "not a subscription id"),
        ("digest frobnicate", "digest subscribe daily 09:00"),
        ("mute target_fixed_capacity", "needs a reason"),
        ('mute reason="x"', "needs a check id"),
        ('mute Not-A-Check reason="x"', "not a check id"),
        ('mute target_fixed_capacity a b reason="x"', "at most one resource pattern"),
        ("unmute", "one mute id"),
        ("unmute -1", "not a mute id"),
    ],
)
def test_bad_digest_and_mute_input_is_a_usage_problem(text: str, problem: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, HelpCommand) and parsed.problem and problem in parsed.problem
