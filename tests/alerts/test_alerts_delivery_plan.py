"""Which channels an alert goes to and where in them: pure functions, a fake clock."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from alert_samples import ECS_TARGET, RISKY, aas_event, scaled_to_max

from scalewarden.alerts import classify
from scalewarden.alerts.delivery import ChannelPlanner, channels_for, principal_of, wants
from scalewarden.alerts.model import Alert, Who
from scalewarden.checks.model import Severity


@dataclass(frozen=True)
class Sub:
    channel: str
    min_severity: str = "low"
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


def _alert(rule: str) -> Alert:
    alert = classify(dict(RISKY)[rule])
    assert alert is not None
    return alert


def test_severity_account_and_region_decide_and_a_channel_gets_it_once() -> None:
    suspended = _alert("aas-scaling-suspended")  # medium, us-west-2, 123456789012
    assert suspended.severity is Severity.MEDIUM
    assert wants(Sub("C1", "medium"), suspended)
    assert not wants(Sub("C1", "high"), suspended)
    assert wants(Sub("C1", regions=("us-west-2",)), suspended)
    assert not wants(Sub("C1", regions=("eu-west-1",)), suspended)
    assert wants(Sub("C1", accounts=("123456789012",)), suspended)
    assert not wants(Sub("C1", accounts=("210987654321",)), suspended)
    subs = [
        Sub("C1"),
        Sub("C2", "critical"),
        Sub("C1", "medium"),
        Sub("C3", regions=("us-west-2",)),
    ]
    assert channels_for(subs, suspended) == ["C1", "C3"]


def test_probing_reaches_a_min_medium_channel() -> None:
    denied = aas_event("RegisterScalableTarget", dict(ECS_TARGET), errorCode="AccessDenied")
    alert = classify(denied)
    assert alert is not None and channels_for([Sub("C1", "medium")], alert) == ["C1"]


def test_principal_is_the_callers_arn_and_a_rule_for_aws_state_changes() -> None:
    assert principal_of(_alert("aas-scaling-suspended")) == "arn:aws:iam::123456789012:user/Bob"
    state = classify(scaled_to_max())
    assert state is not None and principal_of(state) == "rule:aas-scaled-to-max"


def test_more_than_n_from_one_principal_in_a_minute_is_one_burst_with_a_thread() -> None:
    planner = ChannelPlanner(burst=3, rate=100)
    kinds = [planner.place("bob", 1000.0 + i) for i in range(7)]
    assert [p.kind for p in kinds[:3]] == ["message"] * 3
    assert kinds[3].kind == "burst"
    assert {p.kind for p in kinds[4:]} == {"thread"}
    assert {p.key for p in kinds[4:]} == {kinds[3].key}
    # Another principal meanwhile is not part of Bob's burst.
    assert planner.place("alice", 1007.0).kind == "message"
    # Bob keeps to the thread while he is busy; after a quiet minute he starts afresh.
    assert planner.place("bob", 1060.0).kind == "thread"
    assert planner.place("bob", 1121.0).kind == "message"


def test_n_spread_over_more_than_a_minute_is_no_burst() -> None:
    planner = ChannelPlanner(burst=2, rate=100)
    kinds = [planner.place("bob", 1000.0 + 31 * i).kind for i in range(6)]
    assert kinds == ["message"] * 6


def test_the_channel_rate_sends_the_rest_to_one_overflow_thread_then_recovers() -> None:
    planner = ChannelPlanner(burst=1000, rate=5)
    placed = [planner.place(f"p{i}", 2000.0 + i * 0.1) for i in range(12)]
    assert [p.kind for p in placed[:5]] == ["message"] * 5
    assert placed[5].kind == "overflow"
    assert all(p.kind == "thread" and p.key == placed[5].key for p in placed[6:])
    # A minute after the first top-level posts there is room again.
    assert planner.place("late", 2061.0).kind == "message"


def test_bursts_count_against_the_rate_and_overflow_takes_what_is_left() -> None:
    planner = ChannelPlanner(burst=1, rate=2)
    assert planner.place("a", 0.0).kind == "message"
    assert planner.place("a", 1.0).kind == "burst"
    assert planner.place("b", 2.0).kind == "overflow"
    assert planner.place("a", 3.0).kind == "thread"


def test_state_stays_bounded_by_what_one_window_saw() -> None:
    planner = ChannelPlanner(burst=3, rate=10_000)
    for i in range(5000):
        planner.place(f"p{i}", float(i) / 100)
    planner.place("last", 500.0)
    assert len(planner._principals) == 1


def test_an_alert_without_a_caller_is_grouped_by_rule() -> None:
    alert = dataclasses.replace(_alert("aas-scaling-suspended"), who=Who("", "", "", ""))
    assert principal_of(alert) == "rule:aas-scaling-suspended"
