"""The linear wildcard matcher: a plain reference's answers, bounded work, hostile policies."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalewarden.checks.lib.event_pattern import matches as pattern_matches
from scalewarden.checks.lib.iam_policy import (
    POLICY_WORK_LIMIT,
    PolicyTooComplex,
    aas_write_grant,
    action_matches,
    arn_like,
    create_slr_grant,
    new_budget,
    parse_statements,
    resource_matches,
)
from scalewarden.checks.lib.wildcard import (
    WorkBudget,
    WorkLimitExceeded,
    eventbridge_wildcard,
    iam_wildcard,
)


def reference(pattern: str, text: str) -> bool:
    """Textbook dynamic programming over (pattern prefix, text prefix): no regex, no greed."""
    rows, cols = len(pattern) + 1, len(text) + 1
    ok = [[False] * cols for _ in range(rows)]
    ok[0][0] = True
    for i in range(1, rows):
        p = pattern[i - 1]
        ok[i][0] = ok[i - 1][0] and p == "*"
        for j in range(1, cols):
            if p == "*":
                ok[i][j] = ok[i - 1][j] or ok[i][j - 1]
            else:
                ok[i][j] = ok[i - 1][j - 1] and (p == "?" or p == text[j - 1])
    return ok[-1][-1]


PATTERNS = st.text(alphabet="ab*?", max_size=14)
TEXTS = st.text(alphabet="ab", max_size=14)


@settings(max_examples=600, deadline=None)
@given(PATTERNS, TEXTS)
def test_iam_wildcard_agrees_with_the_reference(pattern: str, text: str) -> None:
    assert iam_wildcard(pattern).matches(text) is reference(pattern, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aB*?:", max_size=12), st.text(alphabet="Ab:", max_size=12))
def test_actions_ignore_case_and_resources_do_not(pattern: str, text: str) -> None:
    assert action_matches(pattern, text) is reference(pattern.lower(), text.lower())
    assert resource_matches(pattern, text) is reference(pattern, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*\\", max_size=12), TEXTS)
def test_eventbridge_wildcard_agrees_with_the_reference(pattern: str, text: str) -> None:
    # The reference knows no escapes: turn ``\x`` into x, and an escaped star into a
    # character the texts never hold, then check that it only ever matches itself.
    literal_star = "\x00"
    plain, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            plain.append(literal_star if pattern[i + 1] == "*" else pattern[i + 1])
            i += 2
        else:
            plain.append(pattern[i])
            i += 1
    assert eventbridge_wildcard(pattern).matches(text) is reference("".join(plain), text)
    assert eventbridge_wildcard("a\\*b").matches("a*b")
    assert not eventbridge_wildcard("a\\*b").matches("axb")


def test_an_eventbridge_rule_with_a_hostile_wildcard_is_read_quickly() -> None:
    hostile = {"detail": {"eventName": [{"wildcard": "*a" * 40 + "*b"}]}}
    assert not pattern_matches(hostile, {"detail": {"eventName": "a" * 60}})
    assert pattern_matches(hostile, {"detail": {"eventName": "a" * 60 + "b"}})


def test_work_is_linear_in_the_pattern_where_a_regex_is_exponential() -> None:
    text = "unlisted-example-service.amazonaws.com"
    costs = []
    for stars in (5, 10, 20, 40):
        budget = WorkBudget(10**9)
        assert not iam_wildcard("*?" * stars + "#0").matches(text, budget)
        costs.append(budget.spent)
    # Doubling the pattern at most doubles the work (plus the text's length), never squares it.
    for before, after in itertools.pairwise(costs):
        assert after <= 2 * before + len(text)
    assert costs[-1] < 500


def test_a_budget_stops_the_work_it_allows() -> None:
    budget = WorkBudget(50)
    with pytest.raises(WorkLimitExceeded, match="more than 50 wildcard matching steps"):
        for _ in range(100):
            iam_wildcard("*?a?*").matches("bbbbbbbbbbbbbbbbbbbb", budget)
    assert budget.spent > 50


def test_arn_like_matches_part_by_part() -> None:
    arn = "arn:aws:iam::123456789012:role/aws-service-role/x"
    assert arn_like("arn:aws:iam::*:role/*", arn)
    assert arn_like("arn:aws:iam::1234567890??:role/aws-service-role/*", arn)
    assert not arn_like("arn:aws:iam::*", arn)  # a star stays inside its part
    assert not arn_like("*", "ecs.amazonaws.com")  # not an ARN: nothing matches


# --- hostile policy documents -----------------------------------------------------------

HOSTILE_VALUES = ["*?*?*?*?*?*?*?*?*?*?#0", "*?*?*?*?*?*?*?*?*?*?#1"]


def hostile_policy() -> dict[str, Any]:
    """The 278-character shape: StringLike on iam:AWSServiceName with ``*?*?…#n`` values."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SlrOnlyForApprovedServices",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "arn:aws:iam::*:role/aws-service-role/*",
                "Condition": {"StringLike": {"iam:AWSServiceName": HOSTILE_VALUES}},
            }
        ],
    }


def test_the_hostile_policy_is_judged_with_little_work() -> None:
    document = hostile_policy()
    assert 200 <= len(json.dumps(document)) <= 300
    budget = WorkBudget(10**9)
    grant = create_slr_grant(parse_statements(document), budget=budget)
    # The values do not let an unlisted service through: restricted, so not unscoped.
    assert grant.reachable and not grant.unrestricted
    assert budget.spent < 1_000


def test_two_hundred_value_conditions_are_judged_within_the_budget() -> None:
    values = [f"*?*?*?*?*?*?*?*?*?*?*?*?#{i}" for i in range(199)]
    # One of the 200 lets any service through: the grant is unscoped, and found so.
    for last, unscoped in (("*", True), ("ecs.application-autoscaling.amazonaws.com", False)):
        document = hostile_policy()
        document["Statement"][0]["Condition"]["StringLike"]["iam:AWSServiceName"] = [
            *values,
            last,
        ]
        budget = new_budget()
        grant = create_slr_grant(parse_statements(document), budget=budget)
        assert bool(grant.unrestricted) is unscoped
        assert budget.spent < POLICY_WORK_LIMIT // 10


def wildcard_document(size: int, segment: int = 20) -> dict[str, Any]:
    """Action, Resource and condition lists of ``*??…?#?*`` patterns, ``size`` characters.

    Each pattern matches nothing and forces a scan of every position of every text it is
    tried on: the worst case for a linear matcher.
    """
    patterns: list[str] = []
    while len(json.dumps(patterns)) < size // 3:
        patterns.append("*" + "?" * segment + "#" + "?" * (len(patterns) % 5) + "*")
    statement = {
        "Effect": "Allow",
        "Action": [*patterns, "application-autoscaling:Put*"],
        "Resource": [*patterns, "*"],
        "Condition": {"StringLike": {"iam:AWSServiceName": patterns}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_a_6_kb_policy_of_wildcards_is_judged_within_the_budget() -> None:
    document = wildcard_document(6144)
    assert 5_500 <= len(json.dumps(document)) <= 6_500
    statements = parse_statements(document)
    budget = new_budget()
    grant = aas_write_grant(statements, budget=budget)
    assert {"application-autoscaling:PutScalingPolicy"} <= grant.reachable
    assert budget.spent < POLICY_WORK_LIMIT


def test_a_policy_past_the_budget_is_too_complex_not_judged() -> None:
    statements = parse_statements(wildcard_document(200_000, segment=40))
    with pytest.raises(PolicyTooComplex, match="wildcard matching steps"):
        aas_write_grant(statements)
