"""The pure core of answers that know the account: which checks, what the scan says, the line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalewarden.account_answers import (
    STALE_AFTER,
    Standing,
    account_note,
    age_text,
    linked_checks,
    non_admin_text,
    note_text,
    resource_code,
)
from scalewarden.checks.registry import all_checks, get_check
from scalewarden.store.records import CheckFindings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
IDS = ("target_scaling_suspended",)


def scan(
    counts: dict[str, int],
    failing: tuple[dict[str, object], ...] = (),
    *,
    checks: tuple[str, ...] | None = IDS,
    age: timedelta = timedelta(hours=1),
) -> CheckFindings:
    return CheckFindings("s1", NOW - age, checks, counts, failing)


def test_linked_checks_are_the_checks_whose_section_was_answered() -> None:
    fixed = linked_checks(all_checks(), "resilience#fixed-capacity")
    assert [c.id for c in fixed] == ["target_fixed_capacity", "target_without_scaling_policy"]
    assert linked_checks(all_checks(), "resilience#suspended-scaling") == (
        get_check("target_scaling_suspended"),
    )
    assert linked_checks(all_checks(), "infrastructure-security#which-cipher-suites") == ()
    assert linked_checks(all_checks(), "") == ()


def test_the_worst_failure_is_named_with_its_severity_and_the_scans_age() -> None:
    worst = {"resource_id": "service/prod/api", "severity": "high"}
    note = account_note(IDS, scan({"FAIL": 3, "PASS": 2, "ERROR": 1}, (worst,)), now=NOW)
    assert (note.standing, note.failing, note.scan_id) == (Standing.FAILING, 3, "s1")
    assert note_text(note) == (
        "In your account: 3 resources fail this, the worst being `service/prod/api` (high), "
        "scanned 1 h ago."
    )
    one = account_note(IDS, scan({"FAIL": 1}, (worst,)), now=NOW)
    assert note_text(one) == (
        "In your account: 1 resource fails this, `service/prod/api` (high), scanned 1 h ago."
    )


def test_errors_without_failures_are_not_called_clear() -> None:
    note = account_note(IDS, scan({"ERROR": 2, "PASS": 5}), now=NOW)
    assert note.standing is Standing.UNJUDGED
    assert note_text(note) == (
        "In your account: the last scan could not check this for 2 resources, scanned 1 h ago."
    )


def test_clear_only_when_every_linked_check_ran() -> None:
    both = ("target_fixed_capacity", "target_without_scaling_policy")
    ran_one = scan({"PASS": 4}, checks=("target_fixed_capacity",))
    assert account_note(both, ran_one, now=NOW).standing is Standing.NOT_IN_SCAN
    ran_both = scan({"PASS": 4}, checks=both)
    assert account_note(both, ran_both, now=NOW).standing is Standing.CLEAR
    # Stored before the checks run were recorded: a lone check with a verdict counts, two
    # checks (which of them ran?) or no verdict at all do not.
    assert account_note(IDS, scan({"PASS": 1}, checks=None), now=NOW).standing is Standing.CLEAR
    assert account_note(both, scan({"PASS": 1}, checks=None), now=NOW).standing is (
        Standing.NOT_IN_SCAN
    )
    assert account_note(IDS, scan({}, checks=None), now=NOW).standing is Standing.NOT_IN_SCAN
    text = note_text(account_note(both, ran_one, now=NOW))
    assert "In your account" not in text
    assert text == (
        "The last stored scan (scanned 1 h ago) did not run this check: "
        "`/scalewarden scan target_fixed_capacity target_without_scaling_policy` does."
    )


def test_no_stored_scan_claims_nothing() -> None:
    text = note_text(account_note(IDS, None, now=NOW))
    assert "In your account" not in text and "fail" not in text
    assert text == (
        "No scan of your account is stored yet: "
        "`/scalewarden scan target_scaling_suspended` checks this."
    )


def test_stale_scans_say_so() -> None:
    fresh = account_note(IDS, scan({"PASS": 1}, age=STALE_AFTER), now=NOW)
    stale = account_note(IDS, scan({"PASS": 1}, age=STALE_AFTER + timedelta(minutes=1)), now=NOW)
    assert not fresh.stale and "out of date" not in note_text(fresh)
    assert stale.stale and note_text(stale).endswith(
        "That scan may be out of date: `/scalewarden scan target_scaling_suspended` checks again."
    )


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=-30), "just now"),  # a clock a little behind the scanner's
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=47, minutes=59), "47 h ago"),
        (timedelta(hours=48), "2 days ago"),
    ],
)
def test_ages(age: timedelta, text: str) -> None:
    assert age_text(max(age, timedelta(0))) == text


def test_hostile_names_become_one_inert_bounded_code_span() -> None:
    shown = resource_code("a`b\n*c* <!here> <@U123> &amp; " + "x" * 500)
    assert shown.startswith("`") and shown.endswith("`") and shown.count("`") == 2
    assert "\n" not in shown and "<" not in shown and ">" not in shown
    assert "&amp;amp;" in shown  # shown as typed, not decoded into markup
    assert len(shown) < 120
    assert resource_code("") == "`(unnamed)`"
    assert "xoxb" not in resource_code("svc/xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQr")


def test_non_admins_are_told_the_command_and_nothing_else() -> None:
    assert (
        non_admin_text(IDS)
        == "Admins can check this with `/scalewarden scan target_scaling_suspended`."
    )
